/*
 * power.c: ending a run. Test runs need the emulator to exit, so power_off
 * tries, in order: Bochs's shutdown port (the bytes "Shutdown" to 0x8900),
 * QEMU's isa-debug-exit device (port 0xF4), then ACPI sleep state S5 (real
 * machines, and emulators started without those devices). When all fail the
 * machine halts with a message saying it is safe to switch off.
 *
 * Before anything, the functions registered with power_before_off run
 * (telemetry's drain: every record out before the machine goes).
 *
 * The exit code tells the harness nothing it relies on: boot tests judge a
 * run by the records the kernel printed, never by how the emulator ended.
 */
#include "acpi.h"
#include "console.h"
#include "shared_ring.h"
#include "../kernel.h"
#include "../x86.h"

#define BOCHS_SHUTDOWN_PORT  0x8900
#define QEMU_DEBUG_EXIT_PORT 0xF4

static struct kernel_hooks before_off;

void power_before_off(void (*fn)(void))
{
    kernel_hooks_add(&before_off, fn, "power_before_off");
}

void power_off(int failed)
{
    static const char bochs[] = "Shutdown";

    cli();
    kernel_hooks_run(&before_off);
    /* Every record is out now: how many, for a reader to hold against what it got
     * (this line's own `log` record stays in the queue, never sent). */
    kprintf("Records sent: %u to port 0xE9, %u to COM1, %u through shared memory.\n", debugcon_records(),
            serial_records(), shared_ring_records());
    kprintf("Powering off (%s).\n", failed ? "failure" : "success");
    for (const char *p = bochs; *p; p++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
    /* QEMU exits with (value << 1) | 1: 1 on success, 3 on failure. */
    outl(QEMU_DEBUG_EXIT_PORT, failed ? 1 : 0);
    acpi_power_off();
    kprintf("Power-off did not work on this machine: it is now safe to switch it off.\n");
    halt_forever();
}
