/*
 * test_paging.c: map, unmap, protect, translate, ranges and 4 MiB pages in
 * one user address space, plus the error codes, the TLB calls and the hooks.
 *
 *   host_boot's 64 MiB machine (host_arch.h), PSE and PGE on;
 *   one user space A, pages at:
 *
 *   0x00400000  PDE 1   a lone page             (TEST_VA)
 *   0x007FC000  PDE 1   \ a range of 8 crossing
 *   0x00800000  PDE 2   /  into the next table
 *   0x00C00000  PDE 3   a 4 MiB page
 *   0xF0000000  PDE 960 kernel heap page, seen by every space
 */
#include <stdlib.h>
#include "host_arch.h"
#include "../hooks.h"
#include "../pmm.h"
#include "../vmm.h"

#define TEST_VA 0x00400000u
#define URW     (PTE_U | PTE_W)

static struct address_space *A;

static int setup(void **state)
{
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    A = vmm_space_create();
    assert_non_null(A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vmm_set_hooks(0);
    return 0;
}

/* A process frame owned only by the mapping about to be made. */
static uint32_t mapped_frame(uint32_t va, uint32_t flags)
{
    uint32_t pa = host_frame(0xAB);
    assert_int_equal(vmm_map(A, va, pa, flags), VMM_OK);
    assert_int_equal(pmem_unref(pa), 1);
    return pa;
}

static void test_map_translate(void **state)
{
    struct vmm_translation t;
    uint32_t pa = host_frame(0x11);
    (void)state;
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW), VMM_OK);
    assert_int_equal(pmem_frame(pa)->refs, 2); /* the owner's and the mapping's */
    assert_int_equal(vmem_get_phys_addr(A->pd, TEST_VA + 0x123), pa + 0x123);
    assert_int_equal(vmm_translate(A, TEST_VA + 0xFFF, &t), VMM_OK);
    assert_int_equal(t.pa, pa + 0xFFF);
    assert_int_equal(t.flags, PTE_P | URW);
    assert_int_equal(t.large, 0);
    assert_int_equal(t.missing, VMM_MISSING_NONE);
    assert_int_equal(A->pages, 1);
    assert_int_equal(A->tables, 1);
    assert_int_equal(pmem_frame(frame_of(A->pd[1]))->entries, 1);
    assert_int_equal(A->pd[1] & PTE_FLAGS, PTE_P | PTE_W | PTE_U);
    vmm_check(A);
}

static void test_translate_missing(void **state)
{
    struct vmm_translation t;
    (void)state;
    mapped_frame(TEST_VA, URW);
    assert_int_equal(vmm_translate(A, 0x10000000, &t), VMM_ENOENT);
    assert_int_equal(t.missing, VMM_MISSING_PDE);
    assert_int_equal(vmm_translate(A, TEST_VA + 4096, &t), VMM_ENOENT);
    assert_int_equal(t.missing, VMM_MISSING_PTE);
    assert_int_equal(vmem_get_phys_addr(A->pd, 0x10000000), 0);
    assert_int_equal(vmem_get_phys_addr(A->pd, TEST_VA + 4096), 0);
    /* the direct map: 4 MiB pages */
    assert_int_equal(vmem_get_phys_addr(A->pd, KERNEL_BASE + 0x123456), 0x123456);
    assert_int_equal(vmm_translate(A, KERNEL_BASE + 0x1234, &t), VMM_OK);
    assert_int_equal(t.large, 1);
    assert_int_equal(t.pa, 0x1234);
    assert_int_equal(t.flags & (PTE_U | PTE_G | PDE_PS), PTE_G | PDE_PS);
}

