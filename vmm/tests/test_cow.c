/*
 * test_cow.c: copy-on-write fork, the write fault that splits a shared
 * page, and region resizing (a process heap).
 *
 *   host_boot's 64 MiB machine (host_arch.h); the parent A maps:
 *
 *   0x00400000  W   owned frame filled 0x11     -> COW after fork
 *   0x00401000  W   owned frame filled 0x22     -> COW after fork
 *   0x00402000  RO  owned frame filled 0x33     -> shared as it is
 *   0x00403000  W   device frame 0xFEC00000     -> shared as it is (still W)
 *   0x00800000  4 MiB page at 16 MiB            -> shared as it is
 *   0x10000000  W   owned frame filled 0x44     (a second table)
 *
 * Every test also keeps a "telemetry model": the PTEs the hooks announced,
 * read back from the tables as telemetry/emit.c does, which must equal
 * the tables themselves afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "host_arch.h"
#include "../arch.h"
#include "../hooks.h"
#include "../pmm.h"
#include "../vmm.h"

#define URW        (PTE_U | PTE_W)
#define WFAULT     (PFERR_P | PFERR_W | PFERR_U)
#define MiB        (1u << 20)
#define MODEL_PDES 80 /* the model covers [0, 320 MiB) of each space */

/* ---- the hooks' view ---- */

static uint32_t model[VMM_MAX_SPACES][MODEL_PDES][ENTRIES];
static int calls_map, calls_remap, calls_unmap, calls_protect, calls_table_alloc, calls_table_free;
static int calls_create, calls_destroy, calls_flush_all, calls_fault, calls_fork;

static int slot_of(const struct address_space *as)
{
    int i;
    for (i = 0; i < VMM_MAX_SPACES; i++)
        if (vmm_space_at(i) == as)
            return i;
    fail_msg("hook for a space that is not live");
    return -1;
}

static uint32_t *model_pte(struct address_space *as, uint32_t va)
{
    return PDX(va) < MODEL_PDES ? &model[slot_of(as)][PDX(va)][PTX(va)] : 0;
}

static uint32_t live_pte(struct address_space *as, uint32_t va)
{
    struct vmm_translation t;
    return vmm_translate(as, va, &t) == VMM_OK && !t.large ? t.pte : 0;
}

static void h_map(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags)
{
    uint32_t e = live_pte(as, va) & 0xFFF & ~(PTE_A | PTE_D), i, *m;
    (void)flags;
    calls_map++;
    if (bytes == LARGE_PAGE_SIZE && !e)
        return; /* a 4 MiB page: not modelled */
    for (i = 0; i < bytes / PAGE_SIZE; i++)
        if ((m = model_pte(as, va + i * PAGE_SIZE)) != 0)
            *m = (pa + i * PAGE_SIZE) | e;
}

/* A copy-on-write page got its copy: the entry was present, and stays so. */
static void h_remap(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags)
{
    uint32_t e = live_pte(as, va) & 0xFFF & ~(PTE_A | PTE_D), i, *m;
    (void)flags;
    calls_remap++;
    for (i = 0; i < bytes / PAGE_SIZE; i++)
        if ((m = model_pte(as, va + i * PAGE_SIZE)) != 0) {
            assert_true(*m & PTE_P);
            *m = (pa + i * PAGE_SIZE) | e;
        }
}

static void h_unmap(struct address_space *as, uint32_t va, uint32_t bytes, int large)
{
    uint32_t i, *m;
    calls_unmap++;
    for (i = 0; !large && i < bytes / PAGE_SIZE; i++)
        if ((m = model_pte(as, va + i * PAGE_SIZE)) != 0)
            *m = 0;
}

