/*
 * escape.c: the one rule for console text on the kernel's outputs (klib.h,
 * docs/protocol.md). A telemetry record starts with '@'; console text, the
 * kernel's own and every task's, must never hold that byte, nor bytes that
 * drive a terminal. Such bytes go out as \xNN, and so does '\' itself, so a
 * reader can undo the escapes exactly.
 */
#include <koiz/klib.h>

int text_escaped(unsigned char c)
{
    if (c == '\n' || c == '\t')
        return 0;
    return c < 0x20 || c > 0x7E || c == '@' || c == '\\';
}

size_t text_escape(char *out, const char *in, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!text_escaped(c)) {
            out[o++] = (char)c;
            continue;
        }
        out[o++] = '\\';
        out[o++] = 'x';
        out[o++] = hex[c >> 4];
        out[o++] = hex[c & 15];
    }
    return o;
}
