/*
 * layout.c: panel rectangles from the window size (layout.h), and the
 * point <-> cell arithmetic of the grids and pictures. Every rectangle is
 * derived from the window and the font alone, so a test can recompute where
 * a cell was drawn.
 */
#include "layout.h"

#define PAD         6 /* around the window's edge */
#define GAP         6 /* between panels */
#define GRID_LEGEND 3 /* legend lines under a 32x32 grid: a line about the selection, two of keys */
#define PHYS_LEGEND 4 /* under the physical map: a line about the selected frame, three of owners */

static int max_i(int a, int b)
{
    return a > b ? a : b;
}
static int min_i(int a, int b)
{
    return a < b ? a : b;
}

bool rect_has(const struct rect *r, int x, int y)
{
    return x >= r->x && y >= r->y && x < r->x + r->w && y < r->y + r->h;
}

/* Splits a panel's frame into title, body and a legend of legend_lines lines. */
static void box(struct layout *l, enum panel_id id, int x, int y, int w, int h, int legend_lines)
{
    struct panel_box *b = &l->p[id];
    int title_h = l->line_h + 4;
    int legend_h = legend_lines ? legend_lines * l->line_h + 4 : 0;
    w = max_i(w, 16);
    h = max_i(h, title_h + legend_h + 8);
    b->frame = (struct rect){x, y, w, h};
    b->title = (struct rect){x + 5, y + 2, w - 10, l->line_h};
    b->body = (struct rect){x + 5, y + title_h, w - 10, h - title_h - legend_h - 4};
    b->legend = (struct rect){x + 5, y + h - legend_h - 2, w - 10, legend_h};
}

/* The square picture of a grid panel: 32 whole cells, top-left of the body. */
static void grid_in(struct layout *l, enum panel_id id)
{
    struct rect *body = &l->p[id].body;
    l->grid[id] = (struct rect){body->x, body->y, l->cell * GRID_SIDE, l->cell * GRID_SIDE};
}

static void whole_in(struct layout *l)
{
    struct rect *body = &l->p[P_WHOLE].body;
    int side = max_i(min_i(body->w - 9 * l->char_w, body->h), 1); /* address labels to its right */
    l->grid[P_WHOLE] = (struct rect){body->x, body->y, side, side};
}

/* The lists' column: address spaces, faults, log, top to bottom. */
static void lists(struct layout *l, int x, int y, int w, int h)
{
    int spaces_h = min_i(l->line_h * 7 + 10, h / 3);
    int rest = h - spaces_h - 2 * GAP;
    int faults_h = rest * 2 / 5;
    box(l, P_SPACES, x, y, w, spaces_h, 0);
    box(l, P_FAULTS, x, y + spaces_h + GAP, w, faults_h, 0);
    box(l, P_LOG, x, y + spaces_h + faults_h + 2 * GAP, w, rest - faults_h, 0);
}

/* Grid pictures side by side in columns, lists in a column on the right. */
static int lists_w(const struct layout *l, int aw)
{
    /* room for a fault's row (68 characters), between 30% and 40% of the width */
    return max_i(aw * 3 / 10, min_i(68 * l->char_w, aw * 2 / 5));
}

static int wide_cell(const struct layout *l, int aw, int ah)
{
    int title_h = l->line_h + 4, legend_h = GRID_LEGEND * l->line_h + 4;
    int half = (ah - GAP) / 2;
    int by_h = half - title_h - legend_h - 6;
    int by_w = (aw - lists_w(l, aw) - 2 * GAP) / 2 - 10;
    return min_i(by_h, by_w) / GRID_SIDE;
}

static void wide(struct layout *l, int ax, int ay, int aw, int ah)
{
    int half = (ah - GAP) / 2;
    int colw = max_i(l->cell * GRID_SIDE + 10, 44 * l->char_w); /* room for the grids' legends */
    int bw = aw - colw - lists_w(l, aw) - 2 * GAP;              /* the pictures' column takes what is left */
    box(l, P_DIR, ax, ay, colw, half, GRID_LEGEND);
    box(l, P_TABLE, ax, ay + half + GAP, colw, ah - half - GAP, GRID_LEGEND);
    box(l, P_WHOLE, ax + colw + GAP, ay, bw, half, 2);
    box(l, P_PHYS, ax + colw + GAP, ay + half + GAP, bw, ah - half - GAP,
        PHYS_LEGEND + (bw < 60 * l->char_w));
    int cx = ax + colw + bw + 2 * GAP;
    lists(l, cx, ay, ax + aw - cx, ah);
}

/* Grid pictures two by two on top, lists underneath: for tall or narrow windows. */
static int tall_cell(const struct layout *l, int aw, int ah)
{
    int title_h = l->line_h + 4, legend_h = GRID_LEGEND * l->line_h + 4;
    int top = ah * 3 / 5;
    int by_h = (top - GAP) / 2 - title_h - legend_h - 6;
    int by_w = (aw - GAP) / 2 - 10;
    return min_i(by_h, by_w) / GRID_SIDE;
}

