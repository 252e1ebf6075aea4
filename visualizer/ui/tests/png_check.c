/*
 * png_check: does a screenshot koiz-view saved show what its stream says?
 *
 *   png_check STREAM PNG
 *
 * Replays STREAM into a model, draws it off-screen at the PNG's size (the
 * same code koiz-view --headless runs), and checks, in that drawing and in
 * the PNG alike, the directory grid of the live address space: the cell of
 * directory entry 768 (the kernel's map of RAM at 0xC0000000) in the colour
 * the palette gives that entry, and a never-mapped user entry (100) empty.
 * Prints one line per check; exits 0 when all hold.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include "palette.h"
#include "shot.h"

struct pick {
    struct layout lay;
    int asid;
};

static void keep_layout(struct view *v, void *arg)
{
    struct pick *p = arg;
    p->lay = v->lay;
}

static uint32_t pixel(SDL_Surface *s, int x, int y)
{
    return ((uint32_t *)((uint8_t *)s->pixels + y * s->pitch))[x] & 0xffffffu;
}

/* A point inside a cell clear of its marks (as the pixel tests pick it). */
static void cell_point(const struct rect *grid, int idx, int *x, int *y)
{
    struct rect c = grid_cell(grid, idx);
    int mark = (c.w - 1) / 5 > 1 ? (c.w - 1) / 5 : 1;
    *x = c.x + mark / 2;
    *y = c.y + c.w - 2 - mark;
}

int main(int argc, char **argv)
{
    struct model *m = model_new();
    static struct parser p;
    struct pick pick = {0};
    char err[512];
    int failed = 0, x, y;
    FILE *f;

    if (argc != 3) {
        fprintf(stderr, "usage: png_check STREAM PNG\n");
        return 2;
    }
    if (!(f = fopen(argv[1], "rb"))) {
        perror(argv[1]);
        return 2;
    }
    parser_init(&p, m);
    parser_feed_file(&p, f);
    fclose(f);

    SDL_Surface *loaded = IMG_Load(argv[2]);
    if (!loaded) {
        fprintf(stderr, "png_check: cannot read %s: %s\n", argv[2], IMG_GetError());
        return 2;
    }
    SDL_Surface *png = SDL_ConvertSurfaceFormat(loaded, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_Surface *ours = shot_offscreen(m, &p, png->w, png->h, keep_layout, &pick, err, sizeof err);
    if (!ours) {
        fprintf(stderr, "png_check: %s\n", err);
        return 2;
    }
    const struct space *sp = model_space(m, m->current_asid);
    if (!sp) {
        printf("FAIL the stream names no live address space\n");
        return 1;
    }
    const struct rect *g = &pick.lay.grid[P_DIR];
    struct {
        int pde;
        uint32_t want;
        const char *what;
    } checks[] = {
        {768, look_pde(sp->dir[768], space_present(sp, 768)).fill, "PDE 768, the kernel's map of RAM"},
        {100, COL_EMPTY, "PDE 100, never mapped"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        cell_point(g, checks[i].pde, &x, &y);
        uint32_t drawn = pixel(ours, x, y), saved = pixel(png, x, y);
        int ok = drawn == checks[i].want && saved == checks[i].want;
        printf("%s %s at (%d, %d): want %06x, drawn %06x, in the PNG %06x\n", ok ? "ok  " : "FAIL",
               checks[i].what, x, y, checks[i].want, drawn, saved);
        failed += !ok;
    }
    if (!(sp->dir[768] & 1)) {
        printf("FAIL the live space has no entry 768 in the stream\n");
        failed++;
    }
    return failed ? 1 : 0;
}
