/*
 * view.c: the view's life (fonts, layout, cached pictures), which space and
 * entries are shown, and the frame: every panel in turn (view.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "model_walk.h"
#include "sanitizer.h"
#include "view.h"

static int font_px(int w, int h)
{
    int px = h / 60 < w / 90 ? h / 60 : w / 90;
    return px < 11 ? 11 : px > 16 ? 16 : px;
}

static void drop_pictures(struct view *v)
{
    if (v->whole_tex)
        SDL_DestroyTexture(v->whole_tex);
    if (v->phys_tex)
        SDL_DestroyTexture(v->phys_tex);
    v->whole_tex = v->phys_tex = NULL;
    v->whole_version = v->phys_version = UINT64_MAX;
}

int view_resize(struct view *v, int w, int h)
{
    int px = font_px(w, h);
    if (px != v->font.px) {
        font_close(&v->font);
        font_close(&v->bold);
        if (font_open(&v->font, v->r, FONT_MONO, px) != 0 ||
            font_open(&v->bold, v->r, FONT_MONO_BOLD, px) != 0)
            return -1;
    }
    v->w = w;
    v->h = h;
    layout_compute(&v->lay, w, h, v->font.line_h, v->font.char_w);
    drop_pictures(v);
    return 0;
}

int view_init(struct view *v, SDL_Renderer *r, int w, int h, char *err, size_t errsz)
{
    memset(v, 0, sizeof *v);
    v->r = r;
    v->asid = MODEL_NO_ASID;
    v->sel_pde = -1;
    v->fault_sel = -1;
    v->sel_frame = -1;
    v->focus = P_DIR;
    v->whole_version = v->phys_version = UINT64_MAX;
    v->tm.go = -1;
    v->tm.a = UINT64_MAX;
    v->tm.space_x = MODEL_NO_ASID;
    v->tm.mark_kind = MARK_KINDS;
    if (view_resize(v, w, h) != 0) {
        snprintf(err, errsz, "cannot open the font %s: %s (install the Debian package fonts-dejavu-core)",
                 FONT_MONO, SDL_GetError());
        return -1;
    }
    return 0;
}

void view_free(struct view *v)
{
    drop_pictures(v);
    font_close(&v->font);
    font_close(&v->bold);
    free(v->whole_px);
    free(v->whole_rank);
    free(v->owner);
    free(v->tm.rows);
    free(v->tm.runs);
    free(v->tm.bins);
    v->tm.rows = NULL;
    v->tm.runs = NULL;
    v->tm.bins = NULL;
    v->tm.nbins = 0;
    v->whole_px = NULL;
    v->whole_rank = NULL;
    v->owner = NULL;
}

const struct space *view_space(const struct view *v, const struct model *m)
{
    const struct space *sp = NULL, *ended = model_ended(m);
    if (v->asid != MODEL_NO_ASID) { /* pinned: that space, or its end while it is kept */
        if ((sp = model_space(m, v->asid)) != NULL)
            return sp;
        if (ended && ended->asid == v->asid)
            return ended;
    }
    if ((sp = model_story_space(m)) != NULL)
        return sp;
    if (m->current_asid != MODEL_NO_ASID && (sp = model_space(m, m->current_asid)) != NULL)
        return sp;
    return model_space_at(m, 0);
}

const struct san_warning *view_warning(const struct view *v)
{
    if (v->tm.side != SIDE_CHECKS || !v->san || v->tm.check_sel < 0)
        return NULL;
    return sanitizer_warning(v->san, (size_t)v->tm.check_sel);
}

const char *view_space_how(const struct view *v, const struct model *m)
{
    static char how[48];
    const struct space *sp = view_space(v, m);
    if (sp && sp->ended)
        snprintf(how, sizeof how, "ended at tick %u", sp->ended);
    else if (v->asid != MODEL_NO_ASID && sp && sp->asid == v->asid)
        snprintf(how, sizeof how, "pinned");
    else
        snprintf(how, sizeof how, "following");
    return how;
}

