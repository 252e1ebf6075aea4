/*
 * heap.h: kmalloc and kfree over one area given by the caller. In the
 * kernel the area is the heap at KHEAP_BASE, whose pages the kernel maps as
 * the heap's top grows and unmaps as it shrinks (heap_set_backing): so a
 * kmalloc that finds no frame returns NULL, like any other, instead of
 * faulting later with nothing to map. Host tests give a buffer.
 */
#ifndef KOIZ_VMM_HEAP_H
#define KOIZ_VMM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN 16 /* every pointer kmalloc returns is aligned so */

struct heap_stats {
    size_t used_bytes; /* in allocated blocks, headers included */
    size_t free_bytes; /* in free blocks below the top */
    size_t extent;     /* bytes of the area carved now: base .. top */
    size_t backed;     /* bytes backed by pages (with a backing): base .. top, page-rounded */
    size_t used_blocks, free_blocks;
    size_t allocs, frees, failures;
};

/* Starts a heap over [base, base + max_bytes), forgetting any earlier one
 * (and any backing). Nothing in the area is touched until kmalloc needs it. */
void heap_init(void *base, size_t max_bytes);

/*
 * Memory behind the area, in HEAP_PAGE pieces, for an area that is not
 * memory by itself (the kernel's). back(start, end) must make [start, end)
 * usable and return 0, or return -1 with nothing changed when it cannot;
 * release(start, end) gives those pages back. The heap keeps exactly the
 * pages under its top backed: back is called as the top grows past them,
 * release as it shrinks below them. Call right after heap_init.
 */
#define HEAP_PAGE 4096
struct heap_backing {
    int (*back)(uintptr_t start, uintptr_t end);
    void (*release)(uintptr_t start, uintptr_t end);
};
void heap_set_backing(const struct heap_backing *backing);
/* size bytes aligned to HEAP_ALIGN, contents undefined; NULL when size is 0,
 * the area is full, or the backing has no page for it. */
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
