/*
 * pit.c: channel 0 of the programmable interval timer in rate-generator
 * mode, dividing its 1.193182 MHz clock down to PIT_HZ interrupts a second.
 * The tick count is the kernel's clock for timestamps and sleeps.
 */
#include "pic.h"
#include "pit.h"
#include "../trap.h"
#include "../x86.h"

#define PIT_CLOCK 1193182u
#define PIT_CH0   0x40
#define PIT_CMD   0x43

static volatile uint64_t ticks;
static pit_tick_fn tick_callback;

static void on_tick(struct trapframe *tf)
{
    (void)tf;
    ticks++;
    if (tick_callback)
        tick_callback();
}

void pit_on_tick(pit_tick_fn fn)
{
    tick_callback = fn;
}

void pit_init(void)
{
    uint32_t divisor = PIT_CLOCK / PIT_HZ;
    outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
    outb(PIT_CH0, (uint8_t)(divisor & 0xFF));
    outb(PIT_CH0, (uint8_t)(divisor >> 8));
    irq_register(IRQ_TIMER, on_tick);
    pic_unmask(IRQ_TIMER);
}

uint64_t pit_ticks(void)
{
    /* A 64-bit read is two loads; keep the tick from landing between them. */
    uint32_t f = irq_save();
    uint64_t t = ticks;
    irq_restore(f);
    return t;
}

void pit_wait(uint32_t n)
{
    uint64_t end = pit_ticks() + n;
    while (pit_ticks() < end)
        hlt();
}
