/*
 * host_arch.c: arch.h for host tests (see host_arch.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include "host_arch.h"
#include "../arch.h"
#include "../pmm.h"
#include "../vmm.h"

unsigned char *host_ram;
struct host_log host_log;
jmp_buf host_panic_jmp;
int host_panic_expected;
char host_panic_msg[512];

void arch_load_cr3(uint32_t pd_phys)
{
    host_log.cr3_loads++;
    host_log.cr3 = pd_phys;
}

void arch_invlpg(uint32_t va)
{
    host_log.invlpgs++;
    host_log.last_invlpg = va;
}

void arch_flush_tlb(void)
{
    host_log.flushes++;
}

uint32_t arch_read_cr2(void)
{
    return host_log.cr2;
}

void *arch_phys_to_virt(uint32_t pa)
{
    if (pa >= HOST_RAM_SIZE)
        arch_panic("arch_phys_to_virt: 0x%08x is beyond the simulated RAM", pa);
    return host_ram + pa;
}

void arch_enable_paging_features(int pse, int pge)
{
    host_log.pse = pse;
    host_log.pge = pge;
}

void arch_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(host_panic_msg, sizeof host_panic_msg, fmt, ap);
    va_end(ap);
    if (host_panic_expected) {
        host_panic_expected = 0;
        longjmp(host_panic_jmp, 1);
    }
    fail_msg("unexpected panic: %s", host_panic_msg);
    abort(); /* fail_msg does not return inside a test */
}

void host_pmm_boot(uint32_t ram_top)
{
    struct pmm_region regions[] = {
        {0, 0x9F000},
        {0x100000, ram_top - 0x100000},
    };
    struct pmm_range reserved[] = {{HOST_KERNEL_START, HOST_KERNEL_END, FRAME_IMAGE}};

    if (!host_ram && !(host_ram = aligned_alloc(4096, HOST_RAM_SIZE)))
        abort();
    memset(host_ram, 0, ram_top);
    memset(&host_log, 0, sizeof host_log);
    pmem_init(regions, 2, reserved, 1);
}

struct address_space *host_boot(uint32_t ram_top, int pse, int pge)
{
    struct vmem_config cfg = {pse, pge, HOST_PHYSWIN_TABLE | PTE_P | PTE_W};
    host_pmm_boot(ram_top);
    return vmem_init(&cfg);
}

uint32_t host_frame(unsigned char b)
{
    uint32_t pa = pmem_alloc_for(FRAME_PROCESS);
    assert_int_not_equal(pa, 0);
    memset(host_ram + pa, b, 4096);
    return pa;
}
