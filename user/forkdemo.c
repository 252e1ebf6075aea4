/* forkdemo (demo): a parent with 64 heap pages forks two children; every
 * frame is shared until the children write, half of them a page at a time,
 * so the frames split live in koiz-view. */
#include "ulib.h"

#define PAGES 64

int main(void)
{
    unsigned char *heap = sbrk(PAGES * 4096);
    if ((int)(uintptr_t)heap < 0)
        return 1;
    for (int i = 0; i < PAGES; i++)
        heap[i * 4096] = 1;
    for (int c = 0; c < 2; c++) {
        int pid = fork();
        if (pid == 0) {
            sleep_ticks(50);
            for (int i = c; i < PAGES; i += 2) {
                heap[i * 4096] = (unsigned char)(10 + c); /* copy-on-write: this page splits */
                sleep_ticks(4);
            }
            sleep_ticks(100);
            exit(0);
        }
        uprintf("forkdemo: child %d shares all %d pages\n", pid, PAGES);
    }
    while (wait(0) > 0)
        ;
    uprintf("forkdemo: done\n");
    return 0;
}
