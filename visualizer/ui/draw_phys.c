/*
 * draw_phys.c: physical memory, one cell per 4 KiB frame in rows from
 * address 0 to the end of RAM, coloured by what the kernel's frame
 * allocator says each holds (model_frames.h: free, user, shared, heap,
 * tables, image, ...; holes and RAM the kernel leaves alone drawn as not
 * there), with the counts in the legend. Hatched when the frame map may
 * differ from the kernel's, with why. The selected frame (or the selected
 * page's) is outlined. The texture is rebuilt only when the mappings or the
 * frame owners moved.
 */
#include <stdlib.h>
#include "view.h"

/* The legend's order: what is used, then what is not there. */
static const unsigned legend_order[] = {
    OWNER_FREE,      OWNER_USER,    FRAME_SHARED, OWNER_HEAP,     OWNER_TABLE, OWNER_DIRECTORY, OWNER_IMAGE,
    OWNER_TELEMETRY, OWNER_RECORDS, OWNER_BOOT,   OWNER_RESERVED, OWNER_HOLE,  OWNER_UNUSED,    FRAME_UNKNOWN,
};
_Static_assert(sizeof legend_order / sizeof legend_order[0] == FRAME_CLASSES, "every class in the legend");

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
    model_phys_map(m, v->owner, n, v->counts);
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
    uint32_t col[FRAME_CLASSES][2];
    for (unsigned c = 0; c < FRAME_CLASSES; c++) {
        col[c][0] = 0xff000000u | look_frame(c);
        col[c][1] = 0xff000000u | look_frame_alt(c);
    }
    for (uint32_t y = 0, i = 0; y < v->pg.rows; y++) {
        uint32_t *px = (uint32_t *)((char *)pixels + (size_t)y * (size_t)pitch);
        for (uint32_t x = 0; x < v->pg.cols; x++, i++)
            px[x] = i < n ? col[v->owner[i]][(x ^ y) & 1] : 0xff000000u | COL_PANEL;
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

/* The screen rectangle of frame f's cell. */
static struct rect frame_cell(const struct phys_geom *g, uint32_t f)
{
    uint32_t col = f % g->cols, row = f / g->cols;
    int x0 = g->pic.x + (int)((uint64_t)col * (uint64_t)g->pic.w / g->cols);
    int y0 = g->pic.y + (int)((uint64_t)row * (uint64_t)g->pic.h / g->rows);
    int x1 = g->pic.x + (int)((uint64_t)(col + 1) * (uint64_t)g->pic.w / g->cols);
    int y1 = g->pic.y + (int)((uint64_t)(row + 1) * (uint64_t)g->pic.h / g->rows);
    return (struct rect){x0, y0, x1 - x0 > 1 ? x1 - x0 : 1, y1 - y0 > 1 ? y1 - y0 : 1};
}

void draw_phys(struct view *v, const struct model *m)
{
    const struct panel_box *b = &v->lay.p[P_PHYS];
    const struct frame_map *fm = m->frame_map;
    uint32_t n = view_frames(m);
    if (m->map_version != v->phys_version || fm->version != v->phys_frames_version || !v->phys_tex ||
        n != v->nframes) {
        rebuild(v, m);
        v->phys_version = m->map_version;
        v->phys_frames_version = fm->version;
    }
    panel_begin(v, P_PHYS, "Physical memory",
                fm->nframes ? fmt("%u MiB · %u frames of 4 KiB · frame map of tick %u", n / 256, n, fm->tick)
                            : fmt("%u MiB · %u frames of 4 KiB", n / 256, n));
    if (v->phys_tex) {
        SDL_Rect dst = {v->pg.pic.x, v->pg.pic.y, v->pg.pic.w, v->pg.pic.h};
        SDL_RenderCopy(v->r, v->phys_tex, NULL, &dst);
    }
    if (v->tm.nruns)
        draw_phys_changes(v);
    int64_t sel = view_frame(v, m);
    if (sel >= 0 && (uint32_t)sel < v->pg.nframes) {
        struct rect c = frame_cell(&v->pg, (uint32_t)sel);
        outline(v->r, c.x - 2, c.y - 2, c.w + 4, c.h + 4, 2, COL_SELECT);
    }
    if (!fm->nframes)
        draw_hatched(v, &v->pg.pic, "no frame map from the kernel yet: owners unknown");
    else if (!fm->whole)
        draw_hatched(v, &v->pg.pic,
                     fmt("frame map untrusted since tick %u: %s", fm->since, frames_untrusted_name(fm->why)));

    clip(v->r, &b->legend);
    int x = b->legend.x, y = b->legend.y + 2;
    const char *info;
    char refs[32] = "";
    if (sel >= 0) {
        unsigned cls = model_frame_class(m, (uint32_t)sel), owner = model_frame_owner(m, (uint32_t)sel);
        const struct frame_mapping *mp;
        uint32_t maps = model_frame_mappings(m, (uint32_t)sel, &mp), k = model_frame_refs(m, (uint32_t)sel);
        if (owner == OWNER_USER || owner == OWNER_HEAP)
            snprintf(refs, sizeof refs, ", %u reference%s", k, k == 1 ? "" : "s");
        info = fmt("frame %08x: %s%s, mapped by %u page%s", (uint32_t)sel << PAGE_SHIFT,
                   frame_class_name(cls), refs, maps, maps == 1 ? "" : "s");
    } else {
        info = "click a frame: its owner and every page mapping it";
    }
    text_draw(&v->font, v->r, x, y, info, COL_TEXT, b->legend.w);
    y += v->font.line_h;
    for (size_t i = 0; i < sizeof legend_order / sizeof legend_order[0]; i++) {
        unsigned c = legend_order[i];
        if (v->counts[c] || c == OWNER_FREE)
            legend_swatch(v, &b->legend, &x, &y, look_frame(c),
                          fmt("%s %u", frame_class_name(c), v->counts[c]));
    }
}
