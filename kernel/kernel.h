/*
 * kernel.h: things every kernel file may need: the boot options, panic and
 * assertions, power-off, and the symbols the linker script defines.
 */
#ifndef KOIZ_KERNEL_H
#define KOIZ_KERNEL_H

#include <stdint.h>
#include <koiz/layout.h>
#include <koiz/options.h>

/* options.c: the options the boot command line set (defaults before it is read). */
extern struct koiz_options kernel_options;
/* Reads the command line into kernel_options; a word it cannot take is
 * warned about on the console and as a warn record, and otherwise ignored. */
void kernel_options_parse(const char *cmdline);
/* Says on every output (and as a `warn` record) each mistake bug= makes Koiz make on purpose. */
void bugs_announce(uint32_t bugs);

/* Prints "PANIC at file:line: message" on every output, then halts (or, in
 * self-test mode, reports a failed run and powers off). Never returns. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* An invariant: when false, panic naming the function and the expression. */
#define KASSERT(cond)                                           \
    do {                                                        \
        if (!(cond))                                            \
            panic("%s: assertion failed: %s", __func__, #cond); \
    } while (0)

/* panic.c: registers fn to run in a panic after the message is out and
 * before the machine halts, in the order registered (at most
 * KERNEL_HOOKS_MAX): telemetry's drain, then in a self-test run the
 * runner's verdict, which powers off. The layers above register
 * themselves, so that panic, which every file may call, calls none of them. */
void panic_notify(void (*fn)(void));

/* dev/power.c: ends the run: the hooks registered with power_before_off
 * (telemetry's drain), the emulator exit ports, then ACPI, then a halt with
 * a message (halt_forever, in x86.h). */
void power_off(int failed) __attribute__((noreturn));
void power_before_off(void (*fn)(void));

/* A short list of functions to call, for panic_notify and power_before_off. */
#define KERNEL_HOOKS_MAX 4
struct kernel_hooks {
    void (*fn[KERNEL_HOOKS_MAX])(void);
    int n;
};
/* Adds fn to h; panics (naming the caller) when h is full. */
void kernel_hooks_add(struct kernel_hooks *h, void (*fn)(void), const char *caller);
/* Calls every function in h, in the order added. */
void kernel_hooks_run(const struct kernel_hooks *h);

/* kmain.c: the C entry point, called once by asm/boot.asm with paging on; never returns. */
void kmain(uint32_t magic, uint32_t info_phys);

/* Physical <-> kernel virtual, for memory in the kernel's map of physical RAM. */
#define P2V(pa) ((void *)((uintptr_t)(pa) + KERNEL_BASE))
#define V2P(va) ((uintptr_t)(va)-KERNEL_BASE)

extern char _kernel_start_phys[], _kernel_end[], _text_start[], _text_end[];
extern char boot_stack_bottom[], boot_stack_top[];
extern uint32_t boot_page_dir[1024], boot_page_table[1024];

#endif
