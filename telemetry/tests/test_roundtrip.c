/*
 * test_roundtrip.c: the telemetry stream is true. The real memory manager
 * (vmm/, over host_arch's simulated RAM) runs a randomized workload over
 * several address spaces; the real emitter (telemetry/emit.c) turns it into
 * records; the bytes reach koiz-view's parser in random chunks; and after
 * every few steps the model must equal the page tables themselves, entry
 * for entry, in every live address space; every frame's owner and
 * reference count must equal pmm's records; and the model's reverse map
 * must list exactly the mappings a brute-force scan of every space finds.
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
#include "../../vmm/hooks.h"
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
static uint32_t shared_seen, frees_seen; /* what the comparisons met: the workload must reach them */
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

/* A mapping as both sides list it: frame, space (MODEL_NO_ASID: the kernel half), page (bit 0: 4 MiB). */
struct mapping {
    uint32_t frame, asid, va;
};

static int mapping_order(const void *a, const void *b)
{
    const struct mapping *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    if (x->asid != y->asid)
        return x->asid < y->asid ? -1 : 1;
    return x->va < y->va ? -1 : x->va > y->va;
}

struct mappings {
    struct mapping *m;
    size_t n, cap;
};

static void add_mapping(struct mappings *l, uint32_t frame, uint32_t asid, uint32_t va)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->m = realloc(l->m, l->cap * sizeof *l->m);
    }
    l->m[l->n++] = (struct mapping){frame, asid, va};
}

/* Every present leaf of vmm's spaces in [pdi_from, pdi_to), frames below span, entry by entry. */
static void scan_half(struct mappings *l, const struct address_space *as, uint32_t asid, uint32_t from,
                      uint32_t to, uint32_t span)
{
    for (uint32_t pdi = from; pdi < to; pdi++) {
        uint32_t pde = as->pd[pdi];
        if (!(pde & PTE_P))
            continue;
        if (pde & PDE_PS) {
            for (uint32_t i = 0; i < ENTRIES; i++)
                if ((large_frame_of(pde) >> 12) + i < span)
                    add_mapping(l, (large_frame_of(pde) >> 12) + i, asid, page_va(pdi, i) | 1);
            continue;
        }
        const uint32_t *t = arch_phys_to_virt(frame_of(pde));
        for (uint32_t pti = 0; pti < ENTRIES; pti++)
            if ((t[pti] & PTE_P) && (t[pti] >> 12) < span)
                add_mapping(l, t[pti] >> 12, asid, page_va(pdi, pti));
    }
}

/* Every frame's owner and references against pmm's own records; the reverse map against a scan. */
static void compare_frames(void)
{
    const struct frame_map *fm = model->frame_map;
    struct mappings brute = {0}, model_side = {0};
    int nunused;
    const struct pmm_span *unused = pmem_unused(&nunused);
    uint32_t span = model_frames_span(model);

    if (!fm->whole)
        fail_msg("seed %u step %u: the frame map is not whole: %s (%s)", seed, step,
                 frames_untrusted_name(fm->why), fm->detail);
    if (fm->nframes != pmm_nframes && !(nunused && fm->nframes == unused[nunused - 1].end))
        fail_msg("seed %u step %u: the frame map has %u frames, pmm %u", seed, step, fm->nframes,
                 pmm_nframes);
    for (uint32_t f = 0; f < fm->nframes; f++) {
        enum frame_use use = f < pmm_nframes ? (enum frame_use)pmm_frames[f].use : FRAME_ABSENT;
        unsigned want = tel_owner_of(use);
        uint32_t refs = pmem_use_referenced(use) ? pmm_frames[f].refs : 0;
        for (int i = 0; f >= pmm_nframes && i < nunused; i++)
            if (f >= unused[i].first && f < unused[i].end)
                want = OWNER_UNUSED;
        shared_seen += refs > 1;
        if (model_frame_owner(model, f) != want || model_frame_refs(model, f) != refs)
            fail_msg("seed %u step %u: frame 0x%08x is %s with %u references in the model, %s with %u in pmm",
                     seed, step, f << 12, frame_class_name(model_frame_owner(model, f)),
                     model_frame_refs(model, f), pmem_use_name(use), refs);
    }
    if (model_frames_free_mapped(model))
        fail_msg("seed %u step %u: %u free frames are mapped in the model", seed, step,
                 model_frames_free_mapped(model));
    for (int slot = 0; slot < VMM_MAX_SPACES; slot++)
        if (vmm_space_at(slot))
            scan_half(&brute, vmm_space_at(slot), (uint32_t)vmm_space_at(slot)->id, 0, KERNEL_PDE_FIRST,
                      span);
    scan_half(&brute, vmm_kernel_space(), MODEL_NO_ASID, KERNEL_PDE_FIRST, ENTRIES, span);
    for (uint32_t f = 0; f < span; f++) {
        const struct frame_mapping *mp;
        uint32_t n = model_frame_mappings(model, f, &mp);
        for (uint32_t i = 0; i < n; i++)
            add_mapping(&model_side, f, mp[i].asid, mp[i].va);
    }
    qsort(brute.m, brute.n, sizeof *brute.m, mapping_order);
    qsort(model_side.m, model_side.n, sizeof *model_side.m, mapping_order);
    for (size_t i = 0; i < brute.n || i < model_side.n; i++) {
        if (i < brute.n && i < model_side.n && !mapping_order(&brute.m[i], &model_side.m[i]))
            continue;
        const struct mapping *b = i < brute.n ? &brute.m[i] : NULL,
                             *g = i < model_side.n ? &model_side.m[i] : NULL;
        fail_msg("seed %u step %u: mapping %zu: the scan has frame 0x%x asid %d va 0x%08x, the reverse map "
                 "frame 0x%x "
                 "asid %d va 0x%08x (%zu and %zu in all)",
                 seed, step, i, b ? b->frame : 0, b ? (int)b->asid : -2, b ? b->va : 0, g ? g->frame : 0,
                 g ? (int)g->asid : -2, g ? g->va : 0, brute.n, model_side.n);
    }
    if (fm->stats.counter_mismatches || fm->stats.contradictions)
        fail_msg("seed %u step %u: %llu counter mismatches, %llu contradictions: %s", seed, step,
                 (unsigned long long)fm->stats.counter_mismatches,
                 (unsigned long long)fm->stats.contradictions, fm->detail);
    free(brute.m);
    free(model_side.m);
}

