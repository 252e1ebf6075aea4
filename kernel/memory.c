/*
 * memory.c: the hand-over from the boot map to real memory management.
 *
 * pmm gets the available regions of the memory map and the ranges it must
 * never hand out, each with what it holds: the telemetry queue, the kernel
 * image with its boot stack and boot tables, the loader's structures, boot
 * modules, and RAM the memory map also reserves. vmem_init builds the kernel's address
 * space (a direct map of RAM at KERNEL_BASE, the heap's page tables, the
 * physical window) and vmem_enable_page_dir makes it live: from then on the
 * identity map of the first 4 MiB is gone, so a stray low pointer faults.
 *
 * The kernel heap maps its pages itself as its top grows (heap_back), and
 * gives them back as it shrinks: a kmalloc with no frame left is a NULL the
 * caller handles, never a fault in the middle of kernel code with nothing
 * to map. So the frame counters come back to where they were once the
 * heap's blocks are freed.
 */
#include <koiz/klib.h>
#include "../vmm/heap.h"
#include "../vmm/pmm.h"
#include "../vmm/vmm.h"
#include "dev/console.h"
#include "dev/shared_ring.h"
#include "kernel.h"
#include "memory.h"
#include "multiboot.h"
#include "physwin.h"
#include "telemetry.h"
#include "x86.h"

uint64_t tsc_at_kmain, tsc_at_paging, cycles_paging_on;

void vmem_enable_page_dir(uint32_t page_dir_phys) __attribute__((fastcall));

static void heap_release(uintptr_t start, uintptr_t end)
{
    for (uintptr_t va = start; va < end; va += 4096) {
        int err = vmm_unmap(vmm_kernel_space(), (uint32_t)va, 0);
        if (err != VMM_OK)
            panic("heap_release: unmapping heap page 0x%08x failed: %s", (uint32_t)va, vmm_strerror(err));
    }
}

static int heap_back(uintptr_t start, uintptr_t end)
{
    for (uintptr_t va = start; va < end; va += 4096) {
        uint32_t pa = pmem_alloc_for(FRAME_KERNEL);
        int err;
        if (!pa) {
            heap_release(start, va);
            return -1;
        }
        err = vmm_map(vmm_kernel_space(), (uint32_t)va, pa, PTE_W);
        pmem_unref(pa); /* the mapping holds it now */
        if (err != VMM_OK)
            panic("heap_back: mapping heap page 0x%08x failed: %s", (uint32_t)va, vmm_strerror(err));
    }
    return 0;
}

static const struct heap_backing heap_pages = {heap_back, heap_release};

int memory_init(char *why, unsigned why_size)
{
    struct pmm_region regions[MAX_REGIONS];
    struct pmm_range reserved[4 + MAX_MODULES + MAX_REGIONS];
    uintptr_t queue_start, queue_end;
    struct vmem_config cfg;
    struct address_space *kas;
    const struct pmm_stats *ps;
    int n = 0, r = 0;

    for (int i = 0; i < boot_info.nregions; i++) {
        if (boot_info.regions[i].type != MEM_AVAILABLE)
            continue;
        regions[n].base = boot_info.regions[i].base;
        regions[n].length = boot_info.regions[i].length;
        n++;
    }
    /* The telemetry queue is in the image: listed first, its frames are said to hold it. */
    telemetry_queue_area(&queue_start, &queue_end);
    reserved[r++] = (struct pmm_range){V2P(queue_start), V2P(queue_end), FRAME_TELEMETRY};
    shared_ring_area(&queue_start, &queue_end); /* and the shared-memory channel's area */
    reserved[r++] = (struct pmm_range){V2P(queue_start), V2P(queue_end), FRAME_TELEMETRY};
    reserved[r++] = (struct pmm_range){(uint32_t)_kernel_start_phys, (uint32_t)V2P(_kernel_end), FRAME_IMAGE};
    /* The loader's info block: we copied what we need, but keep its page for the record. */
    reserved[r++] = (struct pmm_range){boot_info.info_phys & ~0xFFFu,
                                       (boot_info.info_phys & ~0xFFFu) + 0x1000, FRAME_BOOT};
    for (int i = 0; i < boot_info.nmodules; i++)
        reserved[r++] = (struct pmm_range){boot_info.modules[i].start & ~0xFFFu,
                                           (boot_info.modules[i].end + 0xFFF) & ~0xFFFu, FRAME_BOOT};
    /* Real firmware's maps can overlap: an "available" entry that also covers an ACPI
     * table or a reserved area. What the map reserves wins, as Linux's e820 does it. */
    for (int i = 0; i < boot_info.nregions; i++) {
        const struct mem_region *m = &boot_info.regions[i];
        uint64_t end = m->base + m->length;
        if (m->type == MEM_AVAILABLE || m->base >= PMM_LIMIT)
            continue;
        for (int j = 0; j < n; j++)
            if (regions[j].base < end && m->base < regions[j].base + regions[j].length)
                kprintf_color(VGA_YELLOW,
                              "Memory map: %010llx - %010llx is %s but also listed as available; "
                              "kept back\n",
                              m->base, end - 1, mem_type_name(m->type));
        reserved[r++] = (struct pmm_range){(uint32_t)m->base, (uint32_t)(end < PMM_LIMIT ? end : PMM_LIMIT),
                                           FRAME_RESERVED};
    }
    pmem_init(regions, n, reserved, r);
    if (pmem_stats()->free < MIN_FREE_FRAMES) {
        ksnprintf(why, why_size, "only %u KiB of RAM are free once the kernel is loaded; Koiz needs %u KiB",
                  pmem_stats()->free * 4, MIN_FREE_FRAMES * 4);
        return -1;
    }

    cfg.pse = !!(cpu.edx1 & CPUID_PSE);
    cfg.pge = !!(cpu.edx1 & CPUID_PGE);
    cfg.physwin_pde = physwin_pde();
    {
        uint64_t start = (cpu.edx1 & CPUID_TSC) ? rdtsc() : 0;
        kas = vmem_init(&cfg);
        vmem_enable_page_dir(kas->pd_phys);
        vmm_space_switch(kas); /* vmm's record of the live space; CR3 is already kas */
        if (cpu.edx1 & CPUID_TSC) {
            tsc_at_paging = rdtsc();
            cycles_paging_on = tsc_at_paging - start;
        }
    }

    heap_init((void *)KHEAP_BASE, KHEAP_SIZE);
    heap_set_backing(&heap_pages);

    ps = pmem_stats();
    kprintf("Paging: directory at 0x%08x; RAM direct-mapped at 0x%08x (%u MiB, %s)%s\n", kas->pd_phys,
            DIRECT_MAP_BASE, vmm_stats()->direct_map_bytes >> 20,
            cfg.pse ? "4 MiB pages" : "4 KiB pages: this CPU has no PSE",
            cfg.pge ? ", kernel pages global" : ", no global pages: this CPU has no PGE");
    kprintf("Frames: %u free of %u (%u KiB), %u in page tables, %u kernel%s\n", ps->free, ps->total,
            ps->total * 4, ps->page_tables, ps->kernel, ps->ignored_high ? "" : "");
    if (ps->ignored_high)
        kprintf_color(VGA_YELLOW, "Frames: %u available frames above %u MiB are not used\n", ps->ignored_high,
                      PMM_LIMIT >> 20);
    return 0;
}
