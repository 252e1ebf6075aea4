/*
 * test_pmm.c: the physical frame allocator.
 *
 * Most tests use host_boot's machine (host_arch.h): 64 MiB, the first MiB
 * and a 1 MiB "kernel" at 1 MiB reserved, pmm's records at 2 MiB:
 *
 *   0        1M       2M    2M+128K                       64M
 *   | low    | kernel | recs | free frames, lowest first -> |
 *
 * Some build their own map to test placement, clipping and limits.
 */
#include <stdlib.h>
#include "host_arch.h"
#include "../hooks.h"
#include "../pmm.h"

#define MiB        (1u << 20)
#define FIRST_FREE (2 * MiB + 32 * 4096) /* after 128 KiB of records for 16384 frames */

static void test_init_counts(void **state)
{
    const struct pmm_stats *s;
    (void)state;
    host_pmm_boot(64 * MiB);
    s = pmem_stats();
    assert_int_equal(s->top, 64 * MiB);
    assert_int_equal(s->metadata, 32);
    assert_int_equal(s->total, (62 * MiB) / 4096 - 32);
    assert_int_equal(s->free, s->total);
    /* 0x9F low frames, 256 kernel frames, 32 of records */
    assert_int_equal(s->reserved, 0x9F + 256 + 32);
    assert_int_equal(s->ignored_high, 0);
    assert_int_equal(s->kernel + s->page_tables + s->process, 0);
    assert_int_equal(pmem_use(0x1000), FRAME_RESERVED);
    assert_int_equal(pmem_use(0xA0000), FRAME_ABSENT); /* the hole */
    assert_int_equal(pmem_use(HOST_KERNEL_START), FRAME_IMAGE);
    assert_int_equal(pmem_use(2 * MiB), FRAME_RECORDS);
    assert_int_equal(pmem_use(FIRST_FREE), FRAME_FREE);
    assert_int_equal(pmem_use(64 * MiB), FRAME_ABSENT);
}

static void test_alloc_lowest_first(void **state)
{
    (void)state;
    host_pmm_boot(64 * MiB);
    assert_int_equal(pmem_alloc(), FIRST_FREE);
    assert_int_equal(pmem_alloc(), FIRST_FREE + 4096);
    assert_int_equal(pmem_use(FIRST_FREE), FRAME_KERNEL);
    pmem_free(FIRST_FREE);
    assert_int_equal(pmem_alloc(), FIRST_FREE); /* the stack gives it back first */
}

static void test_exhaust_and_refill(void **state)
{
    uint32_t total, n = 0, pa, *all;
    unsigned char *seen = calloc(HOST_RAM_SIZE / 4096, 1);
    (void)state;
    host_pmm_boot(64 * MiB);
    total = pmem_stats()->total;
    all = calloc(total, sizeof *all);
    pmem_set_junk_fill(0);
    while ((pa = pmem_alloc_for(FRAME_PROCESS)) != 0) {
        assert_true(pa >= FIRST_FREE && pa < 64 * MiB && (pa & 0xFFF) == 0);
        assert_false(seen[pa / 4096]);
        seen[pa / 4096] = 1;
        all[n++] = pa;
    }
    assert_int_equal(n, total);
    assert_int_equal(pmem_stats()->free, 0);
    assert_int_equal(pmem_stats()->process, total);
    assert_int_equal(pmem_alloc(), 0); /* out of memory is a 0, not a panic */
    assert_int_equal(pmem_stats()->failures, 2);
    while (n > 0)
        pmem_free(all[--n]);
    assert_int_equal(pmem_stats()->free, total);
    assert_int_equal(pmem_stats()->process, 0);
    /* Held back: allocation fails with frames still free, and works again after. */
    pmem_hold_back(total - 3);
    assert_int_equal(pmem_stats()->held, total - 3);
    for (n = 0; n < 3; n++)
        assert_true((all[n] = pmem_alloc()) != 0);
    assert_int_equal(pmem_alloc(), 0);
    assert_int_equal(pmem_stats()->free, total - 3);
    pmem_free(all[0]);
    assert_true((all[0] = pmem_alloc()) != 0);
    assert_int_equal(pmem_hold_back(0), total - 3);
    assert_true((all[3] = pmem_alloc()) != 0);
    for (n = 0; n < 4; n++)
        pmem_free(all[n]);
    assert_int_equal(pmem_stats()->free, total);
    pmem_set_junk_fill(1);
    free(all);
    free(seen);
}

