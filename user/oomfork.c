/* oomfork (hostile): fills every free frame without dying, then asks the kernel
 * for more on every path a task can: fork, a write or wait that must map a
 * page. Each must be an error code, never a panic. Then it gives pages back
 * one at a time and forks at each step, so fork meets the shortage at each of
 * its allocations in turn (directory, tables, kernel stack) until it works.
 *
 * Memory fills through write(1, page, 1) on untouched heap pages: the kernel
 * maps each page to read its byte (a NUL, shown as \x00), and answers
 * E_NOMEM once no frame is left. A fork that works with no frame to spare
 * shares every page copy-on-write, and the first write by parent or child
 * needs a copy: one of them may die of "out of memory" there (copy-on-write
 * does not reserve frames), which the test accepts. Exits 0 when every answer
 * was as expected, else the number of the first surprise. */
#include "ulib.h"

#define HEAP (32u << 20)

int main(void)
{
    unsigned char *heap = sbrk(HEAP), *p;
    uint32_t pages = 0;
    int r, status = -1, child = E_NOMEM, back;

    if ((int)(uintptr_t)heap < 0)
        return 1;
    puts_console("oomfork: filling memory\n");
    for (p = heap; p < heap + HEAP; p += 4096, pages++)
        if ((r = write(1, p, 1)) != 1)
            break;
    uprintf("\noomfork: %u pages mapped, then write said %d\n", pages, r);
    if (r != E_NOMEM)
        return 2;
    r = fork();
    if (r == 0)
        exit(0);
    uprintf("oomfork: fork said %d\n", r);
    if (r != E_NOMEM)
        return 3;
    if ((r = wait((int *)(p + 8))) != E_NOMEM) /* its status page would need a frame */
        return 4;
    if ((r = write(1, p + 4096, 16)) != E_NOMEM)
        return 5;
    /* The heap ends where the mapped pages do; then a page back at a time until fork
     * finds everything it needs. */
    if ((int)(uintptr_t)sbrk(-(int32_t)(heap + HEAP - p)) < 0)
        return 6;
    for (back = 1; back <= 64 && child == E_NOMEM; back++) {
        uprintf("oomfork: fork with %d pages given back\n", back);
        if ((int)(uintptr_t)sbrk(-4096) < 0)
            return 7;
        child = fork();
    }
    if (child == 0)
        exit(7);
    if (child < 0)
        return 8; /* another error than E_NOMEM, or never enough */
    r = wait(&status);
    uprintf("oomfork: fork worked with %d pages given back; child %d ended with status 0x%x\n", back - 1, r,
            status);
    if (r != child || (status != 7 && status != (WAIT_KILLED | KILLED_OUT_OF_MEMORY)))
        return 9;
    return 0;
}
