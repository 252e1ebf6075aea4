/* bigexec (hostile): a program with 256 KiB of zeroed data (bss), which the
 * kernel loads into fresh frames before the program starts. With too little
 * memory the kernel must refuse to start it, saying so; with enough, it runs
 * and finds every byte zero. Exits 0 then. */
#include "ulib.h"

#define BIG (256u << 10)

static unsigned char big[BIG];

int main(void)
{
    for (uint32_t i = 0; i < BIG; i += 4096)
        if (big[i] != 0 || big[i + 4095] != 0)
            return 1;
    big[BIG - 1] = 1;
    uprintf("bigexec: %u KiB of bss, all zero\n", BIG >> 10);
    return 0;
}
