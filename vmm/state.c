/*
 * state.c: what every part of the memory manager shares: its state (the
 * kernel's space, the live one, the CPU features in use), its counters, its
 * error names, and dropping a TLB entry that may be cached. It calls only
 * the arch interface and the hooks, so every other vmm file may use it.
 */
#include "hooks.h"
#include "internal.h"

struct vmm_state vmm_state;
struct vmm_stats vmm_counters;

const char *vmm_strerror(int err)
{
    switch (err) {
    case VMM_OK: return "success";
    case VMM_EUNALIGNED: return "unaligned address";
    case VMM_EEXIST: return "already mapped";
    case VMM_ENOENT: return "not mapped";
    case VMM_ENOMEM: return "out of memory";
    case VMM_EINVAL: return "invalid argument";
    default: return "unknown error";
    }
}

const struct vmm_stats *vmm_stats(void)
{
    return &vmm_counters;
}

void vmm_set_bugs(uint32_t bugs)
{
    vmm_state.bugs = bugs;
}

void vmm_tlb_page(const struct address_space *as, uint32_t va)
{
    if (vmm_state.bugs & BUG(SKIP_INVLPG))
        return; /* bug=skip-invlpg: the old translation stays in the TLB */
    if (vmm_state.live && (as == vmm_state.live || va >= USER_END)) {
        arch_invlpg(va);
        vmm_counters.invlpgs++;
        hook_tlb_flush(va, 0);
    }
}
