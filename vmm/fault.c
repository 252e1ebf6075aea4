/*
 * fault.c: what a page fault means. Each address space has a few regions;
 * the region holding the faulting address decides:
 *
 *   demand-zero, page not present  -> fresh zeroed frame mapped: RESOLVED
 *   guard                          -> STACK_OVERFLOW
 *   no region, or a protection
 *   fault, or user code touching
 *   a kernel region                -> BAD (the kernel reports it)
 *   no frame left                  -> OUT_OF_MEMORY
 *
 * Kernel addresses are decided by the kernel space's regions whichever
 * space was live, since the kernel half is the same in all of them.
 */
#include <koiz/klib.h>
#include "hooks.h"
#include "internal.h"

int vmm_region_add(struct address_space *as, uint32_t start, uint32_t end, enum region_kind kind)
{
    int i, kernel = start >= USER_END;

    if (!page_aligned(start) || !page_aligned(end))
        return VMM_EUNALIGNED;
    if (start >= end || (kind != REGION_DEMAND_ZERO && kind != REGION_GUARD) ||
        (!kernel && end > USER_END) || kernel != (as == vmm_state.kernel))
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
    as->nregions++;
    return VMM_OK;
}

const struct vmm_region *vmm_region_find(const struct address_space *as, uint32_t va)
{
    int i;
    for (i = 0; i < as->nregions; i++)
        if (as->regions[i].start <= va && va < as->regions[i].end)
            return &as->regions[i];
    return 0;
}

/* Maps a fresh zeroed frame at the page holding va. */
static enum fault_outcome demand_zero(struct address_space *space, uint32_t va)
{
    int kernel = va >= USER_END;
    uint32_t page = va & ~(PAGE_SIZE - 1), flags = kernel ? PTE_W : PTE_W | PTE_U;
    uint32_t pa = pmem_alloc_for(kernel ? FRAME_KERNEL : FRAME_PROCESS);
    int err;

    if (!pa)
        return FAULT_OUT_OF_MEMORY;
    kmemset(arch_phys_to_virt(pa), 0, PAGE_SIZE);
    err = vmm_map_page(space, page, pa, flags);
    pmem_unref(pa);             /* the mapping holds it now, or it is freed */
    if (err == VMM_EEXIST) {
        /* Mapped already: the CPU saw a stale TLB entry. Drop it and retry. */
        vmm_tlb_page(space, page);
        return FAULT_RESOLVED;
    }
    if (err == VMM_ENOMEM)
        return FAULT_OUT_OF_MEMORY;
    if (err != VMM_OK)
        arch_panic("vmm_handle_fault: mapping 0x%08x failed: %s", page, vmm_strerror(err));
    hook_map_range(space, page, pa, PAGE_SIZE, flags);
    return FAULT_RESOLVED;
}

enum fault_outcome vmm_handle_fault(struct address_space *as, uint32_t cr2, uint32_t error, uint32_t eip)
{
    struct address_space *space = cr2 >= USER_END ? vmm_state.kernel : as;
    const struct vmm_region *r = space ? vmm_region_find(space, cr2) : 0;
    enum fault_outcome outcome = FAULT_BAD;
    struct vmm_fault_info info;

    if (r && r->kind == REGION_GUARD)
        outcome = FAULT_STACK_OVERFLOW;
    else if (r && !(error & PFERR_P) && !(cr2 >= USER_END && (error & PFERR_U)))
        outcome = demand_zero(space, cr2);
    vmm_counters.faults[outcome]++;
    info.cr2 = cr2;
    info.eip = eip;
    info.error = error;
    info.space = space;
    info.outcome = outcome;
    hook_fault(&info);
    hook_counters();
    return outcome;
}

int vmm_fault_describe(char *buf, size_t size, uint32_t cr2, uint32_t error, uint32_t eip)
{
    const char *access = (error & PFERR_I) ? "instruction fetch" : (error & PFERR_W) ? "write" : "read";
    const char *why = (error & PFERR_RSVD) ? "a reserved bit set in a page entry"
                    : (error & PFERR_P) ? "a protected page" : "a not-present page";
    return ksnprintf(buf, size, "%s %s of %s at 0x%08x, eip 0x%08x",
                     (error & PFERR_U) ? "user" : "kernel", access, why, cr2, eip);
}

const char *vmm_fault_outcome_name(enum fault_outcome outcome)
{
    static const char *const names[] = {
        "resolved", "stack overflow", "bad access", "out of memory",
    };
    return (unsigned)outcome < FAULT_OUTCOMES ? names[outcome] : "invalid";
}
