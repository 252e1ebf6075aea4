/*
 * palette.h: koiz-view's one colour scheme, as 0xRRGGBB values, and how an
 * entry's flags become a cell's look. Pure C, no SDL, so the pixel tests can
 * ask what colour a cell should be.
 *
 * Based on the Okabe-Ito palette, which readers with any common colour-vision
 * deficiency can tell apart: kernel is blue, user is orange, page tables are
 * reddish purple, pages shared by several spaces bluish green. Lightness and
 * shape carry meaning too, never hue alone: read-only cells are hollow (or a
 * lighter tone in the 4 GiB picture), copy-on-write ones hollow with a bluish
 * green centre (bluish green in the 4 GiB picture), a 4 MiB page has an inner frame, a
 * table's fill darkens-to-full as it fills, global pages have a light top bar.
 *
 * Physical frames, by owner: the kernel's in blues from dark to light (frame
 * records, image, heap, telemetry queue), directories and tables in reddish
 * purple (dark, light), user frames orange, shared ones bluish green, boot
 * data yellow; free frames the empty cell's grey; what is not RAM the
 * kernel uses is drawn as not there: holes black, reserved RAM mid grey,
 * RAM above 768 MiB and frames nobody described checkered.
 */
#ifndef KOIZ_VIEW_PALETTE_H
#define KOIZ_VIEW_PALETTE_H

#include <stdbool.h>
#include <stdint.h>

#define COL_WINDOW 0x141519u /* window background */
#define COL_PANEL  0x1d1f24u /* panel background */
#define COL_BORDER 0x30333bu /* panel outline */
#define COL_FOCUS  0xc8ccd4u /* outline of the panel that has the keyboard */
#define COL_EMPTY  0x2a2d34u /* a cell with nothing present */
#define COL_TEXT   0xdcdfe4u
#define COL_DIM    0x8b909au
#define COL_TITLE  0xf2f3f5u
#define COL_SELECT 0xffffffu /* outline of the selected cell */

#define COL_KERNEL    0x0072b2u /* Okabe-Ito blue */
#define COL_KERNEL_LT 0x56b4e9u /* sky blue: kernel, read-only (4 GiB picture); global bar */
#define COL_USER      0xe69f00u /* orange */
#define COL_USER_LT   0xf0e442u /* yellow: user, read-only (4 GiB picture) */
#define COL_TABLE     0xcc79a7u /* reddish purple: directories and page tables */
#define COL_SHARED    0x009e73u /* bluish green: a frame user-mapped by several spaces */
#define COL_WARN      0xe69f00u
#define COL_BAD       0xd55e00u /* vermillion: panics, fatal faults (always with words) */
#define COL_GOOD      0x56b4e9u
#define COL_FLASH     0xffffffu /* a fault's cell, flashing */

/* a..b by t in [0, 1]. */
uint32_t col_mix(uint32_t a, uint32_t b, double t);

/* How one cell of the directory or table grid is drawn. */
struct cell_look {
    bool present;
    uint32_t fill;        /* the cell's colour */
    bool hollow;          /* read-only: centre left in the panel colour */
    bool cow;             /* copy-on-write (user, read-only, PTE_COW): the hollow centre bluish green */
    bool framed;          /* a 4 MiB page: a dark inner frame */
    bool global_bar;      /* global page: a light bar along the top */
    bool accessed, dirty; /* small corner marks */
};

/* A directory entry; `present` is how many entries of its table are present. */
struct cell_look look_pde(uint32_t pde, uint32_t present);
/* A table entry, under directory entry pde (whose U bit also decides user vs kernel). */
struct cell_look look_pte(uint32_t pde, uint32_t pte);
/* One page's pixel in the 4 GiB picture: the entry that translates it (PDE of a 4 MiB page, else PTE). */
uint32_t look_page(uint32_t pde, uint32_t leaf);
#define COL_LINK 0xf0e442u /* Okabe-Ito yellow: the pages mapping the selected frame */

/* A physical frame's colour, by class (an owner word, FRAME_SHARED or FRAME_UNKNOWN). */
uint32_t look_frame(unsigned cls);
/* The second colour of a checkered class (frames that are not there), else look_frame's. */
uint32_t look_frame_alt(unsigned cls);

#endif
