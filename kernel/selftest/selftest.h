/*
 * selftest.h: tests that run inside the kernel when it boots with the
 * `selftest` option. Each test is a function declared with SELFTEST(name);
 * CHECK and CHECK_EQ record the first failure with file:line. Results go to
 * the screen and, as `test` records, to the telemetry stream, where the boot
 * tests on the host read them. The run ends with a `tests` record and a
 * power-off.
 */
#ifndef KOIZ_SELFTEST_H
#define KOIZ_SELFTEST_H

#include <stdint.h>

struct selftest {
    const char *name;
    void (*run)(void);
    int explicit; /* runs only when selftest=TEXT names it (TEXT is in its name) */
};

#define SELFTEST(fn)                                                             \
    static void fn(void);                                                        \
    static const struct selftest selftest_##fn                                   \
        __attribute__((section(".selftests"), used, aligned(4))) = {#fn, fn, 0}; \
    static void fn(void)

/* A test too slow for every boot (the hostile programs' suite): it runs only when
 * asked for by name, as in selftest=hostile. */
#define SELFTEST_EXPLICIT(fn)                                                    \
    static void fn(void);                                                        \
    static const struct selftest selftest_##fn                                   \
        __attribute__((section(".selftests"), used, aligned(4))) = {#fn, fn, 1}; \
    static void fn(void)

#define CHECK(cond) selftest_check(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECK_EQ(a, b)                                                                               \
    do {                                                                                             \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);               \
        selftest_check(a_ == b_, __FILE__, __LINE__, "%s == %s (0x%llx vs 0x%llx)", #a, #b, a_, b_); \
    } while (0)
#define CHECK_STR(a, b) \
    selftest_check(kstrcmp((a), (b)) == 0, __FILE__, __LINE__, "%s is \"%s\", want \"%s\"", #a, (a), (b))

/* Records a failure of the running test when ok is 0; returns ok. */
int selftest_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Runs every test whose name contains `only` (all when empty). Returns the failure count. */
int selftest_run(const char *only);
/* For panic_notify (kmain registers it in a self-test run): the running
 * test, or the run when none is running, fails, the summary is sent and the
 * machine powers off with a failing result. */
void selftest_report_panic(void) __attribute__((noreturn));

#endif
