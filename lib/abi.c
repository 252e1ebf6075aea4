/*
 * abi.c: the four functions GCC may call on its own even in freestanding
 * code (for struct copies and large initializers), forwarded to lib's. Part
 * of klib in the kernel flavour only (the kernel and every user program link
 * it from there); host programs have their C library's.
 */
#include <koiz/klib.h>

/* Declared here: no libc header is included in freestanding code. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *dst, int c, size_t n)
{
    return kmemset(dst, c, n);
}
void *memcpy(void *dst, const void *src, size_t n)
{
    return kmemcpy(dst, src, n);
}
void *memmove(void *dst, const void *src, size_t n)
{
    return kmemmove(dst, src, n);
}
int memcmp(const void *a, const void *b, size_t n)
{
    return kmemcmp(a, b, n);
}
