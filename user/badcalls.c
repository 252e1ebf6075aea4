/* badcalls: system calls with bad numbers, descriptors and pointers. Each
 * must come back as an error, never crash the kernel or let the task read
 * kernel memory. Exits 0 when every answer was the expected one. */
#include "ulib.h"

static int failures;

static void expect(const char *what, int got, int want)
{
    if (got != want) {
        uprintf("badcalls: %s returned %d, expected %d\n", what, got, want);
        failures++;
    }
}

int main(void)
{
    char ok[] = "badcalls: a good write\n";
    /* wait's status pointer into the kernel: refused before anything is reaped, so the
     * child is still there for the next wait. */
    int child = fork();
    if (child == 0)
        exit(0);
    expect("wait with a kernel pointer", wait((int *)0xC0100000u), E_FAULT);
    expect("wait after a refused wait", wait(0), child);
    expect("syscall 999", syscall3(999, 0, 0, 0), E_NOSYS);
    expect("syscall -1", syscall3(-1, 0, 0, 0), E_NOSYS);
    expect("write to fd 5", write(5, ok, 3), E_BADF);
    expect("write from the kernel", write(1, (const void *)0xC0100000u, 16), E_FAULT);
    expect("write across the top", write(1, (const void *)0xBFFFFFF0u, 64), E_FAULT);
    expect("write wrapping around", write(1, (const void *)0xFFFFFFF0u, 64), E_FAULT);
    expect("write from page 0", write(1, (const void *)0, 4), E_FAULT);
    expect("write from unmapped memory", write(1, (const void *)0x40000000u, 4), E_FAULT);
    expect("write of a huge length", write(1, ok, 0x7FFFFFFF), E_FAULT);
    expect("wait without children", wait(0), E_CHILD);
    expect("sbrk past the heap limit", (int)(uintptr_t)sbrk(0x7FFFFFFF), E_INVAL);
    expect("sbrk below the heap's start", (int)(uintptr_t)sbrk(-0x1000000), E_INVAL);
    expect("munmap unaligned", munmap((void *)0x08048001u, 4096), E_INVAL);
    expect("munmap the kernel", munmap((void *)0xC0000000u, 4096), E_INVAL);
    expect("munmap of length 0", munmap((void *)0x08048000u, 0), E_INVAL);
    expect("sleep for days", sleep_ticks(100000000), E_INVAL);
    expect("a good write", write(1, ok, sizeof ok - 1), (int)(sizeof ok - 1));
    return failures;
}
