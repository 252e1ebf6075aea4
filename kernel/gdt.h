/*
 * gdt.h: segments and the task state segment. Koiz uses flat segments
 * (base 0, limit 4 GiB) for ring 0 and ring 3; paging does the real work.
 * The TSS is there so a trap from ring 3 knows which kernel stack to use.
 */
#ifndef KOIZ_GDT_H
#define KOIZ_GDT_H

#include <stdint.h>

struct dtr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

void gdt_init(void);
/* The kernel stack the CPU switches to on a trap from ring 3. */
void tss_set_kernel_stack(uint32_t esp0);

/* Reads back the descriptor at index i (for the self-test). */
uint64_t gdt_entry(int i);

void gdt_load(const struct dtr *gdtr);
void idt_load(const struct dtr *idtr);
void tss_load(uint16_t selector);

#endif
