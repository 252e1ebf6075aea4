/*
 * draw_util.c: what every panel draws with: filled and outlined
 * rectangles, the panel frame with its title, one grid cell from its look,
 * and legend items that flow and wrap inside the legend's rectangle.
 */
#include "view.h"

void set_col(SDL_Renderer *r, uint32_t rgb)
{
    SDL_SetRenderDrawColor(r, (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff, 255);
}

void fill(SDL_Renderer *r, int x, int y, int w, int h, uint32_t rgb)
{
    if (w <= 0 || h <= 0)
        return;
    SDL_Rect rc = {x, y, w, h};
    set_col(r, rgb);
    SDL_RenderFillRect(r, &rc);
}

void outline(SDL_Renderer *r, int x, int y, int w, int h, int thick, uint32_t rgb)
{
    fill(r, x, y, w, thick, rgb);
    fill(r, x, y + h - thick, w, thick, rgb);
    fill(r, x, y, thick, h, rgb);
    fill(r, x + w - thick, y, thick, h, rgb);
}

void clip(SDL_Renderer *r, const struct rect *rc)
{
    SDL_Rect c = {rc->x, rc->y, rc->w > 0 ? rc->w : 0, rc->h > 0 ? rc->h : 0};
    SDL_RenderSetClipRect(r, &c);
}

void panel_begin(struct view *v, enum panel_id id, const char *title, const char *note)
{
    const struct panel_box *b = &v->lay.p[id];
    SDL_RenderSetClipRect(v->r, NULL);
    fill(v->r, b->frame.x, b->frame.y, b->frame.w, b->frame.h, COL_PANEL);
    outline(v->r, b->frame.x, b->frame.y, b->frame.w, b->frame.h, 1, v->focus == id ? COL_FOCUS : COL_BORDER);
    clip(v->r, &b->title);
    int tw = text_draw(&v->bold, v->r, b->title.x, b->title.y, title, COL_TITLE, b->title.w);
    if (note && *note) {
        int nw = text_width(&v->font, note);
        int x = b->title.x + b->title.w - nw;
        if (x < b->title.x + tw + v->font.char_w * 2) /* no room at the right: after the title */
            x = b->title.x + tw + v->font.char_w * 2;
        text_draw(&v->font, v->r, x, b->title.y, note, COL_DIM, b->title.x + b->title.w - x);
    }
    clip(v->r, &b->body);
}

void draw_cell(SDL_Renderer *r, const struct rect *c, const struct cell_look *look)
{
    int gap = c->w >= 5 ? 1 : 0;
    int x = c->x, y = c->y, s = c->w - gap;
    if (s <= 0)
        return;
    fill(r, x, y, s, s, look->fill);
    if (!look->present)
        return;
    int mark = s / 5 > 1 ? s / 5 : 1;
    if (look->framed && s >= 6)
        outline(r, x + mark, y + mark, s - 2 * mark, s - 2 * mark, 1, col_mix(look->fill, 0x000000, 0.6));
    if (look->hollow && s >= 4) {
        int in = s / 4 > 1 ? s / 4 : 1;
        fill(r, x + in, y + in, s - 2 * in, s - 2 * in, look->cow ? COL_SHARED : COL_PANEL);
    }
    if (look->global_bar && s >= 4)
        fill(r, x, y, s, mark, COL_KERNEL_LT == look->fill ? 0xffffff : COL_KERNEL_LT);
    if (look->accessed && s >= 6)
        fill(r, x, y + s - mark, mark, mark, 0xf4f4f4);
    if (look->dirty && s >= 6)
        fill(r, x + s - mark, y + s - mark, mark, mark, 0x000000);
}

/* Moves the cursor to the next line when an item of width w does not fit. */
static bool legend_room(struct view *v, const struct rect *rc, int *x, int *y, int w)
{
    if (*x > rc->x && *x + w > rc->x + rc->w) {
        *x = rc->x;
        *y += v->font.line_h;
    }
    return *y + v->font.line_h <= rc->y + rc->h;
}

void legend_cell(struct view *v, const struct rect *rc, int *x, int *y, const struct cell_look *look,
                 const char *label)
{
    int box = v->font.line_h - 3;
    int w = box + v->font.char_w / 2 + text_width(&v->font, label);
    if (!legend_room(v, rc, x, y, w))
        return;
    struct rect c = {*x, *y + 1, box + 1, box + 1};
    draw_cell(v->r, &c, look);
    text_draw(&v->font, v->r, *x + box + v->font.char_w / 2, *y, label, COL_TEXT, 0);
    *x += w + v->font.char_w * 2;
}

void legend_swatch(struct view *v, const struct rect *rc, int *x, int *y, uint32_t rgb, const char *label)
{
    struct cell_look look = {.present = true, .fill = rgb};
    legend_cell(v, rc, x, y, &look, label);
}

const char *flag_letters(uint32_t e, bool dir)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s%s%s", e & PTE_P ? "present" : "not present",
             e & PTE_W ? " writable" : " read-only", e & PTE_U ? " user" : " kernel",
             !dir && (e & PTE_COW) ? " copy-on-write" : "", e & PTE_A ? " accessed" : "",
             e & PTE_D ? " dirty" : "", dir && (e & PDE_PS) ? " 4MiB" : "", e & PTE_G ? " global" : "",
             e & PTE_PCD   ? " uncached"
             : e & PTE_PWT ? " write-through"
                           : "");
    return buf;
}

void draw_untrusted(struct view *v, const struct rect *area, const struct space *sp)
{
    char label[96];
    if (!sp || sp->whole || area->w <= 0 || area->h <= 0)
        return;
    snprintf(label, sizeof label, "untrusted since tick %u: %s", sp->since, untrusted_name(sp->why));
    if (text_width(&v->font, label) + v->font.char_w > area->w) /* the why is in the status line too */
        snprintf(label, sizeof label, "untrusted since tick %u", sp->since);
    draw_hatched(v, area, label);
}

void draw_hatched(struct view *v, const struct rect *area, const char *label)
{
    if (area->w <= 0 || area->h <= 0)
        return;
    /* Hatching: the picture may be wrong, so it must not look like a fact. */
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(v->r, (COL_PANEL >> 16) & 0xff, (COL_PANEL >> 8) & 0xff, COL_PANEL & 0xff, 150);
    for (int d = -area->h; d < area->w; d += 6)
        for (int k = 0; k < 2; k++)
            SDL_RenderDrawLine(v->r, area->x + d + k, area->y + area->h, area->x + d + k + area->h, area->y);
    SDL_SetRenderDrawBlendMode(v->r, SDL_BLENDMODE_NONE);
    int w = text_width(&v->font, label) + v->font.char_w, h = v->font.line_h + 4;
    int x = area->x + (area->w - w) / 2, y = area->y + area->h - h - 4;
    if (x < area->x)
        x = area->x;
    fill(v->r, x, y, w < area->w ? w : area->w, h, COL_WINDOW);
    outline(v->r, x, y, w < area->w ? w : area->w, h, 1, COL_WARN);
    text_draw(&v->font, v->r, x + v->font.char_w / 2, y + 2, label, COL_WARN, area->w - v->font.char_w);
}
