/* oomcow (hostile): out of memory where no error code can be given, only
 * death: a copy-on-write copy. Parent and child share a page; both fill
 * memory (see oomfork) until no frame is left, then the child writes to the
 * shared page, which needs a copy that cannot be made. The child must die
 * of "out of memory", the parent see exactly that in its wait status, and
 * the shared page keep the parent's byte. Exits 0 when all that held. */
#include "ulib.h"

#define HEAP (32u << 20)

/* Maps untouched heap pages through write() until the kernel says E_NOMEM. */
static int fill(unsigned char *heap)
{
    int r = 0;
    for (unsigned char *p = heap; p < heap + HEAP; p += 4096)
        if ((r = write(1, p, 1)) != 1)
            break;
    return r;
}

int main(void)
{
    volatile unsigned char *shared = sbrk(4096);
    unsigned char *heap;
    int child, status = 0, r;

    if ((int)(uintptr_t)shared < 0)
        return 1;
    shared[0] = 1;
    heap = sbrk(HEAP);
    if ((int)(uintptr_t)heap < 0)
        return 2;
    if ((child = fork()) == 0) {
        if (fill(heap) != E_NOMEM)
            exit(3);
        shared[0] = 2; /* needs its own copy: there is no frame for it */
        exit(4);
    }
    if (child < 0)
        return 3;
    r = fill(heap);
    if (wait(&status) != child)
        return 4;
    uprintf("\noomcow: parent's fill ended with %d; child %d ended with status 0x%x\n", r, child, status);
    if (status != (WAIT_KILLED | KILLED_OUT_OF_MEMORY))
        return 5;
    if (shared[0] != 1)
        return 6;
    return 0;
}
