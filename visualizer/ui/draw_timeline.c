/*
 * draw_timeline.c: the time machine's strip above the status line. The
 * whole stream so far runs left to right, one pixel column per stretch of
 * records; the upper row marks faults by outcome, the lower one the other
 * marks (spaces made and ended, snapshots, losses, warnings, panics, failed
 * tests); under them the ticks and the playhead's moment. Beyond what the
 * checkpoints cover yet, the track is hatched: a seek there reads more.
 */
#include <stdlib.h>
#include <string.h>
#include "sanitizer.h"
#include "view.h"

#define FAULT_BIT(outcome) (1u << (16 + (outcome)))

/* Bins every mark into the track's columns, when the stream or the width moved. */
static void bin_marks(struct view *v)
{
    struct travel_view *t = &v->tm;
    const struct rect *tr = &v->lay.track;
    size_t n;
    const struct mark *marks = history_marks(t->h, &n);
    if (t->nbins == tr->w && t->bins_moments == t->moments && t->bins_marks == n)
        return;
    if (t->nbins != tr->w) {
        free(t->bins);
        t->bins = calloc((size_t)(tr->w > 0 ? tr->w : 1), sizeof *t->bins);
        t->nbins = t->bins ? tr->w : 0;
    }
    if (!t->bins)
        return;
    memset(t->bins, 0, (size_t)t->nbins * sizeof *t->bins);
    for (size_t i = 0; i < n; i++) {
        int col = track_x(tr, t->moments, marks[i].moment) - tr->x;
        if (col < 0 || col >= t->nbins)
            continue;
        t->bins[col] |= 1u << marks[i].kind;
        if (marks[i].kind == MARK_FAULT && marks[i].sub < 16)
            t->bins[col] |= FAULT_BIT(marks[i].sub);
    }
    t->bins_moments = t->moments;
    t->bins_marks = n;
}

/* A fault's colour by outcome, the gravest one when a column holds several. */
static uint32_t fault_colour(uint32_t bits)
{
    if (bits & FAULT_BIT(OUTCOME_FATAL))
        return COL_BAD;
    if (bits &
        (FAULT_BIT(OUTCOME_KILLED) | FAULT_BIT(OUTCOME_STACK_OVERFLOW) | FAULT_BIT(OUTCOME_OUT_OF_MEMORY)))
        return COL_WARN;
    if (bits & FAULT_BIT(OUTCOME_COPIED))
        return COL_SHARED;
    if (bits & FAULT_BIT(OUTCOME_ZERO_FILLED))
        return COL_GOOD;
    return COL_DIM; /* expected by a self-test */
}

/* Where a moment is on the track, and a label under it that stays inside the strip. */
static void label_at(struct view *v, int x, int y, const char *s, uint32_t col)
{
    const struct rect *tl = &v->lay.timeline;
    int w = text_width(&v->font, s);
    x -= w / 2;
    if (x + w > tl->x + tl->w - 2)
        x = tl->x + tl->w - 2 - w;
    if (x < v->lay.track.x)
        x = v->lay.track.x;
    text_draw(&v->font, v->r, x, y, s, col, 0);
}

