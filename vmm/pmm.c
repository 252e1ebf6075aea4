/*
 * pmm.c: the physical frame allocator (see pmm.h).
 *
 * Metadata, placed by pmem_init in the first free spot above 1 MiB:
 *
 *   pmm_frames[0 .. pmm_nframes)  struct pmm_frame, one per frame below the top
 *   stack[0 .. pmm_nframes)       frame numbers of free frames; stack[sp-1] pops next
 *
 * The stack is filled highest frame first, so allocation starts at the
 * lowest frames (those the boot map reaches) and proceeds upward.
 */
#include <koiz/klib.h>
#include "arch.h"
#include <koiz/paging.h>
#include "hooks.h"
#include "pmm.h"

struct pmm_frame *pmm_frames;
static uint32_t *stack;
uint32_t pmm_nframes;
static uint32_t sp;
static uint32_t held; /* free frames pmem_alloc_for must not hand out */
static struct pmm_stats stats;
static int junk_fill = 1;
static struct pmm_span unused[PMM_UNUSED_MAX];
static int nunused;

/* What a reserved range may say its frames hold. */
static int kept_back(enum frame_use use)
{
    return use == FRAME_RESERVED || use == FRAME_IMAGE || use == FRAME_BOOT || use == FRAME_TELEMETRY;
}

/* Counts a frame of an allocated use in (+1) or out (-1). */
static void count(unsigned use, int d)
{
    switch (use) {
    case FRAME_KERNEL: stats.kernel += (uint32_t)d; break;
    case FRAME_PAGE_DIR: /* directories count as tables too */
        stats.page_dirs += (uint32_t)d;
        stats.page_tables += (uint32_t)d;
        break;
    case FRAME_PAGE_TABLE: stats.page_tables += (uint32_t)d; break;
    default: stats.process += (uint32_t)d; break;
    }
}

