/*
 * multiboot.c: read the multiboot information GRUB left in low memory.
 * Every pointer in it is physical and may lie outside the boot map, so all
 * reads go through phys_read. The memory map is copied and checked: entries
 * above 4 GiB are dropped with a message (a 32-bit kernel without PAE cannot
 * use them), and a loader with no map at all still gets us booted from
 * mem_lower/mem_upper.
 */
#include <koiz/klib.h>
#include "dev/console.h"
#include "kernel.h"
#include "multiboot.h"
#include "physwin.h"

struct boot_info boot_info;

/* The loader's layout (Multiboot spec 3.3), the fields we read. */
struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap_entry {
    uint32_t size; /* of the rest of the entry */
    uint64_t base, length;
    uint32_t type;
} __attribute__((packed));

struct mb_module {
    uint32_t start, end, string, reserved;
} __attribute__((packed));

const char *mem_type_name(uint32_t type)
{
    switch (type) {
    case MEM_AVAILABLE: return "available";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIM: return "ACPI reclaimable";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad RAM";
    default: return "unknown";
    }
}

static void read_string(uint32_t pa, char *out, size_t size)
{
    size_t i;
    for (i = 0; i + 1 < size; i++) {
        phys_read(pa + (uint32_t)i, &out[i], 1);
        if (!out[i])
            return;
    }
    out[i] = '\0';
}

static void add_region(uint64_t base, uint64_t length, uint32_t type)
{
    struct boot_info *b = &boot_info;
    const uint64_t four_gib = 0x100000000ull;

    if (length == 0)
        return;
    if (base >= four_gib) {
        b->regions_dropped++;
        if (type == MEM_AVAILABLE)
            b->ignored_bytes += length;
        return;
    }
    if (base + length > four_gib || base + length < base) {
        if (type == MEM_AVAILABLE)
            b->ignored_bytes += base + length - four_gib;
        length = four_gib - base;
        b->regions_dropped++;
    }
    if (b->nregions == MAX_REGIONS) {
        b->regions_dropped++;
        return;
    }
    b->regions[b->nregions].base = base;
    b->regions[b->nregions].length = length;
    b->regions[b->nregions].type = type;
    b->nregions++;
    if (type == MEM_AVAILABLE) {
        b->usable_bytes += length;
        if (base + length > b->highest_usable)
            b->highest_usable = base + length;
    }
}

static void read_mmap(const struct mb_info *mi)
{
    uint32_t off = 0;
    /* Each entry says its own size (not counting the size field), so step by that. */
    while (off + sizeof(struct mb_mmap_entry) <= mi->mmap_length) {
        struct mb_mmap_entry e;
        phys_read(mi->mmap_addr + off, &e, sizeof e);
        if (e.size < 20 || e.size > 256)
            break; /* a corrupt map: keep what we read so far */
        add_region(e.base, e.length, e.type);
        off += e.size + 4;
    }
}

int multiboot_read(uint32_t info_phys)
{
    struct boot_info *b = &boot_info;
    struct mb_info mi;

    kmemset(b, 0, sizeof *b);
    b->info_phys = info_phys;
    phys_read(info_phys, &mi, sizeof mi);
    b->flags = mi.flags;

    if (mi.flags & MB_INFO_CMDLINE)
        read_string(mi.cmdline, b->cmdline, sizeof b->cmdline);
    if (mi.flags & MB_INFO_MEMORY) {
        b->mem_lower_kib = mi.mem_lower;
        b->mem_upper_kib = mi.mem_upper;
    }
    if (mi.flags & MB_INFO_MODS) {
        for (uint32_t i = 0; i < mi.mods_count && i < MAX_MODULES; i++) {
            struct mb_module m;
            phys_read(mi.mods_addr + i * (uint32_t)sizeof m, &m, sizeof m);
            b->modules[i].start = m.start;
            b->modules[i].end = m.end;
            read_string(m.string, b->modules[i].name, sizeof b->modules[i].name);
            b->nmodules++;
        }
    }
    if ((mi.flags & MB_INFO_MMAP) && mi.mmap_length > 0) {
        b->mmap_from_loader = 1;
        read_mmap(&mi);
    }
    if (b->nregions == 0 && (mi.flags & MB_INFO_MEMORY)) {
        /* No map: trust the two classic numbers, conventional memory and memory above 1 MiB. */
        add_region(0, (uint64_t)mi.mem_lower * 1024, MEM_AVAILABLE);
        add_region(0x100000, (uint64_t)mi.mem_upper * 1024, MEM_AVAILABLE);
    }
    return b->nregions > 0 ? 0 : -1;
}

void multiboot_print(void)
{
    const struct boot_info *b = &boot_info;

    if (!b->mmap_from_loader)
        kprintf_color(VGA_YELLOW, "multiboot: the loader gave no memory map; using mem_lower/mem_upper\n");
    kprintf("Memory map (%s):\n", b->mmap_from_loader ? "from the BIOS via GRUB" : "synthesized");
    for (int i = 0; i < b->nregions; i++) {
        const struct mem_region *r = &b->regions[i];
        kprintf("  %010llx - %010llx  %8llu KiB  %s\n", r->base, r->base + r->length - 1, r->length / 1024,
                mem_type_name(r->type));
    }
    if (b->regions_dropped)
        kprintf_color(VGA_YELLOW,
                      "  %d region(s) above 4 GiB or past the table were ignored"
                      " (%llu KiB of RAM a 32-bit kernel without PAE cannot use)\n",
                      b->regions_dropped, b->ignored_bytes / 1024);
    kprintf("Usable RAM: %llu KiB (%llu MiB)\n", b->usable_bytes / 1024, b->usable_bytes >> 20);
}
