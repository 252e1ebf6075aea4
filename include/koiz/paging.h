/*
 * paging.h: the one definition of 32-bit x86 paging (no PAE) for all of
 * Koiz: the kernel, vmm, the telemetry emitter, koiz-view and the tests.
 * Entry types and bits, index helpers, page sizes, the kernel's first
 * directory entry, and the page-fault error code (pf_error_words in
 * lib/paging.c says it in words). Freestanding.
 *
 * A linear address is cut in three. CR3 holds the physical address of the
 * page directory; each of its 1024 entries (PDEs) covers 4 MiB and either
 * points to a page table of 1024 entries (PTEs, 4 KiB each), or, with
 * PDE_PS set and CR4.PSE on, maps one 4 MiB page by itself.
 *
 *   31                 22 21                 12 11                   0
 *  +---------------------+---------------------+----------------------+
 *  | index in directory  |   index in table    |   offset in page     |
 *  +---------------------+---------------------+----------------------+
 *   \----- PDX(va) -----/ \----- PTX(va) -----/
 *
 *   4 MiB page:  | index in directory  |   offset in 4 MiB page (22 bits)  |
 */
#ifndef KOIZ_PAGING_H
#define KOIZ_PAGING_H

#include <stddef.h>
#include <stdint.h>
#include <koiz/layout.h>

typedef uint32_t pde_t; /* a page-directory entry */
typedef uint32_t pte_t; /* a page-table entry */

#define PAGE_SIZE        4096u
#define PAGE_SHIFT       12
#define LARGE_PAGE_SIZE  0x400000u /* 4 MiB, one PDE */
#define LARGE_PAGE_SHIFT 22
#define ENTRIES          1024 /* per directory and per table */
/* 768: directory entries from here up are the kernel half, shared by every space. */
#define KERNEL_PDE_FIRST (KERNEL_BASE >> LARGE_PAGE_SHIFT)

/* Bits of a PDE or PTE. */
#define PTE_P   0x001u /* present */
#define PTE_W   0x002u /* writable */
#define PTE_U   0x004u /* user */
#define PTE_PWT 0x008u /* write-through */
#define PTE_PCD 0x010u /* uncached */
#define PTE_A   0x020u /* accessed */
#define PTE_D   0x040u /* dirty */
#define PDE_PS  0x080u /* 4MiB */
#define PTE_G   0x100u /* global */
#define PTE_COW 0x200u /* copy-on-write (software bit) */
/* A software bit of a not-present PTE: being unmapped, frame not yet released (vmm.c). */
#define PTE_DETACHED 0x400u
#define PTE_FLAGS    0xFFFu /* every flag bit of an entry */

/* Bits of the page-fault error code the CPU pushes. */
#define PFERR_P    0x01u /* protection (else not-present) */
#define PFERR_W    0x02u /* write (else read) */
#define PFERR_U    0x04u /* user mode (else kernel) */
#define PFERR_RSVD 0x08u /* reserved bit set in an entry */
#define PFERR_I    0x10u /* instruction fetch */

#define PDX(va) ((uint32_t)(va) >> LARGE_PAGE_SHIFT)             /* directory index */
#define PTX(va) (((uint32_t)(va) >> PAGE_SHIFT) & (ENTRIES - 1)) /* table index */
/* The linear address that directory slot pdi and table slot pti translate. */
static inline uint32_t page_va(uint32_t pdi, uint32_t pti)
{
    return pdi << 22 | pti << 12;
}
/* The physical frame an entry points to (a page table or a 4 KiB page). */
static inline uint32_t frame_of(uint32_t entry)
{
    return entry & ~PTE_FLAGS;
}
/* The physical base of the 4 MiB page a PDE_PS entry maps. */
static inline uint32_t large_frame_of(uint32_t entry)
{
    return entry & ~(LARGE_PAGE_SIZE - 1);
}
static inline int pte_present(uint32_t entry)
{
    return (entry & PTE_P) != 0;
}
static inline int pde_large(uint32_t entry)
{
    return (entry & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS);
}
static inline int page_aligned(uint32_t a)
{
    return (a & (PAGE_SIZE - 1)) == 0;
}
static inline int large_aligned(uint32_t a)
{
    return (a & (LARGE_PAGE_SIZE - 1)) == 0;
}

/*
 * The page-fault error code in words, as the kernel's reports and koiz-view
 * say it: "not-present write user", "protection-violation instruction-fetch
 * supervisor reserved-bit". Writes into buf (always terminated); returns buf.
 */
char *pf_error_words(uint32_t error, char *buf, size_t size);

#endif
