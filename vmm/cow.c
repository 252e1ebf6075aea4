/*
 * cow.c: copy-on-write. vmm_space_fork shares every user frame of a space
 * with a new one; writable pages become read-only with PTE_COW in both,
 * and the first write to such a page faults into vmm_cow_break, which
 * gives the writer a page of its own:
 *
 *   parent PTE  frame F  W        fork        parent PTE  F  COW  \
 *                                  ---->                          F refs 2
 *                                             child PTE   F  COW  /
 *
 *   child writes: F has refs 2 -> copy to G, child maps G  W  (F refs 1)
 *   parent writes: F has refs 1 -> nobody else reads F: parent's PTE gets W back
 *
 * The reference count is the whole bookkeeping: each mapping holds one,
 * so unmap and destroy need nothing special, in any order.
 */
#include <koiz/klib.h>
#include "hooks.h"
#include "internal.h"

uint32_t *vmm_cow_pte(const struct address_space *as, uint32_t va)
{
    uint32_t pde = as->pd[PDX(va)], *pte;
    if (va >= USER_END || !pte_present(pde) || (pde & PDE_PS))
        return 0;
    pte = &table_of(pde)[PTX(va)];
    return (*pte & (PTE_P | PTE_COW)) == (PTE_P | PTE_COW) ? pte : 0;
}

int vmm_cow_break(struct address_space *as, uint32_t va, uint32_t *pte)
{
    uint32_t old = frame_of(*pte), flags = (*pte & VMM_MAP_FLAGS) | PTE_W, copy;

    va &= ~(PAGE_SIZE - 1);
    if (pmem_frame(old)->refs == 1) {
        /* Every other mapping is gone: the frame is ours alone. */
        *pte = (*pte & ~PTE_COW) | PTE_W;
        vmm_counters.cow_reuses++;
        hook_protect_range(as, va, PAGE_SIZE, flags);
        vmm_tlb_page(as, va);
        return VMM_OK;
    }
    if ((copy = pmem_alloc_for(FRAME_PROCESS)) == 0)
        return VMM_ENOMEM;
    kmemcpy(arch_phys_to_virt(copy), arch_phys_to_virt(old), PAGE_SIZE);
    *pte = copy | flags | PTE_P; /* copy's one reference is this mapping's */
    vmm_counters.cow_copies++;
    hook_remap_range(as, va, copy, PAGE_SIZE, flags);
    vmm_tlb_page(as, va);
    pmem_unref(old); /* others still hold it; no stale translation reaches it now */
    return VMM_OK;
}
