/*
 * x86_regs.h: the bits of the control registers and EFER that decide how
 * the CPU translates addresses. Shared by the kernel (kernel/x86.h) and the
 * host tools that read a guest's registers (visualizer/gdb_paging.c).
 */
#ifndef KOIZ_X86_REGS_H
#define KOIZ_X86_REGS_H

#define CR0_PE     (1u << 0)     /* protected mode */
#define CR0_WP     (1u << 16)    /* supervisor writes honour read-only pages */
#define CR0_PG     (1u << 31)    /* paging */
#define CR4_PSE    (1u << 4)     /* 4 MiB pages in 32-bit paging (PS bit of a PDE) */
#define CR4_PAE    (1u << 5)     /* PAE paging: 64-bit entries, three levels */
#define CR4_PGE    (1u << 7)     /* global pages (G bit) */
#define CR3_FRAME  0xFFFFF000u   /* 32-bit paging: physical address of the directory */
#define EFER_LME   (1u << 8)     /* long mode enabled (active once paging is on) */
#define EFER_LMA   (1u << 10)    /* long mode active */

#endif
