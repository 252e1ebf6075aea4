/*
 * selftests_telemetry.c: a burst of paging events for the telemetry proof.
 * On its own this test only checks that the events went out; the Bochs
 * proof test (tests/boot_tests.py) sets a breakpoint on tel_events_done
 * and compares what a reader made of the stream with Bochs's own walk of
 * the page tables at that moment, with no snapshot in between.
 */
#include <koiz/klib.h>
#include <koiz/options.h>
#include "../../telemetry/emit.h"
#include "../../vmm/pmm.h"
#include "../../vmm/vmm.h"
#include "../kernel.h"
#include "selftest.h"
#include "../telemetry.h"
#include "../x86.h"

#define BURST_VA 0x08000000u

SELFTEST(telemetry_event_burst)
{
    struct address_space *as;
    uint32_t records_before = tel_counts()->records;
    uint32_t pa, n;

    if (!telemetry_active())
        return; /* telemetry=off: nothing to prove */
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

/* Maps and unmaps 64 pages of device memory 10 times with interrupts off:
 * 1,280 events (about 60 KB), faster than anything drains them but the
 * queue itself (the tests make it 4 KiB). */
#define FLOOD_EVENTS 1280
static void flood(struct address_space *as)
{
    uint32_t flags = irq_save();
    for (int round = 0; round < FLOOD_EVENTS / 128; round++)
        for (uint32_t i = 0; i < 64; i++) {
            vmm_map(as, BURST_VA + i * 4096, 0xE0000000u + i * 4096, PTE_U | PTE_W);
            vmm_unmap(as, BURST_VA + i * 4096, 0);
        }
    irq_restore(flags);
}

SELFTEST(telemetry_full_queue_waits)
{
    /* telemetry_loss=never: a full queue is written out to make room; no event is lost. */
    enum telemetry_loss was = telemetry_loss_policy();
    uint32_t dropped, waits, records;
    struct address_space *as;

    if (!telemetry_active())
        return;
    CHECK_EQ(telemetry_set_loss(TELEMETRY_LOSS_NEVER, 4096), 0);
    dropped = telemetry_stats()->dropped_records;
    waits = telemetry_stats()->waits;
    as = vmm_space_create();
    if (!CHECK(as != 0))
        return;
    records = tel_counts()->records;
    flood(as);
    CHECK(tel_counts()->records >= records + FLOOD_EVENTS);
    CHECK_EQ(telemetry_stats()->dropped_records, dropped);
    CHECK(telemetry_stats()->waits > waits);
    CHECK_EQ(vmm_space_destroy(as), VMM_OK);
    telemetry_flush();
    CHECK_EQ(telemetry_set_loss(was, 0), 0);
}

SELFTEST(telemetry_full_queue_announced)
{
    /* telemetry_loss=announce with a small queue: the excess is dropped, the first
     * drop is announced at once (`loss`), and the next flush sends `drop` and a
     * resync round, after which a reader is whole again. */
    enum telemetry_loss was = telemetry_loss_policy();
    uint32_t drops = telemetry_stats()->drops, rounds = tel_counts()->rounds;
    uint32_t dropped = telemetry_stats()->dropped_records;
    struct address_space *as;

    if (!telemetry_active())
        return;
    CHECK_EQ(telemetry_set_loss(TELEMETRY_LOSS_ANNOUNCE, 4096), 0);
    as = vmm_space_create();
    if (CHECK(as != 0)) {
        flood(as);
        CHECK(telemetry_stats()->dropped_records > dropped);
        CHECK_EQ(telemetry_stats()->drops, drops + 1);
        telemetry_flush();
        CHECK_EQ(tel_counts()->rounds, rounds + 1);
        CHECK_EQ(vmm_space_destroy(as), VMM_OK);
    }
    telemetry_flush();
    CHECK_EQ(telemetry_set_loss(was, 0), 0);
}
