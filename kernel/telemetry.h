/*
 * telemetry.h: the kernel's side of the telemetry stream: a bounded queue
 * of record lines drained to port 0xE9 and/or COM1 (telemetry= option),
 * snapshots at boot, on the `s` key, every N seconds (snapshot=N) and after
 * any loss. The records themselves come from telemetry/emit.c.
 */
#ifndef KOIZ_TELEMETRY_H
#define KOIZ_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

/* Starts the stream once paging is up (vmm hooks installed, first snapshots sent). */
void telemetry_init(void);
int telemetry_active(void);
/* Queues one finished record line. An event may be dropped when the queue is
 * full (and counted); a record that must arrive (keep: test results, log
 * lines, panics) makes room by writing the queue out first. */
void telemetry_queue(const char *line, size_t len, int keep);
/* Writes out everything queued, then any snapshot that is due. Not from interrupts. */
void telemetry_flush(void);
/* Writes out everything queued, nothing more: safe in a panic. */
void telemetry_drain(void);
/* Called on every PIT tick: drains a bounded part of the queue. */
void telemetry_tick(void);
/* Stops and restarts the event hooks (the benchmark's telemetry-off runs). */
void telemetry_pause(void);
void telemetry_resume(void);
/* Asks for snapshots of every address space at the next flush (the `s` key). */
void telemetry_request_snapshot(void);
/* Empty functions the Bochs proof sets breakpoints on: a snapshot was just written
 * out whole, or a burst of events was. Never inlined, so the address is real. */
void tel_snapshot_done(void) __attribute__((noinline));
void tel_events_done(void) __attribute__((noinline));

struct telemetry_stats {
    uint32_t queued_bytes, written_bytes, dropped_records, drops, queue_high_water;
};
const struct telemetry_stats *telemetry_stats(void);

#endif
