/*
 * cli.h: koiz-view's command line, parsed into options; the usage text.
 * Pure C: the tests and main.c share it.
 */
#ifndef KOIZ_VIEW_CLI_H
#define KOIZ_VIEW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KOIZ_VIEW_VERSION "1.0"

enum input_mode {
    IN_BOCHS,  /* default: start Bochs with the project's bochsrc */
    IN_QEMU,   /* --qemu */
    IN_STDIN,  /* - */
    IN_FILE,   /* FILE: replay (a FIFO or character device is read live) */
    IN_SERIAL, /* --serial DEV --baud N */
    IN_GDB,    /* --gdb HOST:PORT alone: QEMU's GDB stub only */
};

struct options {
    enum input_mode mode;
    const char *path;       /* FILE */
    const char *device;     /* --serial */
    int baud;               /* --baud, default 115200 */
    const char *record;     /* --record FILE */
    bool dump;              /* --dump: print the model at the end */
    bool headless;          /* --headless: no window */
    const char *screenshot; /* --screenshot FILE.png */
    uint64_t after;         /* --after N: stop after N records (0: at the end of the stream) */
    bool until;             /* --until KIND: stop at the first record of that kind */
    uint64_t until_kinds;   /* its kinds (enum record_type, record.h), a bit each */
    const char *until_name; /* as it was given */
    int width, height;      /* --size WxH */
    double speed;           /* --speed N: replay records per second */
    bool paused;            /* --paused: a replay starts paused */
    bool bench;             /* --bench: measure a replay of FILE (bench.h) */
    int megs;               /* --megs N: the emulator's RAM */
    bool gdb;               /* --gdb: polls through QEMU's GDB stub (with --qemu: the QEMU started) */
    const char *gdb_where;  /* --gdb HOST:PORT; NULL with --qemu */
    int rate;               /* --rate N: polls per second (default 10) */
    uint64_t polls;         /* --polls N: stop after N polls (0: never) */
    bool verify;            /* --verify: telemetry and the stub compared */
    int verify_every_ms;    /* --verify-every MS: compare every MS ms (0: at quiet moments) */
    const char *kernel;     /* --kernel FILE: QEMU boots this multiboot kernel (-kernel) */
    const char *append;     /* --append TEXT: its command line */
    bool help, version;
};

/*
 * Parses argv into o. Returns 0, or -1 with a one-line message in err
 * ("unknown option '--frob'").
 */
int cli_parse(int argc, char **argv, struct options *o, char *err, size_t errsz);
void cli_usage(FILE *f);

#endif
