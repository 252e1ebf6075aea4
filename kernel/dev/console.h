/*
 * console.h: the kernel's three outputs and the printf that reaches them.
 *
 *   VGA text screen   the BIOS's text mode (80x25), colours, scrolls   (console.c)
 *   COM1 serial       8N1 at the chosen baud, if a UART answers   (serial.c)
 *   port 0xE9         Bochs's port_e9_hack and QEMU's debugcon, if present (debugcon.c)
 */
#ifndef KOIZ_CONSOLE_H
#define KOIZ_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum vga_color {
    VGA_BLACK = 0,
    VGA_BLUE,
    VGA_GREEN,
    VGA_CYAN,
    VGA_RED,
    VGA_MAGENTA,
    VGA_BROWN,
    VGA_LIGHT_GREY,
    VGA_DARK_GREY,
    VGA_LIGHT_BLUE,
    VGA_LIGHT_GREEN,
    VGA_LIGHT_CYAN,
    VGA_LIGHT_RED,
    VGA_LIGHT_MAGENTA,
    VGA_YELLOW,
    VGA_WHITE,
};

void vga_init(void);
void vga_putc(char c);
/* n characters, the cursor moved once at the end. */
void vga_write(const char *s, unsigned n);
void vga_set_color(enum vga_color fg, enum vga_color bg);
/* Character and colour byte at a cell, for the console's self-test. */
uint16_t vga_cell(int row, int col);
int vga_row(void);
/* The text mode in use, as the BIOS Data Area gave it; monochrome: an MDA-style adapter. */
void vga_geometry(int *columns, int *lines, int *monochrome);
/* The same, read from the CRT controller's registers. */
void vga_crtc_geometry(int *columns, int *lines);

int serial_init(uint32_t baud); /* 1 when a UART answered the loopback probe */
int serial_present(void);
void serial_putc(char c);
int serial_getc_nonblock(void); /* -1 when nothing waits */

int debugcon_init(void); /* 1 when port 0xE9 reads back 0xE9 */
int debugcon_present(void);
void debugcon_putc(char c);
/* n bytes to port 0xE9 at once (a no-op when the port is absent), which
 * begin records_begun records: the caller knows, every record being a line
 * whose first byte is its only '@' (telemetry counts its lines as it queues
 * them), so the bytes need not be read twice. */
void debugcon_write(const char *s, size_t n, uint32_t records_begun);

/* How many records began on port 0xE9 and on COM1 so far: the '@' bytes written
 * there, since the kernel writes '@' only as a record's first byte (console text is
 * escaped, record fields never hold one): debugcon_putc and serial_putc count them,
 * debugcon_write is told. A reader that finds more records than this was fed some
 * the kernel did not write. */
uint32_t debugcon_records(void);
uint32_t serial_records(void);

/*
 * kprintf writes to every output that exists: the screen, COM1 and port 0xE9
 * (and, once telemetry runs, as `log` records). All console text goes out
 * escaped (lib/escape.c): '@', '\', control bytes but newline and tab, and
 * bytes above 0x7E as \xNN. kprintf formats into 512 bytes: longer kernel
 * messages are cut; kputn writes any length exactly (a task's write).
 */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
void kputs(const char *s);
void kputn(const char *s, size_t n);
/* kprintf in a colour on the screen (other outputs get plain text). */
int kprintf_color(enum vga_color fg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where console text goes besides the screen and ports, escaped, as it is
 * written (the telemetry's `log` records); NULL: nowhere. */
typedef void (*log_sink_fn)(const char *text, size_t len);
void kprintf_set_log_sink(log_sink_fn fn);

#endif
