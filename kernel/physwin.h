/*
 * physwin.h: reading physical memory the kernel does not map, such as ACPI
 * tables near the top of RAM, through vmm's physical window (one page at a
 * time at the last page of the address space; vmm/physwin.c).
 */
#ifndef KOIZ_PHYSWIN_H
#define KOIZ_PHYSWIN_H

#include <stddef.h>
#include <stdint.h>

/* Installs the window's page table in the boot page directory. */
void physwin_init(void);
/* The window's directory entry, for vmem_init (vmem_config.physwin_pde). */
uint32_t physwin_pde(void);
/* Copies n bytes from physical address pa (below 4 GiB) into buf. */
void phys_read(uint32_t pa, void *buf, size_t n);

#endif
