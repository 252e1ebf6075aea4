/*
 * send.h: sending one telemetry record (docs/protocol.md): tel_send_<kind>
 * formats it with its kind's formatter and hands it to a sink. Plain C:
 * the kernel's sink queues lines for port 0xE9 / COM1 (kernel/telemetry.c),
 * host tests' feed koiz-view's parser directly. What the memory manager sends is made in emit.h.
 */
#ifndef KOIZ_TELEMETRY_SEND_H
#define KOIZ_TELEMETRY_SEND_H

#include <stddef.h>
#include <stdint.h>
#include <koiz/records.h>

struct tel_sink {
    /* One complete record line of type t, '\n' included. */
    void (*write)(void *ctx, enum record_type t, const char *line, size_t len);
    /* The timestamp for events (the PIT tick in the kernel). */
    uint32_t (*now)(void *ctx);
    void *ctx;
};

struct tel_counts {
    uint32_t records, bytes, snapshots, rounds;
    uint32_t muted; /* records not formatted while muted */
};

/* Remembers the sink records go to (NULL: none, records are not made). */
void tel_set_sink(const struct tel_sink *sink);
/* Whether a sink is set. */
int tel_has_sink(void);
/* The sink's clock (the PIT tick in the kernel), 0 without one. */
uint32_t tel_now(void);

/* Sends one record: tel_send_map(&(struct rec_map){.tick = ..., ...}),
 * one per kind. The kind's formatter (rec_line_<member>, records.h) writes
 * the line and the sink gets it; while muted, an event is only counted.
 * Nothing without a sink. */
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields) void tel_send_##member(const struct rec_##member *f);
#include <koiz/records.def>
#undef WORDSET
#undef RECORD

/* fn is called once, before the next record is formatted (NULL: nothing is):
 * the emitter sends what it holds back (a gathered run of frames) first, so
 * records keep the order of what happened. Records fn sends go straight out. */
void tel_before_next_send(void (*fn)(void));
/* While muted, events are counted (tel_counts()->muted) instead of formatted
 * and sent: the kernel's pause, at the cost of a call per event. */
void tel_emit_mute(int on);
/* Whether an event is to be made now: 0 without a sink, and 0 while muted,
 * counting it as muted; the memory manager's hooks ask first, so a pause
 * costs them nothing else. */
int tel_event_wanted(void);
/* For emit.c: one more snapshot, one more round sent. */
void tel_count_snapshot(void);
void tel_count_round(void);
/* What was sent so far. */
const struct tel_counts *tel_counts(void);

#endif
