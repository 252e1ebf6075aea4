/*
 * ptdump.c: the text dump of a directory and its tables (ptdump.h). A
 * walker visits the present entries in address order and hands each page to
 * a sink that gathers a run and prints it when the next page does not
 * extend it.
 */
#include "ptdump.h"
#include "record.h"

/* A run of mappings being gathered; printed when the next page does not extend it. */
struct run {
    FILE *f;
    int open;
    uint64_t start, end, phys_next;
    uint32_t phys, flags, size;
};

static const char *human(uint64_t bytes, char *buf, size_t size)
{
    static const char units[] = "KMG";
    int u = -1;
    while (u < 2 && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, size, "%llu", (unsigned long long)bytes);
    else
        snprintf(buf, size, "%llu%c", (unsigned long long)bytes, units[u]);
    return buf;
}

static void run_emit(struct run *r)
{
    char sz[24], fl[64];
    uint32_t e = r->flags;
    if (!r->open)
        return;
    int n = snprintf(fl, sizeof fl, "%s %s %s %s %s %s %s %s%s", r->size == LARGE_PAGE_SIZE ? "4M" : "4K",
                     (e & PTE_W) ? "RW" : "ro", (e & PTE_U) ? "USR" : "   ", (e & PTE_PWT) ? "PWT" : "   ",
                     (e & PTE_PCD) ? "PCD" : "   ", (e & PTE_A) ? "A" : " ", (e & PTE_D) ? "D" : " ",
                     (e & PTE_G) ? "G" : " ", (r->size == PAGE_SIZE && (e & 0x80)) ? " PAT" : "");
    if (e & 0xE00)
        n += snprintf(fl + n, sizeof fl - (size_t)n, " avl=%x", (e >> 9) & 7);
    while (n > 0 && fl[n - 1] == ' ')
        fl[--n] = '\0';
    fprintf(r->f, "0x%08llx-0x%08llx %5s -> 0x%08x %s\n", (unsigned long long)r->start,
            (unsigned long long)r->end, human(r->end - r->start, sz, sizeof sz), r->phys, fl);
    r->open = 0;
}

static void run_page(struct run *r, uint64_t va, uint32_t size, uint32_t entry)
{
    uint32_t phys = size == LARGE_PAGE_SIZE ? (entry & 0xFFC00000u) : frame_of(entry);
    uint32_t flags = entry & PTE_FLAGS;
    if (r->open && va == r->end && size == r->size && flags == r->flags && phys == r->phys_next) {
        r->end += size;
        r->phys_next += size;
        return;
    }
    run_emit(r);
    r->open = 1;
    r->start = va;
    r->end = va + size;
    r->phys = phys;
    r->phys_next = (uint64_t)phys + size;
    r->flags = flags;
    r->size = size;
}

void ptdump_runs(FILE *f, const uint32_t *dir, uint32_t *const *table, bool pse)
{
    struct run r = {.f = f};
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        uint32_t pde = dir[pdi];
        uint64_t base = (uint64_t)pdi << 22;
        if (!(pde & PTE_P))
            continue;
        if (pse && (pde & PDE_PS)) {
            run_page(&r, base, LARGE_PAGE_SIZE, pde);
            continue;
        }
        const uint32_t *t = table[pdi];
        for (uint32_t pti = 0; t && pti < ENTRIES; pti++)
            if (t[pti] & PTE_P)
                run_page(&r, base + ((uint64_t)pti << 12), PAGE_SIZE, t[pti]);
    }
    run_emit(&r);
}
