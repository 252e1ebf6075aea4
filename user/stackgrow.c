/* stackgrow (demo): recursion with 2 KiB frames, slowly, until the stack
 * reaches its guard page: the kernel reports a stack overflow and ends the task. */
#include "ulib.h"

/* Ends only by reaching the guard page; the limit is there so the compiler
 * (and a reader) can see the recursion is bounded in principle. */
static int depth(int n)
{
    volatile char frame[2048];
    frame[0] = (char)n;
    frame[2047] = (char)n;
    if (n % 16 == 0)
        uprintf("stackgrow: depth %d, %d KiB of stack\n", n, n * 2);
    if (n % 4 == 0)
        sleep_ticks(8); /* two pages at a time, slow enough to watch the stack grow */
    if (n > 100000)
        return 0;
    return depth(n + 1) + frame[0];
}

int main(void)
{
    return depth(1);
}