static void test_error_codes(void **state)
{
    uint32_t pa = host_frame(0), table = pmem_alloc_for(FRAME_PAGE_TABLE), free_pa = pmem_alloc();
    (void)state;
    pmem_free(free_pa);
    assert_int_equal(vmm_map(A, TEST_VA + 1, pa, URW), VMM_EUNALIGNED);
    assert_int_equal(vmm_map(A, TEST_VA, pa + 8, URW), VMM_EUNALIGNED);
    assert_int_equal(vmm_map(A, TEST_VA, pa, PTE_W), VMM_EINVAL);       /* user page without U */
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW | PTE_G), VMM_EINVAL); /* G is vmm's to set */
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW | PTE_A), VMM_EINVAL);
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW | PDE_PS), VMM_EINVAL);
    assert_int_equal(vmm_map(A, KHEAP_BASE, pa, URW), VMM_EINVAL);               /* kernel page with U */
    assert_int_equal(vmm_map(A, KERNEL_BASE + 0x100000, pa, PTE_W), VMM_EINVAL); /* direct map is fixed */
    assert_int_equal(vmm_map(A, 0xFFFFF000, pa, PTE_W), VMM_EINVAL);             /* physwin */
    assert_int_equal(vmm_map(A, TEST_VA, free_pa, URW), VMM_EINVAL);             /* nobody's frame */
    assert_int_equal(vmm_map(A, TEST_VA, table, URW), VMM_EINVAL);               /* a page table */
    assert_int_equal(A->tables, 0);                                              /* nothing was left behind */
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW), VMM_OK);
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW), VMM_EEXIST);
    assert_int_equal(vmm_unmap(A, TEST_VA + 4096, 0), VMM_ENOENT);
    assert_int_equal(vmm_unmap(A, 0x20000000, 0), VMM_ENOENT);
    assert_int_equal(vmm_unmap(A, TEST_VA + 2, 0), VMM_EUNALIGNED);
    assert_int_equal(vmm_unmap(A, KERNEL_BASE, 0), VMM_EINVAL);
    assert_int_equal(vmm_protect(A, TEST_VA + 4096, URW), VMM_ENOENT);
    assert_int_equal(vmm_protect(A, TEST_VA, PTE_W), VMM_EINVAL);
    assert_int_equal(vmm_protect(A, TEST_VA, URW | PTE_D), VMM_EINVAL);
    assert_int_equal(vmm_protect(A, TEST_VA + 12, URW), VMM_EUNALIGNED);
    assert_string_equal(vmm_strerror(VMM_OK), "success");
    assert_string_equal(vmm_strerror(VMM_EUNALIGNED), "unaligned address");
    assert_string_equal(vmm_strerror(VMM_EEXIST), "already mapped");
    assert_string_equal(vmm_strerror(VMM_ENOENT), "not mapped");
    assert_string_equal(vmm_strerror(VMM_ENOMEM), "out of memory");
    assert_string_equal(vmm_strerror(VMM_EINVAL), "invalid argument");
    assert_string_equal(vmm_strerror(-99), "unknown error");
    vmm_check(A);
}

static void test_out_of_memory(void **state)
{
    uint32_t pa = host_frame(0), pa2 = host_frame(0), spare;
    (void)state;
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW), VMM_OK);
    while ((spare = pmem_alloc()) != 0)
        ;
    /* A new table is needed and none is left: ENOMEM, nothing changed. */
    assert_int_equal(vmm_map(A, 0x10000000, pa2, URW), VMM_ENOMEM);
    assert_int_equal(vmm_map_range(A, 0x10000000, pa2, 1, URW), VMM_ENOMEM);
    assert_int_equal(A->tables, 1);
    assert_int_equal(A->pages, 1);
    /* The existing table still takes pages. */
    assert_int_equal(vmm_map(A, TEST_VA + 4096, pa2, URW), VMM_OK);
    /* A range needing a second table fails as a whole. */
    assert_int_equal(vmm_unmap(A, TEST_VA + 4096, 0), VMM_OK);
    assert_int_equal(vmm_map_range(A, 0x007FE000, 0xFE000000, 4, URW), VMM_ENOMEM);
    assert_int_equal(A->pages, 1);
    assert_int_equal(vmem_get_phys_addr(A->pd, 0x007FE000), 0);
    assert_null(vmem_alloc_pmem());
    assert_null(vmem_ptable_new());
    assert_null(vmm_space_create());
    vmm_check(A);
}

static void test_tables_freed_when_empty(void **state)
{
    uint32_t before = pmem_stats()->page_tables, pa, table;
    (void)state;
    mapped_frame(TEST_VA, URW);
    pa = mapped_frame(TEST_VA + 4096, URW);
    table = frame_of(A->pd[1]);
    assert_int_equal(pmem_stats()->page_tables, before + 1);
    assert_int_equal(vmm_unmap(A, TEST_VA + 4096, &pa), VMM_OK);
    assert_int_equal(pmem_use(pa), FRAME_FREE); /* the mapping owned it */
    assert_int_equal(A->tables, 1);
    assert_int_equal(pmem_frame(table)->entries, 1);
    assert_int_equal(vmm_unmap(A, TEST_VA, 0), VMM_OK);
    assert_int_equal(A->tables, 0);
    assert_int_equal(A->pages, 0);
    assert_int_equal(A->pd[1], 0);
    assert_int_equal(pmem_use(table), FRAME_FREE);
    assert_int_equal(pmem_stats()->page_tables, before);
    assert_int_equal(vmm_stats()->tables_freed, 1);
}

