/*
 * draw_dir.c: the page directory panel: 1,024 entries as a 32x32 grid, one
 * cell per 4 MiB of virtual space, row by row from address 0. A cell shows
 * not present, a page table (shaded by how full it is) or a 4 MiB page
 * (framed), kernel (blue) or user (orange), read-only cells hollow.
 */
#include "sanitizer.h"
#include "view.h"

void draw_dir(struct view *v, const struct model *m, double now)
{
    const struct space *sp = view_space(v, m);
    const struct panel_box *b = &v->lay.p[P_DIR];
    const struct rect *g = &v->lay.grid[P_DIR];
    char note[80];
    if (sp)
        snprintf(note, sizeof note, "asid %u · %s%s", sp->asid, sp->ended ? "ended" : view_space_how(v, m),
                 sp->whole ? "" : " · untrusted");
    else
        snprintf(note, sizeof note, "%s",
                 m->have_hello ? "waiting for a snapshot" : "waiting for the kernel");
    panel_begin(v, P_DIR, "Page directory", note);
    int sel = view_pde(v, m);
    for (int i = 0; i < ENTRIES; i++) {
        struct rect c = grid_cell(g, i);
        struct cell_look look = sp ? look_pde(sp->dir[i], space_present(sp, (uint32_t)i)) : look_pde(0, 0);
        draw_cell(v->r, &c, &look);
        if (v->tm.nruns)
            draw_travel_mark(v->r, &c, travel_mark(v, m, (uint32_t)i << 22, true));
    }
    const struct san_warning *w = view_warning(v);
    if (w && sp && (w->asid == sp->asid || w->asid == MODEL_NO_ASID) && w->va) {
        struct rect c = grid_cell(g, (int)PDX(w->va)); /* the sanitizer's warning selected in its list */
        outline(v->r, c.x - 2, c.y - 2, c.w + 3, c.w + 3, 2, COL_BAD);
    }
    const struct frame_mapping *mp;
    uint32_t maps = view_frame_mappings(v, m, &mp);
    for (uint32_t k = 0; k < maps; k++) /* where the selected frame is mapped in this space */
        if (view_mapping_in(&mp[k], sp)) {
            struct rect lc = grid_cell(g, (int)PDX(mp[k].va));
            outline(v->r, lc.x, lc.y, lc.w - 1, lc.w - 1, 1, COL_LINK);
        }
    struct rect c = grid_cell(g, sel);
    outline(v->r, c.x - 1, c.y - 1, c.w + 1, c.w + 1, v->lay.cell >= 8 ? 2 : 1, COL_SELECT);
    if (sp && view_flash_on(v, now) && v->flash_asid == sp->asid) {
        c = grid_cell(g, (int)PDX(v->flash_va));
        outline(v->r, c.x - 2, c.y - 2, c.w + 3, c.w + 3, 2, COL_FLASH);
    }
    draw_untrusted(v, g, sp);
    /* the 1 GiB boundaries, as labels to the right of the grid when there is room */
    int lx = g->x + g->w + v->font.char_w / 2;
    if (lx + 3 * v->font.char_w <= b->body.x + b->body.w) {
        for (int q = 0; q < 4; q++)
            text_draw(&v->font, v->r, lx, g->y + q * 8 * v->lay.cell, fmt("%uG", q), COL_DIM, 0);
    }

    clip(v->r, &b->legend);
    int x = b->legend.x, y = b->legend.y + 2;
    uint32_t pde = sp ? sp->dir[sel] : 0;
    const char *info;
    if (!(pde & PTE_P))
        info = fmt("PDE %d: not present", sel);
    else if (pde & PDE_PS)
        info = fmt("PDE %d: 4 MiB page at %08x", sel, frame_of(pde) & 0xffc00000u);
    else
        info = fmt("PDE %d: %u/1024, table %08x", sel, space_present(sp, (uint32_t)sel), frame_of(pde));
    text_draw(&v->font, v->r, x, y, info, COL_TEXT, b->legend.w);
    y += v->font.line_h;
    struct cell_look k = look_pde(PTE_P | PTE_W, ENTRIES), u = look_pde(PTE_P | PTE_W | PTE_U, ENTRIES);
    struct cell_look kl = look_pde(PTE_P | PTE_W | PDE_PS, 0), ro = look_pde(PTE_P | PTE_U, ENTRIES);
    struct cell_look sparse = look_pde(PTE_P | PTE_W, 16);
    legend_cell(v, &b->legend, &x, &y, &k, "kernel table");
    legend_cell(v, &b->legend, &x, &y, &u, "user table");
    legend_cell(v, &b->legend, &x, &y, &sparse, "few entries");
    legend_cell(v, &b->legend, &x, &y, &kl, "4 MiB page");
    legend_cell(v, &b->legend, &x, &y, &ro, "read-only");
}
