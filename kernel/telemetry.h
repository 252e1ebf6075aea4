/*
 * telemetry.h: the kernel's side of the telemetry stream: a bounded queue
 * of record lines drained to port 0xE9 and/or COM1 (telemetry= option),
 * back-pressure or announced loss when it is full (telemetry_loss=),
 * snapshot rounds at boot, on the `s` key, every N seconds (snapshot=N)
 * and after any loss or pause. The records themselves come from
 * telemetry/emit.c.
 */
#ifndef KOIZ_TELEMETRY_H
#define KOIZ_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>
#include <koiz/options.h>
#include <koiz/records.h>

/* From the first line of kmain: records (hello, warnings) go straight to the
 * ports the telemetry= option names so far, console text is kept for the
 * `log` records. Telemetry is the only writer of records (telemetry/emit.c
 * formats them, this file queues and writes them). */
void telemetry_early(void);
/* Starts the stream once paging is up (vmm hooks installed, the boot log
 * sent, a first round of snapshots), or turns it off (telemetry=off, no port). */
void telemetry_init(void);
int telemetry_active(void);
/* Where the queue lies, [*start, *end) in the kernel's image: its own whole pages. */
void telemetry_queue_area(uintptr_t *start, uintptr_t *end);
/* Queues one finished record line. When the queue is full, an event waits
 * for room (telemetry_loss=never) or is dropped and the loss announced
 * (announce); a record that must arrive (keep: test results, log lines,
 * panics, rounds) always waits for room. */
void telemetry_queue(const char *line, size_t len, int keep);
/* The counters if they changed, the end of a loss (`drop` and a resync
 * round), a round that was asked for, then everything queued written out.
 * Only where no page table is half changed; not from interrupts. */
void telemetry_flush(void);
/* The scheduler's point between two tasks: the counters (once a tick at
 * most) and the end of a loss once the queue has drained enough; never
 * waits for the whole queue. */
void telemetry_sched_point(void);
/* Writes out everything queued, nothing more: safe in a panic. */
void telemetry_drain(void);
/* Called on every PIT tick (pit_on_tick): drains a bounded part of the queue. */
void telemetry_tick(void);
/* Stops events and says so (`loss pause`); they are counted, not formatted.
 * The resume sends `drop` and a resync round at once: call it where no
 * table is half changed. For self-tests and the benchmarks' telemetry-off runs. */
void telemetry_pause(void);
void telemetry_resume(void);
/* Asks for a round (a snapshot of every address space) at the next flush;
 * (the `s` key: ROUND_REQUEST). */
void telemetry_request_round(enum word_ROUND reason);
/* Changes the loss policy and the queue's size (1,024 to 32,768 bytes; 0:
 * the size the kernel option chose), after writing out what is queued; -1
 * when out of range. For self-tests. */
int telemetry_set_loss(enum telemetry_loss policy, uint32_t queue_bytes);
enum telemetry_loss telemetry_loss_policy(void);
/* Empty functions the Bochs proof sets breakpoints on: a snapshot was just written
 * out whole, or a burst of events was. Never inlined, so the address is real. */
void tel_snapshot_done(void) __attribute__((noinline));
void tel_events_done(void) __attribute__((noinline));

struct telemetry_stats {
    uint32_t queued_bytes, written_bytes, queue_high_water;
    uint32_t dropped_records;     /* events dropped or muted */
    uint32_t drops;               /* losses (each a `loss` record) */
    uint32_t waits, waited_bytes; /* back-pressure: times the queue was written out to make room */
};
const struct telemetry_stats *telemetry_stats(void);

#endif