static void test_unmap_returns_frame(void **state)
{
    uint32_t pa = host_frame(0x22), got = 0;
    (void)state;
    assert_int_equal(vmm_map(A, TEST_VA, pa, URW), VMM_OK);
    assert_int_equal(vmm_unmap(A, TEST_VA, &got), VMM_OK);
    assert_int_equal(got, pa);
    assert_int_equal(pmem_frame(pa)->refs, 1); /* the caller still owns it */
    assert_int_equal(host_ram[pa], 0x22);
    pmem_free(pa);
}

static void test_protect(void **state)
{
    uint32_t pa = mapped_frame(TEST_VA, URW), *pte;
    struct vmm_translation t;
    (void)state;
    pte = (uint32_t *)(host_ram + frame_of(A->pd[1]));
    pte[0] |= PTE_A | PTE_D; /* as if the CPU had used it */
    assert_int_equal(vmm_protect(A, TEST_VA, PTE_U | PTE_PCD), VMM_OK);
    assert_int_equal(vmm_translate(A, TEST_VA, &t), VMM_OK);
    assert_int_equal(t.flags, PTE_P | PTE_U | PTE_PCD | PTE_A | PTE_D);
    assert_int_equal(t.pa, pa);
    assert_int_equal(vmm_stats()->protects, 1);
}

static void test_tlb_only_when_live(void **state)
{
    struct address_space *B = vmm_space_create();
    (void)state;
    mapped_frame(TEST_VA, URW);
    assert_int_equal(vmm_unmap(A, TEST_VA, 0), VMM_OK); /* nothing is live yet */
    assert_int_equal(host_log.invlpgs, 0);
    vmm_space_switch(B);
    assert_int_equal(host_log.cr3, B->pd_phys);
    assert_ptr_equal(vmm_current_space(), B);
    mapped_frame(TEST_VA, URW);
    assert_int_equal(vmm_protect(A, TEST_VA, PTE_U), VMM_OK); /* A is not live */
    assert_int_equal(host_log.invlpgs, 0);
    vmm_space_switch(A);
    assert_int_equal(vmm_protect(A, TEST_VA, URW), VMM_OK);
    assert_int_equal(host_log.invlpgs, 1);
    assert_int_equal(host_log.last_invlpg, TEST_VA);
    assert_int_equal(vmm_unmap(A, TEST_VA, 0), VMM_OK);
    assert_int_equal(host_log.invlpgs, 2);
    assert_int_equal(vmm_stats()->invlpgs, 2);
    assert_int_equal(vmm_stats()->switches, 2);
}

static void test_kernel_heap_pages_shared(void **state)
{
    struct address_space *B = vmm_space_create(), *K = vmm_kernel_space(), *C;
    uint32_t pa = pmem_alloc(), table = frame_of(K->pd[PDX(KHEAP_BASE)]), k_pages = K->pages;
    struct vmm_translation t;
    (void)state;
    vmm_space_switch(A);
    assert_int_equal(vmm_map(B, KHEAP_BASE, pa, PTE_W), VMM_OK);
    assert_int_equal(vmem_get_phys_addr(A->pd, KHEAP_BASE + 5), pa + 5);
    assert_int_equal(vmem_get_phys_addr(K->pd, KHEAP_BASE), pa);
    C = vmm_space_create();
    assert_int_equal(vmem_get_phys_addr(C->pd, KHEAP_BASE), pa);
    assert_int_equal(vmm_translate(C, KHEAP_BASE, &t), VMM_OK);
    assert_int_equal(t.flags, PTE_P | PTE_W | PTE_G);
    assert_int_equal(K->pages, k_pages + 1);
    assert_int_equal(B->pages, 0);
    /* Unmapping from B, which is not live, still drops the TLB entry: kernel pages are everywhere. */
    assert_int_equal(vmm_unmap(B, KHEAP_BASE, 0), VMM_OK);
    assert_int_equal(host_log.invlpgs, 1);
    assert_int_equal(K->pd[PDX(KHEAP_BASE)], table | PTE_P | PTE_W); /* the table stays */
    assert_int_equal(pmem_use(table), FRAME_PAGE_TABLE);
    assert_int_equal(pmem_frame(pa)->refs, 1);
    vmm_check(K);
    vmm_check(C);
}

