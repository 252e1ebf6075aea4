/*
 * test_roundtrip.c: the telemetry stream is true. The real memory manager
 * (vmm/, over host_arch's simulated RAM) runs a randomized workload over
 * several address spaces; the real emitter (telemetry/emit.c) turns it into
 * records; the bytes reach koiz-view's parser in random chunks; and after
 * every few steps the model must equal the page tables themselves, entry
 * for entry, in every live address space.
 *
 *   host_boot's 64 MiB machine (vmm/tests/host_arch.h); user pages at
 *   0x00400000.. (PDEs 1-3, so tables fill, empty and get freed), 4 MiB
 *   pages at 0x40000000.., demand-zero faults in the kernel heap.
 *
 * The seed comes from KOIZ_SEED or the clock and is printed on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../../vmm/arch.h"
#include "../../vmm/tests/host_arch.h"
#include "../../vmm/pmm.h"
#include "../../vmm/vmm.h"
#include "../emit.h"
#include "model.h"
#include "parser.h"

#define STEPS      6000
#define USER_BASE  0x00400000u
#define USER_PAGES (3 * 1024)
#define LARGE_BASE 0x40000000u
#define MAX_LIVE   6

static uint32_t seed, rng, step;
static struct model *model;
static struct parser parser;
static char pending[1 << 16];
static size_t npending;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

/* Feeds what is pending to the parser in random pieces: chunking must not matter. */
static FILE *copy; /* KOIZ_STREAM=FILE keeps the stream, to look at a failure */

static void feed_pending(void)
{
    size_t at = 0;
    if (copy)
        fwrite(pending, 1, npending, copy);
    while (at < npending) {
        size_t n = 1 + rnd(97);
        if (n > npending - at)
            n = npending - at;
        parser_feed(&parser, pending + at, n);
        at += n;
    }
    npending = 0;
}

static void sink_write(void *ctx, enum record_type t, const char *line, size_t len)
{
    (void)ctx;
    (void)t;
    if (npending + len > sizeof pending)
        feed_pending();
    memcpy(pending + npending, line, len);
    npending += len;
}

static uint32_t sink_now(void *ctx)
{
    (void)ctx;
    return step;
}

/* Every live space of vmm against its twin in the model. */
static void compare_all(void)
{
    feed_pending();
    for (int slot = 0; slot < VMM_MAX_SPACES; slot++) {
        const struct address_space *as = vmm_space_at(slot);
        const struct space *sp;
        if (!as)
            continue;
        if (!(sp = model_space(model, (uint32_t)as->id)))
            fail_msg("seed %u step %u: space %d missing from the model", seed, step, as->id);
        if (!sp->whole)
            fail_msg("seed %u step %u: space %d not whole (inconsistent %llu, snapshots lost %llu, unknown "
                     "asid %llu)",
                     seed, step, as->id, (unsigned long long)model->stats.inconsistent,
                     (unsigned long long)model->stats.snaps_lost,
                     (unsigned long long)model->stats.unknown_asid);
        for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
            uint32_t pde = as->pd[pdi];
            const uint32_t *mine = space_table(sp, pdi);
            if (sp->dir[pdi] != pde)
                fail_msg("seed %u step %u: space %d PDE %u is 0x%08x in the model, 0x%08x in vmm", seed, step,
                         as->id, pdi, sp->dir[pdi], pde);
            if (!(pde & PTE_P) || (pde & PDE_PS))
                continue;
            const uint32_t *table = arch_phys_to_virt(frame_of(pde));
            for (uint32_t pti = 0; pti < ENTRIES; pti++) {
                int64_t got = mine ? (int64_t)mine[pti] : -1;
                if (got != (int64_t)table[pti])
                    fail_msg("seed %u step %u: space %d va 0x%08x is 0x%08llx in the model, 0x%08x in vmm",
                             seed, step, as->id, page_va(pdi, pti), (long long)got, table[pti]);
            }
        }
    }
    if (model_check(model))
        fail_msg("seed %u step %u: %s", seed, step, model_check(model));
    if (model->current_asid != (uint32_t)vmm_current_space()->id)
        fail_msg("seed %u step %u: model says space %u is live, vmm says %d", seed, step, model->current_asid,
                 vmm_current_space()->id);
}

