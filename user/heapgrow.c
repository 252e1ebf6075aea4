/* heapgrow (demo): grows the heap a page at a time and touches each page,
 * slowly, so a page table fills live in koiz-view; then gives it all back,
 * and the tables the heap used are freed. Exits 0 when every call did what
 * it should, 1 otherwise. */
#include "ulib.h"

int main(void)
{
    const int pages = 1100; /* past one table's 1,024 entries */
    unsigned char *start = sbrk(0), *end;
    int grown = 0;

    if ((int)(uintptr_t)start < 0) {
        uprintf("heapgrow: sbrk(0) failed: %d\n", (int)(uintptr_t)start);
        return 1;
    }
    for (; grown < pages; grown++) {
        unsigned char *p = sbrk(4096);
        if ((int)(uintptr_t)p < 0) {
            uprintf("heapgrow: out of memory after %d pages (sbrk: %d)\n", grown, (int)(uintptr_t)p);
            break;
        }
        if (p != start + grown * 4096) {
            uprintf("heapgrow: sbrk gave %x, expected %x\n", (unsigned)(uintptr_t)p,
                    (unsigned)(uintptr_t)(start + grown * 4096));
            return 1;
        }
        p[0] = (unsigned char)grown; /* first touch: a demand-zero fault maps it */
        if (grown % 128 == 0)
            uprintf("heapgrow: %d pages\n", grown);
        if (grown % 8 == 0)
            sleep_ticks(1);
    }
    for (int i = 0; i < grown; i++)
        if (start[i * 4096] != (unsigned char)i) {
            uprintf("heapgrow: page %d lost its byte\n", i);
            return 1;
        }
    uprintf("heapgrow: giving %d pages back\n", grown);
    end = sbrk(0);
    if (sbrk(-(int32_t)(end - start)) != end || sbrk(0) != start) {
        uprintf("heapgrow: the heap did not shrink back to %x\n", (unsigned)(uintptr_t)start);
        return 1;
    }
    return 0;
}
