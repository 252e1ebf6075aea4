/*
 * draw_travel.c: the time machine in the panels. A difference (from moment
 * A, or with space X) is kept as runs of pages in (asid, va) order, remade
 * only when a model moved; each panel asks travel_mark what changed at a
 * page and draws its mark: + mapped, - unmapped, ~ another frame or flags,
 * = the same frame (shared), each in its own colour AND shape so that no
 * reader depends on hue. The list in the log panel's place shows the
 * difference's runs or an entry's history, each row a jump.
 */
#include <stdlib.h>
#include <string.h>
#include "sanitizer.h"
#include "view.h"

#define COL_DIFF_PLUS  COL_GOOD    /* sky blue: mapped */
#define COL_DIFF_MINUS COL_BAD     /* vermillion: unmapped */
#define COL_DIFF_TILDE COL_USER_LT /* yellow: changed */
#define COL_DIFF_SAME  COL_SHARED  /* bluish green: shared */

static void keep_run(void *ctx, const struct diff_run *r)
{
    struct travel_view *t = ctx;
    if (t->nruns == t->runs_cap) {
        size_t cap = t->runs_cap ? t->runs_cap * 2 : 256;
        struct diff_run *g = realloc(t->runs, cap * sizeof *g);
        if (!g)
            return;
        t->runs = g;
        t->runs_cap = cap;
    }
    t->runs[t->nruns++] = *r;
}

void travel_update(struct view *v, const struct model *m)
{
    struct travel_view *t = &v->tm;
    const struct space *shown = view_space(v, m);
    if (t->space_x != MODEL_NO_ASID) {
        const struct space *x = model_space(m, t->space_x);
        uint64_t of[3] = {m->version, 0, shown ? shown->asid : MODEL_NO_ASID};
        if (!memcmp(of, t->runs_of, sizeof of))
            return;
        memcpy(t->runs_of, of, sizeof of);
        t->nruns = 0;
        memset(&t->counts, 0, sizeof t->counts);
        if (x && shown && x != shown)
            diff_spaces(x, shown, keep_run, t, &t->counts);
        /* the runs carry X's asid; the marks are for the shown space */
        for (size_t i = 0; i < t->nruns; i++)
            t->runs[i].asid = shown->asid;
        return;
    }
    if (t->a == UINT64_MAX || !t->am) {
        t->nruns = 0;
        memset(t->runs_of, 0, sizeof t->runs_of);
        return;
    }
    uint64_t of[3] = {m->version, t->am->version, 1};
    if (!memcmp(of, t->runs_of, sizeof of))
        return;
    memcpy(t->runs_of, of, sizeof of);
    t->nruns = 0;
    diff_moments(t->am, m, keep_run, t, &t->counts);
}

