/*
 * space.c: address spaces: the kernel's (vmem_init), and user spaces that
 * share its upper quarter: create, destroy, switch, clone.
 *
 *   directory of any space            kernel's tables (shared)
 *   +---------------------+
 *   | 0..767    user      |--> private page tables
 *   | 768..959  direct map|--> 4 MiB pages, or tables when no PSE
 *   | 960..967  heap      |--> 8 tables made at vmem_init
 *   | 968..1022 (empty)   |
 *   | 1023      physwin   |--> the physical window
 *   +---------------------+
 *   copied from the kernel's directory at create, and never changed after.
 */
#include <koiz/klib.h>
#include "hooks.h"
#include "internal.h"

static struct address_space spaces[VMM_MAX_SPACES];
static int next_id;

/* A table for kernel slot pdi of k, counted as the kernel's; panics when
 * out of memory, as vmem_init cannot go on without it. */
static uint32_t *kernel_table(struct address_space *k, uint32_t pdi)
{
    uint32_t table = vmm_table_new();
    if (!table)
        arch_panic("vmem_init: out of memory for the table of PDE %u", pdi);
    k->pd[pdi] = table | PTE_P | PTE_W;
    k->tables++;
    vmm_counters.tables_allocated++;
    hook_table_alloc(k, pdi, table);
    return arch_phys_to_virt(table);
}

/* Maps physical [pa, min(pa + 4 MiB, top)) at DIRECT_MAP_BASE + pa: one
 * 4 MiB page when PSE is on and the chunk is whole, else a page table. */
static void direct_map_chunk(struct address_space *k, uint32_t pa, uint32_t top)
{
    uint32_t pdi = PDX(DIRECT_MAP_BASE + pa), global = vmm_state.pge ? PTE_G : 0;
    uint32_t *table, i;

    if (vmm_state.pse && top - pa >= LARGE_PAGE_SIZE) {
        k->pd[pdi] = pa | PTE_P | PTE_W | PDE_PS | global;
        k->large++;
        vmm_counters.direct_map_large += LARGE_PAGE_SIZE;
        return;
    }
    table = kernel_table(k, pdi);
    for (i = 0; i < ENTRIES && pa + i * PAGE_SIZE < top; i++)
        table[i] = (pa + i * PAGE_SIZE) | PTE_P | PTE_W | global;
    *table_count(frame_of(k->pd[pdi])) = (uint16_t)i;
    k->pages += i;
    vmm_counters.direct_map_tables++;
}

struct address_space *vmem_init(const struct vmem_config *cfg)
{
    struct address_space *k = &spaces[0];
    uint32_t top = pmem_stats()->top, pa, va, pd;

    if (cfg->physwin_pde & (PTE_U | PDE_PS))
        arch_panic("vmem_init: physical window PDE 0x%08x must be a kernel page table", cfg->physwin_pde);
    kmemset(&vmm_state, 0, sizeof vmm_state);
    kmemset(spaces, 0, sizeof spaces);
    kmemset(&vmm_counters, 0, sizeof vmm_counters);
    vmm_state.pse = cfg->pse != 0;
    vmm_state.pge = cfg->pge != 0;
    arch_enable_paging_features(vmm_state.pse, vmm_state.pge);

    if ((pd = vmm_dir_new()) == 0)
        arch_panic("vmem_init: out of memory for the kernel page directory");
    k->pd_phys = pd;
    k->pd = arch_phys_to_virt(pd);
    k->in_use = 1;
    k->id = 0;
    next_id = 1;
    vmm_state.kernel = k;

    if (top > DIRECT_MAP_MAX)
        top = DIRECT_MAP_MAX;
    for (pa = 0; pa < top; pa += LARGE_PAGE_SIZE)
        direct_map_chunk(k, pa, top);
    vmm_counters.direct_map_bytes = top;
    for (va = KHEAP_BASE; va < KHEAP_END; va += LARGE_PAGE_SIZE)
        kernel_table(k, PDX(va));
    k->pd[PHYSWIN_PDE] = cfg->physwin_pde;

    kmemcpy(vmm_state.kernel_pdes, &k->pd[KERNEL_PDE_FIRST], sizeof vmm_state.kernel_pdes);
    vmm_state.fixed = 1;
    vmm_counters.spaces = 1;
    if (vmm_region_add_for(k, KHEAP_BASE, KHEAP_END, REGION_DEMAND_ZERO, REGION_FOR_KERNEL_HEAP) != VMM_OK)
        arch_panic("vmem_init: cannot add the heap region");
    hook_space_create(k);
    hook_counters();
    return k;
}

/* Panics unless as is a space handed out by this file and not destroyed. */
static void check_space(const char *who, const struct address_space *as)
{
    if (as < spaces || as >= spaces + VMM_MAX_SPACES || !as->in_use)
        arch_panic("%s: %p is not a live address space", who, (const void *)as);
}

/* Panics if a kernel PDE differs from what vmem_init left. The CPU sets the
 * accessed and dirty bits in each directory's own copy, so those may differ. */
static void check_kernel_pdes(const char *who, const uint32_t *pd)
{
    uint32_t i;
    for (i = 0; i < KERNEL_PDES; i++)
        if ((pd[KERNEL_PDE_FIRST + i] ^ vmm_state.kernel_pdes[i]) & ~(uint32_t)(PTE_A | PTE_D))
            arch_panic("%s: kernel PDE %u is 0x%08x, vmem_init left 0x%08x", who, KERNEL_PDE_FIRST + i,
                       pd[KERNEL_PDE_FIRST + i], vmm_state.kernel_pdes[i]);
}

