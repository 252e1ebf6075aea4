/*
 * controls.c: keys and the mouse change what the view shows (view.h):
 * Tab moves the keyboard between panels, the arrows move that panel's
 * selection, a click selects what is under it; w shows the walk of the
 * selected page, g takes an address to walk, typed in hex. Playback keys
 * (pause, step, speed, screenshot, quit) belong to main.c, except while an
 * address is being typed (view_typing_key).
 */
#include <stdlib.h>
#include <string.h>
#include "sanitizer.h"
#include "view.h"

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Shows space sp and keeps to it (no longer following the live one). */
static void choose_space(struct view *v, const struct space *sp)
{
    if (sp)
        v->asid = sp->asid;
}

static void step_space(struct view *v, const struct model *m, int d)
{
    int n = (int)m->nspaces;
    const struct space *shown = view_space(v, m);
    for (int i = 0; i < n; i++)
        if (model_space_at(m, (uint32_t)i) == shown) {
            choose_space(v, model_space_at(m, (uint32_t)clamp(i + d, 0, n - 1)));
            return;
        }
    if (n)
        choose_space(v, model_space_at(m, 0));
}

/* Selects fault i (0 = newest): its space, directory entry and page. */
static void choose_fault(struct view *v, const struct model *m, int i)
{
    if (!m->fault_count)
        return;
    v->fault_sel = clamp(i, 0, (int)m->fault_count - 1);
    const struct fault_event *f = model_fault(m, (uint32_t)v->fault_sel);
    if (model_space(m, f->asid))
        v->asid = f->asid;
    v->sel_pde = (int)PDX(f->cr2);
    v->sel_pte = (int)PTX(f->cr2);
}

/* Selects the page holding va; the walk and the lit frame follow it. */
static void choose_page(struct view *v, uint32_t va)
{
    v->sel_pde = (int)PDX(va);
    v->sel_pte = (int)PTX(va);
    v->sel_frame = -1;
    v->walk_va_set = false;
}

/* Moves the selected page (directory and table index together) by d pages. */
static void step_page(struct view *v, const struct model *m, int d)
{
    int page = view_pde(v, m) * ENTRIES + (v->sel_pte > 0 ? v->sel_pte : 0) + d;
    page = clamp(page, 0, ENTRIES * ENTRIES - 1);
    choose_page(v, (uint32_t)page << PAGE_SHIFT);
}

/* Moves the selected frame by d frames (from the page's frame, or the first). */
static void step_frame(struct view *v, const struct model *m, int d)
{
    int64_t f = view_frame(v, m), n = view_frames(m);
    f = (f < 0 ? 0 : f + d);
    v->sel_frame = f < 0 ? 0 : f >= n ? n - 1 : f;
}

bool view_typing_key(struct view *v, SDL_Keycode key)
{
    size_t len = strlen(v->typed);
    if (!v->typing)
        return false;
    if (key == SDLK_ESCAPE) {
        v->typing = false;
    } else if (key == SDLK_BACKSPACE) {
        if (len)
            v->typed[len - 1] = '\0';
    } else if (key == SDLK_RETURN || key == SDLK_KP_ENTER) {
        if (len) {
            uint32_t va = (uint32_t)strtoul(v->typed, NULL, 16);
            choose_page(v, va);
            v->walk_va = va;
            v->walk_va_set = true;
            v->walk_open = true;
        }
        v->typing = false;
    } else if (len < 8 && ((key >= SDLK_0 && key <= SDLK_9) || (key >= SDLK_a && key <= SDLK_f))) {
        v->typed[len] = (char)key;
        v->typed[len + 1] = '\0';
    } else if (key == SDLK_x && len == 1 && v->typed[0] == '0') {
        v->typed[0] = '\0'; /* "0x" typed as a prefix */
    }
    return true;
}

