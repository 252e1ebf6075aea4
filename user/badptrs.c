/* badptrs (hostile): every system call that takes a pointer, given every
 * kind of bad one; every system call number from -5 to 300 that does not
 * exist. Each must be an error code (E_FAULT, E_INVAL, E_NOSYS), never a
 * crash, never a kernel byte shown, and a refused wait must reap nothing.
 * Exits with the number of answers that were not the expected one. */
#include "ulib.h"

static int failures;

static void expect(const char *what, uint32_t arg, int got, int want)
{
    if (got != want) {
        uprintf("badptrs: %s 0x%x returned %d, expected %d\n", what, arg, got, want);
        failures++;
    }
}

int main(void)
{
    unsigned char *heap = sbrk(4096), *heap_end = heap + 4096;
    uint32_t guard = USER_STACK_TOP - USER_STACK_LIMIT - 4096;
    /* Places a pointer must not point to, each with 16 bytes to read or 4 to write. */
    const uint32_t bad[] = {
        0,           0x10,         0xFFC,                    /* null and page 0 */
        0x40000000u,                                         /* user, but nothing there */
        guard,       guard + 4092,                           /* the stack's guard page */
        0xBFFFFFFEu,                                         /* straddling into the kernel */
        0xC0000000u, 0xC0100000u,  0xF0000000u, 0xFFC00000u, /* kernel: map, code, heap, window */
        0xFFFFFFFCu,                                         /* wrapping around */
    };
    int n = (int)(sizeof bad / sizeof bad[0]), child, r;

    if ((int)(uintptr_t)heap < 0)
        return 100;
    heap[0] = 1;
    child = fork();
    if (child == 0)
        exit(9);
    for (int i = 0; i < n; i++) {
        expect("write from", bad[i], write(1, (const void *)(uintptr_t)bad[i], 16), E_FAULT);
        if (bad[i]) /* wait(NULL) is allowed: it only stores nothing */
            expect("wait into", bad[i], wait((int *)(uintptr_t)bad[i]), E_FAULT);
    }
    /* Straddling the heap's end: write() writes the bytes before it (and says how
     * many); wait() cannot store its 4 bytes, so it stores none. */
    expect("write across the heap's end", 0, write(1, heap_end - 2, 16), 2);
    expect("wait across the heap's end", 0, wait((int *)(heap_end - 2)), E_FAULT);
    /* Read-only memory: fine to write() from, not to wait() into. */
    expect("write from code", USER_TEXT_BASE, write(1, (const void *)USER_TEXT_BASE, 0), 0);
    expect("wait into code", USER_TEXT_BASE, wait((int *)USER_TEXT_BASE), E_FAULT);
    /* Lengths: past the end of user space, wrapping; or long, into unmapped pages. */
    expect("write of 0x7fffffff from", (uint32_t)(uintptr_t)heap, write(1, heap + 4000, 0x7FFFFFFF), 96);
    expect("write of 0xffffffff from", (uint32_t)(uintptr_t)heap, write(1, heap, 0xFFFFFFFFu), E_FAULT);
    /* Nothing was reaped by all that: the child is still there, exactly once. */
    int status = -1;
    expect("wait after refusals", 0, r = wait(&status), child);
    expect("its status", 0, status, 9);
    expect("wait again", 0, wait(0), E_CHILD);
    /* munmap's range checks. */
    expect("munmap", 0, munmap(0, 4096), E_INVAL);
    expect("munmap", 0xC0000000u, munmap((void *)0xC0000000u, 4096), E_INVAL);
    expect("munmap", 0xBFFFF000u, munmap((void *)0xBFFFF000u, 0x2000), E_INVAL);
    expect("munmap", 0xFFFFF000u, munmap((void *)0xFFFFF000u, 0x2000), E_INVAL);
    expect("munmap", USER_TEXT_BASE + 1, munmap((void *)(USER_TEXT_BASE + 1), 4096), E_INVAL);
    expect("munmap of nothing", 0x40000000u, munmap((void *)0x40000000u, 4096), 0);
    expect("sleep", 0xFFFFFFFFu, sleep_ticks(0xFFFFFFFFu), E_INVAL);
    expect("sbrk", 0x80000000u, (int)(uintptr_t)sbrk((int32_t)0x80000000u), E_INVAL);
    /* Numbers that are no system call. */
    for (int nr = -5; nr <= 300; nr++)
        if (nr < 1 || nr >= SYS_COUNT)
            expect("system call", (uint32_t)nr, syscall3(nr, 0xC0100000u, 0xC0100000u, 0xFFFFFFFFu), E_NOSYS);
    expect("getpid with junk arguments", 0, syscall3(SYS_GETPID, 0xFFFFFFFFu, 0xC0000000u, 1) > 0, 1);
    uprintf("badptrs: %d unexpected answers\n", failures);
    return failures;
}
