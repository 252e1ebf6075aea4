/*
 * memory.h: bringing up memory management at boot: frames (vmm/pmm.c) from
 * the multiboot map, the kernel's address space (vmm/vmm.c), paging on the
 * real directory instead of the boot map, the page-fault handler and the
 * kernel heap.
 */
#ifndef KOIZ_MEMORY_H
#define KOIZ_MEMORY_H

#include <stdint.h>
#include "../vmm/vmm.h"

/*
 * The least memory Koiz runs on: a PC with 4 MiB of RAM, whose firmware
 * reports at least MIN_RAM_KIB usable (QEMU -m 4: 3,583 KiB; -m 3: 2,559),
 * and, once the kernel is loaded, MIN_FREE_FRAMES frames left for page
 * tables, tasks and the heap. Below either, the kernel says so and stops
 * (README.md, "Memory").
 */
#define MIN_RAM_KIB     3072u
#define MIN_FREE_FRAMES 256u

/* Brings up frames, paging and the heap. Returns 0, or -1 (with why filled)
 * when fewer than MIN_FREE_FRAMES frames are free: the caller stops. */
int memory_init(char *why, unsigned why_size);

/* rdtsc at kmain's start and once the kernel's directory was live (0 without a TSC). */
extern uint64_t tsc_at_kmain, tsc_at_paging;
/* What vmem_init plus vmem_enable_page_dir took at boot (0 without a TSC). */
extern uint64_t cycles_paging_on;

/* Installs the page-fault handler (kernel/pagefault.c). */
void pagefault_init(void);
/* A system call's access to its task's memory, as the task's own access
 * would fault (vmm_user_access): decided and reported like a fault, the
 * task never killed. FAULT_BAD when no region allows it (not reported). */
enum fault_outcome pagefault_touch(struct address_space *as, uint32_t va, int write);

#endif
