/*
 * kprintf.c: one printf for every output. Text is formatted into a buffer
 * first and written with interrupts off, so a line printed by an interrupt
 * handler never lands in the middle of another line.
 *
 * Console text, the kernel's and the tasks' alike, is escaped on its way
 * out (lib/escape.c): it never holds an '@', the byte every telemetry record
 * starts with, so nothing a task writes can form or break a record on port
 * 0xE9 or COM1, and no byte of it drives a terminal. The same escaped text
 * goes into the `log` records.
 *
 * Telemetry records (protocol.h) go only to the byte streams (0xE9, COM1)
 * chosen by the telemetry= option: they are for programs, not for the screen.
 */
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include "console.h"
#include "kernel.h"
#include "pit.h"
#include "telemetry.h"
#include "x86.h"

static void log_text(const char *s, size_t n);

/* Console text from before the telemetry stream starts, kept so readers get
 * the whole boot log once it does (telemetry_init calls log_replay_boot). */
static char boot_log[8192];
static size_t boot_log_used;

void log_replay_boot(void)
{
    log_text(boot_log, boot_log_used);
    boot_log_used = 0;
}

#define ESCAPE_PIECE 128    /* bytes escaped at a time */

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
        if (telemetry_active()) {
            log_text(out, m);
        } else {
            size_t keep = m < sizeof boot_log - boot_log_used ? m : sizeof boot_log - boot_log_used;
            kmemcpy(boot_log + boot_log_used, out, keep);
            boot_log_used += keep;
        }
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

void record_write(const char *line, unsigned len)
{
    enum telemetry_target t = kernel_options.telemetry;
    int to_e9, to_serial;
    uint32_t flags;

    if (t == TELEMETRY_AUTO)
        t = debugcon_present() ? TELEMETRY_E9 : TELEMETRY_SERIAL;
    to_e9 = t == TELEMETRY_E9 || t == TELEMETRY_BOTH;
    to_serial = t == TELEMETRY_SERIAL || t == TELEMETRY_BOTH;

    flags = irq_save();
    for (unsigned i = 0; i < len; i++) {
        if (to_e9)
            debugcon_putc(line[i]);
        if (to_serial)
            serial_putc(line[i]);
    }
    irq_restore(flags);
}

void record_emit(const char *type, const char *fmt, ...)
{
    char line[PROTO_LINE_MAX + 1];
    char fields[PROTO_LINE_MAX];
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    kvsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    n = proto_format(line, sizeof line, type, "%s", fields);
    /* Through the telemetry queue once it runs, so records keep their order with events. */
    telemetry_queue(line, n, 1);
}

/* Console text as `log` records, a line at a time. */
static void log_text(const char *s, size_t n)
{
    static char line[160];
    static size_t used;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n' && used < sizeof line - 1) {
            line[used++] = s[i];
            continue;
        }
        if (s[i] != '\n')
            continue;   /* an overlong line is cut; its end is dropped */
        line[used] = '\0';
        if (used)
            record_emit(REC_LOG, "%u %s", (uint32_t)pit_ticks(), line);
        used = 0;
    }
}
