/*
 * selftests_vmm.c: the memory manager on the real MMU. Host tests prove
 * the bookkeeping against simulated memory; these prove that what vmm
 * writes is what the CPU walks: translations, faults with the right CR2 and
 * error code, TLB invalidation, CR3 switches between address spaces.
 *
 * The user pages below live at TEST_VA in throwaway address spaces, made
 * live for the test and switched back to the kernel's before returning.
 *
 *     0x00000000  ...  TEST_VA: page A, page B (same frame as A)  ...  0xC0000000 kernel
 */
#include <koiz/klib.h>
#include "../../vmm/heap.h"
#include "../../vmm/pmm.h"
#include "../../vmm/vmm.h"
#include "../kernel.h"
#include "selftest.h"
#include "../trap.h"
#include "../x86.h"

#define TEST_VA 0x40000000u
#define USER_RW (PTE_U | PTE_W)

/* A fresh address space with n zeroed user pages at TEST_VA, made live. */
static struct address_space *space_with_pages(int n, uint32_t flags)
{
    struct address_space *as = vmm_space_create();
    if (!selftest_check(as != 0, __FILE__, __LINE__, "vmm_space_create returned NULL"))
        return 0;
    for (int i = 0; i < n; i++) {
        uint32_t pa = pmem_alloc_for(FRAME_PROCESS);
        CHECK(pa != 0);
        kmemset(P2V(pa), 0, 4096);
        CHECK_EQ(vmm_map(as, TEST_VA + (uint32_t)i * 4096, pa, flags), VMM_OK);
        pmem_unref(pa); /* the mapping owns the frame now */
    }
    vmm_space_switch(as);
    return as;
}

static void back_to_kernel(struct address_space *as)
{
    vmm_space_switch(vmm_kernel_space());
    if (as)
        CHECK_EQ(vmm_space_destroy(as), VMM_OK);
}

SELFTEST(vmm_seed_translations)
{
    const uint32_t *pd = vmm_kernel_space()->pd;
    struct vmm_translation t;

    /* The seed's checks, on the kernel's map: the screen, kernel code, an offset inside a page. */
    CHECK_EQ(vmem_get_phys_addr(pd, KERNEL_BASE + 0xB8000), 0xB8000);
    CHECK_EQ(vmem_get_phys_addr(pd, (uint32_t)_text_start), V2P(_text_start));
    CHECK_EQ(vmem_get_phys_addr(pd, KERNEL_BASE + 0x123456), 0x123456);
    CHECK_EQ(vmem_get_phys_addr(pd, TEST_VA), 0);
    CHECK_EQ(vmm_translate(vmm_kernel_space(), TEST_VA, &t), VMM_ENOENT);
    CHECK_EQ(t.missing, VMM_MISSING_PDE);
    CHECK_EQ(read_cr3(), vmm_kernel_space()->pd_phys);
}

SELFTEST(vmm_boot_identity_map_gone)
{
    struct trap_expect ex;
    /* The kernel's low alias (physical 1 MiB at virtual 1 MiB) existed only in the boot map. */
    if (trap_expect_begin(&ex, T_PAGE_FAULT) == 0) {
        (void)*(volatile uint32_t *)0x00100000;
        trap_expect_end();
    }
    CHECK(ex.caught);
    CHECK_EQ(ex.cr2, 0x00100000);
    CHECK_EQ(ex.error, 0); /* not-present read supervisor */
}

SELFTEST(vmm_two_mappings_one_frame)
{
    struct address_space *as = space_with_pages(1, USER_RW);
    volatile uint32_t *a = (volatile uint32_t *)TEST_VA, *b = (volatile uint32_t *)(TEST_VA + 0x10000);
    uint32_t pa;

    if (!as)
        return;
    pa = vmem_get_phys_addr(as->pd, TEST_VA);
    pmem_ref(pa); /* the second mapping's own reference */
    CHECK_EQ(vmm_map(as, TEST_VA + 0x10000, pa, USER_RW), VMM_OK);
    pmem_unref(pa);
    a[5] = 0x4B4F495A;                                                  /* written through one mapping... */
    CHECK_EQ(b[5], 0x4B4F495A);                                         /* ...read back through the other */
    CHECK_EQ(*(volatile uint32_t *)((char *)P2V(pa) + 20), 0x4B4F495A); /* and in the direct map */
    CHECK_EQ(vmem_get_phys_addr(as->pd, TEST_VA + 0x10000 + 20), pa + 20);
    back_to_kernel(as);
}

