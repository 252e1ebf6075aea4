/*
 * io.c: the test kernel's output (port 0xE9), clock (PIT channel 2, polled)
 * and exit (QEMU's isa-debug-exit).
 */
#include "cpu.h"

#define DEBUGCON   0xE9
#define PIT_CH2    0x42
#define PIT_MODE   0x43
#define PC_SPEAKER 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define PIT_HZ     1193182u
#define EXIT_PORT  0xF4

void put(const char *s)
{
    while (*s)
        outb(DEBUGCON, (uint8_t)*s++);
}

void put_hex(uint32_t v)
{
    char buf[11] = "0x";
    for (int i = 0; i < 8; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    buf[10] = '\0';
    put(buf);
}

void put_dec(uint32_t v)
{
    char buf[12];
    int n = 11;
    buf[n] = '\0';
    do {
        buf[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(buf + n);
}

/*
 * One-shot countdowns of 10 ms on channel 2 (mode 0: its output goes high at
 * zero), read on the speaker port with the speaker itself off. QEMU's PIT
 * runs on the guest's virtual clock, which stands still while a debugger
 * holds the guest stopped: a wait is guest time, not wall time.
 */
void wait_ms(uint32_t ms)
{
    uint32_t count = PIT_HZ / 100;
    uint8_t speaker = (uint8_t)((inb(PC_SPEAKER) & ~0x02u) | 0x01u);
    outb(PC_SPEAKER, speaker);
    for (uint32_t left = ms; left > 0;) {
        uint32_t step = left < 10 ? left : 10;
        uint32_t c = count * step / 10;
        outb(PIT_MODE, 0xB0); /* channel 2, low then high byte, mode 0, binary */
        outb(PIT_CH2, (uint8_t)c);
        outb(PIT_CH2, (uint8_t)(c >> 8));
        while (!(inb(PC_SPEAKER) & 0x20))
            ;
        left -= step;
    }
}

void power_off(void)
{
    outb(EXIT_PORT, 0);
    halt_forever();
}
