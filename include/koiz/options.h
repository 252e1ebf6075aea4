/*
 * options.h: the kernel command line. Loaders pass the kernel's own path
 * first: GRUB legacy the whole `kernel` line of menu.lst ("/boot/koiz.elf
 * selftest baud=38400"), QEMU's -kernel the path it was given
 * ("build/koiz.elf demo=heap"). options_parse turns the rest into struct
 * koiz_options. Bad input never stops the boot: each problem is reported
 * through the warn callback, naming the word, and the default is kept:
 *
 *   - a word that is not an option, or an option with a bad or out-of-range value;
 *   - an option given twice with different values (given twice alike: a
 *     warning, the value is kept);
 *   - a line longer than CMDLINE_MAX - 1 characters: the word cut at the limit
 *     and everything after it are ignored (a cut word could mean something else).
 *
 *   selftest[=TEXT]      run the self-tests (only names containing TEXT, or with -TEXT
 *                        all but those), then power off
 *   telemetry=e9|serial|both|off   where the telemetry stream goes (default: e9 when present)
 *   telemetry_loss=never|announce  when the queue is full: wait for the port, or drop events
 *                        and say so (default: never on port 0xE9 alone, announce with COM1)
 *   telemetry_queue=N    the queue's size in bytes, 1024 to 32768 (default 32768)
 *   baud=N               COM1 speed: 300, 600, 1200, 2400, 4800, 9600, 14400, 19200,
 *                        38400, 57600 or 115200 (the default), in decimal
 *   crash=divide|pagefault|panic   crash on purpose once booted, to see the report
 *   snapshot=N           send telemetry snapshots every N seconds, 0-3600 (default 0: at
 *                        boot and on `s` only)
 *   demo=NAME            run a demo scenario once booted (heap, stack, fork, wild, churn,
 *                        idle, or tour: all of them in turn), or the user program NAME;
 *                        the names are checked by the kernel
 *   demo_limit=N         stop a demo's tasks after N seconds, 1-86400 (default: no limit;
 *                        the k key stops them at any time)
 *   bug=NAME[,NAME]      teaching mode: make paging mistakes on purpose (koiz/bugs.h lists
 *                        them; docs/sanitizer.md), announced on every output
 *   tour_pause=N         seconds the tour waits between its scenes, 0-600 (default 1; the
 *                        floppy's tour entry says 5, time for people to look)
 *   bench                run the benchmarks (cycles per operation), then power off
 *   test_diverge=N       FOR TESTS ONLY: N seconds (1-3600) after boot, set PCD in the kernel
 *                        directory's entry for 0xC0400000 without telling the telemetry, so that
 *                        koiz-view --verify has a divergence to find (tests/gdb_tests.py)
 */
#ifndef KOIZ_OPTIONS_H
#define KOIZ_OPTIONS_H

#include <stdint.h>

/* The longest command line read is CMDLINE_MAX - 1 characters. The kernel copies up to
 * CMDLINE_MAX of them, so that options_parse sees when a line is longer. */
#define CMDLINE_MAX        256
#define TOUR_PAUSE_DEFAULT 1u /* seconds between the tour's scenes */

enum telemetry_target {
    TELEMETRY_AUTO = 0, /* e9 when the port exists, else serial */
    TELEMETRY_E9,
    TELEMETRY_SERIAL,
    TELEMETRY_BOTH,
    TELEMETRY_OFF,
};

enum telemetry_loss {
    TELEMETRY_LOSS_AUTO = 0, /* never for port 0xE9 alone, announce when COM1 carries it */
    TELEMETRY_LOSS_NEVER,    /* a full queue makes the kernel wait for the port */
    TELEMETRY_LOSS_ANNOUNCE, /* a full queue drops events, announced at once */
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
    uint32_t telemetry_queue; /* bytes; 0: the default */
    uint32_t baud;
    enum crash_kind crash;
    uint32_t snapshot_seconds;
    char demo[16];
    uint32_t demo_limit_seconds;   /* 0: no limit */
    uint32_t tour_pause_seconds;   /* between the tour's scenes */
    uint32_t test_diverge_seconds; /* tests only: 0, or when to corrupt an entry (see above) */
    uint32_t bugs;                 /* bug=...: mistakes made on purpose, BUG() bits (koiz/bugs.h) */
};

typedef void (*options_warn_fn)(void *ctx, const char *message);

/* Fills *opt (defaults first) from cmdline, of which it reads at most CMDLINE_MAX
 * bytes (a line that long is too long), and returns how many problems were reported. */
int options_parse(const char *cmdline, struct koiz_options *opt, options_warn_fn warn, void *ctx);

#endif
