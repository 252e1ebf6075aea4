/* test_divide.c: lib/divide.c's long division against the host's own 64-bit `/` and `%`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <koiz/klib.h>

static void check(uint64_t n, uint64_t d)
{
    uint64_t r = 12345;
    uint64_t q = u64_divmod(n, d, &r);
    if (q != n / d || r != n % d)
        fail_msg("%llu / %llu: got %llu rem %llu", (unsigned long long)n, (unsigned long long)d,
                 (unsigned long long)q, (unsigned long long)r);
    assert_int_equal(u64_divmod(n, d, NULL), n / d);
}

static void test_edges(void **state)
{
    (void)state;
    static const uint64_t values[] = {
        0,
        1,
        2,
        3,
        9,
        10,
        0xffffffffu,
        0x100000000ull,
        0x100000001ull,
        0x7fffffffffffffffull,
        0x8000000000000000ull,
        0x8000000000000001ull,
        UINT64_MAX - 1,
        UINT64_MAX,
    };
    size_t count = sizeof values / sizeof values[0];
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < count; j++)
            if (values[j])
                check(values[i], values[j]);
}

/* A xorshift generator: the same numbers on every run, spread over every size of divisor. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_random(void **state)
{
    (void)state;
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200000; i++) {
        uint64_t n = next(&s), d = next(&s) >> (next(&s) % 64);
        if (d)
            check(n >> (i % 7 * 9), d);
    }
}

static void test_division_by_zero_is_defined_on_the_host(void **state)
{
    (void)state;
    uint64_t r;
    assert_int_equal(u64_divmod(42, 0, &r), UINT64_MAX);
    assert_int_equal(r, 42);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_division_by_zero_is_defined_on_the_host),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
