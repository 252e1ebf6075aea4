/* exitcodes (hostile): how a child ended, as wait() tells it, can never be
 * mistaken: exit(0), exit(-1), exit(256 + 5), a wild pointer, an invalid
 * opcode, an int3 and a divide by zero each give their own status, and an
 * exit never looks like a kill. Exits 0 when every status was the one
 * include/koiz/syscall.h promises, else the number of the first that was not. */
#include "ulib.h"

static int run(int how)
{
    int status = -1, child = fork();
    volatile int zero = 0;
    if (child == 0) {
        switch (how) {
        case 0: exit(0);
        case 1: exit(-1);
        case 2: exit(256 + 5);
        case 3: *(volatile int *)0xC0100000u = 1; break;
        case 4: __asm__ volatile(".byte 0xf0, 0x90"); break; /* lock nop: invalid opcode */
        case 5: __asm__ volatile("int3"); break;
        case 6: exit(10 / zero);
        }
        exit(100);
    }
    if (child < 0 || wait(&status) != child)
        return -1;
    return status;
}

int main(void)
{
    static const int want[] = {
        0,
        255,
        5,
        WAIT_KILLED | 14, /* page fault: a bad access */
        WAIT_KILLED | 6,  /* invalid opcode */
        WAIT_KILLED | 3,  /* breakpoint */
        WAIT_KILLED | 0,  /* divide error */
    };
    for (int i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
        int got = run(i);
        if (got != want[i]) {
            uprintf("exitcodes: case %d: status 0x%x, expected 0x%x\n", i, got, want[i]);
            return i + 1;
        }
        if (WAIT_EXITED(got) != (i < 3))
            return 20 + i;
    }
    puts_console("exitcodes: every way of ending told apart\n");
    return 0;
}
