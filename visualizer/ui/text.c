/*
 * text.c: glyph atlases from SDL2_ttf and string drawing (text.h).
 */
#include <SDL_ttf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

/* The symbols beyond ASCII, in atlas order after '~'. */
static const uint32_t extra[GLYPHS_EXTRA] = {
    0x25B6 /* ▶ */, 0x2192 /* → */, 0x00B7 /* · */, 0x2026 /* … */, 0x2191 /* ↑ */, 0x2193 /* ↓ */,
    0x2190 /* ← */, 0x2713 /* ✓ */, 0x00D7 /* × */, 0x25A0 /* ■ */, 0x2014 /* — */, 0x26A0 /* ⚠ */,
};

static int glyph_index(uint32_t cp)
{
    if (cp >= 32 && cp < 127)
        return (int)cp - 32;
    for (int i = 0; i < GLYPHS_EXTRA; i++)
        if (extra[i] == cp)
            return 95 + i;
    return '?' - 32;
}

/* Decodes one UTF-8 code point and advances *s; bad bytes come out as '?'. */
static uint32_t next_cp(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    int n;
    if (p[0] < 0x80) {
        cp = p[0];
        n = 1;
    } else if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
        cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
        n = 2;
    } else if ((p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        n = 3;
    } else {
        cp = '?';
        n = 1;
    }
    *s += n;
    return cp;
}

