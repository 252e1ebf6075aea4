/*
 * draw_phys.c: physical memory, one cell per 4 KiB frame in rows from
 * address 0, coloured by who maps it (model_phys_map: kernel, page tables,
 * one address space, several), with the counts in the legend. The owners and
 * the texture are rebuilt only when the model's map_version moved.
 */
#include <stdlib.h>
#include "view.h"

static void rebuild(struct view *v, const struct model *m)
{
    uint32_t n = view_frames(m);
    if (n != v->nframes || !v->owner) {
        free(v->owner);
        v->owner = malloc(n);
        v->nframes = n;
        if (v->phys_tex)
            SDL_DestroyTexture(v->phys_tex);
        v->phys_tex = NULL;
    }
    if (!v->owner)
        return;
    model_phys_map(m, v->owner, n, &v->counts);
    uint32_t cols = v->pg.cols, rows = v->pg.rows;
    phys_geometry(&v->pg, &v->lay.grid[P_PHYS], n);
    if (v->phys_tex && (cols != v->pg.cols || rows != v->pg.rows)) {
        SDL_DestroyTexture(v->phys_tex);
        v->phys_tex = NULL;
    }
    if (!v->phys_tex) {
        v->phys_tex = SDL_CreateTexture(v->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                        (int)v->pg.cols, (int)v->pg.rows);
    }
    /* Written straight into the texture: no buffer of our own to fill and copy. */
    void *pixels;
    int pitch;
    if (!v->phys_tex || SDL_LockTexture(v->phys_tex, NULL, &pixels, &pitch) != 0)
        return;
    uint32_t col[256];
    for (int o = 0; o < 256; o++)
        col[o] = 0xff000000u | look_frame((uint8_t)o);
    for (uint32_t y = 0, i = 0; y < v->pg.rows; y++) {
        uint32_t *px = (uint32_t *)((char *)pixels + (size_t)y * (size_t)pitch);
        for (uint32_t x = 0; x < v->pg.cols; x++, i++)
            px[x] = i < n ? col[v->owner[i]] : 0xff000000u | COL_PANEL;
    }
    SDL_UnlockTexture(v->phys_tex);
}

/* Frames a difference mapped (+, ~: the new one) or let go (-, ~: the old one), as bars over their cells. */
static void draw_phys_changes(struct view *v)
{
    const struct phys_geom *g = &v->pg;
    for (size_t i = 0; i < v->tm.nruns; i++) {
        const struct diff_run *r = &v->tm.runs[i];
        uint64_t pages = (r->end - r->start) >> PAGE_SHIFT;
        for (int side = 0; side < 2; side++) {
            uint32_t e = side ? r->old : r->new;
            if (!e || r->kind == '=' || (side && r->kind == '+') || (!side && r->kind == '-'))
                continue;
            uint32_t col = side ? COL_BAD : r->kind == '+' ? COL_GOOD : COL_USER_LT;
            uint64_t f = frame_of(e) >> PAGE_SHIFT;
            for (uint64_t k = f; k < f + pages && k < g->nframes;) {
                uint64_t row = k / g->cols, end = (row + 1) * g->cols;
                if (end > f + pages)
                    end = f + pages;
                int x0 = g->pic.x + (int)((k % g->cols) * (uint64_t)g->pic.w / g->cols);
                int x1 = g->pic.x + (int)(((end - 1) % g->cols + 1) * (uint64_t)g->pic.w / g->cols);
                int y0 = g->pic.y + (int)(row * (uint64_t)g->pic.h / g->rows);
                int h = g->pic.h / (int)g->rows > 2 ? g->pic.h / (int)g->rows : 2;
                fill(v->r, x0, y0, x1 - x0 > 1 ? x1 - x0 : 1, h, col);
                k = end;
            }
        }
    }
}

void draw_phys(struct view *v, const struct model *m)
{
    const struct panel_box *b = &v->lay.p[P_PHYS];
    uint32_t n = view_frames(m);
    if (m->map_version != v->phys_version || !v->phys_tex || n != v->nframes) {
        rebuild(v, m);
        v->phys_version = m->map_version;
    }
    panel_begin(v, P_PHYS, "Physical memory", fmt("%u MiB · %u frames of 4 KiB", n / 256, n));
    if (v->phys_tex) {
        SDL_Rect dst = {v->pg.pic.x, v->pg.pic.y, v->pg.pic.w, v->pg.pic.h};
        SDL_RenderCopy(v->r, v->phys_tex, NULL, &dst);
    }
    if (v->tm.nruns)
        draw_phys_changes(v);
    clip(v->r, &b->legend);
    int x = b->legend.x, y = b->legend.y + 2;
    legend_swatch(v, &b->legend, &x, &y, COL_KERNEL, fmt("kernel %u", v->counts.kernel));
    legend_swatch(v, &b->legend, &x, &y, COL_TABLE, fmt("tables %u", v->counts.tables));
    legend_swatch(v, &b->legend, &x, &y, COL_USER, fmt("user %u", v->counts.user));
    legend_swatch(v, &b->legend, &x, &y, COL_SHARED, fmt("shared %u", v->counts.shared));
    legend_swatch(v, &b->legend, &x, &y, COL_EMPTY, fmt("unmapped %u", v->counts.none));
}
