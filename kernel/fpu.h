/*
 * fpu.h: the floating-point registers of user tasks: the x87 FPU (a 486DX
 * has one), the MMX registers that share its register file, and the SSE
 * registers on CPUs with SSE. Every task has its own copy; the kernel never
 * uses them itself (it is built with -mgeneral-regs-only).
 */
#ifndef KOIZ_FPU_H
#define KOIZ_FPU_H

#include <stdint.h>
#include "trap.h"

/* A task's saved registers: the FXSAVE image (512 bytes) on CPUs with FXSR,
 * else the FNSAVE image (108 bytes) at its start. */
struct fpu_state {
    uint8_t bytes[512];
} __attribute__((aligned(16)));

/* Finds out what the CPU has (an FPU at all; FXSR and SSE from CPUID),
 * sets CR0 (and CR4 for SSE) to match, and registers the #NM handler. */
void fpu_init(void);
/* "x87, MMX, SSE (FXSAVE)" or "none (a 486SX?)": for the boot log. */
const char *fpu_describe(void);
/* Whether user tasks may use SSE (the CPU has it and CR4.OSFXSR is set). */
int fpu_has_sse(void);

/* A new task's registers: as FNINIT leaves them (and MXCSR 0x1F80). */
void fpu_state_init(struct fpu_state *s);
/* fork: dst becomes a copy of src's registers as they are now. */
void fpu_state_copy(struct fpu_state *dst, struct fpu_state *src);
/* The scheduler is about to run the task whose registers are s. */
void fpu_switch_to(struct fpu_state *s);
/* The task whose registers are s has ended: they are forgotten. */
void fpu_forget(struct fpu_state *s);

struct fpu_stats {
    uint32_t traps; /* #NM taken from ring 3 */
    uint32_t saves; /* another task's registers saved on the way */
};
const struct fpu_stats *fpu_stats(void);

#endif