static void test_counters_by_use(void **state)
{
    uint32_t k, t, p;
    const struct pmm_stats *s = pmem_stats();
    (void)state;
    host_pmm_boot(64 * MiB);
    k = pmem_alloc_for(FRAME_KERNEL);
    t = pmem_alloc_for(FRAME_PAGE_TABLE);
    p = pmem_alloc_for(FRAME_PROCESS);
    assert_int_equal(s->kernel, 1);
    assert_int_equal(s->page_tables, 1);
    assert_int_equal(s->process, 1);
    assert_int_equal(s->free, s->total - 3);
    assert_int_equal(pmem_frame(t)->entries, 0); /* tables count entries, from 0 */
    assert_int_equal(pmem_frame(p)->refs, 1);
    pmem_free(k);
    pmem_free(t);
    pmem_free(p);
    assert_int_equal(s->kernel + s->page_tables + s->process, 0);
    assert_int_equal(s->allocs, 3);
    assert_int_equal(s->frees, 3);
    EXPECT_PANIC(pmem_alloc_for(FRAME_FREE), "pmem_alloc_for: 2 is not a use");
}

static void test_bad_frees_panic(void **state)
{
    uint32_t pa;
    (void)state;
    host_pmm_boot(64 * MiB);
    pa = pmem_alloc();
    pmem_free(pa);
    EXPECT_PANIC(pmem_free(pa), "pmem_free: frame 0x00220000 is not allocated");
    EXPECT_PANIC(pmem_free(0x00300000), "pmem_free: frame 0x00300000 is not allocated");
    EXPECT_PANIC(pmem_free(HOST_KERNEL_START), "pmem_free: frame 0x00100000 is not allocated");
    EXPECT_PANIC(pmem_free(2 * MiB), "pmem_free: frame 0x00200000 is not allocated");
    EXPECT_PANIC(pmem_free(0x10000000), "pmem_free: frame 0x10000000 is not allocated");
    EXPECT_PANIC(pmem_free(0x00300010), "pmem_free: address 0x00300010 is not page aligned");
    EXPECT_PANIC(pmem_frame(0x00300000), "pmem_frame: frame 0x00300000 is not allocated");
}

static void test_references(void **state)
{
    uint32_t pa, t;
    (void)state;
    host_pmm_boot(64 * MiB);
    pa = pmem_alloc_for(FRAME_PROCESS);
    assert_int_equal(pmem_ref(pa), 2);
    assert_int_equal(pmem_ref(pa), 3);
    EXPECT_PANIC(pmem_free(pa), "pmem_free: frame 0x00220000 still has 3 references");
    assert_int_equal(pmem_unref(pa), 2);
    assert_int_equal(pmem_unref(pa), 1);
    assert_int_equal(pmem_use(pa), FRAME_PROCESS);
    assert_int_equal(pmem_unref(pa), 0);
    assert_int_equal(pmem_use(pa), FRAME_FREE);
    EXPECT_PANIC(pmem_unref(pa), "pmem_unref: frame 0x00220000 is not allocated");
    EXPECT_PANIC(pmem_ref(pa), "pmem_ref: frame 0x00220000 is not allocated");
    t = pmem_alloc_for(FRAME_PAGE_TABLE);
    EXPECT_PANIC(pmem_ref(t), "is a page table");
    EXPECT_PANIC(pmem_unref(t), "is a page table");
    pa = pmem_alloc();
    pmem_frame(pa)->refs = UINT16_MAX;
    EXPECT_PANIC(pmem_ref(pa), "too many references");
}

static void test_junk_fill(void **state)
{
    uint32_t pa;
    (void)state;
    host_pmm_boot(64 * MiB);
    pa = pmem_alloc();
    memset(host_ram + pa, 0, 4096);
    pmem_free(pa);
    assert_int_equal(host_ram[pa], 0x5A);
    assert_int_equal(host_ram[pa + 4095], 0x5A);
    assert_int_equal(pmem_set_junk_fill(0), 1);
    pa = pmem_alloc();
    memset(host_ram + pa, 0, 4096);
    pmem_free(pa);
    assert_int_equal(host_ram[pa], 0);
    assert_int_equal(pmem_set_junk_fill(1), 0);
}

