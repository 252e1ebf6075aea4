/*
 * draw_regions.c: the region view of a user space, in the 4 GiB panel's
 * place, like /proc/PID/maps: a row per region the kernel told (code, data,
 * heap and its break, stack and its limit, the guard page), the gaps between
 * them collapsed to one row each with their size, and the kernel half as
 * one row; each row with its range, size, what it holds and a bar of how
 * many of its pages are present. Shown for a user space when the stream
 * tells regions (an older kernel's does not: the 4 GiB picture stays);
 * `v` switches between it and the picture. With a space marked X (the `x`
 * key), the two spaces' regions side by side.
 */
#include "view.h"

#define REGION_ROWS_MAX                                                                 \
    (2 * MODEL_REGIONS_MAX + 2) /* regions, a gap before each, the last gap, the kernel \
                                 */

/* One row: a region (kind set), a gap or the kernel half. */
struct region_row {
    uint32_t start, end; /* end 0: 4 GiB */
    int kind;            /* enum word_HOLDS, or ROW_GAP / ROW_KERNEL */
};
#define ROW_GAP     (-1)
#define ROW_KERNEL  (-2)
#define KERNEL_HALF ((uint32_t)KERNEL_PDE_FIRST << 22) /* 0xC0000000 */

bool view_regions_shown(const struct view *v, const struct model *m)
{
    const struct space *sp = view_space(v, m);
    return !v->regions_off && m->regions_seen && sp && sp->asid != 0;
}

/* The colour of a row: the 4 GiB picture's (read-only user pages yellow, writable orange, kernel blue),
 * the guard page vermillion. */
static uint32_t row_col(int kind)
{
    switch (kind) {
    case HOLDS_CODE:
    case HOLDS_RODATA: return COL_USER_LT;
    case HOLDS_DATA:
    case HOLDS_HEAP:
    case HOLDS_STACK: return COL_USER;
    case HOLDS_GUARD: return COL_BAD;
    case HOLDS_KHEAP:
    case ROW_KERNEL: return COL_KERNEL;
    default: return COL_DIM;
    }
}

/* "256K", "3M", "2.9G": a size in bytes, short. */
static const char *size_words(uint64_t bytes)
{
    if (bytes >= (1ull << 30))
        return fmt("%.1fG", (double)bytes / (1ull << 30));
    if (bytes >= (1ull << 20))
        return bytes % (1ull << 20) ? fmt("%.1fM", (double)bytes / (1ull << 20))
                                    : fmt("%lluM", (unsigned long long)(bytes >> 20));
    return fmt("%lluK", (unsigned long long)(bytes >> 10));
}

/* The rows of sp's user half in address order, then the kernel half; returns how many. */
static int region_rows(const struct space *sp, struct region_row *rows)
{
    int n = 0;
    uint32_t at = 0;
    for (uint32_t i = 0; i < sp->nregions; i++) {
        const struct model_region *r = &sp->regions[i];
        if (r->start >= KERNEL_HALF)
            continue;
        if (r->start > at)
            rows[n++] = (struct region_row){at, r->start, ROW_GAP};
        rows[n++] = (struct region_row){r->start, r->end, (int)r->kind};
        at = r->end;
    }
    if (at < KERNEL_HALF)
        rows[n++] = (struct region_row){at, KERNEL_HALF, ROW_GAP};
    rows[n++] = (struct region_row){KERNEL_HALF, 0, ROW_KERNEL};
    return n;
}

/* What a row is, in words: its kind and what its ends mean. */
static const char *row_words(const struct region_row *r)
{
    switch (r->kind) {
    case ROW_GAP: return "unmapped gap";
    case ROW_KERNEL: return "kernel half, shared";
    case HOLDS_HEAP: return fmt("heap, break %08x", r->end);
    case HOLDS_STACK: return fmt("stack, limit %08x", r->start);
    case HOLDS_GUARD: return "guard page";
    default: return region_kind_name((enum word_HOLDS)r->kind);
    }
}

