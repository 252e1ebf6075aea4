/*
 * heap.c: a first-fit allocator with boundary sizes (see heap.h).
 *
 *   base                                                   top       limit
 *   | hdr | payload | hdr | payload (free) | hdr | payload |  untouched  |
 *
 * Every block starts with a 16-byte header giving its size and the size of
 * the block below it, so freeing merges with both neighbours in constant
 * time. Free blocks are also on a doubly linked list, kept in their
 * payload. Blocks are carved from the top when no free block fits; freeing
 * the top block moves the top back down. With a backing (the kernel's heap),
 * exactly the pages below the top are backed: [base, backed) with backed the
 * top rounded up to a page.
 */
#include <koiz/klib.h>
#include "arch.h"
#include "heap.h"

#define MAGIC_USED 0x4B4D414Cu /* "KMAL" */
#define MAGIC_FREE 0x46524545u /* "FREE" */

struct block {
    uint32_t magic;
    uint32_t size;      /* whole block, header included */
    uint32_t prev_size; /* of the block just below; 0 for the first */
    uint32_t unused;
};

struct free_links { /* the payload of a free block */
    struct block *next, *prev;
};

_Static_assert(sizeof(struct block) == HEAP_ALIGN, "header keeps payloads aligned");
#define MIN_BLOCK \
    (sizeof(struct block) + HEAP_ALIGN * ((sizeof(struct free_links) + HEAP_ALIGN - 1) / HEAP_ALIGN))

static struct {
    char *base, *top, *limit;
    char *backed; /* with a backing: end of the backed pages */
    struct heap_backing backing;
    uint32_t last_size; /* of the block ending at top; 0 when empty */
    struct block *free;
    struct heap_stats st;
} heap;

static struct free_links *links(struct block *b)
{
    return (struct free_links *)(b + 1);
}
static struct block *next_block(struct block *b)
{
    return (struct block *)((char *)b + b->size);
}
static struct block *prev_block(struct block *b)
{
    return (struct block *)((char *)b - b->prev_size);
}

static void list_add(struct block *b)
{
    b->magic = MAGIC_FREE;
    links(b)->prev = 0;
    links(b)->next = heap.free;
    if (heap.free)
        links(heap.free)->prev = b;
    heap.free = b;
}

static void list_remove(struct block *b)
{
    if (links(b)->prev)
        links(links(b)->prev)->next = links(b)->next;
    else
        heap.free = links(b)->next;
    if (links(b)->next)
        links(links(b)->next)->prev = links(b)->prev;
}

/* Tells the block above b (if any) how big b now is. */
static void fix_next(struct block *b)
{
    if ((char *)next_block(b) < heap.top)
        next_block(b)->prev_size = b->size;
    else
        heap.last_size = b->size;
}

void heap_init(void *base, size_t max_bytes)
{
    uintptr_t start = ((uintptr_t)base + HEAP_ALIGN - 1) & ~(uintptr_t)(HEAP_ALIGN - 1);
    uintptr_t end = (uintptr_t)base + max_bytes;

    kmemset(&heap, 0, sizeof heap);
    heap.base = heap.top = (char *)start;
    heap.limit = (char *)(end > start ? end : start);
}

static uintptr_t page_up(const char *p)
{
    return ((uintptr_t)p + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);
}

void heap_set_backing(const struct heap_backing *backing)
{
    if (heap.top != heap.base)
        arch_panic("heap_set_backing: the heap is in use already");
    if (backing) {
        if ((uintptr_t)heap.base & (HEAP_PAGE - 1))
            arch_panic("heap_set_backing: heap at %p is not page-aligned", (void *)heap.base);
        heap.backing = *backing;
        heap.backed = (char *)page_up(heap.base);
    } else {
        kmemset(&heap.backing, 0, sizeof heap.backing);
        heap.backed = 0;
    }
}

/* Makes the pages under new_top backed; 0, or -1 when the backing has none. */
static int grow_to(char *new_top)
{
    uintptr_t want = page_up(new_top);
    if (!heap.backing.back || want <= (uintptr_t)heap.backed)
        return 0;
    if (heap.backing.back((uintptr_t)heap.backed, want) != 0)
        return -1;
    heap.backed = (char *)want;
    return 0;
}

/* Gives back the pages above the top. */
static void shrink_to_top(void)
{
    uintptr_t keep = page_up(heap.top);
    if (!heap.backing.release || keep >= (uintptr_t)heap.backed)
        return;
    heap.backing.release(keep, (uintptr_t)heap.backed);
    heap.backed = (char *)keep;
}

/* Takes size bytes from free block b, leaving any big enough rest free. */
static void *take(struct block *b, uint32_t size)
{
    list_remove(b);
    if (b->size - size >= MIN_BLOCK) {
        struct block *rest = (struct block *)((char *)b + size);
        rest->size = b->size - size;
        rest->prev_size = size;
        b->size = size;
        list_add(rest);
        fix_next(rest);
    }
    b->magic = MAGIC_USED;
    return b + 1;
}

