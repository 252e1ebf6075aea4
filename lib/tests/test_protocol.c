/* test_protocol.c: building and validating telemetry records (lib/protocol.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <koiz/protocol.h>

static void test_crc_reference(void **state)
{
    (void)state;
    /* CRC-16/CCITT-FALSE's published check value. */
    assert_int_equal(proto_crc16("123456789", 9), 0x29B1);
    assert_int_equal(proto_crc16("", 0), 0xFFFF);
}

/* The CRC a bit at a time, as the standard defines it. */
static uint16_t crc_by_bits(uint16_t crc, const unsigned char *p, size_t len)
{
    for (; len; len--, p++) {
        crc ^= (uint16_t)(*p << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

/* The sliced CRC (eight bytes, then four, then one at a time) against the
 * bitwise one for every length up to 80 and every split of it into two calls. */
static void test_crc_in_slices_agrees_with_the_bitwise_crc(void **state)
{
    unsigned char data[80];
    uint32_t seed = 12345;
    (void)state;
    for (size_t i = 0; i < sizeof data; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (unsigned char)(seed >> 16);
    }
    for (size_t len = 0; len <= sizeof data; len++) {
        uint16_t want = crc_by_bits(0xFFFF, data, len);
        assert_int_equal(proto_crc16((const char *)data, len), want);
        for (size_t cut = 0; cut <= len; cut++)
            assert_int_equal(
                proto_crc16_more(proto_crc16((const char *)data, cut), (const char *)data + cut, len - cut),
                want);
    }
}

static void test_format_then_validate(void **state)
{
    (void)state;
    char line[PROTO_LINE_MAX + 1];
    size_t n = proto_format(line, sizeof line, "test", "%s pass", "kprintf_format");
    assert_int_equal(n, strlen(line));
    assert_int_equal(line[n - 1], '\n');
    assert_int_equal(strncmp(line, "@KZ1 test kprintf_format pass *", 31), 0);
    assert_int_equal(proto_validate(line, n), (int)strlen("KZ1 test kprintf_format pass"));
}

static void test_known_line(void **state)
{
    (void)state;
    /* A line as the kernel printed it in QEMU: the checksum is part of the format. */
    const char *l = "@KZ1 tests 10 0 *351C";
    assert_true(proto_validate(l, strlen(l)) > 0);
}

static void test_rejects_noise(void **state)
{
    (void)state;
    char line[PROTO_LINE_MAX + 1];
    size_t n = proto_format(line, sizeof line, "mem", "%d %d", 32255, 6);
    const char *bad[] = {
        "",
        "@",
        "@KZ1",
        "hello",
        "00000000000i[      ] reading configuration",
        "@KZ2 mem 32255 6 *0000",
        "@KZ1 mem 32255 6 *zzzz",
        "@KZ1 mem 32255 6 *12",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(proto_validate(bad[i], strlen(bad[i])), -1);
    for (size_t i = 1; i < n - 1; i++) { /* every single-byte corruption is caught */
        char copy[sizeof line];
        memcpy(copy, line, n);
        copy[i] ^= 0x01;
        assert_int_equal(proto_validate(copy, n), -1);
    }
    char lower[sizeof line];
    memcpy(lower, line, n);
    for (size_t i = n - 5; i < n - 1; i++)
        if (lower[i] >= 'A' && lower[i] <= 'F')
            lower[i] = (char)(lower[i] + 32);
    if (memcmp(lower, line, n) != 0)
        assert_int_equal(proto_validate(lower, n), -1);
}

static void test_fields_cannot_break_lines(void **state)
{
    (void)state;
    char line[PROTO_LINE_MAX + 1];
    size_t n = proto_format(line, sizeof line, "warn", "%s", "two\nlines * and a star");
    assert_null(memchr(line, '\n', n - 1));
    assert_true(proto_validate(line, n) > 0);
    /* A record inside a field (a task's text in a log record) cannot start a second one. */
    n = proto_format(line, sizeof line, "log", "%u %s", 5u, "@KZ1 tests 99 0 *1234");
    assert_ptr_equal(memchr(line, '@', n), line);
    assert_null(memchr(line + 1, '@', n - 1));
    assert_true(proto_validate(line, n) > 0);
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = proto_format(line, sizeof line, "warn", "%s", big);
    assert_true(n <= PROTO_LINE_MAX);
    assert_true(proto_validate(line, n) > 0);
    assert_int_equal(proto_format(line, 10, "x", "y"), 0); /* too small: empty, no overflow */
    assert_string_equal(line, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_reference),
        cmocka_unit_test(test_crc_in_slices_agrees_with_the_bitwise_crc),
        cmocka_unit_test(test_format_then_validate),
        cmocka_unit_test(test_known_line),
        cmocka_unit_test(test_rejects_noise),
        cmocka_unit_test(test_fields_cannot_break_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
