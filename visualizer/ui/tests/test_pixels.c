/*
 * test_pixels.c: koiz-view draws a known stream off-screen (SDL's software
 * renderer into a surface, as --headless does) and the colours at computed
 * positions are the ones the palette promises for those entries.
 *
 * The stream (asid 0, directory at 0x100000; asid 1 a user space):
 *
 *   PDE 0      table at 0x101000, kernel RW: PTEs 0..255 -> 0x000000.., global
 *   PDE 1      table at 0x102000, user RW:   PTEs 0..511 user RW, 512..519 user RO
 *   PDE 2      table at 0x103000, user read-only directory entry: PTE 0 user
 *   PDE 768..775  4 MiB pages -> 0x00000000.., kernel RW global
 *   everything else not present
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <SDL_ttf.h>
#include "shot.h"
#include "tests/feed.h"

struct fixture {
    struct model *m;
    struct parser p;
};

static void boot(struct parser *p)
{
    feed(p, "hello", "1 12345678 32768 4096 1 1");
    feed(p, "mem", "32768 3 639 31744 0");
    feed(p, "snap", "1 0 100000 0");
    feed(p, "pde", "0 0 1 101003");
    feed(p, "pde", "0 1 1 102007");
    feed(p, "pde", "0 2 1 103005");
    feed(p, "pde", "0 768 8 183");
    feed(p, "pte", "0 0 0 256 103");
    feed(p, "pte", "0 1 0 512 400007");
    feed(p, "pte", "0 1 512 8 600005");
    feed(p, "pte", "0 2 0 1 700005");
    feed(p, "end", "1 0 11 777 8");
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->m = model_new();
    parser_init(&f->p, f->m);
    boot(&f->p);
    assert_int_equal(f->m->stats.snaps_ok, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    model_free(f->m);
    free(f);
    return 0;
}

/* What the test chooses before drawing, and the layout it gets back. */
struct pick {
    int sel_pde, sel_pte;
    struct layout lay;
};

static void choose(struct view *v, void *arg)
{
    struct pick *p = arg;
    v->sel_pde = p->sel_pde;
    v->sel_pte = p->sel_pte;
    p->lay = v->lay;
}

