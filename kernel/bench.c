/*
 * bench.c: what the memory manager's operations cost, in TSC cycles. Under
 * Bochs the TSC counts emulated instructions' ticks, so the figures repeat
 * from run to run; under QEMU or real hardware they are real cycles, and
 * noisier. Each figure goes out as a `bench` record; `scons bench` collects
 * them into a table (docs/benchmarks.md).
 *
 * The baseline is the seed's vmem_init: identity-map all 4 GiB with 1,024
 * page tables of 4 KiB pages, built here exactly that way (but not loaded:
 * an identity map of 0xC0000000 would unmap the running kernel).
 */
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include "../telemetry/emit.h"
#include "../vmm/pmm.h"
#include "../vmm/vmm.h"
#include "bench.h"
#include "dev/console.h"
#include "kernel.h"
#include "memory.h"
#include "dev/pit.h"
#include "programs.h"
#include "task.h"
#include "telemetry.h"
#include "x86.h"

#define BENCH_VA 0x10000000u
#define NPAGES   512 /* spans a page-table boundary or two, like real use */

static void report2(const char *name, const char *suffix, uint64_t cycles, uint32_t ops)
{
    char full[48];
    uint64_t per = ops ? cycles / ops : cycles;
    ksnprintf(full, sizeof full, "%s%s", name, suffix);
    kprintf("  %-28s %10llu cycles/op  (%u ops)\n", full, per, ops);
    tel_send_bench(&(struct rec_bench){
        .name = text_of(full), .cycles_per_op = per > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)per, .ops = ops});
}

static void report(const char *name, uint64_t cycles, uint32_t ops)
{
    report2(name, "", cycles, ops);
}

/* The seed's method: a directory and 1,024 tables, every entry filled. Returns cycles. */
static uint64_t seed_identity_map(void)
{
    static uint32_t tables[1024];
    uint64_t start = rdtsc(), cycles;
    uint32_t *pd = vmem_ptable_new();
    int built = 0;

    for (int i = 0; pd && i < 1024; i++) {
        uint32_t *pt = vmem_ptable_new();
        if (!pt)
            break;
        tables[i] = (uint32_t)V2P(pt);
        pd[i] = tables[i] | 3;
        for (uint32_t j = 0; j < 1024; j++)
            pt[j] = (((uint32_t)i << 22) | (j << 12)) | 1;
        built++;
    }
    cycles = rdtsc() - start;
    if (built < 1024)
        kprintf_color(VGA_YELLOW, "  (seed baseline: RAM for only %d of 1024 tables)\n", built);
    for (int i = 0; i < built; i++)
        pmem_free(tables[i]);
    if (pd)
        pmem_free((uint32_t)V2P(pd));
    return cycles;
}

/* The memory-manager workload: every figure is named name + suffix. */
static void workload(const char *suffix)
{
    static uint32_t frames[NPAGES];
    struct address_space *as;
    uint64_t t;
    volatile uint32_t sink = 0;

    as = vmm_space_create();
    for (int i = 0; i < NPAGES; i++)
        frames[i] = pmem_alloc_for(FRAME_PROCESS);
    vmm_space_switch(as);

    t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        vmm_map(as, BENCH_VA + (uint32_t)i * 4096, frames[i], PTE_U | PTE_W);
    report2("vmm_map", suffix, rdtsc() - t, NPAGES);

    t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        sink += vmem_get_phys_addr(as->pd, BENCH_VA + (uint32_t)i * 4096 + 12);
    report2("vmem_get_phys_addr", suffix, rdtsc() - t, NPAGES);

    t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        vmm_protect(as, BENCH_VA + (uint32_t)i * 4096, PTE_U);
    report2("vmm_protect", suffix, rdtsc() - t, NPAGES);

    t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        vmm_unmap(as, BENCH_VA + (uint32_t)i * 4096, 0);
    report2("vmm_unmap", suffix, rdtsc() - t, NPAGES);

    vmm_space_switch(vmm_kernel_space());
    vmm_space_destroy(as);
    for (int i = 0; i < NPAGES; i++)
        pmem_unref(frames[i]);

    {
        enum { SPACES = 32 };
        static struct address_space *spaces[SPACES];
        t = rdtsc();
        for (int i = 0; i < SPACES; i++)
            spaces[i] = vmm_space_create();
        report2("vmm_space_create", suffix, rdtsc() - t, SPACES);
        t = rdtsc();
        for (int round = 0; round < 8; round++)
            for (int i = 0; i < SPACES; i++)
                vmm_space_switch(spaces[i]);
        vmm_space_switch(vmm_kernel_space());
        report2("vmm_space_switch", suffix, rdtsc() - t, SPACES * 8 + 1);
        t = rdtsc();
        for (int i = 0; i < SPACES; i++)
            vmm_space_destroy(spaces[i]);
        report2("vmm_space_destroy", suffix, rdtsc() - t, SPACES);
    }
    (void)sink;
}

/* What one record costs, piece by piece: formatting a `map` record (the
 * fields, the CRC and the marks around them), the CRC alone, and queueing a
 * line of the same length for the ports, the writing out included (a line
 * of filler, no record: the stream's readers skip it). */
