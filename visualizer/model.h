/*
 * model.h: what koiz-view knows about the running kernel, built only from
 * telemetry records (record.h): every address space's page directory and
 * page tables as raw entries, frame counters, boot facts, and bounded rings
 * of recent faults, log lines and self-test results. Pure C, no SDL: the
 * views read these structures directly (read-only) and redraw when
 * `version` moved. Physical memory, from the kernel's frame allocator, is
 * model_frames.h's.
 *
 * Address spaces live and die with the kernel's (docs/protocol.md, "Rules
 * for readers"): `space create`, a `snap` or a `space switch` brings one
 * in; `space destroy` takes it out, and so does a complete round (`round`
 * ... `sync`) that did not name it. Any number come and go over a run
 * (asids up to 2^32-1); at most MODEL_SPACES_MAX live at once, which is far
 * more than a kernel with 64 slots can have. Every other record for an
 * unknown asid is counted (stats.unknown_asid) and ignored: a space made of
 * events alone would show a picture nobody can trust.
 *
 * A space is `whole` from the `end` of a good snapshot until a sign that it
 * may differ from the kernel's: a `loss` (events are being dropped, or the
 * stream paused), an unfinished or mismatched snapshot, or an event that
 * contradicts the model (stats.inconsistent). It then says since when and
 * why (`untrusted`). Events still apply to a space that is not whole, as
 * best effort, and are drawn as such. Snapshots are built in a staging copy
 * and replace the space's contents only at a good `end`.
 *
 * Each space keeps its regions as the kernel tells them (`region` records:
 * in every snapshot, and as they are added, resized and removed), in
 * address order; they go with the space. An event that does not fit them
 * (a resize of a region not held, an add over another) makes the space not
 * whole, as any contradiction does.
 */
#ifndef KOIZ_VIEW_MODEL_H
#define KOIZ_VIEW_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "record.h"

#define MODEL_SPACES_MAX  1024  /* address spaces alive at once; more are refused, counted */
#define MODEL_TABLES_MAX  16384 /* page tables held in all (64 MiB); beyond: not whole */
#define MODEL_TABLE_SLOTS 32768 /* the table registry's size: twice the tables it may hold */
#define MODEL_FAULTS      256   /* recent faults kept */
#define MODEL_LOG_LINES   1000  /* recent log/warn/panic lines kept */
#define MODEL_TESTS       256   /* self-test results kept per boot */
#define MODEL_BENCH       64    /* benchmark figures kept per boot */
#define MODEL_TEXT_MAX    240   /* bytes of one kept text (PROTO_LINE_MAX) */
#define MODEL_NO_ASID     UINT32_MAX
#define MODEL_REGIONS_MAX 32 /* regions kept per space (the kernel's hold at most 20); more: not whole */

/*
 * A page table as the model holds it. Like the hardware's, one table is
 * shared by every directory entry, of any space, that points at its frame:
 * the kernel half's tables are one set for all spaces, so an event there is
 * applied once and every space shows it. `bits` has a bit per present entry
 * (bit pti % 64 of word pti / 64): the pictures derived from every table
 * each frame visit the present entries without reading the empty ones.
 */
#define TABLE_WORDS (ENTRIES / 64)
struct ptab {
    uint32_t e[ENTRIES]; /* raw table entries */
    uint64_t bits[TABLE_WORDS];
    uint32_t present;       /* present entries */
    uint32_t frame;         /* its physical address (the directory entry's frame) */
    uint32_t refs;          /* directory entries holding it, the staging copy's included */
    uint32_t seen;          /* model_check's scratch: 0 outside it */
    bool stray;             /* an entry not present but not 0 was set: clear all of e when reused */
    struct ptab *next_free; /* in the model's pool of cleared tables */
};

/*
 * One entry changed, as the model saw it (model.on_change): key is the space
 * (its asid) for directory entries and the user half's table entries, and
 * MODEL_KERNEL_KEY for the kernel half's table entries, which every space
 * shares. va is the page the entry maps, with CHANGE_DIR set for a directory
 * entry (va then the start of its 4 MiB). old and new are the raw entries
 * (0: none). A space that goes loses each of its entries this way.
 */
#define MODEL_KERNEL_KEY 0xFFFFFFFEu
#define CHANGE_DIR       1u
struct entry_change {
    uint32_t key, va, old, new;
};

/* Why a space is not whole. */
enum untrusted {
    UNTRUSTED_NONE,          /* whole */
    UNTRUSTED_NEW,           /* no good snapshot of it yet */
    UNTRUSTED_LOST,          /* the kernel dropped events (`loss full`) */
    UNTRUSTED_PAUSED,        /* the kernel paused its events (`loss pause`) */
    UNTRUSTED_SNAPSHOT,      /* its snapshot arrived cut short or miscounted */
    UNTRUSTED_CONTRADICTION, /* an event did not fit what the model held: records went missing */
    UNTRUSTED_ROOM,          /* the model had no room for one of its tables */
    UNTRUSTED_COUNT
};

