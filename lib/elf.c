/*
 * elf.c: ELF32 checking for user programs (see include/koiz/elf.h). Every
 * field that says where something is, or how big, is checked against the
 * file's size or the user address range before it is believed: a program
 * comes from a disk or a boot module, and a bad one must cost a message,
 * not the kernel.
 */
#include <koiz/elf.h>
#include <koiz/klib.h>

struct ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#define ET_EXEC 2
#define EM_386  3
#define PT_LOAD 1
#define PF_X    1
#define PF_W    2

static int refuse(char *why, size_t size, const char *what, uint32_t value)
{
    if (why && size)
        ksnprintf(why, size, "%s (0x%x)", what, value);
    return -1;
}

int elf_check(const void *data, size_t size, uint32_t user_end, struct elf_image *img, char *why,
              size_t why_size)
{
    const unsigned char *bytes = data;
    struct ehdr eh;
    int entry_inside = 0;

    kmemset(img, 0, sizeof *img);
    if (!data || size < sizeof eh)
        return refuse(why, why_size, "elf: shorter than an ELF header", (uint32_t)size);
    kmemcpy(&eh, data, sizeof eh);
    if (kmemcmp(eh.ident, "\177ELF", 4) != 0)
        return refuse(why, why_size, "elf: not an ELF file (bad magic)", bytes[0]);
    if (eh.ident[4] != 1)
        return refuse(why, why_size, "elf: not a 32-bit ELF file (class)", eh.ident[4]);
    if (eh.ident[5] != 1)
        return refuse(why, why_size, "elf: not little-endian", eh.ident[5]);
    if (eh.type != ET_EXEC)
        return refuse(why, why_size, "elf: not an executable (type)", eh.type);
    if (eh.machine != EM_386)
        return refuse(why, why_size, "elf: not for the i386 (machine)", eh.machine);
    if (eh.phentsize != sizeof(struct phdr))
        return refuse(why, why_size, "elf: unexpected program header size", eh.phentsize);
    if (eh.phnum == 0 || eh.phnum > 64)
        return refuse(why, why_size, "elf: no or too many program headers", eh.phnum);
    if (eh.phoff > size || (uint64_t)eh.phoff + (uint64_t)eh.phnum * sizeof(struct phdr) > size)
        return refuse(why, why_size, "elf: program headers run past the end of the file", eh.phoff);

    for (uint32_t i = 0; i < eh.phnum; i++) {
        struct phdr ph;
        struct elf_segment *seg;
        kmemcpy(&ph, bytes + eh.phoff + i * sizeof ph, sizeof ph);
        if (ph.type != PT_LOAD)
            continue;
        if (ph.memsz == 0)
            continue;
        if (img->nsegments == ELF_MAX_SEGMENTS)
            return refuse(why, why_size, "elf: too many loadable segments", eh.phnum);
        if (ph.filesz > ph.memsz)
            return refuse(why, why_size, "elf: a segment's file size exceeds its memory size", ph.filesz);
        if ((uint64_t)ph.offset + ph.filesz > size)
            return refuse(why, why_size, "elf: a segment runs past the end of the file", ph.offset);
        if (ph.vaddr < 0x1000)
            return refuse(why, why_size, "elf: a segment in the first page (kept unmapped for null pointers)",
                          ph.vaddr);
        if ((uint64_t)ph.vaddr + ph.memsz > user_end)
            return refuse(why, why_size, "elf: a segment reaches into kernel space", ph.vaddr);
        if ((ph.vaddr & 0xFFF) != (ph.offset & 0xFFF))
            return refuse(why, why_size, "elf: a segment's address and file offset disagree within a page",
                          ph.vaddr);
        for (int k = 0; k < img->nsegments; k++) {
            const struct elf_segment *o = &img->segments[k];
            /* Page granularity: two segments may not share a page with different rights. */
            uint32_t a0 = ph.vaddr & ~0xFFFu, a1 = (ph.vaddr + ph.memsz + 0xFFF) & ~0xFFFu;
            uint32_t b0 = o->vaddr & ~0xFFFu, b1 = (o->vaddr + o->memsz + 0xFFF) & ~0xFFFu;
            if (a0 < b1 && b0 < a1)
                return refuse(why, why_size, "elf: two segments share a page", ph.vaddr);
        }
        seg = &img->segments[img->nsegments++];
        seg->vaddr = ph.vaddr;
        seg->memsz = ph.memsz;
        seg->offset = ph.offset;
        seg->filesz = ph.filesz;
        seg->writable = !!(ph.flags & PF_W);
        seg->executable = !!(ph.flags & PF_X);
        if (eh.entry >= ph.vaddr && eh.entry < ph.vaddr + ph.memsz && seg->executable)
            entry_inside = 1;
    }
    if (img->nsegments == 0)
        return refuse(why, why_size, "elf: nothing to load", eh.phnum);
    if (!entry_inside)
        return refuse(why, why_size, "elf: the entry point is not in an executable segment", eh.entry);
    img->entry = eh.entry;
    return 0;
}
