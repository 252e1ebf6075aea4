/*
 * draw_walk.c: the walk view, over the foot of the log panel: the selected
 * page (or the address typed after `g`) followed through the shown space's
 * tables as the MMU does it, CR3 -> directory entry -> table entry -> frame
 * -> offset, each entry raw and in words, where it stops and which fault
 * each access would raise, and the frame's other mappings (model_walk.h
 * makes the lines; `koiz-view --walk` prints the same).
 */
#include <string.h>
#include "model_walk.h"
#include "view.h"

void draw_walk(struct view *v, const struct model *m)
{
    char lines[WALK_LINES + 1][WALK_LINE];
    int n = 0, lh = v->font.line_h;
    const struct space *sp = view_space(v, m);
    struct walk w;

    if (v->typing) {
        snprintf(lines[n++], WALK_LINE, "walk address: 0x%s_   (hex digits, Enter walks it, Escape cancels)",
                 v->typed);
    } else {
        model_walk(m, sp ? sp->asid : MODEL_NO_ASID, view_walk_va(v, m), &w);
        n = walk_lines(m, &w, lines, WALK_LINES);
    }
    /* Over the foot of the log, reaching left over the pictures when the lines need it. */
    const struct rect *log = &v->lay.p[P_LOG].frame;
    int h = n * lh + 10, width = 0;
    for (int i = 0; i < n; i++) {
        int tw = text_width(&v->font, lines[i]) + 2 * v->font.char_w;
        width = tw > width ? tw : width;
    }
    width = width < log->w ? log->w : width > log->x + log->w ? log->x + log->w : width;
    int x = log->x + log->w - width, y = log->y + log->h - h;
    if (y < v->lay.p[P_SPACES].frame.y)
        y = v->lay.p[P_SPACES].frame.y;
    fill(v->r, x, y, width, h, 0x0c0d10);
    outline(v->r, x, y, width, h, 1, COL_FOCUS);
    struct rect rc = {x, y, width, h};
    clip(v->r, &rc);
    for (int i = 0; i < n; i++) {
        uint32_t col = i == 0 ? COL_TITLE : COL_TEXT;
        if (strstr(lines[i], "fault") || strstr(lines[i], "no translation") || strstr(lines[i], "untrusted"))
            col = COL_WARN;
        text_draw(i ? &v->font : &v->bold, v->r, x + 6, y + 5 + i * lh, lines[i], col, width - 12);
    }
    SDL_RenderSetClipRect(v->r, NULL);
}
