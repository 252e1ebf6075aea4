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
    c.cow = c.hollow && (pde & pte & PTE_U) && (pte & PTE_COW);
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
        return writable ? COL_USER : (leaf & PTE_COW) ? COL_SHARED : COL_USER_LT;
    return writable ? COL_KERNEL : COL_KERNEL_LT;
}

/* By class: [0] the colour, [1] the checker's other colour (the same when plain). */
static const uint32_t frame_looks[FRAME_CLASSES][2] = {
    [OWNER_HOLE] = {0x000000u, 0x000000u},      [OWNER_RESERVED] = {0x6b6f78u, 0x6b6f78u},
    [OWNER_IMAGE] = {COL_KERNEL, COL_KERNEL},   [OWNER_TELEMETRY] = {0xb9e0f7u, 0xb9e0f7u},
    [OWNER_BOOT] = {COL_USER_LT, COL_USER_LT},  [OWNER_RECORDS] = {0x00466du, 0x00466du},
    [OWNER_FREE] = {COL_EMPTY, COL_EMPTY},      [OWNER_HEAP] = {COL_KERNEL_LT, COL_KERNEL_LT},
    [OWNER_DIRECTORY] = {0x8c4a70u, 0x8c4a70u}, [OWNER_TABLE] = {COL_TABLE, COL_TABLE},
    [OWNER_USER] = {COL_USER, COL_USER},        [OWNER_UNUSED] = {0x3f424au, 0x24262cu},
    [FRAME_UNKNOWN] = {0x55585fu, 0x1d1f24u},   [FRAME_SHARED] = {COL_SHARED, COL_SHARED},
};

uint32_t look_frame(unsigned cls)
{
    return cls < FRAME_CLASSES ? frame_looks[cls][0] : frame_looks[FRAME_UNKNOWN][0];
}

uint32_t look_frame_alt(unsigned cls)
{
    return cls < FRAME_CLASSES ? frame_looks[cls][1] : frame_looks[FRAME_UNKNOWN][1];
}
