/* spin (hostile): three tasks that never end by themselves; only the k key or
 * demo_limit=N stops them. One of them sits in a task slot below its
 * parent's (the slot of a child that ended first), so stopping them all
 * meets a child before its parent and a parent before its child. */
#include "ulib.h"

int main(void)
{
    int first = fork();
    if (first == 0)
        exit(0); /* its slot, below the next child's, is freed when reaped */
    int second = fork();
    if (second == 0) {
        sleep_ticks(5); /* by now the parent reaped the first */
        fork();         /* so this child takes a slot below its parent's */
    } else {
        wait(0);
    }
    if (getpid() % 2)
        for (;;)
            ; /* in ring 3: the timer takes the CPU back */
    for (;;)
        yield(); /* in and out of the kernel */
}
