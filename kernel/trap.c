/*
 * trap.c: the one C entry point for every interrupt and exception.
 *
 * IRQs go to the handler registered for them (vectors.c), then the PIC is
 * told the interrupt is done. Exceptions go, in order, to: a self-test that
 * is expecting exactly this one (it resumes where it armed the expectation),
 * the handler registered for the vector (the page-fault handler), and
 * finally the report and panic: an exception nobody handles is a bug, unless
 * a user task made it, which then dies.
 */
#include <koiz/klib.h>
#include <koiz/syscall.h>
#include "dev/pic.h"
#include "kernel.h"
#include "task.h"
#include "trap.h"
#include "dev/console.h"
#include "x86.h"

static uint32_t spurious_irqs;

/* Where an expected fault "returns" to: back into the test, via its jump buffer. */
static void expect_landing(void)
{
    struct trap_expect *ex = trap_expected();
    trap_expect_end();
    klongjmp(&ex->jmp, 1);
}

static void handle_exception(struct trapframe *tf)
{
    exception_handler h = exception_handler_of(tf->vector);
    struct trap_expect *expecting = trap_expected();

    /* A handler may resolve even an expected fault (a demand-zero page the test
     * touches); only what it leaves unresolved goes back to the test. */
    if (expecting && expecting->vector == (int)tf->vector && h && h(tf))
        return;
    if (expecting && expecting->vector == (int)tf->vector && (tf->cs & 3) == 0) {
        expecting->caught = 1;
        expecting->error = tf->error;
        expecting->eip = tf->eip;
        expecting->cr2 = tf->vector == T_PAGE_FAULT ? read_cr2() : 0;
        if (expecting->report) {
            kprintf("  (expected by a self-test:)");
            trap_report(tf);
        }
        /* Return from the trap into expect_landing, which jumps back to the test. */
        tf->eip = (uint32_t)expect_landing;
        return;
    }
    if (h && h(tf))
        return;
    if ((tf->cs & 3) == 3)
        task_kill(tf, 0); /* a user task's own fault: it dies, the kernel goes on */
    trap_report(tf);
    panic("trap_dispatch: unhandled %s (vector %u) at EIP 0x%08x", exception_name(tf->vector), tf->vector,
          tf->eip);
}

void trap_dispatch(struct trapframe *tf)
{
    if (tf->vector == SYSCALL_VECTOR) {
        syscall_dispatch(tf);
        return;
    }
    if (tf->vector < 32) {
        handle_exception(tf);
        return;
    }
    if (tf->vector < 48) {
        int irq = (int)tf->vector - IRQ_BASE;
        if (pic_is_spurious(irq)) {
            spurious_irqs++;
            return;
        }
        irq_handler h = irq_handler_of(irq);
        if (h)
            h(tf);
        pic_eoi(irq);
        if (irq == IRQ_TIMER)
            sched_tick(tf); /* after the EOI: the next task must get timer interrupts */
        return;
    }
    panic("trap_dispatch: vector %u has no stub", tf->vector);
}
