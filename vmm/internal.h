/*
 * internal.h: state and helpers shared by the .c files of vmm/, not by callers.
 */
#ifndef KOIZ_VMM_INTERNAL_H
#define KOIZ_VMM_INTERNAL_H

#include "arch.h"
#include <koiz/bugs.h>
#include "pmm.h"
#include "vmm.h"

/* state.c: shared by every vmm file. */
struct vmm_state {
    struct address_space *kernel;      /* built by vmem_init */
    struct address_space *live;        /* in CR3, once vmm_space_switch ran */
    int pse, pge;                      /* CPU features vmem_init was told to use */
    int fixed;                         /* kernel PDEs are final (vmem_init done) */
    uint32_t kernel_pdes[KERNEL_PDES]; /* what they were when vmem_init ended */
    uint32_t bugs;                     /* mistakes made on purpose: BUG() bits (koiz/bugs.h) */
};
extern struct vmm_state vmm_state;
extern struct vmm_stats vmm_counters;

/* The kernel pointer to the page table (or 4 KiB page) an entry points to. */
static inline uint32_t *table_of(uint32_t entry)
{
    return arch_phys_to_virt(frame_of(entry));
}

/* Present entries in the page table at table_pa (kept in its pmm record). */
/* A page table's present-entry count, kept in its frame record. Tables are
 * frames vmm allocated itself, so the record exists; no checks on this path. */
static inline uint16_t *table_count(uint32_t table_pa)
{
    return &pmm_frames[table_pa >> 12].entries;
}

/* A zeroed frame for a page table; 0 when out of memory. */
uint32_t vmm_table_new(void);
/* The same for a page directory. */
uint32_t vmm_dir_new(void);
/* Frees the table in slot pdi of as (it must be empty); tells the hook. */
void vmm_table_release(struct address_space *as, uint32_t pdi);
/* The same without telling the hook (a destroy reports once); returns the table's frame. */
uint32_t vmm_table_drop(struct address_space *as, uint32_t pdi);
/* vmm_map and vmm_unmap without calling hooks: the building blocks of the
 * public operations, which report once per operation. Same return codes. */
int vmm_map_page(struct address_space *as, uint32_t va, uint32_t pa, uint32_t flags);
int vmm_unmap_page(struct address_space *as, uint32_t va, uint32_t *pa_out);
/* Drops the TLB entry for va if it may be cached: as is live, or va is in
 * the shared kernel half. */
void vmm_tlb_page(const struct address_space *as, uint32_t va);

/* Gives dst (new, without regions) src's regions, each told to the region hook (region.c). */
void vmm_regions_copy(struct address_space *dst, const struct address_space *src);

/* Copy-on-write (cow.c; fork.c makes the shared pages). The PTE of the present PTE_COW page holding
 * user address va in as, or NULL. */
uint32_t *vmm_cow_pte(const struct address_space *as, uint32_t va);
/* Gives the PTE_COW page at va (its entry *pte) a frame of its own, made
 * writable: the same frame when this mapping holds its last reference,
 * else a copy. Drops the TLB entry, reports through a hook. VMM_OK, or
 * VMM_ENOMEM with nothing changed. */
int vmm_cow_break(struct address_space *as, uint32_t va, uint32_t *pte);

#endif
