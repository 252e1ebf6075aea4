/*
 * test_fault.c: regions and the page-fault policy.
 *
 *   host_boot's 64 MiB machine (host_arch.h); a user space A with:
 *
 *   0x30000000 .. 0x30004000  demand-zero region (4 pages)
 *   0x2FFFF000 .. 0x30000000  guard page just below it
 *   0xF0000000 .. 0xF2000000  the kernel heap, demand-zero (the kernel space's region)
 */
#include "host_arch.h"
#include "../arch.h"
#include "../hooks.h"
#include "../pmm.h"
#include "../vmm.h"

#define DZ 0x30000000u
#define UW (PFERR_U | PFERR_W)

static struct address_space *A;

static int setup(void **state)
{
    (void)state;
    host_boot(HOST_RAM_SIZE, 1, 1);
    A = vmm_space_create();
    assert_int_equal(vmm_region_add(A, DZ, DZ + 0x4000, REGION_DEMAND_ZERO), VMM_OK);
    assert_int_equal(vmm_region_add(A, DZ - 0x1000, DZ, REGION_GUARD), VMM_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vmm_set_hooks(0);
    return 0;
}

static void test_region_errors(void **state)
{
    struct address_space *K = vmm_kernel_space();
    int i;
    (void)state;
    assert_int_equal(vmm_region_add(A, 0x1001, 0x2000, REGION_GUARD), VMM_EUNALIGNED);
    assert_int_equal(vmm_region_add(A, 0x1000, 0x2001, REGION_GUARD), VMM_EUNALIGNED);
    assert_int_equal(vmm_region_add(A, 0x2000, 0x2000, REGION_GUARD), VMM_EINVAL);
    assert_int_equal(vmm_region_add(A, 0x1000, 0x2000, REGION_NONE), VMM_EINVAL);
    assert_int_equal(vmm_region_add(A, 0xBFFFF000, 0xC0001000, REGION_GUARD), VMM_EINVAL);
    assert_int_equal(vmm_region_add(A, KHEAP_BASE, KHEAP_END, REGION_GUARD),
                     VMM_EINVAL); /* kernel, in a user space */
    assert_int_equal(vmm_region_add(K, 0x1000, 0x2000, REGION_GUARD), VMM_EINVAL); /* user, in the kernel's */
    assert_int_equal(vmm_region_add(K, 0xE0000000, 0xE0001000, REGION_DEMAND_ZERO),
                     VMM_EINVAL); /* outside the heap */
    assert_int_equal(vmm_region_add(K, 0xE0000000, 0xE0001000, REGION_GUARD), VMM_OK);
    assert_int_equal(vmm_region_add(A, DZ + 0x3000, DZ + 0x5000, REGION_GUARD), VMM_EEXIST);
    for (i = 2; i < VMM_MAX_REGIONS; i++)
        assert_int_equal(vmm_region_add(A, 0x1000 * (i + 1), 0x1000 * (i + 2), REGION_GUARD), VMM_OK);
    assert_int_equal(vmm_region_add(A, 0x100000, 0x101000, REGION_GUARD), VMM_ENOMEM);
    assert_null(vmm_region_find(A, 0x100000));
    assert_int_equal(vmm_region_find(A, DZ + 0x3FFF)->kind, REGION_DEMAND_ZERO);
    assert_null(vmm_region_find(A, DZ + 0x4000));
}

static void test_demand_zero(void **state)
{
    struct vmm_translation t;
    uint32_t junk = pmem_alloc();
    (void)state;
    pmem_free(junk); /* the next frame out is full of junk */
    vmm_space_switch(A);
    assert_int_equal(fault_at(A, DZ + 0x1234, UW, 0x08048000), FAULT_RESOLVED);
    assert_int_equal(vmm_translate(A, DZ + 0x1000, &t), VMM_OK);
    assert_int_equal(t.pa, junk);
    assert_int_equal(t.flags, PTE_P | PTE_U | PTE_W);
    assert_int_equal(host_ram[t.pa], 0);
    assert_int_equal(host_ram[t.pa + 4095], 0);
    assert_int_equal(pmem_use(t.pa), FRAME_PROCESS);
    assert_int_equal(pmem_frame(t.pa)->refs, 1); /* the mapping owns it */
    assert_int_equal(A->pages, 1);
    /* Already mapped (a stale TLB entry): resolved, and the entry dropped. */
    assert_int_equal(fault_at(A, DZ + 0x1000, PFERR_U, 0), FAULT_RESOLVED);
    assert_int_equal(host_log.last_invlpg, DZ + 0x1000);
    assert_int_equal(A->pages, 1);
    assert_int_equal(vmm_stats()->faults[FAULT_RESOLVED], 2);
    vmm_check(A);
}

static void test_bad_faults(void **state)
{
    (void)state;
    assert_int_equal(fault_at(A, DZ, PFERR_P | UW, 0), FAULT_BAD);    /* protection */
    assert_int_equal(fault_at(A, 0x00001000, PFERR_U, 0), FAULT_BAD); /* no region */
    assert_int_equal(fault_at(A, 0xC8000000, 0, 0), FAULT_BAD);       /* kernel, no region */
    assert_int_equal(fault_at(A, KHEAP_BASE, PFERR_U, 0), FAULT_BAD); /* user touching the heap */
    assert_int_equal(fault_at(0, 0x00001000, 0, 0), FAULT_BAD);       /* no live space */
    assert_int_equal(fault_at(A, DZ - 4, UW, 0), FAULT_STACK_OVERFLOW);
    assert_int_equal(vmm_stats()->faults[FAULT_BAD], 5);
    assert_int_equal(vmm_stats()->faults[FAULT_STACK_OVERFLOW], 1);
    assert_int_equal(A->pages, 0);
}

static void test_kernel_heap_fault(void **state)
{
    struct address_space *B = vmm_space_create();
    uint32_t pa;
    (void)state;
    /* A fault in the heap while A is live maps into the shared kernel table. */
    assert_int_equal(fault_at(A, KHEAP_BASE + 0x5010, PFERR_W, 0xC0101234), FAULT_RESOLVED);
    pa = vmem_get_phys_addr(B->pd, KHEAP_BASE + 0x5000);
    assert_int_not_equal(pa, 0);
    assert_int_equal(pmem_use(pa), FRAME_KERNEL);
    assert_int_equal(vmem_get_phys_addr(A->pd, KHEAP_BASE + 0x5000), pa);
    assert_int_equal(A->pages, 0);
    vmm_check(vmm_kernel_space());
}

static void test_fault_out_of_memory(void **state)
{
    struct pmm_stats before;
    (void)state;
    while (pmem_stats()->free > 1)
        pmem_alloc();
    /* One frame left: the page gets it, the new page table cannot. */
    memcpy(&before, pmem_stats(), sizeof before);
    assert_int_equal(fault_at(A, DZ, UW, 0), FAULT_OUT_OF_MEMORY);
    assert_int_equal(pmem_stats()->free, 1);
    assert_int_equal(A->pages, 0);
    pmem_alloc();
    assert_int_equal(fault_at(A, DZ, UW, 0), FAULT_OUT_OF_MEMORY);
    assert_int_equal(vmm_stats()->faults[FAULT_OUT_OF_MEMORY], 2);
}

static struct vmm_fault seen;
static int fault_calls;
static void on_fault(const struct vmm_fault *f)
{
    memcpy(&seen, f, sizeof seen);
    fault_calls++;
}

static void test_fault_report(void **state)
{
    struct vmm_hooks h = {.fault = on_fault};
    struct vmm_fault f;
    (void)state;
    vmm_set_hooks(&h);
    /* vmm decides and fills the report; the hook hears of it only when the kernel reports it. */
    assert_int_equal(vmm_handle_fault(A, DZ - 8, UW, 0x1234, &f), FAULT_STACK_OVERFLOW);
    assert_int_equal(fault_calls, 0);
    assert_int_equal(f.cr2, DZ - 8);
    assert_int_equal(f.eip, 0x1234);
    assert_int_equal(f.error, UW);
    assert_ptr_equal(f.space, A);
    assert_int_equal(f.outcome, FAULT_STACK_OVERFLOW);
    assert_int_equal(f.region, REGION_GUARD);
    assert_false(f.copy_on_write);
    f.verdict = VERDICT_KILLS;
    vmm_fault_report(&f);
    assert_int_equal(fault_calls, 1);
    assert_int_equal(seen.verdict, VERDICT_KILLS);
    assert_int_equal(seen.region, REGION_GUARD);
    assert_int_equal(vmm_handle_fault(A, KHEAP_BASE, 0, 0, &f), FAULT_RESOLVED);
    assert_ptr_equal(f.space, vmm_kernel_space());
    assert_int_equal(f.region, REGION_DEMAND_ZERO);
    /* A system call's access: the error code the CPU would push. */
    assert_int_equal(vmm_user_access(A, DZ + 0x2000, 1, &f), FAULT_RESOLVED);
    assert_int_equal(f.error, PFERR_U | PFERR_W);
    assert_int_equal(vmm_user_access(A, DZ + 0x2000, 0, &f), FAULT_BAD); /* a read of a present page */
    assert_int_equal(f.error, PFERR_U | PFERR_P);
    assert_int_equal(f.eip, 0);
}

static void test_outcome_names(void **state)
{
    (void)state;
    assert_string_equal(vmm_fault_outcome_name(FAULT_RESOLVED), "resolved");
    assert_string_equal(vmm_fault_outcome_name(FAULT_STACK_OVERFLOW), "stack overflow");
    assert_string_equal(vmm_fault_outcome_name(FAULT_BAD), "bad access");
    assert_string_equal(vmm_fault_outcome_name(FAULT_OUT_OF_MEMORY), "out of memory");
    assert_string_equal(vmm_fault_outcome_name(FAULT_OUTCOMES), "invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_region_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demand_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_heap_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcome_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