SELFTEST(vmm_unmap_then_fault)
{
    struct address_space *as = space_with_pages(2, USER_RW);
    struct trap_expect ex;
    uint32_t pa = 0;

    if (!as)
        return;
    *(volatile uint32_t *)TEST_VA = 1; /* the TLB now holds the translation */
    CHECK_EQ(vmm_unmap(as, TEST_VA, &pa), VMM_OK);
    CHECK(pa != 0);
    if (trap_expect_begin(&ex, T_PAGE_FAULT) == 0) {
        (void)*(volatile uint32_t *)(TEST_VA + 8); /* a stale TLB entry would let this through */
        trap_expect_end();
    }
    CHECK(ex.caught);
    CHECK_EQ(ex.cr2, TEST_VA + 8);
    CHECK_EQ(ex.error, 0); /* not-present, read, supervisor */
    CHECK_EQ(vmm_unmap(as, TEST_VA, 0), VMM_ENOENT);
    *(volatile uint32_t *)(TEST_VA + 4096) = 2; /* the other page is still there */
    back_to_kernel(as);
}

SELFTEST(vmm_readonly_write_faults)
{
    struct address_space *as = space_with_pages(1, PTE_U);
    struct trap_expect ex;
    volatile uint32_t *p = (volatile uint32_t *)TEST_VA;

    if (!as)
        return;
    CHECK_EQ(*p, 0); /* reading is allowed */
    if (trap_expect_begin(&ex, T_PAGE_FAULT) == 0) {
        *p = 7; /* CR0.WP: read-only binds the kernel too */
        trap_expect_end();
    }
    CHECK(ex.caught);
    CHECK_EQ(ex.cr2, TEST_VA);
    CHECK_EQ(ex.error, PFERR_P | PFERR_W);
    CHECK_EQ(vmm_protect(as, TEST_VA, USER_RW), VMM_OK);
    *p = 7; /* writable now: protect flushed the TLB entry */
    CHECK_EQ(*p, 7);
    back_to_kernel(as);
}

SELFTEST(vmm_heap_pages_follow_its_top)
{
    /* The kernel heap maps pages as its top grows and gives them back as it
     * shrinks: a block bigger than anything it held so far is backed at once,
     * page by page, without a fault, and every frame is back after kfree. */
    uint32_t faults = vmm_stats()->faults[FAULT_RESOLVED], free_before = pmem_stats()->free;
    const uint32_t size = 512 * 1024;
    struct heap_stats hs;
    unsigned char *buf = kmalloc(size);

    CHECK(buf != 0);
    if (!buf)
        return;
    for (uint32_t i = 0; i < size; i += 4096)
        if (vmem_get_phys_addr(vmm_kernel_space()->pd, (uint32_t)buf + i) == 0) {
            CHECK(!"a page of the block is not mapped");
            break;
        }
    buf[size / 2] = 1;
    buf[size - 1] = 2;
    CHECK_EQ(vmm_stats()->faults[FAULT_RESOLVED], faults);
    CHECK(pmem_stats()->free <= free_before - size / 4096);
    heap_check(&hs);
    CHECK_EQ(hs.backed, (hs.extent + 4095) & ~4095u);
    kfree(buf);
    CHECK_EQ(vmem_get_phys_addr(vmm_kernel_space()->pd, (uint32_t)buf + size / 2), 0);
    heap_check(&hs);
    CHECK_EQ(hs.backed, (hs.extent + 4095) & ~4095u);
    CHECK(pmem_stats()->free >= free_before);
}

SELFTEST(vmm_heap_out_of_frames_is_null)
{
    /* With only 4 frames to be had, kmalloc of 64 KiB (16 pages) returns NULL and
     * maps nothing; it works again once the frames may be had. */
    uint32_t free_before = pmem_stats()->free;
    void *p;
    heap_check(0);
    pmem_hold_back(free_before - 4);
    p = kmalloc(64 * 1024);
    CHECK(p == 0);
    CHECK_EQ(pmem_stats()->free, free_before);
    pmem_hold_back(0);
    p = kmalloc(64 * 1024);
    CHECK(p != 0);
    kfree(p);
    CHECK_EQ(pmem_stats()->free, free_before);
}

