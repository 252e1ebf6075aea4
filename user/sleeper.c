/* sleeper: sleeps half a second, yields once, and exits 0. */
#include "ulib.h"

int main(void)
{
    if (sleep_ticks(50) != 0 || yield() != 0)
        return 1;
    if (sleep_ticks(100000000) != E_INVAL)
        return 2;
    puts_console("sleeper: awake\n");
    return 0;
}
