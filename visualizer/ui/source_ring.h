/*
 * source_ring.h: koiz-view's end of the shared-memory channel (the layout is
 * include/koiz/shared_ring.h, the exchange docs/protocol.md "Through shared
 * memory"). When koiz-view starts QEMU, the guest's RAM is a memfd mapped
 * here too; this watches the bytes from port 0xE9 for the kernel's `ring
 * offer` (and takes it up: reader = SHARED_RING_READING) and its `ring
 * start` (from then on the records are in the ring), and copies out what the
 * kernel has published. Pure C, no SDL, no threads: source.c's reader
 * thread calls it.
 *
 * Everything in guest memory is read as untrusted: an offer outside the
 * RAM, a header that does not say SHARED_RING_MAGIC, or a head that runs
 * further ahead than the ring holds ends the channel with a note, never a
 * read out of bounds.
 */
#ifndef KOIZ_VIEW_SOURCE_RING_H
#define KOIZ_VIEW_SOURCE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <koiz/protocol.h>

enum ring_state {
    RING_NONE,    /* no offer yet (or no guest memory to take one up) */
    RING_OFFERED, /* taken up: waiting for `ring start` on the port */
    RING_READING, /* the records come through the ring */
    RING_BROKEN,  /* the kernel's side went wrong: note says how; the port goes on */
};

struct source_ring {
    unsigned char *ram; /* the guest's RAM, mapped; NULL: no channel */
    size_t ram_size;
    uint32_t area; /* guest physical address of the offered area */
    uint32_t size; /* its data bytes */
    uint32_t tail; /* bytes taken */
    enum ring_state state;
    char line[PROTO_LINE_MAX + 1]; /* the port's current record, from its '@', for spotting the two */
    size_t used;
    bool overlong;  /* the current line is longer than a record: not one */
    char note[200]; /* why the channel broke, or "" */
};

/* Starts watching with the guest's RAM at ram (size bytes); ram NULL: never
 * takes an offer up. */
void source_ring_init(struct source_ring *r, void *ram, size_t size);
/* The bytes that came from port 0xE9, in order: takes up an offer, notes a start. */
void source_ring_watch(struct source_ring *r, const char *bytes, size_t n);
/* Copies out up to max bytes the kernel published since the last take (whole
 * lines, as the kernel publishes them, unless max cuts one: the rest comes
 * next time). Returns how many; 0 unless RING_READING. */
size_t source_ring_take(struct source_ring *r, char *out, size_t max);

#endif
