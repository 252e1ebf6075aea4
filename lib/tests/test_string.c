/* test_string.c: lib/string.c on the host, under ASan and UBSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <koiz/klib.h>

static void test_memset_memcpy(void **state)
{
    (void)state;
    char a[16], b[16];
    assert_ptr_equal(kmemset(a, 'x', sizeof a), a);
    for (size_t i = 0; i < sizeof a; i++)
        assert_int_equal(a[i], 'x');
    kmemcpy(b, "0123456789abcdef", 16);
    assert_memory_equal(b, "0123456789abcdef", 16);
    assert_ptr_equal(kmemcpy(b, a, 0), b);
}

static void test_memmove_overlap(void **state)
{
    (void)state;
    char s[] = "abcdefgh";
    kmemmove(s + 2, s, 5); /* forward overlap */
    assert_string_equal(s, "ababcdeh");
    char t[] = "abcdefgh";
    kmemmove(t, t + 3, 5); /* backward overlap */
    assert_string_equal(t, "defghfgh");
}

static void test_compare(void **state)
{
    (void)state;
    assert_int_equal(kmemcmp("abc", "abc", 3), 0);
    assert_true(kmemcmp("abc", "abd", 3) < 0);
    assert_true(kmemcmp("\xff", "\x01", 1) > 0); /* bytes compare unsigned */
    assert_int_equal(kstrcmp("koiz", "koiz"), 0);
    assert_true(kstrcmp("koi", "koiz") < 0);
    assert_int_equal(kstrncmp("koiz-a", "koiz-b", 5), 0);
    assert_true(kstrncmp("koiz-a", "koiz-b", 6) < 0);
    assert_int_equal(kstrncmp("a", "a", 10), 0);
}

static void test_lengths_and_search(void **state)
{
    (void)state;
    assert_int_equal(kstrlen(""), 0);
    assert_int_equal(kstrlen("koiz"), 4);
    assert_int_equal(kstrnlen("koiz", 2), 2);
    assert_int_equal(kstrnlen("ko", 10), 2);
    const char *h = "page directory";
    assert_ptr_equal(kstrstr(h, "dir"), h + 5);
    assert_ptr_equal(kstrstr(h, "table"), NULL);
    assert_ptr_equal(kstrstr(h, ""), h);
}

static void test_strlcpy(void **state)
{
    (void)state;
    char buf[5];
    assert_int_equal(kstrlcpy(buf, "koiz os", sizeof buf), 7);
    assert_string_equal(buf, "koiz");
    assert_int_equal(kstrlcpy(buf, "ab", sizeof buf), 2);
    assert_string_equal(buf, "ab");
    buf[0] = 'q';
    assert_int_equal(kstrlcpy(buf, "zz", 0), 2); /* size 0 writes nothing */
    assert_int_equal(buf[0], 'q');
}

static void test_parse_u32(void **state)
{
    (void)state;
    uint32_t v = 99;
    assert_int_equal(kparse_u32("115200", 6, &v), 0);
    assert_int_equal(v, 115200);
    assert_int_equal(kparse_u32("0xC0000000", 10, &v), 0);
    assert_int_equal(v, 0xC0000000u);
    assert_int_equal(kparse_u32("4294967295", 10, &v), 0);
    assert_int_equal(v, 4294967295u);
    v = 7;
    assert_int_equal(kparse_u32("4294967296", 10, &v), -1); /* overflow */
    assert_int_equal(kparse_u32("0x100000000", 11, &v), -1);
    assert_int_equal(kparse_u32("", 0, &v), -1);
    assert_int_equal(kparse_u32("0x", 2, &v), -1);
    assert_int_equal(kparse_u32("12a", 3, &v), -1);
    assert_int_equal(kparse_u32("-1", 2, &v), -1);
    assert_int_equal(v, 7);                         /* untouched on error */
    assert_int_equal(kparse_u32("1234", 2, &v), 0); /* only len bytes */
    assert_int_equal(v, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memset_memcpy), cmocka_unit_test(test_memmove_overlap),
        cmocka_unit_test(test_compare),       cmocka_unit_test(test_lengths_and_search),
        cmocka_unit_test(test_strlcpy),       cmocka_unit_test(test_parse_u32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
