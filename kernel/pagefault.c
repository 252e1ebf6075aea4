/*
 * pagefault.c: the page-fault handler. The decision is vmm's (the regions
 * of the live address space: demand-zero, guard, or nothing); this file
 * only carries it out. A resolved fault returns and the instruction runs
 * again. A user task whose fault is not resolved dies, told why: a bad
 * access, its stack's guard page, or no frame left for a page it was
 * allowed (out of memory is the machine's state, not the task's mistake).
 * Anything else in the kernel is a bug and ends in the full report and a
 * panic that says what the fault was.
 */
#include <koiz/syscall.h>
#include "../vmm/vmm.h"
#include "console.h"
#include "kernel.h"
#include "memory.h"
#include "task.h"
#include "trap.h"
#include "x86.h"

static int on_page_fault(struct trapframe *tf)
{
    uint32_t cr2 = read_cr2();
    struct address_space *as = vmm_current_space();
    enum fault_outcome outcome;
    char what[128];

    if (!as)
        return 0;   /* before paging is ours: report and panic */
    outcome = vmm_handle_fault(as, cr2, tf->error, tf->eip);
    if (outcome == FAULT_RESOLVED)
        return 1;
    if ((tf->cs & 3) == 3)
        task_kill(tf, outcome == FAULT_OUT_OF_MEMORY ? KILLED_OUT_OF_MEMORY
                      : outcome == FAULT_STACK_OVERFLOW ? KILLED_STACK_OVERFLOW : T_PAGE_FAULT);
    if (trap_expecting(T_PAGE_FAULT)) {
        trap_expect_note(outcome);     /* a self-test provoked it: it looks at the outcome */
        return 0;
    }

    vmm_fault_describe(what, sizeof what, cr2, tf->error, tf->eip);
    trap_report(tf);
    switch (outcome) {
    case FAULT_STACK_OVERFLOW:
        panic("page fault: stack overflow: %s hit a guard page", what);
    case FAULT_OUT_OF_MEMORY:
        panic("page fault: out of memory for a demand-zero page: %s", what);
    default:
        panic("page fault: %s (no region allows it)", what);
    }
}

void pagefault_init(void)
{
    exception_register(T_PAGE_FAULT, on_page_fault);
}
