/*
 * hooks.h: the one place vmm reports what it does, for telemetry and the
 * visualizer. Install a table with vmm_set_hooks; a NULL pointer means
 * nobody listens. Range operations make one call per operation, not per
 * page. vmm code calls the hooks only through the inline helpers below.
 *
 * The calls come in the order the changes happen: a change to entries,
 * then the TLB invalidations it needs, then the frames and tables it
 * gives back (table_free). A space's destroy is one call, made once its
 * user half is gone: the tables and pages it took are not reported one by
 * one.
 */
#ifndef KOIZ_VMM_HOOKS_H
#define KOIZ_VMM_HOOKS_H

#include <stdint.h>
#include "pmm.h"
#include "vmm.h"

struct vmm_hooks {
    /* [va, va + bytes) now maps [pa, pa + bytes) with flags (entry bits). */
    void (*map_range)(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags);
    /* Present 4 KiB pages [va, va + bytes) now map other frames, [pa, pa + bytes)
     * with flags: a copy-on-write page got its copy. */
    void (*remap_range)(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags);
    /* large: the pages were 4 MiB ones (directory entries), else 4 KiB. */
    void (*unmap_range)(struct address_space *as, uint32_t va, uint32_t bytes, int large);
    void (*protect_range)(struct address_space *as, uint32_t va, uint32_t bytes, uint32_t flags);
    /* Directory slot pdi of as got (or lost) the table at table_pa. */
    void (*table_alloc)(struct address_space *as, uint32_t pdi, uint32_t table_pa);
    void (*table_free)(struct address_space *as, uint32_t pdi, uint32_t table_pa);
    void (*space_create)(struct address_space *as);
    void (*space_destroy)(struct address_space *as);
    void (*space_switch)(struct address_space *from, struct address_space *to);
    /* dst, new, with a table wherever src has one (table_alloc told), now maps
     * src's user half copy-on-write: every present 4 KiB page of src at the
     * same address and frame, accessed/dirty clear, where every writable one
     * became read-only with PTE_COW in both spaces; 4 MiB pages as they are.
     * Writable pages that stay so (device memory) follow as protect_range
     * calls for both spaces. */
    void (*space_fork)(struct address_space *src, struct address_space *dst);
    /* The TLB entry for va was dropped, or (all) every non-global entry. */
    void (*tlb_flush)(uint32_t va, int all);
    /* A fault and its verdict (vmm_fault_report), after the changes it caused. */
    void (*fault)(const struct vmm_fault *f);
    /* Region r of as was added (also: copied to a new space by fork or clone,
     * after its space_create), resized (r holds the new end; shrinking calls
     * unmap_range first), or removed (r as it was). */
    void (*region)(struct address_space *as, const struct vmm_region *r, enum region_change change);
    /* Something counted changed; both tables are live, read them now. */
    void (*counters)(const struct vmm_stats *vmm, const struct pmm_stats *pmm);
    /* pmm changed frame pa's use: an allocation (from FRAME_FREE) or a release
     * (to FRAME_FREE). A release comes after the last mapping's unmap and TLB
     * invalidation; an allocation before the frame's first mapping. */
    void (*frame_use)(uint32_t pa, enum frame_use from, enum frame_use to);
};

/* Installs a copy of *hooks (NULL removes them all). */
void vmm_set_hooks(const struct vmm_hooks *hooks);

extern struct vmm_hooks vmm_hooks_installed;

static inline void hook_map_range(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes,
                                  uint32_t flags)
{
    if (vmm_hooks_installed.map_range)
        vmm_hooks_installed.map_range(as, va, pa, bytes, flags);
}

static inline void hook_remap_range(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes,
                                    uint32_t flags)
{
    if (vmm_hooks_installed.remap_range)
        vmm_hooks_installed.remap_range(as, va, pa, bytes, flags);
}

static inline void hook_unmap_range(struct address_space *as, uint32_t va, uint32_t bytes, int large)
{
    if (vmm_hooks_installed.unmap_range)
        vmm_hooks_installed.unmap_range(as, va, bytes, large);
}

static inline void hook_protect_range(struct address_space *as, uint32_t va, uint32_t bytes, uint32_t flags)
{
    if (vmm_hooks_installed.protect_range)
        vmm_hooks_installed.protect_range(as, va, bytes, flags);
}

static inline void hook_table_alloc(struct address_space *as, uint32_t pdi, uint32_t table_pa)
{
    if (vmm_hooks_installed.table_alloc)
        vmm_hooks_installed.table_alloc(as, pdi, table_pa);
}

static inline void hook_table_free(struct address_space *as, uint32_t pdi, uint32_t table_pa)
{
    if (vmm_hooks_installed.table_free)
        vmm_hooks_installed.table_free(as, pdi, table_pa);
}

static inline void hook_space_create(struct address_space *as)
{
    if (vmm_hooks_installed.space_create)
        vmm_hooks_installed.space_create(as);
}

static inline void hook_space_destroy(struct address_space *as)
{
    if (vmm_hooks_installed.space_destroy)
        vmm_hooks_installed.space_destroy(as);
}

static inline void hook_space_switch(struct address_space *from, struct address_space *to)
{
    if (vmm_hooks_installed.space_switch)
        vmm_hooks_installed.space_switch(from, to);
}

static inline void hook_space_fork(struct address_space *src, struct address_space *dst)
{
    if (vmm_hooks_installed.space_fork)
        vmm_hooks_installed.space_fork(src, dst);
}

static inline void hook_tlb_flush(uint32_t va, int all)
{
    if (vmm_hooks_installed.tlb_flush)
        vmm_hooks_installed.tlb_flush(va, all);
}

static inline void hook_fault(const struct vmm_fault *f)
{
    if (vmm_hooks_installed.fault)
        vmm_hooks_installed.fault(f);
}

static inline void hook_frame_use(uint32_t pa, enum frame_use from, enum frame_use to)
{
    if (vmm_hooks_installed.frame_use)
        vmm_hooks_installed.frame_use(pa, from, to);
}

static inline void hook_region(struct address_space *as, const struct vmm_region *r,
                               enum region_change change)
{
    if (vmm_hooks_installed.region)
        vmm_hooks_installed.region(as, r, change);
}

static inline void hook_counters(void)
{
    if (vmm_hooks_installed.counters)
        vmm_hooks_installed.counters(vmm_stats(), pmem_stats());
}

#endif
