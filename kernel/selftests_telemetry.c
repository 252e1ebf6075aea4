/*
 * selftests_telemetry.c: a burst of paging events for the telemetry proof.
 * On its own this test only checks that the events went out; the Bochs
 * proof test (tests/boot_tests.py) sets a breakpoint on tel_events_done
 * and compares what a reader made of the stream with Bochs's own walk of
 * the page tables at that moment, with no snapshot in between.
 */
#include <koiz/klib.h>
#include "../telemetry/emit.h"
#include "../vmm/pmm.h"
#include "../vmm/vmm.h"
#include "kernel.h"
#include "selftest.h"
#include "telemetry.h"
#include "x86.h"

#define BURST_VA 0x08000000u

SELFTEST(telemetry_event_burst)
{
    struct address_space *as;
    uint32_t records_before = tel_counts()->records;
    uint32_t pa, n;

    if (!telemetry_active())
        return;     /* telemetry=off: nothing to prove */
    as = vmm_space_create();
    CHECK(as != 0);
    if (!as)
        return;
    vmm_space_switch(as);
    /* Pages one by one across a table boundary (fewer on a small machine), a range,
     * holes, changed flags. */
    n = pmem_stats()->free / 2 < 1100 ? pmem_stats()->free / 2 : 1100;
    for (uint32_t i = 0; i < n; i++) {
        pa = pmem_alloc_for(FRAME_PROCESS);
        if (!CHECK(pa != 0))
            break;
        CHECK_EQ(vmm_map(as, BURST_VA + i * 4096, pa, PTE_U | PTE_W), VMM_OK);
        pmem_unref(pa);
    }
    for (uint32_t i = 0; i < n; i += 3)
        CHECK_EQ(vmm_unmap(as, BURST_VA + i * 4096, 0), VMM_OK);
    CHECK_EQ(vmm_protect_range(as, BURST_VA + 4096, 1, PTE_U), VMM_OK);
    /* The second table loses every page: it must be freed, and the reader told. */
    for (uint32_t i = 1024; i < n; i++)
        vmm_unmap(as, BURST_VA + i * 4096, 0);
    *(volatile uint32_t *)(BURST_VA + 4096 * 2) = 1;
    telemetry_flush();
    CHECK(tel_counts()->records > records_before + n);
    tel_events_done();
    vmm_space_switch(vmm_kernel_space());
    CHECK_EQ(vmm_space_destroy(as), VMM_OK);
}

SELFTEST(telemetry_overflow_then_snapshot)
{
    /* More events than the queue holds, faster than the timer drains it: the
     * excess is dropped and counted, and the next flush says so and sends fresh
     * snapshots, after which a reader is whole again. */
    struct address_space *as;
    uint32_t drops = telemetry_stats()->drops, snaps = tel_counts()->snapshots;
    uint32_t flags;

    if (!telemetry_active())
        return;
    telemetry_flush();
    as = vmm_space_create();
    CHECK(as != 0);
    if (!as)
        return;
    flags = irq_save();     /* no timer ticks: nothing drains while we flood */
    for (int round = 0; round < 40; round++)
        for (uint32_t i = 0; i < 64; i++) {
            vmm_map(as, BURST_VA + i * 4096, 0xE0000000u + i * 4096, PTE_U | PTE_W);
            vmm_unmap(as, BURST_VA + i * 4096, 0);
        }
    irq_restore(flags);
    CHECK(telemetry_stats()->dropped_records > 0);
    telemetry_flush();
    CHECK_EQ(telemetry_stats()->drops, drops + 1);
    CHECK(tel_counts()->snapshots >= snaps + 2);    /* this space and the kernel's, at least */
    CHECK_EQ(vmm_space_destroy(as), VMM_OK);
}
