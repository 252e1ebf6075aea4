/*
 * cpu.c: what this processor can do. CPUID is optional on the oldest CPUs
 * Koiz supports; the way to know is whether EFLAGS.ID can be flipped.
 */
#include "x86.h"

struct cpu_features cpu;

void cpu_probe(struct cpu_features *f)
{
    uint32_t before = read_eflags(), after, a, b, c, d;

    f->has_cpuid = 0;
    f->edx1 = 0;
    f->vendor[0] = '\0';
    write_eflags(before ^ EFLAGS_ID);
    after = read_eflags();
    write_eflags(before);
    if (((before ^ after) & EFLAGS_ID) == 0)
        return;

    f->has_cpuid = 1;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
    ((uint32_t *)f->vendor)[0] = b;
    ((uint32_t *)f->vendor)[1] = d;
    ((uint32_t *)f->vendor)[2] = c;
    f->vendor[12] = '\0';
    if (a >= 1) {
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1));
        f->edx1 = d;
    }
}
