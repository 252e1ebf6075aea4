/* wild: a wild pointer into the kernel. The write must fault with the user
 * bit set and kill only this task. */
#include "ulib.h"

int main(void)
{
    puts_console("wild: writing to the kernel at 0xC0100000\n");
    *(volatile uint32_t *)0xC0100000u = 0xBAD;
    puts_console("wild: still alive (the kernel let a user write its memory!)\n");
    return 1;
}
