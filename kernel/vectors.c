/*
 * vectors.c: what happens on each vector: the handler registered for each IRQ
 * and exception, the exceptions' names, the full report of a trap, and the
 * exception a self-test is expecting. trap.c dispatches with these; nothing
 * here dispatches, so a device or the page-fault handler registering itself
 * depends on this file only.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include "dev/console.h"
#include "kernel.h"
#include "trap.h"
#include "x86.h"

static irq_handler irq_handlers[16];
static exception_handler exception_handlers[32];
static struct trap_expect *expecting;

static const char *const names[32] = {
    "divide error",
    "debug",
    "non-maskable interrupt",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved (15)",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point error",
    "virtualization exception",
    "control protection exception",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "hypervisor injection",
    "VMM communication",
    "security exception",
    "reserved (31)",
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

    kprintf_color(VGA_LIGHT_RED, "\nException %u: %s, error code 0x%x\n", tf->vector,
                  exception_name(tf->vector), tf->error);
    if (tf->vector == T_PAGE_FAULT) {
        char words[96];
        pf_error_words(tf->error, words, sizeof words);
        kprintf("  page fault at 0x%08x: %s\n", read_cr2(), words);
    }
    kprintf("  EIP=%08x  CS=%04x  EFLAGS=%08x  (%s mode)\n", tf->eip, tf->cs & 0xFFFF, tf->eflags,
            from_user ? "user" : "kernel");
    kprintf("  EAX=%08x  EBX=%08x  ECX=%08x  EDX=%08x\n", tf->eax, tf->ebx, tf->ecx, tf->edx);
    kprintf("  ESI=%08x  EDI=%08x  EBP=%08x  ESP=%08x\n", tf->esi, tf->edi, tf->ebp, esp);
    kprintf("  DS=%04x ES=%04x FS=%04x GS=%04x\n", tf->ds & 0xFFFF, tf->es & 0xFFFF, tf->fs & 0xFFFF,
            tf->gs & 0xFFFF);
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

irq_handler irq_handler_of(int irq)
{
    return irq >= 0 && irq < 16 ? irq_handlers[irq] : 0;
}

exception_handler exception_handler_of(uint32_t vector)
{
    return vector < 32 ? exception_handlers[vector] : 0;
}

struct trap_expect *trap_expected(void)
{
    return expecting;
}
