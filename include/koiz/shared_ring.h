/*
 * shared_ring.h: the one definition of the shared-memory channel that
 * carries the telemetry stream from the kernel to koiz-view when koiz-view
 * starts QEMU itself (docs/protocol.md, "Through shared memory").
 *
 * QEMU writes port 0xE9 a byte per system call, so a busy kernel spends most
 * of its time in the debug console. When koiz-view starts QEMU it gives the
 * guest's RAM a file it has mapped too (a memfd), and asks for the channel
 * with a fw_cfg file, SHARED_RING_FWCFG. The kernel then offers an area of
 * its memory with a `ring offer` record on port 0xE9; the reader writes
 * `reader` = SHARED_RING_READING there; the kernel sends one last record on
 * the port, `ring start`, and from then on writes records into the area's
 * data, not to the port. Console text stays on the port.
 *
 * The area is one header page, then `size` bytes of data used as a ring.
 * head and tail count bytes since the start, free-running (they wrap at
 * 2^32): the bytes [tail, head) are waiting, at data[i % size]. The kernel
 * writes whole lines and moves head only after them; the reader moves tail
 * only after it has copied the bytes. Both are 32-bit words, aligned, so a
 * load or a store of one is whole on x86, whose stores are seen in order.
 */
#ifndef KOIZ_SHARED_RING_H
#define KOIZ_SHARED_RING_H

#include <stdint.h>

#define SHARED_RING_FWCFG   "opt/koiz/shared-ring" /* fw_cfg file: the host reads the channel */
#define SHARED_RING_MAGIC   0x31525a4bu            /* "KZR1", little-endian */
#define SHARED_RING_READING 1u                     /* `reader` once the host reads the data */
#define SHARED_RING_HEADER  4096u                  /* the data starts this far into the area */
#define SHARED_RING_DATA    65536u                 /* data bytes; a power of two */

struct shared_ring {
    uint32_t magic;           /* SHARED_RING_MAGIC, written by the kernel */
    uint32_t size;            /* data bytes (a power of two), written by the kernel */
    volatile uint32_t head;   /* bytes written: moved by the kernel only */
    volatile uint32_t tail;   /* bytes taken: moved by the reader only */
    volatile uint32_t reader; /* SHARED_RING_READING: written by the reader only */
};

#endif
