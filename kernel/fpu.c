/*
 * fpu.c: per-task floating-point registers, switched lazily.
 *
 * The FPU's registers (x87, the MMX registers that alias them, and on CPUs
 * with SSE the XMM registers and MXCSR) belong to one task at a time, the
 * owner. Switching tasks does not touch them: the scheduler sets CR0.TS
 * unless the next task is the owner, and the first FPU, MMX or SSE
 * instruction of any other task then faults with #NM ("device not
 * available"). The handler clears TS, saves the owner's registers into the
 * owner's struct task, loads the faulting task's and makes it the owner; the
 * instruction runs again. A task that never touches the FPU never pays.
 *
 *   task A uses the FPU     owner = A
 *   switch to B             TS=1
 *   B: fadd                 #NM: save A, load B, owner = B, TS=0; fadd runs
 *   switch to A             TS=1
 *   A: movq %mm1            #NM: save B, load A, owner = A
 *
 * Saving uses what the CPU has: FNSAVE/FRSTOR (every x87, a 486DX's too;
 * 108 bytes) or, when CPUID reports FXSR, FXSAVE/FXRSTOR (512 bytes, SSE
 * state included). SSE is offered to tasks (CR4.OSFXSR, with SIMD errors as
 * exception 19 through CR4.OSXMMEXCPT) only when CPUID reports both SSE and
 * FXSR; without SSE an SSE instruction is an invalid opcode and kills the
 * task. CR0.NE makes x87 errors exception 16 (the task's, so it is killed)
 * rather than IRQ 13; CR0.MP makes WAIT obey TS. A CPU without an FPU at
 * all (a 486SX) gets CR0.EM: any FPU instruction is #NM, and the task that
 * tried is killed with that said.
 *
 * The kernel itself never uses these registers (-mgeneral-regs-only): an
 * #NM from ring 0 is a bug and panics.
 */
#include <koiz/klib.h>
#include "fpu.h"
#include "kernel.h"
#include "trap.h"
#include "x86.h"

/* FXSAVE image: x87/MMX registers at 32 (8 x 16 bytes), XMM registers at 160 (8 x 16). */
#define FX_REGS 32
#define FX_XMM  160
#define FX_END  288
/* FNSAVE image: the 8 x87 registers at 28, 10 bytes each. */
#define FN_REGS       28
#define FN_END        108
#define MXCSR_DEFAULT 0x1F80u /* every SIMD exception masked, round to nearest */

static int present, fxsr, sse, mmx;
static struct fpu_state clean;    /* what a new task starts with */
static struct fpu_state *owner;   /* whose registers the FPU holds, or NULL */
static struct fpu_state *running; /* the running task's (fpu_switch_to), or NULL */
static struct fpu_stats stats;

static inline void stts(void)
{
    write_cr0(read_cr0() | CR0_TS);
}

/* The FPU's registers into s. FNSAVE also reinitialises the FPU. TS must be clear. */
static void save(struct fpu_state *s)
{
    if (fxsr)
        __asm__ volatile("fxsave (%0)" : : "r"(s->bytes) : "memory");
    else
        __asm__ volatile("fnsave (%0)" : : "r"(s->bytes) : "memory");
}

static void restore(const struct fpu_state *s)
{
    if (fxsr)
        __asm__ volatile("fxrstor (%0)" : : "r"(s->bytes) : "memory");
    else
        __asm__ volatile("frstor (%0)" : : "r"(s->bytes) : "memory");
}

static int on_device_not_available(struct trapframe *tf)
{
    if ((tf->cs & 3) != 3 || !running)
        return 0; /* the kernel used the FPU: report and panic */
    if (!present)
        return 0; /* no FPU here: trap.c kills the task, saying so */
    clts();
    if (owner != running) {
        if (owner) {
            save(owner);
            stats.saves++;
        }
        restore(running);
        owner = running;
    }
    stats.traps++;
    return 1;
}

void fpu_init(void)
{
    uint32_t cr0 = read_cr0() & ~(CR0_TS | CR0_EM);
    volatile uint16_t status = 0x5A5A, control = 0;

    /* Is there an FPU? FNINIT then FNSTSW/FNSTCW: an FPU answers 0 and 0x037F. */
    write_cr0(cr0);
    __asm__ volatile("fninit; fnstsw %0; fnstcw %1" : "=m"(status), "=m"(control));
    present = status == 0 && (control & 0x103F) == 0x003F;
    if (!present) {
        write_cr0((cr0 | CR0_EM) & ~CR0_MP);
        exception_register(T_DEVICE_NA, on_device_not_available);
        return;
    }
    fxsr = cpu.has_cpuid && (cpu.edx1 & CPUID_FXSR);
    sse = fxsr && (cpu.edx1 & CPUID_SSE);
    mmx = cpu.has_cpuid && (cpu.edx1 & CPUID_MMX);
    if (fxsr)
        write_cr4(read_cr4() | CR4_OSFXSR | (sse ? CR4_OSXMMEXCPT : 0));
    write_cr0(cr0 | CR0_MP | CR0_NE);

    /* The clean state: FNINIT's, MXCSR's default, and zeros in every data register
     * (FNINIT only marks them empty: MMX would read what was there before). */
    __asm__ volatile("fninit");
    if (sse) {
        volatile uint32_t mxcsr = MXCSR_DEFAULT;
        __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    }
    save(&clean);
    if (fxsr)
        kmemset(clean.bytes + FX_REGS, 0, FX_END - FX_REGS);
    else
        kmemset(clean.bytes + FN_REGS, 0, FN_END - FN_REGS);
    owner = 0;
    stts();
    exception_register(T_DEVICE_NA, on_device_not_available);
}

const char *fpu_describe(void)
{
    if (!present)
        return "none (tasks that use it are killed)";
    if (sse)
        return mmx ? "x87, MMX, SSE (FXSAVE)" : "x87, SSE (FXSAVE)";
    if (fxsr)
        return mmx ? "x87, MMX (FXSAVE)" : "x87 (FXSAVE)";
    return mmx ? "x87, MMX (FNSAVE)" : "x87 (FNSAVE)";
}

int fpu_has_sse(void)
{
    return sse;
}

void fpu_state_init(struct fpu_state *s)
{
    kmemcpy(s, &clean, sizeof *s);
}

void fpu_state_copy(struct fpu_state *dst, struct fpu_state *src)
{
    uint32_t f = irq_save();
    if (present && owner == src) {
        /* src's registers are live: save them; src reloads them on its next use. */
        clts();
        save(src);
        owner = 0;
        stts();
    }
    irq_restore(f);
    kmemcpy(dst, src, sizeof *dst);
}

void fpu_switch_to(struct fpu_state *s)
{
    running = s;
    if (!present)
        return;
    if (owner == s)
        clts();
    else
        stts();
}

void fpu_forget(struct fpu_state *s)
{
    if (owner == s)
        owner = 0;
    if (running == s)
        running = 0;
}

const struct fpu_stats *fpu_stats(void)
{
    return &stats;
}
