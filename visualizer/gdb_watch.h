/*
 * gdb_watch.h: turns polls of a guest's paging (gdb_paging.h) into
 * telemetry records of protocol version 1 (include/koiz/records.def,
 * docs/protocol.md), so that koiz-view draws a kernel that sends no
 * telemetry through the same parser and model as Koiz's own stream, and
 * --record, replay and every panel work unchanged. Pure C, no SDL, no
 * threads: the caller polls, hands each poll over, and gets lines back.
 *
 * What the records say:
 *   - the first poll that draws (and the first after paging was off, in PAE
 *     or long mode, or after CR4.PSE changed): `hello` (its pse and pge: CR4's)
 *     and `mem` the first time, then a round: a snapshot of every known
 *     space, the live one last;
 *   - later polls: the differences as events, per page table frame (one
 *     table seen under several entries or spaces changes once): `map`,
 *     `unmap`, `remap` (same page, other frame), `protect` (same frame,
 *     other flags); per directory entry: `ptab alloc` / `ptab free` (with
 *     the `unmap` of its pages first), 4 MiB `map` / `unmap` / `protect`;
 *     `space switch` when CR3 changed; `space destroy` for a space whose
 *     directory no longer looks like one (gdb_paging_also) or that the
 *     user forgot. A change no event can say exactly (a directory entry's
 *     own flags, a table that appears under a second entry, an entry of the
 *     kernel half that changed in one space only: the protocol applies
 *     those to every space) is sent as a fresh snapshot of that space;
 *   - a CR3 not seen before becomes a new space (asid counting from 1,
 *     never reused) by a snapshot: the protocol's `space create` means an
 *     empty user half and Koiz's kernel half, which another kernel need not
 *     have;
 *   - paging off, PAE, long mode, a directory that cannot be read: a `warn`
 *     with the reason and a round with no space (nothing is drawn), until
 *     32-bit paging is back;
 *   - a space with a table that could not be read (over the table budget,
 *     refused): its snapshot comes with `end` counting the entries it lacks,
 *     so the model shows the space as not whole ("snapshot cut short"), and
 *     a `warn` names the table; a 4 MiB entry with bits 13-21 set is left
 *     out, with a `warn`.
 *
 * Accessed and dirty bits are not events (the protocol has none for them,
 * and the CPU sets them all the time): a change of those bits alone sends
 * nothing; any other change sends the entry as it is, A and D included.
 * Without CR4.PSE a directory entry's PS bit is ignored by the CPU, and is
 * sent cleared: the entry points to a table.
 *
 * Timestamps (`tick` fields) are the caller's: koiz-view gives hundredths
 * of a second of the host's clock since the watch began.
 */
#ifndef KOIZ_VIEW_GDB_WATCH_H
#define KOIZ_VIEW_GDB_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gdb_paging.h"

#define GDB_WATCH_SPACES_MAX GDB_PAGING_ALSO_MAX /* spaces known at once: the oldest not live goes */

/* Receives one record line (ends with '\n'). */
typedef void (*gdb_watch_emit_fn)(void *arg, const char *line, size_t len);

struct gdb_watch;

/* Counters, for the status line and figures. */
struct gdb_watch_stats {
    uint64_t polls;     /* updates made */
    uint64_t records;   /* lines emitted */
    uint64_t events;    /* of which events (map, unmap, ...) */
    uint64_t snapshots; /* snapshots sent (rounds' and single ones) */
    uint64_t rounds;
    uint32_t spaces; /* known now */
    uint32_t live_asid;
};

/*
 * A watch with nothing seen yet. ram_kib: the guest's RAM for the `mem`
 * record (the physical map's size; QEMU's stub does not say it), 0 when
 * unknown. NULL when out of memory.
 */
struct gdb_watch *gdb_watch_new(uint32_t ram_kib);
void gdb_watch_free(struct gdb_watch *w);

/* Sets the directories the next poll into p must read besides the current one: the known spaces'.
 * Returns 0, or -1 out of memory. */
int gdb_watch_prepare(struct gdb_watch *w, struct gdb_paging *p);

/*
 * Turns poll p (read with gdb_watch_prepare's directories) into records,
 * handed to emit one line at a time, stamped with tick. A poll that failed
 * (p->mode GDB_PAGING_UNREAD) sends nothing.
 */
void gdb_watch_update(struct gdb_watch *w, const struct gdb_paging *p, uint32_t tick, gdb_watch_emit_fn emit,
                      void *arg);

/* Forgets space asid (not the live one): its `space destroy` goes with the next update. 0, or -1 when
 * there is no such space or it is live. */
int gdb_watch_forget(struct gdb_watch *w, uint32_t asid);

/* "" while the paging is drawn, else why not ("PAE paging (CR4.PAE): not drawn yet"). */
const char *gdb_watch_says(const struct gdb_watch *w);
const struct gdb_watch_stats *gdb_watch_stats(const struct gdb_watch *w);

#endif