static uint64_t round_up64(uint64_t a)
{
    return (a + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}
static uint64_t round_down64(uint64_t a)
{
    return a & ~(uint64_t)(PAGE_SIZE - 1);
}

/* Frames [*s, *e) of a region that could hold data: page-aligned, below PMM_LIMIT. */
static int clip(const struct pmm_region *r, uint64_t *s, uint64_t *e)
{
    *s = round_up64(r->base);
    *e = round_down64(r->base + r->length);
    if (*e > PMM_LIMIT)
        *e = PMM_LIMIT;
    return *s < *e;
}

/* The first reserved range overlapping [start, end), or 0. */
static const struct pmm_range *overlap(uint64_t start, uint64_t end, const struct pmm_range *res, int nres)
{
    int i;
    for (i = 0; i < nres; i++)
        if (res[i].start < end && start < res[i].end)
            return &res[i];
    return 0;
}

/* Adds the frames of [s, e) at or above PMM_LIMIT and below 4 GiB to the
 * unused spans, kept in address order and merged. */
static void note_unused(uint64_t s, uint64_t e)
{
    int i, j;
    if (s < PMM_LIMIT)
        s = PMM_LIMIT;
    if (e > 0x100000000ull)
        e = 0x100000000ull;
    if (s >= e)
        return;
    struct pmm_span span = {(uint32_t)(s / PAGE_SIZE), (uint32_t)(e / PAGE_SIZE)};
    for (i = 0; i < nunused && unused[i].end < span.first; i++)
        ;
    /* unused[i] is the first span that ends at or after this one starts: merge what touches it. */
    for (j = i; j < nunused && unused[j].first <= span.end; j++) {
        span.first = unused[j].first < span.first ? unused[j].first : span.first;
        span.end = unused[j].end > span.end ? unused[j].end : span.end;
    }
    if (j == i && nunused == PMM_UNUSED_MAX)
        return; /* no room: a firmware map this ragged is not told whole above 768 MiB */
    kmemmove(&unused[i + 1], &unused[j], (size_t)(nunused - j) * sizeof unused[0]);
    unused[i] = span;
    nunused += 1 - (j - i);
}

const struct pmm_span *pmem_unused(int *n)
{
    *n = nunused;
    return unused;
}

/* The lowest page-aligned address above 1 MiB where bytes fit inside one
 * available region and outside every reserved range; 0 if none. */
static uint32_t find_room(uint64_t bytes, const struct pmm_region *regions, int n,
                          const struct pmm_range *res, int nres)
{
    uint64_t best = 0;
    int i;

    for (i = 0; i < n; i++) {
        uint64_t s, e;
        const struct pmm_range *r;
        if (!clip(&regions[i], &s, &e))
            continue;
        if (s < PMM_LOW)
            s = PMM_LOW;
        while (s + bytes <= e && (r = overlap(s, s + bytes, res, nres)) != 0)
            s = round_up64(r->end);
        if (s + bytes <= e && (best == 0 || s < best))
            best = s;
    }
    return (uint32_t)best;
}

static void mark(uint64_t start, uint64_t end, unsigned from, unsigned to)
{
    uint64_t f;
    for (f = start / PAGE_SIZE; f < end / PAGE_SIZE && f < pmm_nframes; f++)
        if (pmm_frames[f].use == from)
            pmm_frames[f].use = (uint8_t)to;
}

void pmem_init(const struct pmm_region *regions, int n, const struct pmm_range *reserved, int nreserved)
{
    uint64_t top = 0, s, e, meta_bytes;
    uint32_t meta, f;
    int i;

    kmemset(&stats, 0, sizeof stats);
    pmm_frames = 0;
    stack = 0;
    pmm_nframes = sp = held = 0;
    nunused = 0;

    for (i = 0; i < nreserved; i++)
        if (!kept_back(reserved[i].use))
            arch_panic("pmem_init: reserved range 0x%08x-0x%08x says use %d, not one kept back",
                       reserved[i].start, reserved[i].end, (int)reserved[i].use);
    for (i = 0; i < n; i++) {
        uint64_t rs = round_up64(regions[i].base);
        uint64_t re = round_down64(regions[i].base + regions[i].length);
        if (re > PMM_LIMIT && re > rs)
            stats.ignored_high += (uint32_t)((re - (rs > PMM_LIMIT ? rs : PMM_LIMIT)) / PAGE_SIZE);
        if (re > rs)
            note_unused(rs, re);
        if (clip(&regions[i], &s, &e) && e > top)
            top = e;
    }
    if (top <= PMM_LOW)
        arch_panic("pmem_init: no usable memory above 1 MiB, top 0x%08x", (uint32_t)top);

    pmm_nframes = (uint32_t)(top / PAGE_SIZE);
    meta_bytes = round_up64((uint64_t)pmm_nframes * (sizeof(struct pmm_frame) + sizeof(uint32_t)));
    meta = find_room(meta_bytes, regions, n, reserved, nreserved);
    if (meta == 0)
        arch_panic("pmem_init: no room for %u bytes of frame records", (uint32_t)meta_bytes);
    pmm_frames = arch_phys_to_virt(meta);
    stack = (uint32_t *)(pmm_frames + pmm_nframes);
    kmemset(pmm_frames, 0, pmm_nframes * sizeof(struct pmm_frame)); /* all FRAME_ABSENT */

    for (i = 0; i < n; i++)
        if (clip(&regions[i], &s, &e))
            mark(s, e, FRAME_ABSENT, FRAME_FREE);
    mark(0, PMM_LOW, FRAME_FREE, FRAME_RESERVED);
    for (i = 0; i < nreserved; i++) /* the first range a frame is in says what it holds */
        mark(round_down64(reserved[i].start), round_up64(reserved[i].end), FRAME_FREE, reserved[i].use);
    stats.metadata = (uint32_t)(meta_bytes / PAGE_SIZE);
    mark(meta, meta + meta_bytes, FRAME_FREE, FRAME_RECORDS);

    for (f = pmm_nframes; f-- > 0;) {
        if (pmm_frames[f].use == FRAME_FREE)
            stack[sp++] = f;
        else if (pmm_frames[f].use != FRAME_ABSENT)
            stats.reserved++;
    }
    stats.total = stats.free = sp;
    stats.top = (uint32_t)top;
}

uint32_t pmem_alloc_for(enum frame_use use)
{
    uint32_t f;

    if (!pmem_use_allocated(use))
        arch_panic("pmem_alloc_for: %d is not a use a frame can be allocated for", (int)use);
    if (sp <= held) {
        stats.failures++;
        return 0;
    }
    f = stack[--sp];
    if (pmm_frames[f].use != FRAME_FREE)
        arch_panic("pmem_alloc_for: frame 0x%08x on the free stack is %s", f << PAGE_SHIFT,
                   pmem_use_name(pmm_frames[f].use));
    pmm_frames[f].use = (uint8_t)use;
    pmm_frames[f].refs = pmem_use_referenced(use) ? 1 : 0; /* tables count entries */
    stats.free--;
    stats.allocs++;
    count(use, 1);
    hook_frame_use(f << PAGE_SHIFT, FRAME_FREE, use);
    return f << PAGE_SHIFT;
}

uint32_t pmem_alloc(void)
{
    return pmem_alloc_for(FRAME_KERNEL);
}

uint32_t pmem_hold_back(uint32_t n)
{
    uint32_t was = held;
    held = n;
    stats.held = n;
    return was;
}

/* The frame number of an allocated frame, or a panic in the caller's name. */
static uint32_t allocated(const char *who, uint32_t pa)
{
    uint32_t f = pa >> PAGE_SHIFT;
    if (!page_aligned(pa))
        arch_panic("%s: address 0x%08x is not page aligned", who, pa);
    if (f >= pmm_nframes || !pmem_use_allocated(pmm_frames[f].use))
        arch_panic("%s: frame 0x%08x is not allocated", who, pa);
    return f;
}

static void release(uint32_t f)
{
    enum frame_use was = (enum frame_use)pmm_frames[f].use;
    count(was, -1);
    pmm_frames[f].use = FRAME_FREE;
    pmm_frames[f].refs = 0;
    if (junk_fill)
        kmemset(arch_phys_to_virt(f << PAGE_SHIFT), 0x5A, PAGE_SIZE);
    stack[sp++] = f;
    stats.free++;
    stats.frees++;
    hook_frame_use(f << PAGE_SHIFT, was, FRAME_FREE);
}

void pmem_free(uint32_t pa)
{
    uint32_t f = allocated("pmem_free", pa);
    if (pmem_use_referenced((enum frame_use)pmm_frames[f].use) && pmm_frames[f].refs != 1)
        arch_panic("pmem_free: frame 0x%08x still has %u references", pa, pmm_frames[f].refs);
    release(f);
}

uint32_t pmem_ref(uint32_t pa)
{
    uint32_t f = allocated("pmem_ref", pa);
    if (!pmem_use_referenced((enum frame_use)pmm_frames[f].use))
        arch_panic("pmem_ref: frame 0x%08x is a %s", pa, pmem_use_name((enum frame_use)pmm_frames[f].use));
    if (pmm_frames[f].refs == UINT16_MAX)
        arch_panic("pmem_ref: frame 0x%08x has too many references", pa);
    return ++pmm_frames[f].refs;
}

uint32_t pmem_unref(uint32_t pa)
{
    uint32_t f = allocated("pmem_unref", pa);
    if (!pmem_use_referenced((enum frame_use)pmm_frames[f].use))
        arch_panic("pmem_unref: frame 0x%08x is a %s", pa, pmem_use_name((enum frame_use)pmm_frames[f].use));
    if (--pmm_frames[f].refs == 0) {
        release(f);
        return 0;
    }
    return pmm_frames[f].refs;
}

enum frame_use pmem_use(uint32_t pa)
{
    uint32_t f = pa >> PAGE_SHIFT;
    return f < pmm_nframes ? (enum frame_use)pmm_frames[f].use : FRAME_ABSENT;
}

struct pmm_frame *pmem_frame(uint32_t pa)
{
    return &pmm_frames[allocated("pmem_frame", pa)];
}

const struct pmm_stats *pmem_stats(void)
{
    return &stats;
}

const char *pmem_use_name(enum frame_use use)
{
    static const char *const names[FRAME_USES] = {
        "absent",         "reserved",     "free",      "kernel",        "page table",      "process",
        "page directory", "kernel image", "boot data", "frame records", "telemetry queue",
    };
    return (unsigned)use < FRAME_USES ? names[use] : "invalid";
}

int pmem_set_junk_fill(int on)
{
    int old = junk_fill;
    junk_fill = on;
    return old;
}
