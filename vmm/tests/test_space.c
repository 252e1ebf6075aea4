/*
 * test_space.c: vmem_init (with and without PSE and PGE), address spaces
 * (create, destroy, switch, clone), the walker and the invariant checks.
 *
 *   host_boot's 64 MiB machine (host_arch.h). Kernel directory after vmem_init:
 *
 *   PDE 768..783   direct map of 64 MiB: 16 x 4 MiB pages, or 16 tables without PSE
 *   PDE 960..967   kernel heap: 8 empty tables
 *   PDE 1023       the "physwin" table (a reserved frame at 0x001FF000)
 *
 *   User spaces map a few pages at 0x00400000 (PDE 1) and 0x10000000 (PDE 64).
 */
#include <stdlib.h>
#include "host_arch.h"
#include "../pmm.h"
#include "../vmm.h"

#define URW (PTE_U | PTE_W)
#define MiB (1u << 20)

static void test_init_pse_pge(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 1, 1);
    (void)state;
    assert_ptr_equal(K, vmm_kernel_space());
    assert_int_equal(K->id, 0);
    assert_int_equal(host_log.pse, 1);
    assert_int_equal(host_log.pge, 1);
    assert_int_equal(host_log.cr3_loads, 0); /* loading is the caller's move */
    assert_null(vmm_current_space());
    assert_int_equal(K->large, 16);
    assert_int_equal(K->tables, 8);
    assert_int_equal(K->pages, 0);
    assert_int_equal(K->pd[768], PTE_P | PTE_W | PDE_PS | PTE_G);
    assert_int_equal(K->pd[783], (60 * MiB) | PTE_P | PTE_W | PDE_PS | PTE_G);
    assert_int_equal(K->pd[784], 0);
    assert_int_equal(K->pd[1023], HOST_PHYSWIN_TABLE | PTE_P | PTE_W);
    assert_int_equal(vmm_stats()->direct_map_bytes, 64 * MiB);
    assert_int_equal(vmm_stats()->direct_map_large, 64 * MiB);
    assert_int_equal(vmm_stats()->direct_map_tables, 0);
    assert_int_equal(pmem_stats()->page_tables, 9); /* directory + heap tables */
    assert_non_null(vmm_region_find(K, KHEAP_BASE + 0x1000));
    assert_int_equal(vmem_get_phys_addr(K->pd, KERNEL_BASE + 0x3FFFFFF), 0x3FFFFFF);
    assert_int_equal(vmem_get_phys_addr(K->pd, KERNEL_BASE + 64 * MiB), 0);
    assert_int_equal(vmem_get_phys_addr(K->pd, 0), 0); /* no identity map */
    vmm_check(K);
}

static void test_init_without_pse(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 0, 1);
    uint32_t *table;
    struct vmm_translation t;
    (void)state;
    assert_int_equal(host_log.pse, 0);
    assert_int_equal(K->large, 0);
    assert_int_equal(K->tables, 16 + 8);
    assert_int_equal(K->pages, 16384);
    assert_int_equal(vmm_stats()->direct_map_tables, 16);
    table = (uint32_t *)(host_ram + frame_of(K->pd[769]));
    assert_int_equal(table[5], (4 * MiB + 5 * 4096) | PTE_P | PTE_W | PTE_G);
    assert_int_equal(pmem_frame(frame_of(K->pd[769]))->entries, 1024);
    assert_int_equal(vmem_get_phys_addr(K->pd, KERNEL_BASE + 0x1234567), 0x1234567);
    assert_int_equal(vmm_translate(K, KERNEL_BASE + 0x1234567, &t), VMM_OK);
    assert_int_equal(t.large, 0);
    vmm_check(K);
}

static int no_global(void *ctx, const struct vmm_entry *e)
{
    (void)ctx;
    assert_int_equal(e->entry & PTE_G, 0);
    return 0;
}

static void test_init_without_pge(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 0, 0), *A;
    uint32_t pa = pmem_alloc();
    (void)state;
    assert_int_equal(host_log.pge, 0);
    A = vmm_space_create();
    assert_int_equal(vmm_map(A, KHEAP_BASE, pa, PTE_W), VMM_OK);
    assert_int_equal(vmm_protect(A, KHEAP_BASE, PTE_W), VMM_OK);
    assert_int_equal(vmm_walk(K, VMM_WALK_KERNEL, no_global, 0), 0);
    host_boot(HOST_RAM_SIZE, 1, 0);
    assert_int_equal(vmm_walk(vmm_kernel_space(), VMM_WALK_KERNEL, no_global, 0), 0);
}

