/* counter: counts to three, spinning between lines, so that two of them
 * running at once show the timer taking turns between them. */
#include "ulib.h"

int main(void)
{
    for (int i = 1; i <= 3; i++) {
        for (volatile uint32_t spin = 0; spin < 3000000; spin++)
            ;
        uprintf("counter %d: %d\n", getpid(), i);
    }
    return getpid();
}