static void tall(struct layout *l, int ax, int ay, int aw, int ah)
{
    int top = ah * 3 / 5, half = (top - GAP) / 2;
    int colw = (aw - GAP) / 2;
    box(l, P_DIR, ax, ay, colw, half, GRID_LEGEND);
    box(l, P_TABLE, ax, ay + half + GAP, colw, top - half - GAP, GRID_LEGEND);
    box(l, P_WHOLE, ax + colw + GAP, ay, aw - colw - GAP, half, 2);
    box(l, P_PHYS, ax + colw + GAP, ay + half + GAP, aw - colw - GAP, top - half - GAP, PHYS_LEGEND);
    int by = ay + top + GAP, bh = ah - top - GAP;
    int upper = bh / 2;
    box(l, P_SPACES, ax, by, colw, upper, 0);
    box(l, P_FAULTS, ax + colw + GAP, by, aw - colw - GAP, upper, 0);
    box(l, P_LOG, ax, by + upper + GAP, aw, bh - upper - GAP, 0);
}

void layout_compute(struct layout *l, int w, int h, int line_h, int char_w)
{
    l->w = w;
    l->h = h;
    l->line_h = max_i(line_h, 8);
    l->char_w = max_i(char_w, 4);
    int status_h = l->line_h + 6, timeline_h = 4 * l->line_h + 10; /* 2 rows of marks, labels, legend */
    l->status = (struct rect){0, h - status_h, w, status_h};
    l->timeline = (struct rect){PAD, h - status_h - timeline_h - 2, w - 2 * PAD, timeline_h};
    /* the track leaves room on the left for the row names, on the right for "live" */
    int names = 8 * l->char_w;
    l->track = (struct rect){l->timeline.x + names, l->timeline.y + 3, l->timeline.w - names - 8 * l->char_w,
                             2 * l->line_h};
    int ax = PAD, ay = PAD, aw = w - 2 * PAD, ah = h - status_h - timeline_h - 2 - 2 * PAD;
    int wc = wide_cell(l, aw, ah), tc = tall_cell(l, aw, ah);
    if (wc >= tc) {
        l->cell = max_i(wc, 2);
        wide(l, ax, ay, aw, ah);
    } else {
        l->cell = max_i(tc, 2);
        tall(l, ax, ay, aw, ah);
    }
    grid_in(l, P_DIR);
    grid_in(l, P_TABLE);
    whole_in(l);
    l->grid[P_PHYS] = l->p[P_PHYS].body;
}

uint64_t track_moment_at(const struct rect *track, uint64_t moments, int x)
{
    if (x <= track->x || track->w <= 1)
        return 0;
    if (x >= track->x + track->w - 1)
        return moments;
    return (uint64_t)((double)(x - track->x) * (double)moments / (double)(track->w - 1) + 0.5);
}

int track_x(const struct rect *track, uint64_t moments, uint64_t moment)
{
    if (!moments)
        return track->x;
    return track->x + (int)((double)moment * (double)(track->w - 1) / (double)moments + 0.5);
}

struct rect grid_cell(const struct rect *grid, int idx)
{
    int cell = grid->w / GRID_SIDE;
    return (struct rect){grid->x + (idx % GRID_SIDE) * cell, grid->y + (idx / GRID_SIDE) * cell, cell, cell};
}

int grid_cell_at(const struct rect *grid, int x, int y)
{
    int cell = grid->w / GRID_SIDE;
    if (cell <= 0 || !rect_has(grid, x, y))
        return -1;
    int col = (x - grid->x) / cell, row = (y - grid->y) / cell;
    if (col >= GRID_SIDE || row >= GRID_SIDE)
        return -1;
    return row * GRID_SIDE + col;
}

int64_t whole_page_at(const struct rect *pic, int x, int y)
{
    if (!rect_has(pic, x, y))
        return -1;
    int64_t col = (int64_t)(x - pic->x) * WHOLE_SIDE / pic->w;
    int64_t row = (int64_t)(y - pic->y) * WHOLE_SIDE / pic->h;
    return row * WHOLE_SIDE + col;
}

void whole_point(const struct rect *pic, uint32_t page, int *x, int *y)
{
    *x = pic->x + (int)((int64_t)(page % WHOLE_SIDE) * pic->w / WHOLE_SIDE);
    *y = pic->y + (int)((int64_t)(page / WHOLE_SIDE) * pic->h / WHOLE_SIDE);
}

void phys_geometry(struct phys_geom *g, const struct rect *body, uint32_t nframes)
{
    g->nframes = nframes ? nframes : 1;
    double best = -1;
    g->cols = 64;
    for (uint32_t cols = 16; cols <= 4096; cols += 16) {
        uint32_t rows = (g->nframes + cols - 1) / cols;
        double s = (double)body->w / cols;
        if ((double)body->h / rows < s)
            s = (double)body->h / rows;
        if (s > best + 1e-9) {
            best = s;
            g->cols = cols;
        }
    }
    g->rows = (g->nframes + g->cols - 1) / g->cols;
    int pw = (int)(best * g->cols), ph = (int)(best * g->rows);
    if (best >= 4) { /* whole pixels per frame keep big cells even */
        int s = (int)best;
        pw = s * (int)g->cols;
        ph = s * (int)g->rows;
    }
    g->pic = (struct rect){body->x, body->y, max_i(pw, 1), max_i(ph, 1)};
}

int64_t phys_frame_at(const struct phys_geom *g, int x, int y)
{
    if (!rect_has(&g->pic, x, y))
        return -1;
    int64_t col = (int64_t)(x - g->pic.x) * g->cols / g->pic.w;
    int64_t row = (int64_t)(y - g->pic.y) * g->rows / g->pic.h;
    int64_t f = row * g->cols + col;
    return f < g->nframes ? f : -1;
}
