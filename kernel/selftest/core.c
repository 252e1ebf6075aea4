/*
 * selftests_core.c: self-tests of the kernel core: formatting, the outputs,
 * the memory map, segments, exceptions and the timer. They run in the real
 * machine (or emulator), so they test what host tests cannot: the CPU's
 * behaviour and what the loader really gave us.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include <koiz/options.h>
#include "../dev/console.h"
#include "../gdt.h"
#include "../kernel.h"
#include "../multiboot.h"
#include "../dev/pit.h"
#include "../../vmm/pmm.h"
#include "selftest.h"
#include "../trap.h"
#include "../x86.h"

#define FMT_CHECK(want, ...)                       \
    do {                                           \
        char got_[96];                             \
        ksnprintf(got_, sizeof got_, __VA_ARGS__); \
        CHECK_STR(got_, want);                     \
    } while (0)

SELFTEST(kprintf_format)
{
    FMT_CHECK("42 -17 4294967295", "%d %i %u", 42, -17, 4294967295u);
    FMT_CHECK("ff FF 0xc0100000", "%x %X %p", 255u, 255u, (void *)0xC0100000);
    FMT_CHECK("[   42][42   ][00042]", "[%5d][%-5d][%05d]", 42, 42, 42);
    FMT_CHECK("[-0042][  -42]", "[%05d][%5d]", -42, -42);
    FMT_CHECK("-2147483648", "%d", (int)0x80000000);
    FMT_CHECK("18446744073709551615 -9223372036854775808", "%llu %lld", 0xFFFFFFFFFFFFFFFFull,
              (long long)0x8000000000000000ull);
    FMT_CHECK("00000001fffff000", "%016llx", 0x1FFFFF000ull);
    FMT_CHECK("[koiz][  abc][ab]", "[%s][%5s][%.2s]", "koiz", "abc", "abc");
    FMT_CHECK("x=A 100%", "x=%c 100%%", 'A');
}

SELFTEST(kprintf_reaches_screen)
{
    /* The screen is one of kprintf's outputs: what we print must be in video memory. */
    int row;
    kprintf("  screen check: Koiz!\n");
    row = vga_row() - 1;
    CHECK_EQ(vga_cell(row, 16) & 0xFF, 'K');
    CHECK_EQ(vga_cell(row, 20) & 0xFF, '!');
    CHECK(debugcon_present() || serial_present());
}

SELFTEST(console_wraps_between_words)
{
    /* 103 characters on an 80-column screen: the word that crosses column 80 moves down
     * whole, indented by two. (The console keeps to the first 80 columns it is given.) */
    int columns, lines, mono, row;
    vga_geometry(&columns, &lines, &mono);
    if (columns != 80)
        return;
    kprintf("  wrap check:");
    for (int i = 0; i < 9; i++)
        kprintf(" abcdefghi");
    kprintf("\n");
    row = vga_row() - 1;
    CHECK_EQ(vga_cell(row - 1, 72) & 0xFF, 'i');
    CHECK_EQ(vga_cell(row - 1, 74) & 0xFF, ' ');
    CHECK_EQ(vga_cell(row - 1, 79) & 0xFF, ' ');
    CHECK_EQ(vga_cell(row, 0) & 0xFF, ' ');
    CHECK_EQ(vga_cell(row, 2) & 0xFF, 'a');
    CHECK_EQ(vga_cell(row, 10) & 0xFF, 'i');
    CHECK_EQ(vga_cell(row, 22) & 0xFF, 'a');
}

SELFTEST(console_geometry_is_the_screens)
{
    /* The console took its size from the BIOS; the CRT controller shows what is on screen. */
    int columns, lines, mono, crtc_columns, crtc_lines;
    vga_geometry(&columns, &lines, &mono);
    vga_crtc_geometry(&crtc_columns, &crtc_lines);
    CHECK_EQ(columns, crtc_columns);
    CHECK_EQ(lines, crtc_lines);
}

SELFTEST(memory_map)
{
    const struct boot_info *b = &boot_info;
    int found_low = 0, found_high = 0;

    /* Either the loader gave a map, or it said it had none and we built one. */
    CHECK(b->mmap_from_loader == !!(b->flags & MB_INFO_MMAP));
    CHECK(b->flags & MB_INFO_MEMORY);
    /* GRUB's mem_lower and mem_upper come from the same BIOS as the map, so they must agree:
     * mem_lower is the region at 0, mem_upper the one at 1 MiB (up to the first hole). */
    for (int i = 0; i < b->nregions; i++) {
        const struct mem_region *r = &b->regions[i];
        CHECK(r->length > 0);
        if (r->type == MEM_AVAILABLE && r->base == 0) {
            found_low = 1;
            CHECK_EQ(r->length / 1024, b->mem_lower_kib);
        }
        if (r->type == MEM_AVAILABLE && r->base == 0x100000) {
            found_high = 1;
            CHECK_EQ(r->length / 1024, b->mem_upper_kib);
        }
    }
    CHECK(found_low);
    CHECK(found_high);
    /* Every frame the map does not call available is kept back (or not managed at all),
     * even where an available entry overlaps it. */
    for (int i = 0; i < b->nregions; i++) {
        const struct mem_region *r = &b->regions[i];
        if (r->type == MEM_AVAILABLE)
            continue;
        for (uint64_t a = r->base & ~0xFFFull; a < r->base + r->length && a < PMM_LIMIT; a += 4096) {
            enum frame_use use = pmem_use((uint32_t)a);
            CHECK(use == FRAME_RESERVED || use == FRAME_ABSENT);
        }
    }
    CHECK(b->usable_bytes >= 3 * 1024 * 1024);
    CHECK(b->usable_bytes <= b->highest_usable);
}

