/* staletlb (teaching, docs/sanitizer.md): gives a heap page back, then reads it again. A correct
 * kernel drops the page's TLB entry when it unmaps it, so the read faults and the task dies (a bad
 * memory access, as this program intends). With bug=skip-invlpg the CPU still holds the old
 * translation: the read returns what the page held, from a frame the kernel already gave back. */
#include "ulib.h"

int main(void)
{
    volatile uint32_t *page = sbrk(4096);
    if ((int)(uintptr_t)page < 0)
        return 2;
    *page = 0x5afe5afe; /* the first touch maps it; the TLB now holds its translation */
    uint32_t before = *page;
    sbrk(-4096); /* given back: the kernel unmaps it */
    uprintf("staletlb: page %x given back, reading it again\n", (unsigned)(uintptr_t)page);
    uint32_t after = *page;
    uprintf("staletlb: read %x (it held %x) from a page that is gone: a stale TLB entry\n", after, before);
    return 1;
}
