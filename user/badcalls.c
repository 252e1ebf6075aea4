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
    expect("syscall 999", syscall3(999, 0, 0, 0), E_NOSYS);
    expect("syscall -1", syscall3(-1, 0, 0, 0), E_NOSYS);
    expect("write to fd 5", write(5, ok, 3), E_BADF);
    expect("write from the kernel", write(1, (const void *)0xC0100000u, 16), E_FAULT);
    expect("write across the top", write(1, (const void *)0xBFFFFFF0u, 64), E_FAULT);
    expect("write wrapping around", write(1, (const void *)0xFFFFFFF0u, 64), E_FAULT);
    expect("write from page 0", write(1, (const void *)0, 4), E_FAULT);
    expect("write from unmapped memory", write(1, (const void *)0x40000000u, 4), E_FAULT);
    expect("write of a huge length", write(1, ok, 0x7FFFFFFF), E_FAULT);
    expect("a good write", write(1, ok, sizeof ok - 1), (int)(sizeof ok - 1));
    return failures;
}
