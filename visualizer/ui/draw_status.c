/*
 * draw_status.c: the status line: where the stream comes from and how it is
 * going (running, paused, the emulator's exit status), what has been seen
 * (tick, records, frames, self-tests), a passing message, and the F1 hint.
 */
#include "sanitizer.h"
#include "view.h"

void draw_status(struct view *v, const struct model *m)
{
    const struct rect *s = &v->lay.status;
    SDL_RenderSetClipRect(v->r, NULL);
    fill(v->r, s->x, s->y, s->w, s->h, COL_PANEL);
    fill(v->r, s->x, s->y, s->w, 1, COL_BORDER);
    clip(v->r, s);
    int y = s->y + 3, x = s->x + 8;
    const char *hint = "F1 help";
    int right = s->x + s->w - 8 - text_width(&v->font, hint);
    text_draw(&v->font, v->r, right, y, hint, COL_DIM, 0);
    x += text_draw(&v->bold, v->r, x, y, v->source, COL_TITLE, right - x);
    if (v->state[0])
        x += text_draw(&v->font, v->r, x, y, fmt(" %s", v->state), COL_TEXT, right - x);
    x += v->font.char_w * 2;
    char facts[320];
    int n = 0;
    if (v->message[0]) {
        n = snprintf(facts, sizeof facts, "%s", v->message);
    } else {
        const struct parser *p = v->parser;
        n = snprintf(facts, sizeof facts, "tick %u", m->tick);
        if (p)
            n += snprintf(facts + n, sizeof facts - n, " · %llu records%s",
                          (unsigned long long)p->stats.records,
                          m->shared_ring ? " through shared memory" : "");
        if (p && p->stats.bad_checksum + p->stats.bad_fields)
            n += snprintf(facts + n, sizeof facts - n, " (%llu bad)",
                          (unsigned long long)(p->stats.bad_checksum + p->stats.bad_fields));
        if (m->stats.dropped_events) /* the kernel's queue overflowed: it said how many */
            n += snprintf(facts + n, sizeof facts - n, " (%llu dropped)",
                          (unsigned long long)m->stats.dropped_events);
        uint32_t since;
        enum untrusted why;
        if (m->nspaces && !model_whole(m, &since, &why))
            n += snprintf(facts + n, sizeof facts - n, " · picture not whole since tick %u (%s)", since,
                          untrusted_name(why));
        /* Free frames: the frame map's, event by event, when the kernel sent one (every `frames`
         * record is held against it); else the kernel's last counters. */
        const struct frame_map *fm = m->frame_map;
        if (fm->nframes)
            n += snprintf(facts + n, sizeof facts - n, " · %u of %u frames free", fm->count[OWNER_FREE],
                          fm->count[OWNER_FREE] + fm->count[OWNER_HEAP] + fm->count[OWNER_TABLE] +
                              fm->count[OWNER_DIRECTORY] + fm->count[OWNER_USER]);
        else if (m->have_frames)
            n += snprintf(facts + n, sizeof facts - n, " · %u of %u frames free", m->frames.free,
                          m->frames.total);
        if (fm->nframes && !fm->whole) /* the counters disagreeing with the owners, a cut map, ... */
            n += snprintf(facts + n, sizeof facts - n, " · frame map untrusted since tick %u (%s)", fm->since,
                          frames_untrusted_name(fm->why));
        if (m->test_count || m->tests_done) {
            uint32_t passed = 0, failed = 0;
            for (uint32_t i = 0; i < m->test_count; i++)
                *(m->tests[i].pass ? &passed : &failed) += 1;
            if (m->tests_done) {
                passed = m->tests_passed;
                failed = m->tests_failed;
            }
            n += snprintf(facts + n, sizeof facts - n, " · self-tests: %u passed, %u failed%s", passed,
                          failed, m->tests_done ? "" : " so far");
        }
        if (m->panicked)
            n += snprintf(facts + n, sizeof facts - n, " · kernel panicked");
        if (v->san && sanitizer_count(v->san))
            n += snprintf(facts + n, sizeof facts - n, " · sanitizer: %llu warning%s (c: the list)",
                          (unsigned long long)sanitizer_count(v->san),
                          sanitizer_count(v->san) == 1 ? "" : "s");
        if (p && parser_status(p)[0])
            snprintf(facts + n, sizeof facts - n, " · %s", parser_status(p));
    }
    bool whole = model_whole(m, NULL, NULL) && (!m->frame_map->nframes || m->frame_map->whole);
    bool warned = v->san && sanitizer_count(v->san);
    text_draw(&v->font, v->r, x, y, facts,
              m->panicked || warned ? COL_BAD
              : whole               ? COL_TEXT
                                    : COL_WARN,
              right - x - v->font.char_w);
}
