/*
 * fault.c: what a page fault means. Each address space has a few regions;
 * the region holding the faulting address decides:
 *
 *   write to a PTE_COW page        -> own copy of the frame (cow.c): RESOLVED,
 *     (any region, or none)           or OUT_OF_MEMORY
 *   demand-zero, page not present  -> fresh zeroed frame mapped: RESOLVED
 *   guard                          -> STACK_OVERFLOW
 *   loaded (mapped whole when made),
 *   page not present               -> BAD
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
    pmem_unref(pa); /* the mapping holds it now, or it is freed */
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

enum fault_outcome vmm_handle_fault(struct address_space *as, uint32_t cr2, uint32_t error, uint32_t eip,
                                    struct vmm_fault *f)
{
    struct address_space *space = cr2 >= USER_END ? vmm_state.kernel : as;
    const struct vmm_region *r = space ? vmm_region_find(space, cr2) : 0;
    uint32_t *cow;

    kmemset(f, 0, sizeof *f);
    f->cr2 = cr2;
    f->eip = eip;
    f->error = error;
    f->space = space;
    f->region = r ? r->kind : REGION_NONE;
    f->outcome = FAULT_BAD;
    if ((error & (PFERR_P | PFERR_W)) == (PFERR_P | PFERR_W) && space && (cow = vmm_cow_pte(space, cr2))) {
        f->copy_on_write = 1;
        f->outcome = vmm_cow_break(space, cr2, cow) == VMM_OK ? FAULT_RESOLVED : FAULT_OUT_OF_MEMORY;
    } else if (r && r->kind == REGION_GUARD) {
        f->outcome = FAULT_STACK_OVERFLOW;
    } else if (r && r->kind == REGION_DEMAND_ZERO && !(error & PFERR_P) &&
               !(cr2 >= USER_END && (error & PFERR_U))) {
        f->outcome = demand_zero(space, cr2);
    }
    vmm_counters.faults[f->outcome]++;
    hook_counters();
    return f->outcome;
}

enum fault_outcome vmm_user_access(struct address_space *as, uint32_t va, int write, struct vmm_fault *f)
{
    struct vmm_translation t;
    uint32_t error = PFERR_U | (write ? PFERR_W : 0) | (vmm_translate(as, va, &t) == VMM_OK ? PFERR_P : 0);
    return vmm_handle_fault(as, va, error, 0, f);
}

void vmm_fault_report(const struct vmm_fault *f)
{
    hook_fault(f);
}

const char *vmm_fault_outcome_name(enum fault_outcome outcome)
{
    static const char *const names[FAULT_OUTCOMES] = {
        "resolved",
        "stack overflow",
        "bad access",
        "out of memory",
    };
    return (unsigned)outcome < FAULT_OUTCOMES ? names[outcome] : "invalid";
}
