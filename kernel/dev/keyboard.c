/*
 * keyboard.c: the PS/2 keyboard behind the i8042 controller, and COM1's
 * bytes as keys too. Koiz only needs single keys (s: snapshot now), so the
 * IRQ handler turns make codes of scan-code set 1 into ASCII and queues
 * them; everything else is ignored. The stop key is not queued: it asks
 * the scheduler to stop every task at once. Every wait on the controller is
 * bounded: machines without an i8042 (or with one that never answers)
 * still boot.
 */
#include "console.h"
#include "keyboard.h"
#include "pic.h"
#include "../task.h"
#include "../trap.h"
#include "../x86.h"

#define KBD_DATA           0x60
#define KBD_STATUS         0x64
#define STATUS_OUTPUT_FULL 0x01

/* Scan code set 1, 16 codes a row. */
/* clang-format off */
static const char set1[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0, 'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};
/* clang-format on */

static volatile char queue[16];
static volatile unsigned qhead, qtail;

/* A key from either source. Interrupts off. */
static void put(char c)
{
    if (c == STOP_KEY) {
        sched_request_stop();
        return;
    }
    if (qhead - qtail < sizeof queue)
        queue[qhead++ % sizeof queue] = c;
}

static void on_key(struct trapframe *tf)
{
    uint8_t code;
    (void)tf;
    if (!(inb(KBD_STATUS) & STATUS_OUTPUT_FULL))
        return;
    code = inb(KBD_DATA);
    if (code & 0x80 || code >= sizeof set1 || !set1[code])
        return; /* key releases, extended keys and keys we do not map */
    put(set1[code]);
}

void keys_poll_serial(void)
{
    uint32_t f = irq_save();
    int c;
    while ((c = serial_getc_nonblock()) >= 0)
        put((char)c);
    irq_restore(f);
}

int keyboard_init(void)
{
    int spins;
    /* A status of 0xFF is a floating bus: no controller. */
    if (inb(KBD_STATUS) == 0xFF)
        return 0;
    /* Throw away whatever the firmware left in the output buffer, but not forever. */
    for (spins = 0; spins < 64 && (inb(KBD_STATUS) & STATUS_OUTPUT_FULL); spins++)
        (void)inb(KBD_DATA);
    irq_register(IRQ_KEYBOARD, on_key);
    pic_unmask(IRQ_KEYBOARD);
    return 1;
}

int keyboard_getkey(void)
{
    uint32_t f = irq_save();
    int c = -1;
    if (qhead != qtail)
        c = queue[qtail++ % sizeof queue];
    irq_restore(f);
    return c;
}
