/*
 * main.c: a small kernel that is NOT Koiz, for testing readers of page
 * tables that know nothing about the kernel (build/tests/gdb_peek and
 * koiz-view --gdb). QEMU loads it with -kernel (multiboot); it sends no
 * telemetry. It builds paging layouts Koiz never uses, then changes them
 * on a schedule; at each step it prints the layout on port 0xE9 and holds
 * still, so a poller can read a quiet moment and compare.
 *
 * The schedule (physical = virtual for the kernel itself, below 4 MiB):
 *   1 paging off
 *   2 directory A, CR4.PSE on: identity map of low memory in 4 KiB pages
 *     with holes (page 0, 0xA0000-0xFFFFF), a 4 MiB page at 4 MiB, a sparse
 *     table at 0x40000000 (every third page, mixed flags), a read-only user
 *     4 MiB page at 0x80000000, one table under both 0xC0000000 and
 *     0xC0400000, and the recursive entry 1023 (the tables at 0xFFC00000)
 *   3 unmap eleven sparse pages and the 4 MiB page at 0x80000000, map one
 *     at 0x80400000, make eight pages of the shared table read-only
 *   4 map a table just below the recursive window (0xFF800000, pages with
 *     software bits), and a 4 MiB alias of low memory at 0xE0000000
 *   5 switch CR3 to directory B, which shares A's low table and the shared
 *     table, with a user 4 MiB page at 0x04000000
 *   6 CR4.PSE off: B's two PS entries now point to tables (the frames at
 *     0x00400000 and 0x01000000, filled beforehand with a few entries)
 *   7 CR4.PSE on again: the same entries are 4 MiB pages once more
 *   8 PAE paging (a PDPT and one directory of 2 MiB pages): readers that
 *     only know 32-bit paging must say so, not misread it
 * then `done` and QEMU ends (isa-debug-exit at 0xf4, if present).
 *
 * What it prints on port 0xE9, a line each:
 *   anykernel: ...                       greeting, free text
 *   state 0x0010b000                     physical address of the state word
 *   step N what                          a step begins (free text after N)
 *   layout N cr0 X cr3 X cr4 X MODE      MODE: off, 32 (PSE clear), pse, pae
 *   run VSTART VEND PHYS SIZE FLAGS      a run of pages as the CPU sees them:
 *                                        [VSTART, VEND) -> PHYS.., SIZE 4K or
 *                                        4M, FLAGS the low 12 bits of the
 *                                        entries (A and D as they were);
 *                                        VEND 0x00000000 means 4 GiB
 *   end N runs K                         the layout of step N is complete
 *   quiet N MS                           holding still for MS ms of guest time
 *   done                                 the schedule is over
 * The state word is N * 2 + 1 while step N holds still, N * 2 otherwise,
 * so a poller that also reads it knows which layout it saw.
 *
 * Kernel command line: `hold=MS` (quiet time, default 700), `bench`: map
 * 32 MiB in 4 KiB pages (20 tables), then count loops forever, printing
 * `loops N tsc 0xHIGH 0xLOW` every 2^20 (for measuring how much a
 * poller slows the guest: QEMU's TSC counts only while the guest runs).
 */
#include "cpu.h"
#include "paging.h"

#define MULTIBOOT_LOADED 0x2BADB002u
#define MB_INFO_CMDLINE  0x4u

static volatile uint32_t state __attribute__((aligned(4096)));
static uint32_t hold_ms = 700;

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static const char *find(const char *s, const char *word)
{
    for (; *s; s++) {
        const char *a = s, *b = word;
        while (*b && *a == *b)
            a++, b++;
        if (!*b)
            return a;
    }
    return 0;
}

static uint32_t decimal(const char *s)
{
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint32_t)(*s++ - '0');
    return v;
}

static void begin(uint32_t step, const char *what)
{
    state = step * 2;
    put("step ");
    put_dec(step);
    put(" ");
    put(what);
    put("\n");
}

