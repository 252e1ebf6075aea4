/* churn (demo and stress): several tasks at once, each forking short-lived
 * children and growing, touching and shrinking its heap and unmapping pages
 * in loops. The number of operations comes from the first argument-less
 * convention: OPS per worker. */
#include "ulib.h"

#ifndef OPS
#define OPS 1250
#endif
#define WORKERS 8

static uint32_t rng;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static int work(void)
{
    unsigned char *base = sbrk(0);
    uint32_t pages = 0;
    rng = (uint32_t)getpid() * 2654435761u;
    for (int op = 0; op < OPS; op++) {
        switch (rnd(5)) {
        case 0: /* grow and touch */
            if (pages < 256 && (int)(uintptr_t)sbrk(4096 * 4) >= 0) {
                for (int i = 0; i < 4; i++)
                    base[(pages + (uint32_t)i) * 4096] = (unsigned char)op;
                pages += 4;
            }
            break;
        case 1: /* shrink */
            if (pages >= 4) {
                sbrk(-4096 * 4);
                pages -= 4;
            }
            break;
        case 2: /* unmap a page in the middle: it comes back zeroed when touched */
            if (pages > 0)
                munmap(base + rnd(pages) * 4096, 4096);
            break;
        case 3: /* touch */
            if (pages > 0)
                base[rnd(pages) * 4096 + rnd(4096)] ^= 1;
            break;
        case 4: { /* fork a child that writes a little and exits; reap it */
            int pid = fork();
            if (pid == 0) {
                if (pages > 0)
                    base[0] = 7;
                exit(0);
            }
            if (pid > 0)
                wait(0);
            break;
        }
        }
    }
    return 0;
}

int main(void)
{
    int status, failures = 0;
    for (int w = 0; w < WORKERS; w++)
        if (fork() == 0)
            exit(work());
    for (int w = 0; w < WORKERS; w++)
        if (wait(&status) < 0 || status != 0)
            failures++;
    uprintf("churn: %d workers x %d operations, %d failed\n", WORKERS, OPS, failures);
    return failures;
}