/* Every live space of vmm against its twin in the model. */
static void compare_all(void)
{
    tel_send_counters(0); /* as the kernel does between tasks: what the emitter holds goes out */
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
    compare_frames();
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
    struct vmm_translation t;

    switch (rnd(17)) {
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
    case 14: /* a heap page given back: its frame is freed */
        vmm_unmap(vmm_kernel_space(), KHEAP_BASE + rnd(2048) * 4096, 0);
        break;
    case 15: /* a write to a shared page: the copy-on-write break (a copy, or the frame kept) */
        for (n = 0; as != vmm_kernel_space() && n < USER_PAGES; n++) {
            uint32_t page = USER_BASE + (PTX(va) + PDX(va) * 1024 + n) % USER_PAGES * 4096;
            if (vmm_translate(as, page, &t) == VMM_OK && !t.large && (t.pte & PTE_COW)) {
                struct address_space *was = vmm_current_space();
                vmm_space_switch(as);
                fault_at(as, page, PFERR_P | PFERR_W | PFERR_U, 0x08048000u);
                vmm_space_switch(was);
                break;
            }
        }
        break;
    case 16: /* a round now and then: the frame map sent whole amid the events */
        if (rnd(8) == 0)
            tel_round(ROUND_PERIODIC);
        break;
    }
}

/* The stream's word for each of pmm's uses, said here apart from emit.c's table. */
static void test_owner_words(void **state)
{
    static const char *const want[FRAME_USES] = {
        [FRAME_ABSENT] = "hole",        [FRAME_RESERVED] = "reserved",   [FRAME_FREE] = "free",
        [FRAME_KERNEL] = "heap",        [FRAME_PAGE_TABLE] = "table",    [FRAME_PROCESS] = "user",
        [FRAME_PAGE_DIR] = "directory", [FRAME_IMAGE] = "image",         [FRAME_BOOT] = "boot",
        [FRAME_RECORDS] = "records",    [FRAME_TELEMETRY] = "telemetry",
    };
    (void)state;
    for (int use = 0; use < FRAME_USES; use++)
        assert_string_equal(word_name(WS_OWNER, tel_owner_of((enum frame_use)use)), want[use]);
}

static void test_roundtrip(void **state)
{
    static const struct tel_sink sink = {.write = sink_write, .now = sink_now};
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
    frees_seen = (uint32_t)parser.stats.by_type[RT_FREE];
    printf("test_roundtrip: %u frames shared when compared, %u free records, %u copy-on-write breaks, %u "
           "rounds\n",
           shared_seen, frees_seen, vmm_stats()->cow_copies + vmm_stats()->cow_reuses,
           (uint32_t)parser.stats.by_type[RT_PHYSMAP]);
    assert_true(shared_seen > 0 && frees_seen > 0 && vmm_stats()->cow_copies > 0);
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
        cmocka_unit_test(test_owner_words),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