bool view_key(struct view *v, const struct model *m, SDL_Keycode key, Uint16 mod)
{
    int dx = key == SDLK_LEFT ? -1 : key == SDLK_RIGHT ? 1 : 0;
    int dy = key == SDLK_UP ? -1 : key == SDLK_DOWN ? 1 : 0;
    if (key == SDLK_PAGEUP || key == SDLK_PAGEDOWN)
        dy = key == SDLK_PAGEUP ? -8 : 8;
    if (key == SDLK_TAB) {
        int d = (mod & KMOD_SHIFT) ? P_COUNT - 1 : 1;
        v->focus = (enum panel_id)((v->focus + d) % P_COUNT);
        return true;
    }
    if (key == SDLK_l) {
        v->asid = MODEL_NO_ASID;
        return true;
    }
    if (key == SDLK_p) { /* pin the space shown now: the story moves on without the view */
        choose_space(v, view_space(v, m));
        return true;
    }
    if (key == SDLK_w) {
        v->walk_open = !v->walk_open;
        return true;
    }
    if (key == SDLK_v) {
        v->regions_off = !v->regions_off;
        return true;
    }
    if (key == SDLK_g) {
        v->typing = true;
        v->typed[0] = '\0';
        return true;
    }
    if (!dx && !dy)
        return false;
    switch (v->focus) {
    case P_DIR: {
        int i = view_pde(v, m);
        int col = clamp(i % GRID_SIDE + dx, 0, GRID_SIDE - 1),
            row = clamp(i / GRID_SIDE + dy, 0, GRID_SIDE - 1);
        v->sel_pde = row * GRID_SIDE + col;
        break;
    }
    case P_TABLE: {
        int i = v->sel_pte >= 0 ? v->sel_pte : 0;
        int col = clamp(i % GRID_SIDE + dx, 0, GRID_SIDE - 1),
            row = clamp(i / GRID_SIDE + dy, 0, GRID_SIDE - 1);
        choose_page(v, page_va((uint32_t)view_pde(v, m), (uint32_t)(row * GRID_SIDE + col)));
        break;
    }
    case P_WHOLE: step_page(v, m, dx + dy * ENTRIES); break;
    case P_PHYS: step_frame(v, m, dx + dy * (int)(v->pg.cols ? v->pg.cols : 64)); break;
    case P_SPACES: step_space(v, m, dy ? dy : dx); break;
    case P_FAULTS: choose_fault(v, m, v->fault_sel + (dy ? dy : dx)); break;
    case P_LOG: v->log_scroll = v->log_scroll - dy > 0 ? v->log_scroll - dy : 0; break;
    default: return false;
    }
    return true;
}

void view_click(struct view *v, const struct model *m, int x, int y)
{
    if (travel_click_list(v, m, x, y)) {
        v->focus = P_LOG;
        return;
    }
    for (int p = 0; p < P_COUNT; p++)
        if (rect_has(&v->lay.p[p].frame, x, y))
            v->focus = (enum panel_id)p;
    int i;
    int64_t page, frame;
    if ((i = grid_cell_at(&v->lay.grid[P_DIR], x, y)) >= 0) {
        v->sel_pde = i;
        v->walk_va_set = false;
    } else if ((i = grid_cell_at(&v->lay.grid[P_TABLE], x, y)) >= 0) {
        choose_page(v, page_va((uint32_t)view_pde(v, m), (uint32_t)i));
    } else if (!view_regions_shown(v, m) && (page = whole_page_at(&v->lay.grid[P_WHOLE], x, y)) >= 0) {
        choose_page(v, (uint32_t)page << PAGE_SHIFT);
    } else if ((frame = phys_frame_at(&v->pg, x, y)) >= 0) {
        v->sel_frame = frame;
    } else if (rect_has(&v->lay.p[P_SPACES].body, x, y)) {
        int row = (y - v->lay.p[P_SPACES].body.y) / v->font.line_h - 1 + list_first_space(v, m);
        if (row >= 0 && row < (int)m->nspaces)
            choose_space(v, model_space_at(m, (uint32_t)row));
        else if (row == (int)m->nspaces && model_ended(m))
            choose_space(v, model_ended(m)); /* pinned to its end */
    } else if (rect_has(&v->lay.p[P_FAULTS].body, x, y)) {
        int row = (y - v->lay.p[P_FAULTS].body.y) / v->font.line_h - 1 + list_first_fault(v, m);
        if (row >= 0 && row < (int)m->fault_count)
            choose_fault(v, m, row);
    }
}

void view_wheel(struct view *v, int dy)
{
    v->log_scroll = v->log_scroll + dy > 0 ? v->log_scroll + dy : 0;
}

/* ---- the time machine ---- */

static void go(struct travel_view *t, int64_t moment)
{
    if (moment < 0)
        moment = 0;
    t->go = moment >= (int64_t)t->moments && !t->replay ? INT64_MAX : moment;
    t->go_rough = false;
}

static void go_mark(struct travel_view *t, int kind, bool forward)
{
    const struct mark *mk = history_next_mark(t->h, t->at, kind, forward);
    if (mk)
        go(t, (int64_t)mk->moment);
}

/* Selects the page at va in the shown space. */
static void select_va(struct view *v, uint32_t va)
{
    v->sel_pde = (int)PDX(va);
    v->sel_pte = (int)PTX(va);
}

