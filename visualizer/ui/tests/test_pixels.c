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
#include <unistd.h>
#include <SDL_ttf.h>
#include <koiz/syscall.h>
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
    int64_t sel_frame; /* 0: none */
    bool walk;         /* the walk view open */
    bool regions_off;  /* v: the 4 GiB picture in place of a user space's regions */
    uint32_t asid;     /* the space shown; 0: the one the view follows (unless pin) */
    bool pin;          /* show asid even when it is 0 */
    struct layout lay;
};

static void choose(struct view *v, void *arg)
{
    struct pick *p = arg;
    v->sel_pde = p->sel_pde;
    v->sel_pte = p->sel_pte;
    v->sel_frame = p->sel_frame ? p->sel_frame : -1;
    v->walk_open = p->walk;
    v->regions_off = p->regions_off;
    if (p->asid || p->pin)
        v->asid = p->asid;
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

static void note_shown(struct view *v, void *arg);
struct shown;
static const struct model *noting_model; /* the model draw_noting draws */

/* Draws at 1280x800 with the view's own choices, noting them in *s. */
static SDL_Surface *draw_noting(struct fixture *f, struct shown *s)
{
    char err[256] = "";
    noting_model = f->m;
    SDL_Surface *pic = shot_offscreen(f->m, &f->p, 1280, 800, note_shown, s, err, sizeof err);
    if (!pic)
        fail_msg("%s", err);
    return pic;
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

/* The centre of frame f's cell in the physical map. */
static void frame_centre(const struct phys_geom *g, uint32_t f, int *x, int *y)
{
    uint32_t col = f % g->cols, row = f / g->cols;
    *x = g->pic.x + (int)((col * 2 + 1) * (uint64_t)g->pic.w / (2 * g->cols));
    *y = g->pic.y + (int)((row * 2 + 1) * (uint64_t)g->pic.h / (2 * g->rows));
}

static void second_space_and_frame_map(struct parser *p)
{
    feed(p, "space", "5 1 create 900000");
    feed(p, "snap", "2 1 900000 5");
    feed(p, "pde", "1 1 1 902007");
    feed(p, "pte", "1 1 0 1 400007");
    feed(p, "end", "2 1 1 1 2");
    feed(p, "physmap", "6 1 8192");
    feed(p, "phys", "0 159 reserved 0");
    feed(p, "phys", "9f000 97 hole 0");
    feed(p, "phys", "100000 1 directory 0");
    feed(p, "phys", "101000 3 table 0");
    feed(p, "phys", "104000 252 image 0");
    feed(p, "phys", "200000 2 heap 1");
    feed(p, "phys", "202000 510 free 0");
    feed(p, "phys", "400000 1 user 2");
    feed(p, "phys", "401000 519 user 1");
    feed(p, "phys", "608000 2552 free 0");
    feed(p, "phys", "1000000 4096 unused 0");
    feed(p, "physend", "1 11");
}

static void physical_map_colours_frames_by_owner(void **state)
{
    struct fixture *f = *state;
    /* Before the kernel's frame map: every frame unknown, the picture hatched. */
    struct pick pick = {.sel_pde = 1000, .sel_pte = -1};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    struct phys_geom g;
    int x, y;
    phys_geometry(&g, &pick.lay.grid[P_PHYS], view_frames(f->m));
    frame_centre(&g, 0x500, &x, &y);
    assert_true(pixel(pic, x, y) != COL_EMPTY);
    SDL_FreeSurface(pic);
    /* The frame map (32 MiB): a second space maps frame 0x400 too: shared. */
    second_space_and_frame_map(&f->p);
    assert_true(f->m->frame_map->whole);
    pic = draw(f, 1280, 800, &pick);
    phys_geometry(&g, &pick.lay.grid[P_PHYS], view_frames(f->m));
    uint32_t frames[] = {0x400, 0x401, 0x101, 0x100, 0x104, 0x200, 0x300, 0x50, 0xa0};
    uint32_t want[] = {COL_SHARED, COL_USER,      COL_TABLE, look_frame(OWNER_DIRECTORY),
                       COL_KERNEL, COL_KERNEL_LT, COL_EMPTY, look_frame(OWNER_RESERVED),
                       0x000000};
    for (int i = 0; i < 9; i++) {
        frame_centre(&g, frames[i], &x, &y);
        assert_int_equal(phys_frame_at(&g, x, y), frames[i]);
        assert_colour(pic, x, y, want[i]);
    }
    SDL_FreeSurface(pic);
}

/* A frame selected: the pages mapping it light up in the directory, the table, the 4 GiB picture. */
static void selected_frame_lights_its_pages(void **state)
{
    struct fixture *f = *state;
    second_space_and_frame_map(&f->p);
    struct pick pick = {.sel_pde = 40, .sel_pte = 600, .sel_frame = 0x400};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    struct rect dc = grid_cell(&pick.lay.grid[P_DIR], 1);
    assert_colour(pic, dc.x, dc.y + dc.w / 2, COL_LINK);
    SDL_FreeSurface(pic);
    pick = (struct pick){.sel_pde = 1, .sel_pte = 600, .sel_frame = 0x400};
    pic = draw(f, 1280, 800, &pick);
    struct rect tc = grid_cell(&pick.lay.grid[P_TABLE], 0);
    assert_colour(pic, tc.x, tc.y + tc.w / 2, COL_LINK);
    tc = grid_cell(&pick.lay.grid[P_TABLE], 1); /* frame 0x401: not lit */
    assert_colour(pic, tc.x, tc.y + tc.w / 2, COL_USER);
    int x, y;
    whole_point(&pick.lay.grid[P_WHOLE], 0x00400000u >> 12, &x, &y);
    assert_colour(pic, x + 3, y + 1, COL_LINK); /* the right side of its mark */
    SDL_FreeSurface(pic);
}

/* The walk view draws over the foot of the log panel. */
static void walk_view_is_drawn(void **state)
{
    struct fixture *f = *state;
    struct pick pick = {.sel_pde = 1, .sel_pte = 2, .walk = true};
    SDL_Surface *with = draw(f, 1280, 800, &pick);
    pick.walk = false;
    SDL_Surface *without = draw(f, 1280, 800, &pick);
    const struct rect *log = &pick.lay.p[P_LOG].frame;
    int differ = 0;
    assert_colour(with, log->x + log->w - 1, log->y + log->h - 3,
                  COL_FOCUS); /* its outline, at the log's corner */
    for (int yy = log->y + log->h / 2; yy < log->y + log->h; yy++)
        for (int xx = log->x; xx < log->x + log->w; xx++)
            differ += pixel(with, xx, yy) != pixel(without, xx, yy);
    assert_true(differ > 1000);
    SDL_FreeSurface(with);
    SDL_FreeSurface(without);
}

/* The stack demo's space as the kernel tells it (include/koiz/syscall.h's layout): its
 * code, its stack grown to the limit, the guard page below it, a page past the stack's
 * limit mapped by nobody's region: the moment of the overflow. */
static void stack_demo_space(struct parser *p, bool guard)
{
    uint32_t limit = USER_STACK_TOP - USER_STACK_LIMIT;
    feed(p, "space", "5 1 create 900000");
    feed(p, "region", "5 1 8048000 804a000 code add");
    feed(p, "region", "5 1 %x %x stack add", limit, USER_STACK_TOP);
    if (guard)
        feed(p, "region", "5 1 %x %x guard add", limit - 4096, limit);
    feed(p, "ptab", "5 1 32 00904007 alloc");
    feed(p, "map", "5 1 8048000 4k 2 00a00005");
    feed(p, "ptab", "5 1 767 00905007 alloc");
    feed(p, "map", "6 1 %x 4k %u 00b00007", limit, USER_STACK_LIMIT / 4096);
    feed(p, "space", "6 1 switch 900000");
}

/* The rows of the region panel whose left edge is vermillion: the guard page's outline. */
static int guard_rows(SDL_Surface *s, const struct rect *body, int *first)
{
    int n = 0;
    *first = -1;
    for (int y = body->y; y < body->y + body->h; y++)
        if (pixel(s, body->x, y) == COL_BAD && pixel(s, body->x + body->w - 1, y) == COL_BAD) {
            if (*first < 0)
                *first = y;
            n++;
        }
    return n;
}

static void region_view_draws_the_guard_page(void **state)
{
    struct fixture *f = *state;
    stack_demo_space(&f->p, true);
    assert_int_equal(f->m->current_asid, 1);
    static const int sizes[][2] = {{1280, 800}, {1920, 1080}};
    for (int i = 0; i < 2; i++) {
        struct pick pick = {.sel_pde = 767, .sel_pte = -1};
        SDL_Surface *pic = draw(f, sizes[i][0], sizes[i][1], &pick);
        const struct rect *body = &pick.lay.p[P_WHOLE].body;
        int y, n = guard_rows(pic, body, &y);
        /* the outline's left and right edges over one row of text, a swatch in the guard's colour */
        if (n < pick.lay.line_h || n > 3 * pick.lay.line_h + 8)
            fail_msg("%dx%d: %d rows with the guard's outline at both edges", sizes[i][0], sizes[i][1], n);
        assert_colour(pic, body->x + 8, y + 5, COL_BAD);
        /* the stack's row below it: all 64 pages present, its bar full in user orange */
        int bar_end = body->x + body->w - REGION_COUNT_CHARS * pick.lay.char_w - 4 - 1, stack_y = -1;
        for (int yy = y + n; yy < body->y + body->h && stack_y < 0; yy++)
            if (pixel(pic, bar_end, yy) == COL_USER &&
                pixel(pic, bar_end - REGION_BAR_CHARS * pick.lay.char_w + 1, yy) == COL_USER)
                stack_y = yy;
        if (stack_y < 0)
            fail_msg("%dx%d: no full stack bar under the guard page's row", sizes[i][0], sizes[i][1]);
        SDL_FreeSurface(pic);
        /* v: the 4 GiB picture instead, with no such row */
        pick.regions_off = true;
        pic = draw(f, sizes[i][0], sizes[i][1], &pick);
        assert_int_equal(guard_rows(pic, body, &y), 0);
        SDL_FreeSurface(pic);
        /* the kernel's space: the picture */
        pick = (struct pick){.sel_pde = 767, .sel_pte = -1, .asid = 0, .pin = true};
        f->m->current_asid = 0;
        pic = draw(f, sizes[i][0], sizes[i][1], &pick);
        assert_int_equal(guard_rows(pic, body, &y), 0);
        f->m->current_asid = 1;
        SDL_FreeSurface(pic);
    }
}

/* Without a guard region, no guard row: the view draws what the kernel said, nothing else. */
static void region_view_without_guard(void **state)
{
    struct fixture *f = *state;
    stack_demo_space(&f->p, false);
    struct pick pick = {.sel_pde = 767, .sel_pte = -1};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    int y;
    assert_int_equal(guard_rows(pic, &pick.lay.p[P_WHOLE].body, &y), 0);
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

/* ---- the time machine ---- */

/* A stream in a file: the boot above, then in space 0 a zero-filled fault and the page
 * it mapped (0x00500000), a fatal fault, another map (0x00501000) and an unmap of the
 * first page; then quiet log lines so that the moments spread along the track. */
struct travel_fixture {
    char path[64];
    struct history *h;
    struct model *m;
    uint64_t fault_ok, fault_fatal, mapped, unmapped, last;
};

static void travel_stream(struct travel_fixture *t)
{
    struct stream s = {0};
    rec(&s, "hello", "1 12345678 32768 4096 1 1");
    rec(&s, "mem", "32768 3 639 31744 0");
    rec(&s, "snap", "1 0 100000 0");
    rec(&s, "pde", "0 0 1 101003");
    rec(&s, "pde", "0 1 1 102007");
    rec(&s, "pde", "0 768 8 183");
    rec(&s, "pte", "0 0 0 256 103");
    rec(&s, "pte", "0 1 0 4 400007");
    rec(&s, "end", "1 0 10 260 5");
    for (int i = 0; i < 100; i++)
        rec(&s, "log", "%d quiet %d", 5, i);
    rec(&s, "map", "10 0 500000 4k 1 900007");
    rec(&s, "fault", "10 0 500010 8048100 6 zero-filled");
    t->fault_ok = t->mapped = 111; /* #110 is the map, #111 the fault: moments right after them */
    t->mapped = 110;
    for (int i = 0; i < 100; i++)
        rec(&s, "log", "%d quiet %d", 11, i);
    rec(&s, "fault", "12 0 c0000000 c0101234 2 fatal");
    t->fault_fatal = 212;
    for (int i = 0; i < 100; i++)
        rec(&s, "log", "%d quiet %d", 13, i);
    rec(&s, "map", "14 0 501000 4k 1 901007");
    rec(&s, "unmap", "14 0 500000 4k 1");
    t->unmapped = 314;
    for (int i = 0; i < 200; i++)
        rec(&s, "log", "%d quiet %d", 15, i);
    t->last = 514;
    snprintf(t->path, sizeof t->path, "/tmp/koiz-test-pixels-%d.txt", (int)getpid());
    FILE *f = fopen(t->path, "wb");
    fwrite(s.data, 1, s.len, f);
    fclose(f);
    free(s.data);
    char err[256];
    t->h = history_open_file(t->path, err, sizeof err);
    if (!t->h)
        fail_msg("%s", err);
    while (!history_index_step(t->h, 1 << 20))
        ;
    while (!history_build_step(t->h, 1 << 20))
        ;
    assert_int_equal(history_moments(t->h), t->last);
    t->m = model_new();
}

static void travel_done(struct travel_fixture *t)
{
    model_free(t->m);
    history_close(t->h);
    unlink(t->path);
}

struct travel_pick {
    struct travel_fixture *t;
    uint64_t at, a;
    struct model *am;
    bool history;
    int sel_pde, sel_pte;
    struct layout lay;
    int line_h;
    int row_sel;
    size_t nrows;
};

static void travel_choose(struct view *v, void *arg)
{
    struct travel_pick *p = arg;
    v->tm.h = p->t->h;
    v->tm.replay = true;
    v->tm.moments = history_moments(p->t->h);
    v->tm.built = history_built(p->t->h);
    v->tm.at = p->at;
    v->sel_pde = p->sel_pde;
    v->sel_pte = p->sel_pte;
    if (p->am) {
        v->tm.a = p->a;
        v->tm.am = p->am;
        v->tm.side = SIDE_DIFF;
    }
    if (p->history) {
        v->focus = P_TABLE;
        travel_open_history(v, p->t->m, false);
        p->row_sel = v->tm.row_sel;
        p->nrows = v->tm.nrows;
    }
    p->lay = v->lay;
    p->line_h = v->font.line_h;
}

static SDL_Surface *travel_draw(struct travel_pick *p)
{
    char err[256] = "";
    struct parser parser;
    parser_init(&parser, NULL);
    assert_int_equal(history_seek(p->t->h, p->t->m, p->at, NULL), 0);
    SDL_Surface *s = shot_offscreen(p->t->m, &parser, 1280, 800, travel_choose, p, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

/* The timeline marks each fault in its outcome's colour, and the playhead is white. */
static void timeline_shows_marks_and_the_playhead(void **state)
{
    (void)state;
    struct travel_fixture t;
    travel_stream(&t);
    struct travel_pick p = {.t = &t, .at = 400, .sel_pde = 1, .sel_pte = 0};
    SDL_Surface *pic = travel_draw(&p);
    const struct rect *tr = &p.lay.track;
    int fault_y = tr->y + p.line_h / 2;
    assert_colour(pic, track_x(tr, t.last, t.fault_ok), fault_y, COL_GOOD);
    assert_colour(pic, track_x(tr, t.last, t.fault_fatal), fault_y, COL_BAD);
    assert_colour(pic, track_x(tr, t.last, 460), fault_y, COL_EMPTY); /* no fault there */
    assert_colour(pic, track_x(tr, t.last, 400), tr->y + p.line_h, COL_SELECT);
    SDL_FreeSurface(pic);
    travel_done(&t);
}

/* From A to B: the page mapped between gets a plus in its cell, the page unmapped a cross. */
static void a_difference_marks_the_cells(void **state)
{
    (void)state;
    struct travel_fixture t;
    travel_stream(&t);
    struct travel_pick p = {.t = &t, .at = 200, .a = 100, .sel_pde = 1, .sel_pte = 0};
    p.am = model_new();
    assert_int_equal(history_seek(t.h, p.am, 100, NULL), 0);
    SDL_Surface *pic = travel_draw(&p); /* #100 -> #200: 0x00500000 mapped */
    const struct rect *g = &p.lay.grid[P_TABLE];
    struct rect c = grid_cell(g, 256); /* 0x00500000 is PTE 256 of PDE 1 */
    assert_colour(pic, c.x, c.y + c.h / 2, COL_GOOD);
    c = grid_cell(g, 1); /* unchanged */
    assert_true(pixel(pic, c.x, c.y + c.h / 2) != COL_GOOD);
    SDL_FreeSurface(pic);
    p.at = 400; /* #100 -> #400: 0x00500000 mapped and unmapped (nothing), 0x00501000 mapped */
    pic = travel_draw(&p);
    c = grid_cell(g, 257);
    assert_colour(pic, c.x, c.y + c.h / 2, COL_GOOD);
    c = grid_cell(g, 256);
    assert_true(pixel(pic, c.x, c.y + c.h / 2) != COL_GOOD);
    SDL_FreeSurface(pic);
    p.a = 200; /* #200 -> #400: 0x00500000 unmapped: a cross */
    assert_int_equal(history_seek(t.h, p.am, 200, NULL), 0);
    pic = travel_draw(&p);
    c = grid_cell(g, 256);
    assert_colour(pic, c.x + 2, c.y + 2, COL_BAD);
    SDL_FreeSurface(pic);
    model_free(p.am);
    travel_done(&t);
}

/* The history of 0x00500000 lists its directory entry's arrival (the snapshot), its map
 * and its unmap; the last change before the moment shown is the selected row, drawn on a
 * lighter band. */
static void history_panel_lists_the_changes(void **state)
{
    (void)state;
    struct travel_fixture t;
    travel_stream(&t);
    struct travel_pick p = {.t = &t, .at = 300, .sel_pde = 1, .sel_pte = 256, .history = true};
    SDL_Surface *pic = travel_draw(&p);
    assert_int_equal(p.nrows, 3);
    assert_int_equal(p.row_sel, 1); /* the map; the unmap (#314) is after #300 */
    const struct rect *b = &p.lay.p[P_LOG].body;
    assert_colour(pic, b->x + b->w - 2, b->y + p.row_sel * p.line_h + 1, COL_BORDER);
    assert_colour(pic, b->x + b->w - 2, b->y + (p.row_sel + 1) * p.line_h + 1, COL_PANEL);
    SDL_FreeSurface(pic);
    travel_done(&t);
}

/* A copy-on-write page has a look of its own (hollow, a bluish green centre; bluish green in the
 * 4 GiB picture), apart from read-only code, and the table's legend shows it. */
static void cow_page_has_its_own_look(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "map", "7 0 402000 4k 1 404205"); /* present, user, copy-on-write, not writable */
    struct pick pick = {.sel_pde = 1, .sel_pte = 1000};
    SDL_Surface *pic = draw(f, 1280, 800, &pick);
    const struct rect *g = &pick.lay.grid[P_TABLE];
    int x, y;
    cell_fill_point(g, 2, &x, &y);
    assert_colour(pic, x, y, COL_USER);
    cell_centre(g, 2, &x, &y);
    assert_colour(pic, x, y, COL_SHARED);
    cell_centre(g, 515, &x, &y); /* read-only, not copy-on-write: hollow */
    assert_colour(pic, x, y, COL_PANEL);
    assert_int_equal(look_page(0x102007, 0x404205),
                     COL_SHARED); /* a pixel of the 4 GiB picture mixes pages */
    const struct rect *legend = &pick.lay.p[P_TABLE].legend;
    int found = 0;
    for (int yy = legend->y; yy < legend->y + legend->h; yy++)
        for (int xx = legend->x; xx < legend->x + legend->w; xx++)
            found += pixel(pic, xx, yy) == COL_SHARED;
    assert_true(found > 0);
    SDL_FreeSurface(pic);
}

/* At 1280x800 some text is cut short ("..."): every cut text is kept whole, and hovering it shows a
 * tooltip (its dark box under the pointer) with all of it. */
static void cut_text_has_a_tooltip(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "log",
         "3 a kernel log line long enough that no panel at this size can show all of it, "
         "so the end of it is cut and the window must still let it be read");
    feed(&f->p, "fault", "3 1 08000000 08048000 7 zero-filled");
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 1280, 800, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    struct view v;
    char err[256];
    assert_int_equal(view_init(&v, r, 1280, 800, err, sizeof err), 0);
    v.parser = &f->p;
    view_draw(&v, f->m, 0);
    int cuts = v.font.ncuts;
    assert_true(cuts > 0);
    assert_int_equal(v.font.cuts_lost, 0);
    for (int i = 0; i < cuts; i++) {
        SDL_Rect at = v.font.cuts[i].at;
        char whole[sizeof v.font.cuts[i].text];
        snprintf(whole, sizeof whole, "%s", v.font.cuts[i].text);
        int mx = at.x + at.w / 2, my = at.y + at.h / 2;
        const char *said = text_cut_at(&v.font, mx, my);
        assert_non_null(said);
        assert_string_equal(said, whole);
        v.mouse_in = true;
        v.mouse_x = mx;
        v.mouse_y = my;
        view_draw(&v, f->m, 0);
        SDL_RenderPresent(r);
        int box = 0; /* the tooltip's background, near the pointer */
        for (int y = my - 200 > 0 ? my - 200 : 0; y < my + 200 && y < 800; y++)
            for (int x = 0; x < 1280; x++)
                box += pixel(s, x, y) == 0x0c0d10;
        if (box < 200)
            fail_msg("hovering the cut text '%.60s' at (%d, %d) drew no tooltip", whole, mx, my);
    }
    view_free(&v);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
}

/* What the view chose to show, seen from inside the draw. */
struct shown {
    uint32_t asid, ended;
    int pde;
    struct layout lay;
};

static void note_shown(struct view *v, void *arg)
{
    struct shown *s = arg;
    const struct model *m = noting_model;
    const struct space *sp = view_space(v, m);
    s->asid = sp ? sp->asid : UINT32_MAX;
    s->ended = sp ? sp->ended : 0;
    s->pde = view_pde(v, m);
    s->lay = v->lay;
}

/* The view follows the story: the user space an event touched last, not the kernel's that is live
 * while the task sleeps; when that space ends it stays on screen, marked ended, with the table of
 * its newest fault, until another space starts. */
static void story_space_is_followed_and_kept_when_ended(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "space", "5 2 create 900000");
    feed(&f->p, "snap", "2 2 900000 5");
    feed(&f->p, "pde", "2 1 1 902007");
    feed(&f->p, "pte", "2 1 0 1 400007");
    feed(&f->p, "pde", "2 767 1 903007");
    feed(&f->p, "end", "2 2 2 1 3");
    feed(&f->p, "space", "6 2 switch 900000");
    feed(&f->p, "map", "7 2 bffff000 4k 1 500007");
    feed(&f->p, "fault", "7 2 bffff010 8048033 6 zero-filled");
    feed(&f->p, "space", "8 0 switch 100000"); /* the task sleeps: the kernel's space is live */
    struct shown s;
    SDL_Surface *pic = draw_noting(f, &s);
    assert_int_equal(s.asid, 2);
    assert_int_equal(s.ended, 0);
    assert_int_equal(s.pde, 767); /* where its newest fault hit */
    SDL_FreeSurface(pic);

    feed(&f->p, "space", "9 2 destroy 900000");
    assert_null(model_space(f->m, 2));
    pic = draw_noting(f, &s);
    assert_int_equal(s.asid, 2);
    assert_int_equal(s.ended, 9);
    assert_int_equal(s.pde, 767);
    int x, y;
    cell_fill_point(&s.lay.grid[P_TABLE], 1023, &x, &y); /* its stack page, as it was */
    assert_colour(pic, x, y, COL_USER);
    SDL_FreeSurface(pic);

    feed(&f->p, "space", "10 3 create 904000"); /* the next one starts: the ended one goes */
    assert_null(model_ended(f->m));
    pic = draw_noting(f, &s);
    assert_true(s.asid != 2);
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
        cmocka_unit_test_setup_teardown(selected_frame_lights_its_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(walk_view_is_drawn, setup, teardown),
        cmocka_unit_test_setup_teardown(selection_is_outlined, setup, teardown),
        cmocka_unit_test_setup_teardown(story_space_is_followed_and_kept_when_ended, setup, teardown),
        cmocka_unit_test_setup_teardown(cow_page_has_its_own_look, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_text_has_a_tooltip, setup, teardown),
        cmocka_unit_test_setup_teardown(region_view_draws_the_guard_page, setup, teardown),
        cmocka_unit_test_setup_teardown(region_view_without_guard, setup, teardown),
        cmocka_unit_test(timeline_shows_marks_and_the_playhead),
        cmocka_unit_test(a_difference_marks_the_cells),
        cmocka_unit_test(history_panel_lists_the_changes),
    };
    int failed = cmocka_run_group_tests(t, NULL, NULL);
    TTF_Quit();
    return failed;
}
