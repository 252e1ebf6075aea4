/*
 * string.c: byte and string helpers for a kernel without libc. Plain C with
 * no kernel dependencies, so lib/tests checks them on the host under ASan.
 */
#include <koiz/klib.h>

/* A 32-bit word that may alias anything: lets the loops below move four
 * bytes at a time without breaking C's aliasing rules. Page tables are
 * zeroed and copied a page at a time, so this matters. */
typedef uint32_t __attribute__((may_alias)) word_t;

void *kmemset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    word_t fill = (unsigned char)c * 0x01010101u;

    while (n > 0 && ((uintptr_t)d & 3)) {
        *d++ = (unsigned char)c;
        n--;
    }
    for (; n >= 4; n -= 4, d += 4)
        *(word_t *)d = fill;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *kmemcpy(void *dst, const void *src, size_t n)
{
#if defined(KOIZ_KERNEL) && defined(__i386__)
    /* The kernel copies records into its telemetry queue at any alignment:
     * string moves, four bytes at a time and the rest one at a time,
     * whatever the alignment (x86 allows it; a 486 takes a cycle more). */
    void *d = dst;
    size_t words = n / 4;
    __asm__ volatile("cld; rep movsl; mov %3, %%ecx; rep movsb"
                     : "+D"(d), "+S"(src), "+c"(words)
                     : "r"(n % 4)
                     : "memory");
#else
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0)
        for (; n >= 4; n -= 4, d += 4, s += 4)
            *(word_t *)d = *(const word_t *)s;
    while (n--)
        *d++ = *s++;
#endif
    return dst;
}

void *kmemmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        /* Overlap with dst above src: copy from the end so nothing is read after being overwritten. */
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

int kmemcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t kstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t kstrnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int kstrcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int kstrncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *kstrstr(const char *haystack, const char *needle)
{
    size_t n = kstrlen(needle);
    for (; *haystack; haystack++)
        if (kstrncmp(haystack, needle, n) == 0)
            return (char *)haystack;
    return n == 0 ? (char *)haystack : NULL;
}

size_t kstrlcpy(char *dst, const char *src, size_t size)
{
    size_t len = kstrlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        kmemcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

int kparse_u32(const char *s, size_t len, uint32_t *out)
{
    uint32_t base = 10, value = 0;
    size_t i = 0;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= len)
        return -1;
    for (; i < len; i++) {
        char c = s[i];
        uint32_t digit;
        if (c >= '0' && c <= '9')
            digit = (uint32_t)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = (uint32_t)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = (uint32_t)(c - 'A' + 10);
        else
            return -1;
        if (value > (0xFFFFFFFFu - digit) / base)
            return -1;
        value = value * base + digit;
    }
    *out = value;
    return 0;
}
