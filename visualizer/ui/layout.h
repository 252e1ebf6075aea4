/*
 * layout.h: where every panel of koiz-view sits, computed from the window
 * size and the font's line height, and the grid arithmetic shared by the
 * drawing code, the mouse and the tests: which cell is at a point, where a
 * cell is. Pure C, no SDL: a rectangle is four ints.
 *
 *   +-- directory --+-- 4 GiB -------+-- spaces ---------+
 *   |  32x32 PDEs   | 1024x1024 pages|-- faults ---------|
 *   +-- table ------+-- physical ----+                   |
 *   |  32x32 PTEs   | one cell/frame |-- log ------------|
 *   +---------------+----------------+-------------------+
 *   timeline: the stream's moments, marks, the playhead
 *   status line
 *
 * A narrow or tall window puts the three lists under the four pictures.
 * Panels never overlap; each panel's title, body and legend are disjoint.
 */
#ifndef KOIZ_VIEW_LAYOUT_H
#define KOIZ_VIEW_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

struct rect {
    int x, y, w, h;
};

enum panel_id { P_DIR, P_TABLE, P_WHOLE, P_PHYS, P_SPACES, P_FAULTS, P_LOG, P_COUNT };

/* One panel: its frame, the title line at the frame's top, the body under it, the legend at its foot. */
struct panel_box {
    struct rect frame, title, body, legend;
};

struct layout {
    int w, h;             /* window size */
    int line_h, char_w;   /* of the text font */
    struct rect status;   /* the status line at the bottom */
    struct rect timeline; /* above it, the whole width: the time machine's strip */
    struct rect track;    /* inside it: where moments map to x (marks, playhead) */
    struct panel_box p[P_COUNT];
    struct rect grid[P_COUNT]; /* P_DIR, P_TABLE: 32x32 cells; P_WHOLE: the square picture */
    int cell;                  /* side of one directory/table cell in pixels */
};

#define GRID_SIDE  32   /* cells per side of the directory and table grids */
#define WHOLE_SIDE 1024 /* pages per side of the 4 GiB picture */

/* Computes every rectangle for a w x h window and a font of line_h and char_w pixels. */
void layout_compute(struct layout *l, int w, int h, int line_h, int char_w);

bool rect_has(const struct rect *r, int x, int y);

/* The moment (0..moments) at x on the timeline's track, and the x of a moment. */
uint64_t track_moment_at(const struct rect *track, uint64_t moments, int x);
int track_x(const struct rect *track, uint64_t moments, uint64_t moment);

/* The cell idx (0..1023) of a 32x32 grid; its square, gap included. */
struct rect grid_cell(const struct rect *grid, int idx);
/* The cell under (x, y), or -1. */
int grid_cell_at(const struct rect *grid, int x, int y);

/* The page (0..2^20-1, va >> 12) under (x, y) of the 4 GiB picture, or -1. Row = directory index. */
int64_t whole_page_at(const struct rect *pic, int x, int y);
/* The screen point at the top-left of page `page` in the 4 GiB picture. */
void whole_point(const struct rect *pic, uint32_t page, int *x, int *y);

/*
 * The physical map: nframes frames in rows of `cols`, drawn as a cols x rows
 * picture scaled into body. Picks the cols (a multiple of 16) that gives frames the
 * largest cells, and the picture's rectangle.
 */
struct phys_geom {
    uint32_t nframes, cols, rows;
    struct rect pic;
};
void phys_geometry(struct phys_geom *g, const struct rect *body, uint32_t nframes);
/* The frame under (x, y), or -1. */
int64_t phys_frame_at(const struct phys_geom *g, int x, int y);

#endif
