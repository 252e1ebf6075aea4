/*
 * serial.c: COM1 (I/O 0x3F8), 8 data bits, no parity, 1 stop bit. A machine
 * without a UART must still boot, so serial_init first checks that a chip
 * answers in loopback mode and otherwise leaves serial off for good.
 */
#include "console.h"
#include "../x86.h"

#define COM1 0x3F8
enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCRATCH = 7 };
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

static int present;
static uint32_t records;

int serial_init(uint32_t baud)
{
    uint16_t divisor = (uint16_t)(115200 / (baud ? baud : 115200));

    present = 0;
    /* A floating bus reads 0xFF; a scratch register that keeps a value is a first sign of a UART. */
    outb(COM1 + SCRATCH, 0x5A);
    if (inb(COM1 + SCRATCH) != 0x5A)
        return 0;

    outb(COM1 + IER, 0x00); /* no UART interrupts: we poll */
    outb(COM1 + LCR, 0x80); /* DLAB on: next two bytes are the divisor */
    outb(COM1 + DATA, (uint8_t)(divisor & 0xFF));
    outb(COM1 + IER, (uint8_t)(divisor >> 8));
    outb(COM1 + LCR, 0x03); /* 8N1, DLAB off */
    outb(COM1 + FCR, 0xC7); /* FIFOs on and cleared */
    outb(COM1 + MCR, 0x1E); /* loopback, to test the chip */
    outb(COM1 + DATA, 0xAE);
    for (int i = 0; i < 1000 && !(inb(COM1 + LSR) & LSR_DATA_READY); i++)
        io_wait();
    if (inb(COM1 + DATA) != 0xAE)
        return 0;
    outb(COM1 + MCR, 0x0F); /* normal operation: DTR, RTS, OUT1, OUT2 */
    present = 1;
    return 1;
}

int serial_present(void)
{
    return present;
}

void serial_putc(char c)
{
    int spins = 0;
    if (!present)
        return;
    /* Bounded wait: a wedged UART costs a lost byte, never a hung kernel. */
    while (!(inb(COM1 + LSR) & LSR_THR_EMPTY) && spins++ < 100000)
        ;
    outb(COM1 + DATA, (uint8_t)c);
    if (c == '@')
        records++;
}

uint32_t serial_records(void)
{
    return records;
}

int serial_getc_nonblock(void)
{
    if (!present || !(inb(COM1 + LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + DATA);
}