int font_open(struct font *f, SDL_Renderer *r, const char *path, int px)
{
    memset(f, 0, sizeof *f);
    if (!TTF_WasInit() && TTF_Init() != 0)
        return -1;
    TTF_Font *tf = TTF_OpenFont(path, px);
    if (!tf)
        return -1;
    f->px = px;
    f->line_h = TTF_FontLineSkip(tf);
    int adv = 0;
    TTF_GlyphMetrics32(tf, 'M', NULL, NULL, NULL, NULL, &adv);
    f->char_w = adv;
    SDL_Surface *glyph[GLYPHS] = {0};
    int total_w = 0, h = TTF_FontHeight(tf);
    SDL_Color white = {255, 255, 255, 255};
    for (int i = 0; i < GLYPHS; i++) {
        uint32_t cp = i < 95 ? (uint32_t)(i + 32) : extra[i - 95];
        glyph[i] = cp == ' ' ? NULL : TTF_RenderGlyph32_Blended(tf, cp, white);
        int w = adv;
        if (glyph[i] && glyph[i]->w > w)
            w = glyph[i]->w;
        f->src[i] = (SDL_Rect){total_w, 0, w, h};
        total_w += w + 1;
    }
    for (int i = 0; i < GLYPHS; i++) /* a glyph may reach below the font's height ('_') */
        if (glyph[i] && glyph[i]->h > h)
            h = glyph[i]->h;
    for (int i = 0; i < GLYPHS; i++)
        f->src[i].h = h;
    SDL_Surface *sheet = SDL_CreateRGBSurfaceWithFormat(0, total_w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    int rc = -1;
    if (sheet) {
        SDL_FillRect(sheet, NULL, 0);
        for (int i = 0; i < GLYPHS; i++) {
            if (!glyph[i])
                continue;
            SDL_SetSurfaceBlendMode(glyph[i], SDL_BLENDMODE_NONE);
            SDL_Rect dst = {f->src[i].x, 0, glyph[i]->w, glyph[i]->h};
            SDL_BlitSurface(glyph[i], NULL, sheet, &dst);
        }
        f->atlas = SDL_CreateTextureFromSurface(r, sheet);
        if (f->atlas) {
            SDL_SetTextureBlendMode(f->atlas, SDL_BLENDMODE_BLEND);
            f->r = r;
            f->sheet = sheet;
            rc = 0;
        } else {
            SDL_FreeSurface(sheet);
        }
    }
    for (int i = 0; i < GLYPHS; i++)
        SDL_FreeSurface(glyph[i]);
    TTF_CloseFont(tf);
    return rc;
}

void font_close(struct font *f)
{
    if (f->atlas)
        SDL_DestroyTexture(f->atlas);
    f->atlas = NULL;
    for (int i = 0; i < f->tints; i++)
        SDL_DestroyTexture(f->tint[i]);
    f->tints = 0;
    SDL_FreeSurface(f->sheet);
    f->sheet = NULL;
}

/* The sheet in colour rgb (made on first use), or NULL when there is no room for another colour. */
static SDL_Texture *tinted(struct font *f, uint32_t rgb)
{
    for (int i = 0; i < f->tints; i++)
        if (f->tint_rgb[i] == rgb)
            return f->tint[i];
    if (f->tints == FONT_TINTS || !f->sheet)
        return NULL;
    SDL_Surface *s = SDL_ConvertSurfaceFormat(f->sheet, SDL_PIXELFORMAT_ARGB8888, 0);
    if (!s)
        return NULL;
    /* White glyphs carry their coverage in alpha: keep it, give every pixel the colour. */
    for (int y = 0; y < s->h; y++) {
        uint32_t *px = (uint32_t *)((char *)s->pixels + (size_t)y * (size_t)s->pitch);
        for (int x = 0; x < s->w; x++)
            px[x] = (px[x] & 0xff000000u) | (rgb & 0xffffffu);
    }
    SDL_Texture *t = SDL_CreateTextureFromSurface(f->r, s);
    SDL_FreeSurface(s);
    if (!t)
        return NULL;
    SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
    f->tint_rgb[f->tints] = rgb;
    f->tint[f->tints++] = t;
    return t;
}

int text_width(const struct font *f, const char *s)
{
    int w = 0; /* the font is monospaced: every glyph advances char_w */
    while (*s) {
        next_cp(&s);
        w += f->char_w;
    }
    return w;
}

int text_draw(struct font *f, SDL_Renderer *r, int x, int y, const char *s, uint32_t rgb, int max_w)
{
    SDL_Texture *atlas = tinted(f, rgb);
    if (!atlas) {
        atlas = f->atlas;
        SDL_SetTextureColorMod(atlas, (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
    }
    int x0 = x;
    const char *whole = s;
    int ellipsis = glyph_index(0x2026);
    while (*s) {
        int g = glyph_index(next_cp(&s));
        if (max_w > 0 && x + f->char_w > x0 + max_w) {
            break;
        }
        if (max_w > 0 && *s && x + 2 * f->char_w > x0 + max_w)
            g = ellipsis; /* the text goes on past the room: end it with "…" */
        SDL_Rect dst = {x, y, f->src[g].w, f->src[g].h};
        if (g != ' ' - 32) /* a space has nothing to draw */
            SDL_RenderCopy(r, atlas, &f->src[g], &dst);
        x += f->char_w;
        if (g == ellipsis && *s) {
            if (f->ncuts < FONT_CUTS) {
                struct text_cut *c = &f->cuts[f->ncuts++];
                c->at = (SDL_Rect){x0, y, x - x0, f->line_h};
                snprintf(c->text, sizeof c->text, "%s", whole);
            } else {
                f->cuts_lost++;
            }
            break;
        }
    }
    return x - x0;
}

void text_cuts_clear(struct font *f)
{
    f->ncuts = f->cuts_lost = 0;
}

const char *text_cut_at(const struct font *f, int x, int y)
{
    for (int i = f->ncuts; i-- > 0;) { /* the last drawn is on top */
        const SDL_Rect *a = &f->cuts[i].at;
        if (x >= a->x && x < a->x + a->w && y >= a->y && y < a->y + a->h)
            return f->cuts[i].text;
    }
    return NULL;
}

const char *fmt(const char *format, ...)
{
    static char buf[512];
    va_list ap;
    va_start(ap, format);
    vsnprintf(buf, sizeof buf, format, ap);
    va_end(ap);
    return buf;
}
