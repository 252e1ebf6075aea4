/*
 * vmm.h: virtual memory: address spaces, mapping pages, translating
 * addresses, page-fault policy. All of it is plain C over arch.h.
 *
 * Every address space has a private user half (PDEs 0..767) and shares the
 * kernel half (PDEs 768..1023): the kernel's PDEs are built once by
 * vmem_init, copied into each new directory and never changed afterwards,
 * so the tables they point to are shared. Page tables and directories are
 * reached through the direct map (arch_phys_to_virt).
 *
 * Frames and mappings: mapping a frame pmm has allocated takes a reference
 * on it, and unmapping drops that reference. So the usual way to give a
 * page to an address space is pmem_alloc_for, vmm_map, then pmem_unref: the
 * mapping then owns the frame, and unmap or destroy frees it. Frames pmm
 * does not manage (device memory, reserved RAM) are mapped without any
 * bookkeeping, and so are 4 MiB pages. A frame mapped by several spaces
 * after vmm_space_fork carries one reference per mapping.
 *
 * Caller mistakes come back as VMM_E* codes and change nothing; broken
 * invariants panic through arch_panic.
 */
#ifndef KOIZ_VMM_VMM_H
#define KOIZ_VMM_VMM_H

#include <stddef.h>
#include <stdint.h>
#include "memlayout.h"
#include <koiz/paging.h>

enum {
    VMM_OK = 0,
    VMM_EUNALIGNED = -1, /* an address is not page (or 4 MiB) aligned */
    VMM_EEXIST = -2,     /* already mapped */
    VMM_ENOENT = -3,     /* not mapped */
    VMM_ENOMEM = -4,     /* no frame for a page table (or a region slot) */
    VMM_EINVAL = -5,     /* bad flags, wrong half, fixed area, bad frame, bad size */
};
/* "unaligned address" and so on; never NULL. */
const char *vmm_strerror(int err);

/* The flags callers choose; PTE_P is implied and PTE_G is added for kernel
 * pages when the CPU has PGE. User addresses need PTE_U, kernel ones must not. */
#define VMM_MAP_FLAGS (PTE_W | PTE_U | PTE_PWT | PTE_PCD)

#define VMM_MAX_SPACES 64
/* A program's loadable segments (ELF_MAX_SEGMENTS, 16), its heap, stack and guard page. */
#define VMM_MAX_REGIONS 20

/* What a fault in a region means. */
enum region_kind {
    REGION_NONE,
    REGION_DEMAND_ZERO, /* a fault maps a fresh zeroed frame */
    REGION_GUARD,       /* a fault here is a stack overflow */
    REGION_LOADED,      /* mapped whole when made (a program's segment): a fault here is bad */
};

/* What a region holds, as whoever made it said: for people (telemetry, the
 * region view); faults go by the kind alone. */
enum region_use {
    REGION_FOR_OTHER,       /* not said (self-tests, host tests) */
    REGION_FOR_CODE,        /* a program segment, executable */
    REGION_FOR_DATA,        /* a program segment, writable */
    REGION_FOR_RODATA,      /* a program segment, neither */
    REGION_FOR_HEAP,        /* a task's heap: its end is the break (sbrk) */
    REGION_FOR_STACK,       /* a task's stack: its start is the stack's limit */
    REGION_FOR_GUARD,       /* the guard page below a stack */
    REGION_FOR_KERNEL_HEAP, /* the kernel heap's addresses */
};

struct vmm_region {
    uint32_t start, end; /* [start, end), page aligned */
    enum region_kind kind;
    enum region_use use;
};

/* What happened to a region, for the region hook. */
enum region_change { REGION_ADDED, REGION_RESIZED, REGION_REMOVED };

struct address_space {
    uint32_t pd_phys; /* the page directory, for CR3 */
    uint32_t *pd;     /* the same, where the kernel reaches it */
    int id;           /* 0 is the kernel's */
    int in_use;
    /* What this space maps in its own half: the user half, or for the
     * kernel's space the kernel half (direct map, heap). */
    uint32_t pages;  /* 4 KiB pages */
    uint32_t large;  /* 4 MiB pages */
    uint32_t tables; /* page tables */
    struct vmm_region regions[VMM_MAX_REGIONS];
    int nregions;
};

