/*
 * pic.c: the 8259A pair. The BIOS leaves IRQs 0-7 on vectors 8-15, where
 * they would look like CPU exceptions (IRQ 0 as a double fault), so they
 * move to 32-47. Everything starts masked; drivers unmask what they use.
 */
#include "pic.h"
#include "../trap.h"
#include "../x86.h"

#define PIC1_CMD     0x20
#define PIC1_DATA    0x21
#define PIC2_CMD     0xA0
#define PIC2_DATA    0xA1
#define PIC_EOI      0x20
#define PIC_READ_ISR 0x0B

void pic_init(void)
{
    outb(PIC1_CMD, 0x11);
    io_wait(); /* ICW1: init, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, IRQ_BASE);
    io_wait(); /* ICW2: vector offsets */
    outb(PIC2_DATA, IRQ_BASE + 8);
    io_wait();
    outb(PIC1_DATA, 0x04);
    io_wait(); /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, 0x02);
    io_wait();
    outb(PIC1_DATA, 0x01);
    io_wait(); /* ICW4: 8086 mode */
    outb(PIC2_DATA, 0x01);
    io_wait();
    outb(PIC1_DATA, 0xFB); /* all masked but the cascade (IRQ 2) */
    outb(PIC2_DATA, 0xFF);
}

void pic_unmask(int irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, (uint8_t)(inb(port) & ~(1u << (irq & 7))));
}

void pic_mask(int irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, (uint8_t)(inb(port) | (1u << (irq & 7))));
}

void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

int pic_is_spurious(int irq)
{
    if (irq != 7 && irq != 15)
        return 0;
    uint16_t cmd = irq == 7 ? PIC1_CMD : PIC2_CMD;
    outb(cmd, PIC_READ_ISR);
    if (inb(cmd) & 0x80)
        return 0;
    /* A spurious IRQ 15 still came through the master, which wants its EOI. */
    if (irq == 15)
        outb(PIC1_CMD, PIC_EOI);
    return 1;
}
