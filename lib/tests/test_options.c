/* test_options.c: the kernel command-line parser (lib/options.c) on the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <koiz/bugs.h>
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
    const char *names[] = {"e9", "serial", "both", "off"};
    enum telemetry_target t[] = {TELEMETRY_E9, TELEMETRY_SERIAL, TELEMETRY_BOTH, TELEMETRY_OFF};
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
    assert_int_equal(parse("/k tour_pause=5", &o, &w), 0);
    assert_int_equal(o.tour_pause_seconds, 5);
    assert_int_equal(parse("/k", &o, &w), 0);
    assert_int_equal(o.tour_pause_seconds, TOUR_PAUSE_DEFAULT);
    assert_int_equal(parse("/k tour_pause=601", &o, &w), 1);
    assert_int_equal(o.tour_pause_seconds, TOUR_PAUSE_DEFAULT);
    /* bug=: names separated by commas, and the option may come again: the bugs add up */
    assert_int_equal(parse("/k bug=skip-invlpg,leak-on-exit", &o, &w), 0);
    assert_int_equal(o.bugs, BUG(SKIP_INVLPG) | BUG(LEAK_ON_EXIT));
    assert_int_equal(parse("/k bug=free-mapped bug=user-kernel", &o, &w), 0);
    assert_int_equal(o.bugs, BUG(FREE_MAPPED) | BUG(USER_KERNEL));
    assert_int_equal(parse("/k bug=cow-writable-parent bug=skip-invlpg,nonsense", &o, &w), 1);
    assert_int_equal(o.bugs, BUG(COW_WRITABLE_PARENT));
    assert_non_null(strstr(w.last, "skip-invlpg, cow-writable-parent"));
    assert_int_equal(parse("/k bug=", &o, &w), 1);
    assert_int_equal(o.bugs, 0);
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
    assert_int_equal(parse("/k baud=7", &o, &w), 1); /* not a divisor of 115200 */
    assert_int_equal(parse("/k baud=0 baud=230400", &o, &w), 2);
    assert_int_equal(parse("/k telemetry=loud", &o, &w), 1);
    assert_int_equal(o.telemetry, TELEMETRY_AUTO);
    assert_int_equal(parse("/k telemetry= baud", &o, &w), 2);
    assert_int_equal(parse("/k selftest=", &o, &w), 1);
    assert_int_equal(o.selftest, 1); /* still on: runs every test */
    assert_string_equal(o.selftest_only, "");
    assert_int_equal(parse("/k selftest=0123456789012345678901234567890123", &o, &w), 1);
    assert_int_equal(parse("/k caf\xe9 selftest", &o, &w), 1); /* non-ASCII word skipped */
    assert_non_null(strstr(w.last, "unprintable"));
    assert_non_null(strstr(w.last, "'caf\\xe9'")); /* named, escaped for the console */
    assert_int_equal(o.selftest, 1);               /* the rest still parsed */
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
    /* A warning also goes out as a `warn` record: it must fit in one (240 bytes). */
    assert_true(strlen(w.last) < 200);
}

static void test_overlong_line(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    char line[CMDLINE_MAX + 40];
    memset(line, ' ', sizeof line);
    memcpy(line, "/k selftest", 11);
    memcpy(line + CMDLINE_MAX + 10, "bogus", 5); /* past the limit: never read */
    line[sizeof line - 1] = '\0';
    assert_int_equal(parse(line, &o, &w), 1);
    assert_non_null(strstr(w.last, "longer than"));
    assert_int_equal(o.selftest, 1);
}

/* Every option's value is checked: out of range, hex, signs and junk keep the default. */
static void test_values_checked(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    static const char *const bad[] = {"baud=1",      "baud=0x2580",  "baud=+9600",       "baud=9601",
                                      "baud=230400", "baud=",        "snapshot=3601",    "snapshot=0x10",
                                      "snapshot=-1", "demo_limit=0", "demo_limit=86401", "demo_limit=ten",
                                      "demo_limit",  "test_diverge", "test_diverge=0",   "test_diverge=3601"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "/k %s", bad[i]);
        assert_int_equal(parse(line, &o, &w), 1);
        assert_non_null(strstr(w.last, bad[i]));
        assert_int_equal(o.baud, 115200);
        assert_int_equal(o.snapshot_seconds, 0);
        assert_int_equal(o.demo_limit_seconds, 0);
        assert_int_equal(o.test_diverge_seconds, 0);
    }
    static const uint32_t good[] = {300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "/k baud=%u", good[i]);
        assert_int_equal(parse(line, &o, &w), 0);
        assert_int_equal(o.baud, good[i]);
    }
    assert_int_equal(parse("/k demo_limit=30 demo=spin", &o, &w), 0);
    assert_int_equal(o.demo_limit_seconds, 30);
    assert_string_equal(o.demo, "spin");
    assert_int_equal(parse("/k test_diverge=2", &o, &w), 0);
    assert_int_equal(o.test_diverge_seconds, 2);
}

