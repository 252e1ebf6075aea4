/*
 * vmm_arch.c: the machine side of vmm/arch.h. vmm/ is plain C that never
 * touches a control register; these few functions are all it needs from
 * the CPU, and host tests replace them with a simulation.
 */
#include <stdarg.h>
#include <koiz/klib.h>
#include "../vmm/arch.h"
#include "dev/console.h"
#include "kernel.h"
#include "x86.h"

void arch_load_cr3(uint32_t pd_phys)
{
    write_cr3(pd_phys);
}

void arch_invlpg(uint32_t va)
{
    invlpg(va);
}

void arch_flush_tlb(void)
{
    write_cr3(read_cr3());
}

uint32_t arch_read_cr2(void)
{
    return read_cr2();
}

void arch_enable_paging_features(int pse, int pge)
{
    uint32_t cr4;
    if (!pse && !pge)
        return; /* and a CPU without CR4 never has it touched */
    cr4 = read_cr4();
    if (pse)
        cr4 |= CR4_PSE;
    if (pge)
        cr4 |= CR4_PGE;
    write_cr4(cr4);
}

void arch_panic(const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    panic("%s", msg);
}
