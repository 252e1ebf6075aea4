/* hello: the first ring-3 program: a line on the console, its pid, exit 7. */
#include "ulib.h"

int main(void)
{
    uprintf("hello from ring 3, pid %d\n", getpid());
    return 7;
}
