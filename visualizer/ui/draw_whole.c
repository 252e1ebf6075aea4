/*
 * draw_whole.c: the whole 4 GiB of the shown space as one picture, one
 * pixel per 4 KiB page, 1,024 rows of 4 MiB from address 0 at the top. When
 * the picture is smaller on screen than 1024x1024, each screen pixel shows
 * the most telling page it covers (user over kernel, writable over
 * read-only, anything over nothing), so a single mapped page never vanishes.
 * The texture is rebuilt only when the model's map_version, the space or the
 * size changed. A user space is shown as its regions instead (draw_regions.c)
 * unless `v` switched them off.
 */
#include <stdlib.h>
#include <string.h>
#include "view.h"

static const uint32_t rank_col[5] = {COL_EMPTY, COL_KERNEL_LT, COL_KERNEL, COL_USER_LT, COL_USER};

static uint8_t rank_of(uint32_t pde, uint32_t leaf)
{
    if (!(leaf & PTE_P))
        return 0;
    bool user = (pde & leaf & PTE_U) != 0, w = (pde & leaf & PTE_W) != 0;
    return (uint8_t)(user ? (w ? 4 : 3) : (w ? 2 : 1));
}

static void rebuild(struct view *v, const struct space *sp, int ts)
{
    size_t n = (size_t)ts * ts;
    if (!v->whole_tex || v->whole_side != ts) {
        if (v->whole_tex)
            SDL_DestroyTexture(v->whole_tex);
        v->whole_tex = SDL_CreateTexture(v->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, ts, ts);
        free(v->whole_px);
        free(v->whole_rank);
        v->whole_px = malloc(n * sizeof *v->whole_px);
        v->whole_rank = malloc(n);
        v->whole_side = ts;
    }
    if (!v->whole_tex || !v->whole_px || !v->whole_rank)
        return;
    memset(v->whole_rank, 0, n);
    for (int pdi = 0; sp && pdi < ENTRIES; pdi++) {
        uint32_t pde = sp->dir[pdi];
        if (!(pde & PTE_P))
            continue;
        uint8_t *row = v->whole_rank + (size_t)(pdi * ts / ENTRIES) * ts;
        if (pde & PDE_PS) {
            uint8_t r = rank_of(pde, pde);
            for (int x = 0; x < ts; x++)
                if (row[x] < r)
                    row[x] = r;
            continue;
        }
        const struct ptab *tab = sp->table[pdi];
        if (!tab || !tab->present)
            continue;
        const uint32_t *t = tab->e;
        const uint64_t *bits = tab->bits; /* absent pages rank 0: only the present ones */
        for (int w = 0; w < TABLE_WORDS; w++) {
            for (uint64_t b = bits[w]; b; b &= b - 1) {
                int pti = w * 64 + __builtin_ctzll(b);
                uint8_t r = rank_of(pde, t[pti]);
                int x = pti * ts / ENTRIES;
                if (row[x] < r)
                    row[x] = r;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        v->whole_px[i] = 0xff000000u | rank_col[v->whole_rank[i]];
    SDL_UpdateTexture(v->whole_tex, NULL, v->whole_px, ts * (int)sizeof(uint32_t));
}

/* A difference's runs of the shown space over the picture: a bar of the run's colour along each row it
 * covers. */
static void draw_whole_changes(struct view *v, const struct rect *pic, uint32_t asid)
{
    for (size_t i = 0; i < v->tm.nruns; i++) {
        const struct diff_run *r = &v->tm.runs[i];
        if (r->asid != asid || r->kind == '=')
            continue;
        uint32_t col = r->kind == '+' ? COL_GOOD : r->kind == '-' ? COL_BAD : COL_USER_LT;
        for (uint64_t p = r->start >> PAGE_SHIFT; p < r->end >> PAGE_SHIFT;) {
            uint64_t row_end = (p / WHOLE_SIDE + 1) * WHOLE_SIDE,
                     end = row_end < r->end >> PAGE_SHIFT ? row_end : r->end >> PAGE_SHIFT;
            int x0, y0, x1, y1;
            whole_point(pic, (uint32_t)p, &x0, &y0);
            whole_point(pic, (uint32_t)(end - 1), &x1, &y1);
            int h = pic->h / WHOLE_SIDE > 2 ? pic->h / WHOLE_SIDE : 2;
            fill(v->r, x0, y0, x1 - x0 + 2, h, col);
            p = end;
        }
    }
}

void draw_whole(struct view *v, const struct model *m, double now)
{
    const struct space *sp = view_space(v, m);
    const struct panel_box *b = &v->lay.p[P_WHOLE];
    const struct rect *pic = &v->lay.grid[P_WHOLE];
    if (view_regions_shown(v, m)) {
        draw_regions(v, m);
        return;
    }
    panel_begin(v, P_WHOLE, "4 GiB address space", sp ? fmt("asid %u · a row is 4 MiB", sp->asid) : "");
    int ts = pic->w < WHOLE_SIDE ? pic->w : WHOLE_SIDE;
    uint32_t asid = sp ? sp->asid : MODEL_NO_ASID;
    if (m->map_version != v->whole_version || asid != v->whole_asid || ts != v->whole_side || !v->whole_tex) {
        rebuild(v, sp, ts);
        v->whole_version = m->map_version;
        v->whole_asid = asid;
    }
    if (v->whole_tex) {
        SDL_Rect dst = {pic->x, pic->y, pic->w, pic->h};
        SDL_RenderCopy(v->r, v->whole_tex, NULL, &dst);
    }
    draw_untrusted(v, pic, sp);
    if (sp && v->tm.nruns)
        draw_whole_changes(v, pic, sp->asid);
    /* the selected 4 MiB row and page */
    int pdi = view_pde(v, m), x, y;
    uint32_t page = (uint32_t)pdi * ENTRIES + (uint32_t)(v->sel_pte > 0 ? v->sel_pte : 0);
    whole_point(pic, page, &x, &y);
    int row_h = pic->h / ENTRIES > 1 ? pic->h / ENTRIES : 1;
    fill(v->r, pic->x + pic->w + 1, y - 2, 4, row_h + 4, COL_SELECT);
    if (v->sel_pte >= 0)
        outline(v->r, x - 3, y - 3, 7 + row_h, 7 + row_h, 1, COL_SELECT);
    const struct frame_mapping *mp;
    uint32_t maps = view_frame_mappings(v, m, &mp);
    for (uint32_t k = 0, shown = 0; k < maps && shown < 256; k++) /* the selected frame's pages */
        if (view_mapping_in(&mp[k], sp)) {
            whole_point(pic, mp[k].va >> 12, &x, &y);
            outline(v->r, x - 3, y - 3, 7, 7, 1, COL_LINK);
            shown++;
        }
    if (sp && view_flash_on(v, now) && v->flash_asid == sp->asid) {
        whole_point(pic, v->flash_va >> 12, &x, &y);
        outline(v->r, x - 5, y - 5, 11, 11, 2, COL_FLASH);
    }
    for (int q = 0; q <= 3; q++) {
        int ly = pic->y + q * pic->h / 4;
        fill(v->r, pic->x + pic->w + 1, ly, 3, 1, COL_DIM);
        text_draw(&v->font, v->r, pic->x + pic->w + 6, ly, fmt("%08x", (uint32_t)q << 30), COL_DIM, 0);
    }

    clip(v->r, &b->legend);
    x = b->legend.x;
    y = b->legend.y + 2;
    legend_swatch(v, &b->legend, &x, &y, COL_KERNEL, "kernel");
    legend_swatch(v, &b->legend, &x, &y, COL_KERNEL_LT, "kernel RO");
    legend_swatch(v, &b->legend, &x, &y, COL_USER, "user");
    legend_swatch(v, &b->legend, &x, &y, COL_USER_LT, "user RO");
    legend_swatch(v, &b->legend, &x, &y, COL_SHARED, "copy-on-write");
    legend_swatch(v, &b->legend, &x, &y, COL_EMPTY, "unmapped");
}
