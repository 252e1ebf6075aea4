/* spin (hostile): never ends by itself, and forks two children that never
 * end either. Only the k key or demo_limit=N stops them. */
#include "ulib.h"

int main(void)
{
    fork();
    fork();
    if (getpid() % 2)
        for (;;)
            ;                       /* in ring 3: the timer takes the CPU back */
    for (;;)
        yield();                    /* in and out of the kernel */
}
