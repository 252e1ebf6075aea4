/*
 * pmm.h: physical memory, in 4 KiB frames. The kernel hands pmem_init the
 * available regions of the multiboot memory map and the ranges that must
 * never be given out; pmm keeps one small record per frame and a stack of
 * free frames, so allocating and freeing take constant time.
 *
 * A frame is either out of the allocator's hands (absent: not RAM, above
 * PMM_LIMIT; kept back, each for what it holds: the first MiB, the kernel
 * image, the telemetry queue, the loader's data and modules, pmm's own
 * records) or free, or in use for one purpose. In-use data frames carry a
 * reference count: pmem_alloc gives the first reference, every mapping
 * takes one more (vmm does that), and the frame is free again when the
 * last one is dropped. Every change of a frame's use (an allocation, a
 * release) is told to the frame_use hook (hooks.h), frame by frame.
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

enum frame_use {
    FRAME_ABSENT,   /* not managed: not RAM (a hole in the memory map), or beyond the top */
    FRAME_RESERVED, /* kept back: the first MiB, RAM the memory map also reserves */
    FRAME_FREE,
    FRAME_KERNEL,     /* in use: kernel data (the kernel heap's pages) */
    FRAME_PAGE_TABLE, /* in use: a page table */
    FRAME_PROCESS,    /* in use: user pages */
    FRAME_PAGE_DIR,   /* in use: a page directory */
    FRAME_IMAGE,      /* kept back: the kernel image (code, data, boot stack and tables) */
    FRAME_BOOT,       /* kept back: the loader's information and boot modules */
    FRAME_RECORDS,    /* kept back: pmm's own records (placed by pmem_init) */
    FRAME_TELEMETRY,  /* kept back: the telemetry queue (inside the image) */
    FRAME_USES
};

/* Physical bytes [start, end) that must never be handed out, and what they
 * hold: FRAME_RESERVED, FRAME_IMAGE, FRAME_BOOT or FRAME_TELEMETRY. */
struct pmm_range {
    uint32_t start;
    uint32_t end;
    enum frame_use use;
};

/* Frames [first, end) of available RAM at or above PMM_LIMIT and below
 * 4 GiB: RAM pmm never uses (pmem_unused). */
struct pmm_span {
    uint32_t first, end;
};
#define PMM_UNUSED_MAX 16

/* One per frame, 4 bytes. vmm keeps a page table's present-entry count here. */
struct pmm_frame {
    uint8_t use;  /* enum frame_use */
    uint8_t mark; /* vmm_check's scratch: mappings seen, 0 outside it */
    union {
        uint16_t refs;    /* data frames: references (mappings + owner) */
        uint16_t entries; /* FRAME_PAGE_TABLE: present entries, kept by vmm (0 for a directory) */
    };
};

struct pmm_stats {
    uint32_t total; /* frames pmm can hand out: free + in use */
    uint32_t free;
    uint32_t kernel;      /* in use, by enum frame_use */
    uint32_t page_tables; /* page tables and directories */
    uint32_t page_dirs;   /* of them, directories */
    uint32_t process;
    uint32_t reserved;                /* available RAM below the top kept back, whatever it holds */
    uint32_t metadata;                /* frames holding pmm's own records (part of reserved) */
    uint32_t ignored_high;            /* available frames at or above PMM_LIMIT, never used */
    uint32_t top;                     /* physical end of the highest managed frame */
    uint32_t held;                    /* free frames held back (pmem_hold_back) */
    uint32_t allocs, frees, failures; /* events since pmem_init */
};

/*
 * Takes over the frames of the n available regions that lie above 1 MiB,
 * below PMM_LIMIT and outside every reserved range. A frame in several
 * ranges holds what the first of them says. Finds room for its own records
 * itself (the lowest fitting place above 1 MiB) and reserves it. Panics
 * when there is no usable frame, no room for the records, or a range says
 * a use a kept-back frame cannot have. May be called again to start over
 * (host tests do).
 */
void pmem_init(const struct pmm_region *regions, int n, const struct pmm_range *reserved, int nreserved);

/* A free frame for use (FRAME_KERNEL, FRAME_PAGE_TABLE, FRAME_PAGE_DIR or
 * FRAME_PROCESS), with one reference (none for a table or a directory);
 * its contents are junk. Returns 0 when none is left. */
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
/* Adds a reference to an allocated data frame; returns the new count. */
uint32_t pmem_ref(uint32_t pa);
/* Drops a reference; the frame is freed when none is left. Returns the
 * references left. Panics if the frame is not allocated. */
uint32_t pmem_unref(uint32_t pa);

/* What frame pa is used for (FRAME_ABSENT for anything pmm does not manage). */
enum frame_use pmem_use(uint32_t pa);
/* Whether frames of this use are handed out (and counted in stats.total). */
static inline int pmem_use_allocated(enum frame_use use)
{
    return use == FRAME_KERNEL || use == FRAME_PAGE_TABLE || use == FRAME_PAGE_DIR || use == FRAME_PROCESS;
}
/* Whether frames of this use hold references (data frames: kernel, process). Inline: vmm's hot paths ask. */
static inline int pmem_use_referenced(enum frame_use use)
{
    return use == FRAME_KERNEL || use == FRAME_PROCESS;
}
/* The spans of RAM at or above PMM_LIMIT below 4 GiB, in address order,
 * merged (at most PMM_UNUSED_MAX; *n of them). */
const struct pmm_span *pmem_unused(int *n);
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