static void record_pieces(void)
{
    static char line[PROTO_LINE_MAX + 1];
    struct rec_map m = {
        .tick = 123456, .asid = 7, .va = 0x10000000, .size = SIZE_4K, .count = 1, .entry = 0x345007};
    volatile uint32_t sink = 0;
    size_t n = 0;
    uint64_t t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        n = rec_format_map(line, sizeof line, &m);
    report("telemetry.format_map", rdtsc() - t, NPAGES);
    t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        sink += proto_crc16(line + 1, n - 8);
    report("telemetry.crc16_of_map", rdtsc() - t, NPAGES);
    kmemset(line, '.', n - 1);
    line[n - 1] = '\n';
    telemetry_flush();
    t = rdtsc();
    for (int i = 0; i < NPAGES; i++)
        telemetry_queue(line, n, 1);
    telemetry_drain();
    report("telemetry.queue_and_write_map_line", rdtsc() - t, NPAGES);
    {
        static char block[2048];
        kmemset(block, '.', sizeof block);
        block[sizeof block - 1] = '\n';
        t = rdtsc();
        for (int i = 0; i < 16; i++)
            debugcon_write(block, sizeof block, 0);
        report("telemetry.debugcon_write_per_KiB", (rdtsc() - t) * 1024 / (16 * sizeof block), 1);
        t = rdtsc();
        for (int i = 0; i < 16; i++)
            kmemcpy(block, block + 1024, 1024);
        report("kmemcpy_per_KiB", rdtsc() - t, 16);
    }
    (void)sink;
}

/* The ceiling of port 0xE9 itself: BLAST_BYTES of filler lines, bracketed by two
 * records whose arrival the host times (tests/bench.py). Filler is noise to readers. */
#define BLAST_BYTES (4u << 20)

static void e9_blast(void)
{
    static const char filler[] = "................................................................"
                                 "..............\n";
    if (!debugcon_present())
        return;
    telemetry_flush();
    tel_send_bench(&(struct rec_bench){.name = text_of("e9_blast_start"), .ops = BLAST_BYTES});
    telemetry_flush();
    for (uint32_t sent = 0; sent < BLAST_BYTES; sent += sizeof filler - 1)
        for (const char *p = filler; *p; p++)
            debugcon_putc(*p);
    tel_send_bench(&(struct rec_bench){.name = text_of("e9_blast_end"), .ops = BLAST_BYTES});
    telemetry_flush();
}

/* Tasks: the churn program (eight workers forking, growing and unmapping) run
 * three times with the stream paused, then three times with it on (every
 * event formatted and written); context switches and copy-on-write faults
 * per second of PIT time (wall-clock time under QEMU, emulated time under
 * Bochs), each figure named name + suffix. */
static void churn_three_times(const struct user_program *p, const char *suffix)
{
    uint32_t switches = sched_stats()->switches, copies = vmm_stats()->cow_copies;
    uint64_t start = pit_ticks(), ticks;
    struct task_result r;

    for (int i = 0; i < 3; i++)
        task_run("churn", p->elf, (uint32_t)p->size, &r);
    ticks = pit_ticks() - start;
    if (ticks == 0)
        ticks = 1;
    report2("tasks.context_switches_per_s", suffix, (uint64_t)(sched_stats()->switches - switches) * PIT_HZ,
            (uint32_t)ticks);
    report2("tasks.cow_faults_per_s", suffix, (uint64_t)(vmm_stats()->cow_copies - copies) * PIT_HZ,
            (uint32_t)ticks);
}

static void bench_tasks(void)
{
    const struct user_program *p = user_program("churn");
    if (!p)
        return;
    telemetry_pause();
    churn_three_times(p, "");
    telemetry_resume();
    telemetry_flush();
    churn_three_times(p, ".telemetry");
    telemetry_flush();
}

void bench_run(void)
{
    uint64_t seed;

    if (!(cpu.edx1 & CPUID_TSC)) {
        kprintf_color(VGA_YELLOW, "bench: this CPU has no TSC; nothing to measure with\n");
        return;
    }
    kprintf("Benchmarks (TSC cycles):\n");
    report("boot.kmain_to_paging", tsc_at_paging - tsc_at_kmain, 1);

    /* Ours: vmem_init and vmem_enable_page_dir, timed at boot, against the seed's way. */
    report("paging_on.ours", cycles_paging_on, 1);
    seed = seed_identity_map();
    report("paging_on.seed_identity_4gib", seed, 1);

    {
        uint32_t bytes;
        telemetry_pause();
        workload("");
        telemetry_resume();
        telemetry_flush();
        kprintf("  with telemetry on (records queued for port 0xE9 / COM1):\n");
        bytes = telemetry_stats()->queued_bytes;
        workload(".telemetry");
        telemetry_flush();
        report("telemetry.bytes_for_workload", telemetry_stats()->queued_bytes - bytes, 1);
        /* The frame map a round ends with, alone (readers take it outside a round as well). */
        uint64_t t = rdtsc();
        bytes = telemetry_stats()->queued_bytes;
        tel_physmap();
        report("telemetry.physmap", rdtsc() - t, 1);
        report("telemetry.physmap_bytes", telemetry_stats()->queued_bytes - bytes, 1);
        report("telemetry.physmap_runs", tel_physmap_sent()->runs, 1);
        telemetry_flush();
        record_pieces();
    }
    bench_tasks();
    e9_blast();
    tel_send_bench(&(struct rec_bench){.name = text_of("done")});
}