/* Prints the layout, then holds still: nothing changes in the tables until the next step. */
static void settle(uint32_t step)
{
    print_layout(step);
    state = step * 2 + 1;
    put("quiet ");
    put_dec(step);
    put(" ");
    put_dec(hold_ms);
    put("\n");
    wait_ms(hold_ms);
    state = step * 2;
}

static uint32_t *dir_a, *dir_b, *t_low, *t_sparse, *t_shared;

static void identity_low(uint32_t *t)
{
    for (uint32_t pa = 0x1000; pa < 0x400000; pa += 0x1000)
        if (pa < 0xA0000 || pa >= 0x100000)
            t[PTX(pa)] = pa | PG_P | PG_W;
}

static void step_first_layout(void)
{
    begin(2, "directory A: identity map with holes, 4 MiB pages, a sparse table, a shared table, "
             "a recursive entry");
    dir_a = dir_new();
    t_low = table_new();
    identity_low(t_low);
    map_table(dir_a, 0, t_low, PG_W);
    map_4m(dir_a, 0x00400000, 0x00400000, PG_W | PG_G);
    t_sparse = table_new();
    map_table(dir_a, 0x40000000, t_sparse, PG_W | PG_U);
    for (uint32_t i = 0; i < 64; i += 3) {
        static const uint32_t flavours[] = {PG_W | PG_U, PG_U | PG_PCD, PG_W | PG_PWT, 0};
        map_4k(dir_a, 0x40000000 + i * 0x1000, 0x00300000 + i * 0x1000, flavours[i % 4]);
    }
    map_4m(dir_a, 0x80000000, 0x00800000, PG_U);
    t_shared = table_new();
    map_table(dir_a, 0xC0000000, t_shared, PG_W);
    map_table(dir_a, 0xC0400000, t_shared, PG_W);
    for (uint32_t i = 0; i < 16; i++)
        t_shared[i] = (0x00200000 + i * 0x1000) | PG_P | PG_W;
    for (uint32_t i = 100; i < 104; i++)
        t_shared[i] = (0x00210000 + i * 0x1000) | PG_P;
    write_cr4(read_cr4() | CR4_PSE);
    switch_to(dir_a);
    write_cr0(read_cr0() | CR0_PG);
    settle(2);
}

static void step_unmap_and_protect(void)
{
    begin(3, "unmap eleven sparse pages and a 4 MiB page, map another, protect the shared table");
    for (uint32_t i = 0; i <= 30; i += 3)
        unmap_4k(dir_a, 0x40000000 + i * 0x1000);
    unmap_pde(dir_a, 0x80000000);
    map_4m(dir_a, 0x80400000, 0x00C00000, PG_W);
    for (uint32_t i = 0; i < 8; i++)
        protect_4k(dir_a, 0xC0000000 + i * 0x1000, PG_W, 0);
    switch_to(dir_a);
    settle(3);
}

static void step_map_more(void)
{
    begin(4, "a table below the recursive window, a 4 MiB alias of low memory");
    uint32_t *t = table_new();
    map_table(dir_a, 0xFF800000, t, PG_W | PG_U);
    for (uint32_t i = 0; i < 8; i++)
        map_4k(dir_a, 0xFF800000 + i * 0x1000, 0x00220000 + i * 0x1000,
               PG_W | PG_U | (i & 1 ? PG_AVL1 : 0) | (i & 2 ? PG_AVL3 : 0));
    map_4m(dir_a, 0xE0000000, 0, PG_W);
    switch_to(dir_a);
    settle(4);
}

static void step_switch(void)
{
    begin(5, "switch to directory B, which shares two tables with A");
    dir_b = dir_new();
    map_table(dir_b, 0, t_low, PG_W);
    map_4m(dir_b, 0x00400000, 0x00400000, PG_W);
    map_4m(dir_b, 0x04000000, 0x01000000, PG_W | PG_U);
    map_table(dir_b, 0xC0000000, t_shared, PG_W);
    switch_to(dir_b);
    settle(5);
}

