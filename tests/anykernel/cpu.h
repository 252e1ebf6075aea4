/*
 * cpu.h: what boot.asm provides (control registers, port I/O, halting), the
 * control-register bits this kernel sets, and its output and clock (io.c).
 * This kernel shares no code with Koiz on purpose: it is the stranger
 * gdb_peek must read correctly.
 */
#ifndef ANYKERNEL_CPU_H
#define ANYKERNEL_CPU_H

#include <stdint.h>

#define CR0_PG  0x80000000u
#define CR4_PSE 0x00000010u
#define CR4_PAE 0x00000020u

uint32_t read_cr0(void);
uint32_t read_cr3(void);
uint32_t read_cr4(void);
void write_cr0(uint32_t v);
void write_cr3(uint32_t v);
void write_cr4(uint32_t v);
void outb(uint16_t port, uint8_t value);
uint8_t inb(uint16_t port);
void halt_forever(void) __attribute__((noreturn));
uint64_t read_tsc(void); /* bench only: QEMU's TSC stands still while the guest is stopped */

/* Text out of port 0xE9 (QEMU's -debugcon). */
void put(const char *s);
void put_hex(uint32_t v); /* 0x0010b000: always 8 digits */
void put_dec(uint32_t v);

/* Waits ms milliseconds of the guest's clock, counted by PIT channel 2 (no interrupts). */
void wait_ms(uint32_t ms);

/* Ends QEMU through its isa-debug-exit device at port 0xf4 (exit status 1); halts if there is none. */
void power_off(void) __attribute__((noreturn));

#endif