enum fault_outcome {
    FAULT_RESOLVED,       /* page mapped; the instruction can retry */
    FAULT_STACK_OVERFLOW, /* hit a guard page */
    FAULT_BAD,            /* no region allows it: a bug, or a user to kill */
    FAULT_OUT_OF_MEMORY,  /* the region allows it but no frame is left */
    FAULT_OUTCOMES
};

struct vmm_stats {
    uint32_t spaces;                 /* alive, the kernel's included */
    uint32_t maps, unmaps, protects; /* 4 KiB pages */
    uint32_t large_maps, large_unmaps;
    uint32_t tables_allocated, tables_freed;
    uint32_t switches, invlpgs, tlb_flushes;
    uint32_t faults[FAULT_OUTCOMES];
    uint32_t direct_map_bytes;  /* physical RAM the direct map covers */
    uint32_t direct_map_large;  /* of which in 4 MiB pages */
    uint32_t direct_map_tables; /* tables used for the rest */
    uint32_t forks;             /* vmm_space_fork calls that succeeded */
    uint32_t cow_copies;        /* write faults on shared pages that copied the frame */
    uint32_t cow_reuses;        /* ... that found the last reference and kept it */
};

struct vmem_config {
    int pse;              /* CPUID says 4 MiB pages work: use them for the direct map */
    int pge;              /* CPUID says global pages work: mark kernel pages global */
    uint32_t physwin_pde; /* PDE 1023, the physical window: vmm_physwin_pde() */
};

/*
 * The physical window (physwin.c): the last page of the address space,
 * mapped to one physical frame at a time through vmm's own table in
 * directory entry PHYSWIN_PDE, for memory the direct map does not reach.
 * The table is in the kernel's image: the kernel puts vmm_physwin_pde(its
 * physical address) into the boot directory and into vmem_config.
 */
uint32_t *vmm_physwin_table(void);
/* The directory entry of the window's table at table_pa (kernel, writable, a table). */
uint32_t vmm_physwin_pde(uint32_t table_pa);
/* Copies n bytes from physical address pa through the window. The caller
 * keeps interrupts off meanwhile: a handler using the window would move it. */
void vmm_physwin_read(uint32_t pa, void *buf, size_t n);

/*
 * Builds the kernel's address space and returns it: direct map of physical
 * RAM [0, min(pmm top, 768 MiB)) at DIRECT_MAP_BASE (4 MiB pages where
 * possible with PSE, else page tables), the kernel heap's 8 page tables,
 * PDE 1023 from cfg, and the heap as a demand-zero region. Turns on
 * CR4.PSE/PGE as asked, but does not load CR3: call vmm_space_switch (or
 * vmem_enable_page_dir). Needs pmem_init first; panics when out of memory.
 * Calling it again starts everything over (host tests do).
 */
struct address_space *vmem_init(const struct vmem_config *cfg);

/* A frame for a page table or directory, reached through the direct map;
 * NULL when out of memory. Its contents are junk. */
uint32_t *vmem_alloc_pmem(void);
/* The same, zeroed: an empty page table. */
uint32_t *vmem_ptable_new(void);
/* The physical address va translates to in the given directory (a kernel
 * pointer), 4 MiB pages included; 0 when unmapped. */
uint32_t vmem_get_phys_addr(const uint32_t *page_directory, uint32_t va);

enum { VMM_MISSING_NONE, VMM_MISSING_PDE, VMM_MISSING_PTE };
struct vmm_translation {
    uint32_t pa;       /* valid when VMM_OK */
    uint32_t pde, pte; /* the entries seen (pte is 0 for 4 MiB pages) */
    uint32_t flags;    /* of the leaf entry */
    int large;         /* mapped by a 4 MiB page */
    int missing;       /* which level was not present, VMM_MISSING_* */
};
/* Fills *t and returns VMM_OK, or VMM_ENOENT saying in t->missing which
 * level was not present. */
int vmm_translate(const struct address_space *as, uint32_t va, struct vmm_translation *t);

/* Maps the 4 KiB page at va to frame pa, allocating a page table if needed.
 * VMM_EUNALIGNED, VMM_EINVAL (flags, half, fixed area, a free frame, a page
 * table or a directory as pa), VMM_EEXIST, VMM_ENOMEM (no frame for the table). */
