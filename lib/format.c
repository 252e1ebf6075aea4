/*
 * format.c: printf-style formatting for the kernel. One engine, kvformat,
 * feeds characters to a callback, so kprintf (screen, serial, debug port)
 * and ksnprintf (a buffer) share it. 64-bit values are supported because
 * physical addresses in the memory map are 64-bit.
 */
#include <stdbool.h>
#include <koiz/klib.h>

struct spec {
    bool left; /* '-': pad on the right */
    bool zero; /* '0': pad numbers with zeros */
    int width;
    int precision; /* -1: none */
};

static int emit_pad(kemit_fn emit, void *ctx, char c, int n)
{
    int i;
    for (i = 0; i < n; i++)
        emit(ctx, c);
    return n > 0 ? n : 0;
}

static int emit_str(kemit_fn emit, void *ctx, const char *s, const struct spec *sp)
{
    int len, count = 0, i;
    if (!s)
        s = "(null)";
    len = (int)kstrnlen(s, sp->precision >= 0 ? (size_t)sp->precision : (size_t)-1);
    if (!sp->left)
        count += emit_pad(emit, ctx, ' ', sp->width - len);
    for (i = 0; i < len; i++)
        emit(ctx, s[i]);
    count += len;
    if (sp->left)
        count += emit_pad(emit, ctx, ' ', sp->width - len);
    return count;
}

static int emit_num(kemit_fn emit, void *ctx, unsigned long long v, bool negative, unsigned base, bool upper,
                    const char *prefix, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24]; /* 2^64 has 20 decimal digits */
    int n = 0, count = 0, i, body, plen = (int)kstrlen(prefix);

    /* 64-bit division is a libgcc call on a 32-bit CPU, and telemetry formats
     * numbers all the time: use shifts for hex and 32-bit division when the value fits. */
    if (base == 16) {
        do {
            buf[n++] = digits[v & 15];
            v >>= 4;
        } while (v);
    } else if (v <= 0xFFFFFFFFu) {
        uint32_t w = (uint32_t)v;
        do {
            buf[n++] = digits[w % base];
            w /= base;
        } while (w);
    } else {
        do {
            buf[n++] = digits[v % base];
            v /= base;
        } while (v);
    }
    body = n + (negative ? 1 : 0) + plen;

    if (!sp->left && !sp->zero)
        count += emit_pad(emit, ctx, ' ', sp->width - body);
    if (negative)
        emit(ctx, '-'), count++;
    for (i = 0; i < plen; i++)
        emit(ctx, prefix[i]), count++;
    if (!sp->left && sp->zero)
        count += emit_pad(emit, ctx, '0', sp->width - body);
    while (n)
        emit(ctx, buf[--n]), count++;
    if (sp->left)
        count += emit_pad(emit, ctx, ' ', sp->width - body);
    return count;
}

int kvformat(kemit_fn emit, void *ctx, const char *fmt, va_list ap)
{
    int count = 0;

    for (; *fmt; fmt++) {
        struct spec sp = {false, false, 0, -1};
        int longs = 0;
        bool size = false;

        if (*fmt != '%') {
            emit(ctx, *fmt);
            count++;
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = true;
            else if (*fmt == '0')
                sp.zero = true;
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            sp.width = sp.width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                sp.precision = sp.precision * 10 + (*fmt++ - '0');
        }
        for (; *fmt == 'l'; fmt++)
            longs++;
        if (*fmt == 'z') {
            size = true;
            fmt++;
        }

        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v;
            if (longs >= 2)
                v = va_arg(ap, long long);
            else if (longs == 1)
                v = va_arg(ap, long);
            else if (size)
                v = (long long)va_arg(ap, size_t);
            else
                v = va_arg(ap, int);
            /* Negate in unsigned arithmetic: -LLONG_MIN does not fit in long long. */
            count += emit_num(emit, ctx, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0,
                              10, false, "", &sp);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            unsigned long long v;
            if (longs >= 2)
                v = va_arg(ap, unsigned long long);
            else if (longs == 1)
                v = va_arg(ap, unsigned long);
            else if (size)
                v = va_arg(ap, size_t);
            else
                v = va_arg(ap, unsigned int);
            count += emit_num(emit, ctx, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', "", &sp);
            break;
        }
        case 'p':
            count += emit_num(emit, ctx, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x", &sp);
            break;
        case 's': count += emit_str(emit, ctx, va_arg(ap, const char *), &sp); break;
        case 'c': {
            char c[2] = {(char)va_arg(ap, int), '\0'};
            struct spec one = sp;
            one.precision = 1;
            /* A NUL character still counts as one printed character. */
            if (c[0] == '\0') {
                if (!sp.left)
                    count += emit_pad(emit, ctx, ' ', sp.width - 1);
                emit(ctx, '\0');
                count++;
                if (sp.left)
                    count += emit_pad(emit, ctx, ' ', sp.width - 1);
            } else {
                count += emit_str(emit, ctx, c, &one);
            }
            break;
        }
        case '%':
            emit(ctx, '%');
            count++;
            break;
        case '\0':
            /* A lone '%' at the end: print it rather than read past the string. */
            emit(ctx, '%');
            return count + 1;
        default:
            /* Unknown conversion: show it as written so the mistake is visible. */
            emit(ctx, '%');
            emit(ctx, *fmt);
            count += 2;
            break;
        }
    }
    return count;
}

struct bufctx {
    char *buf;
    size_t size;
    size_t used;
};

static void emit_buf(void *ctx, char c)
{
    struct bufctx *b = ctx;
    if (b->used + 1 < b->size)
        b->buf[b->used] = c;
    b->used++;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct bufctx b = {buf, size, 0};
    int n = kvformat(emit_buf, &b, fmt, ap);
    if (size)
        buf[b.used < size ? b.used : size - 1] = '\0';
    return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
