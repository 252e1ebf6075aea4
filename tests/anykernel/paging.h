/*
 * paging.h: the test kernel's page tables: 32-bit two-level paging built
 * from a static pool, every directory with a recursive entry (PDE 1023
 * points to the directory itself, so the tables appear at 0xFFC00000 and the
 * directory at 0xFFFFF000), and the printout of the layout the CPU sees.
 */
#ifndef ANYKERNEL_PAGING_H
#define ANYKERNEL_PAGING_H

#include <stdint.h>

#define PG_P    0x001u /* present */
#define PG_W    0x002u /* writable */
#define PG_U    0x004u /* user */
#define PG_PWT  0x008u /* write-through */
#define PG_PCD  0x010u /* uncached */
#define PG_PS   0x080u /* 4 MiB page (directory entry, with CR4.PSE) */
#define PG_G    0x100u /* global */
#define PG_AVL1 0x200u /* left to software */
#define PG_AVL3 0x800u

#define RECURSIVE_PDE 1023u
#define PDX(va)       ((uint32_t)(va) >> 22)
#define PTX(va)       (((uint32_t)(va) >> 12) & 0x3FFu)

/* A zeroed directory from the pool whose PDE 1023 points to itself. */
uint32_t *dir_new(void);
/* A zeroed table from the pool. */
uint32_t *table_new(void);
/* dir[PDX(va)] = table with flags. */
void map_table(uint32_t *dir, uint32_t va, uint32_t *table, uint32_t flags);
/* A 4 KiB page in the table under va (which must be there). */
void map_4k(uint32_t *dir, uint32_t va, uint32_t pa, uint32_t flags);
/* A 4 MiB page: dir[PDX(va)] = pa | PS | flags. */
void map_4m(uint32_t *dir, uint32_t va, uint32_t pa, uint32_t flags);
/* Clears the table entry of va. */
void unmap_4k(uint32_t *dir, uint32_t va);
/* Clears the directory entry of va. */
void unmap_pde(uint32_t *dir, uint32_t va);
/* Clears `clear` and sets `set` in the table entry of va. */
void protect_4k(uint32_t *dir, uint32_t va, uint32_t clear, uint32_t set);
/* Loads CR3 (which also flushes the TLB: no global pages here, CR4.PGE stays clear). */
void switch_to(uint32_t *dir);

/*
 * Prints the layout the CPU sees now (see main.c for the format), walking
 * the current directory through its recursive entry: what the MMU would
 * walk, read back the way kernels of the 1990s did.
 */
void print_layout(uint32_t step);

#endif
