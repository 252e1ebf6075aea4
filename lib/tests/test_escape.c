/* test_escape.c: console text escaping (lib/escape.c): no escaped text can hold
 * '@' (the start of every record) or a byte that drives a terminal, and the
 * escapes undo exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <koiz/klib.h>

/* The reader's side, as docs/protocol.md describes it: \xNN back to the byte. */
static size_t unescape(char *out, const char *in, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (in[i] == '\\' && i + 3 < n && in[i + 1] == 'x' && sscanf(in + i + 2, "%2x", &v) == 1) {
            out[o++] = (char)v;
            i += 3;
        } else {
            out[o++] = in[i];
        }
    }
    return o;
}

static void test_every_byte_round_trips(void **state)
{
    (void)state;
    char in[256 * 3], out[sizeof in * TEXT_ESCAPE_MAX], back[sizeof in];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (char)(i * 7 + i / 256);
    size_t n = text_escape(out, in, sizeof in);
    assert_true(n <= sizeof out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        assert_true(c == '\n' || c == '\t' || (c >= 0x20 && c <= 0x7E));
        assert_true(c != '@');
    }
    assert_int_equal(unescape(back, out, n), sizeof in);
    assert_memory_equal(back, in, sizeof in);
}

static void test_what_is_escaped(void **state)
{
    (void)state;
    char out[64];
    size_t n = text_escape(out, "a@b\\c\x1b[2J\r\n\t\xe9~", 14);
    out[n] = '\0';
    assert_string_equal(out, "a\\x40b\\x5cc\\x1b[2J\\x0d\n\t\\xe9~");
    assert_int_equal(text_escaped('@'), 1);
    assert_int_equal(text_escaped('a'), 0);
    assert_int_equal(text_escaped(0x7F), 1);
    assert_int_equal(text_escape(out, "", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte_round_trips),
        cmocka_unit_test(test_what_is_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
