/*
 * png_check: does a screenshot koiz-view saved show what its stream says?
 *
 *   png_check STREAM PNG
 *   png_check --phys STREAM PNG N
 *
 * Replays STREAM into a model, draws it off-screen at the PNG's size (the
 * same code koiz-view --headless runs), and checks, in that drawing and in
 * the PNG alike, the directory grid of the live address space: the cell of
 * directory entry 768 (the kernel's map of RAM at 0xC0000000) in the colour
 * the palette gives that entry, and a never-mapped user entry (100) empty.
 *
 * With --phys, the stream's first N records (koiz-view --after N) and the
 * physical panel: every frame's cell, at its centre, in its owner's colour;
 * as many cells drawn free as the status line's free frames (the kernel's
 * last counters); and heap, page-table, image and shared frames among them.
 * Prints one line per check; exits 0 when all hold.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "palette.h"
#include "replay.h"
#include "shot.h"

struct pick {
    struct layout lay;
    int asid;
    const struct model *m;
    int64_t frame; /* the frame the view outlines (view_frame), -1 none */
};

static void keep_layout(struct view *v, void *arg)
{
    struct pick *p = arg;
    p->lay = v->lay;
    p->frame = p->m ? view_frame(v, p->m) : -1;
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

/* Reads a whole file; NULL on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (*len = (size_t)ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc(*len)) && fread(data, 1, *len, f) != *len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

static int phys_check(const char *stream, const char *png_path, uint64_t n)
{
    struct model *m = model_new();
    static struct parser p;
    struct pick pick = {.m = m};
    struct phys_geom pg;
    char err[512];
    size_t len = 0, pos = 0;
    char *data = slurp(stream, &len);
    int failed = 0;
    if (!data) {
        fprintf(stderr, "png_check: cannot read %s\n", stream);
        return 2;
    }
    parser_init(&p, m);
    feed_lines(&p, data, len, &pos, n, true);
    free(data);
    SDL_Surface *loaded = IMG_Load(png_path);
    if (!loaded) {
        fprintf(stderr, "png_check: cannot read %s: %s\n", png_path, IMG_GetError());
        return 2;
    }
    SDL_Surface *png = SDL_ConvertSurfaceFormat(loaded, SDL_PIXELFORMAT_ARGB8888, 0);
    /* The drawing is only for the geometry: the panel's picture as koiz-view laid it out. */
    SDL_Surface *ours = shot_offscreen(m, &p, png->w, png->h, keep_layout, &pick, err, sizeof err);
    if (!ours) {
        fprintf(stderr, "png_check: %s\n", err);
        return 2;
    }
    phys_geometry(&pg, &pick.lay.grid[P_PHYS], view_frames(m));
    const struct phys_geom *g = &pg;
    uint32_t drawn[FRAME_CLASSES] = {0}, wrong = 0, counts[FRAME_CLASSES], hidden[FRAME_CLASSES] = {0};
    uint8_t *cls = malloc(g->nframes);
    int sx = 0, sy = 0;
    model_phys_map(m, cls, g->nframes, counts);
    if (pick.frame >= 0) { /* the outline of the selected frame covers its neighbours' centres too */
        sx = g->pic.x + (int)((uint64_t)(pick.frame % g->cols) * g->pic.w / g->cols);
        sy = g->pic.y + (int)((uint64_t)(pick.frame / g->cols) * g->pic.h / g->rows);
    }
    for (uint32_t f = 0; f < g->nframes; f++) {
        uint32_t col = f % g->cols, row = f / g->cols;
        int x = g->pic.x + (int)((col * 2 + 1) * (uint64_t)g->pic.w / (2 * g->cols));
        int y = g->pic.y + (int)((row * 2 + 1) * (uint64_t)g->pic.h / (2 * g->rows));
        uint32_t got = pixel(png, x, y);
        if (pick.frame >= 0 && x >= sx - 3 && y >= sy - 3 && x <= sx + g->pic.w / (int)g->cols + 3 &&
            y <= sy + g->pic.h / (int)g->rows + 3) {
            hidden[cls[f]]++;
        } else if (got == look_frame(cls[f]) || got == look_frame_alt(cls[f])) {
            drawn[cls[f]]++;
        } else if (wrong++ < 5) {
            printf("FAIL frame 0x%08x (%s) at (%d, %d): want %06x, in the PNG %06x\n", f << 12,
                   frame_class_name(cls[f]), x, y, look_frame(cls[f]), got);
        }
    }
    printf("%s %u frames, each cell in its owner's colour (%u not)\n", wrong ? "FAIL" : "ok  ", g->nframes,
           wrong);
    failed += wrong != 0;
    int agree = m->have_frames && drawn[OWNER_FREE] + hidden[OWNER_FREE] == m->frames.free &&
                counts[OWNER_FREE] == m->frames.free;
    printf(
        "%s %u cells drawn free (and %u under the selection's outline), the status line says %u of %u frames "
        "free, the legend %u\n",
        agree ? "ok  " : "FAIL", drawn[OWNER_FREE], hidden[OWNER_FREE], m->frames.free, m->frames.total,
        counts[OWNER_FREE]);
    failed += !agree;
    static const unsigned wanted[] = {OWNER_HEAP,  OWNER_TABLE,  OWNER_DIRECTORY,
                                      OWNER_IMAGE, FRAME_SHARED, OWNER_USER};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        int ok = drawn[wanted[i]] > 0;
        printf("%s %u %s frames drawn in their colour %06x\n", ok ? "ok  " : "FAIL", drawn[wanted[i]],
               frame_class_name(wanted[i]), look_frame(wanted[i]));
        failed += !ok;
    }
    int whole = m->frame_map->whole;
    printf("%s the frame map is %s\n", whole ? "ok  " : "FAIL", whole ? "whole" : "not whole");
    failed += !whole;
    free(cls);
    SDL_FreeSurface(ours);
    SDL_FreeSurface(png);
    SDL_FreeSurface(loaded);
    model_free(m);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--phys"))
        return phys_check(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    struct model *m = model_new();
    static struct parser p;
    struct pick pick = {0};
    char err[512];
    int failed = 0, x, y;
    FILE *f;

    if (argc != 3) {
        fprintf(stderr, "usage: png_check STREAM PNG | png_check --phys STREAM PNG RECORDS\n");
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
