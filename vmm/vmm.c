/*
 * vmm.c: page tables: map, unmap, protect and translate, one page, a range
 * or a 4 MiB page at a time (see vmm.h). Address spaces are in space.c.
 *
 * Which addresses may change after vmem_init:
 *
 *   user half   [0, 0xC0000000)       anything; tables come and go
 *   kernel heap [KHEAP_BASE, KHEAP_END) pages only: its tables are permanent
 *   the rest of the kernel half        nothing (direct map, physical window)
 */
#include <koiz/klib.h>
#include "hooks.h"
#include "internal.h"

_Static_assert(PAGE_SIZE >= sizeof(uint32_t[ENTRIES]), "a table must fit in a frame");

/* A zeroed frame of use FRAME_PAGE_TABLE or FRAME_PAGE_DIR; 0 when out of memory. */
static uint32_t zeroed_frame(enum frame_use use)
{
    uint32_t pa = pmem_alloc_for(use);
    if (pa)
        kmemset(arch_phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

uint32_t vmm_table_new(void)
{
    return zeroed_frame(FRAME_PAGE_TABLE);
}

uint32_t vmm_dir_new(void)
{
    return zeroed_frame(FRAME_PAGE_DIR);
}

uint32_t *vmem_alloc_pmem(void)
{
    uint32_t pa = pmem_alloc_for(FRAME_PAGE_TABLE);
    if (!pa)
        return 0;
    if (!page_aligned(pa))
        arch_panic("vmem_alloc_pmem: frame 0x%08x is not 4096 aligned", pa);
    return arch_phys_to_virt(pa);
}

uint32_t *vmem_ptable_new(void)
{
    uint32_t *table = vmem_alloc_pmem();
    if (table)
        kmemset(table, 0, PAGE_SIZE);
    return table;
}

uint32_t vmm_table_drop(struct address_space *as, uint32_t pdi)
{
    uint32_t table = frame_of(as->pd[pdi]);
    if (*table_count(table) != 0)
        arch_panic("vmm_table_release: table 0x%08x at PDE %u still has %u entries", table, pdi,
                   *table_count(table));
    as->pd[pdi] = 0;
    as->tables--;
    vmm_counters.tables_freed++;
    pmem_free(table);
    return table;
}

void vmm_table_release(struct address_space *as, uint32_t pdi)
{
    uint32_t table = vmm_table_drop(as, pdi);
    hook_table_free(as, pdi, table);
}

static int kernel_changeable(uint32_t va)
{
    return va >= KHEAP_BASE && va < KHEAP_END;
}

/* Flags allowed at va: VMM_MAP_FLAGS only, PTE_U exactly in the user half;
 * and in the kernel half only the heap may change. */
static int check_flags(uint32_t va, uint32_t flags)
{
    if (flags & ~VMM_MAP_FLAGS)
        return VMM_EINVAL;
    if (va < USER_END)
        return (flags & PTE_U) ? VMM_OK : VMM_EINVAL;
    return (flags & PTE_U) || !kernel_changeable(va) ? VMM_EINVAL : VMM_OK;
}

static int owned(enum frame_use use)
{
    return pmem_use_referenced(use);
}

/* The present PTE mapping va (4 KiB), or an error: VMM_EUNALIGNED,
 * VMM_EINVAL (a fixed kernel area, a 4 MiB page), VMM_ENOENT. */
static int find_pte(const struct address_space *as, uint32_t va, uint32_t **pte)
{
    uint32_t pde;
    if (!page_aligned(va))
        return VMM_EUNALIGNED;
    if (va >= USER_END && !kernel_changeable(va))
        return VMM_EINVAL;
    pde = as->pd[PDX(va)];
    if (!pte_present(pde))
        return VMM_ENOENT;
    if (pde & PDE_PS)
        return VMM_EINVAL;
    *pte = &table_of(pde)[PTX(va)];
    return pte_present(**pte) ? VMM_OK : VMM_ENOENT;
}

int vmm_map_page(struct address_space *as, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t pdi = PDX(va), *pte;
    struct pmm_frame *rec = pmem_record(pa);
    enum frame_use use = rec ? (enum frame_use)rec->use : FRAME_ABSENT;
    int err;

    if (!page_aligned(va) || !page_aligned(pa))
        return VMM_EUNALIGNED;
    if ((err = check_flags(va, flags)) != VMM_OK)
        return err;
    if (use == FRAME_FREE || use == FRAME_PAGE_TABLE || use == FRAME_PAGE_DIR)
        return VMM_EINVAL;
    if (!pte_present(as->pd[pdi])) {
        uint32_t table;
        if (va >= USER_END)
            arch_panic("vmm_map_page: kernel heap PDE %u is missing", pdi);
        if ((table = vmm_table_new()) == 0)
            return VMM_ENOMEM;
        /* Permissions live in the PTEs; the PDE allows everything. */
        as->pd[pdi] = table | PTE_P | PTE_W | PTE_U;
        as->tables++;
        vmm_counters.tables_allocated++;
        hook_table_alloc(as, pdi, table);
    } else if (as->pd[pdi] & PDE_PS) {
        return VMM_EEXIST;
    }
    pte = &table_of(as->pd[pdi])[PTX(va)];
    if (pte_present(*pte))
        return VMM_EEXIST;
    if (owned(use)) {
        if (rec->refs == UINT16_MAX)
            arch_panic("vmm_map_page: frame 0x%08x has too many references", pa);
        rec->refs++; /* the mapping's reference (pmem_ref, inlined: this is the hot path) */
    }
    /* A not-present entry is never cached, so no TLB flush is needed. */
    *pte = pa | flags | PTE_P | (va >= USER_END && vmm_state.pge ? PTE_G : 0);
    (*table_count(frame_of(as->pd[pdi])))++;
    (va < USER_END ? as : vmm_state.kernel)->pages++;
    vmm_counters.maps++;
    return VMM_OK;
}

/*
 * Unmapping happens in the order the CPU needs and the stream reports:
 *
 *   1. detach   every page's PTE loses P and gets PTE_DETACHED (the frame
 *               bits stay for step 3: the CPU ignores a not-present entry)
 *               and is counted out
 *   2. report   the `unmap` hook, then each TLB invalidation as it is done
 *   3. release  the frame references are dropped and tables left empty are
 *               freed (the `ptab free` hook): a frame is never given back
 *               while a stale translation may still reach it
 */

/* Step 1 for one page. VMM_OK, or find_pte's error with nothing changed. */
static int detach_page(struct address_space *as, uint32_t va)
{
    uint32_t *pte;
    int err = find_pte(as, va, &pte);
    if (err != VMM_OK)
        return err;
    *pte = (*pte & ~PTE_P) | PTE_DETACHED;
    (*table_count(frame_of(as->pd[PDX(va)])))--;
    (va < USER_END ? as : vmm_state.kernel)->pages--;
    vmm_counters.unmaps++;
    return VMM_OK;
}

/* Step 3 for the detached page at va: its frame (returned) loses the
 * mapping's reference; with table_done, its table is freed when empty. */
static uint32_t release_page(struct address_space *as, uint32_t va, int table_done)
{
    uint32_t pdi = PDX(va), table = frame_of(as->pd[pdi]);
    uint32_t *pte = &table_of(as->pd[pdi])[PTX(va)], pa = frame_of(*pte);

    if ((*pte & (PTE_P | PTE_DETACHED)) != PTE_DETACHED)
        arch_panic("vmm: release of 0x%08x, whose entry 0x%08x was not detached", va, *pte);
    *pte = 0;
    if (owned(pmem_use(pa)))
        pmem_unref(pa);
    if (table_done && va < USER_END && *table_count(table) == 0)
        vmm_table_release(as, pdi);
    return pa;
}

/* Step 3 for npages detached pages from va. */
static void release_range(struct address_space *as, uint32_t va, uint32_t npages)
{
    for (uint32_t i = 0; i < npages; i++) {
        uint32_t page = va + i * PAGE_SIZE;
        release_page(as, page, i + 1 == npages || PTX(page) == ENTRIES - 1);
    }
}

int vmm_unmap_page(struct address_space *as, uint32_t va, uint32_t *pa_out)
{
    int err = detach_page(as, va);
    uint32_t pa;
    if (err != VMM_OK)
        return err;
    vmm_tlb_page(as, va);
    pa = release_page(as, va, 1);
    if (pa_out)
        *pa_out = pa;
    return VMM_OK;
}

/* Sets the flags of one present page; the caller reports it, then drops
 * the TLB entry (vmm_tlb_page), in that order. */
static void protect_page(uint32_t va, uint32_t *pte, uint32_t flags)
{
    *pte = frame_of(*pte) | (*pte & (PTE_A | PTE_D)) | flags | PTE_P |
           (va >= USER_END && vmm_state.pge ? PTE_G : 0);
    vmm_counters.protects++;
}

int vmm_map(struct address_space *as, uint32_t va, uint32_t pa, uint32_t flags)
{
    int err = vmm_map_page(as, va, pa, flags);
    if (err == VMM_OK) {
        hook_map_range(as, va, pa, PAGE_SIZE, flags);
        hook_counters();
    }
    return err;
}

int vmm_unmap(struct address_space *as, uint32_t va, uint32_t *pa_out)
{
    int err = detach_page(as, va);
    uint32_t pa;
    if (err != VMM_OK)
        return err;
    hook_unmap_range(as, va, PAGE_SIZE, 0);
    vmm_tlb_page(as, va);
    pa = release_page(as, va, 1);
    if (pa_out)
        *pa_out = pa;
    hook_counters();
    return VMM_OK;
}

int vmm_protect(struct address_space *as, uint32_t va, uint32_t flags)
{
    uint32_t *pte;
    int err = find_pte(as, va, &pte);
    if (err == VMM_OK)
        err = check_flags(va, flags);
    if (err == VMM_OK && (*pte & PTE_COW))
        err = vmm_cow_break(as, va, pte);
    if (err != VMM_OK)
        return err;
    protect_page(va, pte, flags);
    hook_protect_range(as, va, PAGE_SIZE, flags);
    vmm_tlb_page(as, va);
    hook_counters();
    return VMM_OK;
}

/* VMM_OK when [va, va + npages pages) is a nonempty range that does not
 * wrap around and stays in one half. */
static int check_range(uint32_t va, uint32_t npages)
{
    uint64_t end = (uint64_t)va + (uint64_t)npages * PAGE_SIZE;
    if (!page_aligned(va))
        return VMM_EUNALIGNED;
    if (npages == 0 || end > 0x100000000ull || (va < USER_END && end > USER_END))
        return VMM_EINVAL;
    return VMM_OK;
}

/* Undoes the first n pages of a map_range that failed. */
static void unmap_first(struct address_space *as, uint32_t va, uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        if (vmm_unmap_page(as, va + i * PAGE_SIZE, 0) != VMM_OK)
            arch_panic("vmm_map_range: undo of 0x%08x failed", va + i * PAGE_SIZE);
}

int vmm_map_range(struct address_space *as, uint32_t va, uint32_t pa, uint32_t npages, uint32_t flags)
{
    uint32_t i;
    int err = check_range(va, npages);

    if (err == VMM_OK && (uint64_t)pa + (uint64_t)npages * PAGE_SIZE > 0x100000000ull)
        err = VMM_EINVAL;
    if (err != VMM_OK)
        return err;
    for (i = 0; i < npages; i++) {
        err = vmm_map_page(as, va + i * PAGE_SIZE, pa + i * PAGE_SIZE, flags);
        if (err != VMM_OK) {
            unmap_first(as, va, i);
            return err;
        }
    }
    hook_map_range(as, va, pa, npages * PAGE_SIZE, flags);
    hook_counters();
    return VMM_OK;
}

/* VMM_OK when every page of the range is mapped by a 4 KiB entry. */
static int all_mapped(const struct address_space *as, uint32_t va, uint32_t npages)
{
    uint32_t i, *pte;
    int err = check_range(va, npages);
    for (i = 0; err == VMM_OK && i < npages; i++)
        err = find_pte(as, va + i * PAGE_SIZE, &pte);
    return err;
}

int vmm_unmap_range(struct address_space *as, uint32_t va, uint32_t npages)
{
    /* Many live user pages: one TLB flush at the end beats an invlpg each.
     * Kernel pages are global, which only invlpg drops. */
    int flush_all = va < USER_END && npages > 32 && as == vmm_state.live;
    int err = all_mapped(as, va, npages);
    /* bug=free-mapped: the last page of a user range is left out of the unmapping, its frame given back all
     * the same */
    uint32_t i, n = npages - ((vmm_state.bugs & BUG(FREE_MAPPED)) && npages > 1 && va < USER_END);

    if (err != VMM_OK)
        return err;
    for (i = 0; i < n; i++)
        detach_page(as, va + i * PAGE_SIZE);
    hook_unmap_range(as, va, n * PAGE_SIZE, 0);
    if (flush_all && !(vmm_state.bugs & BUG(SKIP_INVLPG))) {
        arch_flush_tlb();
        vmm_counters.tlb_flushes++;
        hook_tlb_flush(0, 1);
    } else {
        for (i = 0; i < n; i++)
            vmm_tlb_page(as, va + i * PAGE_SIZE);
    }
    release_range(as, va, n);
    if (n < npages) {
        uint32_t *pte;
        if (find_pte(as, va + n * PAGE_SIZE, &pte) == VMM_OK && owned(pmem_use(frame_of(*pte))))
            pmem_unref(frame_of(*pte)); /* still mapped: a use after free waiting to happen */
    }
    hook_counters();
    return VMM_OK;
}

int vmm_protect_range(struct address_space *as, uint32_t va, uint32_t npages, uint32_t flags)
{
    uint32_t i, *pte, copies = 0;
    int err = all_mapped(as, va, npages);

    if (err == VMM_OK)
        err = check_flags(va, flags);
    if (err != VMM_OK)
        return err;
    /* Copy-on-write pages become private first (see vmm_protect). Counting
     * the copies up front keeps the range all or nothing; references only
     * fall as pages are broken, so this never undercounts. */
    for (i = 0; i < npages; i++) {
        find_pte(as, va + i * PAGE_SIZE, &pte);
        copies += (*pte & PTE_COW) && pmem_frame(frame_of(*pte))->refs > 1;
    }
    if (copies > pmem_stats()->free)
        return VMM_ENOMEM;
    for (i = 0; i < npages; i++) {
        find_pte(as, va + i * PAGE_SIZE, &pte);
        if ((*pte & PTE_COW) && vmm_cow_break(as, va + i * PAGE_SIZE, pte) != VMM_OK)
            arch_panic("vmm_protect_range: no frame for 0x%08x after all", va + i * PAGE_SIZE);
        protect_page(va + i * PAGE_SIZE, pte, flags);
    }
    hook_protect_range(as, va, npages * PAGE_SIZE, flags);
    for (i = 0; i < npages; i++)
        vmm_tlb_page(as, va + i * PAGE_SIZE);
    hook_counters();
    return VMM_OK;
}

int vmm_map_large(struct address_space *as, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t pdi = PDX(va);

    if (!large_aligned(va) || !large_aligned(pa))
        return VMM_EUNALIGNED;
    if (!vmm_state.pse || va >= USER_END || (flags & ~VMM_MAP_FLAGS) || !(flags & PTE_U))
        return VMM_EINVAL;
    if (pte_present(as->pd[pdi]))
        return VMM_EEXIST;
    as->pd[pdi] = pa | flags | PTE_P | PDE_PS;
    as->large++;
    vmm_counters.large_maps++;
    hook_map_range(as, va, pa, LARGE_PAGE_SIZE, flags | PDE_PS);
    hook_counters();
    return VMM_OK;
}

int vmm_unmap_large(struct address_space *as, uint32_t va, uint32_t *pa_out)
{
    uint32_t pdi = PDX(va), pde;

    if (!large_aligned(va))
        return VMM_EUNALIGNED;
    if (va >= USER_END)
        return VMM_EINVAL;
    pde = as->pd[pdi];
    if (!pde_large(pde))
        return pte_present(pde) ? VMM_EINVAL : VMM_ENOENT;
    as->pd[pdi] = 0;
    as->large--;
    vmm_counters.large_unmaps++;
    if (pa_out)
        *pa_out = large_frame_of(pde);
    hook_unmap_range(as, va, LARGE_PAGE_SIZE, 1);
    vmm_tlb_page(as, va);
    hook_counters();
    return VMM_OK;
}

uint32_t vmem_get_phys_addr(const uint32_t *page_directory, uint32_t va)
{
    uint32_t pde = page_directory[PDX(va)], pte;

    if (!pte_present(pde))
        return 0;
    if (pde & PDE_PS)
        return large_frame_of(pde) | (va & (LARGE_PAGE_SIZE - 1));
    pte = table_of(pde)[PTX(va)];
    if (!pte_present(pte))
        return 0;
    return frame_of(pte) | (va & (PAGE_SIZE - 1));
}

int vmm_translate(const struct address_space *as, uint32_t va, struct vmm_translation *t)
{
    /* Every field, one store each (a telemetry hook asks on every map and protect). */
    t->pde = as->pd[PDX(va)];
    t->pa = t->pte = t->flags = 0;
    t->large = t->missing = 0;
    if (!pte_present(t->pde)) {
        t->missing = VMM_MISSING_PDE;
        return VMM_ENOENT;
    }
    if (t->pde & PDE_PS) {
        t->large = 1;
        t->flags = t->pde & PTE_FLAGS;
        t->pa = large_frame_of(t->pde) | (va & (LARGE_PAGE_SIZE - 1));
        return VMM_OK;
    }
    t->pte = table_of(t->pde)[PTX(va)];
    if (!pte_present(t->pte)) {
        t->missing = VMM_MISSING_PTE;
        return VMM_ENOENT;
    }
    t->flags = t->pte & PTE_FLAGS;
    t->pa = frame_of(t->pte) | (va & (PAGE_SIZE - 1));
    return VMM_OK;
}
