/*
 * shared_ring.c: the kernel's end of the shared-memory channel to koiz-view
 * (include/koiz/shared_ring.h, docs/protocol.md "Through shared memory"):
 * the area itself, and writing lines into it in place of port 0xE9 once the
 * reader is there. kernel/telemetry.c decides when (its queue's lines go
 * here instead of to the port); this file only moves bytes.
 *
 * A full ring makes the kernel wait for the reader, as a full pipe makes
 * QEMU's debug console wait: nothing is lost.
 */
#include <koiz/klib.h>
#include <koiz/shared_ring.h>
#include "console.h"
#include "fwcfg.h"
#include "shared_ring.h"
#include "../kernel.h"
#include "../x86.h"

_Static_assert((SHARED_RING_DATA & (SHARED_RING_DATA - 1)) == 0, "the ring's size is a power of two");
_Static_assert(sizeof(struct shared_ring) <= SHARED_RING_HEADER, "the header fits its page");

/* Page-aligned, so its frames hold nothing else: the frame map says `telemetry` of them. */
static struct {
    union {
        struct shared_ring h;
        char page[SHARED_RING_HEADER];
    } header;
    char data[SHARED_RING_DATA];
} area __attribute__((aligned(4096)));

static int offered;
static uint32_t head;    /* bytes copied in, published or not */
static uint32_t records; /* records published */

int shared_ring_offer(void)
{
    if (!fwcfg_has_file(SHARED_RING_FWCFG))
        return 0;
    area.header.h.size = SHARED_RING_DATA;
    area.header.h.head = area.header.h.tail = area.header.h.reader = 0;
    __asm__ volatile("" ::: "memory");
    area.header.h.magic = SHARED_RING_MAGIC; /* last: a reader that sees it sees the rest */
    offered = 1;
    return 1;
}

uint32_t shared_ring_pa(void)
{
    return (uint32_t)V2P(&area);
}

uint32_t shared_ring_bytes(void)
{
    return (uint32_t)sizeof area;
}

int shared_ring_reader_ready(void)
{
    return offered && area.header.h.reader == SHARED_RING_READING;
}

void shared_ring_wait(uint32_t n)
{
    if (n > SHARED_RING_DATA)
        panic("shared_ring_wait: %u bytes at once, the ring holds %u", n, SHARED_RING_DATA);
    while (SHARED_RING_DATA - (head - area.header.h.tail) < n)
        __asm__ volatile("pause" ::: "memory"); /* tail is the reader's: read afresh each time */
}

void shared_ring_copy(const char *s, uint32_t n)
{
    uint32_t at = head % SHARED_RING_DATA, first = SHARED_RING_DATA - at;
    if (first >= n) {
        kmemcpy(area.data + at, s, n);
    } else {
        kmemcpy(area.data + at, s, first);
        kmemcpy(area.data, s + first, n - first);
    }
    head += n;
}

void shared_ring_publish(uint32_t records_begun)
{
    __asm__ volatile("" ::: "memory"); /* the bytes before head: x86 stores are seen in order */
    area.header.h.head = head;
    records += records_begun;
}

uint32_t shared_ring_records(void)
{
    return records;
}

void shared_ring_area(uintptr_t *start, uintptr_t *end)
{
    *start = (uintptr_t)&area;
    *end = (uintptr_t)&area + sizeof area;
}
