/*
 * gdb_verify.h: koiz-view --verify: the model built from Koiz's telemetry
 * (model.h) compared with the page tables read from the guest's memory
 * through QEMU's GDB stub (gdb_paging.h), entry by entry, accessed and
 * dirty bits aside. A difference is a divergence: the telemetry said
 * something else than what the machine holds. Pure C, no SDL, no threads.
 *
 * Only spaces the model holds whole, with a known directory (cr3), whose
 * directory the poll read, are compared; each directory entry, and for a
 * table both sides have at the same frame, each of its entries. A reading
 * is compared only at a moment when the model should equal it: the caller
 * decides (koiz-view: no record arrived from a little before the poll
 * until the stream's lag had passed, or every N ms with `need` 2: a
 * divergence then counts only when two readings in a row show it, with the
 * same values, so that the stream's lag alone is never one).
 *
 * Memory is bounded: the first GDB_VERIFY_KEPT divergences are kept;
 * beyond that they are counted.
 */
#ifndef KOIZ_VIEW_GDB_VERIFY_H
#define KOIZ_VIEW_GDB_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gdb_paging.h"
#include "model.h"

#define GDB_VERIFY_KEPT 64

/* One entry where the model and the memory disagree. */
struct gdb_divergence {
    uint32_t asid, cr3, va;
    bool table;             /* a table entry (4 KiB page); else a directory entry */
    uint32_t model, memory; /* the two entries (0: not present) */
    uint32_t since_tick;    /* the model's tick when it was first seen */
    double since_s;         /* the caller's clock then */
    uint32_t seen;          /* comparisons in a row that showed it */
    bool confirmed;         /* seen `need` times in a row: a divergence for the user */
    bool open;              /* the last comparison showed it */
    bool told;              /* gdb_verify_next_told handed it out */
};

struct gdb_verify {
    uint32_t need;      /* comparisons in a row that must show a difference (1 or 2) */
    uint64_t checks;    /* comparisons made */
    uint64_t spaces;    /* spaces compared, all comparisons together */
    uint64_t not_whole; /* spaces skipped: the model did not hold them whole */
    uint64_t unread;    /* spaces skipped: their directory was not read */
    uint64_t confirmed; /* divergences confirmed, ever */
    uint64_t untracked; /* differences past GDB_VERIFY_KEPT, not kept */
    uint32_t n;
    struct gdb_divergence d[GDB_VERIFY_KEPT];
};

/* Starts with nothing seen; need: 1 (compared at quiet moments) or 2 (every N ms). */
void gdb_verify_init(struct gdb_verify *v, uint32_t need);

/* The directories a poll must read for the next comparison: the cr3 of every space the model holds
 * whole. Returns how many were put in cr3 (at most max). */
uint32_t gdb_verify_spaces(const struct model *m, uint32_t *cr3, uint32_t max);

/* Compares m with poll p (a drawable one; others are not compared). now: the caller's clock in
 * seconds. Returns the number of divergences this comparison confirmed. */
uint32_t gdb_verify_check(struct gdb_verify *v, const struct model *m, const struct gdb_paging *p,
                          double now);

/* Divergences confirmed and still open. */
uint32_t gdb_verify_open(const struct gdb_verify *v);

/* The next confirmed divergence not handed out yet (marked so), or NULL. */
const struct gdb_divergence *gdb_verify_next_told(struct gdb_verify *v);

/* A divergence in words: "space 0 (cr3 0x00161000) va 0xc0400000 directory entry: telemetry
 * 0x004001e3, memory 0x004001f3, since tick 412 (3.2 s)"; start: the clock's zero for the seconds. */
void gdb_verify_describe(const struct gdb_divergence *d, double start, char *out, size_t size);

#endif