/* Given twice: alike is harmless (a warning), different is ambiguous (the default). */
static void test_repeated_options(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    assert_int_equal(parse("/k baud=9600 baud=9600", &o, &w), 1);
    assert_int_equal(o.baud, 9600);
    assert_non_null(strstr(w.last, "'baud=9600' is given twice"));
    assert_int_equal(parse("/k baud=9600 baud=38400", &o, &w), 1);
    assert_int_equal(o.baud, 115200);
    assert_non_null(strstr(w.last, "'baud=38400' contradicts 'baud=9600'"));
    assert_int_equal(parse("/k baud=9600 baud=38400 baud=9600", &o, &w), 2);
    assert_int_equal(o.baud, 115200);
    assert_int_equal(parse("/k demo=heap snapshot=5 demo=fork", &o, &w), 1);
    assert_string_equal(o.demo, "");
    assert_int_equal(o.snapshot_seconds, 5);
    assert_int_equal(parse("/k selftest selftest=vmm", &o, &w), 1);
    assert_int_equal(o.selftest, 0);
    assert_string_equal(o.selftest_only, "");
    assert_int_equal(parse("/k telemetry=off telemetry=e9", &o, &w), 1);
    assert_int_equal(o.telemetry, TELEMETRY_AUTO);
    assert_int_equal(parse("/k crash=panic crash=divide", &o, &w), 1);
    assert_int_equal(o.crash, CRASH_NONE);
}

/* The first word is the kernel's path however the loader spelt it, unless it is an option. */
static void test_kernel_path_first(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    static const char *const paths[] = {"/boot/koiz.elf",
                                        "(fd0)/boot/koiz.elf",
                                        "(hd0,0)/boot/koiz.elf",
                                        "build/koiz.elf",
                                        "koiz.elf",
                                        "./koiz",
                                        "/tmp/k"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s demo=heap", paths[i]);
        assert_int_equal(parse(line, &o, &w), 0);
        assert_string_equal(o.demo, "heap");
    }
    assert_int_equal(parse("bench", &o, &w), 0); /* an option, not a path */
    assert_int_equal(o.bench, 1);
    assert_int_equal(parse("demo=fork selftest", &o, &w), 0);
    assert_string_equal(o.demo, "fork");
    assert_int_equal(parse("/boot/koiz.elf build/koiz.elf", &o, &w), 1); /* only the first word */
}

/* A line cut at the limit: the cut word is not taken for what it became. */
static void test_cut_word_ignored(void **state)
{
    (void)state;
    struct koiz_options o;
    struct warnings w;
    char line[400];
    /* "/k", spaces, then snapshot=3600 crossing character 255: read as "snapshot=3" it
     * would mean something else, so it is ignored, and named. */
    memset(line, ' ', sizeof line);
    memcpy(line, "/k selftest", 11);
    memcpy(line + 245, "snapshot=3600", 13);
    line[258] = '\0';
    assert_int_equal(parse(line, &o, &w), 1);
    assert_int_equal(o.snapshot_seconds, 0);
    assert_int_equal(o.selftest, 1);
    assert_non_null(strstr(w.last, "longer than 255"));
    assert_non_null(strstr(w.last, "'snapshot=3'"));
    /* Exactly 255 characters: all of it is read. */
    memset(line, ' ', sizeof line);
    memcpy(line, "/k", 2);
    memcpy(line + 242, "snapshot=3600", 13);
    line[255] = '\0';
    assert_int_equal(parse(line, &o, &w), 0);
    assert_int_equal(o.snapshot_seconds, 3600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_unknown_and_malformed),
        cmocka_unit_test(test_long_words_are_cut_in_messages),
        cmocka_unit_test(test_overlong_line),
        cmocka_unit_test(test_values_checked),
        cmocka_unit_test(test_repeated_options),
        cmocka_unit_test(test_kernel_path_first),
        cmocka_unit_test(test_cut_word_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
