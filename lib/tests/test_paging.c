/*
 * test_paging.c: the paging header's helpers and the one function that
 * says a page-fault error code in words (include/koiz/paging.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <koiz/paging.h>

static void test_error_words(void **state)
{
    char buf[64];
    (void)state;
    assert_string_equal(pf_error_words(PFERR_W, buf, sizeof buf), "not-present write supervisor");
    assert_string_equal(pf_error_words(PFERR_U, buf, sizeof buf), "not-present read user");
    assert_string_equal(pf_error_words(PFERR_P | PFERR_U | PFERR_I | PFERR_RSVD, buf, sizeof buf),
                        "protection-violation instruction-fetch user reserved-bit");
    assert_string_equal(pf_error_words(PFERR_P | PFERR_W | PFERR_U, buf, sizeof buf),
                        "protection-violation write user");
    pf_error_words(PFERR_P | PFERR_U | PFERR_I | PFERR_RSVD, buf, 12); /* cut, terminated */
    assert_int_equal(buf[11], '\0');
}

static void test_indices(void **state)
{
    (void)state;
    assert_int_equal(PDX(0xC0100000u), 768);
    assert_int_equal(PTX(0xC0100000u), 256);
    assert_int_equal(page_va(768, 256), 0xC0100000u);
    assert_int_equal(KERNEL_PDE_FIRST, 768);
    assert_int_equal(frame_of(0x12345067u), 0x12345000u);
    assert_int_equal(large_frame_of(0x12345083u), 0x12000000u);
    assert_true(pde_large(PTE_P | PDE_PS));
    assert_false(pde_large(PDE_PS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_words),
        cmocka_unit_test(test_indices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
