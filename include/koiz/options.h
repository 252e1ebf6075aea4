/*
 * options.h: the kernel command line. GRUB legacy passes the whole `kernel`
 * line of menu.lst ("/boot/koiz.elf selftest baud=38400"); options_parse turns
 * it into struct koiz_options. Bad input never stops the boot: each problem
 * is reported through the warn callback and the default is kept.
 *
 *   selftest[=TEXT]      run the self-tests (only names containing TEXT, or with -TEXT
 *                        all but those), then power off
 *   telemetry=e9|serial|both|off   where the telemetry stream goes (default: e9 when present)
 *   telemetry_loss=never|announce  when the queue is full: wait for the port, or drop events
 *                        and say so (default: never on port 0xE9 alone, announce with COM1)
 *   telemetry_queue=N    the queue's size in bytes, 1024 to 32768 (default 32768)
 *   baud=N               COM1 speed, a divisor of 115200 (default 115200)
 *   crash=divide|pagefault|panic   crash on purpose once booted, to see the report
 *   snapshot=N           send telemetry snapshots every N seconds (default 0: at boot and on `s` only)
 *   demo=NAME            run a demo scenario once booted (heap, stack, fork, wild, churn,
 *                        idle, or tour: all of them in turn); the names are checked by the kernel
 *   bench                run the benchmarks (cycles per operation), then power off
 */
#ifndef KOIZ_OPTIONS_H
#define KOIZ_OPTIONS_H

#include <stdint.h>

#define CMDLINE_MAX 256

enum telemetry_target {
    TELEMETRY_AUTO = 0,     /* e9 when the port exists, else serial */
    TELEMETRY_E9,
    TELEMETRY_SERIAL,
    TELEMETRY_BOTH,
    TELEMETRY_OFF,
};

enum telemetry_loss {
    TELEMETRY_LOSS_AUTO = 0,    /* never for port 0xE9 alone, announce when COM1 carries it */
    TELEMETRY_LOSS_NEVER,       /* a full queue makes the kernel wait for the port */
    TELEMETRY_LOSS_ANNOUNCE,    /* a full queue drops events, announced at once */
};

enum crash_kind {
    CRASH_NONE = 0,
    CRASH_DIVIDE,
    CRASH_PAGEFAULT,
    CRASH_PANIC,
};

struct koiz_options {
    int selftest;
    int bench;
    char selftest_only[32];
    enum telemetry_target telemetry;
    enum telemetry_loss telemetry_loss;
    uint32_t telemetry_queue;   /* bytes; 0: the default */
    uint32_t baud;
    enum crash_kind crash;
    uint32_t snapshot_seconds;
    char demo[16];
};

typedef void (*options_warn_fn)(void *ctx, const char *message);

/* Fills *opt (defaults first) and returns how many problems were reported. */
int options_parse(const char *cmdline, struct koiz_options *opt, options_warn_fn warn, void *ctx);

#endif
