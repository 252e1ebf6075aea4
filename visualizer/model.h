/*
 * model.h: what koiz-view knows about the running kernel, built only from
 * telemetry records (record.h): every address space's page directory and
 * page tables as raw entries, frame counters, boot facts, and bounded rings
 * of recent faults, log lines and self-test results. Pure C, no SDL: the
 * views read these structures directly (read-only) and redraw when
 * `version` moved.
 *
 * Address spaces live in MODEL_SPACES slots. `snap`, `space create` and
 * `space switch` name a space and create its slot; every other record for
 * an asid without a slot is counted (stats.unknown_asid) and ignored: a
 * space made of events alone would show a picture nobody can trust, and the
 * next snapshot creates it anyway. When every slot is taken the record is
 * counted (stats.spaces_full) and ignored.
 *
 * A space is `whole` from the `end` of a snapshot whose counts match until a
 * sign of loss: a `drop`, an unfinished or mismatched snapshot, or an event
 * that contradicts the model (stats.inconsistent). Events are applied to a
 * space that is not whole too, as best effort. Snapshots are built in a
 * staging copy and replace the space's contents only at a good `end`; events
 * that arrive meanwhile go to the shown space (the kernel sends a snapshot's
 * records in one go).
 */
#ifndef KOIZ_VIEW_MODEL_H
#define KOIZ_VIEW_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "record.h"

#define MODEL_SPACES     64       /* address spaces tracked at once */
#define MODEL_TABLES_MAX 16384    /* page tables held in all (64 MiB); beyond: not whole */
#define MODEL_FAULTS     256      /* recent faults kept */
#define MODEL_LOG_LINES  1000     /* recent log/warn/panic lines kept */
#define MODEL_TESTS      256      /* self-test results kept per boot */
#define MODEL_BENCH      64       /* benchmark figures kept per boot */
#define MODEL_TEXT_MAX   240      /* bytes of one kept text (PROTO_LINE_MAX) */
#define MODEL_NO_ASID    UINT32_MAX

/*
 * One address space. Invariant: table[i] is NULL unless dir[i] is present
 * and not PS; a present non-PS entry may still lack a table when the model
 * ran out of room (the space is then not whole). present[i] counts the
 * present entries of table[i].
 *
 * A table is ENTRIES raw entries followed by TABLE_WORDS 64-bit words with a
 * bit per present entry (table_bits()): the pictures derived from every
 * table each frame visit the present entries without reading the empty ones.
 */
#define TABLE_WORDS (ENTRIES / 64)
struct space {
    bool used;                  /* this slot holds a space */
    bool whole;                 /* contents equal the kernel's (see above) */
    uint32_t asid;
    uint32_t cr3;               /* from snap / space records; 0 when unknown */
    uint32_t snap_seq;          /* seq of the snapshot that made it whole */
    uint32_t dir[ENTRIES];      /* raw directory entries */
    uint32_t *table[ENTRIES];   /* raw table entries, or NULL */
    uint16_t present[ENTRIES];  /* present entries in table[i] */
    uint32_t pdes, ptes;        /* present directory entries, present table entries */
    uint32_t faults;            /* faults seen in this space */
};

/* The present-entry bitmap of table t: bit pti % 64 of word pti / 64 is set when t[pti] is present. */
static inline const uint64_t *table_bits(const uint32_t *t)
{
    return (const uint64_t *)(t + ENTRIES);
}

struct fault_event {
    uint32_t tick, asid, cr2, eip, error;
    enum fault_outcome outcome;
    char words[48];             /* the error code in words: "write user not-present" */
};

enum log_kind { LOG_LINE, LOG_WARN, LOG_PANIC };

struct log_line {
    uint32_t tick;              /* for warn and panic: the last tick seen before them */
    enum log_kind kind;
    uint16_t len;
    char text[MODEL_TEXT_MAX];  /* NUL-terminated */
};

struct test_result {
    bool pass;
    char name[48];
    char detail[MODEL_TEXT_MAX]; /* "where: text" of a failure */
};

struct bench_result {
    char name[48];
    uint32_t cycles_per_op, ops;
};

struct model_stats {
    uint64_t applied;           /* records that changed the model */
    uint64_t unknown_asid;      /* records for an asid without a slot */
    uint64_t spaces_full;       /* spaces refused: no free slot */
    uint64_t inconsistent;      /* events contradicting the model (space lost `whole`) */
    uint64_t table_limit;       /* tables not kept: MODEL_TABLES_MAX reached */
    uint64_t snaps_ok;          /* snapshots installed */
    uint64_t snaps_lost;        /* snapshots abandoned: counts mismatched, cut short, orphan */
    uint64_t orphan_runs;       /* pde/pte records outside their snapshot */
    uint64_t dropped_events;    /* sum of `drop` counts */
};

/* The staging copy a snapshot is built in. */
struct snap_stage {
    bool active, broken;
    uint32_t seq, tick;
    uint32_t pdes, ptes, records;   /* as counted while receiving */
    struct space sp;
};