int vmm_map(struct address_space *as, uint32_t va, uint32_t pa, uint32_t flags);
/* Unmaps the page at va, storing its frame in *pa_out (may be NULL); drops
 * the mapping's reference; frees the page table once it is empty;
 * invalidates the TLB entry when the space is live. VMM_ENOENT if not mapped. */
int vmm_unmap(struct address_space *as, uint32_t va, uint32_t *pa_out);
/* Sets the flags of the mapped page at va, keeping its frame. A
 * copy-on-write page is made private first (copied, or its frame kept when
 * this is the last mapping), whatever the new flags: so PTE_W can never be
 * put back on a frame another space still reads. VMM_ENOMEM when no frame
 * is left for that copy. */
int vmm_protect(struct address_space *as, uint32_t va, uint32_t flags);

/* The same for npages consecutive pages (physically consecutive for map).
 * All or nothing: on an error nothing is left changed. */
int vmm_map_range(struct address_space *as, uint32_t va, uint32_t pa, uint32_t npages, uint32_t flags);
int vmm_unmap_range(struct address_space *as, uint32_t va, uint32_t npages);
int vmm_protect_range(struct address_space *as, uint32_t va, uint32_t npages, uint32_t flags);

/* A 4 MiB page in the user half (needs PSE; VMM_EINVAL without). Takes no
 * frame references: for memory the caller keeps owning. */
int vmm_map_large(struct address_space *as, uint32_t va, uint32_t pa, uint32_t flags);
int vmm_unmap_large(struct address_space *as, uint32_t va, uint32_t *pa_out);

/* A new address space sharing the kernel half; NULL when out of memory or
 * of the VMM_MAX_SPACES slots. */
struct address_space *vmm_space_create(void);
/* Returns every user frame reference and table of as to pmm and frees its
 * directory. VMM_EINVAL for the kernel's or the live space. */
int vmm_space_destroy(struct address_space *as);
/* Makes as the live space (arch_load_cr3). */
void vmm_space_switch(struct address_space *as);
/* Teaching mode: makes the mistakes in bugs (BUG() bits of koiz/bugs.h) from now on. */
void vmm_set_bugs(uint32_t bugs);
/* A new space whose user pages are copies of src's, in fresh frames, with
 * the same flags and regions; device memory and 4 MiB pages are shared.
 * NULL when out of memory (nothing is left allocated). */
struct address_space *vmm_space_clone(const struct address_space *src);
/*
 * Copy-on-write fork: a new space sharing the kernel half whose user half
 * maps the same frames as src, with src's regions. Each writable 4 KiB
 * user page of RAM pmm manages becomes read-only with PTE_COW in both
 * spaces; its first write faults, and vmm_handle_fault gives the writer a
 * copy (or the frame itself when no other mapping holds it). Every shared
 * frame gets one more reference, so unmap and destroy work as usual in
 * either order. Read-only pages, device memory and 4 MiB pages are shared
 * as they are. Flushes the TLB when src is live. NULL when out of memory
 * or of slots, with nothing allocated and src unchanged.
 */
struct address_space *vmm_space_fork(struct address_space *src);
struct address_space *vmm_kernel_space(void);
/* The space whose id is id, or NULL. Ids are never reused. */
struct address_space *vmm_space_by_id(int id);
/* The space in slot i (0 <= i < VMM_MAX_SPACES; slot 0 is the kernel's), or
 * NULL when the slot is empty: for visiting every space. */
struct address_space *vmm_space_at(int i);
/* The live space, or NULL before the first vmm_space_switch. */
struct address_space *vmm_current_space(void);
const struct vmm_stats *vmm_stats(void);

/* Walking: the present entries of a space, in address order. */
enum { VMM_WALK_TABLE, VMM_WALK_LARGE, VMM_WALK_PAGE };
#define VMM_WALK_USER   1u
#define VMM_WALK_KERNEL 2u
struct vmm_entry {
    uint32_t va;       /* first address the entry covers */
    uint32_t size;     /* bytes it covers */
    uint32_t entry;    /* the PDE or PTE */
    uint32_t pdi, pti; /* where it sits (pti is 0 for PDE levels) */
    int level;         /* VMM_WALK_TABLE (a PDE pointing to a table), _LARGE, _PAGE */
};
typedef int (*vmm_walk_fn)(void *ctx, const struct vmm_entry *e);
/* Calls fn for each present PDE and each present PTE of the halves asked
 * for (VMM_WALK_USER, VMM_WALK_KERNEL). A nonzero return stops the walk and
 * is returned; otherwise 0. */
