/* test_options.c: the kernel command-line parser (lib/options.c) on the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <koiz/options.h>

struct warnings {
    int count;
    char last[256];
};

static void collect(void *ctx, const char *message)
{
    struct warnings *w = ctx;
    w->count++;
    strncpy(w->last, message, sizeof w->last - 1);
}

static int parse(const char *line, struct koiz_options *o, struct warnings *w)
{
    memset(w, 0, sizeof *w);
    return options_parse(line, o, collect, w);
}

static void test_defaults(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    assert_int_equal(parse("/boot/koiz.elf", &o, &w), 0);
    assert_int_equal(o.selftest, 0);
    assert_int_equal(o.telemetry, TELEMETRY_AUTO);
    assert_int_equal(o.baud, 115200);
    assert_int_equal(options_parse(NULL, &o, NULL, NULL), 0);
    assert_int_equal(parse("", &o, &w), 0);
    assert_int_equal(parse("   ", &o, &w), 0);
}

static void test_every_option(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    assert_int_equal(parse("(fd0)/boot/koiz.elf  selftest=vmm\ttelemetry=serial baud=9600", &o, &w), 0);
    assert_int_equal(o.selftest, 1);
    assert_string_equal(o.selftest_only, "vmm");
    assert_int_equal(o.telemetry, TELEMETRY_SERIAL);
    assert_int_equal(o.baud, 9600);
    const char *names[] = { "e9", "serial", "both", "off" };
    enum telemetry_target t[] = { TELEMETRY_E9, TELEMETRY_SERIAL, TELEMETRY_BOTH, TELEMETRY_OFF };
    for (int i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "/k telemetry=%s", names[i]);
        assert_int_equal(parse(line, &o, &w), 0);
        assert_int_equal(o.telemetry, t[i]);
    }
    assert_int_equal(parse("/k snapshot=5", &o, &w), 0);
    assert_int_equal(o.snapshot_seconds, 5);
    assert_int_equal(parse("/k snapshot=soon", &o, &w), 1);
    assert_int_equal(o.snapshot_seconds, 0);
    assert_int_equal(parse("/k snapshot=99999", &o, &w), 1);
    assert_int_equal(parse("/k demo=tour", &o, &w), 0);
    assert_string_equal(o.demo, "tour");
    assert_int_equal(parse("/k demo=", &o, &w), 1);
    assert_int_equal(parse("/k demo=averyveryverylongname", &o, &w), 1);
    assert_string_equal(o.demo, "");
    assert_int_equal(parse("/k bench", &o, &w), 0);
    assert_int_equal(o.bench, 1);
    assert_int_equal(parse("/k bench=3", &o, &w), 1);
    assert_int_equal(parse("/k crash=divide", &o, &w), 0);
    assert_int_equal(o.crash, CRASH_DIVIDE);
    assert_int_equal(parse("/k crash=pagefault", &o, &w), 0);
    assert_int_equal(o.crash, CRASH_PAGEFAULT);
    assert_int_equal(parse("/k crash=panic", &o, &w), 0);
    assert_int_equal(o.crash, CRASH_PANIC);
    assert_int_equal(parse("/k crash=now", &o, &w), 1);
    assert_int_equal(o.crash, CRASH_NONE);
    assert_int_equal(parse("/k crash", &o, &w), 1);
    /* No kernel path first: the first word is an option like any other. */
    assert_int_equal(parse("selftest", &o, &w), 0);
    assert_int_equal(o.selftest, 1);
}

static void test_unknown_and_malformed(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    assert_int_equal(parse("/k bogus", &o, &w), 1);
    assert_non_null(strstr(w.last, "unknown option 'bogus'"));
    assert_int_equal(parse("/k baud=12ab", &o, &w), 1);
    assert_non_null(strstr(w.last, "'baud=12ab'"));
    assert_int_equal(o.baud, 115200);
    assert_int_equal(parse("/k baud=7", &o, &w), 1);            /* not a divisor of 115200 */
    assert_int_equal(parse("/k baud=0 baud=230400", &o, &w), 2);
    assert_int_equal(parse("/k telemetry=loud", &o, &w), 1);
    assert_int_equal(o.telemetry, TELEMETRY_AUTO);
    assert_int_equal(parse("/k telemetry= baud", &o, &w), 2);
    assert_int_equal(parse("/k selftest=", &o, &w), 1);
    assert_int_equal(o.selftest, 1);                            /* still on: runs every test */
    assert_string_equal(o.selftest_only, "");
    assert_int_equal(parse("/k selftest=0123456789012345678901234567890123", &o, &w), 1);
    assert_int_equal(parse("/k caf\xe9 selftest", &o, &w), 1);  /* non-ASCII word skipped */
    assert_non_null(strstr(w.last, "unprintable"));
    assert_int_equal(o.selftest, 1);                            /* the rest still parsed */
}

static void test_long_words_are_cut_in_messages(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    char line[200] = "/k ";
    memset(line + 3, 'x', 150);
    line[153] = '\0';
    assert_int_equal(parse(line, &o, &w), 1);
    assert_non_null(strstr(w.last, "..."));
    assert_true(strlen(w.last) < 160);
}

static void test_overlong_line(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    char line[CMDLINE_MAX + 40];
    memset(line, ' ', sizeof line);
    memcpy(line, "/k selftest", 11);
    memcpy(line + CMDLINE_MAX + 10, "bogus", 5);   /* past the limit: never read */
    line[sizeof line - 1] = '\0';
    assert_int_equal(parse(line, &o, &w), 1);
    assert_non_null(strstr(w.last, "longer than"));
    assert_int_equal(o.selftest, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_unknown_and_malformed),
        cmocka_unit_test(test_long_words_are_cut_in_messages),
        cmocka_unit_test(test_overlong_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
