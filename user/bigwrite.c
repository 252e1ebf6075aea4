/* bigwrite (hostile): write() must move every byte it says it did. Writes
 * 1,100 bytes of every byte value (so the kernel's escaping is crossed
 * too), then 65,536 bytes of printable text in lines of 1,024 (with '@' and
 * '\\' among them), in one call each, between marker lines the test finds on
 * port 0xE9 and checks byte by byte (tests/boot_tests.py, hostile_suite).
 * Then: a write running into an unmapped page writes up to it;
 * write(1, NULL, 0) and write(1, buf, 0) are 0. Exits 0 when every count was
 * right, else the number of the first wrong one. */
#include "ulib.h"

/* The two patterns; tests/boot_tests.py makes the same bytes. */
#define ANY_BYTE(i) ((unsigned char)((i)*7 + (i) / 256))
#define TEXT(i)     ((i) % 1024 == 1023 ? '\n' : (unsigned char)(0x20 + ((i)*7 + (i) / 1024) % 95))

static unsigned char buf[65536];

int main(void)
{
    for (uint32_t i = 0; i < 1100; i++)
        buf[i] = ANY_BYTE(i);
    puts_console("\nbigwrite: 1100 bytes follow\n");
    if (write(1, buf, 1100) != 1100)
        return 1;
    for (uint32_t i = 0; i < sizeof buf; i++)
        buf[i] = TEXT(i);
    puts_console("\nbigwrite: 65536 bytes follow\n");
    if (write(1, buf, 65536) != 65536)
        return 2;
    puts_console("\nbigwrite: end of the checked bytes\n");
    if (write(1, 0, 0) != 0 || write(1, buf, 0) != 0 || write(1, (void *)0xC0000000u, 0) != 0)
        return 3;
    if (write(5, 0, 0) != E_BADF)
        return 4;
    /* Up to the end of the heap: the first page after it is not mapped. */
    unsigned char *heap = sbrk(4096);
    if ((int)(uintptr_t)heap < 0)
        return 5;
    heap[0] = '\n';
    for (int i = 1; i < 4096; i++)
        heap[i] = 'h';
    if (write(1, heap + 4096 - 300, 600) != 300)
        return 6;
    puts_console("\nbigwrite: done\n");
    return 0;
}
