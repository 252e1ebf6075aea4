/*
 * memlayout.h: where the memory manager puts things in every address space
 * (docs/memory-layout.md draws it). KERNEL_BASE comes from koiz/layout.h.
 *
 *   0x00000000 .. 0xBFFFFFFF  user space, private to each address space
 *   0xC0000000 .. +768 MiB    direct map of physical RAM [0, 768 MiB)
 *   0xF0000000 .. 0xF1FFFFFF  kernel heap, demand-zero
 *   0xFFC00000 .. 0xFFFFFFFF  PDE 1023: the kernel's physical window
 */
#ifndef KOIZ_VMM_MEMLAYOUT_H
#define KOIZ_VMM_MEMLAYOUT_H

#include <koiz/layout.h>
#include <koiz/paging.h> /* KERNEL_PDE_FIRST */

#define USER_END    KERNEL_BASE /* user space is [0, USER_END) */
#define KERNEL_PDES (1024 - KERNEL_PDE_FIRST)

#define DIRECT_MAP_BASE KERNEL_BASE /* pa p is at DIRECT_MAP_BASE + p */
#define DIRECT_MAP_MAX  0x30000000u /* 768 MiB: PDEs 768..959 at most */

#define KHEAP_BASE 0xF0000000u
#define KHEAP_SIZE 0x02000000u /* 32 MiB: 8 tables, made at init */
#define KHEAP_END  (KHEAP_BASE + KHEAP_SIZE)

#define PHYSWIN_PDE 1023u /* the physical window (physwin.c) */

#endif
