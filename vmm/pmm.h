/*
 * pmm.h: physical memory, in 4 KiB frames. The kernel hands pmem_init the
 * available regions of the multiboot memory map and the ranges that must
 * never be given out; pmm keeps one small record per frame and a stack of
 * free frames, so allocating and freeing take constant time.
 *
 * A frame is either out of the allocator's hands (absent: not RAM, above
 * PMM_LIMIT; reserved: first MiB, kernel image, multiboot data, modules,
 * pmm's own metadata) or free, or in use for one purpose. In-use frames
 * carry a reference count: pmem_alloc gives the first reference, every
 * mapping takes one more (vmm does that), and the frame is free again when
 * the last one is dropped.
 */
#ifndef KOIZ_VMM_PMM_H
#define KOIZ_VMM_PMM_H

#include <stdint.h>

#define PMM_LIMIT 0x30000000u /* RAM from 768 MiB up is not used (see memlayout.h) */
#define PMM_LOW   0x00100000u /* nor is the first MiB (BIOS, VGA, real-mode data) */

/* Available RAM, as the memory map gives it (64-bit, may run past 4 GiB). */
struct pmm_region {
    uint64_t base;
    uint64_t length;
};

/* Physical bytes [start, end) that must never be handed out. */
struct pmm_range {
    uint32_t start;
    uint32_t end;
};

enum frame_use {
    FRAME_ABSENT,   /* not managed: a hole, or beyond the top */
    FRAME_RESERVED, /* RAM kept back: first MiB, reserved ranges, metadata */
    FRAME_FREE,
    FRAME_KERNEL,     /* in use: kernel data (heap pages, buffers) */
    FRAME_PAGE_TABLE, /* in use: a page table or page directory */
    FRAME_PROCESS,    /* in use: user pages */
    FRAME_USES
};

/* One per frame, 4 bytes. vmm keeps a page table's present-entry count here. */
struct pmm_frame {
    uint8_t use;  /* enum frame_use */
    uint8_t mark; /* vmm_check's scratch: mappings seen, 0 outside it */
    union {
        uint16_t refs;    /* data frames: references (mappings + owner) */
        uint16_t entries; /* FRAME_PAGE_TABLE: present entries, kept by vmm */
    };
};

struct pmm_stats {
    uint32_t total; /* frames pmm can hand out: free + in use */
    uint32_t free;
    uint32_t kernel; /* in use, by enum frame_use */
    uint32_t page_tables;
    uint32_t process;
    uint32_t reserved;                /* available RAM below the top kept back */
    uint32_t metadata;                /* frames holding pmm's own records (part of reserved) */
    uint32_t ignored_high;            /* available frames at or above PMM_LIMIT, never used */
    uint32_t top;                     /* physical end of the highest managed frame */
    uint32_t held;                    /* free frames held back (pmem_hold_back) */
    uint32_t allocs, frees, failures; /* events since pmem_init */
};

/*
 * Takes over the frames of the n available regions that lie above 1 MiB,
 * below PMM_LIMIT and outside every reserved range. Finds room for its own
 * records itself (the lowest fitting place above 1 MiB) and reserves it.
 * Panics when there is no usable frame or no room for the records.
 * May be called again to start over (host tests do).
 */
void pmem_init(const struct pmm_region *regions, int n, const struct pmm_range *reserved, int nreserved);

/* A free frame for use (FRAME_KERNEL, FRAME_PAGE_TABLE or FRAME_PROCESS),
 * with one reference; its contents are junk. Returns 0 when none is left. */
uint32_t pmem_alloc_for(enum frame_use use);
/* pmem_alloc_for(FRAME_KERNEL), the seed's allocator. */
uint32_t pmem_alloc(void);
/* Holds back n free frames: pmem_alloc_for fails while no more than n are free,
 * as on a machine with n frames less. The frames stay free and untouched (a
 * self-test's way to run short of memory at once at any RAM size). 0 ends it.
 * Returns the number held back before. */
uint32_t pmem_hold_back(uint32_t n);

/* Gives back a frame holding exactly one reference. Panics naming the frame
 * if it is not allocated (never handed out, reserved, or already free) or
 * still referenced elsewhere. */
void pmem_free(uint32_t pa);
/* Adds a reference to an allocated frame; returns the new count. */
uint32_t pmem_ref(uint32_t pa);
/* Drops a reference; the frame is freed when none is left. Returns the
 * references left. Panics if the frame is not allocated. */
uint32_t pmem_unref(uint32_t pa);

/* What frame pa is used for (FRAME_ABSENT for anything pmm does not manage). */
enum frame_use pmem_use(uint32_t pa);
/* The frame records, for vmm's hot paths (pmem_record below); read-mostly. */
extern struct pmm_frame *pmm_frames;
extern uint32_t pmm_nframes;

/* The record of frame pa, or NULL beyond the managed range. No other check:
 * for code that has just checked the frame's use itself. */
static inline struct pmm_frame *pmem_record(uint32_t pa)
{
    uint32_t f = pa >> 12;
    return f < pmm_nframes ? &pmm_frames[f] : 0;
}

/* The record of an allocated frame; panics otherwise. */
struct pmm_frame *pmem_frame(uint32_t pa);
const struct pmm_stats *pmem_stats(void);
const char *pmem_use_name(enum frame_use use);
/* Whether freed frames are filled with junk (0x5A) to expose dangling use;
 * on by default. Returns the previous setting. */
int pmem_set_junk_fill(int on);

#endif
