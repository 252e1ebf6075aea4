/*
 * walk.c: visiting the present entries of an address space, in address
 * order, and the invariant check built on that walk (with frame
 * references checked against the mappings of every space). Snapshots for the
 * visualizer will be another sink on the same walker.
 */
#include <koiz/klib.h>
#include "internal.h"

int vmm_walk(const struct address_space *as, unsigned halves, vmm_walk_fn fn, void *ctx)
{
    uint32_t pdi, pti, first = (halves & VMM_WALK_USER) ? 0 : KERNEL_PDE_FIRST;
    uint32_t end = (halves & VMM_WALK_KERNEL) ? ENTRIES : KERNEL_PDE_FIRST;
    struct vmm_entry e;
    int stop;

    for (pdi = first; pdi < end; pdi++) {
        uint32_t pde = as->pd[pdi], *table;
        if (!pte_present(pde))
            continue;
        e.va = page_va(pdi, 0);
        e.size = LARGE_PAGE_SIZE;
        e.entry = pde;
        e.pdi = pdi;
        e.pti = 0;
        e.level = (pde & PDE_PS) ? VMM_WALK_LARGE : VMM_WALK_TABLE;
        if ((stop = fn(ctx, &e)) != 0)
            return stop;
        if (pde & PDE_PS)
            continue;
        table = table_of(pde);
        for (pti = 0; pti < ENTRIES; pti++) {
            if (!pte_present(table[pti]))
                continue;
            e.va = page_va(pdi, pti);
            e.size = PAGE_SIZE;
            e.entry = table[pti];
            e.pti = pti;
            e.level = VMM_WALK_PAGE;
            if ((stop = fn(ctx, &e)) != 0)
                return stop;
        }
    }
    return 0;
}

static int owned(uint32_t pa)
{
    return pmem_use_referenced(pmem_use(pa));
}

/* The first frame found with fewer references than mappings. */
struct shortfall {
    uint32_t pa, refs, mappings;
};

/* Adds one to the mark of each frame a mapping of as holds a reference on
 * (its user half, or the kernel heap for the kernel's space); with short
 * set, instead clears the marks, noting in *short a frame that had fewer
 * references than marks. */
static void mark_references(const struct address_space *as, struct shortfall *short_)
{
    uint32_t pdi = as == vmm_state.kernel ? PDX(KHEAP_BASE) : 0;
    uint32_t end = as == vmm_state.kernel ? PDX(KHEAP_END) : KERNEL_PDE_FIRST, pti;

    for (; pdi < end; pdi++) {
        uint32_t pde = as->pd[pdi], *table;
        if (!pte_present(pde) || (pde & PDE_PS))
            continue;
        table = table_of(pde);
        for (pti = 0; pti < ENTRIES; pti++) {
            struct pmm_frame *rec;
            if (!pte_present(table[pti]) || !owned(frame_of(table[pti])))
                continue;
            rec = pmem_record(frame_of(table[pti]));
            if (!short_) {
                rec->mark += rec->mark < UINT8_MAX;
            } else if (rec->mark) {
                if (rec->refs < rec->mark && !short_->pa) {
                    short_->pa = frame_of(table[pti]);
                    short_->refs = rec->refs;
                    short_->mappings = rec->mark;
                }
                rec->mark = 0;
            }
        }
    }
}

/* Every frame mapped in any space has at least a reference per mapping. */
static void check_references(void)
{
    struct shortfall s = {0, 0, 0};
    int i, pass;
    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < VMM_MAX_SPACES; i++)
            if (vmm_space_at(i))
                mark_references(vmm_space_at(i), pass ? &s : 0);
    /* Only now, with every mark cleared again. */
    if (s.pa)
        arch_panic("vmm_check: frame 0x%08x has %u references but %u mappings", s.pa, s.refs, s.mappings);
}

struct check {
    const struct address_space *as;
    int kernel; /* as is the kernel's: count its kernel half */
    uint32_t seen, pages, large, tables;
    uint32_t table, in_table; /* the table being walked (0: not ours) and its entries */
};

/* Ends the table being walked: its stored count must match what was seen. */
static void close_table(struct check *c)
{
    if (c->table && *table_count(c->table) != c->in_table)
        arch_panic("vmm_check: table 0x%08x counts %u entries but has %u", c->table, *table_count(c->table),
                   c->in_table);
    c->table = 0;
}

static int check_entry(void *ctx, const struct vmm_entry *e)
{
    struct check *c = ctx;
    int kernel_half = e->va >= USER_END, ours = !kernel_half || c->kernel;

    c->seen++;
    if (kernel_half && (e->entry & PTE_U))
        arch_panic("vmm_check: kernel address 0x%08x is user-accessible (entry 0x%08x)", e->va, e->entry);
    if (e->level != VMM_WALK_PAGE)
        close_table(c);
    if (e->level == VMM_WALK_LARGE) {
        c->large += ours;
    } else if (e->level == VMM_WALK_TABLE) {
        if (e->pdi == PHYSWIN_PDE)
            return 0; /* the physical window, not counted */
        if (pmem_use(frame_of(e->entry)) != FRAME_PAGE_TABLE)
            arch_panic("vmm_check: PDE %u points to frame 0x%08x, which is %s, not a page table", e->pdi,
                       frame_of(e->entry), pmem_use_name(pmem_use(frame_of(e->entry))));
        c->table = frame_of(e->entry);
        c->in_table = 0;
        c->tables += ours;
    } else if (c->table) {
        if (!kernel_half && !(e->entry & PTE_U))
            arch_panic("vmm_check: user address 0x%08x is not user-accessible (PTE 0x%08x)", e->va, e->entry);
        if ((e->entry & PTE_COW) && (kernel_half || (e->entry & PTE_W) || !owned(frame_of(e->entry))))
            arch_panic("vmm_check: copy-on-write page 0x%08x is writable, in the kernel or not RAM "
                       "(PTE 0x%08x)",
                       e->va, e->entry);
        c->in_table++;
        c->pages += ours;
    }
    return 0;
}

uint32_t vmm_check(const struct address_space *as)
{
    struct check c;
    uint32_t i;

    if (!as || !as->in_use || !vmm_state.fixed)
        arch_panic("vmm_check: %p is not a live address space", (const void *)as);
    if (pmem_use(as->pd_phys) != FRAME_PAGE_DIR)
        arch_panic("vmm_check: the directory 0x%08x of space %d is %s, not a page directory", as->pd_phys,
                   as->id, pmem_use_name(pmem_use(as->pd_phys)));
    for (i = 0; i < KERNEL_PDES; i++)
        if ((as->pd[KERNEL_PDE_FIRST + i] ^ vmm_state.kernel_pdes[i]) & ~(uint32_t)(PTE_A | PTE_D))
            arch_panic("vmm_check: kernel PDE %u of space %d is 0x%08x, vmem_init left 0x%08x",
                       KERNEL_PDE_FIRST + i, as->id, as->pd[KERNEL_PDE_FIRST + i], vmm_state.kernel_pdes[i]);
    kmemset(&c, 0, sizeof c);
    c.as = as;
    c.kernel = as == vmm_state.kernel;
    vmm_walk(as, VMM_WALK_USER | VMM_WALK_KERNEL, check_entry, &c);
    close_table(&c);
    if (c.pages != as->pages || c.large != as->large || c.tables != as->tables)
        arch_panic("vmm_check: space %d counts %u pages, %u large, %u tables; has %u, %u, %u", as->id,
                   as->pages, as->large, as->tables, c.pages, c.large, c.tables);
    check_references();
    return c.seen;
}
