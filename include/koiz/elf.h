/*
 * elf.h: checking a user program's ELF file before anything of it is
 * loaded. Koiz runs 32-bit little-endian i386 executables (ET_EXEC) whose
 * loadable segments lie in user space; anything else is refused with a
 * sentence saying why, and never run.
 */
#ifndef KOIZ_ELF_H
#define KOIZ_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16

/* One PT_LOAD segment: file bytes [offset, offset+filesz) go to virtual
 * [vaddr, vaddr+filesz); the rest up to memsz is zero. */
struct elf_segment {
    uint32_t vaddr, memsz;
    uint32_t offset, filesz;
    int writable, executable;
};

struct elf_image {
    uint32_t entry;
    int nsegments;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/*
 * Checks the size-byte file at data and fills *img. user_end is the first
 * address programs may not use (KERNEL_BASE). Returns 0, or -1 with a
 * message in why (at most why_size bytes) naming what is wrong.
 */
int elf_check(const void *data, size_t size, uint32_t user_end, struct elf_image *img, char *why,
              size_t why_size);

#endif