bool travel_key(struct view *v, const struct model *m, SDL_Keycode key, Uint16 mod)
{
    struct travel_view *t = &v->tm;
    bool shift = mod & KMOD_SHIFT;
    if (!t->h)
        return false;
    switch (key) {
    case SDLK_COMMA: go(t, (int64_t)t->at - 1); return true;
    case SDLK_PERIOD: go(t, (int64_t)t->at + 1); return true;
    case SDLK_LEFTBRACKET: go_mark(t, shift ? t->mark_kind : MARK_FAULT, false); return true;
    case SDLK_RIGHTBRACKET: go_mark(t, shift ? t->mark_kind : MARK_FAULT, true); return true;
    case SDLK_m: t->mark_kind = (t->mark_kind + 1) % (MARK_KINDS + 1); return true;
    case SDLK_HOME: go(t, 0); return true;
    case SDLK_END:
        if (v->focus == P_LOG && t->side == SIDE_LOG)
            return false; /* the log's newest line */
        go(t, INT64_MAX);
        return true;
    case SDLK_a:
        t->a = t->a == UINT64_MAX ? t->at : UINT64_MAX;
        t->space_x = MODEL_NO_ASID;
        t->side = t->a == UINT64_MAX ? SIDE_LOG : SIDE_DIFF;
        t->run_sel = 0;
        return true;
    case SDLK_x: {
        const struct space *sp = view_space(v, m);
        t->space_x = t->space_x == MODEL_NO_ASID && sp ? sp->asid : MODEL_NO_ASID;
        t->a = UINT64_MAX;
        t->side = t->space_x == MODEL_NO_ASID ? SIDE_LOG : SIDE_DIFF;
        t->run_sel = 0;
        return true;
    }
    case SDLK_c: t->side = t->side == SIDE_CHECKS ? SIDE_LOG : SIDE_CHECKS; return true;
    case SDLK_h: travel_open_history(v, m, false); return true;
    case SDLK_f: travel_open_history(v, m, true); return true;
    case SDLK_ESCAPE:
        if (t->side == SIDE_LOG)
            return false;
        t->side = SIDE_LOG;
        return true;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        if (t->side == SIDE_HISTORY && t->row_sel >= 0 && t->row_sel < (int)t->nrows) {
            go(t, (int64_t)t->rows[t->row_sel].moment);
            return true;
        }
        if (t->side == SIDE_CHECKS && v->san && t->check_sel >= 0 &&
            (size_t)t->check_sel < sanitizer_kept(v->san)) {
            const struct san_warning *w = sanitizer_warning(v->san, (size_t)t->check_sel);
            go(t, (int64_t)w->moment);
            if (w->asid != MODEL_NO_ASID)
                v->asid = w->asid; /* pinned: the space the warning is about */
            if (w->va)
                select_va(v, w->va);
            return true;
        }
        if (t->side == SIDE_DIFF && t->run_sel >= 0 && t->run_sel < (int)t->nruns) {
            if (t->space_x == MODEL_NO_ASID && model_space(m, t->runs[t->run_sel].asid))
                v->asid = t->runs[t->run_sel].asid;
            select_va(v, (uint32_t)t->runs[t->run_sel].start);
            return true;
        }
        return false;
    case SDLK_UP:
    case SDLK_DOWN:
    case SDLK_PAGEUP:
    case SDLK_PAGEDOWN: {
        if (v->focus != P_LOG || t->side == SIDE_LOG)
            return false;
        int d = key == SDLK_UP ? -1 : key == SDLK_DOWN ? 1 : key == SDLK_PAGEUP ? -10 : 10;
        int *sel = t->side == SIDE_HISTORY  ? &t->row_sel
                   : t->side == SIDE_CHECKS ? &t->check_sel
                                            : &t->run_sel;
        int n = t->side == SIDE_HISTORY ? (int)t->nrows : (int)t->nruns;
        *sel = clamp(*sel + d, 0, n > 0 ? n - 1 : 0);
        return true;
    }
    default: return false;
    }
}

bool travel_mouse(struct view *v, int x, int y, int what)
{
    struct travel_view *t = &v->tm;
    if (!t->h)
        return false;
    if (what == 0 && !rect_has(&v->lay.timeline, x, y))
        return false;
    if (what != 0 && !t->dragging)
        return false;
    t->go = (int64_t)track_moment_at(&v->lay.track, t->moments, x);
    if (t->go >= (int64_t)t->moments && !t->replay)
        t->go = INT64_MAX;
    t->dragging = what != 2;
    t->go_rough = t->dragging;
    return true;
}

/* A click in the list that stands in the log's place: a row of it. */
bool travel_click_list(struct view *v, const struct model *m, int x, int y)
{
    struct travel_view *t = &v->tm;
    const struct rect *b = &v->lay.p[P_LOG].body;
    if (t->side == SIDE_LOG || !rect_has(b, x, y))
        return false;
    int lh = v->font.line_h, row = (y - b->y) / lh;
    if (t->side == SIDE_HISTORY) {
        int rows = b->h / lh, first = t->row_sel >= rows ? t->row_sel - rows + 1 : 0;
        if (first + row < (int)t->nrows) {
            t->row_sel = first + row;
            go(t, (int64_t)t->rows[t->row_sel].moment);
        }
    } else {
        int head = travel_list_header(v), rows = b->h / lh - head;
        int first = t->run_sel >= rows ? t->run_sel - rows + 1 : 0;
        if (row >= head && first + row - head < (int)t->nruns) {
            t->run_sel = first + row - head;
            travel_key(v, m, SDLK_RETURN, 0);
        }
    }
    return true;
}
