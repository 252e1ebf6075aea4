/*
 * kprintf.c: one printf for every output. Text is formatted into a buffer
 * first and written with interrupts off, so a line printed by an interrupt
 * handler never lands in the middle of another line.
 *
 * Console text, the kernel's and the tasks' alike, is escaped on its way
 * out (lib/escape.c): it never holds an '@', the byte every telemetry record
 * starts with, so nothing a task writes can form or break a record on port
 * 0xE9 or COM1, and no byte of it drives a terminal. The same escaped text
 * goes to the log sink (the telemetry's `log` records, kernel/telemetry.c).
 */
#include <koiz/klib.h>
#include "dev/console.h"
#include "kernel.h"
#include "x86.h"

static log_sink_fn log_sink;

void kprintf_set_log_sink(log_sink_fn fn)
{
    log_sink = fn;
}

#define ESCAPE_PIECE 128 /* bytes escaped at a time */

/* Console text to every output, escaped; all of it, with interrupts off. */
static void write_all(const char *s, size_t n)
{
    char out[ESCAPE_PIECE * TEXT_ESCAPE_MAX];
    uint32_t flags = irq_save();
    while (n > 0) {
        size_t take = n < ESCAPE_PIECE ? n : ESCAPE_PIECE;
        size_t m = text_escape(out, s, take);
        vga_write(out, (unsigned)m);
        for (size_t i = 0; i < m; i++) {
            serial_putc(out[i]);
            debugcon_putc(out[i]);
        }
        if (log_sink)
            log_sink(out, m);
        s += take;
        n -= take;
    }
    irq_restore(flags);
}

int kvprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = kvsnprintf(buf, sizeof buf, fmt, ap);
    write_all(buf, kstrlen(buf));
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

void kputs(const char *s)
{
    write_all(s, kstrlen(s));
}

void kputn(const char *s, size_t n)
{
    write_all(s, n);
}

int kprintf_color(enum vga_color fg, const char *fmt, ...)
{
    va_list ap;
    int n;
    vga_set_color(fg, VGA_BLACK);
    va_start(ap, fmt);
    n = kvprintf(fmt, ap);
    va_end(ap);
    vga_set_color(VGA_LIGHT_GREY, VGA_BLACK);
    return n;
}
