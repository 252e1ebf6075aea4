/*
 * gdt.c: the global descriptor table.
 *
 *   0  null            required by the CPU
 *   1  0x08 kernel code  ring 0, base 0, limit 4 GiB
 *   2  0x10 kernel data  ring 0
 *   3  0x1B user code    ring 3
 *   4  0x23 user data    ring 3
 *   5  0x28 TSS          points at tss below
 */
#include <koiz/klib.h>
#include <koiz/layout.h>
#include "gdt.h"

struct tss {
    uint32_t prev, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));

static uint64_t gdt[6];
static struct tss tss;

/* Access byte: present, ring, code/data, type. Flags: 4 KiB granularity, 32-bit. */
static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint64_t d = 0;
    d |= limit & 0xFFFFu;
    d |= (uint64_t)(base & 0xFFFFFFu) << 16;
    d |= (uint64_t)access << 40;
    d |= (uint64_t)((limit >> 16) & 0xF) << 48;
    d |= (uint64_t)(flags & 0xF) << 52;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

void gdt_init(void)
{
    struct dtr gdtr;

    gdt[0] = 0;
    gdt[1] = descriptor(0, 0xFFFFF, 0x9A, 0xC); /* present, ring 0, code, readable */
    gdt[2] = descriptor(0, 0xFFFFF, 0x92, 0xC); /* present, ring 0, data, writable */
    gdt[3] = descriptor(0, 0xFFFFF, 0xFA, 0xC); /* present, ring 3, code */
    gdt[4] = descriptor(0, 0xFFFFF, 0xF2, 0xC); /* present, ring 3, data */

    kmemset(&tss, 0, sizeof tss);
    tss.ss0 = KERNEL_DS;
    tss.iomap_base = sizeof tss;                                    /* no I/O bitmap: ring 3 gets no ports */
    gdt[5] = descriptor((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0); /* present, 32-bit TSS */

    gdtr.limit = sizeof gdt - 1;
    gdtr.base = (uint32_t)gdt;
    gdt_load(&gdtr);
    tss_load(TSS_SELECTOR);
}

void tss_set_kernel_stack(uint32_t esp0)
{
    tss.esp0 = esp0;
}

uint64_t gdt_entry(int i)
{
    return gdt[i];
}
