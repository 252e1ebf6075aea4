/*
 * kmain.c: the kernel's C entry point, called by asm/boot.asm with paging
 * on (the boot map) and the boot stack. It brings the machine up in the
 * order each step needs the one before:
 *
 *   outputs (screen, 0xE9, COM1)  so every later problem can be reported
 *   multiboot information         memory map and command line
 *   options                       selftest, telemetry, baud
 *   GDT, IDT, FPU, PIC, PIT, sti  segments, traps, tasks' FPU registers, timer
 *   enough RAM?                   below the minimum (memory.h): say so and stop
 *   memory, telemetry, keyboard
 *   self-tests, a demo, or the idle loop
 */
#include <stdarg.h>
#include <koiz/klib.h>
#include <koiz/paging.h>
#include <koiz/protocol.h>
#include "../telemetry/send.h"
#include "../vmm/vmm.h"
#include "dev/console.h"
#include "gdt.h"
#include "bench.h"
#include "demo.h"
#include "fpu.h"
#include "kernel.h"
#include "dev/keyboard.h"
#include "telemetry.h"
#include "memory.h"
#include "multiboot.h"
#include "physwin.h"
#include "dev/pic.h"
#include "dev/pit.h"
#include "selftest/selftest.h"
#include "task.h"
#include "trap.h"
#include "x86.h"

#ifndef KOIZ_BUILD_ID
#define KOIZ_BUILD_ID "dev"
#endif

/* Too little memory, or another reason the kernel cannot go on: it says why on every
 * output and as a record, then stops (a self-test run powers off, failed). */
