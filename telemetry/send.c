/*
 * send.c: every record the kernel writes passes here (see send.h): it is
 * formatted by its kind's formatter (include/koiz/records.def makes one per
 * kind) and the line handed to the sink the kernel registered. Nothing
 * here knows the memory manager, so any file may send a record (panic
 * included) without depending on what emit.c reads to make snapshots and
 * events.
 */
#include <koiz/protocol.h>
#include "send.h"

static struct tel_sink sink;
static int have_sink, muted;
static struct tel_counts counts;
static void (*before_send)(void);

void tel_before_next_send(void (*fn)(void))
{
    before_send = fn;
}

/* Whether a record of type t is to be made now: a sink, and not an event
 * while muted (counted instead). What before_send sends goes first. */
static inline __attribute__((always_inline)) int wanted(enum record_type t)
{
    if (!have_sink)
        return 0;
    if (before_send) {
        void (*fn)(void) = before_send;
        before_send = 0; /* once; what it sends goes straight out */
        fn();
    }
    if (muted && record_classes[t] == RC_EVENT) {
        counts.muted++;
        return 0;
    }
    return 1;
}

/* The n bytes of line, a record of type t, to the sink. */
static inline __attribute__((always_inline)) void hand_over(enum record_type t, const char *line, size_t n)
{
    counts.records++;
    counts.bytes += (uint32_t)n;
    sink.write(sink.ctx, t, line, n);
}

#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields)                     \
    void tel_send_##member(const struct rec_##member *f)          \
    {                                                             \
        char line[PROTO_LINE_MAX + 1];                            \
        if (wanted(RT_##id))                                      \
            hand_over(RT_##id, line, rec_line_##member(line, f)); \
    }
#include <koiz/records.def>
#undef WORDSET
#undef RECORD

int tel_event_wanted(void)
{
    if (!have_sink)
        return 0;
    if (muted) {
        counts.muted++;
        return 0;
    }
    return 1;
}

int tel_has_sink(void)
{
    return have_sink;
}

uint32_t tel_now(void)
{
    return sink.now ? sink.now(sink.ctx) : 0;
}

void tel_count_snapshot(void)
{
    counts.snapshots++;
}

void tel_count_round(void)
{
    counts.rounds++;
}

const struct tel_counts *tel_counts(void)
{
    return &counts;
}

void tel_emit_mute(int on)
{
    muted = on;
}

void tel_set_sink(const struct tel_sink *s)
{
    if (s)
        sink = *s;
    have_sink = s != 0;
}
