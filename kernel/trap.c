/*
 * trap.c: the one C entry point for every interrupt and exception.
 *
 * IRQs go to the handler registered for them, then the PIC is told the
 * interrupt is done. Exceptions go, in order, to: a self-test that is
 * expecting exactly this one (it resumes where it armed the expectation),
 * the handler registered for the vector (the page-fault handler), and
 * finally the report and panic: an exception nobody handles is a bug.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include "dev/console.h"
#include "kernel.h"
#include "dev/pic.h"
#include "trap.h"
#include "task.h"
#include <koiz/syscall.h>
#include "x86.h"


static irq_handler irq_handlers[16];
static exception_handler exception_handlers[32];
static struct trap_expect *expecting;
static uint32_t spurious_irqs;

static const char *const names[32] = {
    "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow",
    "bound range exceeded", "invalid opcode", "device not available", "double fault",
    "coprocessor segment overrun", "invalid TSS", "segment not present", "stack-segment fault",
    "general protection fault", "page fault", "reserved (15)", "x87 floating-point error",
    "alignment check", "machine check", "SIMD floating-point error", "virtualization exception",
    "control protection exception", "reserved (22)", "reserved (23)", "reserved (24)",
    "reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection",
    "VMM communication", "security exception", "reserved (31)",
};

const char *exception_name(uint32_t vector)
{
    return vector < 32 ? names[vector] : "interrupt";
}

void irq_register(int irq, irq_handler h)
{
    KASSERT(irq >= 0 && irq < 16);
    irq_handlers[irq] = h;
}

void exception_register(int vector, exception_handler h)
{
    KASSERT(vector >= 0 && vector < 32);
    exception_handlers[vector] = h;
}


void trap_report(const struct trapframe *tf)
{
    int from_user = (tf->cs & 3) == 3;
    /* pusha saved ESP as it was after the CPU pushed EIP/CS/EFLAGS (and the stub its two words). */
    uint32_t esp = from_user ? tf->user_esp : tf->esp_at_pusha + 5 * 4;

    kprintf_color(VGA_LIGHT_RED, "\nException %u: %s, error code 0x%x\n",
                  tf->vector, exception_name(tf->vector), tf->error);
    if (tf->vector == T_PAGE_FAULT) {
        char words[96];
        pf_error_words(tf->error, words, sizeof words);
        kprintf("  page fault at 0x%08x: %s\n", read_cr2(), words);
    }
    kprintf("  EIP=%08x  CS=%04x  EFLAGS=%08x  (%s mode)\n", tf->eip, tf->cs & 0xFFFF, tf->eflags,
            from_user ? "user" : "kernel");
    kprintf("  EAX=%08x  EBX=%08x  ECX=%08x  EDX=%08x\n", tf->eax, tf->ebx, tf->ecx, tf->edx);
    kprintf("  ESI=%08x  EDI=%08x  EBP=%08x  ESP=%08x\n", tf->esi, tf->edi, tf->ebp, esp);
    kprintf("  DS=%04x ES=%04x FS=%04x GS=%04x\n", tf->ds & 0xFFFF, tf->es & 0xFFFF,
            tf->fs & 0xFFFF, tf->gs & 0xFFFF);
    kprintf("  CR0=%08x  CR2=%08x  CR3=%08x  CR4=%08x%s\n", read_cr0(), read_cr2(), read_cr3(),
            cpu_has_cr4(&cpu) ? read_cr4() : 0, cpu_has_cr4(&cpu) ? "" : " (no CR4 on this CPU)");
}

void trap_expect_arm(struct trap_expect *ex, int vector)
{
    ex->vector = vector;
    ex->report = 0;
    ex->caught = 0;
    ex->outcome = -1;
    ex->error = ex->eip = ex->cr2 = 0;
    expecting = ex;
}

int trap_expecting(int vector)
{
    return expecting && expecting->vector == vector;
}

void trap_expect_note(int outcome)
{
    if (expecting)
        expecting->outcome = outcome;
}

void trap_expect_end(void)
{
    expecting = 0;
}

/* Where an expected fault "returns" to: back into the test, via its jump buffer. */
static void expect_landing(void)
{
    struct trap_expect *ex = expecting;
    expecting = 0;
    klongjmp(&ex->jmp, 1);
}

static void handle_exception(struct trapframe *tf)
{
    exception_handler h = exception_handlers[tf->vector];

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
        task_kill(tf, 0);       /* a user task's own fault: it dies, the kernel goes on */
    trap_report(tf);
    panic("trap_dispatch: unhandled %s (vector %u) at EIP 0x%08x", exception_name(tf->vector),
          tf->vector, tf->eip);
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
        if (irq_handlers[irq])
            irq_handlers[irq](tf);
        pic_eoi(irq);
        if (irq == IRQ_TIMER)
            sched_tick(tf);     /* after the EOI: the next task must get timer interrupts */
        return;
    }
    panic("trap_dispatch: vector %u has no stub", tf->vector);
}