SELFTEST(vmm_guard_page_is_stack_overflow)
{
    /* A stack in a demand-zero region with a guard page below it, as a task's will be. */
    struct address_space *as = space_with_pages(0, USER_RW);
    uint32_t guard = TEST_VA - 4096;
    struct trap_expect ex;

    if (!as)
        return;
    CHECK_EQ(vmm_region_add(as, TEST_VA, TEST_VA + 16 * 4096, REGION_DEMAND_ZERO), VMM_OK);
    CHECK_EQ(vmm_region_add(as, guard, TEST_VA, REGION_GUARD), VMM_OK);
    if (trap_expect_begin(&ex, T_PAGE_FAULT) == 0) {
        *(volatile uint32_t *)(TEST_VA + 15 * 4096) = 1; /* grows the stack: resolved, no catch */
        *(volatile uint32_t *)(guard + 8) = 1;           /* runs into the guard */
        trap_expect_end();
    }
    CHECK(ex.caught);
    CHECK_EQ(ex.cr2, guard + 8);
    CHECK_EQ(ex.outcome, FAULT_STACK_OVERFLOW);
    CHECK(vmem_get_phys_addr(as->pd, TEST_VA + 15 * 4096) != 0);
    CHECK_EQ(vmem_get_phys_addr(as->pd, guard), 0);
    back_to_kernel(as);
}

SELFTEST(vmm_spaces_isolated_across_cr3)
{
    struct address_space *a = space_with_pages(1, USER_RW), *b;
    volatile uint32_t *p = (volatile uint32_t *)TEST_VA;

    if (!a)
        return;
    *p = 0xAAAA;
    b = space_with_pages(1, USER_RW); /* switches to b */
    if (!b) {
        back_to_kernel(a);
        return;
    }
    CHECK_EQ(*p, 0); /* same address, b's own zeroed frame */
    *p = 0xBBBB;
    vmm_space_switch(a);
    CHECK_EQ(read_cr3(), a->pd_phys);
    CHECK_EQ(*p, 0xAAAA);
    vmm_space_switch(b);
    CHECK_EQ(*p, 0xBBBB);
    CHECK(vmem_get_phys_addr(a->pd, TEST_VA) != vmem_get_phys_addr(b->pd, TEST_VA));
    vmm_space_switch(vmm_kernel_space());
    CHECK_EQ(vmm_space_destroy(b), VMM_OK);
    back_to_kernel(a);
}

SELFTEST(vmm_counters_back_to_baseline)
{
    struct pmm_stats before = *pmem_stats(), after;
    struct address_space *as = vmm_space_create(), *copy;

    CHECK(as != 0);
    if (!as)
        return;
    /* Fill: pages in two tables, one range, then a clone of it all. */
    for (uint32_t va = TEST_VA - 16 * 4096; va < TEST_VA + 16 * 4096; va += 4096) {
        uint32_t pa = pmem_alloc_for(FRAME_PROCESS);
        CHECK_EQ(vmm_map(as, va, pa, USER_RW), VMM_OK);
        pmem_unref(pa);
    }
    CHECK(pmem_stats()->page_tables >= before.page_tables + 3); /* directory + 2 tables */
    copy = vmm_space_clone(as);
    CHECK(copy != 0);
    CHECK(pmem_stats()->process >= before.process + 64);
    if (copy)
        CHECK_EQ(vmm_space_destroy(copy), VMM_OK);
    CHECK_EQ(vmm_space_destroy(as), VMM_OK);
    after = *pmem_stats();
    CHECK_EQ(after.free, before.free);
    CHECK_EQ(after.page_tables, before.page_tables);
    CHECK_EQ(after.process, before.process);
    CHECK_EQ(after.kernel, before.kernel);
}

SELFTEST(vmm_invariants_hold)
{
    CHECK(vmm_check(vmm_kernel_space()) > 0);
    CHECK(read_cr0() & CR0_WP);
    CHECK(read_cr0() & CR0_PG);
}