/* RAM ending 8 KiB past 62 MiB: 15 whole 4 MiB pages, then a table of 514 entries. */
static void test_init_ragged_top(void **state)
{
    uint32_t top = 62 * MiB + 0x2000;
    struct address_space *K = host_boot(top, 1, 1);
    (void)state;
    assert_int_equal(K->large, 15);
    assert_int_equal(K->pages, 514);
    assert_int_equal(K->tables, 9);
    assert_int_equal(vmem_get_phys_addr(K->pd, KERNEL_BASE + top - 4096), top - 4096);
    assert_int_equal(vmem_get_phys_addr(K->pd, KERNEL_BASE + top), 0);
    assert_int_equal(vmm_stats()->direct_map_bytes, top);
    vmm_check(K);
}

static void test_init_panics(void **state)
{
    struct vmem_config user_window = {1, 1, HOST_PHYSWIN_TABLE | PTE_P | PTE_W | PTE_U};
    struct vmem_config ok = {0, 0, 0};
    (void)state;
    host_pmm_boot(HOST_RAM_SIZE);
    EXPECT_PANIC(vmem_init(&user_window), "vmem_init: physical window PDE 0x001ff007");
    host_pmm_boot(2 * MiB + 0x2000); /* every frame holds pmm's records */
    EXPECT_PANIC(vmem_init(&ok), "vmem_init: out of memory for the kernel page directory");
    host_pmm_boot(2 * MiB + 0x8000); /* room for a few tables only */
    EXPECT_PANIC(vmem_init(&ok), "vmem_init: out of memory for the table of PDE");
}

static uint32_t map_owned(struct address_space *as, uint32_t va, unsigned char fill)
{
    uint32_t pa = host_frame(fill);
    assert_int_equal(vmm_map(as, va, pa, URW), VMM_OK);
    pmem_unref(pa);
    return pa;
}

static void test_create_shares_kernel_half(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 1, 1), *A, *B;
    int i;
    (void)state;
    A = vmm_space_create();
    B = vmm_space_create();
    assert_int_equal(A->id, 1);
    assert_int_equal(B->id, 2);
    assert_int_not_equal(A->pd_phys, B->pd_phys);
    for (i = 0; i < 768; i++)
        assert_int_equal(A->pd[i], 0);
    assert_memory_equal(&A->pd[768], &K->pd[768], 256 * 4);
    assert_int_equal(vmm_stats()->spaces, 3);
    assert_int_equal(pmem_use(A->pd_phys), FRAME_PAGE_DIR);
    vmm_check(A);
}

static void test_destroy_returns_everything(void **state)
{
    struct address_space *A;
    struct pmm_stats before;
    uint32_t i;
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    memcpy(&before, pmem_stats(), sizeof before);
    A = vmm_space_create();
    for (i = 0; i < 100; i++)
        map_owned(A, 0x00400000 + i * 0x10000, (unsigned char)i); /* spans PDEs 1 and 2 */
    map_owned(A, 0x10000000, 1);
    assert_int_equal(vmm_map(A, 0x10001000, 0xFEC00000, URW | PTE_PCD), VMM_OK); /* device */
    assert_int_equal(vmm_map_large(A, 0x20000000, 0x01000000, URW), VMM_OK);
    assert_int_equal(A->pages, 102);
    assert_int_equal(A->tables, 3);
    assert_int_equal(pmem_stats()->process, 101);
    vmm_check(A);
    assert_int_equal(vmm_space_destroy(A), VMM_OK);
    assert_int_equal(pmem_stats()->free, before.free);
    assert_int_equal(pmem_stats()->process, before.process);
    assert_int_equal(pmem_stats()->page_tables, before.page_tables);
    assert_int_equal(vmm_stats()->spaces, 1);
    EXPECT_PANIC(vmm_space_destroy(A), "vmm_space_destroy:");
    EXPECT_PANIC(vmm_space_destroy((struct address_space *)&before), "is not a live address space");
}

static void test_destroy_refuses_kernel_and_live(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 1, 1), *A = vmm_space_create();
    (void)state;
    assert_int_equal(vmm_space_destroy(K), VMM_EINVAL);
    vmm_space_switch(A);
    assert_int_equal(vmm_space_destroy(A), VMM_EINVAL);
    vmm_space_switch(K);
    assert_int_equal(host_log.cr3, K->pd_phys);
    assert_int_equal(host_log.cr3_loads, 2);
    assert_int_equal(vmm_space_destroy(A), VMM_OK);
    EXPECT_PANIC(vmm_space_switch(A), "vmm_space_switch:");
    EXPECT_PANIC(vmm_space_clone(A), "vmm_space_clone:");
}