void *kmalloc(size_t size)
{
    struct block *b;
    uint32_t need;

    if (size == 0 || size > (size_t)(heap.limit - heap.base)) {
        heap.st.failures++;
        return 0;
    }
    need = (uint32_t)((size + sizeof(struct block) + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1));
    if (need < MIN_BLOCK)
        need = MIN_BLOCK;
    for (b = heap.free; b; b = links(b)->next) {
        if (b->size >= need) {
            heap.st.allocs++;
            return take(b, need);
        }
    }
    /* Nothing fits: carve from the top. (The block below the top is never
     * free: freeing a block there moves the top down instead.) */
    if ((size_t)(heap.limit - heap.top) < need || grow_to(heap.top + need) != 0) {
        heap.st.failures++;
        return 0;
    }
    b = (struct block *)heap.top;
    b->prev_size = heap.last_size;
    b->size = need;
    b->magic = MAGIC_USED;
    heap.top = (char *)b + need;
    heap.last_size = need;
    heap.st.allocs++;
    return b + 1;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        kmemset(p, 0, size);
    return p;
}

void kfree(void *ptr)
{
    struct block *b, *n;

    if (!ptr)
        return;
    b = (struct block *)ptr - 1;
    if ((char *)ptr < heap.base + sizeof *b || (char *)ptr >= heap.limit ||
        ((uintptr_t)ptr & (HEAP_ALIGN - 1)))
        arch_panic("kfree: %p is not in the heap", ptr);
    if (b->magic == MAGIC_FREE)
        arch_panic("kfree: %p is already free", ptr);
    if ((char *)ptr >= heap.top || b->magic != MAGIC_USED)
        arch_panic("kfree: %p is not a block kmalloc returned", ptr);
    heap.st.frees++;
    /* Junk in the payload catches use after free. */
    kmemset(ptr, 0x6B, b->size - sizeof *b);
    b->magic = MAGIC_FREE;
    n = next_block(b);
    if ((char *)n < heap.top && n->magic == MAGIC_FREE) {
        list_remove(n);
        b->size += n->size;
    }
    if (b->prev_size && prev_block(b)->magic == MAGIC_FREE) {
        struct block *p = prev_block(b);
        list_remove(p);
        p->size += b->size;
        b = p;
    }
    if ((char *)next_block(b) == heap.top) {
        heap.top = (char *)b;
        heap.last_size = b->prev_size;
        shrink_to_top();
        return;
    }
    list_add(b);
    fix_next(b);
}

void heap_check(struct heap_stats *st)
{
    struct block *b, *f;
    uint32_t prev = 0;
    size_t listed = 0;
    struct heap_stats s;

    kmemcpy(&s, &heap.st, sizeof s);
    s.used_bytes = s.free_bytes = s.used_blocks = s.free_blocks = 0;
    s.extent = (size_t)(heap.top - heap.base);
    s.backed = heap.backed ? (size_t)(heap.backed - heap.base) : 0;
    if (heap.backed && (uintptr_t)heap.backed != page_up(heap.top))
        arch_panic("heap_check: pages backed up to %p, the top is %p", (void *)heap.backed, (void *)heap.top);
    for (b = (struct block *)heap.base; (char *)b < heap.top; b = next_block(b)) {
        if (b->magic != MAGIC_USED && b->magic != MAGIC_FREE)
            arch_panic("heap_check: block %p has a bad header", (void *)b);
        if (b->size < MIN_BLOCK || (b->size & (HEAP_ALIGN - 1)) || (char *)b + b->size > heap.top)
            arch_panic("heap_check: block %p has bad size %u", (void *)b, b->size);
        if (b->prev_size != prev)
            arch_panic("heap_check: block %p says the one below has %u bytes, not %u", (void *)b,
                       b->prev_size, prev);
        if (b->magic == MAGIC_FREE) {
            if (prev && prev_block(b)->magic == MAGIC_FREE)
                arch_panic("heap_check: free blocks %p and %p were not merged", (void *)prev_block(b),
                           (void *)b);
            s.free_bytes += b->size;
            s.free_blocks++;
        } else {
            s.used_bytes += b->size;
            s.used_blocks++;
        }
        prev = b->size;
    }
    if (prev != heap.last_size)
        arch_panic("heap_check: last block has %u bytes, heap says %u", prev, heap.last_size);
    for (f = heap.free; f; f = links(f)->next) {
        if (f->magic != MAGIC_FREE || ++listed > s.free_blocks)
            arch_panic("heap_check: free list is broken at %p", (void *)f);
    }
    if (listed != s.free_blocks)
        arch_panic("heap_check: %u free blocks, %u on the list", (unsigned)s.free_blocks, (unsigned)listed);
    if (st)
        kmemcpy(st, &s, sizeof s);
}
