/* limits (hostile): sbrk and the stack right at their limits. The heap may
 * grow to exactly USER_HEAP_LIMIT, not a byte more, and shrink, but not
 * below its start; its last page works. The stack's lowest page works; the
 * page below it is the guard, and a child touching it dies of a stack
 * overflow. Exits 0 when every answer was as expected, else the number of
 * the first surprise. */
#include "ulib.h"

int main(void)
{
    unsigned char *base = sbrk(0);
    int status = 0, child;

    if ((int)(uintptr_t)sbrk(USER_HEAP_LIMIT) < 0)
        return 1;
    if ((int)(uintptr_t)sbrk(1) != E_INVAL)
        return 2;
    if (sbrk(0) != base + USER_HEAP_LIMIT)
        return 3;
    base[USER_HEAP_LIMIT - 1] = 0x5A; /* the heap's last byte */
    if (base[USER_HEAP_LIMIT - 1] != 0x5A)
        return 4;
    if ((int)(uintptr_t)sbrk(-(int32_t)USER_HEAP_LIMIT - 1) != E_INVAL)
        return 5;
    if ((int)(uintptr_t)sbrk(-(int32_t)(USER_HEAP_LIMIT - 4096)) < 0 || sbrk(0) != base + 4096)
        return 6;
    if ((int)(uintptr_t)sbrk(-4097) != E_INVAL || sbrk(0) != base + 4096)
        return 7;

    /* The stack: its lowest page, then (in a child) the guard below it. */
    volatile unsigned char *lowest = (volatile unsigned char *)(USER_STACK_TOP - USER_STACK_LIMIT);
    lowest[0] = 1;
    if (lowest[0] != 1)
        return 8;
    if ((child = fork()) == 0) {
        lowest[-1] = 1; /* the guard page */
        exit(0);
    }
    if (child < 0 || wait(&status) != child)
        return 9;
    if (status != (WAIT_KILLED | KILLED_STACK_OVERFLOW))
        return 10;
    puts_console("limits: heap and stack limits hold\n");
    return 0;
}