int view_pde(const struct view *v, const struct model *m)
{
    if (v->sel_pde >= 0)
        return v->sel_pde;
    const struct space *sp = view_space(v, m);
    if (sp && m->fault_count) { /* the story: where the newest fault in the space hit */
        const struct fault_event *f = model_fault(m, 0);
        if (f->asid == sp->asid && (sp->dir[PDX(f->cr2)] & PTE_P))
            return (int)PDX(f->cr2);
    }
    if (sp) {
        for (int i = 0; i < ENTRIES; i++) /* the first page table, else the first entry */
            if ((sp->dir[i] & (PTE_P | PDE_PS)) == PTE_P)
                return i;
        for (int i = 0; i < ENTRIES; i++)
            if (sp->dir[i] & PTE_P)
                return i;
    }
    return 0;
}

uint32_t view_frames(const struct model *m)
{
    return model_frames_span(m);
}

uint32_t view_walk_va(const struct view *v, const struct model *m)
{
    if (v->walk_va_set)
        return v->walk_va;
    return page_va((uint32_t)view_pde(v, m), (uint32_t)(v->sel_pte > 0 ? v->sel_pte : 0));
}

int64_t view_frame(const struct view *v, const struct model *m)
{
    if (v->sel_frame >= 0)
        return v->sel_frame;
    const struct space *sp = view_space(v, m);
    struct walk w;
    if (!sp || (v->sel_pte < 0 && !v->walk_va_set))
        return -1;
    return model_walk(m, sp->asid, view_walk_va(v, m), &w) == WALK_MAPPED ? (int64_t)(w.frame >> PAGE_SHIFT)
                                                                          : -1;
}

uint32_t view_frame_mappings(const struct view *v, const struct model *m, const struct frame_mapping **out)
{
    int64_t f = view_frame(v, m);
    *out = NULL;
    return f >= 0 ? model_frame_mappings(m, (uint32_t)f, out) : 0;
}

bool view_mapping_in(const struct frame_mapping *mp, const struct space *sp)
{
    return sp && (mp->asid == sp->asid || mp->asid == MODEL_NO_ASID);
}

bool view_animating(const struct view *v, double now)
{
    return now < v->flash_until;
}

bool view_flash_on(const struct view *v, double now)
{
    return now < v->flash_until && (int)((v->flash_until - now) * 8) % 2 == 0;
}

/* A new fault: flash where it hit. */
static void catch_faults(struct view *v, const struct model *m, double now)
{
    if (m->faults_total == v->faults_seen)
        return;
    v->faults_seen = m->faults_total;
    const struct fault_event *f = model_fault(m, 0);
    if (!f || now <= 0) /* a still picture (now 0) shows no flash */
        return;
    v->flash_asid = f->asid;
    v->flash_va = f->cr2;
    v->flash_until = now + 1.5;
}

/* This thread's CPU time: what drawing costs, even while other programs take turns on the CPU. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Adds the time since *t to v->panel_seconds[slot] (when timing) and restarts *t. */
static void lap(struct view *v, int slot, double *t)
{
    if (!v->panel_seconds)
        return;
    double now = cpu_now();
    v->panel_seconds[slot] += now - *t;
    *t = now;
}

void view_draw(struct view *v, const struct model *m, double now)
{
    double t = v->panel_seconds ? cpu_now() : 0;
    text_cuts_clear(&v->font);
    catch_faults(v, m, now);
    travel_update(v, m);
    SDL_RenderSetClipRect(v->r, NULL);
    set_col(v->r, COL_WINDOW);
    SDL_RenderClear(v->r);
    lap(v, P_COUNT, &t);
    draw_dir(v, m, now);
    lap(v, P_DIR, &t);
    draw_table(v, m, now);
    lap(v, P_TABLE, &t);
    draw_whole(v, m, now);
    lap(v, P_WHOLE, &t);
    draw_phys(v, m);
    lap(v, P_PHYS, &t);
    draw_spaces(v, m);
    lap(v, P_SPACES, &t);
    draw_faults(v, m);
    lap(v, P_FAULTS, &t);
    draw_log(v, m);
    lap(v, P_LOG, &t);
    draw_timeline(v, m);
    draw_status(v, m);
    SDL_RenderSetClipRect(v->r, NULL);
    if (v->walk_open || v->typing)
        draw_walk(v, m);
    SDL_RenderSetClipRect(v->r, NULL);
    if (v->mouse_in && !v->help)
        draw_tooltip(v, m);
    if (v->help)
        draw_help(v);
    SDL_RenderSetClipRect(v->r, NULL);
    lap(v, P_COUNT, &t);
}
