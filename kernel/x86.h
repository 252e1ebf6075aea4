/*
 * x86.h: one-instruction wrappers for port I/O, control registers, CPUID
 * and interrupt flags. Only kernel/ includes this: vmm/ stays portable.
 */
#ifndef KOIZ_X86_H
#define KOIZ_X86_H

#include <stdint.h>
#include <koiz/x86_regs.h> /* CR0_PG, CR0_WP, CR4_PSE, CR4_PGE */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/* A write to an unused port: about 1 us, the classic delay for slow ISA chips. */
static inline void io_wait(void)
{
    outb(0x80, 0);
}

static inline uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
static inline uint32_t read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
static inline uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
static inline uint32_t read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
static inline void write_cr0(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline void write_cr3(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void write_cr4(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline void clts(void)
{
    __asm__ volatile("clts" : : : "memory");
}
static inline void invlpg(uint32_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint32_t read_eflags(void)
{
    uint32_t v;
    __asm__ volatile("pushfl; popl %0" : "=r"(v));
    return v;
}
static inline void write_eflags(uint32_t v)
{
    __asm__ volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc");
}

static inline void cli(void)
{
    __asm__ volatile("cli" : : : "memory");
}
static inline void sti(void)
{
    __asm__ volatile("sti" : : : "memory");
}
static inline void hlt(void)
{
    __asm__ volatile("hlt" : : : "memory");
}
/* Stops this CPU for good: interrupts off, halted (an NMI only halts it again). */
static inline __attribute__((noreturn)) void halt_forever(void)
{
    for (;;) {
        cli();
        hlt();
    }
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define EFLAGS_IF (1u << 9)
#define EFLAGS_ID (1u << 21)

/* CPUID leaf 1 EDX bits Koiz cares about. */
#define CPUID_PSE  (1u << 3)
#define CPUID_TSC  (1u << 4)
#define CPUID_PGE  (1u << 13)
#define CPUID_FPU  (1u << 0)
#define CPUID_MMX  (1u << 23)
#define CPUID_FXSR (1u << 24)
#define CPUID_SSE  (1u << 25)

struct cpu_features {
    int has_cpuid;
    uint32_t edx1; /* CPUID leaf 1 EDX, 0 without CPUID */
    char vendor[13];
};

/* CR4 came with the Pentium (and late 486s with VME); touching it on an
 * older CPU is an invalid opcode. Any of these features implies it. */
#define CPUID_CR4_FEATURES \
    ((1u << 1) | (1u << 2) | CPUID_PSE | CPUID_TSC | (1u << 6) | CPUID_PGE | CPUID_FXSR)
static inline int cpu_has_cr4(const struct cpu_features *f)
{
    return f->has_cpuid && (f->edx1 & CPUID_CR4_FEATURES);
}

/* Fills *f; a CPU without CPUID (a 486 before the late steppings) gets zeros. */
void cpu_probe(struct cpu_features *f);
/* What kmain found (kernel/kmain.c): the one CPU Koiz runs on. */
extern struct cpu_features cpu;

/* Saves EFLAGS and disables interrupts; restore with irq_restore. */
static inline uint32_t irq_save(void)
{
    uint32_t f = read_eflags();
    cli();
    return f;
}
static inline void irq_restore(uint32_t f)
{
    if (f & EFLAGS_IF)
        sti();
}

#endif
