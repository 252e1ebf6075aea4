/*
 * ulib.h: what a Koiz user program can call: the system calls and a few
 * helpers built on them. No libc: programs are freestanding.
 */
#ifndef KOIZ_ULIB_H
#define KOIZ_ULIB_H

#include <stddef.h>
#include <stdint.h>
#include <koiz/syscall.h>

static inline int syscall3(int n, uint32_t a, uint32_t b, uint32_t c)
{
    int ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

__attribute__((noreturn)) static inline void exit(int code)
{
    syscall3(SYS_EXIT, (uint32_t)code, 0, 0);
    for (;;)
        ;
}
static inline int write(int fd, const void *buf, size_t len)
{
    return syscall3(SYS_WRITE, (uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len);
}
static inline int getpid(void)
{
    return syscall3(SYS_GETPID, 0, 0, 0);
}
static inline int yield(void)
{
    return syscall3(SYS_YIELD, 0, 0, 0);
}
static inline int sleep_ticks(uint32_t ticks)
{
    return syscall3(SYS_SLEEP, ticks, 0, 0);
}
/* The old end of the heap, or a negative error (check with (int)). */
static inline void *sbrk(int32_t delta)
{
    return (void *)(uintptr_t)syscall3(SYS_SBRK, (uint32_t)delta, 0, 0);
}
static inline int munmap(void *addr, size_t len)
{
    return syscall3(SYS_MUNMAP, (uint32_t)(uintptr_t)addr, len, 0);
}
static inline int fork(void)
{
    return syscall3(SYS_FORK, 0, 0, 0);
}
static inline int wait(int *status)
{
    return syscall3(SYS_WAIT, (uint32_t)(uintptr_t)status, 0, 0);
}

/* The C library's names for the freestanding helpers (lib/string.c), for programs
 * written against them and for the calls the compiler itself may emit. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Writes a NUL-terminated string to the console. */
int puts_console(const char *s);
/* printf-style output to the console (%d %u %x %s %c). */
int uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
