/*
 * test_heap.c: kmalloc/kfree over a plain buffer standing in for the
 * kernel's demand-zero heap.
 *
 *   area (64 KiB, 16-aligned)
 *   | hdr | a | hdr | b | hdr | c | ...  top ->   untouched   | limit
 *
 * Headers are 16 bytes; a block is its payload rounded up to 16, plus the
 * header, at least 32 bytes.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include "host_arch.h"
#include "../heap.h"

#define AREA 65536
static unsigned char *area;

static int setup(void **state)
{
    (void)state;
    if (!area)
        area = aligned_alloc(HEAP_PAGE, AREA);
    memset(area, 0xEE, AREA);
    heap_init(area, AREA);
    return 0;
}

static struct heap_stats check(void)
{
    struct heap_stats s;
    heap_check(&s);
    return s;
}

static void test_alloc_basics(void **state)
{
    unsigned char *a, *b;
    (void)state;
    assert_null(kmalloc(0));
    a = kmalloc(1);
    b = kmalloc(100);
    assert_ptr_equal(a, area + 16);
    assert_ptr_equal(b, area + 16 + 32); /* a's block: 16 + 16 */
    assert_int_equal((uintptr_t)b % HEAP_ALIGN, 0);
    memset(b, 0x33, 100);
    assert_int_equal(a[0], 0xEE);
    assert_int_equal(check().used_blocks, 2);
    assert_int_equal(check().extent, 32 + 128);
    assert_null(kmalloc(AREA)); /* larger than the area */
    assert_null(kmalloc((size_t)-1));
    assert_int_equal(check().failures, 3);
    assert_int_equal(check().allocs, 2);
    kfree(0);
}

static void test_reuse_and_top(void **state)
{
    void *a, *b;
    (void)state;
    a = kmalloc(200);
    b = kmalloc(200);
    kfree(a);
    assert_int_equal(check().free_blocks, 1);
    assert_ptr_equal(kmalloc(200), a); /* first fit finds it */
    kfree(b);                          /* the top block: the top moves down */
    assert_int_equal(check().extent, 224);
    assert_int_equal(check().free_blocks, 0);
    kfree(a);
    assert_int_equal(check().extent, 0);
    assert_int_equal(check().frees, 3);
}

static void test_coalesce(void **state)
{
    void *a, *b, *c, *d;
    (void)state;
    a = kmalloc(100);
    b = kmalloc(100);
    c = kmalloc(100);
    d = kmalloc(100);
    kfree(a);
    kfree(c);
    assert_int_equal(check().free_blocks, 2);
    kfree(b); /* joins a and c */
    assert_int_equal(check().free_blocks, 1);
    assert_int_equal(check().free_bytes, 3 * 128);
    assert_ptr_equal(kmalloc(3 * 128 - 16), a); /* the merged block, whole */
    assert_int_equal(check().free_blocks, 0);
    kfree(d);
}

static void test_split(void **state)
{
    void *a, *b, *c;
    (void)state;
    a = kmalloc(1000);
    b = kmalloc(16); /* keeps a away from the top */
    kfree(a);
    c = kmalloc(100);
    assert_ptr_equal(c, a);
    assert_int_equal(check().free_blocks, 1);
    assert_int_equal(check().free_bytes, 1024 - 128);
    kfree(c);
    kfree(b);
    assert_int_equal(check().extent, 0);
}

static void test_full(void **state)
{
    int n = 0;
    (void)state;
    while (kmalloc(1000))
        n++;
    assert_int_equal(n, AREA / 1024);
    kzalloc(1);
    assert_true(check().failures >= 1);
    heap_init(area + 3, 61); /* unaligned base: rounded up */
    assert_ptr_equal(kmalloc(16), area + 32);
    assert_null(kmalloc(16));
    heap_init(area, 0);
    assert_null(kmalloc(1));
}

static void test_kzalloc_and_junk(void **state)
{
    unsigned char *a, *b;
    (void)state;
    a = kmalloc(64);
    memset(a, 0xFF, 64);
    b = kmalloc(16);
    kfree(a);
    assert_int_equal(a[63], 0x6B); /* junk after free */
    a = kzalloc(64);
    assert_int_equal(a[0] | a[63], 0);
    kfree(b);
    kfree(a);
}

static void test_bad_frees_panic(void **state)
{
    unsigned char *a, *b;
    int x;
    (void)state;
    a = kmalloc(64);
    b = kmalloc(64);
    kfree(a);
    EXPECT_PANIC(kfree(a), "is already free");
    EXPECT_PANIC(kfree(&x), "is not in the heap");
    EXPECT_PANIC(kfree(b + 1), "is not in the heap");
    EXPECT_PANIC(kfree(b + 16), "is not a block kmalloc returned");
    EXPECT_PANIC(kfree(area + 4096), "is not a block kmalloc returned"); /* above the top */
    kfree(b);
    EXPECT_PANIC(kfree(b), "is already free"); /* freed at the top */
}

