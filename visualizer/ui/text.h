/*
 * text.h: text on screen through SDL2_ttf. Each glyph koiz-view uses is
 * rasterized once, white, into a sheet per font; a string is drawn by
 * copying its glyphs from a texture of that sheet in the string's colour,
 * made the first time the colour is used (a few colours are: the palette's).
 * Pre-coloured glyphs are what keeps a frame full of text cheap in SDL's
 * software renderer: a plain alpha blend skips the empty pixels around a
 * glyph, where a colour-modulated one computes every pixel (a third of a
 * frame's time, measured by koiz-view --bench). Colours beyond FONT_TINTS
 * fall back to modulating the white texture. Draws ASCII plus a few symbols.
 */
#ifndef KOIZ_VIEW_TEXT_H
#define KOIZ_VIEW_TEXT_H

#include <SDL.h>
#include <stdint.h>

#define FONT_MONO      "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define FONT_MONO_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"

#define GLYPHS_EXTRA 12
#define GLYPHS       (95 + GLYPHS_EXTRA)

#define FONT_TINTS 16

#define FONT_CUTS 160

struct font {
    SDL_Renderer *r;
    SDL_Surface *sheet;            /* the glyphs, white on transparent */
    SDL_Texture *atlas;            /* the sheet, white: tinted by colour mod */
    SDL_Texture *tint[FONT_TINTS]; /* the sheet in one colour each */
    uint32_t tint_rgb[FONT_TINTS];
    int tints;
    SDL_Rect src[GLYPHS];
    int line_h, char_w, px;
    /* Texts drawn cut short ("…") since text_cuts_clear: where, and the whole text, so that
     * hovering one shows all of it (draw_tooltip). The first FONT_CUTS of a frame are kept. */
    struct text_cut {
        SDL_Rect at;
        char text[240];
    } cuts[FONT_CUTS];
    int ncuts, cuts_lost;
};

/* Opens path at px pixels and builds its atlas. Returns 0, or -1 with SDL_GetError() set. */
int font_open(struct font *f, SDL_Renderer *r, const char *path, int px);
void font_close(struct font *f);

/* Draws UTF-8 text at (x, y) in colour rgb (0xRRGGBB); returns the width drawn. Stops at max_w pixels when >
 * 0 ("..." ends a cut text). */
int text_draw(struct font *f, SDL_Renderer *r, int x, int y, const char *s, uint32_t rgb, int max_w);
/* Its width in pixels. */
int text_width(const struct font *f, const char *s);
/* Forgets the texts drawn cut short: at the start of each frame. */
void text_cuts_clear(struct font *f);
/* The whole of a text drawn cut short under (x, y) since text_cuts_clear, or NULL. */
const char *text_cut_at(const struct font *f, int x, int y);
/* printf into a static buffer, for one-off labels. */
const char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
