/*
 * panic.c: the end of the road for a broken invariant. The message goes to
 * every output (and, as a record, to the telemetry stream, so a boot test
 * shows why it failed); then the functions registered with panic_notify run
 * (telemetry's drain; in a self-test run the runner's verdict, which powers
 * off with a failing result so the suite moves on at once) and the machine
 * halts. Every kernel file may panic, so this file calls only what sits
 * below all of them: the console, kprintf and the record emitter.
 */
#include <koiz/klib.h>
#include "../telemetry/send.h"
#include "dev/console.h"
#include "kernel.h"
#include "x86.h"

static int panicking;
static struct kernel_hooks on_panic;

void kernel_hooks_add(struct kernel_hooks *h, void (*fn)(void), const char *caller)
{
    if (h->n == KERNEL_HOOKS_MAX)
        panic("%s: already %d functions registered", caller, h->n);
    h->fn[h->n++] = fn;
}

void kernel_hooks_run(const struct kernel_hooks *h)
{
    for (int i = 0; i < h->n; i++)
        h->fn[i]();
}

void panic_notify(void (*fn)(void))
{
    kernel_hooks_add(&on_panic, fn, "panic_notify");
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[200], where[240];
    va_list ap;

    cli();
    if (panicking++) {
        /* A panic while panicking: print the bare minimum and stop. */
        kputs("\nPANIC (nested)\n");
        halt_forever();
    }
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    kprintf_color(VGA_LIGHT_RED, "\nPANIC at %s:%d: %s\n", file, line, msg);
    ksnprintf(where, sizeof where, "%s:%d: %s", file, line, msg);
    tel_send_panic(&(struct rec_panic){.text = text_of(where)});
    kernel_hooks_run(&on_panic);
    kputs("System halted.\n");
    halt_forever();
}