static void test_space_slots_run_out(void **state)
{
    struct address_space *s[VMM_MAX_SPACES];
    int i;
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    for (i = 1; i < VMM_MAX_SPACES; i++)
        assert_non_null(s[i] = vmm_space_create());
    assert_null(vmm_space_create());
    assert_int_equal(vmm_space_destroy(s[7]), VMM_OK);
    assert_null(vmm_space_by_id(7));
    assert_ptr_equal(vmm_space_create(), s[7]); /* the slot is reused, not the id */
    assert_int_equal(s[7]->id, VMM_MAX_SPACES);
    assert_ptr_equal(vmm_space_by_id(VMM_MAX_SPACES), s[7]);
    assert_ptr_equal(vmm_space_at(7), s[7]);
    assert_ptr_equal(vmm_space_by_id(0), vmm_kernel_space());
    assert_null(vmm_space_at(-1));
    assert_null(vmm_space_at(VMM_MAX_SPACES));
}

static void test_clone(void **state)
{
    struct address_space *A, *C;
    uint32_t pa1, pa2, i;
    struct vmm_translation t;
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    A = vmm_space_create();
    pa1 = map_owned(A, 0x00400000, 0x5C);
    pa2 = map_owned(A, 0x10000000, 0x7E);
    assert_int_equal(vmm_protect(A, 0x10000000, PTE_U), VMM_OK);
    assert_int_equal(vmm_map(A, 0x10001000, 0xFEC00000, URW | PTE_PCD), VMM_OK);
    assert_int_equal(vmm_map_large(A, 0x20000000, 0x01000000, URW), VMM_OK);
    assert_int_equal(vmm_region_add(A, 0x30000000, 0x30010000, REGION_DEMAND_ZERO), VMM_OK);
    C = vmm_space_clone(A);
    assert_non_null(C);
    assert_int_not_equal(C->id, A->id);
    assert_int_equal(C->pages, A->pages);
    assert_int_equal(C->tables, A->tables);
    assert_int_equal(C->large, 1);
    /* Equal contents, different frames. */
    assert_int_equal(vmm_translate(C, 0x00400000, &t), VMM_OK);
    assert_int_not_equal(t.pa, pa1);
    assert_memory_equal(host_ram + t.pa, host_ram + pa1, 4096);
    assert_int_equal(t.flags, PTE_P | URW);
    assert_int_equal(vmm_translate(C, 0x10000000, &t), VMM_OK);
    assert_int_not_equal(t.pa, pa2);
    assert_int_equal(host_ram[t.pa + 100], 0x7E);
    assert_int_equal(t.flags, PTE_P | PTE_U);
    /* Device memory and 4 MiB pages are shared. */
    assert_int_equal(vmem_get_phys_addr(C->pd, 0x10001000), 0xFEC00000);
    assert_int_equal(vmem_get_phys_addr(C->pd, 0x20000010), 0x01000010);
    assert_non_null(vmm_region_find(C, 0x30000000));
    /* Writing one leaves the other alone. */
    host_ram[t.pa] = 1;
    assert_int_equal(host_ram[pa2], 0x7E);
    vmm_check(C);
    assert_int_equal(vmm_space_destroy(C), VMM_OK);
    for (i = 0; i < 2; i++)
        assert_int_equal(pmem_use(i ? pa2 : pa1), FRAME_PROCESS);
    vmm_check(A);
}

static void test_clone_out_of_memory(void **state)
{
    struct address_space *A;
    struct pmm_stats before;
    uint32_t i, n = 0, spare[64];
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    A = vmm_space_create();
    for (i = 0; i < 40; i++)
        map_owned(A, 0x00400000 + i * 4096, 3);
    /* Leave room for the directory, a table and a few pages, not for all 40. */
    while (pmem_stats()->free > 10)
        pmem_alloc();
    memcpy(&before, pmem_stats(), sizeof before);
    assert_null(vmm_space_clone(A));
    assert_int_equal(pmem_stats()->free, before.free);
    assert_int_equal(pmem_stats()->page_tables, before.page_tables);
    assert_int_equal(vmm_stats()->spaces, 2);
    /* No frame for the table: also NULL. */
    while ((spare[n] = pmem_alloc()) != 0 && pmem_stats()->free > 1)
        n++;
    assert_null(vmm_space_clone(A));
    assert_int_equal(pmem_stats()->free, 1);
}

static void test_kernel_pdes_fixed(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 1, 1), *A = vmm_space_create();
    uint32_t saved = K->pd[1000];
    (void)state;
    K->pd[1000] = 0x00300000 | PTE_P | PTE_W;
    EXPECT_PANIC(vmm_space_create(),
                 "vmm_space_create: kernel PDE 1000 is 0x00300003, vmem_init left 0x00000000");
    EXPECT_PANIC(vmm_check(K), "vmm_check: kernel PDE 1000 of space 0");
    K->pd[1000] = saved;
    A->pd[770] = 0;
    EXPECT_PANIC(vmm_check(A), "vmm_check: kernel PDE 770 of space 1");
    EXPECT_PANIC(vmm_check(0), "vmm_check: (nil) is not a live address space");
}

