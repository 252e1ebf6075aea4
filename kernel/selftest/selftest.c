/*
 * selftest.c: runs the kernel's self-tests (see selftest.h). The linker
 * gathers every SELFTEST into the .selftests section, in link order.
 */
#include <stdarg.h>
#include <koiz/klib.h>
#include "../../telemetry/send.h"
#include "../dev/console.h"
#include "../kernel.h"
#include "selftest.h"
#include "../telemetry.h"

extern const struct selftest __selftests_start[], __selftests_end[];

static const struct selftest *current;
static int current_failed;
static char failure[160];
static int passed, failed;

int selftest_check(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (ok || !current)
        return ok;
    if (!current_failed++) {
        /* Keep the first failure: later ones are usually its consequences. */
        const char *base = file;
        for (const char *p = file; *p; p++)
            if (*p == '/')
                base = p + 1;
        n = ksnprintf(failure, sizeof failure, "%s:%d: ", base, line);
        va_start(ap, fmt);
        kvsnprintf(failure + n, sizeof failure - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return ok;
}

static void finish(const struct selftest *t)
{
    if (current_failed) {
        failed++;
        kprintf_color(VGA_LIGHT_RED, "  [FAIL] %s: %s\n", t->name, failure);
        tel_send_test_fail(&(struct rec_test_fail){.name = text_of(t->name), .detail = text_of(failure)});
    } else {
        passed++;
        kprintf_color(VGA_LIGHT_GREEN, "  [ ok ] %s\n", t->name);
        tel_send_test_pass(&(struct rec_test_pass){.name = text_of(t->name)});
    }
    telemetry_flush(); /* results out now; a snapshot too if events were lost */
}

int selftest_run(const char *only)
{
    const struct selftest *t;
    int total = 0;

    kprintf("Running self-tests%s%s:\n", only && *only ? " matching " : "", only ? only : "");
    for (t = __selftests_start; t < __selftests_end; t++) {
        /* "-TEXT" runs every test whose name does not contain TEXT. */
        if (only && only[0] == '-' && only[1] && kstrstr(t->name, only + 1))
            continue;
        if (only && *only && only[0] != '-' && !kstrstr(t->name, only))
            continue;
        if (t->explicit && (!only || !*only || only[0] == '-'))
            continue; /* only when named */
        current = t;
        current_failed = 0;
        t->run();
        finish(t);
        current = 0;
        total++;
    }
    if (total == 0) {
        /* Nothing ran: a typo in selftest=TEXT must not pass for success. */
        kprintf_color(VGA_YELLOW, "No self-test matches \"%s\".\n", only ? only : "");
        failed++;
        ksnprintf(failure, sizeof failure, "no self-test name matches \"%s\"", only ? only : "");
        tel_send_test_fail(
            &(struct rec_test_fail){.name = text_of("selftest_filter"), .detail = text_of(failure)});
    }
    kprintf("Self-tests: %d passed, %d failed\n", passed, failed);
    /* A last full picture for readers, then the verdict. */
    telemetry_request_round(ROUND_REQUEST);
    telemetry_flush();
    tel_send_tests(&(struct rec_tests){.passed = (uint32_t)passed, .failed = (uint32_t)failed});
    telemetry_flush();
    return failed;
}

void selftest_report_panic(void)
{
    if (current) {
        ksnprintf(failure, sizeof failure, "panicked (see the panic record)");
        current_failed = 1;
        finish(current);
        current = 0;
    } else {
        failed++; /* a panic outside any test still fails the run */
    }
    tel_send_tests(&(struct rec_tests){.passed = (uint32_t)passed, .failed = (uint32_t)failed});
    power_off(1);
}