static void test_check_finds_corruption(void **state)
{
    unsigned char *a, *b, *c;
    (void)state;
    a = kmalloc(64);
    b = kmalloc(64);
    c = kmalloc(64);
    (void)c;
    memset(b - 16, 0, 4);
    EXPECT_PANIC(heap_check(0), "heap_check: block");
    EXPECT_PANIC(kfree(b), "is not a block kmalloc returned");
    heap_init(area, AREA);
    a = kmalloc(64);
    b = kmalloc(64);
    ((uint32_t *)(b - 16))[1] = 8; /* size */
    EXPECT_PANIC(heap_check(0), "has bad size 8");
    heap_init(area, AREA);
    a = kmalloc(64);
    b = kmalloc(64);
    ((uint32_t *)(b - 16))[2] = 48; /* size of the block below */
    EXPECT_PANIC(heap_check(0), "says the one below has 48 bytes, not 80");
    heap_init(area, AREA);
    a = kmalloc(64);
    b = kmalloc(64);
    c = kmalloc(64);
    kfree(a);
    ((uint32_t *)(b - 16))[0] = 0x46524545u; /* b claims to be free, unmerged */
    EXPECT_PANIC(heap_check(0), "were not merged");
}

/* Random allocations and frees, each block filled with its own byte. */
static void test_random(void **state)
{
    enum { SLOTS = 64 };
    unsigned char *p[SLOTS] = {0};
    size_t len[SLOTS];
    unsigned seed = 12345;
    int i, j;
    (void)state;
    for (i = 0; i < 20000; i++) {
        int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % SLOTS;
        if (p[k]) {
            for (j = 0; j < (int)len[k]; j++)
                assert_int_equal(p[k][j], (unsigned char)k);
            kfree(p[k]);
            p[k] = 0;
        } else {
            len[k] = 1 + ((seed >> 8) % 900);
            p[k] = kmalloc(len[k]);
            if (p[k])
                memset(p[k], k, len[k]);
        }
        if (i % 500 == 0)
            heap_check(0);
    }
    for (i = 0; i < SLOTS; i++)
        kfree(p[i]);
    assert_int_equal(check().extent, 0);
}

/*
 * A backed heap, as the kernel's: an area of pages that are not memory until
 * the backing says so (PROT_NONE until back() opens them, so a touch of a
 * page the heap did not ask for crashes the test), with a budget of pages
 * after which back() fails, as pmm does when no frame is left.
 */
static unsigned char *backed_area;
static int budget, backed_pages, back_calls, release_calls;

static int fake_back(uintptr_t start, uintptr_t end)
{
    int pages = (int)((end - start) / HEAP_PAGE);
    back_calls++;
    assert_int_equal(start % HEAP_PAGE, 0);
    assert_int_equal(end % HEAP_PAGE, 0);
    if (pages > budget)
        return -1;
    budget -= pages;
    backed_pages += pages;
    assert_int_equal(mprotect((void *)start, end - start, PROT_READ | PROT_WRITE), 0);
    return 0;
}

static void fake_release(uintptr_t start, uintptr_t end)
{
    release_calls++;
    backed_pages -= (int)((end - start) / HEAP_PAGE);
    budget += (int)((end - start) / HEAP_PAGE);
    assert_int_equal(mprotect((void *)start, end - start, PROT_NONE), 0);
}

static const struct heap_backing fake = {fake_back, fake_release};

static int setup_backed(void **state)
{
    (void)state;
    if (!backed_area)
        backed_area = mmap(0, AREA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(backed_area != MAP_FAILED);
    assert_int_equal(mprotect(backed_area, AREA, PROT_NONE), 0);
    heap_init(backed_area, AREA);
    heap_set_backing(&fake);
    budget = 4;
    backed_pages = back_calls = release_calls = 0;
    return 0;
}

static void test_backing_follows_the_top(void **state)
{
    (void)state;
    unsigned char *a = kmalloc(100), *b, *c;
    assert_non_null(a);
    assert_int_equal(backed_pages, 1);
    memset(a, 1, 100);
    b = kmalloc(8100); /* runs into the second and third pages */
    assert_non_null(b);
    assert_int_equal(backed_pages, 3);
    memset(b, 2, 8100);
    assert_int_equal(check().backed, 3 * HEAP_PAGE);
    c = kmalloc(9000); /* needs two more pages: only one is left */
    assert_null(c);
    assert_int_equal(check().failures, 1);
    assert_int_equal(backed_pages, 3); /* nothing changed */
    assert_int_equal(check().extent, 128 + 8128);
    kfree(b); /* the top comes down: pages 2, 3 go */
    assert_int_equal(backed_pages, 1);
    assert_int_equal(release_calls, 1);
    c = kmalloc(9000); /* fits now */
    assert_non_null(c);
    memset(c, 3, 9000);
    kfree(a); /* not the top: nothing given back */
    assert_int_equal(backed_pages, 3);
    kfree(c); /* everything gone: no page kept */
    assert_int_equal(backed_pages, 0);
    assert_int_equal(check().backed, 0);
    assert_int_equal(budget, 4);
}

static void test_backing_in_use_panics(void **state)
{
    (void)state;
    void *a = kmalloc(10);
    EXPECT_PANIC(heap_set_backing(&fake), "in use already");
    kfree(a);
    heap_init(area + 16, AREA - 16);
    EXPECT_PANIC(heap_set_backing(&fake), "not page-aligned");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_alloc_basics, setup),
        cmocka_unit_test_setup(test_reuse_and_top, setup),
        cmocka_unit_test_setup(test_coalesce, setup),
        cmocka_unit_test_setup(test_split, setup),
        cmocka_unit_test_setup(test_full, setup),
        cmocka_unit_test_setup(test_kzalloc_and_junk, setup),
        cmocka_unit_test_setup(test_bad_frees_panic, setup),
        cmocka_unit_test_setup(test_check_finds_corruption, setup),
        cmocka_unit_test_setup(test_random, setup),
        cmocka_unit_test_setup(test_backing_follows_the_top, setup_backed),
        cmocka_unit_test_setup(test_backing_in_use_panics, setup_backed),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
