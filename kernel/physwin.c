/*
 * physwin.c: reading any physical address through vmm's physical window
 * (vmm/physwin.c), with interrupts off meanwhile, because an interrupt
 * handler reading through it would move it under our feet.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include "../vmm/vmm.h"
#include "kernel.h"
#include "physwin.h"
#include "x86.h"

uint32_t physwin_pde(void)
{
    return vmm_physwin_pde((uint32_t)V2P(vmm_physwin_table()));
}

void physwin_init(void)
{
    boot_page_dir[PHYSWIN_PDE] = physwin_pde();
    write_cr3(read_cr3());
}

void phys_read(uint32_t pa, void *buf, size_t n)
{
    uint32_t flags = irq_save();
    vmm_physwin_read(pa, buf, n);
    irq_restore(flags);
}
