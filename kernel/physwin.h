/*
 * physwin.h: reading physical memory the kernel does not map, such as ACPI
 * tables near the top of RAM. One page at a time is mapped at a fixed
 * virtual address (the last page of the address space, in the table that
 * the top directory entry points to) and copied out.
 */
#ifndef KOIZ_PHYSWIN_H
#define KOIZ_PHYSWIN_H

#include <stddef.h>
#include <stdint.h>

#define PHYSWIN_VA 0xFFFFF000u

/* Installs the window's page table in the boot page directory. */
void physwin_init(void);
/* Copies n bytes from physical address pa (below 4 GiB) into buf. */
void phys_read(uint32_t pa, void *buf, size_t n);
/* The window's page table, for vmm to share with every address space. */
extern uint32_t physwin_table[1024];

#endif
