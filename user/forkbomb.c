/* forkbomb (hostile): every task forks as fast as it can until fork says no
 * (E_AGAIN: no task slot; E_NOMEM: no frame), then waits for its children
 * and exits. Zombies pile up while their parents are busy forking. The
 * kernel must stay up and hand everything back. Exits 0 when every fork
 * error was one of those two and no wait failed otherwise. */
#include "ulib.h"

int main(void)
{
    int made = 0, depth = 0, bad = 0, r;
    for (;;) {
        r = fork();
        if (r == 0) { /* a child forks on, a level deeper */
            made = 0;
            if (++depth == 6)
                exit(0);
            continue;
        }
        if (r < 0) {
            if (r != E_AGAIN && r != E_NOMEM)
                bad++;
            break;
        }
        made++;
    }
    for (int i = 0; i < made; i++) {
        int status;
        r = wait(&status);
        if (r < 0 || !WAIT_EXITED(status))
            bad++;
        else if (WAIT_EXIT_CODE(status) != 0)
            bad += WAIT_EXIT_CODE(status);
    }
    if (wait(0) != E_CHILD)
        bad++;
    if (depth == 0)
        uprintf("forkbomb: the first task forked %d children; %d surprises\n", made, bad);
    return bad;
}