void draw_timeline(struct view *v, const struct model *m)
{
    struct travel_view *t = &v->tm;
    const struct rect *tl = &v->lay.timeline, *tr = &v->lay.track;
    int lh = v->font.line_h;
    (void)m;
    SDL_RenderSetClipRect(v->r, NULL);
    fill(v->r, tl->x, tl->y, tl->w, tl->h, COL_PANEL);
    outline(v->r, tl->x, tl->y, tl->w, tl->h, 1, t->dragging ? COL_FOCUS : COL_BORDER);
    clip(v->r, tl);
    text_draw(&v->font, v->r, tl->x + 4, tr->y, "faults", COL_DIM, tr->x - tl->x - 6);
    text_draw(&v->font, v->r, tl->x + 4, tr->y + lh, "events", COL_DIM, tr->x - tl->x - 6);
    if (!t->h) {
        text_draw(&v->font, v->r, tr->x, tr->y + lh / 2, "no time machine for this input", COL_DIM, tr->w);
        return;
    }
    fill(v->r, tr->x, tr->y, tr->w, tr->h, COL_EMPTY);
    /* beyond the checkpoints: hatched */
    int built_x = track_x(tr, t->moments, t->built);
    for (int x = built_x + 1; x < tr->x + tr->w; x += 4)
        fill(v->r, x, tr->y, 1, tr->h, COL_BORDER);
    bin_marks(v);
    for (int c = 0; c < t->nbins; c++) {
        uint32_t b = t->bins[c];
        if (!b)
            continue;
        int x = tr->x + c;
        if (b & (1u << MARK_FAULT))
            fill(v->r, x, tr->y + 2, 1, lh - 4, fault_colour(b));
        int y = tr->y + lh, half = lh / 2;
        if (b & (1u << MARK_SPACE_CREATE))
            fill(v->r, x, y + 1, 1, half - 1, COL_SHARED);
        if (b & (1u << MARK_SPACE_DESTROY))
            fill(v->r, x, y + half, 1, half - 1, COL_TABLE);
        if (b & (1u << MARK_SNAPSHOT))
            fill(v->r, x, y + half - 1, 1, 2, COL_TEXT);
        if (b & (1u << MARK_WARN))
            fill(v->r, x, y + 1, 1, lh - 2, COL_USER_LT);
        if (b & ((1u << MARK_LOSS) | (1u << MARK_PANIC) | (1u << MARK_TEST_FAIL)))
            fill(v->r, x, y + 1, 1, lh - 2, COL_BAD);
    }
    /* the sanitizer's warnings: a vermillion notch above the track and a line through both rows */
    for (size_t i = 0; v->san && i < sanitizer_kept(v->san); i++) {
        const struct san_warning *w = sanitizer_warning(v->san, i);
        if (w->moment > t->moments)
            break;
        int x = track_x(tr, t->moments, w->moment);
        fill(v->r, x - 1, tr->y - 4, 3, 4, COL_BAD);
        fill(v->r, x, tr->y, 1, tr->h, COL_BAD);
    }
    /* A, then the playhead */
    int ay = tr->y + tr->h + 2;
    if (t->a != UINT64_MAX && t->a <= t->moments) {
        int ax = track_x(tr, t->moments, t->a);
        fill(v->r, ax, tr->y - 2, 2, tr->h + 4, COL_USER_LT);
        text_draw(&v->bold, v->r, ax + 3, tr->y - 2, "A", COL_USER_LT, 0);
    }
    int px = track_x(tr, t->moments, t->at);
    fill(v->r, px - 1, tr->y - 3, 3, tr->h + 6, COL_SELECT);
    char here[96];
    if (t->live)
        snprintf(here, sizeof here, "#%llu tick %u · live", (unsigned long long)t->at, m->tick);
    else
        snprintf(here, sizeof here, "#%llu tick %u of %llu", (unsigned long long)t->at, m->tick,
                 (unsigned long long)t->moments);
    label_at(v, px, ay, here, COL_TITLE);
    /* the ends */
    text_draw(&v->font, v->r, tl->x + 4, ay, "#0", COL_DIM, 0);
    const char *end = t->live ? "live" : t->replay ? "end" : "frozen";
    text_draw(&v->bold, v->r, tr->x + tr->w + v->font.char_w, tr->y + lh / 2, end,
              t->live     ? COL_GOOD
              : t->replay ? COL_DIM
                          : COL_WARN,
              0);
    /* the legend */
    struct rect lg = {tl->x + 4, ay + lh, tl->w - 8, lh};
    int x = lg.x, y = lg.y;
    static const struct {
        uint32_t col;
        const char *label;
    } keys[] = {
        {COL_GOOD, "zero-fill"},    {COL_SHARED, "copied"},
        {COL_WARN, "killed"},       {COL_BAD, "fatal"},
        {COL_DIM, "expected"},      {COL_SHARED, "created"},
        {COL_TABLE, "ended"},       {COL_TEXT, "snapshot"},
        {COL_USER_LT, "warning"},   {COL_BAD, "loss/panic/failed"},
        {COL_BAD, "sanitizer (c)"},
    };
    x += text_draw(&v->font, v->r, x, y, "faults:", COL_DIM, 0) + v->font.char_w;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (i == 5)
            x += text_draw(&v->font, v->r, x, y, "events:", COL_DIM, 0) + v->font.char_w;
        legend_swatch(v, &lg, &x, &y, keys[i].col, keys[i].label);
    }
    x += v->font.char_w;
    if (y == lg.y)
        text_draw(&v->font, v->r, x, y, ", . record  [ ] fault  { } mark  a: A  h: history  End: live",
                  COL_DIM, lg.x + lg.w - x);
}
