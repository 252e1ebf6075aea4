/*
 * physwin.c: the physical window, vmm's one fixed mapping: the last page of
 * the address space (PHYSWIN_VA) mapped to one physical frame at a time,
 * through a page table of vmm's own in directory entry PHYSWIN_PDE, which
 * every space shares. For memory the direct map does not reach: ACPI tables
 * and multiboot data high in RAM. The table lives in the kernel's image,
 * not in a frame pmm hands out, so vmm_check and the counters leave it out.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include "internal.h"

#define PHYSWIN_VA page_va(PHYSWIN_PDE, ENTRIES - 1)

static uint32_t window[ENTRIES] __attribute__((aligned(PAGE_SIZE)));

uint32_t *vmm_physwin_table(void)
{
    return window;
}

uint32_t vmm_physwin_pde(uint32_t table_pa)
{
    if (!page_aligned(table_pa))
        arch_panic("vmm_physwin_pde: table 0x%08x is not page aligned", table_pa);
    return table_pa | PTE_P | PTE_W;
}

void vmm_physwin_read(uint32_t pa, void *buf, size_t n)
{
    unsigned char *out = buf;
    while (n > 0) {
        uint32_t offset = pa & (PAGE_SIZE - 1);
        size_t chunk = PAGE_SIZE - offset < n ? PAGE_SIZE - offset : n;
        window[PTX(PHYSWIN_VA)] = frame_of(pa) | PTE_P; /* present, read-only */
        arch_invlpg(PHYSWIN_VA);
        kmemcpy(out, (const void *)(uintptr_t)(PHYSWIN_VA + offset), chunk);
        out += chunk;
        pa += (uint32_t)chunk;
        n -= chunk;
    }
    window[PTX(PHYSWIN_VA)] = 0;
    arch_invlpg(PHYSWIN_VA);
}
