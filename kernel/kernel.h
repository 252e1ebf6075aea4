/*
 * kernel.h: things every kernel file may need: the boot options, panic and
 * assertions, power-off, and the symbols the linker script defines.
 */
#ifndef KOIZ_KERNEL_H
#define KOIZ_KERNEL_H

#include <stdint.h>
#include <koiz/layout.h>
#include <koiz/options.h>

extern struct koiz_options kernel_options;

/* Prints "PANIC at file:line: message" on every output, then halts (or, in
 * self-test mode, reports a failed run and powers off). Never returns. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* An invariant: when false, panic naming the function and the expression. */
#define KASSERT(cond) \
    do { if (!(cond)) panic("%s: assertion failed: %s", __func__, #cond); } while (0)

/* Ends the run: emulator exit ports, then ACPI, then a halt with a message. */
void power_off(int failed) __attribute__((noreturn));
void halt_forever(void) __attribute__((noreturn));

/* Physical <-> kernel virtual, for memory in the kernel's map of physical RAM. */
#define P2V(pa) ((void *)((uintptr_t)(pa) + KERNEL_BASE))
#define V2P(va) ((uintptr_t)(va) - KERNEL_BASE)

extern char _kernel_start_phys[], _kernel_end[], _text_start[], _text_end[];
extern char boot_stack_bottom[], boot_stack_top[];
extern uint32_t boot_page_dir[1024], boot_page_table[1024];

#endif