/* A region of a space as the kernel told it (`region` records): [start, end),
 * what it holds. A heap's end is its break; a stack's start is its limit. */
struct model_region {
    uint32_t start, end;
    enum word_HOLDS kind;
};

struct space {
    bool whole;         /* contents equal the kernel's (see above) */
    enum untrusted why; /* UNTRUSTED_NONE when whole */
    uint32_t since;     /* the tick since when it is not whole */
    uint32_t asid;
    uint32_t cr3;       /* from snap / space records; 0 when unknown */
    uint32_t snap_seq;  /* seq of the snapshot that made it whole */
    uint32_t round_seq; /* the last round whose snapshot of it arrived whole */
    uint32_t pdes;      /* present directory entries */
    uint32_t faults;    /* faults seen in this space */
    uint64_t active;    /* model.activity at the last event in it (0: none yet); the story's
                           space is the user space with the latest (view.c) */
    uint32_t ended;     /* the tick its `space destroy` came, in model.ended; 0 in a live space */
    uint32_t nregions;  /* regions[0 .. nregions-1], in address order */
    struct model_region regions[MODEL_REGIONS_MAX];
    /* The contents, last (model_save.c copies the fields above as they are). */
    uint32_t dir[ENTRIES]; /* raw directory entries */
    /* The table of each directory entry: NULL unless dir[i] is present and
     * not PS; a present non-PS entry may still lack one when the model ran
     * out of room (the space is then not whole). */
    struct ptab *table[ENTRIES];
};

/* The raw entries of the table of directory entry pdi, or NULL. */
static inline const uint32_t *space_table(const struct space *sp, uint32_t pdi)
{
    return sp->table[pdi] ? sp->table[pdi]->e : NULL;
}

/* Present entries in the table of directory entry pdi. */
static inline uint32_t space_present(const struct space *sp, uint32_t pdi)
{
    return sp->table[pdi] ? sp->table[pdi]->present : 0;
}

/* Present table entries of all of sp's tables (the shared ones counted in every space). */
uint32_t space_ptes(const struct space *sp);

struct fault_event {
    uint32_t tick, asid, cr2, eip, error;
    enum word_OUTCOME outcome;
    char words[64]; /* the error code in words (pf_error_words): "not-present write user" */
};

enum log_kind { LOG_LINE, LOG_WARN, LOG_PANIC };

struct log_line {
    uint32_t tick; /* for warn and panic: the last tick seen before them */
    enum log_kind kind;
    uint16_t len;
    char text[MODEL_TEXT_MAX]; /* NUL-terminated */
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
    uint64_t applied;        /* records that changed the model */
    uint64_t unknown_asid;   /* records for an asid the model does not hold */
    uint64_t spaces_full;    /* spaces refused: MODEL_SPACES_MAX alive */
    uint64_t spaces_removed; /* spaces gone by a complete round that did not name them */
    uint64_t inconsistent;   /* events contradicting the model (space lost `whole`) */
    uint64_t table_limit;    /* tables not kept: MODEL_TABLES_MAX reached */
    uint64_t snaps_ok;       /* snapshots installed */
    uint64_t snaps_lost;     /* snapshots abandoned: counts mismatched, cut short, orphan */
    uint64_t orphan_runs;    /* pde/pte records outside their snapshot */
    uint64_t dropped_events; /* sum of `drop` counts */
    uint64_t losses;         /* `loss` records */
    uint64_t rounds_ok;      /* rounds complete at their `sync` */
    uint64_t rounds_lost;    /* rounds that ended without every snapshot whole */
};

/* The staging copy a snapshot is built in. */
struct snap_stage {
    bool active, broken;
    uint32_t seq, tick;
    uint32_t pdes, ptes, records; /* as counted while receiving */
    uint32_t regions;             /* `region ... held` records received, in index order */
    uint32_t regions_told;        /* the count they said, 0 when none came */
    struct space sp;
};

struct model {
    uint64_t version; /* moves on every change: redraw when it differs */
    /* Told every entry that changes (history.c keeps them), or NULL. Kept by model_load. */
    void (*on_change)(void *ctx, const struct entry_change *c);
    void *change_ctx;
    /* Told them too, after on_change: the paging sanitizer's (sanitizer.c). Kept by model_load. */
    void (*check_change)(void *ctx, const struct entry_change *c);
    void *check_ctx;
    uint64_t map_version;   /* moves when entries or spaces change: re-derive maps */
    uint32_t tick;          /* latest tick seen */
    uint32_t current_asid;  /* the live space, MODEL_NO_ASID when unknown */
    uint32_t live_cr3;      /* CR3 of the last `space switch`, 0 when none seen */
    uint32_t tables;        /* tables allocated, staging included */
    struct ptab **registry; /* open addressing by frame: the table each frame holds now */
    struct ptab *pool;      /* tables let go of, cleared, for the next table_new (model_load makes many) */

