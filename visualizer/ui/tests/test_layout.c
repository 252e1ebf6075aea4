/*
 * test_layout.c: the layout (layout.c) at the window sizes people use:
 * every panel inside the window, no two panels overlapping, each panel's
 * title, body and legend disjoint, the grids inside their bodies; and the
 * point <-> cell arithmetic both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "layout.h"

static const int sizes[][2] = {{1280, 800}, {1920, 1080}, {900, 600}, {640, 420}, {800, 1200}, {2560, 1440}};
static const int fonts[][2] = {{15, 8}, {19, 10}, {13, 7}, {13, 7}, {15, 8}, {19, 10}};

static bool inside(const struct rect *in, const struct rect *out)
{
    return in->x >= out->x && in->y >= out->y && in->x + in->w <= out->x + out->w &&
           in->y + in->h <= out->y + out->h;
}

static bool overlap(const struct rect *a, const struct rect *b)
{
    return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static void panels_fit_and_never_overlap(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct layout l;
        layout_compute(&l, sizes[s][0], sizes[s][1], fonts[s][0], fonts[s][1]);
        struct rect win = {0, 0, sizes[s][0], sizes[s][1]};
        assert_true(inside(&l.status, &win));
        for (int i = 0; i < P_COUNT; i++) {
            const struct panel_box *b = &l.p[i];
            assert_true(inside(&b->frame, &win));
            assert_false(overlap(&b->frame, &l.status));
            assert_true(inside(&b->title, &b->frame));
            assert_true(inside(&b->body, &b->frame));
            assert_true(b->body.h > 0 && b->body.w > 0);
            assert_false(overlap(&b->title, &b->body));
            if (b->legend.h) {
                assert_true(inside(&b->legend, &b->frame));
                assert_false(overlap(&b->legend, &b->body));
            }
            for (int j = i + 1; j < P_COUNT; j++)
                if (overlap(&b->frame, &l.p[j].frame))
                    fail_msg("%dx%d: panels %d and %d overlap", sizes[s][0], sizes[s][1], i, j);
        }
        assert_true(l.cell >= 2);
        assert_true(inside(&l.grid[P_DIR], &l.p[P_DIR].body));
        assert_true(inside(&l.grid[P_TABLE], &l.p[P_TABLE].body));
        assert_true(inside(&l.grid[P_WHOLE], &l.p[P_WHOLE].body));
    }
}

static void bigger_windows_get_bigger_cells(void **state)
{
    (void)state;
    struct layout small, big;
    layout_compute(&small, 900, 600, 13, 7);
    layout_compute(&big, 1920, 1080, 19, 10);
    assert_true(big.cell > small.cell);
}

static void grid_cells_round_trip(void **state)
{
    (void)state;
    struct rect g = {10, 20, 32 * 9, 32 * 9};
    for (int i = 0; i < 1024; i += 37) {
        struct rect c = grid_cell(&g, i);
        assert_int_equal(c.w, 9);
        assert_int_equal(grid_cell_at(&g, c.x, c.y), i);
        assert_int_equal(grid_cell_at(&g, c.x + 8, c.y + 8), i);
    }
    assert_int_equal(grid_cell_at(&g, 9, 20), -1);
    assert_int_equal(grid_cell_at(&g, 10 + 32 * 9, 20), -1);
}

static void whole_picture_rows_are_directory_entries(void **state)
{
    (void)state;
    struct rect pic = {100, 50, 512, 512}; /* two pages per pixel each way */
    int x, y;
    whole_point(&pic, 0xc0000000u >> 12, &x, &y);
    assert_int_equal(x, 100);
    assert_int_equal(y, 50 + 768 / 2);
    assert_int_equal(whole_page_at(&pic, x, y), 0xc0000000u >> 12);
    assert_int_equal(whole_page_at(&pic, 99, 50), -1);
}

static void physical_map_fits_its_body(void **state)
{
    (void)state;
    struct rect body = {0, 0, 500, 300};
    uint32_t counts[] = {1024, 8192, 131072, 1u << 20};
    for (size_t i = 0; i < 4; i++) {
        struct phys_geom g;
        phys_geometry(&g, &body, counts[i]);
        assert_true(g.cols * g.rows >= counts[i]);
        assert_true(inside(&g.pic, &body));
        assert_int_equal(phys_frame_at(&g, 0, 0), 0);
    }
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(panels_fit_and_never_overlap),
        cmocka_unit_test(bigger_windows_get_bigger_cells),
        cmocka_unit_test(grid_cells_round_trip),
        cmocka_unit_test(whole_picture_rows_are_directory_entries),
        cmocka_unit_test(physical_map_fits_its_body),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
