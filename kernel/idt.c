/*
 * idt.c: the interrupt descriptor table. All 48 gates (32 exceptions, 16
 * IRQs) point at the stubs in asm/isr.asm; they are interrupt gates, so the
 * CPU clears IF on entry and handlers never nest by surprise. The
 * breakpoint gate is callable from ring 3 so `int3` in a user task reports
 * a breakpoint instead of a protection fault.
 */
#include <koiz/layout.h>
#include "gdt.h"
#include "trap.h"
#include <koiz/syscall.h>

#define IDT_VECTORS    256
#define GATE_INTERRUPT 0x8E /* present, ring 0, 32-bit interrupt gate */
#define GATE_USER      0x60 /* DPL 3: may be raised by `int n` from ring 3 */

struct gate {
    uint16_t offset_low, selector;
    uint8_t zero, type;
    uint16_t offset_high;
} __attribute__((packed));

extern const uint32_t trap_stubs[48];
extern char isr_syscall[];
static struct gate idt[IDT_VECTORS];

static void set_gate(int v, uint32_t handler, uint8_t type)
{
    idt[v].offset_low = (uint16_t)(handler & 0xFFFF);
    idt[v].selector = KERNEL_CS;
    idt[v].zero = 0;
    idt[v].type = type;
    idt[v].offset_high = (uint16_t)(handler >> 16);
}

void idt_init(void)
{
    struct dtr idtr;
    for (int v = 0; v < 48; v++)
        set_gate(v, trap_stubs[v], GATE_INTERRUPT);
    set_gate(T_BREAKPOINT, trap_stubs[T_BREAKPOINT], GATE_INTERRUPT | GATE_USER);
    set_gate(SYSCALL_VECTOR, (uint32_t)isr_syscall, GATE_INTERRUPT | GATE_USER);
    idtr.limit = sizeof idt - 1;
    idtr.base = (uint32_t)idt;
    idt_load(&idtr);
}