/* sp's rows in the rectangle body (one column of the panel). */
static void draw_region_rows(struct view *v, const struct space *sp, const struct rect *body)
{
    struct region_row rows[REGION_ROWS_MAX];
    int n = region_rows(sp, rows), lh = v->font.line_h, cw = v->font.char_w;
    /* columns: swatch, range, size, then the bar and the count; what the row is
     * follows the size, or on a line of its own when the column is narrow */
    int x = body->x + 4, bar_w = REGION_BAR_CHARS * cw, count_w = REGION_COUNT_CHARS * cw;
    int bar_x = body->x + body->w - count_w - bar_w - 4, size_x = x + 14 + 18 * cw, words_x = size_x + 7 * cw;
    bool narrow = bar_x - words_x < 22 * cw;
    bool compact = bar_x < size_x + 5 * cw; /* a column of two: no room for the bar after range and size */
    int y = body->y + 2, bottom = body->y + body->h;
    for (int i = 0; compact && i < n; i++) { /* range and size; then what it holds and pages present */
        const struct region_row *r = &rows[i];
        bool gap = r->kind == ROW_GAP;
        int h = (gap ? lh : 2 * lh) + 4;
        if (y + h + lh > bottom && i < n - 1) {
            text_draw(&v->font, v->r, x, y, fmt("%d rows more", n - i), COL_DIM, body->w - 8);
            break;
        }
        uint64_t end = r->end ? r->end : 1ull << 32;
        uint32_t pages = (uint32_t)((end - r->start) >> PAGE_SHIFT),
                 present = model_present_pages(sp, r->start, r->end);
        uint32_t col = row_col(r->kind);
        if (r->kind == HOLDS_GUARD)
            outline(v->r, body->x, y - 2, body->w, h, 1, COL_BAD);
        if (!gap)
            fill(v->r, x, y + 2, 6, h - 8, col);
        char size[16];
        snprintf(size, sizeof size, "%s", size_words(end - r->start)); /* fmt's buffer is reused below */
        text_draw(&v->font, v->r, x + 10, y, fmt("%08x-%08x %s", r->start, (uint32_t)(end - 1), size),
                  gap ? COL_DIM : COL_TEXT, body->w - 14);
        if (!gap) {
            const char *what = r->kind == ROW_KERNEL    ? "kernel half"
                               : r->kind == HOLDS_GUARD ? "guard page"
                                                        : region_kind_name((enum word_HOLDS)r->kind);
            int wx = x + 10 + text_draw(&v->bold, v->r, x + 10, y + lh, what, col, body->w - 14 - 10 * cw);
            text_draw(&v->font, v->r, wx + cw, y + lh, fmt("%u/%u", present, pages), COL_TEXT, 0);
        }
        y += h;
    }
    for (int i = 0; !compact && i < n; i++) {
        const struct region_row *r = &rows[i];
        bool gap = r->kind == ROW_GAP;
        int h = (narrow && !gap ? 2 * lh : lh) + 4;
        if (y + h + lh > bottom && i < n - 1) {
            text_draw(&v->font, v->r, x, y, fmt("%d rows more (v: the 4 GiB picture)", n - i), COL_DIM,
                      body->w - 8);
            break;
        }
        uint64_t end = r->end ? r->end : 1ull << 32, bytes = end - r->start;
        uint32_t pages = (uint32_t)(bytes >> PAGE_SHIFT), present = model_present_pages(sp, r->start, r->end);
        uint32_t col = row_col(r->kind);
        if (r->kind == HOLDS_GUARD)
            outline(v->r, body->x, y - 2, body->w, h, 1, COL_BAD);
        if (!gap)
            fill(v->r, x, y + 2, 8, h - 8, col);
        text_draw(&v->font, v->r, x + 14, y, fmt("%08x-%08x", r->start, (uint32_t)(end - 1)),
                  gap ? COL_DIM : COL_TEXT, 0);
        text_draw(&v->font, v->r, size_x, y, size_words(bytes), gap ? COL_DIM : COL_TEXT, 0);
        if (narrow && !gap)
            text_draw(&v->bold, v->r, x + 14 + 2 * cw, y + lh, row_words(r), col, body->w - 20 - 2 * cw);
        else
            text_draw(gap ? &v->font : &v->bold, v->r, words_x, y, gap ? "gap" : row_words(r),
                      gap ? COL_DIM : col, (gap && !present ? body->x + body->w : bar_x) - words_x - 6);
        if (!gap || present) {
            /* present pages: the bar fills that share, at least a pixel when any; a gap's mapped
             * pages (outside every region) in vermillion */
            int filled = pages ? (int)((uint64_t)present * bar_w / pages) : 0;
            if (present && !filled)
                filled = 1;
            fill(v->r, bar_x, y + 3, bar_w, lh - 6, COL_EMPTY);
            fill(v->r, bar_x, y + 3, filled, lh - 6, gap ? COL_BAD : col == COL_DIM ? COL_TEXT : col);
            text_draw(&v->font, v->r, bar_x + bar_w + 6, y,
                      gap ? fmt("%u outside", present) : fmt("%u/%u", present, pages),
                      gap ? COL_BAD : COL_TEXT, count_w);
        }
        y += h;
    }
    draw_untrusted(v, body, sp);
}

