/* cowtest: fork with copy-on-write. The parent fills four heap pages, forks;
 * the child sees the parent's bytes, writes its own over two pages and exits
 * 42; the parent waits, and its pages must still hold what it wrote. Exits 0
 * when everything was as it should be, else the number of the first surprise. */
#include "ulib.h"

#define PAGES 4

int main(void)
{
    unsigned char *heap = sbrk(PAGES * 4096);
    int status = -1, child;
    if ((int)(uintptr_t)heap < 0)
        return 1;
    for (int i = 0; i < PAGES * 4096; i++)
        heap[i] = (unsigned char)(i / 4096 + 1);
    child = fork();
    if (child < 0)
        return 2;
    if (child == 0) {
        for (int i = 0; i < PAGES * 4096; i += 512)
            if (heap[i] != (unsigned char)(i / 4096 + 1))
                exit(3); /* the child must start with the parent's bytes */
        for (int i = 0; i < 2 * 4096; i++)
            heap[i] = 0xC5; /* first write to each page: a private copy */
        exit(42);
    }
    if (wait(&status) != child || status != 42)
        return 4;
    for (int i = 0; i < PAGES * 4096; i += 256)
        if (heap[i] != (unsigned char)(i / 4096 + 1))
            return 5; /* the child's writes must not show here */
    if (wait(&status) != E_CHILD)
        return 6;
    uprintf("cowtest: parent %d and child %d kept their own pages\n", getpid(), child);
    return 0;
}
