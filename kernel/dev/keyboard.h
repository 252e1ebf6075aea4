/*
 * keyboard.h: the kernel's keys: the PS/2 keyboard, and the same keys typed
 * into COM1 (a PC without a keyboard, or a terminal far away), in one queue.
 * One key is special: STOP_KEY stops every running task at once (the
 * scheduler does it: sched_request_stop), so it is never queued and works
 * while tasks run, when nobody reads the queue.
 */
#ifndef KOIZ_KEYBOARD_H
#define KOIZ_KEYBOARD_H

#define STOP_KEY 'k'

/* Probes the i8042 with timeouts (a machine without one still boots) and
 * enables IRQ 1. Returns 1 when a controller answered. */
int keyboard_init(void);
/* The next key pressed, as ASCII for letters and digits, or -1 when none waits. */
int keyboard_getkey(void);
/* Moves whatever COM1 received into the queue (STOP_KEY: a stop request). */
void keys_poll_serial(void);

#endif
