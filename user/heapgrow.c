/* heapgrow (demo): grows the heap a page at a time and touches each page,
 * slowly, so a page table fills live in koiz-view; then gives it all back. */
#include "ulib.h"

int main(void)
{
    const int pages = 1100;     /* past one table's 1,024 entries */
    unsigned char *start = sbrk(0);
    for (int i = 0; i < pages; i++) {
        unsigned char *p = sbrk(4096);
        if ((int)(uintptr_t)p < 0) {
            uprintf("heapgrow: out of memory after %d pages\n", i);
            break;
        }
        p[0] = (unsigned char)i;    /* first touch: a demand-zero fault maps it */
        if (i % 128 == 0)
            uprintf("heapgrow: %d pages\n", i);
        if (i % 8 == 0)
            sleep_ticks(1);
    }
    uprintf("heapgrow: giving %d pages back\n", pages);
    sbrk(-(int32_t)(sbrk(0) - (void *)start));
    return 0;
}