static void test_ranges(void **state)
{
    uint32_t base = 0x007FC000, pa[8], i;
    struct vmm_translation t;
    (void)state;
    for (i = 0; i < 8; i++) {
        pa[i] = pmem_alloc_for(FRAME_PROCESS);
        assert_int_equal(pa[i], pa[0] + i * 4096); /* lowest first: consecutive */
    }
    assert_int_equal(vmm_map_range(A, base, pa[0], 8, URW), VMM_OK);
    for (i = 0; i < 8; i++) {
        assert_int_equal(vmem_get_phys_addr(A->pd, base + i * 4096), pa[i]);
        pmem_unref(pa[i]);
    }
    assert_int_equal(A->tables, 2);
    assert_int_equal(A->pages, 8);
    assert_int_equal(vmm_protect_range(A, base + 4096, 6, PTE_U), VMM_OK);
    assert_int_equal(vmm_translate(A, base, &t), VMM_OK);
    assert_int_equal(t.flags, PTE_P | URW);
    assert_int_equal(vmm_translate(A, base + 6 * 4096, &t), VMM_OK);
    assert_int_equal(t.flags, PTE_P | PTE_U);
    assert_int_equal(vmm_translate(A, base + 7 * 4096, &t), VMM_OK);
    assert_int_equal(t.flags, PTE_P | URW);
    assert_int_equal(vmm_protect_range(A, base, 8, PTE_W), VMM_EINVAL);
    vmm_check(A);
    assert_int_equal(vmm_unmap_range(A, base, 8), VMM_OK);
    assert_int_equal(A->tables, 0);
    assert_int_equal(A->pages, 0);
    assert_int_equal(pmem_use(pa[3]), FRAME_FREE);
}

static void test_ranges_all_or_nothing(void **state)
{
    uint32_t base = 0x007FC000, pa = host_frame(0), run = pmem_alloc_for(FRAME_PROCESS), i;
    struct vmm_translation t;
    (void)state;
    for (i = 1; i < 8; i++)
        pmem_alloc_for(FRAME_PROCESS);
    assert_int_equal(vmm_map(A, base + 5 * 4096, pa, URW), VMM_OK);
    assert_int_equal(vmm_map_range(A, base, run, 8, URW), VMM_EEXIST);
    assert_int_equal(A->pages, 1);
    assert_int_equal(A->tables, 1); /* PDE 1's table came and went */
    assert_int_equal(vmem_get_phys_addr(A->pd, base), 0);
    assert_int_equal(pmem_frame(run)->refs, 1);
    assert_int_equal(vmm_unmap_range(A, base, 8), VMM_ENOENT);
    assert_int_equal(vmm_protect_range(A, base, 8, PTE_U), VMM_ENOENT);
    assert_int_equal(vmm_translate(A, base + 5 * 4096, &t), VMM_OK);
    assert_int_equal(t.flags, PTE_P | URW);
    assert_int_equal(vmm_map_range(A, base, run, 0, URW), VMM_EINVAL);
    assert_int_equal(vmm_map_range(A, 0xBFFFF000, run, 2, URW), VMM_EINVAL);   /* crosses into the kernel */
    assert_int_equal(vmm_map_range(A, 0xFFFFF000, run, 2, PTE_W), VMM_EINVAL); /* wraps */
    assert_int_equal(vmm_map_range(A, base, 0xFFFFF000, 2, URW), VMM_EINVAL);  /* frames wrap */
    assert_int_equal(vmm_map_range(A, base + 1, run, 2, URW), VMM_EUNALIGNED);
    assert_int_equal(vmm_unmap_range(A, base, 0), VMM_EINVAL);
    assert_int_equal(vmm_unmap_range(A, KERNEL_BASE, 1), VMM_EINVAL);
    vmm_check(A);
}

static void test_unmap_range_flushes_once(void **state)
{
    uint32_t run = pmem_alloc_for(FRAME_PROCESS), i;
    (void)state;
    for (i = 1; i < 64; i++)
        pmem_alloc_for(FRAME_PROCESS);
    assert_int_equal(vmm_map_range(A, TEST_VA, run, 64, URW), VMM_OK);
    vmm_space_switch(A);
    assert_int_equal(vmm_unmap_range(A, TEST_VA, 64), VMM_OK);
    assert_int_equal(host_log.invlpgs, 0);
    assert_int_equal(host_log.flushes, 1);
    assert_int_equal(vmm_stats()->tlb_flushes, 1);
    assert_int_equal(A->pages, 0);
    assert_int_equal(A->tables, 0);
    assert_int_equal(pmem_frame(run + 63 * 4096)->refs, 1);
    /* A small range: one invlpg per page. */
    assert_int_equal(vmm_map_range(A, TEST_VA, run, 4, URW), VMM_OK);
    assert_int_equal(vmm_unmap_range(A, TEST_VA, 4), VMM_OK);
    assert_int_equal(host_log.invlpgs, 4);
}

