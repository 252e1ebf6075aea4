/*
 * paging.c: the test kernel's page tables and the printout of its layout
 * (paging.h). All its memory is identity-mapped below 4 MiB, so a table's
 * physical address is also a pointer to it.
 */
#include "cpu.h"
#include "paging.h"

#define POOL_DIRS   3
#define POOL_TABLES 24
#define WINDOW      0xFFC00000u /* table i at WINDOW + i * 4096, the directory at 0xFFFFF000 */

static uint32_t dirs[POOL_DIRS][1024] __attribute__((aligned(4096)));
static uint32_t tables[POOL_TABLES][1024] __attribute__((aligned(4096)));
static uint32_t dirs_used, tables_used;

static void zero(uint32_t *p)
{
    for (int i = 0; i < 1024; i++)
        p[i] = 0;
}

uint32_t *dir_new(void)
{
    if (dirs_used == POOL_DIRS) {
        put("panic: dir_new: pool empty\n");
        power_off();
    }
    uint32_t *d = dirs[dirs_used++];
    zero(d);
    d[RECURSIVE_PDE] = (uint32_t)d | PG_P | PG_W;
    return d;
}

uint32_t *table_new(void)
{
    if (tables_used == POOL_TABLES) {
        put("panic: table_new: pool empty\n");
        power_off();
    }
    uint32_t *t = tables[tables_used++];
    zero(t);
    return t;
}

void map_table(uint32_t *dir, uint32_t va, uint32_t *table, uint32_t flags)
{
    dir[PDX(va)] = (uint32_t)table | flags | PG_P;
}

static uint32_t *table_of(uint32_t *dir, uint32_t va)
{
    uint32_t pde = dir[PDX(va)];
    if ((pde & (PG_P | PG_PS)) != PG_P) {
        put("panic: no table under ");
        put_hex(va);
        put("\n");
        power_off();
    }
    return (uint32_t *)(pde & ~0xFFFu);
}

void map_4k(uint32_t *dir, uint32_t va, uint32_t pa, uint32_t flags)
{
    table_of(dir, va)[PTX(va)] = pa | flags | PG_P;
}

void map_4m(uint32_t *dir, uint32_t va, uint32_t pa, uint32_t flags)
{
    dir[PDX(va)] = pa | flags | PG_PS | PG_P;
}

void unmap_4k(uint32_t *dir, uint32_t va)
{
    table_of(dir, va)[PTX(va)] = 0;
}
void unmap_pde(uint32_t *dir, uint32_t va)
{
    dir[PDX(va)] = 0;
}

void protect_4k(uint32_t *dir, uint32_t va, uint32_t clear, uint32_t set)
{
    uint32_t *e = &table_of(dir, va)[PTX(va)];
    *e = (*e & ~clear) | set;
}

void switch_to(uint32_t *dir)
{
    write_cr3((uint32_t)dir);
}

/* ---- the printout ---- */

struct run {
    int open;
    uint32_t start, end, phys_next, size, flags, count;
};

static void flush(struct run *r)
{
    if (!r->open)
        return;
    put("run ");
    put_hex(r->start);
    put(" ");
    put_hex(r->end);
    put(" ");
    put_hex(r->phys_next - (r->end - r->start));
    put(r->size == 0x400000u ? " 4M " : " 4K ");
    put_hex(r->flags);
    put("\n");
    r->open = 0;
    r->count++;
}

/* A page at va; runs grow while size, flags and the next frame follow on. end 0 stands for 4 GiB. */
static void page(struct run *r, uint32_t va, uint32_t size, uint32_t pa, uint32_t flags)
{
    if (r->open && va == r->end && size == r->size && flags == r->flags && pa == r->phys_next) {
        r->end += size;
        r->phys_next += size;
        return;
    }
    flush(r);
    *r = (struct run){.open = 1,
                      .start = va,
                      .end = va + size,
                      .phys_next = pa + size,
                      .size = size,
                      .flags = flags,
                      .count = r->count};
}

void print_layout(uint32_t step)
{
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    const char *mode = !(cr0 & CR0_PG) ? "off" : (cr4 & CR4_PAE) ? "pae" : (cr4 & CR4_PSE) ? "pse" : "32";
    put("layout ");
    put_dec(step);
    put(" cr0 ");
    put_hex(cr0);
    put(" cr3 ");
    put_hex(read_cr3());
    put(" cr4 ");
    put_hex(cr4);
    put(" ");
    put(mode);
    put("\n");
    struct run r = {0};
    if ((cr0 & CR0_PG) && !(cr4 & CR4_PAE)) {
        int pse = (cr4 & CR4_PSE) != 0;
        const volatile uint32_t *dir = (const volatile uint32_t *)(WINDOW + RECURSIVE_PDE * 4096u);
        for (uint32_t i = 0; i < 1024; i++) {
            uint32_t pde = dir[i];
            if (!(pde & PG_P))
                continue;
            if (pse && (pde & PG_PS)) {
                page(&r, i << 22, 0x400000u, pde & 0xFFC00000u, pde & 0xFFFu);
                continue;
            }
            const volatile uint32_t *t = (const volatile uint32_t *)(WINDOW + i * 4096u);
            for (uint32_t j = 0; j < 1024; j++) {
                uint32_t pte = t[j];
                if (pte & PG_P)
                    page(&r, i << 22 | j << 12, 0x1000u, pte & ~0xFFFu, pte & 0xFFFu);
            }
        }
        flush(&r);
    }
    put("end ");
    put_dec(step);
    put(" runs ");
    put_dec(r.count);
    put("\n");
}
