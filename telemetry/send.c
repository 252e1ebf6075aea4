/*
 * send.c: every record the kernel writes passes here (see send.h): it is
 * formatted from the protocol's table (include/koiz/records.def) and the
 * line handed to the sink the kernel registered. Nothing here knows the
 * memory manager, so any file may send a record (panic included) without
 * depending on what emit.c reads to make snapshots and events.
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

void tel_send(enum record_type t, const void *fields)
{
    char line[PROTO_LINE_MAX + 1];
    size_t n;
    if (!have_sink)
        return;
    if (before_send) {
        void (*fn)(void) = before_send;
        before_send = 0; /* once; what it sends goes straight out */
        fn();
    }
    if (muted && record_classes[t] == RC_EVENT) {
        counts.muted++;
        return;
    }
    n = rec_format(line, sizeof line, t, fields);
    counts.records++;
    counts.bytes += (uint32_t)n;
    sink.write(sink.ctx, t, line, n);
}

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