static void test_large_pages(void **state)
{
    uint32_t va = 0x00C00000, pa = 0x01000000, got = 0;
    struct vmm_translation t;
    (void)state;
    assert_int_equal(vmm_map_large(A, va, pa, URW), VMM_OK);
    assert_int_equal(A->large, 1);
    assert_int_equal(vmem_get_phys_addr(A->pd, va + 0x3FFFFF), pa + 0x3FFFFF);
    assert_int_equal(vmm_translate(A, va + 0x1000, &t), VMM_OK);
    assert_int_equal(t.large, 1);
    assert_int_equal(t.flags, PTE_P | URW | PDE_PS);
    assert_int_equal(vmm_map(A, va + 0x1000, host_frame(0), URW), VMM_EEXIST);
    assert_int_equal(vmm_unmap(A, va + 0x1000, 0), VMM_EINVAL);
    assert_int_equal(vmm_protect(A, va, URW), VMM_EINVAL);
    assert_int_equal(vmm_map_large(A, va, pa, URW), VMM_EEXIST);
    assert_int_equal(vmm_map_large(A, va + 4096, pa, URW), VMM_EUNALIGNED);
    assert_int_equal(vmm_map_large(A, 0x01000000, pa + 4096, URW), VMM_EUNALIGNED);
    assert_int_equal(vmm_map_large(A, 0x01000000, pa, PTE_W), VMM_EINVAL);
    assert_int_equal(vmm_map_large(A, 0x01000000, pa, URW | PTE_A), VMM_EINVAL);
    assert_int_equal(vmm_map_large(A, KHEAP_BASE, pa, PTE_W), VMM_EINVAL);
    vmm_check(A);
    assert_int_equal(vmm_unmap_large(A, va, &got), VMM_OK);
    assert_int_equal(got, pa);
    assert_int_equal(A->large, 0);
    assert_int_equal(vmm_unmap_large(A, va, 0), VMM_ENOENT);
    assert_int_equal(vmm_unmap_large(A, va + 4096, 0), VMM_EUNALIGNED);
    assert_int_equal(vmm_unmap_large(A, KERNEL_BASE, 0), VMM_EINVAL);
    mapped_frame(TEST_VA, URW);
    assert_int_equal(vmm_unmap_large(A, TEST_VA, 0), VMM_EINVAL); /* a table, not a 4 MiB page */
    assert_int_equal(vmm_map_large(A, TEST_VA, pa, URW), VMM_EEXIST);
    /* Unmapping a live 4 MiB page drops its TLB entry. */
    assert_int_equal(vmm_map_large(A, va, pa, URW), VMM_OK);
    vmm_space_switch(A);
    assert_int_equal(vmm_unmap_large(A, va, 0), VMM_OK);
    assert_int_equal(host_log.last_invlpg, va);
}

static void test_large_needs_pse(void **state)
{
    (void)state;
    host_boot(HOST_RAM_SIZE, 0, 1);
    A = vmm_space_create();
    assert_int_equal(vmm_map_large(A, 0x00C00000, 0x01000000, URW), VMM_EINVAL);
}

static void test_device_memory(void **state)
{
    uint32_t dev = 0xFEE00000, kimage = HOST_KERNEL_START;
    (void)state;
    assert_int_equal(vmm_map(A, TEST_VA, dev, URW | PTE_PCD | PTE_PWT), VMM_OK);
    assert_int_equal(vmm_map(A, TEST_VA + 4096, kimage, PTE_U), VMM_OK);
    assert_int_equal(vmem_get_phys_addr(A->pd, TEST_VA + 4), dev + 4);
    assert_int_equal(vmm_unmap(A, TEST_VA, 0), VMM_OK);
    assert_int_equal(vmm_unmap(A, TEST_VA + 4096, 0), VMM_OK);
    assert_int_equal(pmem_use(kimage), FRAME_IMAGE);
}

