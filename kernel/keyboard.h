/* keyboard.h: the PS/2 keyboard, just enough for single-key commands. */
#ifndef KOIZ_KEYBOARD_H
#define KOIZ_KEYBOARD_H

/* Probes the i8042 with timeouts (a machine without one still boots) and
 * enables IRQ 1. Returns 1 when a controller answered. */
int keyboard_init(void);
/* The next key pressed, as ASCII for letters and digits, or -1 when none waits. */
int keyboard_getkey(void);

#endif
