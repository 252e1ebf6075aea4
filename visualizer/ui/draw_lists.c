/*
 * draw_lists.c: the two lists: address spaces (the live one, whose CR3 is
 * loaded, marked with a triangle; the shown one highlighted) and recent page
 * faults, newest first, with CR2, EIP, the error code in words and what the
 * kernel made of the fault. Row positions are shared with controls.c.
 */
#include "view.h"

#define ROW_HILITE 0x2c3a4au

/* The first row shown so that row `keep` stays visible. */
static int first_row(int rows, int visible, int keep)
{
    if (visible <= 0 || rows <= visible || keep < visible)
        return 0;
    int first = keep - visible + 1;
    return first + visible > rows ? rows - visible : first;
}

int list_first_space(const struct view *v, const struct model *m)
{
    const struct space *shown = view_space(v, m);
    int keep = 0;
    for (uint32_t i = 0; i < m->nspaces; i++)
        if (model_space_at(m, i) == shown)
            keep = (int)i;
    return first_row((int)m->nspaces, v->lay.p[P_SPACES].body.h / v->font.line_h - 1, keep);
}

int list_first_fault(const struct view *v, const struct model *m)
{
    return first_row((int)m->fault_count, v->lay.p[P_FAULTS].body.h / v->font.line_h - 1,
                     v->fault_sel > 0 ? v->fault_sel : 0);
}

void draw_spaces(struct view *v, const struct model *m)
{
    int n = (int)m->nspaces, lh = v->font.line_h, y;
    const struct rect *b = &v->lay.p[P_SPACES].body;
    const struct space *ended = model_ended(m);
    int rows = b->h / lh - 1, first = list_first_space(v, m), all = n + (ended != NULL);
    char where[48] = "";
    if (all > rows && rows > 0)
        snprintf(where, sizeof where, " · rows %d-%d", first + 1, first + rows < all ? first + rows : all);
    panel_begin(v, P_SPACES, "Address spaces",
                fmt("%d%s%s · %s", n, ended ? " + 1 ended" : "", where,
                    v->asid == MODEL_NO_ASID ? "following the story" : "pinned (l: follow)"));
    y = b->y;
    text_draw(&v->font, v->r, b->x, y, "  asid  cr3       tables  pages   faults", COL_DIM, b->w);
    y += lh;
    if (!n)
        text_draw(&v->font, v->r, b->x, y, "  none yet: the kernel sends snapshots at boot", COL_DIM, b->w);
    const struct space *shown = view_space(v, m);
    const struct frame_mapping *mp;
    uint32_t maps = view_frame_mappings(v, m, &mp);
    for (int i = list_first_space(v, m); i < n && y + lh <= b->y + b->h; i++, y += lh) {
        const struct space *sp = model_space_at(m, (uint32_t)i);
        bool live = sp->asid == m->current_asid, lit = false;
        if (sp == shown)
            fill(v->r, b->x, y, b->w, lh, ROW_HILITE);
        for (uint32_t k = 0; k < maps && !lit; k++) /* it maps the selected frame in its own half */
            lit = mp[k].asid == sp->asid;
        if (lit)
            fill(v->r, b->x, y + 2, 3, lh - 4, COL_LINK);
        char trust[48] = "";
        if (!sp->whole)
            snprintf(trust, sizeof trust, "untrusted since tick %u", sp->since);
        const char *row = fmt("%s %4u  %08x  %6u %6u  %6u  %s%s", live ? "▶" : " ", sp->asid, sp->cr3,
                              sp->pdes, space_ptes(sp), sp->faults, live ? "live " : "", trust);
        text_draw(&v->font, v->r, b->x, y, row, sp->whole ? (sp == shown ? COL_TITLE : COL_TEXT) : COL_DIM,
                  b->w);
    }
    if (ended && y + lh <= b->y + b->h) { /* the space that ended last, below the live ones */
        if (ended == shown)
            fill(v->r, b->x, y, b->w, lh, ROW_HILITE);
        text_draw(&v->font, v->r, b->x, y,
                  fmt("  %4u  %08x  %6u %6u  %6u  ended at tick %u", ended->asid, ended->cr3, ended->pdes,
                      space_ptes(ended), ended->faults, ended->ended),
                  COL_DIM, b->w);
    }
}

static uint32_t outcome_col(enum word_OUTCOME o)
{
    switch (o) {
    case OUTCOME_ZERO_FILLED: return COL_TEXT;
    case OUTCOME_COPIED: return COL_TEXT;
    case OUTCOME_EXPECTED: return COL_DIM;
    default: return COL_BAD;
    }
}

void draw_faults(struct view *v, const struct model *m)
{
    const struct rect *b = &v->lay.p[P_FAULTS].body;
    panel_begin(v, P_FAULTS, "Page faults", fmt("%llu in all", (unsigned long long)m->faults_total));
    int lh = v->font.line_h, y = b->y;
    text_draw(&v->font, v->r, b->x, y, "tick asid cr2      eip      outcome        error", COL_DIM, b->w);
    y += lh;
    if (!m->fault_count)
        text_draw(&v->font, v->r, b->x, y, "none yet", COL_DIM, b->w);
    for (uint32_t i = (uint32_t)list_first_fault(v, m); i < m->fault_count && y + lh <= b->y + b->h;
         i++, y += lh) {
        const struct fault_event *f = model_fault(m, i);
        if ((int)i == v->fault_sel)
            fill(v->r, b->x, y, b->w, lh, ROW_HILITE);
        const char *row = fmt("%4u %4u %08x %08x %-14s %s", f->tick, f->asid, f->cr2, f->eip,
                              fault_outcome_name(f->outcome), f->words);
        text_draw(&v->font, v->r, b->x, y, row, outcome_col(f->outcome), b->w);
    }
}
