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

/* The runs of the frame map made again from pmm's records, here and not by the
 * emitter's code: owner and references, frame by frame, then the spans of RAM above
 * the top. Folded into a hash as the emitter folds what it sends. */
struct frames_seen {
    uint32_t runs, hash, frames, free;
    uint32_t first, count, owner, refs; /* the run not folded in yet */
};

/* Adds frames [first, first + count) of one owner: a longer run, or a new one. */
static void seen(struct frames_seen *s, uint32_t first, uint32_t count, uint32_t owner, uint32_t refs)
{
    if (s->count && s->first + s->count == first && s->owner == owner && s->refs == refs) {
        s->count += count;
        return;
    }
    if (s->count) {
        s->runs++;
        s->hash = tel_run_hash(s->hash, s->first << 12, s->count, s->owner, s->refs);
    }
    s->first = first;
    s->count = count;
    s->owner = owner;
    s->refs = refs;
}

static struct frames_seen frames_now(void)
{
    struct frames_seen s = {0, TEL_RUN_HASH_START, 0, 0, 0, 0, 0, 0};
    uint32_t f;
    int n;
    const struct pmm_span *unused = pmem_unused(&n);

    for (f = 0; f < pmm_nframes; f++) {
        enum frame_use use = (enum frame_use)pmm_frames[f].use;
        seen(&s, f, 1, tel_owner_of(use), pmem_use_referenced(use) ? pmm_frames[f].refs : 0);
        s.free += use == FRAME_FREE;
    }
    for (int i = 0; i < n; i++) { /* holes and unused RAM between the top and 4 GiB */
        if (unused[i].end <= f)
            continue;
        if (unused[i].first > f)
            seen(&s, f, unused[i].first - f, OWNER_HOLE, 0);
        f = unused[i].first > f ? unused[i].first : f;
        seen(&s, f, unused[i].end - f, OWNER_UNUSED, 0);
        f = unused[i].end;
    }
    seen(&s, f, 0, OWNER_WORDS, 0); /* folds the last run in */
    s.frames = f;
    return s;
}

/* Free frames a space maps outside the direct map: none may be. */
static uint32_t free_but_mapped(void)
{
    uint32_t bad = 0;
    for (int slot = 0; slot < VMM_MAX_SPACES; slot++) {
        const struct address_space *as = vmm_space_at(slot);
        /* the user halves, and the kernel half's heap (the rest is the direct map and the window) */
        for (uint32_t pdi = 0; as && pdi < ENTRIES; pdi++) {
            uint32_t pde = as->pd[pdi], *t;
            if ((pdi >= KERNEL_PDE_FIRST && (slot || pdi < PDX(KHEAP_BASE) || pdi >= PDX(KHEAP_END))) ||
                !(pde & PTE_P))
                continue;
            if (pde & PDE_PS) {
                bad += pmem_use(large_frame_of(pde)) == FRAME_FREE;
                continue;
            }
            t = (uint32_t *)P2V(frame_of(pde));
            for (uint32_t pti = 0; pti < ENTRIES; pti++)
                bad += (t[pti] & PTE_P) && pmem_use(frame_of(t[pti])) == FRAME_FREE;
        }
    }
    return bad;
}

/* A round, then what it said of the frames held against pmm's records now. */
static void round_and_compare(const char *when)
{
    const struct tel_physmap_sent *sent = tel_physmap_sent();
    uint32_t seq = sent->seq;
    struct frames_seen now;

    telemetry_request_round(ROUND_REQUEST);
    telemetry_flush();
    now = frames_now();
    selftest_check(sent->seq == seq + 1, __FILE__, __LINE__, "%s: no frame map was sent (seq %u)", when,
                   sent->seq);
    selftest_check(sent->runs == now.runs && sent->hash == now.hash && sent->frames == now.frames, __FILE__,
                   __LINE__, "%s: sent %u runs of %u frames (hash %08x), pmm has %u runs of %u (hash %08x)",
                   when, sent->runs, sent->frames, sent->hash, now.runs, now.frames, now.hash);
    selftest_check(sent->frames_of[OWNER_FREE] == pmem_stats()->free && now.free == pmem_stats()->free,
                   __FILE__, __LINE__, "%s: %u free frames sent, %u counted, pmm says %u", when,
                   sent->frames_of[OWNER_FREE], now.free, pmem_stats()->free);
    selftest_check(free_but_mapped() == 0, __FILE__, __LINE__, "%s: %u free frames are mapped", when,
                   free_but_mapped());
}

#define SHARED_VA    0x08000000u
#define SHARED_PAGES 16

SELFTEST(telemetry_frame_map_as_sent)
{
    /* The frames as the stream tells them, against pmm's own records: with frames
     * shared by three spaces and some copied, and again once they are all gone. */
    struct address_space *a, *b = 0, *c = 0;
    uint32_t shared_before = 0;

    if (!telemetry_active())
        return;
    a = vmm_space_create();
    if (!CHECK(a != 0))
        return;
    for (uint32_t i = 0; i < SHARED_PAGES; i++) {
        uint32_t pa = pmem_alloc_for(FRAME_PROCESS);
        if (!CHECK(pa != 0))
            break;
        CHECK_EQ(vmm_map(a, SHARED_VA + i * 4096, pa, PTE_U | PTE_W), VMM_OK);
        pmem_unref(pa);
    }
    b = vmm_space_fork(a);
    c = b ? vmm_space_fork(b) : 0;
    CHECK(b != 0 && c != 0);
    for (uint32_t i = 0; c && i < SHARED_PAGES; i += 4) /* a copy for c: its frame leaves the other two */
        CHECK_EQ(vmm_protect(c, SHARED_VA + i * 4096, PTE_U | PTE_W), VMM_OK);
    for (uint32_t f = 0; f < pmm_nframes; f++)
        shared_before += pmm_frames[f].use == FRAME_PROCESS && pmm_frames[f].refs == 3;
    CHECK(shared_before >= SHARED_PAGES * 3 / 4);
    round_and_compare("three spaces sharing frames");
    if (c)
        CHECK_EQ(vmm_space_destroy(c), VMM_OK);
    if (b)
        CHECK_EQ(vmm_space_destroy(b), VMM_OK);
    CHECK_EQ(vmm_space_destroy(a), VMM_OK);
    round_and_compare("their frames given back");
}
