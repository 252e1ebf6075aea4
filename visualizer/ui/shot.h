/*
 * shot.h: pictures of the view as PNG files through SDL2_image: from the
 * window's renderer, or drawn off-screen into a surface with SDL's software
 * renderer (no window, no display needed: --headless and the tests).
 */
#ifndef KOIZ_VIEW_SHOT_H
#define KOIZ_VIEW_SHOT_H

#include <SDL.h>
#include <stddef.h>
#include "view.h"

/*
 * Draws the model into a new w x h ARGB8888 surface; *setup (may be NULL)
 * adjusts the view before drawing. Returns the surface (free it with
 * SDL_FreeSurface), or NULL with err.
 */
SDL_Surface *shot_offscreen(const struct model *m, const struct parser *p, int w, int h,
                            void (*setup)(struct view *v, void *arg), void *arg, char *err, size_t errsz);
/* Saves what r shows into path. Returns 0, or -1 with err. */
int shot_window(SDL_Renderer *r, int w, int h, const char *path, char *err, size_t errsz);
/* Saves a surface as PNG. Returns 0, or -1 with err. */
int shot_save(SDL_Surface *s, const char *path, char *err, size_t errsz);

#endif
