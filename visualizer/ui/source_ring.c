/*
 * source_ring.c: koiz-view's end of the shared-memory channel (see
 * source_ring.h, include/koiz/shared_ring.h).
 */
#include <stdio.h>
#include <string.h>
#include <koiz/records.h>
#include <koiz/shared_ring.h>
#include "source_ring.h"

void source_ring_init(struct source_ring *r, void *ram, size_t size)
{
    memset(r, 0, sizeof *r);
    r->ram = ram;
    r->ram_size = ram ? size : 0;
}

static struct shared_ring *header(struct source_ring *r)
{
    return (struct shared_ring *)(r->ram + r->area);
}

static void broken(struct source_ring *r, const char *why)
{
    r->state = RING_BROKEN;
    snprintf(r->note, sizeof r->note, "shared memory given up: %s; records only from port 0xE9", why);
}

/* An offer: the area must lie in the RAM, page-aligned, and say what the header says. */
static void take_offer(struct source_ring *r, const struct rec_ring_offer *o)
{
    if (!r->ram || r->state != RING_NONE)
        return;
    if (o->pa % 4096 || o->bytes <= SHARED_RING_HEADER || (uint64_t)o->pa + o->bytes > r->ram_size) {
        broken(r, "the kernel offered an area outside the guest's RAM");
        return;
    }
    r->area = o->pa;
    struct shared_ring *h = header(r);
    uint32_t size = __atomic_load_n(&h->size, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SHARED_RING_MAGIC || !size || (size & (size - 1)) ||
        size > o->bytes - SHARED_RING_HEADER) {
        broken(r, "the offered area does not hold a ring");
        return;
    }
    r->size = size;
    r->tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
    __atomic_store_n(&h->reader, SHARED_RING_READING, __ATOMIC_RELEASE);
    r->state = RING_OFFERED;
}

/* One whole line from the port: is it one of the channel's two records? */
static void line_done(struct source_ring *r)
{
    const char *at = r->line;
    const size_t mark = sizeof PROTO_MARK - 1;
    struct record rec;
    if (r->used < mark || memcmp(at, PROTO_MARK, mark) != 0)
        return;
    int body = proto_validate(at, r->used); /* "KZ1 type fields": the record is after "KZ1 " */
    if (body <= (int)mark || rec_scan(at + 1 + mark, (size_t)body - mark, &rec) != 0)
        return;
    if (rec.type == RT_RING_OFFER)
        take_offer(r, &rec.u.ring_offer);
    else if (rec.type == RT_RING_START && r->state == RING_OFFERED)
        r->state = RING_READING;
}

void source_ring_watch(struct source_ring *r, const char *bytes, size_t n)
{
    if (!r->ram || r->state == RING_READING || r->state == RING_BROKEN)
        return;
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] == '@') { /* only a record begins with one (docs/protocol.md): a line of its own */
            r->used = 0;
            r->overlong = false;
        }
        if (bytes[i] == '\n') {
            if (!r->overlong)
                line_done(r);
            r->used = 0;
            r->overlong = false;
        } else if (r->used < sizeof r->line - 1) {
            r->line[r->used++] = bytes[i];
        } else {
            r->overlong = true;
        }
    }
}

size_t source_ring_take(struct source_ring *r, char *out, size_t max)
{
    if (r->state != RING_READING)
        return 0;
    struct shared_ring *h = header(r);
    const unsigned char *data = r->ram + r->area + SHARED_RING_HEADER;
    uint32_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE), ready = head - r->tail;
    if (ready > r->size) {
        broken(r, "the kernel's ring says more is waiting than it holds");
        return 0;
    }
    size_t n = ready < max ? ready : max, done = 0;
    while (done < n) {
        uint32_t at = (r->tail + (uint32_t)done) & (r->size - 1);
        size_t piece = r->size - at < n - done ? r->size - at : n - done;
        memcpy(out + done, data + at, piece);
        done += piece;
    }
    r->tail += (uint32_t)n;
    __atomic_store_n(&h->tail, r->tail, __ATOMIC_RELEASE);
    return n;
}