static void test_check_catches_broken_tables(void **state)
{
    struct address_space *K = host_boot(HOST_RAM_SIZE, 1, 1), *A = vmm_space_create();
    uint32_t *pte, kpa = pmem_alloc(), upa;
    (void)state;
    upa = map_owned(A, 0x00400000, 0);
    pte = (uint32_t *)(host_ram + frame_of(A->pd[1]));
    pte[1] = upa | PTE_P | PTE_U; /* behind vmm's back */
    EXPECT_PANIC(vmm_check(A), "counts 1 entries but has 2");
    pte[1] = 0;
    pte[0] &= ~PTE_U;
    EXPECT_PANIC(vmm_check(A), "vmm_check: user address 0x00400000 is not user-accessible");
    pte[0] |= PTE_U;
    A->pages++;
    EXPECT_PANIC(vmm_check(A), "vmm_check: space 1 counts 2 pages");
    A->pages--;
    A->pd[5] = kpa | PTE_P | PTE_W | PTE_U;
    EXPECT_PANIC(vmm_check(A), "vmm_check: PDE 5 points to frame");
    A->pd[5] = 0;
    assert_int_equal(vmm_map(A, KHEAP_BASE, kpa, PTE_W), VMM_OK);
    pte = (uint32_t *)(host_ram + frame_of(K->pd[PDX(KHEAP_BASE)]));
    pte[0] |= PTE_U;
    EXPECT_PANIC(vmm_check(K), "vmm_check: kernel address 0xf0000000 is user-accessible");
    pte[0] &= ~PTE_U;
    vmm_check(K);
    /* A table freed with entries left is a bug. */
    pmem_frame(frame_of(A->pd[1]))->entries = 2;
    EXPECT_PANIC(vmm_space_destroy(A), "vmm_table_release: table");
}

struct walk_log {
    int n, stop_at;
    uint32_t va[8];
    int level[8];
};

static int log_entry(void *ctx, const struct vmm_entry *e)
{
    struct walk_log *w = ctx;
    if (w->n < 8) {
        w->va[w->n] = e->va;
        w->level[w->n] = e->level;
    }
    return ++w->n == w->stop_at ? 42 : 0;
}

static void test_walk(void **state)
{
    struct address_space *A;
    struct walk_log w = {0, 0, {0}, {0}};
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    A = vmm_space_create();
    map_owned(A, 0x10000000, 0);
    map_owned(A, 0x00401000, 0);
    map_owned(A, 0x00400000, 0);
    assert_int_equal(vmm_map_large(A, 0x00800000, 0x01000000, URW), VMM_OK);
    assert_int_equal(vmm_walk(A, VMM_WALK_USER, log_entry, &w), 0);
    assert_int_equal(w.n, 6);
    assert_int_equal(w.va[0], 0x00400000);
    assert_int_equal(w.level[0], VMM_WALK_TABLE);
    assert_int_equal(w.va[1], 0x00400000);
    assert_int_equal(w.level[1], VMM_WALK_PAGE);
    assert_int_equal(w.va[2], 0x00401000);
    assert_int_equal(w.va[3], 0x00800000);
    assert_int_equal(w.level[3], VMM_WALK_LARGE);
    assert_int_equal(w.va[5], 0x10000000);
    w.n = 0;
    w.stop_at = 3;
    assert_int_equal(vmm_walk(A, VMM_WALK_USER | VMM_WALK_KERNEL, log_entry, &w), 42);
    assert_int_equal(w.n, 3);
    w.n = 0;
    w.stop_at = 0;
    assert_int_equal(vmm_walk(A, VMM_WALK_KERNEL, log_entry, &w), 0);
    assert_int_equal(w.va[0], KERNEL_BASE);
    assert_int_equal(w.level[0], VMM_WALK_LARGE);
    assert_int_equal(w.n, 16 + 8 + 1); /* direct map, heap tables, physwin */
    assert_int_equal(vmm_check(A), 6 + 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_pse_pge),
        cmocka_unit_test(test_init_without_pse),
        cmocka_unit_test(test_init_without_pge),
        cmocka_unit_test(test_init_ragged_top),
        cmocka_unit_test(test_init_panics),
        cmocka_unit_test(test_create_shares_kernel_half),
        cmocka_unit_test(test_destroy_returns_everything),
        cmocka_unit_test(test_destroy_refuses_kernel_and_live),
        cmocka_unit_test(test_space_slots_run_out),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_clone_out_of_memory),
        cmocka_unit_test(test_kernel_pdes_fixed),
        cmocka_unit_test(test_check_catches_broken_tables),
        cmocka_unit_test(test_walk),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
