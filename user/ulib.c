/* ulib.c: what user programs link besides the system calls: console output,
 * formatted by the kernel's own freestanding formatter (lib/format.c, linked into
 * every program too), and the C library's names for lib's string helpers (memset
 * and its kin come with klib: lib/abi.c). */
#include <stdarg.h>
#include <koiz/klib.h>
#include "ulib.h"

size_t strlen(const char *s)
{
    return kstrlen(s);
}
int strcmp(const char *a, const char *b)
{
    return kstrcmp(a, b);
}

int puts_console(const char *s)
{
    return write(1, s, kstrlen(s));
}

int uprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = kvsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return write(1, buf, kstrlen(buf)) < 0 ? -1 : n;
}
