/*
 * gdb_run.h: koiz-view's main thread with --gdb and --verify (main.c calls
 * these): opening the input (a QEMU koiz-view starts with its stub, a stub
 * alone, or a stub beside standard input or a FIFO), the comparisons of
 * --verify and when they are made, and what the status line and a headless
 * run say about the polls. Pure C, no SDL.
 *
 * --verify compares at quiet moments: when no record has arrived for a
 * while, it asks for a poll; the poll is compared with the model once no
 * record arrived from before the poll's stop until GDB_RUN_QUIET_S after
 * it (longer than the kernel's queue can hold a record back: about 16
 * ticks on port 0xE9, docs/protocol.md), so the model then shows what the
 * kernel had done by the stop. A record in that time makes the poll
 * useless: the next quiet moment brings another. With --verify-every MS a
 * poll every MS ms is compared as soon as it arrives, and a difference
 * counts when two polls in a row show it with the same values.
 */
#ifndef KOIZ_VIEW_GDB_RUN_H
#define KOIZ_VIEW_GDB_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "gdb_verify.h"
#include "model.h"
#include "source.h"

#define GDB_RUN_QUIET_S 0.25 /* no record for this long after a poll's stop: the model caught up */
#define GDB_RUN_IDLE_S  0.1  /* no record for this long: a quiet moment begins, worth a poll */

struct gdb_run {
    bool on, verify;
    int every_ms;
    struct gdb_verify v;
    double start;                  /* source_gdb_now() when the input was opened */
    uint64_t records;              /* the parser's count at the last step */
    double last_record_at;         /* when that count last moved */
    double last_ask;               /* when a poll was last asked for */
    bool asked;                    /* and it has not come yet */
    const struct gdb_paging *held; /* a poll waiting for its quiet time, or NULL */
    double held_at;                /* its stop */
    uint64_t not_quiet;            /* polls dropped: a record came before their quiet time was over */
    char last[240];                /* the newest divergence in words */
};

/*
 * Opens the input for --gdb / --verify into src (o->gdb is set): QEMU
 * started with its stub (IN_QEMU; root: the Koiz tree), the stub alone
 * (IN_GDB), or the stub beside standard input or a FIFO. Returns 0, or
 * an exit status after err was filled (1: cannot, 2: a bad combination).
 */
int gdb_run_open(struct gdb_run *r, struct source *src, const struct options *o, const char *root,
                 bool headless, char *err, size_t errsz);

/*
 * One step of the main loop, after the bytes read were parsed (records: the
 * parser's count so far): --verify's comparisons. A divergence confirmed
 * goes to stderr when headless, and into the model's log as a warning.
 */
void gdb_run_step(struct gdb_run *r, struct source *src, struct model *m, uint64_t records, bool headless);

/* The status line's state (after main.c's): why nothing is drawn, the polls, --verify's verdict. */
void gdb_run_describe(struct gdb_run *r, struct source *src, char *state, size_t size);

/* At the end: a summary of the polls and of --verify on stderr; 3 when a divergence was found, else 0. */
int gdb_run_finish(struct gdb_run *r, struct source *src);

#endif
