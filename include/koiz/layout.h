/*
 * layout.h: where things are in the kernel's address space. asm/layout.inc
 * repeats the numbers the assembly needs; a build check compares the two.
 *
 *   0x00000000 - 0xBFFFFFFF   user space (private to each address space)
 *   0xC0000000 - ...          the kernel: physical memory from 0 mapped here,
 *                             the kernel image at KERNEL_BASE + 1 MiB
 */
#ifndef KOIZ_LAYOUT_H
#define KOIZ_LAYOUT_H

#define KERNEL_BASE     0xC0000000u
#define BOOT_STACK_SIZE 16384
#define MULTIBOOT_MAGIC 0x1BADB002u
#define MULTIBOOT_FLAGS 0x00000003u
#define KERNEL_CS       0x08
#define KERNEL_DS       0x10
#define USER_CS         0x1B /* GDT entry 3, RPL 3 */
#define USER_DS         0x23 /* GDT entry 4, RPL 3 */
#define TSS_SELECTOR    0x28 /* GDT entry 5 */

/* The boot map covers the first 4 MiB; only it is reachable before vmm runs. */
#define BOOT_MAPPED_BYTES 0x400000u

#endif
