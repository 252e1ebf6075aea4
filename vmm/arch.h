/*
 * arch.h: everything vmm/ needs from the machine, and nothing more. The
 * kernel implements these in kernel/ with real instructions; host unit tests
 * implement them in vmm/tests/host_arch.c over an array standing in for RAM.
 */
#ifndef KOIZ_VMM_ARCH_H
#define KOIZ_VMM_ARCH_H

#include <stdint.h>

/* Makes pd_phys the live page directory (writes CR3; flushes non-global TLB entries). */
void arch_load_cr3(uint32_t pd_phys);
/* Drops the TLB entry for one linear address, global or not. */
void arch_invlpg(uint32_t va);
/* Drops every non-global TLB entry (reloads CR3). */
void arch_flush_tlb(void);
/* The linear address of the last page fault. */
uint32_t arch_read_cr2(void);
/*
 * A kernel pointer to physical address pa. Consecutive frames must be
 * consecutive in the result (true of the direct map). Before the directory
 * built by vmem_init is live, only frames in the boot map can be reached;
 * pmm allocates lowest frames first so early allocations land there.
 */
#ifdef KOIZ_KERNEL
/* In the kernel every frame vmm touches is in the direct map, a constant
 * offset away; inlined, because page-table walks do it on every step. */
#include <koiz/layout.h>
static inline void *arch_phys_to_virt(uint32_t pa)
{
    return (void *)(uintptr_t)(pa + KERNEL_BASE);
}
#else
void *arch_phys_to_virt(uint32_t pa);
#endif
/* Turns on CR4.PSE and/or CR4.PGE (each only when its argument is nonzero). */
void arch_enable_paging_features(int pse, int pge);
/* Reports a broken invariant and stops. Never returns. */
void arch_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
