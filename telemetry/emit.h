/*
 * emit.h: every telemetry record the kernel writes (docs/protocol.md) is
 * formatted here from the protocol's table, tel_send and its typed forms
 * tel_send_<kind>, and handed to a sink. The memory manager's records are
 * made here too: the vmm hooks (vmm/hooks.h) for events, tel_snapshot and
 * tel_round for whole address spaces. Plain C: the kernel's sink queues
 * lines for port 0xE9 / COM1 (kernel/telemetry.c), host tests' feed
 * koiz-view's parser directly.
 */
#ifndef KOIZ_TELEMETRY_EMIT_H
#define KOIZ_TELEMETRY_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include <koiz/records.h>

struct address_space;

struct tel_sink {
    /* One complete record line of type t, '\n' included. */
    void (*write)(void *ctx, enum record_type t, const char *line, size_t len);
    /* The timestamp for events (the PIT tick in the kernel). */
    uint32_t (*now)(void *ctx);
    void *ctx;
};

struct tel_counts {
    uint32_t records, bytes, snapshots, rounds;
    uint32_t muted;             /* records not formatted while muted */
};

/* Remembers the sink records go to (NULL: none, records are not made). */
void tel_set_sink(const struct tel_sink *sink);
/* Installs (on) or removes the vmm hooks that make the paging events. */
void tel_hooks(int on);
/* Both: tel_set_sink(sink) and tel_hooks(sink != NULL). */
void tel_emit_start(const struct tel_sink *sink);

/* Formats one record of type t, whose fields are *fields (its struct
 * rec_<member>), and hands it to the sink; while muted, an event is only
 * counted. Nothing without a sink. */
void tel_send(enum record_type t, const void *fields);
/* The typed forms: tel_send_map(&(struct rec_map){ .tick = ..., ... }). */
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields)                                                              \
    static inline void tel_send_##member(const struct rec_##member *f)                                     \
    {                                                                                                      \
        tel_send(RT_##id, f);                                                                              \
    }
#include <koiz/records.def>
#undef WORDSET
#undef RECORD

/* Sends one address space whole: snap, pde and pte runs, end. */
void tel_snapshot(const struct address_space *as);
/* Sends a round: `round`, a snapshot of every live address space (the live
 * one last), `sync`. */
void tel_round(enum word_ROUND reason);
/* While muted, events are counted (tel_counts()->muted) instead of formatted
 * and sent: the kernel's pause, at the cost of a call per event. */
void tel_emit_mute(int on);

/* Sends the frame counters if they changed since last time (or always, with force). */
void tel_send_counters(int force);


const struct tel_counts *tel_counts(void);

#endif