struct model {
    uint64_t version;           /* moves on every change: redraw when it differs */
    uint64_t map_version;       /* moves when entries or spaces change: re-derive maps */
    uint32_t tick;              /* latest tick seen */
    uint32_t current_asid;      /* the live space, MODEL_NO_ASID when unknown */
    uint32_t live_cr3;          /* CR3 of the last `space switch`, 0 when none seen */
    uint32_t tables;            /* tables allocated, staging included */

    struct space spaces[MODEL_SPACES];
    struct snap_stage stage;

    bool have_hello, have_mem, have_frames, panicked;
    struct { uint32_t version; char build[24]; uint32_t usable_kib, page_size, pse, pge; } hello;
    struct { uint32_t usable_kib, regions, lower_kib, upper_kib, ignored_kib; } mem;
    struct { uint32_t tick, total, free, tables, kernel, process; } frames;
    struct { uint64_t invlpg, flushes; uint32_t last_va, tick; } tlb;

    struct fault_event faults[MODEL_FAULTS];   /* ring; see model_fault() */
    uint32_t fault_head, fault_count;
    uint64_t faults_total;
    struct log_line log[MODEL_LOG_LINES];      /* ring; see model_log() */
    uint32_t log_head, log_count;
    uint64_t log_total;

    struct test_result tests[MODEL_TESTS];
    uint32_t test_count;
    bool tests_done;
    uint32_t tests_passed, tests_failed;       /* from the `tests` record */
    struct bench_result bench[MODEL_BENCH];
    uint32_t bench_count;

    struct model_stats stats;
};

/* Allocates an empty model (no spaces, nothing known). NULL when out of memory. */
struct model *model_new(void);
/* Back to what model_new() returns (log and stats too), reusing the memory. */
void model_reset(struct model *m);
/* Frees the model and every table it holds. */
void model_free(struct model *m);

/*
 * Applies one record. Returns 1 when the model changed, 0 when the record
 * was counted and ignored (unknown asid, no free slot, orphan run).
 * A `hello` means a fresh boot: spaces, counters, faults, tests and bench
 * figures restart;
 * the log and the stats are kept.
 */
int model_apply(struct model *m, const struct record *r);

/* The space with this asid, or NULL. */
const struct space *model_space(const struct model *m, uint32_t asid);
/* The raw directory entry covering va in space asid; 0 when unknown. */
uint32_t model_pde(const struct model *m, uint32_t asid, uint32_t va);
/* The raw table entry for va, from the table of its directory entry; 0 when none. */
uint32_t model_pte(const struct model *m, uint32_t asid, uint32_t va);
/* The entry that translates va: the PDE of a 4 MiB page, else the PTE; 0 when none. */
uint32_t model_entry(const struct model *m, uint32_t asid, uint32_t va);

/* The i-th most recent fault (0 = newest), or NULL past model->fault_count. */
const struct fault_event *model_fault(const struct model *m, uint32_t i);
/* The i-th kept log line, oldest first (0 = oldest), or NULL past model->log_count. */
const struct log_line *model_log(const struct model *m, uint32_t i);

/* Writes the error code in words ("write user not-present") into buf; returns buf. */
char *fault_words(uint32_t error, char *buf, size_t size);

/*
 * Physical memory by owner, one byte per 4 KiB frame: PHYS_NONE, PHYS_KERNEL
 * (mapped only by supervisor entries), PHYS_TABLE (a directory or page table
 * of some space), PHYS_SHARED (user-mapped by several spaces), or
 * PHYS_SPACE + slot (user-mapped by the space in spaces[slot] only).
 * Tables win over user mappings, which win over kernel ones (the kernel's
 * direct map covers every frame). Costs one pass over present entries plus
 * one over the frames; the result changes only when map_version does.
 */
enum { PHYS_NONE, PHYS_KERNEL, PHYS_TABLE, PHYS_SHARED, PHYS_SPACE };
struct phys_counts {
    uint32_t none, kernel, tables, shared, user;
};
void model_phys_map(const struct model *m, uint8_t *owner, uint32_t nframes, struct phys_counts *counts);

/*
 * Prints the model as text: a line per space, then its mappings as runs of
 * equal size and leaf flags and consecutive frames, one line each:
 *   0xc0000000-0xc2000000   32M -> 0x00000000 4M RW    G
 * Spaces in asid order. For `koiz-view --dump`, scripts and tests.
 */
void model_dump(const struct model *m, FILE *f);

/*
 * Prints what the kernel said about itself, a line each: its build and
 * paging features, its memory, the self-test summary, the last panic.
 * Lines for what never arrived are left out. For `koiz-view --dump`.
 */
void model_dump_summary(const struct model *m, FILE *f);

/* Checks the model's own invariants; NULL when they hold, else "what: went wrong". */
const char *model_check(const struct model *m);

#endif