/* RAM above 768 MiB (and above 4 GiB) is counted, not used. */
static void test_limit_768(void **state)
{
    struct pmm_region r[] = {{MiB, 1024ull * MiB - MiB}, {0x100000000ull, 0x10000000ull}};
    struct pmm_range k = {MiB, 2 * MiB, FRAME_IMAGE};
    const struct pmm_stats *s = pmem_stats();
    (void)state;
    host_pmm_boot(64 * MiB);
    pmem_init(r, 2, &k, 1);
    assert_int_equal(s->top, PMM_LIMIT);
    assert_int_equal(s->ignored_high, (256 * MiB) / 4096 + 0x10000);
    assert_int_equal(s->metadata, (PMM_LIMIT / 4096) * 8 / 4096);
    assert_int_equal(s->total, (PMM_LIMIT - 2 * MiB) / 4096 - s->metadata);
    assert_int_equal(pmem_use(PMM_LIMIT - 4096), FRAME_FREE);
    assert_int_equal(pmem_use(PMM_LIMIT), FRAME_ABSENT);
}

/* Records go to the lowest spot that fits, stepping over reserved ranges. */
static void test_metadata_placement(void **state)
{
    struct pmm_region r[] = {
        {16 * MiB, 4 * MiB}, /* unsorted on purpose */
        {MiB, 2 * MiB},
        {0x100800, 0x1000}, /* overlapping, unaligned */
    };
    struct pmm_range res[] = {{MiB, 0x280000, FRAME_IMAGE}};
    (void)state;
    host_pmm_boot(64 * MiB);
    /* top 20 MiB: 5120 frames, 40 KiB = 10 frames of records, fit at 2.5 MiB */
    pmem_init(r, 3, res, 1);
    assert_int_equal(pmem_stats()->metadata, 10);
    assert_int_equal(pmem_use(0x280000), FRAME_RECORDS);
    assert_int_equal(pmem_alloc(), 0x280000 + 10 * 4096);
    /* Reserve up to 2.99 MiB: the records no longer fit there, so go to 16 MiB. */
    res[0].end = 0x2FF000;
    pmem_init(r, 3, res, 1);
    assert_int_equal(pmem_use(16 * MiB), FRAME_RECORDS);
    assert_int_equal(pmem_use(0x2FF000), FRAME_FREE);
    assert_int_equal(pmem_alloc(), 0x2FF000);
    assert_int_equal(pmem_stats()->total, 1 + (4 * MiB) / 4096 - 10);
}

static void test_init_failures(void **state)
{
    struct pmm_region low = {0, 0x9F000};
    struct pmm_region tiny[] = {{MiB, 0x2000}, {48 * MiB, 0x1000}};
    (void)state;
    host_pmm_boot(64 * MiB);
    EXPECT_PANIC(pmem_init(&low, 1, 0, 0), "pmem_init: no usable memory above 1 MiB");
    EXPECT_PANIC(pmem_init(tiny, 2, 0, 0), "pmem_init: no room for");
}

/* Each range says what its frames hold; where ranges overlap, the first says it. */
static void test_range_uses(void **state)
{
    struct pmm_region r[] = {{0, 0x9F000}, {MiB, 63 * MiB}};
    struct pmm_range res[] = {
        {0x150000, 0x158000, FRAME_TELEMETRY}, /* inside the image, listed first */
        {MiB, 2 * MiB, FRAME_IMAGE},
        {0x300000, 0x301000, FRAME_BOOT},
        {0x3FF800, 0x400800, FRAME_RESERVED}, /* unaligned: both frames it touches */
    };
    (void)state;
    host_pmm_boot(64 * MiB);
    pmem_init(r, 2, res, 4);
    assert_int_equal(pmem_use(0x14F000), FRAME_IMAGE);
    assert_int_equal(pmem_use(0x150000), FRAME_TELEMETRY);
    assert_int_equal(pmem_use(0x157000), FRAME_TELEMETRY);
    assert_int_equal(pmem_use(0x158000), FRAME_IMAGE);
    assert_int_equal(pmem_use(0x300000), FRAME_BOOT);
    assert_int_equal(pmem_use(0x3FF000), FRAME_RESERVED);
    assert_int_equal(pmem_use(0x400000), FRAME_RESERVED);
    assert_int_equal(pmem_use(0x401000), FRAME_FREE);
    assert_int_equal(pmem_use(0x9E000), FRAME_RESERVED); /* the first MiB */
    /* 0x9F low, 256 image (telemetry's 8 among them), 1 boot, 2 firmware, the records */
    assert_int_equal(pmem_stats()->reserved, 0x9F + 256 + 1 + 2 + pmem_stats()->metadata);
    res[2].use = FRAME_FREE;
    EXPECT_PANIC(pmem_init(r, 2, res, 4), "pmem_init: reserved range 0x00300000-0x00301000 says use 2");
}