void draw_regions(struct view *v, const struct model *m)
{
    const struct space *sp = view_space(v, m);
    const struct panel_box *b = &v->lay.p[P_WHOLE];
    /* x marked another space: the two side by side, X on the left (as WeensyOS shows every process) */
    const struct space *x_sp = v->tm.space_x != MODEL_NO_ASID ? model_space(m, v->tm.space_x) : NULL;
    if (x_sp == sp || (x_sp && !x_sp->nregions))
        x_sp = NULL;
    if (x_sp) {
        panel_begin(v, P_WHOLE, "Regions",
                    fmt("space %u (X) beside space %u · v: the 4 GiB picture", x_sp->asid, sp->asid));
        int lh = v->font.line_h, half = (b->body.w - 6) / 2;
        struct rect left = {b->body.x, b->body.y + lh, half, b->body.h - lh},
                    right = {b->body.x + half + 6, b->body.y + lh, b->body.w - half - 6, b->body.h - lh};
        clip(v->r, &b->body);
        text_draw(&v->bold, v->r, left.x + 4, b->body.y, fmt("space %u (X)", x_sp->asid), COL_TITLE, half);
        text_draw(&v->bold, v->r, right.x + 4, b->body.y, fmt("space %u", sp->asid), COL_TITLE, right.w);
        fill(v->r, b->body.x + half + 2, b->body.y, 1, b->body.h, COL_BORDER);
        clip(v->r, &left);
        draw_region_rows(v, x_sp, &left);
        clip(v->r, &right);
        draw_region_rows(v, sp, &right);
    } else {
        panel_begin(v, P_WHOLE, "Regions", fmt("asid %u · v: the 4 GiB picture", sp->asid));
        clip(v->r, &b->body);
        draw_region_rows(v, sp, &b->body);
    }

    clip(v->r, &b->legend);
    int x = b->legend.x, y = b->legend.y + 2;
    legend_swatch(v, &b->legend, &x, &y, COL_USER_LT, "code, read-only");
    legend_swatch(v, &b->legend, &x, &y, COL_USER, "data, heap, stack");
    legend_swatch(v, &b->legend, &x, &y, COL_BAD, "guard");
    legend_swatch(v, &b->legend, &x, &y, COL_KERNEL, "kernel");
    legend_swatch(v, &b->legend, &x, &y, COL_EMPTY, "bar: pages present");
}
