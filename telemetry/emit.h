/*
 * emit.h: turning the memory manager's activity into telemetry records
 * (docs/protocol.md). It is plain C: the kernel gives it a sink that
 * queues lines for port 0xE9 / COM1, host tests give it one that feeds the
 * visualizer's parser directly.
 *
 * All records about paging come from here: the vmm hooks (vmm/hooks.h) for
 * events, and tel_snapshot for whole address spaces.
 */
#ifndef KOIZ_TELEMETRY_EMIT_H
#define KOIZ_TELEMETRY_EMIT_H

#include <stddef.h>
#include <stdint.h>

struct address_space;

struct tel_sink {
    /* One complete record line, '\n' included. */
    void (*write)(void *ctx, const char *line, size_t len);
    /* The timestamp for events (the PIT tick in the kernel). */
    uint32_t (*now)(void *ctx);
    void *ctx;
};

struct tel_counts {
    uint32_t records, bytes, snapshots, rounds;
    uint32_t muted;             /* records not formatted while muted */
};

/* Remembers the sink and installs the vmm hooks; NULL uninstalls them. */
void tel_emit_start(const struct tel_sink *sink);

/* Sends one address space whole: snap, pde and pte runs, end. */
void tel_snapshot(const struct address_space *as);
/* Sends a round: `round`, a snapshot of every live address space (the live
 * one last), `sync`. reason is one of protocol.h's ROUND_* words. */
void tel_round(const char *reason);
/* While muted, records are counted (tel_counts()->muted) instead of formatted
 * and sent: the kernel's pause, at the cost of a call per event. */
void tel_emit_mute(int on);

/* Sends the frame counters if they changed since last time (or always, with force). */
void tel_send_counters(int force);

/* Formats and sends one record of any type (for the kernel's other records). */
void tel_record(const char *type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const struct tel_counts *tel_counts(void);

#endif
