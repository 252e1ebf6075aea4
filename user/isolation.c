/* isolation: two of these run at once. Each writes its pid all over its own
 * heap page at the same virtual address, sleeps while the other does the
 * same, and checks its page still holds only its pid. Exits 0 when it did. */
#include "ulib.h"

int main(void)
{
    volatile uint32_t *page = sbrk(4096);
    uint32_t me = (uint32_t)getpid();
    if ((int)(uintptr_t)page < 0)
        return 1;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 1024; i++)
            page[i] = me;
        sleep_ticks(3);
        for (int i = 0; i < 1024; i++)
            if (page[i] != me)
                return 2;
    }
    uprintf("isolation %u: my page at %x stayed mine\n", me, (unsigned)(uintptr_t)page);
    return 0;
}