/* The first run at or after (asid, va). */
static size_t run_from(const struct travel_view *t, uint32_t asid, uint64_t va)
{
    size_t lo = 0, hi = t->nruns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct diff_run *r = &t->runs[mid];
        if (r->asid < asid || (r->asid == asid && r->end <= va))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

char travel_mark(const struct view *v, const struct model *m, uint32_t va, bool dir)
{
    const struct travel_view *t = &v->tm;
    const struct space *sp = view_space(v, m);
    if (!t->nruns || !sp)
        return 0;
    uint64_t start = dir ? va & ~(LARGE_PAGE_SIZE - 1) : va & ~(PAGE_SIZE - 1);
    uint64_t end = start + (dir ? LARGE_PAGE_SIZE : PAGE_SIZE);
    char kind = 0;
    for (size_t i = run_from(t, sp->asid, start); i < t->nruns; i++) {
        const struct diff_run *r = &t->runs[i];
        if (r->asid != sp->asid || r->start >= end)
            break;
        if (!kind || kind == r->kind)
            kind = r->kind;
        else if (kind != '=' && r->kind != '=')
            kind = '~'; /* several kinds of change in one directory slot */
    }
    return kind;
}

void draw_travel_mark(SDL_Renderer *r, const struct rect *c, char kind)
{
    int s = c->w < c->h ? c->w : c->h, m = s / 2, th = s >= 10 ? 2 : 1;
    switch (kind) {
    case '+': /* a plus, and a frame */
        outline(r, c->x, c->y, c->w, c->h, th, COL_DIFF_PLUS);
        fill(r, c->x + m - th / 2, c->y + s / 4, th, s / 2, COL_DIFF_PLUS);
        fill(r, c->x + s / 4, c->y + m - th / 2, s / 2, th, COL_DIFF_PLUS);
        break;
    case '-': /* a cross: gone */
        for (int i = 1; i < s - 1; i++) {
            fill(r, c->x + i, c->y + i, th, th, COL_DIFF_MINUS);
            fill(r, c->x + s - 1 - i, c->y + i, th, th, COL_DIFF_MINUS);
        }
        break;
    case '~': /* a frame and a dot: changed */
        outline(r, c->x, c->y, c->w, c->h, th, COL_DIFF_TILDE);
        fill(r, c->x + m - 1, c->y + m - 1, 3, 3, COL_DIFF_TILDE);
        break;
    case '=': /* a bar along the bottom: shared */
        fill(r, c->x, c->y + s - 1 - th, c->w, th + 1, COL_DIFF_SAME);
        break;
    default: break;
    }
}

/* ---- the list in the log panel's place ---- */

static const char *run_words(char kind, bool spaces)
{
    switch (kind) {
    case '+': return spaces ? "only in the shown space" : "mapped";
    case '-': return spaces ? "only in X" : "unmapped";
    case '~': return spaces ? "another frame (copied)" : "frame or flags changed";
    default: return "the same frame (shared)";
    }
}

static uint32_t run_colour(char kind)
{
    return kind == '+'   ? COL_DIFF_PLUS
           : kind == '-' ? COL_DIFF_MINUS
           : kind == '~' ? COL_DIFF_TILDE
                         : COL_DIFF_SAME;
}

/* How many regions the difference list shows above its runs (a third of its rows at most). */
static size_t regions_shown(const struct view *v, size_t *all)
{
    const struct rect *b = &v->lay.p[P_LOG].body;
    int rows = b->h / v->font.line_h - 1;
    *all = diff_regions(v->tm.runs, v->tm.nruns, NULL, 0);
    size_t shown = *all < 8 ? *all : 8;
    return (int)shown > rows / 3 ? (size_t)(rows / 3) : shown;
}

int travel_list_header(const struct view *v)
{
    size_t all, shown = regions_shown(v, &all);
    return 1 + (int)shown + (all > shown);
}

static void draw_runs(struct view *v, const struct model *m)
{
    struct travel_view *t = &v->tm;
    const struct rect *b = &v->lay.p[P_LOG].body;
    int lh = v->font.line_h, rows = b->h / lh - 1;
    bool spaces = t->space_x != MODEL_NO_ASID;
    const struct space *sp = view_space(v, m);
    char title[96];
    if (spaces)
        snprintf(title, sizeof title, "Space %u against X = space %u", sp ? sp->asid : 0, t->space_x);
    else
        snprintf(title, sizeof title, "Changes from A (#%llu) to #%llu", (unsigned long long)t->a,
                 (unsigned long long)t->at);
    panel_begin(v, P_LOG, title, fmt("%zu runs · Esc: the log", t->nruns));
    int y = b->y;
    char sum[160];
    if (spaces)
        snprintf(sum, sizeof sum, "%llu pages shared, %llu copied, %llu only in X, %llu only here",
                 (unsigned long long)t->counts.pages[3], (unsigned long long)t->counts.pages[2],
                 (unsigned long long)t->counts.pages[1], (unsigned long long)t->counts.pages[0]);
    else
        snprintf(sum, sizeof sum, "%llu pages mapped, %llu unmapped, %llu changed",
                 (unsigned long long)t->counts.pages[0], (unsigned long long)t->counts.pages[1],
                 (unsigned long long)t->counts.pages[2]);
    text_draw(&v->bold, v->r, b->x, y, sum, COL_TEXT, b->w);
    y += lh;
    /* the regions, as many as a third of the list can take, then the runs */
    struct diff_region g[8];
    size_t ng, shown = regions_shown(v, &ng);
    diff_regions(t->runs, t->nruns, g, 8);
    for (size_t i = 0; i < shown; i++, y += lh) {
        char what[96] = "";
        int n = 0;
        for (int w = 0; w < 4; w++)
            if (g[i].pages[w])
                n += snprintf(what + n, sizeof what - (size_t)n, "%s%llu %s", n ? ", " : "",
                              (unsigned long long)g[i].pages[w], run_words("+-~="[w], spaces));
        char who[24] = "";
        if (!spaces)
            snprintf(who, sizeof who, "space %u ", g[i].asid);
        text_draw(&v->font, v->r, b->x, y,
                  fmt("%s0x%08llx-0x%08llx: %s", who, (unsigned long long)g[i].start,
                      (unsigned long long)g[i].end - 1, what),
                  COL_TITLE, b->w);
    }
    if (ng > shown) {
        text_draw(&v->font, v->r, b->x, y, fmt("(%zu more regions)", ng - shown), COL_DIM, b->w);
        y += lh;
    }
    rows = b->h / lh - travel_list_header(v);
    if (t->run_sel >= (int)t->nruns)
        t->run_sel = (int)t->nruns - 1;
    int first = t->run_sel >= rows ? t->run_sel - rows + 1 : 0;
    for (int i = first; i < (int)t->nruns && y + lh <= b->y + b->h; i++, y += lh) {
        const struct diff_run *r = &t->runs[i];
        uint64_t pages = (r->end - r->start) >> PAGE_SHIFT;
        if (i == t->run_sel)
            fill(v->r, b->x, y, b->w, lh, COL_BORDER);
        int x = b->x;
        struct rect c = {x, y + 1, lh - 2, lh - 2};
        draw_travel_mark(v->r, &c, r->kind);
        x += lh + v->font.char_w / 2;
        char who[24] = "";
        if (!spaces)
            snprintf(who, sizeof who, "space %u ", r->asid);
        const char *line = fmt("%s0x%08llx-0x%08llx %5llu page%s %s", who, (unsigned long long)r->start,
                               (unsigned long long)r->end - 1, (unsigned long long)pages,
                               pages == 1 ? " " : "s", run_words(r->kind, spaces));
        text_draw(&v->font, v->r, x, y, line, run_colour(r->kind), b->x + b->w - x);
    }
    if (!t->nruns)
        text_draw(&v->font, v->r, b->x, y, spaces ? "no user page in either space" : "nothing changed",
                  COL_DIM, b->w);
}

static void draw_history(struct view *v)
{
    struct travel_view *t = &v->tm;
    const struct rect *b = &v->lay.p[P_LOG].body;
    int lh = v->font.line_h, rows = b->h / lh;
    char title[96];
    if (t->hist_frame)
        snprintf(title, sizeof title, "History of frame 0x%08x", t->hist_va & ~(PAGE_SIZE - 1));
    else if (t->hist_dir)
        snprintf(title, sizeof title, "History of PDE %u of space %u", PDX(t->hist_va), t->hist_asid);
    else
        snprintf(title, sizeof title, "History of 0x%08x in space %u", t->hist_va & ~(PAGE_SIZE - 1),
                 t->hist_asid);
    panel_begin(
        v, P_LOG, title,
        fmt("%zu change%s · Enter: go there · Esc: the log", t->total_rows, t->total_rows == 1 ? "" : "s"));
    if (t->row_sel >= (int)t->nrows)
        t->row_sel = (int)t->nrows - 1;
    int first = t->row_sel >= rows ? t->row_sel - rows + 1 : 0, y = b->y;
    for (int i = first; i < (int)t->nrows && y + lh <= b->y + b->h; i++, y += lh) {
        const struct history_row *r = &t->rows[i];
        bool d = r->c.va & CHANGE_DIR, now = r->moment <= t->at;
        char old[64], new[64], who[40] = "";
        entry_words(old, sizeof old, r->c.old, d);
        entry_words(new, sizeof new, r->c.new, d);
        if (t->hist_frame)
            snprintf(who, sizeof who, "%s 0x%08x ",
                     r->c.key == MODEL_KERNEL_KEY ? "kernel" : fmt("space %u", r->c.key),
                     r->c.va & ~CHANGE_DIR);
        if (i == t->row_sel)
            fill(v->r, b->x, y, b->w, lh, COL_BORDER);
        int x = b->x;
        x += text_draw(&v->font, v->r, x, y, fmt("#%-8llu %5u ", (unsigned long long)r->moment, r->tick),
                       now ? COL_DIM : COL_BORDER + 0x404040, 0);
        const struct mark *f = t->h && !d ? history_fault_near(t->h, r->moment, t->hist_asid, r->c.va) : NULL;
        char fault[48] = "";
        if (f)
            snprintf(fault, sizeof fault, "  fault: %s", word_name(WS_OUTCOME, f->sub));
        text_draw(&v->font, v->r, x, y, fmt("%s%s%s -> %s%s", who, d ? "dir " : "", old, new, fault),
                  now ? COL_TEXT : COL_DIM, b->x + b->w - x);
    }
    if (!t->nrows)
        text_draw(&v->font, v->r, b->x, y, "no change recorded", COL_DIM, b->w);
}

/* The sanitizer's warnings, oldest first (docs/sanitizer.md). */
static void draw_checks(struct view *v)
{
    struct travel_view *t = &v->tm;
    const struct rect *b = &v->lay.p[P_LOG].body;
    int lh = v->font.line_h, rows = b->h / lh;
    size_t kept = v->san ? sanitizer_kept(v->san) : 0;
    uint64_t count = v->san ? sanitizer_count(v->san) : 0;
    panel_begin(v, P_LOG, "Sanitizer",
                fmt("%llu warning%s · Enter: go there · Esc: the log", (unsigned long long)count,
                    count == 1 ? "" : "s"));
    if (t->check_sel >= (int)kept)
        t->check_sel = (int)kept - 1;
    if (t->check_sel < 0)
        t->check_sel = 0;
    int first = t->check_sel >= rows ? t->check_sel - rows + 1 : 0, y = b->y;
    for (int i = first; i < (int)kept && y + lh <= b->y + b->h; i++, y += lh) {
        const struct san_warning *w = sanitizer_warning(v->san, (size_t)i);
        if (i == t->check_sel)
            fill(v->r, b->x, y, b->w, lh, COL_BORDER);
        int x = b->x;
        x += text_draw(&v->font, v->r, x, y, fmt("#%-8llu %5u ", (unsigned long long)w->moment, w->tick),
                       COL_DIM, 0);
        bool later = t->h && w->moment > t->at; /* not yet at the moment shown: dimmed */
        x +=
            text_draw(&v->bold, v->r, x, y, fmt("%s ", san_rule_name(w->rule)), later ? COL_DIM : COL_BAD, 0);
        text_draw(&v->font, v->r, x, y, w->text, later ? COL_DIM : COL_TEXT, b->x + b->w - x);
    }
    if (!kept) {
        text_draw(&v->font, v->r, b->x, y,
                  v->san ? "no paging rule broken so far (docs/sanitizer.md lists the rules)"
                         : "no sanitizer for this input",
                  COL_DIM, b->w);
        if (v->san && sanitizer_unchecked(v->san))
            text_draw(&v->font, v->r, b->x, y + lh,
                      fmt("%llu records not checked: the picture was not whole then",
                          (unsigned long long)sanitizer_unchecked(v->san)),
                      COL_WARN, b->w);
    }
}

void draw_side_list(struct view *v, const struct model *m)
{
    if (v->tm.side == SIDE_HISTORY)
        draw_history(v);
    else if (v->tm.side == SIDE_CHECKS)
        draw_checks(v);
    else
        draw_runs(v, m);
}

#define HISTORY_ROWS 20000 /* rows kept for the panel; the title counts them all */

void travel_open_history(struct view *v, const struct model *m, bool frame)
{
    struct travel_view *t = &v->tm;
    const struct space *sp = view_space(v, m);
    if (!t->h || !sp)
        return;
    if (!t->rows && !(t->rows = malloc(HISTORY_ROWS * sizeof *t->rows)))
        return;
    int pdi = view_pde(v, m), pti = v->sel_pte >= 0 ? v->sel_pte : 0;
    uint32_t va = (uint32_t)pdi << 22 | (uint32_t)pti << 12;
    t->hist_asid = sp->asid;
    t->hist_va = va;
    t->hist_dir = v->focus == P_DIR;
    t->hist_frame = frame;
    if (frame) {
        uint32_t e = model_entry(m, sp->asid, va);
        if (!(e & PTE_P))
            return;
        uint32_t pa = (e & PDE_PS) ? large_frame_of(e) + (va & (LARGE_PAGE_SIZE - 1)) : frame_of(e);
        t->hist_va = pa;
        t->total_rows = history_frame(t->h, pa >> PAGE_SHIFT, t->rows, HISTORY_ROWS);
    } else {
        t->total_rows = history_entry(t->h, sp->asid, va, t->hist_dir, t->rows, HISTORY_ROWS);
    }
    t->nrows = t->total_rows < HISTORY_ROWS ? t->total_rows : HISTORY_ROWS;
    /* the selected row: the last change at or before the moment shown */
    t->row_sel = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (t->rows[i].moment <= t->at)
            t->row_sel = (int)i;
    t->side = SIDE_HISTORY;
}
