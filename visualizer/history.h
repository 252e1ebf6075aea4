/*
 * history.h: the time machine's memory of one stream. The stream's bytes are
 * a file (a recording, or the file a live stream is kept in as it arrives);
 * the history holds what makes any moment of it quick to show again:
 *
 *   the index       where each record's line starts (every 64th record's
 *                   offset; the rest are found by reading on), and its tick
 *   the marks       faults (with their outcome), spaces created and
 *                   destroyed, snapshots and rounds, losses, warnings,
 *                   panics and failed tests, by record number
 *   checkpoints     the whole model every HISTORY_CHECKPOINT records
 *                   (model_save), in a temporary file
 *   the changes     every entry change (model.h, struct entry_change) with
 *                   the record that made it, in a temporary file, sorted by
 *                   entry and by frame within each checkpoint's stretch
 *
 * A moment is a record count: moment n is the model after the stream's
 * first n records (0: before any). Records are numbered from 1 for people
 * ("#1" is the first record; moment #n is right after it).
 *
 * Two ways in. A recording: history_open_file, then history_index_step
 * (finds every record; fast, no model) and history_build_step (applies
 * them to a model of its own, making checkpoints and changes) until done,
 * in steps of a bounded size so a window stays alive. A live stream:
 * history_open_live on the file its bytes are kept in, and
 * history_live_record for each record the caller's parser applied to the
 * caller's model (history_watch hooks that model for changes): checkpoints
 * are taken of it as it goes.
 *
 * history_seek makes any model the model of any indexed moment: from the
 * nearest checkpoint at or before it (or from where that model already is,
 * when that is nearer), reading and applying the records between from the
 * file. Pure C, no SDL; memory stays small whatever the stream's size
 * (about 40 bytes per 64 records, 16 per mark; the rest is on disk).
 */
#ifndef KOIZ_VIEW_HISTORY_H
#define KOIZ_VIEW_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "record.h"

#define HISTORY_CHECKPOINT 32768 /* records between checkpoints, unless history_checkpoint_every says */
#define HISTORY_BLOCK      64    /* records per index entry */

/* What a mark on the timeline stands for. */
enum mark_kind {
    MARK_FAULT,         /* sub: the outcome (enum word_OUTCOME) */
    MARK_SPACE_CREATE,  /* a space created (or forked) */
    MARK_SPACE_DESTROY, /* a space destroyed */
    MARK_SNAPSHOT,      /* a round began (or a snapshot outside rounds) */
    MARK_LOSS,          /* a loss or a drop */
    MARK_WARN,          /* a warn record */
    MARK_PANIC,         /* a panic record */
    MARK_TEST_FAIL,     /* a failed self-test */
    MARK_KINDS
};

struct mark {
    uint64_t moment; /* the moment right after the record: its number (from 1) */
    uint32_t tick, asid, va;
    uint8_t kind, sub;
};

/* A row of an entry's or a frame's history: the change a record made. */
struct history_row {
    uint64_t moment; /* right after the record that made it */
    uint32_t tick;   /* the tick at that moment */
    struct entry_change c;
};

struct history;

/* Opens a recording for the time machine. NULL with a sentence in err. */
struct history *history_open_file(const char *path, char *err, size_t errsz);
/* Opens the file a live stream is being written to (it may be empty yet). */
struct history *history_open_live(const char *path, char *err, size_t errsz);
/* Frees everything; the temporary files go. */
void history_close(struct history *h);

/* A recording: indexes up to budget more bytes. Returns true when the whole file is indexed. */
bool history_index_step(struct history *h, size_t budget);
/* A recording: applies up to budget more bytes of records to the history's own model,
 * making checkpoints and changes. Returns true when it reached the end of the index. */
bool history_build_step(struct history *h, size_t budget);
/* Checkpoints every n records from now on (HISTORY_CHECKPOINT unless told; tests make them close). */
void history_checkpoint_every(struct history *h, uint64_t n);
/* Bytes indexed and built so far, and the file's size when opened (recordings). */
void history_progress(const struct history *h, uint64_t *indexed, uint64_t *built, uint64_t *size);

/* A live stream: hooks model m (the caller's, fed by its parser) so its changes are kept. */
void history_watch(struct history *h, struct model *m);
/* A recording's build pass: fn is told each record right after the model applied it, with its
 * moment (from 1); history_build_model is that model (hook its changes before the pass). */
void history_on_applied(struct history *h,
                        void (*fn)(void *ctx, const struct model *m, const struct record *r, uint64_t moment),
                        void *ctx);
struct model *history_build_model(struct history *h);
/* A live stream: the caller's parser applied r, whose line starts at byte line_start
 * of the file, to the watched model. */
void history_live_record(struct history *h, const struct record *r, uint64_t line_start);

/* Bytes of the temporary files: checkpoints, changes. */
void history_disk(const struct history *h, uint64_t *checkpoints, uint64_t *changes);
/* Moments known: the stream's records so far (the last moment). */
uint64_t history_moments(const struct history *h);
/* The moment history_build_step (or the live stream) reached: seeking before it is fast. */
uint64_t history_built(const struct history *h);
/* The tick at moment n: the last tick a record up to #n carried (0 before any); reads up to 64 records. */
uint32_t history_tick_at(const struct history *h, uint64_t n);
/* The last moment whose tick is at most tick (0 when the first record's is above). */
uint64_t history_moment_at_tick(const struct history *h, uint32_t tick);

/* The marks, in moment order: *count of them. */
const struct mark *history_marks(const struct history *h, size_t *count);
/* The first mark of kind (MARK_KINDS: any) after moment n, or before it (forward false); NULL when none. */
const struct mark *history_next_mark(const struct history *h, uint64_t n, int kind, bool forward);

/*
 * Makes m the model of moment n (clamped to what is indexed). *at, when
 * not NULL, holds the moment m is at on entry (UINT64_MAX: unknown) and the
 * one it reaches on return: from there, a seek forward reads only the
 * records between. Returns 0, or -1 when the file cannot be read (m is then
 * at *at, wherever it got).
 */
int history_seek(struct history *h, struct model *m, uint64_t n, uint64_t *at);
/* The nearest moment with a checkpoint at or before n (a seek to it costs no reading). */
uint64_t history_checkpoint_before(const struct history *h, uint64_t n);

/*
 * The history of one entry of space asid: the directory entry covering va
 * (dir) or the table entry of the page at va; every change to it up to the
 * last built moment, in moment order, into rows (at most max; returns how
 * many there were in all). A table entry's history has its directory
 * entry's changes too, as rows of their own (a table made or freed). The
 * kernel half's tables are every space's: their entries' changes are the
 * same for every asid (their key is MODEL_KERNEL_KEY).
 */
size_t history_entry(struct history *h, uint32_t asid, uint32_t va, bool dir, struct history_row *rows,
                     size_t max);
/* The history of one physical frame: every change of an entry that mapped it (old) or maps it (new). */
size_t history_frame(struct history *h, uint32_t frame, struct history_row *rows, size_t max);

/* Reads record #moment (from 1) into r, its text fields pointing into buf (size
 * bytes, PROTO_LINE_MAX at least). Returns 0, or -1 when it cannot be read. */
int history_record(struct history *h, uint64_t moment, struct record *r, char *buf, size_t size);
/* The fault that made the change at moment in space asid at va's page: a fault
 * mark of that page within a few records of it (the kernel reports a fault
 * after the change that resolves it), or NULL. */
const struct mark *history_fault_near(const struct history *h, uint64_t moment, uint32_t asid, uint32_t va);

/* "fault", "space create", ...: a mark kind in words. */
const char *mark_kind_name(int kind);

#endif
