/*
 * shared_ring.h: the kernel's end of the shared-memory channel
 * (shared_ring.c; the layout both ends share is include/koiz/shared_ring.h).
 */
#ifndef KOIZ_KERNEL_SHARED_RING_H
#define KOIZ_KERNEL_SHARED_RING_H

#include <stddef.h>
#include <stdint.h>

/* Sets the area up when the host asked for the channel (QEMU's fw_cfg file
 * SHARED_RING_FWCFG). 1 when it did, and the caller offers the area with a
 * `ring offer` record; 0 otherwise (Bochs, a real PC, QEMU not asked). */
int shared_ring_offer(void);
/* The area's physical address and size in bytes, for the `ring offer` record. */
uint32_t shared_ring_pa(void);
uint32_t shared_ring_bytes(void);
/* 1 once the reader has written SHARED_RING_READING into the offered area. */
int shared_ring_reader_ready(void);
/* Waits until n more bytes fit (the reader takes them meanwhile); n is at most
 * SHARED_RING_DATA, else it panics. Then shared_ring_copy may copy n bytes. */
void shared_ring_wait(uint32_t n);
/* Copies n bytes in after what is there; the reader does not see them before
 * shared_ring_publish. */
void shared_ring_copy(const char *s, uint32_t n);
/* Shows the reader everything copied in: call it at the end of a line, only.
 * records_begun: how many records those bytes begin (for the count at power-off). */
void shared_ring_publish(uint32_t records_begun);
/* Records published so far. */
uint32_t shared_ring_records(void);
/* Where the area is (kernel virtual addresses), for the frame map. */
void shared_ring_area(uintptr_t *start, uintptr_t *end);

#endif
