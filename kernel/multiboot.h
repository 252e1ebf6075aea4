/*
 * multiboot.h: what the boot loader told us (Multiboot 0.6.96), copied into
 * kernel memory at boot so nothing later depends on where GRUB left it.
 */
#ifndef KOIZ_MULTIBOOT_H
#define KOIZ_MULTIBOOT_H

#include <stdint.h>
#include <koiz/options.h>

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002u

#define MB_INFO_MEMORY  (1u << 0) /* mem_lower, mem_upper */
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)

/* Region types as the BIOS's E820 call reports them. */
#define MEM_AVAILABLE    1
#define MEM_RESERVED     2
#define MEM_ACPI_RECLAIM 3
#define MEM_ACPI_NVS     4
#define MEM_BAD          5

#define MAX_REGIONS 64
#define MAX_MODULES 8

struct mem_region {
    uint64_t base, length;
    uint32_t type;
};

struct boot_module {
    uint32_t start, end; /* physical, end exclusive */
    char name[48];
};

struct boot_info {
    uint32_t flags;     /* which parts the loader gave */
    uint32_t info_phys; /* where its structures were (to keep their frames) */
    uint32_t mem_lower_kib, mem_upper_kib;
    int mmap_from_loader; /* 0: regions synthesized from mem_lower/upper */
    struct mem_region regions[MAX_REGIONS];
    int nregions;
    int regions_dropped;           /* map entries past MAX_REGIONS or above 4 GiB */
    uint64_t usable_bytes;         /* sum of available regions below 4 GiB */
    uint64_t ignored_bytes;        /* available RAM at or above 4 GiB, which we cannot use */
    uint64_t highest_usable;       /* end of the highest available byte below 4 GiB */
    char cmdline[CMDLINE_MAX + 1]; /* one more than options_parse reads: it sees a line too long */
    struct boot_module modules[MAX_MODULES];
    int nmodules;
};

extern struct boot_info boot_info;

/*
 * Reads the loader's structures (physical address info_phys) into
 * boot_info. Returns 0, or -1 when there is no memory information at all.
 */
int multiboot_read(uint32_t info_phys);
void multiboot_print(void);
const char *mem_type_name(uint32_t type);

#endif