static void stop_booting(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void stop_booting(const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    kprintf_color(VGA_LIGHT_RED, "koiz: %s. Koiz cannot run here and stops.\n", why);
    tel_send_panic(&(struct rec_panic){.text = text_of(why)});
    if (kernel_options.selftest)
        power_off(1);
    kputs("Halted: it is safe to switch the machine off.\n");
    halt_forever();
}

/* The crash= option: show a learner (and a test) what the kernel does when it breaks. */
static void crash_on_purpose(enum crash_kind kind)
{
    volatile int zero = 0;
    kprintf_color(VGA_YELLOW, "koiz: crashing on purpose (crash= option)\n");
    switch (kind) {
    case CRASH_DIVIDE: kprintf("%d\n", 1 / zero); break;
    case CRASH_PAGEFAULT:
        *(volatile uint32_t *)0x00C00000 = 0x4B4F495A; /* 12 MiB: mapped by nothing */
        break;
    case CRASH_PANIC: panic("crash_on_purpose: asked to panic (crash=panic)");
    case CRASH_NONE: break;
    }
}

/*
 * test_diverge=N, FOR TESTS ONLY (tests/gdb_tests.py): a bug on purpose. The
 * kernel's own directory entry for TEST_DIVERGE_VA (the direct map's second
 * 4 MiB page) gets PCD set, and the telemetry is not told, so that koiz-view
 * --verify, which compares the telemetry's picture with the tables in
 * memory, has a divergence to find. PCD only makes those 4 MiB uncached.
 */
#define TEST_DIVERGE_VA 0xC0400000u

static void diverge_on_purpose(void)
{
    uint32_t *pd = vmm_kernel_space()->pd;
    pd[PDX(TEST_DIVERGE_VA)] |= PTE_PCD;
    invlpg(TEST_DIVERGE_VA);
    kprintf_color(VGA_YELLOW,
                  "koiz: test_diverge: the kernel's directory entry for 0x%08x is now 0x%08x, "
                  "and the telemetry was not told\n",
                  TEST_DIVERGE_VA, pd[PDX(TEST_DIVERGE_VA)]);
}

/* The idle loop: keys (keyboard or COM1), periodic snapshots, and writing out telemetry
 * between interrupts. */
static void idle(void)
{
    uint64_t next_snapshot = 0;
    uint32_t period = kernel_options.snapshot_seconds * PIT_HZ;
    uint64_t diverge_at = kernel_options.test_diverge_seconds * (uint64_t)PIT_HZ;

    for (;;) {
        int key;
        keys_poll_serial(); /* the same keys over COM1: a PC without a keyboard, or a terminal far away */
        key = keyboard_getkey();
        if (sched_take_stop_request())
            kprintf("k: no task is running; nothing to stop.\n");
        if (key == 's') {
            kprintf("Snapshot requested.\n");
            telemetry_request_round(ROUND_REQUEST);
        } else if (key > 0 && demo_key(key)) {
            kprintf("Back to idle. Press s for a snapshot, t for the tour, 1-6 for a demo.\n");
        }
        if (diverge_at && pit_ticks() >= diverge_at) {
            diverge_on_purpose();
            diverge_at = 0;
        }
        if (period && pit_ticks() >= next_snapshot) {
            if (next_snapshot)
                telemetry_request_round(ROUND_PERIODIC);
            next_snapshot = pit_ticks() + period;
        }
        telemetry_flush();
        hlt();
    }
}

void kmain(uint32_t magic, uint32_t info_phys)
{
    char why[160];

    cpu_probe(&cpu);
    if (cpu.edx1 & CPUID_TSC)
        tsc_at_kmain = rdtsc();
    vga_init();
    debugcon_init();
    serial_init(115200);
    telemetry_early();
    physwin_init();
    kprintf_color(VGA_LIGHT_CYAN, "Koiz %s: a kernel whose paging you can watch\n", KOIZ_BUILD_ID);

    if (magic != MULTIBOOT_LOADER_MAGIC) {
        kprintf_color(VGA_LIGHT_RED,
                      "koiz: not started by a multiboot loader (EAX=0x%08x, expected 0x%08x).\n"
                      "koiz: boot Koiz through GRUB (build/floppy.img); see README.md. Halted.\n",
                      magic, MULTIBOOT_LOADER_MAGIC);
        ksnprintf(why, sizeof why, "kmain: bad multiboot magic 0x%08x", magic);
        tel_send_panic(&(struct rec_panic){.text = text_of(why)});
        halt_forever();
    }
    if (multiboot_read(info_phys) < 0) {
        kprintf_color(
            VGA_LIGHT_RED,
            "koiz: the boot loader gave neither a memory map nor mem_lower/mem_upper\n"
            "koiz: (multiboot flags 0x%08x); without knowing the RAM there is nothing to do. Halted.\n",
            boot_info.flags);
        ksnprintf(why, sizeof why, "kmain: no memory information (flags 0x%08x)", boot_info.flags);
        tel_send_panic(&(struct rec_panic){.text = text_of(why)});
        halt_forever();
    }

    kernel_options_parse(boot_info.cmdline);
    if (kernel_options.selftest)
        panic_notify(selftest_report_panic);
    if (kernel_options.baud != 115200)
        serial_init(kernel_options.baud);
    kprintf("Command line: %s\n", boot_info.cmdline[0] ? boot_info.cmdline : "(none)");
    int columns, lines, mono;
    vga_geometry(&columns, &lines, &mono);
    kprintf("Outputs: VGA %dx%d%s%s%s; CPU %s%s%s\n", columns, lines, mono ? " mono" : "",
            serial_present() ? ", COM1" : "", debugcon_present() ? ", port 0xE9" : "",
            cpu.has_cpuid ? cpu.vendor : "without CPUID", cpu.edx1 & CPUID_PSE ? ", PSE" : "",
            cpu.edx1 & CPUID_PGE ? ", PGE" : "");
    tel_send_hello(&(struct rec_hello){.version = PROTO_VERSION,
                                       .build = text_of(KOIZ_BUILD_ID),
                                       .usable_kib = (uint32_t)(boot_info.usable_bytes / 1024),
                                       .page_size = PAGE_SIZE,
                                       .pse = !!(cpu.edx1 & CPUID_PSE),
                                       .pge = !!(cpu.edx1 & CPUID_PGE)});

    gdt_init();
    idt_init();
    fpu_init();
    pic_init();
    pit_init();
    sti();

    kprintf("FPU: %s\n", fpu_describe());
    multiboot_print();
    tel_send_mem(&(struct rec_mem){.usable_kib = (uint32_t)(boot_info.usable_bytes / 1024),
                                   .regions = (uint32_t)boot_info.nregions,
                                   .lower_kib = boot_info.mem_lower_kib,
                                   .upper_kib = boot_info.mem_upper_kib,
                                   .ignored_kib = (uint32_t)(boot_info.ignored_bytes / 1024)});
    if (boot_info.usable_bytes / 1024 < MIN_RAM_KIB)
        stop_booting("kmain: %llu KiB of usable RAM, below the minimum of %u KiB (a PC with 4 MiB)",
                     boot_info.usable_bytes / 1024, MIN_RAM_KIB);
    if (memory_init(why, sizeof why) < 0)
        stop_booting("memory_init: %s", why);
    pagefault_init();
    telemetry_init();
    bugs_announce(kernel_options.bugs);
    vmm_set_bugs(kernel_options.bugs);
    if (!keyboard_init())
        kprintf_color(VGA_YELLOW, "Keyboard: no i8042 controller answered; keys are off\n");
    sched_set_poll(keys_poll_serial);

    if (kernel_options.crash)
        crash_on_purpose(kernel_options.crash);
    if (kernel_options.bench) {
        bench_run();
        power_off(0);
    }
    if (kernel_options.selftest)
        power_off(selftest_run(kernel_options.selftest_only) != 0);

    kprintf_color(VGA_LIGHT_GREEN, "Koiz is up.\n");
    demo_list();
    if (kernel_options.demo[0] && demo_run(kernel_options.demo) < 0)
        demo_unknown(kernel_options.demo);
    idle();
}
