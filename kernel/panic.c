/*
 * panic.c: the end of the road for a broken invariant. The message goes to
 * every output (and, as a record, to the telemetry stream, so a boot test
 * shows why it failed); then the machine stops. Self-test runs power off
 * instead, with a failing result, so the suite moves on at once.
 */
#include <koiz/klib.h>
#include "../telemetry/emit.h"
#include "dev/console.h"
#include "kernel.h"
#include "selftest/selftest.h"
#include "telemetry.h"
#include "x86.h"

static int panicking;

void halt_forever(void)
{
    for (;;) {
        cli();
        hlt();
    }
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
    tel_send_panic(&(struct rec_panic){ .text = text_of(where) });
    telemetry_drain();
    if (kernel_options.selftest) {
        selftest_report_panic();
        power_off(1);
    }
    kputs("System halted.\n");
    halt_forever();
}
