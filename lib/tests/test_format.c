/*
 * test_format.c: lib/format.c on the host. Where the C library agrees on a
 * conversion, the host's snprintf is the oracle; Koiz-specific behaviour
 * (unknown conversions, a lone '%') is checked against fixed strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <koiz/klib.h>

#define SAME(...)                                          \
    do {                                                   \
        char want[256], got[256];                          \
        int wn = snprintf(want, sizeof want, __VA_ARGS__); \
        int gn = ksnprintf(got, sizeof got, __VA_ARGS__);  \
        assert_string_equal(got, want);                    \
        assert_int_equal(gn, wn);                          \
    } while (0)

static void test_integers(void **state)
{
    (void)state;
    SAME("%d %i %u", 0, -1, 0u);
    SAME("%d %d", 2147483647, (int)-2147483647 - 1);
    SAME("%u %x %X", 4294967295u, 0xdeadbeefu, 0xdeadbeefu);
    SAME("%ld %lu %lx", -5L, 5UL, 0xabcUL);
    SAME("%lld %llu %llx", -9223372036854775807LL - 1, 18446744073709551615ULL, 0x123456789abcdefULL);
    SAME("%zu %zx", (size_t)12345, (size_t)0xfff);
}

static void test_widths_and_flags(void **state)
{
    (void)state;
    SAME("[%8d][%-8d][%08d]", 123, 123, 123);
    SAME("[%08d][%8d][%-8d]", -123, -123, -123);
    SAME("[%08x][%-8X][%2x]", 0xbeefu, 0xbeefu, 0xbeefu);
    SAME("[%*d][%-*d]", 6, 42, 6, 42);
    SAME("[%*d]", -6, 42);
    SAME("[%010llx]", 0x1fffff000ULL);
    SAME("[%1d]", 12345);
}

static void test_strings_and_chars(void **state)
{
    (void)state;
    SAME("[%s][%10s][%-10s]", "koiz", "koiz", "koiz");
    SAME("[%.2s][%.0s][%.10s]", "koiz", "koiz", "koiz");
    SAME("[%.*s]", 3, "paging");
    SAME("[%c][%3c][%-3c]", 'k', 'o', 'i');
    SAME("100%%");
}

static void test_pointers(void **state)
{
    (void)state;
    char got[64];
    ksnprintf(got, sizeof got, "%p", (void *)0xc0100000u);
    assert_string_equal(got, "0xc0100000");
    ksnprintf(got, sizeof got, "%p", (void *)0);
    assert_string_equal(got, "0x0");
}

/* Without the format attribute: these tests pass formats the compiler would refuse. */
static int unchecked(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_null_and_oddities(void **state)
{
    (void)state;
    char got[64];
    unchecked(got, sizeof got, "%s", (char *)NULL);
    assert_string_equal(got, "(null)");
    unchecked(got, sizeof got, "50%"); /* lone '%' at the end */
    assert_string_equal(got, "50%");
    unchecked(got, sizeof got, "%q%d", 7); /* unknown conversion shown as written */
    assert_string_equal(got, "%q7");
}

static void test_truncation(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(ksnprintf(buf, 5, "%s", "koiz os"), 7); /* returns the full length */
    assert_string_equal(buf, "koiz");
    assert_int_equal(buf[5], 'Z'); /* nothing past size */
    assert_int_equal(ksnprintf(buf, 0, "abc"), 3);
    assert_int_equal(buf[0], 'k');
    assert_int_equal(ksnprintf(buf, 1, "abc"), 3);
    assert_string_equal(buf, "");
}

struct counter {
    int n;
};
static void count(void *ctx, char c)
{
    (void)c;
    ((struct counter *)ctx)->n++;
}
static int vcount(const char *fmt, ...)
{
    struct counter c = {0};
    va_list ap;
    va_start(ap, fmt);
    int r = kvformat(count, &c, fmt, ap);
    va_end(ap);
    assert_int_equal(r, c.n);
    return r;
}

static void test_callback_counts(void **state)
{
    (void)state;
    assert_int_equal(vcount("%d-%s-%x", 12, "ab", 255u), 8);
    assert_int_equal(vcount(""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),          cmocka_unit_test(test_widths_and_flags),
        cmocka_unit_test(test_strings_and_chars), cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_null_and_oddities), cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_callback_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
