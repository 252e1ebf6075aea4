/*
 * record.h: one telemetry record as typed values, the hand-off between the
 * parser (which checks the text of docs/protocol.md and fills these) and the
 * model (which applies them). Everything here has passed the parser's field
 * checks: indices are in range, runs stay inside one table, counts are >= 1.
 *
 * Text fields point into the parser's line buffer and are valid only during
 * the model_apply() call that receives the record; they are not terminated.
 */
#ifndef KOIZ_VIEW_RECORD_H
#define KOIZ_VIEW_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <koiz/paging.h>     /* entry bits, PDX/PTX, page sizes, page-fault error bits */

/* One value per record as the model sees it; `ptab` and `space` split by verb. */
enum record_type {
    RT_HELLO, RT_MEM, RT_LOG, RT_WARN, RT_PANIC, RT_TEST, RT_TESTS,
    RT_SNAP, RT_PDE, RT_PTE, RT_END,
    RT_MAP, RT_UNMAP, RT_PROTECT, RT_PTAB_ALLOC, RT_PTAB_FREE,
    RT_SPACE_CREATE, RT_SPACE_DESTROY, RT_SPACE_SWITCH,
    RT_TLB, RT_FAULT, RT_FRAMES, RT_DROP, RT_BENCH,
    RT_REMAP, RT_LOSS, RT_ROUND, RT_SYNC, RT_FORK,
    RT_COUNT
};

/* Why events stopped (`loss`); why a round was sent (`round`). */
enum loss_reason { LOSS_R_FULL, LOSS_R_PAUSE, LOSS_R_COUNT };
enum round_reason { ROUND_R_BOOT, ROUND_R_REQUEST, ROUND_R_PERIODIC, ROUND_R_LOSS, ROUND_R_COUNT };

enum fault_outcome {
    FO_ZERO_FILLED, FO_STACK_OVERFLOW, FO_OUT_OF_MEMORY, FO_FATAL, FO_KILLED, FO_EXPECTED, FO_COPIED,
    FO_COUNT
};

struct text {
    const char *s;
    size_t len;
};

struct record {
    enum record_type type;
    uint32_t tick;              /* events, log, snap; 0 where the record has none */
    uint32_t asid;              /* records that name an address space */
    union {
        struct { uint32_t version; char build[24]; uint32_t usable_kib, page_size, pse, pge; } hello;
        struct { uint32_t usable_kib, regions, lower_kib, upper_kib, ignored_kib; } mem;
        struct text text;       /* log, warn, panic */
        struct { struct text name; int pass; struct text detail; } test;
        struct { uint32_t passed, failed; } tests;
        struct { uint32_t seq, cr3; } snap;
        struct { uint32_t pde, first, count, entry; } run;     /* pde (pde unused), pte */
        struct { uint32_t seq, pdes, ptes, records; } end;
        struct { uint32_t va, large, count, entry; } pages;    /* map, remap; unmap; protect: entry = flags */
        struct { uint32_t pde, entry; } ptab;                   /* entry unused for free */
        struct { uint32_t cr3; } space;
        struct { uint32_t parent; } fork;                       /* asid: the child */
        struct { uint32_t va; int all; } tlb;
        struct { uint32_t cr2, eip, error; enum fault_outcome outcome; } fault;
        struct { uint32_t total, free, tables, kernel, process; } frames;
        struct { uint32_t count, first, last; } drop;          /* first, last: 0 in the old 2-field form */
        struct { enum loss_reason reason; } loss;
        struct { uint32_t seq, spaces; enum round_reason reason; } round;   /* round; sync (reason unused) */
        struct { struct text name; uint32_t cycles_per_op, ops; } bench;
    } u;
};

/* "map", "ptab-alloc", ...: a short name for stats and messages. */
const char *record_type_name(enum record_type t);
/* "zero-filled", ...: the wire spelling of an outcome. */
const char *fault_outcome_name(enum fault_outcome o);
/* "full", "pause"; "boot", "request", ...: the wire spellings. */
const char *loss_reason_name(enum loss_reason r);
const char *round_reason_name(enum round_reason r);

#endif