static void step_pse_off(void)
{
    begin(6, "CR4.PSE off: the PS entries of B point to tables now");
    /* Fill the first frames of the two 4 MiB pages (through those pages) with entries that
     * mean something once the CPU reads those frames as tables. */
    volatile uint32_t *at_4m = (volatile uint32_t *)0x00400000, *at_16m = (volatile uint32_t *)0x04000000;
    for (int i = 0; i < 1024; i++)
        at_4m[i] = at_16m[i] = 0;
    at_4m[0] = 0x00500000 | PG_P | PG_W;
    at_4m[5] = 0x00501000 | PG_P;
    at_4m[1023] = 0x00502000 | PG_P | PG_U;
    at_16m[2] = 0x00503000 | PG_P | PG_W | PG_U;
    write_cr4(read_cr4() & ~CR4_PSE);
    switch_to(dir_b);
    settle(6);
}

static void step_pse_on(void)
{
    begin(7, "CR4.PSE on again: 4 MiB pages once more");
    write_cr4(read_cr4() | CR4_PSE);
    switch_to(dir_b);
    settle(7);
}

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_dir[512] __attribute__((aligned(4096)));

static void step_pae(void)
{
    begin(8, "PAE paging: a PDPT and one directory of 2 MiB pages");
    write_cr0(read_cr0() & ~CR0_PG); /* running identity-mapped: nothing moves */
    for (int i = 0; i < 512; i++)
        pae_dir[i] = 0;
    pae_dir[0] = 0x00000000 | PG_P | PG_W | PG_PS;
    pae_dir[1] = 0x00200000 | PG_P | PG_W | PG_PS;
    pdpt[0] = (uint32_t)pae_dir | PG_P;
    pdpt[1] = pdpt[2] = pdpt[3] = 0;
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((uint32_t)pdpt);
    write_cr0(read_cr0() | CR0_PG);
    settle(8);
}

/* 32 MiB identity in 4 KiB pages (8 tables) and 12 sparse tables: 20 in all, then a busy loop. */
static void bench(void)
{
    dir_a = dir_new();
    for (uint32_t va = 0; va < 0x02000000; va += 0x1000) {
        if (!PTX(va))
            map_table(dir_a, va, table_new(), PG_W);
        map_4k(dir_a, va, va, PG_W);
    }
    for (uint32_t i = 0; i < 12; i++) {
        uint32_t va = 0x40000000 + i * 0x400000;
        map_table(dir_a, va, table_new(), PG_W | PG_U);
        for (uint32_t j = 0; j < 1024; j += 16)
            map_4k(dir_a, va + j * 0x1000, 0x00300000 + j * 0x1000, PG_W | PG_U);
    }
    write_cr4(read_cr4() | CR4_PSE);
    switch_to(dir_a);
    write_cr0(read_cr0() | CR0_PG);
    print_layout(1);
    put("bench: counting\n");
    for (uint32_t n = 0;; n++) {
        for (volatile uint32_t i = 0; i < (1u << 20); i++)
            ;
        uint64_t tsc = read_tsc();
        put("loops ");
        put_dec(n);
        put(" tsc ");
        put_hex((uint32_t)(tsc >> 32));
        put(" ");
        put_hex((uint32_t)tsc);
        put("\n");
    }
}

void kmain(uint32_t magic, const struct multiboot_info *info); /* boot.asm calls it */
void kmain(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = "";
    put("anykernel: a kernel that is not Koiz (tests/anykernel)\n");
    if (magic != MULTIBOOT_LOADED) {
        put("anykernel: not started by a multiboot loader\n");
        power_off();
    }
    if ((info->flags & MB_INFO_CMDLINE) && info->cmdline)
        cmdline = (const char *)info->cmdline;
    const char *h = find(cmdline, "hold=");
    if (h && decimal(h) > 0)
        hold_ms = decimal(h);
    put("state ");
    put_hex((uint32_t)&state);
    put("\n");
    if (find(cmdline, "bench"))
        bench();
    begin(1, "paging off");
    settle(1);
    step_first_layout();
    step_unmap_and_protect();
    step_map_more();
    step_switch();
    step_pse_off();
    step_pse_on();
    step_pae();
    state = 0;
    put("done\n");
    power_off();
}
