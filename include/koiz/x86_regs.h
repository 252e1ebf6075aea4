/*
 * x86_regs.h: the bits of the control registers and EFER Koiz uses: how
 * the CPU translates addresses, and how it treats the FPU. Shared by the kernel (kernel/x86.h) and the
 * host tools that read a guest's registers (visualizer/gdb_paging.c).
 */
#ifndef KOIZ_X86_REGS_H
#define KOIZ_X86_REGS_H

#define CR0_PE         (1u << 0)   /* protected mode */
#define CR0_MP         (1u << 1)   /* WAIT/FWAIT obey TS too */
#define CR0_EM         (1u << 2)   /* no FPU: FPU instructions fault (#NM) */
#define CR0_TS         (1u << 3)   /* task switched: the next FPU instruction faults (#NM) */
#define CR0_NE         (1u << 5)   /* x87 errors as exception 16, not the FERR# pin and IRQ 13 */
#define CR0_WP         (1u << 16)  /* supervisor writes honour read-only pages */
#define CR0_PG         (1u << 31)  /* paging */
#define CR4_PSE        (1u << 4)   /* 4 MiB pages in 32-bit paging (PS bit of a PDE) */
#define CR4_PAE        (1u << 5)   /* PAE paging: 64-bit entries, three levels */
#define CR4_PGE        (1u << 7)   /* global pages (G bit) */
#define CR4_OSFXSR     (1u << 9)   /* the OS saves SSE state with FXSAVE: SSE instructions allowed */
#define CR4_OSXMMEXCPT (1u << 10)  /* SIMD floating-point errors as exception 19 */
#define CR3_FRAME      0xFFFFF000u /* 32-bit paging: physical address of the directory */
#define EFER_LME       (1u << 8)   /* long mode enabled (active once paging is on) */
#define EFER_LMA       (1u << 10)  /* long mode active */

#endif