/* RAM from 768 MiB to 4 GiB is not used, but pmm says where it is, merged. */
static void test_unused_spans(void **state)
{
    struct pmm_region r[] = {
        {MiB, 1024ull * MiB - MiB},      {0xE0000000ull, 0x1000000},
        {0xE1000000ull, 0x1000000},      /* touching */
        {0x30001000ull, 0x2000},         /* inside the first */
        {0x100000000ull, 0x10000000ull}, /* above 4 GiB */
        {0xFFFFF000ull, 0x2000},         /* across 4 GiB */
    };
    struct pmm_range k = {MiB, 2 * MiB, FRAME_IMAGE};
    const struct pmm_span *sp;
    int n;
    (void)state;
    host_pmm_boot(64 * MiB);
    pmem_init(r, 6, &k, 1);
    sp = pmem_unused(&n);
    assert_int_equal(n, 3);
    assert_int_equal(sp[0].first, PMM_LIMIT / 4096);
    assert_int_equal(sp[0].end, 1024 * MiB / 4096);
    assert_int_equal(sp[1].first, 0xE0000);
    assert_int_equal(sp[1].end, 0xE2000);
    assert_int_equal(sp[2].first, 0xFFFFF);
    assert_int_equal(sp[2].end, 0x100000);
    host_pmm_boot(64 * MiB);
    pmem_unused(&n);
    assert_int_equal(n, 0);
}

/* Every change of a frame's use is told, after it happened. */
static struct {
    uint32_t pa;
    enum frame_use from, to, now;
    int calls;
} told;

static void note_use(uint32_t pa, enum frame_use from, enum frame_use to)
{
    told.pa = pa;
    told.from = from;
    told.to = to;
    told.now = pmem_use(pa);
    told.calls++;
}

static void test_use_hook(void **state)
{
    struct vmm_hooks hooks = {.frame_use = note_use};
    uint32_t pa, dir;
    (void)state;
    host_pmm_boot(64 * MiB);
    vmm_set_hooks(&hooks);
    memset(&told, 0, sizeof told);
    pa = pmem_alloc_for(FRAME_PROCESS);
    assert_int_equal(told.calls, 1);
    assert_int_equal(told.pa, pa);
    assert_int_equal(told.from, FRAME_FREE);
    assert_int_equal(told.to, FRAME_PROCESS);
    assert_int_equal(told.now, FRAME_PROCESS);
    pmem_ref(pa);
    pmem_unref(pa);
    assert_int_equal(told.calls, 1); /* references are not uses */
    pmem_unref(pa);
    assert_int_equal(told.calls, 2);
    assert_int_equal(told.from, FRAME_PROCESS);
    assert_int_equal(told.to, FRAME_FREE);
    assert_int_equal(told.now, FRAME_FREE);
    dir = pmem_alloc_for(FRAME_PAGE_DIR);
    assert_int_equal(pmem_stats()->page_dirs, 1);
    assert_int_equal(pmem_stats()->page_tables, 1);
    EXPECT_PANIC(pmem_ref(dir), "pmem_ref: frame");
    pmem_free(dir);
    assert_int_equal(told.from, FRAME_PAGE_DIR);
    assert_int_equal(pmem_stats()->page_dirs, 0);
    vmm_set_hooks(0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(pmem_use_name(FRAME_PAGE_TABLE), "page table");
    assert_string_equal(pmem_use_name(FRAME_ABSENT), "absent");
    assert_string_equal(pmem_use_name((enum frame_use)42), "invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_counts),        cmocka_unit_test(test_alloc_lowest_first),
        cmocka_unit_test(test_exhaust_and_refill), cmocka_unit_test(test_counters_by_use),
        cmocka_unit_test(test_bad_frees_panic),    cmocka_unit_test(test_references),
        cmocka_unit_test(test_junk_fill),          cmocka_unit_test(test_limit_768),
        cmocka_unit_test(test_metadata_placement), cmocka_unit_test(test_init_failures),
        cmocka_unit_test(test_range_uses),         cmocka_unit_test(test_unused_spans),
        cmocka_unit_test(test_use_hook),           cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
