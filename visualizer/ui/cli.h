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

/* A moment of the stream, as given: a tick, or #N (right after the N-th record). */
struct moment_arg {
    bool set, record; /* record: #N */
    uint64_t value;
};

struct options {
    enum input_mode mode;
    const char *path;       /* FILE */
    const char *device;     /* --serial */
    int baud;               /* --baud, default 115200 */
    const char *record;     /* --record FILE */
    bool dump;              /* --dump: print the model at the end */
    bool check;             /* --check: the paging sanitizer's warnings, status 4 when any */
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
    bool bench_travel;      /* --bench-travel: measure the time machine on FILE */
    int megs;               /* --megs N: the emulator's RAM */
    bool fast;              /* --fast: an emulator's guest time is not kept to the wall clock */
    /* the time machine (headless: each prints its answer, then --dump/--screenshot show the moment) */
    struct moment_arg at;             /* --at MOMENT: the picture and dump at that moment */
    struct moment_arg diff_a, diff_b; /* --diff A B: what changed from A to B */
    bool diff_spaces;                 /* --diff-spaces X Y: two spaces at --at (or the end) */
    uint32_t space_x, space_y;
    bool history; /* --history VA: every change of the entry of VA */
    uint32_t history_va;
    bool history_dir;   /* --dir: of its directory entry */
    bool history_frame; /* --history-frame PA: every mapping of the frame of PA */
    uint32_t frame_pa;
    bool asid_set; /* --asid N: the space of --history, --walk and a time-machine screenshot */
    uint32_t asid;
    uint32_t *walks; /* --walk VA, each given (malloc'd; cli_free) */
    int nwalks;
    uint32_t walk_asid; /* the space walked: --asid's, or UINT32_MAX for the live one */
    uint32_t *frames;   /* --frame PA, each given */
    int nframes;
    bool gdb;              /* --gdb: polls through QEMU's GDB stub (with --qemu: the QEMU started) */
    const char *gdb_where; /* --gdb HOST:PORT; NULL with --qemu */
    int rate;              /* --rate N: polls per second (default 10) */
    uint64_t polls;        /* --polls N: stop after N polls (0: never) */
    bool verify;           /* --verify: telemetry and the stub compared */
    int verify_every_ms;   /* --verify-every MS: compare every MS ms (0: at quiet moments) */
    const char *kernel;    /* --kernel FILE: QEMU boots this multiboot kernel (-kernel) */
    const char *append;    /* --append TEXT: its command line */
    bool port_only;        /* --port-only: QEMU's records through port 0xE9 only, no shared memory */
    bool help, version;
};

/*
 * Parses argv into o. Returns 0, or -1 with a one-line message in err
 * ("unknown option '--frob'").
 */
int cli_parse(int argc, char **argv, struct options *o, char *err, size_t errsz);
/* Whether o asks a question of the time machine (--at, --diff, --diff-spaces, --history...). */
bool cli_travels(const struct options *o);
void cli_usage(FILE *f);
/* Frees what cli_parse allocated in o. */
void cli_free(struct options *o);

#define CLI_LOOKUPS_MAX 100000 /* --walk and --frame, each, given at most */

#endif
