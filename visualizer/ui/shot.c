/*
 * shot.c: PNG pictures of the view (shot.h).
 */
#include <SDL_image.h>
#include "shot.h"

int shot_save(SDL_Surface *s, const char *path, char *err, size_t errsz)
{
    if (IMG_SavePNG(s, path) != 0) {
        snprintf(err, errsz, "cannot write the screenshot %s: %s", path, IMG_GetError());
        return -1;
    }
    return 0;
}

SDL_Surface *shot_offscreen(const struct model *m, const struct parser *p, int w, int h,
                            void (*setup)(struct view *v, void *arg), void *arg, char *err, size_t errsz)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    if (!r) {
        snprintf(err, errsz, "cannot draw off-screen: %s", SDL_GetError());
        SDL_FreeSurface(s);
        return NULL;
    }
    struct view v;
    if (view_init(&v, r, w, h, err, errsz) != 0) {
        SDL_DestroyRenderer(r);
        SDL_FreeSurface(s);
        return NULL;
    }
    v.parser = p;
    if (setup)
        setup(&v, arg);
    view_draw(&v, m, 0);
    SDL_RenderPresent(r);
    view_free(&v);
    SDL_DestroyRenderer(r);
    return s;
}

int shot_window(SDL_Renderer *r, int w, int h, const char *path, char *err, size_t errsz)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s || SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) != 0) {
        snprintf(err, errsz, "cannot read the window's pixels: %s", SDL_GetError());
        SDL_FreeSurface(s);
        return -1;
    }
    int rc = shot_save(s, path, err, errsz);
    SDL_FreeSurface(s);
    return rc;
}
