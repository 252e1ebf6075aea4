/* rowrite: writes to its own code, which is mapped read-only: killed with a
 * protection fault from user mode. */
#include "ulib.h"

int main(void)
{
    *(volatile uint8_t *)(uintptr_t)main = 0xC3;
    puts_console("rowrite: wrote to read-only code (must not happen)\n");
    return 1;
}