static void test_seed_allocators(void **state)
{
    uint32_t before = pmem_stats()->page_tables, *p, *q, pa;
    int i;
    (void)state;
    p = vmem_alloc_pmem();
    assert_non_null(p);
    assert_int_equal(((unsigned char *)p - host_ram) & 0xFFF, 0);
    assert_int_equal(pmem_stats()->page_tables, before + 1);
    pa = (uint32_t)((unsigned char *)p - host_ram);
    assert_int_equal(pmem_use(pa), FRAME_PAGE_TABLE);
    pmem_free(pa); /* junk-filled now */
    q = vmem_ptable_new();
    assert_ptr_equal(q, p); /* the same frame came back */
    for (i = 0; i < 1024; i++)
        assert_int_equal(q[i], 0);
}

/* Hooks: one call per operation, ranges included. */
static int calls_map, calls_unmap, calls_protect, calls_table_alloc, calls_table_free;
static int calls_tlb, calls_counters, calls_switch;
static uint32_t last_bytes;

static void h_map(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags)
{
    (void)as;
    (void)va;
    (void)pa;
    (void)flags;
    calls_map++;
    last_bytes = bytes;
}
static int last_large;
static void h_unmap(struct address_space *as, uint32_t va, uint32_t bytes, int large)
{
    (void)as;
    (void)va;
    calls_unmap++;
    last_bytes = bytes;
    last_large = large;
}
static void h_protect(struct address_space *as, uint32_t va, uint32_t bytes, uint32_t flags)
{
    (void)as;
    (void)va;
    (void)flags;
    calls_protect++;
    last_bytes = bytes;
}
static void h_table_alloc(struct address_space *as, uint32_t pdi, uint32_t pa)
{
    (void)as;
    (void)pdi;
    (void)pa;
    calls_table_alloc++;
}
static void h_table_free(struct address_space *as, uint32_t pdi, uint32_t pa)
{
    (void)as;
    (void)pdi;
    (void)pa;
    calls_table_free++;
}
static void h_tlb(uint32_t va, int all)
{
    (void)va;
    (void)all;
    calls_tlb++;
}
static void h_counters(const struct vmm_stats *v, const struct pmm_stats *p)
{
    assert_non_null(v);
    assert_non_null(p);
    calls_counters++;
}
static void h_switch(struct address_space *from, struct address_space *to)
{
    (void)from;
    assert_ptr_equal(to, A);
    calls_switch++;
}

static void test_hooks(void **state)
{
    struct vmm_hooks h = {
        .map_range = h_map,
        .unmap_range = h_unmap,
        .protect_range = h_protect,
        .table_alloc = h_table_alloc,
        .table_free = h_table_free,
        .tlb_flush = h_tlb,
        .counters = h_counters,
        .space_switch = h_switch,
    };
    uint32_t run = pmem_alloc_for(FRAME_PROCESS), i;
    (void)state;
    for (i = 1; i < 8; i++)
        pmem_alloc_for(FRAME_PROCESS);
    vmm_set_hooks(&h);
    assert_int_equal(vmm_map_range(A, 0x007FC000, run, 8, URW), VMM_OK);
    assert_int_equal(calls_map, 1);
    assert_int_equal(last_bytes, 8 * 4096);
    assert_int_equal(calls_table_alloc, 2);
    assert_int_equal(vmm_protect_range(A, 0x007FC000, 8, PTE_U), VMM_OK);
    assert_int_equal(calls_protect, 1);
    vmm_space_switch(A);
    assert_int_equal(calls_switch, 1);
    assert_int_equal(vmm_unmap_range(A, 0x007FC000, 8), VMM_OK);
    assert_int_equal(calls_unmap, 1);
    assert_int_equal(last_large, 0);
    assert_int_equal(calls_table_free, 2);
    assert_int_equal(calls_tlb, 8); /* unmap: 8 pages while live */
    assert_int_equal(calls_counters, 4);
    assert_int_equal(vmm_map(A, TEST_VA, run, URW), VMM_OK);
    assert_int_equal(vmm_protect(A, TEST_VA, PTE_U), VMM_OK);
    assert_int_equal(vmm_unmap(A, TEST_VA, 0), VMM_OK);
    assert_int_equal(calls_map + calls_protect + calls_unmap, 6);
    vmm_set_hooks(0);
    assert_int_equal(vmm_map(A, TEST_VA, run, URW), VMM_OK);
    assert_int_equal(calls_map, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_map_translate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_translate_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_freed_when_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_returns_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tlb_only_when_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_heap_pages_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_range_flushes_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_needs_pse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_allocators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hooks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
