/* peek: reads kernel memory; must be killed like wild. */
#include "ulib.h"

int main(void)
{
    uint32_t v = *(volatile uint32_t *)0xC0100000u;
    uprintf("peek: read 0x%x from the kernel (must not happen)\n", v);
    return 1;
}
