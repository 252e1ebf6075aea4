/*
 * text.h: text on screen through SDL2_ttf. Each glyph koiz-view uses is
 * rasterized once, white, into one texture per font; a string is drawn by
 * copying its glyphs tinted with a colour mod, which keeps a frame full of
 * text cheap in SDL's software renderer. Draws ASCII plus a few symbols.
 */
#ifndef KOIZ_VIEW_TEXT_H
#define KOIZ_VIEW_TEXT_H

#include <SDL.h>
#include <stdint.h>

#define FONT_MONO "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define FONT_MONO_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"

#define GLYPHS_EXTRA 12
#define GLYPHS (95 + GLYPHS_EXTRA)

struct font {
    SDL_Texture *atlas;
    SDL_Rect src[GLYPHS];
    int line_h, char_w, px;
};

/* Opens path at px pixels and builds its atlas. Returns 0, or -1 with SDL_GetError() set. */
int font_open(struct font *f, SDL_Renderer *r, const char *path, int px);
void font_close(struct font *f);

/* Draws UTF-8 text at (x, y) in colour rgb (0xRRGGBB); returns the width drawn. Stops at max_w pixels when > 0 ("..." ends a cut text). */
int text_draw(const struct font *f, SDL_Renderer *r, int x, int y, const char *s, uint32_t rgb, int max_w);
/* Its width in pixels. */
int text_width(const struct font *f, const char *s);
/* printf into a static buffer, for one-off labels. */
const char *fmt(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