int vmm_walk(const struct address_space *as, unsigned halves, vmm_walk_fn fn, void *ctx);
/* Checks the invariants of as and panics naming the first broken one: no
 * user-accessible kernel entry, kernel PDEs as vmem_init left them, every
 * table's entry count and the space's counters right. Returns the number
 * of present entries seen. */
uint32_t vmm_check(const struct address_space *as);

/* Page faults (fault.c). */
/* Adds [start, end) as a region of as (user regions in user spaces, kernel
 * regions in the kernel's). VMM_EUNALIGNED, VMM_EINVAL, VMM_EEXIST
 * (overlap), VMM_ENOMEM (no slot left). */
int vmm_region_add(struct address_space *as, uint32_t start, uint32_t end, enum region_kind kind);
/* The same, saying what the region holds (vmm_region_add: REGION_FOR_OTHER). */
int vmm_region_add_for(struct address_space *as, uint32_t start, uint32_t end, enum region_kind kind,
                       enum region_use use);
/* Moves the end of the user region of as that starts at start to new_end
 * (a heap growing or shrinking). Shrinking unmaps the 4 KiB pages mapped in
 * [new_end, old end) as vmm_unmap_range does, freeing tables left empty
 * (4 MiB pages are the caller's and stay); new_end == start removes the
 * region. VMM_EUNALIGNED, VMM_ENOENT (no region starts there), VMM_EINVAL
 * (new_end < start, past user space, a kernel region), VMM_EEXIST (would
 * overlap another region). */
int vmm_region_resize(struct address_space *as, uint32_t start, uint32_t new_end);
/* The region of as holding va, or NULL. */
const struct vmm_region *vmm_region_find(const struct address_space *as, uint32_t va);
/* What the kernel does about a fault vmm did not resolve (it decides; vmm
 * only carries the decision to the fault hook). */
enum fault_verdict {
    VERDICT_RESUMES,  /* resolved: the instruction runs again */
    VERDICT_KILLS,    /* a user task's fault: the task dies */
    VERDICT_EXPECTED, /* a self-test provoked it */
    VERDICT_FATAL,    /* in the kernel, unexpected: a bug, the kernel panics */
};

/* One page fault: what happened, what vmm made of it, what the kernel does. */
struct vmm_fault {
    uint32_t cr2, error, eip;
    struct address_space *space; /* whose regions decided */
    enum region_kind region;     /* the region holding cr2, REGION_NONE when none */
    int copy_on_write;           /* a write to a present copy-on-write page */
    enum fault_outcome outcome;  /* vmm's decision */
    enum fault_verdict verdict;  /* the kernel's, set before vmm_fault_report */
};

/* Decides a page fault at cr2 with the CPU's error code, taken while as was
 * live (kernel addresses use the kernel's regions), and fills *f. A write to
 * a present PTE_COW page is resolved before any region is asked (see
 * vmm_space_fork), from user or kernel mode: the kernel must run with
 * CR0.WP set, or its own writes to such pages would not fault. Counted; not
 * reported: the caller decides the verdict and calls vmm_fault_report. */
enum fault_outcome vmm_handle_fault(struct address_space *as, uint32_t cr2, uint32_t error, uint32_t eip,
                                    struct vmm_fault *f);
/* The fault a user access of va (a read, or with write a write) would take
 * now, decided as vmm_handle_fault does, with the error code the CPU would
 * push and eip 0: how the kernel touches a task's memory on its behalf (a
 * system call's buffer) exactly as the task itself would. */
enum fault_outcome vmm_user_access(struct address_space *as, uint32_t va, int write, struct vmm_fault *f);
/* Passes a decided fault (f->verdict set) to the fault hook, once. */
void vmm_fault_report(const struct vmm_fault *f);
const char *vmm_fault_outcome_name(enum fault_outcome outcome);

#endif
