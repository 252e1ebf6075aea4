/*
 * source_gdb.h: a live source (source.h) fed through QEMU's GDB stub. The
 * source's thread connects to the stub and polls the guest's paging
 * `rate` times a second (gdb_paging.h): it stops the guest, reads, and
 * lets it go. Pure C, no SDL.
 *
 * Watching (koiz-view --gdb): each poll becomes protocol records
 * (gdb_watch.h), put into the source's buffer as if a kernel had sent them,
 * so the parser, the model, --record and replay take them unchanged. The
 * guest's own output, when there is one (the QEMU koiz-view started, whose
 * port 0xE9 is its stdout, or standard input), becomes `log` records, a
 * line each (lines holding a Koiz record are left out): it is read just
 * before each poll, so a line the guest wrote before a stop comes before
 * that poll's records.
 *
 * Verifying (koiz-view --verify): the guest's output is Koiz's telemetry,
 * put into the buffer as it comes, and each poll reads the directories the
 * main thread asks for (the model's spaces) and is handed to it
 * (source_gdb_take_reading) for the comparison (gdb_verify.h).
 *
 * The stream ends when the stub goes away (QEMU quit: an end, not an
 * error, once a poll was made), after `polls` polls, or with an error (the
 * stub could not be reached, answered garbage, stalled past the deadline):
 * source_error() then says which.
 */
#ifndef KOIZ_VIEW_SOURCE_GDB_H
#define KOIZ_VIEW_SOURCE_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gdb_paging.h"
#include "source.h"

struct gdb_feed_options {
    const char *where; /* HOST:PORT, :PORT or unix:PATH */
    bool spawned;      /* koiz-view started that QEMU: connect again until it listens */
    double rate;       /* polls per second, > 0 */
    uint64_t polls;    /* stop after this many polls; 0: never */
    bool verify;       /* --verify: the fd carries telemetry; polls go to the main thread */
    uint32_t ram_kib;  /* the guest's RAM, for the physical map (the stub does not say) */
    int timeout_ms;    /* per request */
};

/* What the polls cost, for the status line and `scons bench`. Sums in microseconds. */
struct gdb_feed_stats {
    uint64_t polls;
    uint64_t stop_us, reads_us, resume_us, update_us, total_us, max_total_us;
    uint64_t requests, bytes; /* packets sent, guest memory read */
    uint64_t records;
    uint32_t spaces_max;      /* address spaces known at once, at most */
    double first_at, last_at; /* the clock (CLOCK_MONOTONIC seconds) at the first and last poll */
};

/*
 * Makes s (opened already: source_fd, with fd -1 when there is no guest
 * output to read, or source_spawn_qemu) a source fed through the stub.
 * Returns 0, or -1 with a sentence in err.
 */
int source_gdb(struct source *s, const struct gdb_feed_options *o, char *err, size_t errsz);

/* The source is fed through a stub. */
bool source_is_gdb(const struct source *s);
/* A free TCP port on 127.0.0.1 for QEMU's stub (-gdb), or 0. */
int source_gdb_free_port(void);

/* Copies the figures so far. */
void source_gdb_stats(struct source *s, struct gdb_feed_stats *out);
/* "" while the paging is drawn, else why not (paging off, PAE...), copied into out. */
void source_gdb_says(struct source *s, char *out, size_t size);
/* Asks the watch to forget space asid (window key f). */
void source_gdb_forget(struct source *s, uint32_t asid);
/* The clock the feed uses (CLOCK_MONOTONIC), in seconds. */
double source_gdb_now(void);

/* ---- --verify: the main thread's side ---- */

/* The directories the next polls must read (gdb_verify_spaces). */
void source_gdb_want(struct source *s, const uint32_t *cr3, uint32_t n);
/* With --verify the thread polls only when asked (at most `rate` times a second): asks for one. */
void source_gdb_ask(struct source *s);
/*
 * The newest poll not taken yet, or NULL; *stopped_at: when the guest was
 * stopped for it (source_gdb_now's clock). Valid until
 * source_gdb_release_reading, which must follow.
 */
const struct gdb_paging *source_gdb_take_reading(struct source *s, double *stopped_at);
void source_gdb_release_reading(struct source *s);

#endif
