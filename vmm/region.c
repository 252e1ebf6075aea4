/*
 * region.c: the regions of an address space (demand-zero, guard, loaded),
 * which decide what a fault in them means (fault.c): added, resized (pages
 * past a shrunk end are unmapped; a region shrunk to nothing goes), copied
 * to a new space, and found. Each change is told to the region hook.
 */
#include <koiz/klib.h>
#include "hooks.h"
#include "internal.h"

int vmm_region_add(struct address_space *as, uint32_t start, uint32_t end, enum region_kind kind)
{
    return vmm_region_add_for(as, start, end, kind, REGION_FOR_OTHER);
}

int vmm_region_add_for(struct address_space *as, uint32_t start, uint32_t end, enum region_kind kind,
                       enum region_use use)
{
    int i, kernel = start >= USER_END;

    if (!page_aligned(start) || !page_aligned(end))
        return VMM_EUNALIGNED;
    if (start >= end || (kind != REGION_DEMAND_ZERO && kind != REGION_GUARD && kind != REGION_LOADED) ||
        (unsigned)use > REGION_FOR_KERNEL_HEAP || (!kernel && end > USER_END) ||
        kernel != (as == vmm_state.kernel))
        return VMM_EINVAL;
    /* Only the heap's tables can take new kernel pages (see vmm.c). */
    if (kernel && kind == REGION_DEMAND_ZERO && (start < KHEAP_BASE || end > KHEAP_END))
        return VMM_EINVAL;
    for (i = 0; i < as->nregions; i++)
        if (as->regions[i].start < end && start < as->regions[i].end)
            return VMM_EEXIST;
    if (as->nregions == VMM_MAX_REGIONS)
        return VMM_ENOMEM;
    as->regions[as->nregions].start = start;
    as->regions[as->nregions].end = end;
    as->regions[as->nregions].kind = kind;
    as->regions[as->nregions].use = use;
    as->nregions++;
    hook_region(as, &as->regions[as->nregions - 1], REGION_ADDED);
    return VMM_OK;
}

int vmm_region_resize(struct address_space *as, uint32_t start, uint32_t new_end)
{
    struct vmm_region *r = 0;
    uint32_t va, old_end;
    int i;

    if (!page_aligned(start) || !page_aligned(new_end))
        return VMM_EUNALIGNED;
    for (i = 0; i < as->nregions; i++)
        if (as->regions[i].start == start)
            r = &as->regions[i];
    if (!r)
        return VMM_ENOENT;
    if (new_end < start || new_end > USER_END || start >= USER_END)
        return VMM_EINVAL;
    for (i = 0; i < as->nregions; i++)
        if (&as->regions[i] != r && as->regions[i].start < new_end && start < as->regions[i].end)
            return VMM_EEXIST;
    old_end = r->end;
    r->end = new_end;
    /* Unmap what lies past the new end, one vmm_unmap_range per run of
     * mapped 4 KiB pages; missing tables and 4 MiB pages are stepped over. */
    for (va = new_end; va < old_end;) {
        uint32_t pde = as->pd[PDX(va)], n = 0;
        if (!pte_present(pde) || (pde & PDE_PS)) {
            va = (va & ~(LARGE_PAGE_SIZE - 1)) + LARGE_PAGE_SIZE;
            continue;
        }
        while (va + n * PAGE_SIZE < old_end && n < ENTRIES - PTX(va) &&
               pte_present(table_of(pde)[PTX(va + n * PAGE_SIZE)]))
            n++;
        if (n && vmm_unmap_range(as, va, n) != VMM_OK)
            arch_panic("vmm_region_resize: unmapping 0x%08x failed", va);
        va += (n ? n : 1) * PAGE_SIZE;
    }
    if (new_end == old_end)
        return VMM_OK;
    if (new_end != start) {
        hook_region(as, r, REGION_RESIZED);
    } else { /* shrunk to nothing: the region goes */
        struct vmm_region gone = *r;
        gone.end = old_end;
        hook_region(as, &gone, REGION_REMOVED);
        *r = as->regions[--as->nregions];
        kmemset(&as->regions[as->nregions], 0, sizeof as->regions[0]);
    }
    return VMM_OK;
}

void vmm_regions_copy(struct address_space *dst, const struct address_space *src)
{
    kmemcpy(dst->regions, src->regions, sizeof dst->regions);
    dst->nregions = src->nregions;
    for (int i = 0; i < dst->nregions; i++)
        hook_region(dst, &dst->regions[i], REGION_ADDED);
}

const struct vmm_region *vmm_region_find(const struct address_space *as, uint32_t va)
{
    int i;
    for (i = 0; i < as->nregions; i++)
        if (as->regions[i].start <= va && va < as->regions[i].end)
            return &as->regions[i];
    return 0;
}
