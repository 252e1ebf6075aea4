/*
 * draw_log.c: the kernel's log from the stream, newest at the bottom; warn
 * and panic lines are coloured and prefixed with words. Scrolls back with
 * the arrows or the wheel when the panel has the keyboard.
 */
#include "view.h"

void draw_log(struct view *v, const struct model *m)
{
    if (v->tm.side != SIDE_LOG) {
        draw_side_list(v, m);
        return;
    }
    const struct rect *b = &v->lay.p[P_LOG].body;
    int lh = v->font.line_h;
    int visible = b->h / lh;
    int count = (int)m->log_count;
    if (v->log_scroll > count - visible)
        v->log_scroll = count - visible > 0 ? count - visible : 0;
    const char *note = v->log_scroll ? fmt("%d lines back · End: newest", v->log_scroll)
                                     : fmt("%llu lines", (unsigned long long)m->log_total);
    panel_begin(v, P_LOG, "Kernel log", note);
    int first = count - visible - v->log_scroll;
    if (first < 0)
        first = 0;
    int y = b->y;
    for (int i = first; i < count && y + lh <= b->y + b->h; i++, y += lh) {
        const struct log_line *l = model_log(m, (uint32_t)i);
        int x = b->x;
        x += text_draw(&v->font, v->r, x, y, fmt("%5u ", l->tick), COL_DIM, 0);
        uint32_t col = COL_TEXT;
        if (l->kind == LOG_WARN) {
            x += text_draw(&v->bold, v->r, x, y, "warn ", COL_WARN, 0);
            col = COL_WARN;
        } else if (l->kind == LOG_PANIC) {
            x += text_draw(&v->bold, v->r, x, y, "PANIC ", COL_BAD, 0);
            col = COL_BAD;
        }
        text_draw(&v->font, v->r, x, y, l->text, col, b->x + b->w - x);
    }
}
