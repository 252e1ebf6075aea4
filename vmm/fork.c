/*
 * fork.c: vmm_space_fork: a new space sharing every user frame of another,
 * copy-on-write (cow.c says how the sharing ends). Tables are made first, so
 * running out of memory leaves the parent untouched; one fork hook states
 * the rule for the whole space, and the pages it does not hold for
 * (writable device memory) are reported after it.
 */
#include <koiz/klib.h>
#include "hooks.h"
#include "internal.h"

/* The entry bits a hook reports (the emitter reads the rest back). */
#define HOOK_BITS (VMM_MAP_FLAGS | PTE_COW)

/* Pages one protect_range call reports: consecutive addresses with the same entry bits. */
struct run {
    struct address_space *as;
    uint32_t va, bytes, flags;
};

static void run_flush(struct run *r)
{
    if (r->bytes)
        hook_protect_range(r->as, r->va, r->bytes, r->flags);
    r->bytes = 0;
}

static void run_add(struct run *r, uint32_t va, uint32_t flags)
{
    if (r->bytes && (va != r->va + r->bytes || flags != r->flags))
        run_flush(r);
    if (!r->bytes) {
        r->va = va;
        r->flags = flags;
    }
    r->bytes += PAGE_SIZE;
}

static int owned(uint32_t pa)
{
    struct pmm_frame *rec = pmem_record(pa);
    return rec && pmem_use_referenced((enum frame_use)rec->use);
}

/* Gives dst an empty table in every slot where src has one. 0 when out of
 * memory (the tables made so far stay in dst, for destroy to free). */
static int fork_tables(struct address_space *dst, const struct address_space *src)
{
    uint32_t pdi, table;
    for (pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        if (!pte_present(src->pd[pdi]) || (src->pd[pdi] & PDE_PS))
            continue;
        if ((table = vmm_table_new()) == 0)
            return 0;
        dst->pd[pdi] = table | PTE_P | PTE_W | PTE_U;
        dst->tables++;
        vmm_counters.tables_allocated++;
        hook_table_alloc(dst, pdi, table);
    }
    return 1;
}

/* Shares the 4 KiB pages of src's table in slot pdi with dst's (empty)
 * table there; returns how many of src's entries lost PTE_W, and counts in
 * *kept_w the writable pages that stay so (device memory: no copy-on-write). */
static uint32_t fork_table(struct address_space *dst, struct address_space *src, uint32_t pdi,
                           uint32_t *kept_w)
{
    uint32_t *from = table_of(src->pd[pdi]), *to = table_of(dst->pd[pdi]);
    uint32_t pti, n = 0, changed = 0;

    for (pti = 0; pti < ENTRIES; pti++) {
        uint32_t e = from[pti], pa = frame_of(e);
        if (!pte_present(e))
            continue;
        if (owned(pa)) {
            pmem_ref(pa); /* dst's mapping */
            if (e & PTE_W) {
                e = (e & ~PTE_W) | PTE_COW;
                if (!(vmm_state.bugs &
                      BUG(COW_WRITABLE_PARENT))) /* the bug: the parent's entry stays writable */
                    from[pti] = e;
                changed++;
            }
        } else if (e & PTE_W) {
            (*kept_w)++;
        }
        to[pti] = e & ~(PTE_A | PTE_D);
        n++;
    }
    *table_count(frame_of(dst->pd[pdi])) = (uint16_t)n;
    dst->pages += n;
    vmm_counters.maps += n;
    return changed;
}

/* The fork hook states a rule (every writable page became copy-on-write in
 * both spaces); the pages it does not hold for, writable device memory, are
 * reported after it as they are, in both spaces. */
static void report_kept_writable(struct address_space *dst, struct address_space *src)
{
    struct run in_dst, in_src;
    kmemset(&in_dst, 0, sizeof in_dst);
    kmemset(&in_src, 0, sizeof in_src);
    in_dst.as = dst;
    in_src.as = src;
    for (uint32_t pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        uint32_t pde = dst->pd[pdi], *t;
        if (!pte_present(pde) || (pde & PDE_PS))
            continue;
        t = table_of(pde);
        for (uint32_t pti = 0; pti < ENTRIES; pti++)
            if ((t[pti] & (PTE_P | PTE_W)) == (PTE_P | PTE_W)) {
                run_add(&in_dst, page_va(pdi, pti), t[pti] & HOOK_BITS);
                run_add(&in_src, page_va(pdi, pti), t[pti] & HOOK_BITS);
            }
    }
    run_flush(&in_dst);
    run_flush(&in_src);
}

/* bug=cow-writable-parent: the fork hook's rule does not hold for the parent's pages that stayed
 * writable; they are reported as they are. */
static void report_parent_writable(struct address_space *src)
{
    struct run in_src;
    kmemset(&in_src, 0, sizeof in_src);
    in_src.as = src;
    for (uint32_t pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        uint32_t pde = src->pd[pdi], *t;
        if (!pte_present(pde) || (pde & PDE_PS))
            continue;
        t = table_of(pde);
        for (uint32_t pti = 0; pti < ENTRIES; pti++)
            if ((t[pti] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && owned(frame_of(t[pti])))
                run_add(&in_src, page_va(pdi, pti), t[pti] & HOOK_BITS);
    }
    run_flush(&in_src);
}

struct address_space *vmm_space_fork(struct address_space *src)
{
    struct address_space *dst;
    uint32_t pdi, changed = 0, kept_w = 0;

    if (!src || !src->in_use || src == vmm_state.kernel)
        arch_panic("vmm_space_fork: %p is not a live user space", (const void *)src);
    if ((dst = vmm_space_create()) == 0)
        return 0;
    /* Tables first: running out of memory there leaves src untouched. */
    if (!fork_tables(dst, src)) {
        vmm_space_destroy(dst);
        return 0;
    }
    vmm_regions_copy(dst, src);
    for (pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        uint32_t pde = src->pd[pdi];
        if (!pte_present(pde))
            continue;
        if (pde & PDE_PS) {
            dst->pd[pdi] = pde & ~(PTE_A | PTE_D);
            dst->large++;
            vmm_counters.large_maps++;
            continue;
        }
        changed += fork_table(dst, src, pdi, &kept_w);
    }
    hook_space_fork(src, dst);
    if (kept_w)
        report_kept_writable(dst, src);
    if (vmm_state.bugs & BUG(COW_WRITABLE_PARENT))
        report_parent_writable(src); /* the stream says what the tables are, bug and all */
    vmm_counters.protects += changed;
    if (changed && src == vmm_state.live) {
        arch_flush_tlb(); /* user pages are never global */
        vmm_counters.tlb_flushes++;
        hook_tlb_flush(0, 1);
    }
    vmm_counters.forks++;
    hook_counters();
    return dst;
}
