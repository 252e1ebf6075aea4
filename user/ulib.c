/* ulib.c: console output for user programs, formatted by the kernel's own
 * freestanding formatter (lib/format.c, linked into every program too). */
#include <stdarg.h>
#include <koiz/klib.h>
#include "ulib.h"

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