    struct space **spaces; /* the live ones, in asid order: model_space_at() */
    uint32_t nspaces, spaces_cap;
    /* The user space destroyed last, as it was at its end, with tables of its own (none of the
     * model's): shown on while it is the story's space (model_ended). Let go of at the next
     * `space create` or a new boot; not kept in checkpoints (model_load lets it go). */
    struct space *ended;
    uint64_t activity; /* counts events in user spaces (space.active) */
    struct snap_stage stage;
    struct { /* the round under way, from `round` to `sync` */
        bool active, broken;
        uint32_t seq, spaces, whole; /* whole: its snapshots that arrived whole */
        uint32_t last_asid;          /* its last snapshot's space: the live one */
    } round;
    struct { /* the last loss: open from `loss` to `drop` */
        bool open, paused;
        uint32_t since;              /* tick of the `loss` record */
        uint32_t count, first, last; /* of the last `drop` */
    } loss;
    uint32_t synced_tick; /* the tick of the last complete round */
    bool regions_seen;    /* a `region` record arrived: the kernel tells regions (older ones do not) */
    bool shared_ring;     /* a `ring start` arrived: the records come through shared memory */

    bool have_hello, have_mem, have_frames, panicked;
    struct {
        uint32_t version;
        char build[24];
        uint32_t usable_kib, page_size, pse, pge;
    } hello;
    struct {
        uint32_t usable_kib, regions, lower_kib, upper_kib, ignored_kib;
    } mem;
    struct {
        uint32_t tick, total, free, tables, kernel, process;
    } frames;                    /* the last `frames` counters */
    struct frame_map *frame_map; /* every frame's owner and mappings (model_frames.h) */
    struct {
        uint64_t invlpg, flushes;
        uint32_t last_va, tick;
    } tlb;

    uint32_t fault_head, fault_count; /* the ring faults[] below; see model_fault() */
    uint64_t faults_total;
    uint32_t log_head, log_count; /* the ring log[] below; see model_log() */
    uint64_t log_total;
    uint32_t test_count;
    bool tests_done;
    uint32_t tests_passed, tests_failed; /* from the `tests` record */
    uint32_t bench_count;

    struct model_stats stats;

    /* The kept texts and events, last: model_save.c copies the fields above
     * as they are and only the used part of these. */
    struct fault_event faults[MODEL_FAULTS];
    struct log_line log[MODEL_LOG_LINES];
    struct test_result tests[MODEL_TESTS];
    struct bench_result bench[MODEL_BENCH];
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
/* The i-th live space in asid order (0 <= i < m->nspaces), or NULL. */
const struct space *model_space_at(const struct model *m, uint32_t i);
/* The user space destroyed last, as it was when its `space destroy` came (space.ended holds
 * that tick), or NULL: gone since a `space create` or a new boot. */
const struct space *model_ended(const struct model *m);
/* The space a story follows: the user space (asid other than 0) an event touched last (its
 * `space create` aside: made is not yet run), or the
 * ended one when nothing happened in a live user space since it ended; NULL when no user
 * space saw an event yet. */
const struct space *model_story_space(const struct model *m);
/* Whether every space is whole; if not, the earliest tick since when one is
 * not and why (either pointer may be NULL). */
bool model_whole(const struct model *m, uint32_t *since, enum untrusted *why);
/* "records lost", ...: why a space is not whole, in words. */
const char *untrusted_name(enum untrusted why);
/* The raw directory entry covering va in space asid; 0 when unknown. */
uint32_t model_pde(const struct model *m, uint32_t asid, uint32_t va);
/* The raw table entry for va, from the table of its directory entry; 0 when none. */
uint32_t model_pte(const struct model *m, uint32_t asid, uint32_t va);
/* The entry that translates va: the PDE of a 4 MiB page, else the PTE; 0 when none. */
uint32_t model_entry(const struct model *m, uint32_t asid, uint32_t va);

/* Pages of [start, end) that sp maps (a 4 MiB page counts its 1,024), for
 * region views: start and end page aligned, end 0 meaning 4 GiB. */
uint32_t model_present_pages(const struct space *sp, uint32_t start, uint32_t end);
/* "code", "heap", ...: what a region holds, in the protocol's word. */
const char *region_kind_name(enum word_HOLDS kind);

/* The i-th most recent fault (0 = newest), or NULL past model->fault_count. */
const struct fault_event *model_fault(const struct model *m, uint32_t i);
/* The i-th kept log line, oldest first (0 = oldest), or NULL past model->log_count. */
const struct log_line *model_log(const struct model *m, uint32_t i);

/*
 * Prints the model as text: a line per space, its regions like
 * /proc/PID/maps (range, size, what it holds, pages present of pages in it),
 *   region 0xbffbf000-0xbffff000   256K stack    3/64 present
 * then its mappings as runs of equal size and leaf flags and consecutive
 * frames, one line each:
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

/* Physical memory: frame owners, references, the reverse map. */
#include "model_frames.h"

#endif