static struct address_space *live[MAX_LIVE];
static int nlive;

static struct address_space *any_space(void)
{
    return nlive ? live[rnd((uint32_t)nlive)] : vmm_kernel_space();
}

static void one_step(void)
{
    struct address_space *as = any_space();
    uint32_t va = USER_BASE + rnd(USER_PAGES) * 4096, pa, n;
    uint32_t flags = PTE_U | (rnd(2) ? PTE_W : 0);

    switch (rnd(14)) {
    case 0:
    case 1:
    case 2:
        if (as == vmm_kernel_space())
            break;
        if ((pa = pmem_alloc_for(FRAME_PROCESS)) == 0)
            break;
        vmm_map(as, va, pa, flags);
        pmem_unref(pa);
        break;
    case 3:
    case 4:
        if (as != vmm_kernel_space())
            vmm_unmap(as, va, 0);
        break;
    case 5:
        if (as != vmm_kernel_space())
            vmm_protect(as, va, flags);
        break;
    case 6: /* a range of device memory: consecutive frames, one event */
        n = 1 + rnd(40);
        if (as != vmm_kernel_space() && va + n * 4096 <= USER_BASE + USER_PAGES * 4096)
            vmm_map_range(as, va, 0x80000000u + rnd(1000) * 4096, n, flags);
        break;
    case 7:
        n = 1 + rnd(300);
        if (as != vmm_kernel_space() && va + n * 4096 <= USER_BASE + USER_PAGES * 4096) {
            vmm_unmap_range(as, va, n);
            vmm_protect_range(as, va, n, flags);
        }
        break;
    case 8:
        if (as != vmm_kernel_space())
            vmm_map_large(as, LARGE_BASE + rnd(4) * 0x400000u, 0x90000000u + rnd(8) * 0x400000u, flags);
        break;
    case 9:
        if (as != vmm_kernel_space())
            vmm_unmap_large(as, LARGE_BASE + rnd(4) * 0x400000u, 0);
        break;
    case 10:
        if (nlive < MAX_LIVE) {
            /* A copy, a copy-on-write fork (device pages stay writable), or an empty space. */
            uint32_t how = nlive ? rnd(3) : 2;
            struct address_space *s = how == 0   ? vmm_space_clone(any_space())
                                      : how == 1 ? vmm_space_fork(live[rnd((uint32_t)nlive)])
                                                 : vmm_space_create();
            if (s)
                live[nlive++] = s;
        }
        break;
    case 11:
        if (nlive > 0) {
            int i = (int)rnd((uint32_t)nlive);
            if (live[i] == vmm_current_space())
                vmm_space_switch(vmm_kernel_space());
            vmm_space_destroy(live[i]);
            live[i] = live[--nlive];
        }
        break;
    case 12: vmm_space_switch(any_space()); break;
    case 13: /* a demand-zero fault in the kernel heap: shared by every space */
        fault_at(vmm_current_space(), KHEAP_BASE + rnd(2048) * 4096, PTE_W, 0xC0100000u);
        break;
    }
}

static void test_roundtrip(void **state)
{
    static const struct tel_sink sink = {sink_write, sink_now, 0};
    const char *env = getenv("KOIZ_SEED");
    (void)state;

    seed = env ? (uint32_t)strtoul(env, 0, 10) : (uint32_t)time(0);
    rng = seed | 1;
    printf("test_roundtrip: seed %u (KOIZ_SEED=%u repeats it)\n", seed, seed);
    host_boot(HOST_RAM_SIZE, 1, 1);
    model = model_new();
    parser_init(&parser, model);
    if (getenv("KOIZ_STREAM"))
        copy = fopen(getenv("KOIZ_STREAM"), "w");
    tel_emit_start(&sink);
    vmm_space_switch(vmm_kernel_space());
    tel_round(ROUND_BOOT);
    compare_all();
    for (step = 1; step <= STEPS; step++) {
        one_step();
        if (step % 50 == 0)
            compare_all();
    }
    compare_all();
    assert_int_equal(parser.stats.bad_checksum + parser.stats.bad_fields, 0);
    assert_int_equal(model->stats.inconsistent, 0);
    tel_emit_start(0);
    model_free(model);
    if (copy)
        fclose(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
