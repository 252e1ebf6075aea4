/*
 * pagefault.c: the page-fault handler, and the one place that decides what
 * a fault means for the machine. vmm decides what the fault is (the regions
 * of the live address space: demand-zero, guard, copy-on-write, or
 * nothing); here the verdict is made and the fault reported once: a
 * resolved fault returns and the instruction runs again; a user task whose
 * fault is not resolved dies, told why (a bad access, its stack's guard
 * page, or no frame left for a page it was allowed: out of memory is the
 * machine's state, not the task's mistake); a fault a self-test expects
 * goes back to it; anything else in the kernel is a bug and ends in the
 * full report and a panic that says what the fault was.
 */
#include <koiz/syscall.h>
#include "../vmm/vmm.h"
#include "dev/console.h"
#include "kernel.h"
#include "memory.h"
#include "task.h"
#include "trap.h"
#include "x86.h"

/* The one place a fault's fate is decided (the verdict) and told, once. */
static void decide(struct vmm_fault *f, int from_user)
{
    if (f->outcome == FAULT_RESOLVED)
        f->verdict = VERDICT_RESUMES;
    else if (from_user)
        f->verdict = VERDICT_KILLS; /* the task's fault: it dies, the kernel goes on */
    else if (trap_expecting(T_PAGE_FAULT))
        f->verdict = VERDICT_EXPECTED; /* a self-test provoked it: it looks at the outcome */
    else
        f->verdict = VERDICT_FATAL;
    vmm_fault_report(f);
}

static int on_page_fault(struct trapframe *tf)
{
    struct address_space *as = vmm_current_space();
    struct vmm_fault f;
    char words[64];

    if (!as)
        return 0; /* before paging is ours: report and panic */
    vmm_handle_fault(as, read_cr2(), tf->error, tf->eip, &f);
    decide(&f, (tf->cs & 3) == 3);
    switch (f.verdict) {
    case VERDICT_RESUMES: return 1;
    case VERDICT_KILLS: task_kill(tf, &f);
    case VERDICT_EXPECTED: trap_expect_note(f.outcome); return 0;
    case VERDICT_FATAL: break;
    }
    pf_error_words(f.error, words, sizeof words);
    trap_report(tf);
    switch (f.outcome) {
    case FAULT_STACK_OVERFLOW:
        panic("page fault: stack overflow: %s at 0x%08x, eip 0x%08x, hit a guard page", words, f.cr2, f.eip);
    case FAULT_OUT_OF_MEMORY:
        panic("page fault: out of memory for a demand-zero page: %s at 0x%08x, eip 0x%08x", words, f.cr2,
              f.eip);
    default: panic("page fault: %s at 0x%08x, eip 0x%08x (no region allows it)", words, f.cr2, f.eip);
    }
}

enum fault_outcome pagefault_touch(struct address_space *as, uint32_t va, int write)
{
    struct vmm_fault f;
    if (vmm_user_access(as, va, write, &f) != FAULT_BAD) {
        f.verdict = VERDICT_RESUMES; /* the task goes on: the call says what went wrong, if anything */
        vmm_fault_report(&f);
    }
    return f.outcome;
}

void pagefault_init(void)
{
    exception_register(T_PAGE_FAULT, on_page_fault);
}