static void h_protect(struct address_space *as, uint32_t va, uint32_t bytes, uint32_t flags)
{
    uint32_t e = live_pte(as, va) & 0xFFF & ~(PTE_A | PTE_D), i, *m;
    (void)flags;
    calls_protect++;
    for (i = 0; i < bytes / PAGE_SIZE; i++)
        if ((m = model_pte(as, va + i * PAGE_SIZE)) != 0) {
            assert_true(*m & PTE_P);
            *m = frame_of(*m) | e;
        }
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

static void h_create(struct address_space *as)
{
    if (as->id != 0)
        memset(model[slot_of(as)], 0, sizeof model[0]);
    calls_create++;
}

static void h_destroy(struct address_space *as)
{
    memset(model[slot_of(as)], 0, sizeof model[0]);
    calls_destroy++;
}

/* The fork hook's rule, as a reader applies it: dst gets src's pages, every
 * writable one read-only + COW in both; the pages the rule does not hold for
 * come after it as protects. */
static void h_fork(struct address_space *src, struct address_space *dst)
{
    uint32_t(*s)[ENTRIES] = model[slot_of(src)], (*d)[ENTRIES] = model[slot_of(dst)];
    calls_fork++;
    for (uint32_t pdi = 0; pdi < MODEL_PDES; pdi++)
        for (uint32_t pti = 0; pti < ENTRIES; pti++) {
            uint32_t e = s[pdi][pti];
            if (e & PTE_W)
                e = (e & ~PTE_W) | PTE_COW;
            s[pdi][pti] = e;
            d[pdi][pti] = e;
        }
}

static void h_flush(uint32_t va, int all)
{
    (void)va;
    calls_flush_all += all;
}

static void h_fault(const struct vmm_fault *info)
{
    (void)info;
    calls_fault++;
}

static const struct vmm_hooks hooks = {
    .map_range = h_map,
    .remap_range = h_remap,
    .unmap_range = h_unmap,
    .protect_range = h_protect,
    .table_alloc = h_table_alloc,
    .table_free = h_table_free,
    .space_create = h_create,
    .space_destroy = h_destroy,
    .space_fork = h_fork,
    .tlb_flush = h_flush,
    .fault = h_fault,
};

/* The hooks' view of as equals its tables (accessed/dirty aside). */
static void model_matches(struct address_space *as)
{
    uint32_t pdi, pti, s = (uint32_t)slot_of(as);
    for (pdi = 0; pdi < MODEL_PDES; pdi++) {
        uint32_t pde = as->pd[pdi];
        const uint32_t *table =
            pte_present(pde) && !(pde & PDE_PS) ? (uint32_t *)(host_ram + frame_of(pde)) : 0;
        for (pti = 0; pti < ENTRIES; pti++) {
            uint32_t real = table ? table[pti] : 0;
            if ((real & ~(PTE_A | PTE_D)) != model[s][pdi][pti])
                fail_msg("space %d 0x%08x: tables say 0x%08x, hooks said 0x%08x", as->id, page_va(pdi, pti),
                         real, model[s][pdi][pti]);
        }
    }
}

static void reset_calls(void)
{
    calls_map = calls_remap = calls_unmap = calls_protect = calls_table_alloc = calls_table_free = 0;
    calls_create = calls_destroy = calls_flush_all = calls_fault = calls_fork = 0;
}

/* ---- the machine ---- */

static struct address_space *A;
static struct pmm_stats base;
static uint32_t pa1, pa2, pa3, pa4;

static uint32_t map_owned(struct address_space *as, uint32_t va, unsigned char fill, uint32_t flags)
{
    uint32_t pa = host_frame(fill);
    assert_int_equal(vmm_map(as, va, pa, flags), VMM_OK);
    pmem_unref(pa);
    return pa;
}

static uint32_t pte_of(struct address_space *as, uint32_t va)
{
    struct vmm_translation t;
    assert_int_equal(vmm_translate(as, va, &t), VMM_OK);
    return t.pte;
}

static unsigned char *page(struct address_space *as, uint32_t va)
{
    return host_ram + frame_of(pte_of(as, va));
}

static void boot_parent(uint32_t ram_top)
{
    host_boot(ram_top, 1, 1);
    memcpy(&base, pmem_stats(), sizeof base);
    memset(model, 0, sizeof model);
    vmm_set_hooks(&hooks);
    reset_calls();
    A = vmm_space_create();
    pa1 = map_owned(A, 0x00400000, 0x11, URW);
    pa2 = map_owned(A, 0x00401000, 0x22, URW);
    pa3 = map_owned(A, 0x00402000, 0x33, PTE_U);
    assert_int_equal(vmm_map(A, 0x00403000, 0xFEC00000, URW | PTE_PCD), VMM_OK);
    assert_int_equal(vmm_map_large(A, 0x00800000, 0x01000000, URW), VMM_OK);
    pa4 = map_owned(A, 0x10000000, 0x44, URW);
    assert_int_equal(vmm_region_add(A, 0x20000000, 0x20010000, REGION_DEMAND_ZERO), VMM_OK);
}

static int setup(void **state)
{
    (void)state;
    boot_parent(HOST_RAM_SIZE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vmm_set_hooks(0);
    return 0;
}

/* All frames and tables back: what the machine had before A. */
static void back_to_baseline(void)
{
    assert_int_equal(pmem_stats()->free, base.free);
    assert_int_equal(pmem_stats()->process, base.process);
    assert_int_equal(pmem_stats()->page_tables, base.page_tables);
    assert_int_equal(pmem_stats()->kernel, base.kernel);
    assert_int_equal(vmm_stats()->spaces, 1);
}

/* ---- tests ---- */

static void test_fork_shares(void **state)
{
    struct address_space *B;
    uint32_t flushes;
    (void)state;
    vmm_space_switch(A);
    flushes = (uint32_t)host_log.flushes;
    reset_calls();
    B = vmm_space_fork(A);
    assert_non_null(B);
    assert_int_not_equal(B->id, A->id);
    assert_int_equal(B->pages, A->pages);
    assert_int_equal(B->tables, 2);
    assert_int_equal(B->large, 1);
    /* Writable RAM: the same frame, read-only + COW on both sides, one more reference. */
    assert_int_equal(pte_of(A, 0x00400000) & PTE_FLAGS, PTE_P | PTE_U | PTE_COW);
    assert_int_equal(pte_of(B, 0x00400000), pa1 | PTE_P | PTE_U | PTE_COW);
    assert_int_equal(pte_of(B, 0x00401000), pa2 | PTE_P | PTE_U | PTE_COW);
    assert_int_equal(pte_of(B, 0x10000000), pa4 | PTE_P | PTE_U | PTE_COW);
    assert_int_equal(pmem_frame(pa1)->refs, 2);
    assert_int_equal(pmem_frame(pa4)->refs, 2);
    /* Read-only RAM shared as it is; device memory and 4 MiB pages too. */
    assert_int_equal(pte_of(B, 0x00402000), pa3 | PTE_P | PTE_U);
    assert_int_equal(pte_of(A, 0x00402000), pa3 | PTE_P | PTE_U);
    assert_int_equal(pmem_frame(pa3)->refs, 2);
    assert_int_equal(pte_of(B, 0x00403000), 0xFEC00000 | PTE_P | URW | PTE_PCD);
    assert_int_equal(pte_of(A, 0x00403000), 0xFEC00000 | PTE_P | URW | PTE_PCD);
    assert_int_equal(vmem_get_phys_addr(B->pd, 0x00812345), 0x01012345);
    assert_non_null(vmm_region_find(B, 0x20000000));
    /* A is live: one full flush; hooks by range, tables through the hook. */
    assert_int_equal(host_log.flushes, flushes + 1);
    assert_int_equal(calls_flush_all, 1);
    assert_int_equal(calls_create, 1);
    assert_int_equal(calls_table_alloc, 2);
    /* One fork call states the rule; the device page at 0x403000, writable in
     * both spaces, is the one exception, told as a protect in each. */
    assert_int_equal(calls_fork, 1);
    assert_int_equal(calls_map, 0);
    assert_int_equal(calls_protect, 2);
    assert_int_equal(vmm_stats()->forks, 1);
    model_matches(A);
    model_matches(B);
    vmm_check(A);
    vmm_check(B);
}

static void test_write_copies_then_reuses(void **state)
{
    struct address_space *B = vmm_space_fork(A);
    uint32_t child_pa;
    (void)state;
    vmm_space_switch(B);
    reset_calls();
    /* The child writes: it gets a copy; the parent keeps the old frame. */
    assert_int_equal(fault_at(B, 0x00400010, WFAULT, 0x08048000), FAULT_RESOLVED);
    child_pa = frame_of(pte_of(B, 0x00400000));
    assert_int_not_equal(child_pa, pa1);
    assert_int_equal(pte_of(B, 0x00400000) & PTE_FLAGS, PTE_P | URW);
    assert_int_equal(pmem_use(child_pa), FRAME_PROCESS);
    assert_int_equal(pmem_frame(child_pa)->refs, 1);
    assert_int_equal(pmem_frame(pa1)->refs, 1);
    assert_memory_equal(host_ram + child_pa, host_ram + pa1, 4096);
    assert_int_equal(host_log.last_invlpg, 0x00400000);
    page(B, 0x00400000)[0x10] = 0xBB;
    assert_int_equal(host_ram[pa1 + 0x10], 0x11);
    assert_int_equal(vmm_stats()->cow_copies, 1);
    assert_int_equal(calls_remap, 1); /* the entry stayed present: a remap, not a map */
    assert_int_equal(calls_map, 0);
    assert_int_equal(calls_fault, 1);
    /* The parent writes: the last sharer keeps its frame, writable again. */
    assert_int_equal(fault_at(A, 0x00400FFF, WFAULT, 0), FAULT_RESOLVED);
    assert_int_equal(pte_of(A, 0x00400000), pa1 | PTE_P | URW);
    assert_int_equal(pmem_frame(pa1)->refs, 1);
    assert_int_equal(vmm_stats()->cow_reuses, 1);
    assert_int_equal(calls_protect, 1);
    /* Kernel-mode writes (a system call filling a user buffer) split too. */
    assert_int_equal(fault_at(A, 0x00401000, PFERR_P | PFERR_W, 0xC0101000), FAULT_RESOLVED);
    assert_int_not_equal(frame_of(pte_of(A, 0x00401000)), pa2);
    assert_int_equal(pte_of(B, 0x00401000), pa2 | PTE_P | PTE_U | PTE_COW);
    /* Writes to read-only pages and reads of COW pages are still bad. */
    assert_int_equal(fault_at(A, 0x00402000, WFAULT, 0), FAULT_BAD);
    assert_int_equal(fault_at(B, 0x10000000, PFERR_P | PFERR_U, 0), FAULT_BAD);
    assert_int_equal(fault_at(B, 0x10000000, PFERR_W | PFERR_U, 0), FAULT_BAD);
    assert_int_equal(vmm_stats()->faults[FAULT_RESOLVED], 3);
    model_matches(A);
    model_matches(B);
    vmm_check(A);
    vmm_check(B);
}

static void test_fork_of_fork_and_destroy_orders(void **state)
{
    struct address_space *B, *C;
    int order;
    (void)state;
    for (order = 0; order < 3; order++) {
        boot_parent(HOST_RAM_SIZE);
        B = vmm_space_fork(A);
        assert_int_equal(fault_at(B, 0x00401000, WFAULT, 0), FAULT_RESOLVED);
        C = vmm_space_fork(B);
        assert_non_null(C);
        assert_int_equal(pmem_frame(pa1)->refs, 3);
        assert_int_equal(pmem_frame(pa2)->refs, 1); /* B's copy is shared with C instead */
        assert_int_equal(pmem_frame(frame_of(pte_of(C, 0x00401000)))->refs, 2);
        assert_int_equal(pte_of(B, 0x00401000) & PTE_FLAGS, PTE_P | PTE_U | PTE_COW);
        assert_int_equal(fault_at(C, 0x00400000, WFAULT, 0), FAULT_RESOLVED);
        assert_int_equal(pmem_frame(pa1)->refs, 2);
        assert_int_equal(fault_at(A, 0x10000000, WFAULT, 0), FAULT_RESOLVED);
        assert_int_equal(vmm_stats()->cow_copies, 3);
        vmm_check(A);
        model_matches(C);
        if (order == 0) { /* parent first */
            assert_int_equal(vmm_space_destroy(A), VMM_OK);
            assert_int_equal(pmem_frame(pa1)->refs, 1);
            assert_int_equal(fault_at(B, 0x00400000, WFAULT, 0), FAULT_RESOLVED);
            assert_int_equal(vmm_stats()->cow_reuses, 1);
            assert_int_equal(vmm_space_destroy(B), VMM_OK);
            assert_int_equal(vmm_space_destroy(C), VMM_OK);
        } else if (order == 1) { /* children first */
            assert_int_equal(vmm_space_destroy(C), VMM_OK);
            assert_int_equal(vmm_space_destroy(B), VMM_OK);
            assert_int_equal(pmem_frame(pa1)->refs, 1);
            vmm_check(A);
            assert_int_equal(vmm_space_destroy(A), VMM_OK);
        } else { /* the middle one first */
            assert_int_equal(vmm_space_destroy(B), VMM_OK);
            vmm_check(C);
            assert_int_equal(vmm_space_destroy(A), VMM_OK);
            assert_int_equal(vmm_space_destroy(C), VMM_OK);
        }
        back_to_baseline();
        assert_int_equal(calls_create, calls_destroy);
    }
}

static void test_unmap_protect_clone(void **state)
{
    struct address_space *B = vmm_space_fork(A), *C;
    uint32_t pa;
    (void)state;
    /* Unmapping a COW page drops one reference; the other side keeps it. */
    assert_int_equal(vmm_unmap(B, 0x00400000, &pa), VMM_OK);
    assert_int_equal(pa, pa1);
    assert_int_equal(pmem_frame(pa1)->refs, 1);
    assert_int_equal(pte_of(A, 0x00400000) & PTE_FLAGS, PTE_P | PTE_U | PTE_COW);
    /* protect makes a COW page private first, whatever the flags. */
    assert_int_equal(vmm_protect(B, 0x00401000, PTE_U), VMM_OK);
    assert_int_not_equal(frame_of(pte_of(B, 0x00401000)), pa2);
    assert_int_equal(pte_of(B, 0x00401000) & PTE_FLAGS, PTE_P | PTE_U);
    assert_int_equal(pmem_frame(pa2)->refs, 1);
    assert_int_equal(vmm_protect(A, 0x00401000, URW), VMM_OK); /* the last sharer: kept */
    assert_int_equal(pte_of(A, 0x00401000), pa2 | PTE_P | URW);
    assert_int_equal(vmm_protect(A, 0x00400000, PTE_U), VMM_OK);
    assert_int_equal(pte_of(A, 0x00400000), pa1 | PTE_P | PTE_U);
    assert_int_equal(vmm_stats()->cow_copies, 1);
    assert_int_equal(vmm_stats()->cow_reuses, 2);
    /* protect_range over COW pages: copies, all or nothing. */
    assert_int_equal(vmm_protect_range(B, 0x10000000, 1, URW), VMM_OK);
    assert_int_equal(pte_of(A, 0x10000000) & PTE_FLAGS, PTE_P | PTE_U | PTE_COW);
    assert_int_equal(pmem_frame(pa4)->refs, 1);
    /* A clone of a COW page is a private, writable copy. */
    C = vmm_space_fork(A);
    assert_int_equal(pmem_frame(pa4)->refs, 2);
    assert_int_equal(vmm_space_destroy(C), VMM_OK);
    C = vmm_space_clone(A);
    assert_non_null(C);
    assert_int_equal(pte_of(C, 0x10000000) & PTE_FLAGS, PTE_P | URW);
    assert_int_not_equal(frame_of(pte_of(C, 0x10000000)), pa4);
    assert_int_equal(page(C, 0x10000000)[7], 0x44);
    model_matches(A);
    model_matches(B);
    model_matches(C);
    vmm_check(C);
    assert_int_equal(vmm_space_destroy(C), VMM_OK);
    assert_int_equal(vmm_space_destroy(B), VMM_OK);
    assert_int_equal(vmm_space_destroy(A), VMM_OK);
    back_to_baseline();
}

/* Takes every free frame but keep; returns how many were taken. */
static uint32_t drain(uint32_t keep)
{
    uint32_t n = 0;
    while (pmem_stats()->free > keep) {
        assert_int_not_equal(pmem_alloc(), 0);
        n++;
    }
    return n;
}

static void test_fork_out_of_memory(void **state)
{
    struct pmm_stats before;
    uint32_t keep, a0;
    (void)state;
    /* A small machine: 3 MiB of RAM. A needs a directory and two tables. */
    boot_parent(3 * MiB);
    a0 = pte_of(A, 0x00400000);
    for (keep = 0; keep < 3; keep++) {
        boot_parent(3 * MiB);
        drain(keep);
        memcpy(&before, pmem_stats(), sizeof before);
        reset_calls();
        assert_null(vmm_space_fork(A));
        assert_int_equal(pmem_stats()->free, before.free);
        assert_int_equal(pmem_stats()->page_tables, before.page_tables);
        assert_int_equal(vmm_stats()->spaces, 2);
        assert_int_equal(pte_of(A, 0x00400000), a0); /* still writable, not COW */
        assert_int_equal(pmem_frame(pa1)->refs, 1);
        assert_int_equal(calls_create, calls_destroy);
        assert_int_equal(calls_table_free, 0); /* the destroy says its tables went too */
        model_matches(A);
        vmm_check(A);
    }
    /* Enough for directory and tables: it works, with no page frame needed. */
    boot_parent(3 * MiB);
    drain(3);
    assert_non_null(vmm_space_fork(A));
    assert_int_equal(pmem_stats()->free, 0);
}

static void test_fork_out_of_slots(void **state)
{
    int i;
    (void)state;
    for (i = 2; i < VMM_MAX_SPACES; i++)
        assert_non_null(vmm_space_create());
    assert_null(vmm_space_fork(A));
    assert_int_equal(pte_of(A, 0x00400000), pa1 | PTE_P | URW);
    EXPECT_PANIC(vmm_space_fork(vmm_kernel_space()), "vmm_space_fork: ");
}

static void test_cow_fault_out_of_memory(void **state)
{
    struct address_space *B = vmm_space_fork(A);
    uint32_t e = pte_of(B, 0x00400000), spare;
    (void)state;
    drain(0);
    reset_calls();
    assert_int_equal(fault_at(B, 0x00400000, WFAULT, 0), FAULT_OUT_OF_MEMORY);
    assert_int_equal(pte_of(B, 0x00400000), e);
    assert_int_equal(pmem_frame(pa1)->refs, 2);
    assert_int_equal(vmm_stats()->faults[FAULT_OUT_OF_MEMORY], 1);
    assert_int_equal(calls_fault, 1);
    assert_int_equal(calls_map + calls_protect, 0);
    assert_int_equal(vmm_protect(B, 0x00400000, URW), VMM_ENOMEM);
    assert_int_equal(vmm_protect_range(B, 0x00400000, 2, URW), VMM_ENOMEM);
    assert_int_equal(pte_of(B, 0x00400000), e);
    assert_int_equal(pte_of(B, 0x00401000), pa2 | PTE_P | PTE_U | PTE_COW);
    /* One frame back: the fault succeeds. */
    spare = frame_of(pte_of(A, 0x10000000));
    assert_int_equal(vmm_unmap(A, 0x10000000, 0), VMM_OK);
    assert_int_equal(pmem_frame(spare)->refs, 1);          /* B still maps it */
    assert_int_equal(vmm_unmap(B, 0x10000000, 0), VMM_OK); /* now it is free */
    assert_int_equal(pmem_stats()->free, 3);               /* the frame and both tables of PDE 64 */
    assert_int_equal(fault_at(B, 0x00400000, WFAULT, 0), FAULT_RESOLVED);
    model_matches(B);
    vmm_check(B);
}

static void test_region_resize(void **state)
{
    uint32_t R = 0x20000000, i, before;
    (void)state;
    vmm_space_switch(A);
    assert_int_equal(vmm_region_add(A, R + 0x20000, R + 0x30000, REGION_GUARD), VMM_OK);
    /* Grow, then touch pages in the new part. */
    assert_int_equal(vmm_region_resize(A, R, R + 0x20000), VMM_OK);
    assert_int_equal(vmm_region_find(A, R + 0x1F000)->end, R + 0x20000);
    for (i = 0; i < 0x20000; i += 0x1000)
        if (i != 0x5000 && i != 0x12000)
            assert_int_equal(fault_at(A, R + i, PFERR_U | PFERR_W, 0), FAULT_RESOLVED);
    assert_int_equal(A->pages, 5 + 30);
    /* Errors change nothing. */
    assert_int_equal(vmm_region_resize(A, R + 0x1000, R + 0x2000), VMM_ENOENT);
    assert_int_equal(vmm_region_resize(A, R, R + 0x21000), VMM_EEXIST);
    assert_int_equal(vmm_region_resize(A, R, R + 0x1234), VMM_EUNALIGNED);
    assert_int_equal(vmm_region_resize(A, R + 1, R + 0x1000), VMM_EUNALIGNED);
    assert_int_equal(vmm_region_resize(A, R, R - 0x1000), VMM_EINVAL);
    assert_int_equal(vmm_region_resize(A, R + 0x20000, 0xC0001000), VMM_EINVAL);
    assert_int_equal(vmm_region_resize(vmm_kernel_space(), KHEAP_BASE, KHEAP_BASE + 0x1000), VMM_EINVAL);
    assert_int_equal(A->pages, 35);
    /* Shrink: the pages past the new end go, through unmap_range: one call per run. */
    before = pmem_stats()->free;
    reset_calls();
    assert_int_equal(vmm_region_resize(A, R, R + 0x3000), VMM_OK);
    assert_int_equal(A->pages, 5 + 3);
    assert_int_equal(pmem_stats()->free, before + 27);
    assert_int_equal(calls_unmap, 3); /* 0x3000-0x5000, -0x12000, -0x20000 */
    assert_int_equal(vmm_translate(A, R + 0x3000, &(struct vmm_translation){0}), VMM_ENOENT);
    assert_int_equal(fault_at(A, R + 0x3000, PFERR_U, 0), FAULT_BAD);
    assert_int_equal(host_log.last_invlpg, R + 0x1F000);
    /* A shared heap page shrunk away in the child stays in the parent. */
    {
        struct address_space *B = vmm_space_fork(A);
        uint32_t pa = frame_of(pte_of(A, R + 0x2000));
        assert_int_equal(vmm_region_resize(B, R, R + 0x1000), VMM_OK);
        assert_int_equal(pmem_frame(pa)->refs, 1);
        assert_int_equal(B->pages, 5 + 1);
        model_matches(B);
        vmm_check(B);
    }
    /* Shrinking across a table that empties, and over a 4 MiB page kept. */
    assert_int_equal(vmm_region_add(A, 0x00400000, 0x01000000, REGION_DEMAND_ZERO), VMM_OK);
    assert_int_equal(vmm_region_resize(A, 0x00400000, 0x00401000), VMM_OK);
    assert_int_equal(A->pages, 1 + 3 + 1);
    assert_int_equal(vmem_get_phys_addr(A->pd, 0x00800000), 0x01000000);
    model_matches(A);
    vmm_check(A);
    /* Shrunk to its start: every page and the tables they emptied go, and so does
     * the region (a heap given back whole). */
    before = pmem_stats()->free;
    reset_calls();
    assert_int_equal(vmm_region_resize(A, R, R), VMM_OK);
    assert_null(vmm_region_find(A, R));
    assert_int_equal(vmm_translate(A, R, &(struct vmm_translation){0}), VMM_ENOENT);
    /* R+0x1000, R+0x2000 and their table; R stays: the child still maps it. */
    assert_int_equal(pmem_stats()->free, before + 2 + 1);
    assert_int_equal(calls_table_free, 1);
    assert_int_equal(fault_at(A, R, PFERR_U | PFERR_W, 0), FAULT_BAD);
    assert_int_equal(vmm_region_resize(A, R, R + 0x1000), VMM_ENOENT);
    model_matches(A);
    vmm_check(A);
}

static void test_check_catches_cow_mistakes(void **state)
{
    struct address_space *B = vmm_space_fork(A);
    uint32_t *pte = (uint32_t *)(host_ram + frame_of(B->pd[1]));
    (void)state;
    pte[0] |= PTE_W;
    EXPECT_PANIC(vmm_check(B), "vmm_check: copy-on-write page 0x00400000 is writable");
    pte[0] &= ~PTE_W;
    pte[3] |= PTE_COW; /* device memory */
    EXPECT_PANIC(vmm_check(B), "vmm_check: copy-on-write page 0x00403000");
    pte[3] &= ~PTE_COW;
    pmem_frame(pa1)->refs = 1;
    EXPECT_PANIC(vmm_check(B), "has 1 references but 2 mappings");
    pmem_frame(pa1)->refs = 2;
    vmm_check(B); /* and the marks were all cleared */
}

/* ---- randomized: forks, writes, unmaps, protects, destroys ----
 *
 * Up to RSPACES spaces, each with RSLOTS page slots (PTEs 0..7 and
 * 1016..1023 of PDEs 0, 1 and 767). A page's contents are its tag: word i
 * holds tag * 0x9E3779B1 + i. The shadow says, for each space and slot,
 * which tag the page holds (0: unmapped) and whether the program may write
 * it; writing goes through vmm_handle_fault first when the PTE is
 * copy-on-write, as the CPU would. After every step, every mapped page of
 * every space is probed (three words); every 500 steps, every word, each
 * frame's references against the mappings, vmm_check and the hooks' view.
 */
#define RSPACES 6
#define RSLOTS  48
#define RSTEPS  30000

struct rpage {
    uint32_t tag; /* 0: unmapped */
    int writable; /* W or COW: the program may write it */
};
static struct address_space *rs[RSPACES];
static struct rpage rshadow[RSPACES][RSLOTS];
static uint32_t rseed, rstate, next_tag;
static unsigned long rstep;
static uint16_t rrefs[HOST_RAM_SIZE >> 12];

#define RCHECK(cond)                                                                           \
    do {                                                                                       \
        if (!(cond))                                                                           \
            fail_msg("seed %u step %lu (%s:%d): %s", rseed, rstep, __FILE__, __LINE__, #cond); \
    } while (0)

static uint32_t rnd(uint32_t n)
{
    rstate ^= rstate << 13;
    rstate ^= rstate >> 17;
    rstate ^= rstate << 5;
    return rstate % n;
}

static uint32_t rslot_va(int slot)
{
    static const uint32_t pdes[3] = {0, 1, 767};
    int pti = slot % 16;
    return page_va(pdes[slot / 16], pti < 8 ? (uint32_t)pti : 1016u + (uint32_t)(pti - 8));
}

static void fill(uint32_t pa, uint32_t tag)
{
    uint32_t *w = arch_phys_to_virt(pa), i;
    for (i = 0; i < 1024; i++)
        w[i] = tag * 0x9E3779B1u + i;
}

/* Page slot of space s holds what the shadow says: words 0, 1023 and probe,
 * or all of them. */
static void rcheck_page(int s, int slot, int all)
{
    uint32_t pa = vmem_get_phys_addr(rs[s]->pd, rslot_va(slot)), *w, i, tag = rshadow[s][slot].tag;
    struct vmm_translation t;
    if (!tag) {
        RCHECK(pa == 0);
        return;
    }
    RCHECK(pa != 0);
    vmm_translate(rs[s], rslot_va(slot), &t);
    RCHECK(((t.flags & PTE_W) != 0) + ((t.flags & PTE_COW) != 0) == rshadow[s][slot].writable);
    w = arch_phys_to_virt(pa);
    if (all) {
        for (i = 0; i < 1024; i++)
            RCHECK(w[i] == tag * 0x9E3779B1u + i);
    } else {
        i = (uint32_t)rstep % 1024;
        RCHECK(w[0] == tag * 0x9E3779B1u);
        RCHECK(w[1023] == tag * 0x9E3779B1u + 1023);
        RCHECK(w[i] == tag * 0x9E3779B1u + i);
    }
}

static void rcheck_all(int all)
{
    int s, slot;
    if (all)
        memset(rrefs, 0, sizeof rrefs);
    for (s = 0; s < RSPACES; s++) {
        if (!rs[s])
            continue;
        for (slot = 0; slot < RSLOTS; slot++) {
            rcheck_page(s, slot, all);
            if (all && rshadow[s][slot].tag)
                rrefs[vmem_get_phys_addr(rs[s]->pd, rslot_va(slot)) >> 12]++;
        }
    }
    if (!all)
        return;
    for (s = 0; s < RSPACES; s++) {
        if (!rs[s])
            continue;
        vmm_check(rs[s]);
        model_matches(rs[s]);
        for (slot = 0; slot < RSLOTS; slot++) {
            uint32_t pa = vmem_get_phys_addr(rs[s]->pd, rslot_va(slot));
            if (rshadow[s][slot].tag)
                RCHECK(pmem_frame(pa)->refs == rrefs[pa >> 12]);
        }
    }
}

static void rop_write(int s, int slot)
{
    struct rpage *p = &rshadow[s][slot];
    uint32_t va = rslot_va(slot), pa;
    struct vmm_translation t;
    enum fault_outcome o;

    if (!p->tag) { /* map a fresh page */
        int writable = rnd(4) != 0;
        pa = host_frame(0);
        p->tag = ++next_tag;
        fill(pa, p->tag);
        RCHECK(vmm_map(rs[s], va, pa, writable ? URW : PTE_U) == VMM_OK);
        pmem_unref(pa);
        p->writable = writable;
        return;
    }
    vmm_translate(rs[s], va, &t);
    if (!(t.flags & PTE_W)) {
        /* What the CPU does on a write to a read-only page. */
        o = fault_at(rs[s], va + rnd(4096), WFAULT, 0x08048000);
        RCHECK(o == (p->writable ? FAULT_RESOLVED : FAULT_BAD));
        if (!p->writable)
            return;
        vmm_translate(rs[s], va, &t);
        RCHECK((t.flags & (PTE_W | PTE_COW)) == PTE_W);
    }
    p->tag = ++next_tag;
    fill(frame_of(t.pa), p->tag);
}

static void rop_fork(int s)
{
    int t;
    for (t = 0; t < RSPACES && rs[t]; t++)
        ;
    if (t == RSPACES) {
        /* All slots taken: destroy one instead. */
        t = (int)rnd(RSPACES);
        if (rs[t] == vmm_current_space())
            vmm_space_switch(vmm_kernel_space());
        RCHECK(vmm_space_destroy(rs[t]) == VMM_OK);
        rs[t] = 0;
        memset(rshadow[t], 0, sizeof rshadow[t]);
        return;
    }
    RCHECK((rs[t] = vmm_space_fork(rs[s])) != 0);
    memcpy(rshadow[t], rshadow[s], sizeof rshadow[t]);
}

static void rop_unmap(int s, int slot)
{
    int err = vmm_unmap(rs[s], rslot_va(slot), 0);
    RCHECK(err == (rshadow[s][slot].tag ? VMM_OK : VMM_ENOENT));
    rshadow[s][slot].tag = 0;
}

/* Read-only on anything; writable only where the program may write
 * already (read-only pages shared by a fork stay shared). */
static void rop_protect(int s, int slot)
{
    struct rpage *p = &rshadow[s][slot];
    int writable = (int)rnd(2) && p->writable, err;
    if (!p->tag)
        return;
    if (rnd(2))
        err = vmm_protect(rs[s], rslot_va(slot), writable ? URW : PTE_U);
    else
        err = vmm_protect_range(rs[s], rslot_va(slot), 1, writable ? URW : PTE_U);
    RCHECK(err == VMM_OK);
    p->writable = writable;
}

static void test_cow_random(void **state)
{
    const char *env = getenv("KOIZ_SEED");
    int s, slot;
    (void)state;
    rseed = env ? (uint32_t)strtoul(env, 0, 0) : (uint32_t)time(0);
    rstate = rseed ? rseed : 1;
    printf("test_cow_random: seed %u (KOIZ_SEED=%u repeats this run)\n", rseed, rseed);
    assert_int_equal(vmm_space_destroy(A), VMM_OK);
    pmem_set_junk_fill(0);
    memset(rs, 0, sizeof rs);
    memset(rshadow, 0, sizeof rshadow);
    next_tag = 0;
    rs[0] = vmm_space_create();
    for (rstep = 0; rstep < RSTEPS; rstep++) {
        int r = (int)rnd(100);
        s = (int)rnd(RSPACES);
        slot = (int)rnd(RSLOTS);
        if (!rs[s]) {
            for (s = 0; !rs[s]; s++)
                ;
        }
        if (r < 50)
            rop_write(s, slot);
        else if (r < 62)
            rop_unmap(s, slot);
        else if (r < 70)
            rop_protect(s, slot);
        else if (r < 76)
            rop_fork(s);
        else if (r < 80)
            vmm_space_switch(rs[s]);
        else
            rcheck_page(s, slot, 1);
        rcheck_all(rstep % 500 == 499);
    }
    rcheck_all(1);
    printf("test_cow_random: %lu steps, %u forks, %u copies, %u reuses, %u bad writes\n", rstep,
           vmm_stats()->forks, vmm_stats()->cow_copies, vmm_stats()->cow_reuses,
           vmm_stats()->faults[FAULT_BAD]);
    vmm_space_switch(vmm_kernel_space());
    for (s = 0; s < RSPACES; s++)
        if (rs[s])
            RCHECK(vmm_space_destroy(rs[s]) == VMM_OK);
    back_to_baseline();
    pmem_set_junk_fill(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fork_shares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_copies_then_reuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_of_fork_and_destroy_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_protect_clone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_out_of_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cow_fault_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_resize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_catches_cow_mistakes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cow_random, setup, teardown),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
