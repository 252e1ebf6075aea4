/*
 * memory.h: bringing up memory management at boot: frames (vmm/pmm.c) from
 * the multiboot map, the kernel's address space (vmm/vmm.c), paging on the
 * real directory instead of the boot map, the page-fault handler and the
 * kernel heap.
 */
#ifndef KOIZ_MEMORY_H
#define KOIZ_MEMORY_H

#include <stdint.h>

void memory_init(void);

/* rdtsc at kmain's start and once the kernel's directory was live (0 without a TSC). */
extern uint64_t tsc_at_kmain, tsc_at_paging;
/* What vmem_init plus vmem_enable_page_dir took at boot (0 without a TSC). */
extern uint64_t cycles_paging_on;

/* Counts of page faults by what became of them (kernel/pagefault.c). */
void pagefault_init(void);

#endif
