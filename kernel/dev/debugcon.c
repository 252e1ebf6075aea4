/*
 * debugcon.c: port 0xE9, the emulators' debug console. Bochs (port_e9_hack)
 * and QEMU (-debugcon) print what is written there, and a read returns 0xE9;
 * on real hardware the port is unused, so Koiz writes it only after that
 * read-back says someone is listening.
 */
#include "console.h"
#include "../x86.h"

#define DEBUGCON_PORT 0xE9

static int present;
static uint32_t records;

int debugcon_init(void)
{
    present = inb(DEBUGCON_PORT) == 0xE9;
    return present;
}

int debugcon_present(void)
{
    return present;
}

void debugcon_putc(char c)
{
    if (!present)
        return;
    outb(DEBUGCON_PORT, (uint8_t)c);
    if (c == '@')
        records++;
}

uint32_t debugcon_records(void)
{
    return records;
}

void debugcon_write(const char *s, size_t n, uint32_t records_begun)
{
    /* One string instruction for the lot: an emulator handles `rep outsb` in
     * one exit where a loop of `outb` costs one each. */
    if (!present || !n)
        return;
    records += records_begun;
    __asm__ volatile("cld; rep outsb" : "+S"(s), "+c"(n) : "d"(DEBUGCON_PORT) : "memory");
}