struct address_space *vmm_space_create(void)
{
    struct address_space *as;
    uint32_t pd;
    int i;

    if (!vmm_state.fixed)
        arch_panic("vmm_space_create: vmem_init has not run");
    for (i = 1; i < VMM_MAX_SPACES && spaces[i].in_use; i++)
        ;
    if (i == VMM_MAX_SPACES || (pd = vmm_dir_new()) == 0)
        return 0;
    as = &spaces[i];
    kmemset(as, 0, sizeof *as);
    as->pd_phys = pd;
    as->pd = arch_phys_to_virt(pd);
    as->id = next_id++;
    as->in_use = 1;
    check_kernel_pdes("vmm_space_create", vmm_state.kernel->pd);
    kmemcpy(&as->pd[KERNEL_PDE_FIRST], vmm_state.kernel_pdes, sizeof vmm_state.kernel_pdes);
    vmm_counters.spaces++;
    hook_space_create(as);
    hook_counters();
    return as;
}

int vmm_space_destroy(struct address_space *as)
{
    uint32_t pdi, pti;

    check_space("vmm_space_destroy", as);
    if (as == vmm_state.kernel || as == vmm_state.live)
        return VMM_EINVAL;
    for (pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        uint32_t pde = as->pd[pdi], *table;
        if (!pte_present(pde))
            continue;
        if (pde & PDE_PS) {
            as->pd[pdi] = 0;
            as->large--;
            continue;
        }
        table = table_of(pde);
        for (pti = 0; pti < ENTRIES; pti++) {
            uint32_t pa = frame_of(table[pti]);
            if (!pte_present(table[pti]))
                continue;
            table[pti] = 0;
            (*table_count(frame_of(pde)))--;
            as->pages--;
            vmm_counters.unmaps++;
            if (pmem_use_referenced(pmem_use(pa)) &&
                !((vmm_state.bugs & BUG(LEAK_ON_EXIT)) && pmem_use(pa) == FRAME_PROCESS))
                pmem_unref(pa); /* (bug=leak-on-exit: a user page's frame is kept, forever) */
        }
        vmm_table_drop(as, pdi); /* silently: the destroy reports it all */
    }
    if (as->pages || as->large || as->tables)
        arch_panic("vmm_space_destroy: space %d still counts %u pages, %u large, %u tables", as->id,
                   as->pages, as->large, as->tables);
    check_kernel_pdes("vmm_space_destroy", as->pd);
    pmem_free(as->pd_phys);
    hook_space_destroy(as);
    kmemset(as, 0, sizeof *as);
    vmm_counters.spaces--;
    hook_counters();
    return VMM_OK;
}

void vmm_space_switch(struct address_space *as)
{
    struct address_space *from = vmm_state.live;

    check_space("vmm_space_switch", as);
    arch_load_cr3(as->pd_phys);
    vmm_state.live = as;
    vmm_counters.switches++;
    hook_space_switch(from, as);
    hook_counters();
}

/* Gives dst a copy of the 4 KiB page src maps at va (entry pte): a fresh
 * frame for RAM pmm manages, the same frame for anything else. */
static int clone_page(struct address_space *dst, uint32_t va, uint32_t pte)
{
    uint32_t pa = frame_of(pte), copy = pa, flags = pte & VMM_MAP_FLAGS;
    if (pte & PTE_COW)
        flags |= PTE_W; /* shared only until written: the copy is private */
    int err;

    if (pmem_use_referenced(pmem_use(pa))) {
        if ((copy = pmem_alloc_for(FRAME_PROCESS)) == 0)
            return VMM_ENOMEM;
        kmemcpy(arch_phys_to_virt(copy), arch_phys_to_virt(pa), PAGE_SIZE);
    }
    err = vmm_map_page(dst, va, copy, flags);
    if (copy != pa)
        pmem_unref(copy); /* the mapping holds it now, or it is freed */
    if (err == VMM_OK)
        hook_map_range(dst, va, copy, PAGE_SIZE, flags);
    return err;
}

struct address_space *vmm_space_clone(const struct address_space *src)
{
    struct address_space *dst;
    uint32_t pdi, pti;

    check_space("vmm_space_clone", src);
    if ((dst = vmm_space_create()) == 0)
        return 0;
    vmm_regions_copy(dst, src);
    for (pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        uint32_t pde = src->pd[pdi], *table;
        if (!pte_present(pde))
            continue;
        if (pde & PDE_PS) {
            dst->pd[pdi] = pde;
            dst->large++;
            vmm_counters.large_maps++;
            hook_map_range(dst, page_va(pdi, 0), large_frame_of(pde), LARGE_PAGE_SIZE,
                           pde & (VMM_MAP_FLAGS | PDE_PS));
            continue;
        }
        table = table_of(pde);
        for (pti = 0; pti < ENTRIES; pti++) {
            if (pte_present(table[pti]) && clone_page(dst, page_va(pdi, pti), table[pti]) != VMM_OK) {
                vmm_space_destroy(dst);
                return 0;
            }
        }
    }
    hook_counters();
    return dst;
}

struct address_space *vmm_kernel_space(void)
{
    return vmm_state.kernel;
}

struct address_space *vmm_space_by_id(int id)
{
    int i;
    for (i = 0; i < VMM_MAX_SPACES; i++)
        if (spaces[i].in_use && spaces[i].id == id)
            return &spaces[i];
    return 0;
}

struct address_space *vmm_space_at(int i)
{
    return i >= 0 && i < VMM_MAX_SPACES && spaces[i].in_use ? &spaces[i] : 0;
}

struct address_space *vmm_current_space(void)
{
    return vmm_state.live;
}
