/*
 * draw_table.c: the page table of the selected directory entry: its 1,024
 * entries as a 32x32 grid, one cell per 4 KiB page, with their flags: kernel
 * or user by colour, read-only hollow, global as a light top bar, accessed
 * and dirty as small light and dark corner marks. A 4 MiB page has no table:
 * the grid then shows the big page's look in every cell.
 */
#include "sanitizer.h"
#include "view.h"

void draw_table(struct view *v, const struct model *m, double now)
{
    const struct space *sp = view_space(v, m);
    const struct panel_box *b = &v->lay.p[P_TABLE];
    const struct rect *g = &v->lay.grid[P_TABLE];
    int pdi = view_pde(v, m);
    uint32_t pde = sp ? sp->dir[pdi] : 0;
    uint32_t va = (uint32_t)pdi << 22;
    const uint32_t *t = sp && (pde & (PTE_P | PDE_PS)) == PTE_P ? space_table(sp, pdi) : NULL;
    char title[48];
    snprintf(title, sizeof title, "Page table %d", pdi);
    panel_begin(v, P_TABLE, title, fmt("va %08x-%08x", va, va + (LARGE_PAGE_SIZE - 1)));
    for (int i = 0; i < ENTRIES; i++) {
        struct rect c = grid_cell(g, i);
        struct cell_look look;
        if (pde & PDE_PS)
            look = look_pte(pde, pde & ~PDE_PS);
        else
            look = look_pte(pde, t ? t[i] : 0);
        draw_cell(v->r, &c, &look);
        if (v->tm.nruns)
            draw_travel_mark(v->r, &c, travel_mark(v, m, va | (uint32_t)i << 12, false));
    }
    const struct frame_mapping *mp;
    uint32_t maps = view_frame_mappings(v, m, &mp);
    for (uint32_t k = 0; k < maps; k++) /* the selected frame's pages in this table */
        if (view_mapping_in(&mp[k], sp) && PDX(mp[k].va) == (uint32_t)pdi) {
            struct rect lc = grid_cell(g, (int)PTX(mp[k].va));
            outline(v->r, lc.x, lc.y, lc.w - 1, lc.w - 1, v->lay.cell >= 8 ? 2 : 1, COL_LINK);
        }
    if (v->sel_pte >= 0) {
        struct rect c = grid_cell(g, v->sel_pte);
        outline(v->r, c.x - 1, c.y - 1, c.w + 1, c.w + 1, v->lay.cell >= 8 ? 2 : 1, COL_SELECT);
    }
    const struct san_warning *w = view_warning(v);
    if (w && sp && (w->asid == sp->asid || w->asid == MODEL_NO_ASID) && w->va &&
        PDX(w->va) == (uint32_t)pdi) {
        struct rect c = grid_cell(g, (int)PTX(w->va)); /* the sanitizer's warning selected in its list */
        outline(v->r, c.x - 2, c.y - 2, c.w + 3, c.w + 3, 2, COL_BAD);
    }
    if (sp && view_flash_on(v, now) && v->flash_asid == sp->asid && PDX(v->flash_va) == (uint32_t)pdi) {
        struct rect c = grid_cell(g, (int)PTX(v->flash_va));
        outline(v->r, c.x - 2, c.y - 2, c.w + 3, c.w + 3, 2, COL_FLASH);
    }
    draw_untrusted(v, g, sp);
    int lx = g->x + g->w + v->font.char_w / 2;
    if (lx + 5 * v->font.char_w <= b->body.x + b->body.w) {
        for (int q = 0; q < 4; q++)
            text_draw(&v->font, v->r, lx, g->y + q * 8 * v->lay.cell, fmt("+%dM", q), COL_DIM, 0);
    }

    clip(v->r, &b->legend);
    int x = b->legend.x, y = b->legend.y + 2;
    const char *info;
    if (!(pde & PTE_P))
        info = "no table: the directory entry is not present";
    else if (pde & PDE_PS)
        info = "no table: a 4 MiB page, drawn as its 4 KiB parts";
    else if (v->sel_pte >= 0 && t && (t[v->sel_pte] & PTE_P))
        info = fmt("PTE %d: %08x -> %08x", v->sel_pte, va + ((uint32_t)v->sel_pte << 12),
                   frame_of(t[v->sel_pte]));
    else if (v->sel_pte >= 0)
        info = fmt("PTE %d: %08x not mapped", v->sel_pte, va + ((uint32_t)v->sel_pte << 12));
    else
        info = fmt("table at %08x, %u of 1024 present", frame_of(pde), space_present(sp, pdi));
    text_draw(&v->font, v->r, x, y, info, COL_TEXT, b->legend.w);
    y += v->font.line_h;
    struct cell_look k = look_pte(PTE_P | PTE_W, PTE_P | PTE_W),
                     u = look_pte(PTE_U | PTE_W, PTE_P | PTE_W | PTE_U);
    struct cell_look cow = look_pte(PTE_U, PTE_P | PTE_U | PTE_COW);
    struct cell_look ro = look_pte(PTE_U, PTE_P | PTE_U), gl = look_pte(PTE_W, PTE_P | PTE_W | PTE_G);
    struct cell_look a = look_pte(PTE_W, PTE_P | PTE_W | PTE_A),
                     d = look_pte(PTE_W, PTE_P | PTE_W | PTE_D | PTE_A);
    legend_cell(v, &b->legend, &x, &y, &k, "kernel");
    legend_cell(v, &b->legend, &x, &y, &u, "user");
    legend_cell(v, &b->legend, &x, &y, &ro, "read-only");
    legend_cell(v, &b->legend, &x, &y, &gl, "global");
    legend_cell(v, &b->legend, &x, &y, &cow, "copy-on-write");
    legend_cell(v, &b->legend, &x, &y, &a, "accessed");
    legend_cell(v, &b->legend, &x, &y, &d, "dirty");
}