SELFTEST(command_line)
{
    /* We are running because `selftest` was on the command line the loader passed,
     * after the kernel's own path ("/boot/koiz.elf" from GRUB, "build/koiz.elf" from
     * QEMU's -kernel), which must not have been taken for an option. */
    CHECK(kernel_options.selftest);
    CHECK(kstrstr(boot_info.cmdline, "selftest") != 0);
    CHECK(boot_info.cmdline[0] != ' ' && kstrncmp(boot_info.cmdline, "selftest", 8) != 0);
}

SELFTEST(segments)
{
    uint16_t cs, ds, tr;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    __asm__ volatile("mov %%ds, %0" : "=r"(ds));
    __asm__ volatile("str %0" : "=r"(tr));
    CHECK_EQ(cs, KERNEL_CS);
    CHECK_EQ(ds, KERNEL_DS);
    CHECK_EQ(tr, TSS_SELECTOR);
    /* Access bytes: ring-3 code and data segments, and a 32-bit TSS. */
    CHECK_EQ((gdt_entry(3) >> 40) & 0xFF, 0xFA);
    CHECK_EQ((gdt_entry(4) >> 40) & 0xFF, 0xF2);
    CHECK_EQ((gdt_entry(5) >> 40) & 0x0F, 0x9 | 0x2); /* type 0xB: busy after ltr */
}

SELFTEST(divide_error_caught)
{
    struct trap_expect ex;
    volatile int zero = 0, result = 7;

    if (trap_expect_begin(&ex, T_DIVIDE) == 0) {
        ex.report = 1;
        result = 100 / zero;
        trap_expect_end();
    }
    CHECK(ex.caught);
    CHECK_EQ(result, 7);
    CHECK(ex.eip >= (uint32_t)_text_start && ex.eip < (uint32_t)_text_end);
}

SELFTEST(breakpoint_caught)
{
    struct trap_expect ex;
    extern const char selftest_after_int3[];

    if (trap_expect_begin(&ex, T_BREAKPOINT) == 0) {
        __asm__ volatile("int3\n.globl selftest_after_int3\nselftest_after_int3:");
        trap_expect_end();
    }
    CHECK(ex.caught);
    /* int3 is a trap, not a fault: the saved EIP is the instruction after it. */
    CHECK_EQ(ex.eip, (uint32_t)selftest_after_int3);
}

SELFTEST(page_fault_decoded)
{
    struct trap_expect ex;
    /* 8 MiB is outside the boot map, so a write there must fault as not-present. */
    volatile uint32_t *unmapped = (volatile uint32_t *)0x00800000;
    char words[96];

    if (trap_expect_begin(&ex, T_PAGE_FAULT) == 0) {
        ex.report = 1;
        *unmapped = 1;
        trap_expect_end();
    }
    CHECK(ex.caught);
    CHECK_EQ(ex.cr2, 0x00800000);
    CHECK_EQ(ex.error, PFERR_W);
    pf_error_words(ex.error, words, sizeof words);
    CHECK_STR(words, "not-present write supervisor");
    pf_error_words(PFERR_P | PFERR_U | PFERR_I | PFERR_RSVD, words, sizeof words);
    CHECK_STR(words, "protection-violation instruction-fetch user reserved-bit");
}

SELFTEST(timer_ticks)
{
    uint64_t start = pit_ticks(), spins = 0;

    CHECK(read_eflags() & EFLAGS_IF);
    /* Bounded: a dead timer fails this test instead of hanging the run. */
    while (pit_ticks() < start + 5 && spins++ < 200000000ull)
        __asm__ volatile("pause");
    CHECK(pit_ticks() >= start + 5);
}

SELFTEST(options_parser)
{
    struct koiz_options o;
    CHECK_EQ(options_parse("/boot/koiz.elf selftest=mem telemetry=both baud=38400", &o, 0, 0), 0);
    CHECK(o.selftest);
    CHECK_STR(o.selftest_only, "mem");
    CHECK_EQ(o.telemetry, TELEMETRY_BOTH);
    CHECK_EQ(o.baud, 38400);
    CHECK_EQ(options_parse("/boot/koiz.elf bogus baud=7", &o, 0, 0), 2);
    CHECK_EQ(o.baud, 115200);
}
