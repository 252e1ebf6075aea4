/*
 * trap.h: interrupts and exceptions. Every vector enters through a stub in
 * asm/isr.asm that saves the registers as a struct trapframe and calls
 * trap_dispatch (trap.c); IRQ and exception handlers register in vectors.c,
 * and exceptions either reach a handler (the page-fault handler, a test
 * expecting the fault) or end in a full report and a panic.
 */
#ifndef KOIZ_TRAP_H
#define KOIZ_TRAP_H

#include <stdint.h>

/* Laid out by trap_common in asm/isr.asm: lowest address first. */
struct trapframe {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax; /* pusha */
    uint32_t vector, error;
    uint32_t eip, cs, eflags;   /* pushed by the CPU */
    uint32_t user_esp, user_ss; /* only on a trap from ring 3 */
};

#define T_DIVIDE     0
#define T_DEBUG      1
#define T_NMI        2
#define T_BREAKPOINT 3
#define T_INVALID_OP 6
#define T_DEVICE_NA  7 /* an FPU instruction with CR0.TS or CR0.EM set (fpu.c) */
#define T_DOUBLE     8
#define T_GPF        13
#define T_PAGE_FAULT 14
#define T_FPU_ERROR  16
#define T_SIMD_ERROR 19
#define IRQ_BASE     32
#define IRQ_TIMER    0
#define IRQ_KEYBOARD 1

void idt_init(void);
void trap_dispatch(struct trapframe *tf);

/* vectors.c: the handler of each IRQ and exception. */
typedef void (*irq_handler)(struct trapframe *tf);
void irq_register(int irq, irq_handler h);
/* The handler registered for IRQ irq (0-15), or NULL. */
irq_handler irq_handler_of(int irq);

/* An exception handler returns 1 when it resolved the exception (the
 * instruction may resume), 0 to fall through to the report and panic. */
typedef int (*exception_handler)(struct trapframe *tf);
void exception_register(int vector, exception_handler h);
/* The handler registered for exception vector (0-31), or NULL. */
exception_handler exception_handler_of(uint32_t vector);

const char *exception_name(uint32_t vector);
/* The full report: name, vector, error, registers, control registers. */
void trap_report(const struct trapframe *tf);

/*
 * Expecting a fault, for self-tests. Typical use:
 *
 *     struct trap_expect ex;
 *     if (trap_expect_begin(&ex, T_PAGE_FAULT) == 0) {
 *         *(volatile int *)bad = 1;       // faults: control comes back below
 *         trap_expect_end();              // only reached if nothing faulted
 *     }
 *     // ex.caught, ex.cr2, ex.error, ex.eip now tell what happened
 */
struct kjmp {
    uint32_t ebx, esi, edi, ebp, esp, eip;
};
int ksetjmp(struct kjmp *j) __attribute__((returns_twice));
void klongjmp(struct kjmp *j, int value) __attribute__((noreturn));

struct trap_expect {
    struct kjmp jmp;
    int vector;
    int report; /* print the full exception report when it comes */
    int caught;
    uint32_t error, eip, cr2;
    int outcome; /* for a page fault: what vmm decided (enum fault_outcome) */
};
/* Whether a self-test expects this vector now (the page-fault handler asks). */
int trap_expecting(int vector);
/* Tells the armed expectation what the handler made of the fault. */
void trap_expect_note(int outcome);
#define trap_expect_begin(ex, vec) (trap_expect_arm((ex), (vec)), ksetjmp(&(ex)->jmp))
void trap_expect_arm(struct trap_expect *ex, int vector);
void trap_expect_end(void);
/* The armed expectation, or NULL (trap.c, when an exception comes). */
struct trap_expect *trap_expected(void);

#endif
