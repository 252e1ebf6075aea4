/*
 * palette.c: entry flags to cell looks (palette.h).
 */
#include "palette.h"
#include "model.h"

uint32_t col_mix(uint32_t a, uint32_t b, double t)
{
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    uint32_t out = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
        double ca = (a >> shift) & 0xff, cb = (b >> shift) & 0xff;
        out |= (uint32_t)(ca + (cb - ca) * t + 0.5) << shift;
    }
    return out;
}

struct cell_look look_pde(uint32_t pde, uint32_t present)
{
    struct cell_look c = {0};
    c.fill = COL_EMPTY;
    if (!(pde & PTE_P))
        return c;
    c.present = true;
    uint32_t hue = (pde & PTE_U) ? COL_USER : COL_KERNEL;
    c.hollow = !(pde & PTE_W);
    if (pde & PDE_PS) {
        c.fill = hue;
        c.framed = true;
        c.global_bar = (pde & PTE_G) != 0;
    } else {
        /* a third of the way from empty for one entry, the full hue for a full table */
        c.fill = col_mix(COL_EMPTY, hue, 0.35 + 0.65 * (double)present / ENTRIES);
    }
    return c;
}

struct cell_look look_pte(uint32_t pde, uint32_t pte)
{
    struct cell_look c = {0};
    c.fill = COL_EMPTY;
    if (!(pte & PTE_P))
        return c;
    c.present = true;
    c.fill = (pde & pte & PTE_U) ? COL_USER : COL_KERNEL;
    c.hollow = !(pde & pte & PTE_W);
    c.global_bar = (pte & PTE_G) != 0;
    c.accessed = (pte & PTE_A) != 0;
    c.dirty = (pte & PTE_D) != 0;
    return c;
}

uint32_t look_page(uint32_t pde, uint32_t leaf)
{
    if (!(pde & PTE_P) || !(leaf & PTE_P))
        return COL_EMPTY;
    bool user = (pde & leaf & PTE_U) != 0, writable = (pde & leaf & PTE_W) != 0;
    if (user)
        return writable ? COL_USER : COL_USER_LT;
    return writable ? COL_KERNEL : COL_KERNEL_LT;
}

uint32_t look_frame(uint8_t owner)
{
    /* orange for user frames; each space its own lightness, so neighbours stay apart */
    static const uint32_t spaces[] = {COL_USER, 0xf6c25au, 0xa86f00u, 0xfbd98fu, 0xc98a00u};
    switch (owner) {
    case PHYS_NONE: return COL_EMPTY;
    case PHYS_KERNEL: return COL_KERNEL;
    case PHYS_TABLE: return COL_TABLE;
    case PHYS_SHARED: return COL_SHARED;
    default: return spaces[(owner - PHYS_SPACE) % (sizeof spaces / sizeof spaces[0])];
    }
}
