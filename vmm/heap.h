/*
 * heap.h: kmalloc and kfree over one area given by the caller. In the
 * kernel the area is the demand-zero heap at KHEAP_BASE: its pages appear
 * on first touch through the fault handler. Host tests give a buffer.
 */
#ifndef KOIZ_VMM_HEAP_H
#define KOIZ_VMM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN 16           /* every pointer kmalloc returns is aligned so */

struct heap_stats {
    size_t used_bytes;          /* in allocated blocks, headers included */
    size_t free_bytes;          /* in free blocks below the top */
    size_t extent;              /* bytes of the area ever carved: base .. top */
    size_t used_blocks, free_blocks;
    size_t allocs, frees, failures;
};

/* Starts a heap over [base, base + max_bytes), forgetting any earlier one.
 * Nothing in the area is touched until kmalloc needs it. */
void heap_init(void *base, size_t max_bytes);
/* size bytes aligned to HEAP_ALIGN, contents undefined; NULL when size is 0
 * or the area is full. */
void *kmalloc(size_t size);
/* kmalloc, zeroed. */
void *kzalloc(size_t size);
/* Frees what kmalloc returned (NULL is ignored) and merges it with free
 * neighbours. Panics naming the pointer on a double free or a pointer
 * kmalloc never returned. */
void kfree(void *ptr);
/* Walks every block and panics at the first inconsistency; fills *st if
 * not NULL. */
void heap_check(struct heap_stats *st);

#endif