static SDL_Surface *draw(struct fixture *f, int w, int h, struct pick *pick)
{
    char err[256] = "";
    SDL_Surface *s = shot_offscreen(f->m, &f->p, w, h, choose, pick, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static uint32_t pixel(SDL_Surface *s, int x, int y)
{
    assert_true(x >= 0 && y >= 0 && x < s->w && y < s->h);
    return ((uint32_t *)((uint8_t *)s->pixels + y * s->pitch))[x] & 0xffffffu;
}

#define assert_colour(s, x, y, want)                                                                 \
    do {                                                                                             \
        uint32_t got_ = pixel(s, x, y);                                                              \
        if (got_ != (want))                                                                          \
            fail_msg("pixel (%d, %d) is %06x, want %06x (%s)", x, y, got_, (unsigned)(want), #want); \
    } while (0)

/* A point in cell idx's colour: one pixel in from its top-left, clear of marks and frames. */
static void cell_fill_point(const struct rect *grid, int idx, int *x, int *y)
{
    struct rect c = grid_cell(grid, idx);
    int mark = (c.w - 1) / 5 > 1 ? (c.w - 1) / 5 : 1;
    *x = c.x + mark / 2;
    *y = c.y + c.w - 2 - mark; /* low left, below the global bar, above an accessed mark */
}

static void cell_centre(const struct rect *grid, int idx, int *x, int *y)
{
    struct rect c = grid_cell(grid, idx);
    *x = c.x + (c.w - 1) / 2;
    *y = c.y + (c.w - 1) / 2;
}

static void directory_cells_show_their_entries(void **state)
{
    struct fixture *f = *state;
    static const int sizes[][2] = {{1280, 800}, {1920, 1080}, {900, 600}};
    for (int s = 0; s < 3; s++) {
        struct pick pick = {.sel_pde = 1000, .sel_pte = -1};
        SDL_Surface *pic = draw(f, sizes[s][0], sizes[s][1], &pick);
        const struct rect *g = &pick.lay.grid[P_DIR];
        int x, y;
        cell_fill_point(g, 768, &x, &y); /* a 4 MiB kernel page */
        assert_colour(pic, x, y, COL_KERNEL);
        cell_fill_point(g, 5, &x, &y); /* not present */
        assert_colour(pic, x, y, COL_EMPTY);
        cell_fill_point(g, 1, &x, &y); /* a user table, half full */
        assert_colour(pic, x, y, look_pde(0x102007, 520).fill);
        cell_fill_point(g, 0, &x, &y); /* a kernel table, a quarter full: darker than a full one */
        assert_colour(pic, x, y, look_pde(0x101003, 256).fill);
        assert_true(look_pde(0x101003, 256).fill != COL_KERNEL);
        cell_fill_point(g, 2, &x, &y); /* read-only: the rim in colour, the centre hollow */
        assert_colour(pic, x, y, look_pde(0x103005, 1).fill);
        cell_centre(g, 2, &x, &y);
        assert_colour(pic, x, y, COL_PANEL);
        SDL_FreeSurface(pic);
    }
}

static void table_cells_show_the_selected_table(void **state)
{
    struct fixture *f = *state;
    struct pick pick = {.sel_pde = 1, .sel_pte = 1000};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    const struct rect *g = &pick.lay.grid[P_TABLE];
    int x, y;
    cell_fill_point(g, 0, &x, &y);
    assert_colour(pic, x, y, COL_USER);
    cell_centre(g, 0, &x, &y);
    assert_colour(pic, x, y, COL_USER);
    cell_fill_point(g, 515, &x, &y); /* user read-only: hollow */
    assert_colour(pic, x, y, COL_USER);
    cell_centre(g, 515, &x, &y);
    assert_colour(pic, x, y, COL_PANEL);
    cell_fill_point(g, 600, &x, &y);
    assert_colour(pic, x, y, COL_EMPTY);
    SDL_FreeSurface(pic);

    pick = (struct pick){.sel_pde = 0, .sel_pte = 1000}; /* kernel, global: a light bar on top */
    pic = draw(f, 1280, 800, &pick);
    g = &pick.lay.grid[P_TABLE];
    cell_fill_point(g, 3, &x, &y);
    assert_colour(pic, x, y, COL_KERNEL);
    struct rect c = grid_cell(g, 3);
    assert_colour(pic, c.x + 1, c.y, COL_KERNEL_LT);
    SDL_FreeSurface(pic);
}

static void whole_picture_shows_every_mapping(void **state)
{
    struct fixture *f = *state;
    struct pick pick = {.sel_pde = 1000, .sel_pte = -1};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    const struct rect *w = &pick.lay.grid[P_WHOLE];
    int x, y;
    whole_point(w, 0x00400000u >> 12, &x, &y); /* user RW pages */
    assert_colour(pic, x, y, COL_USER);
    whole_point(w, 0xc0000000u >> 12, &x, &y); /* the 4 MiB kernel pages */
    assert_colour(pic, x + 5, y, COL_KERNEL);
    whole_point(w, 0x80000000u >> 12, &x, &y); /* nothing */
    assert_colour(pic, x + 5, y, COL_EMPTY);
    SDL_FreeSurface(pic);
}

static void physical_map_colours_frames_by_owner(void **state)
{
    struct fixture *f = *state;
    /* a second space maps frame 0x400000 too: shared */
    feed(&f->p, "space", "5 1 create 900000");
    feed(&f->p, "snap", "2 1 900000 5");
    feed(&f->p, "pde", "1 1 1 902007");
    feed(&f->p, "pte", "1 1 0 1 400007");
    feed(&f->p, "end", "2 1 1 1 2");
    struct pick pick = {.sel_pde = 1000, .sel_pte = -1};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    struct phys_geom g;
    phys_geometry(&g, &pick.lay.grid[P_PHYS], view_frames(f->m));
    uint32_t frames[] = {0x400, 0x401, 0x101, 0x1ff0};
    uint32_t want[] = {COL_SHARED, look_frame(PHYS_SPACE + 0), COL_TABLE, COL_KERNEL};
    for (int i = 0; i < 4; i++) {
        uint32_t col = frames[i] % g.cols, row = frames[i] / g.cols;
        int x = g.pic.x + (int)((col * 2 + 1) * (uint64_t)g.pic.w / (2 * g.cols));
        int y = g.pic.y + (int)((row * 2 + 1) * (uint64_t)g.pic.h / (2 * g.rows));
        assert_int_equal(phys_frame_at(&g, x, y), frames[i]);
        assert_colour(pic, x, y, want[i]);
    }
    SDL_FreeSurface(pic);
}

static void selection_is_outlined(void **state)
{
    struct fixture *f = *state;
    struct pick pick = {.sel_pde = 40, .sel_pte = -1};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    struct rect c = grid_cell(&pick.lay.grid[P_DIR], 40);
    assert_colour(pic, c.x - 1, c.y + c.w / 2, COL_SELECT);
    SDL_FreeSurface(pic);
}

int main(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 0);
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(directory_cells_show_their_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(table_cells_show_the_selected_table, setup, teardown),
        cmocka_unit_test_setup_teardown(whole_picture_shows_every_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(physical_map_colours_frames_by_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(selection_is_outlined, setup, teardown),
    };
    int failed = cmocka_run_group_tests(t, NULL, NULL);
    TTF_Quit();
    return failed;
}
