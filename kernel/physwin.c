/*
 * physwin.c: a one-page window onto any physical address (see physwin.h).
 * Interrupts are off while the window is in use, because an interrupt
 * handler reading through it would move it under our feet.
 */
#include <koiz/klib.h>
#include "kernel.h"
#include "physwin.h"
#include "x86.h"

uint32_t physwin_table[1024] __attribute__((aligned(4096)));

void physwin_init(void)
{
    boot_page_dir[1023] = (uint32_t)V2P(physwin_table) | 3;
    write_cr3(read_cr3());
}

void phys_read(uint32_t pa, void *buf, size_t n)
{
    unsigned char *out = buf;
    uint32_t flags = irq_save();

    while (n > 0) {
        uint32_t page = pa & ~0xFFFu, offset = pa & 0xFFFu;
        size_t chunk = 4096 - offset < n ? 4096 - offset : n;
        physwin_table[1023] = page | 1;         /* present, read-only */
        invlpg(PHYSWIN_VA);
        kmemcpy(out, (const void *)(PHYSWIN_VA + offset), chunk);
        out += chunk;
        pa += (uint32_t)chunk;
        n -= chunk;
    }
    physwin_table[1023] = 0;
    invlpg(PHYSWIN_VA);
    irq_restore(flags);
}
