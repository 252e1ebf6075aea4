/* oomstack (hostile): fills memory (see oomfork), then recurses: a new stack
 * page is allowed but no frame is left for it, so the task must be killed
 * "out of memory" (not a stack overflow, not a bad access). Never exits by
 * itself: exit 1 means the kernel found a frame after all. */
#include "ulib.h"

#define HEAP (32u << 20)

static int grow(int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    return n > 200 ? 0 : grow(n + 1) + frame[0];
}

int main(void)
{
    unsigned char *heap = sbrk(HEAP);
    int r = 0;
    if ((int)(uintptr_t)heap < 0)
        return 2;
    for (unsigned char *p = heap; p < heap + HEAP; p += 4096)
        if ((r = write(1, p, 1)) != 1)
            break;
    uprintf("\noomstack: memory full (write said %d); growing the stack\n", r);
    grow(0);
    return 1;
}
