/*
 * view.h: what koiz-view shows and how the person has steered it: the
 * space on screen, the selected directory and table entries, the panel with
 * the keyboard, the fault flash, the cached pictures (the 4 GiB picture and
 * the physical map are textures rebuilt only when the model's map_version or
 * the window size moved). The draw_*.c files each draw one panel from the
 * model (read-only) and this state; controls.c changes the state from keys
 * and the mouse. Only these files and main.c include SDL.
 */
#ifndef KOIZ_VIEW_VIEW_H
#define KOIZ_VIEW_VIEW_H

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>
#include "history.h"
#include "layout.h"
#include "model.h"
#include "model_diff.h"
#include "palette.h"
#include "parser.h"
#include "text.h"

/* What the list in the log panel's place shows. */
enum side_list { SIDE_LOG, SIDE_HISTORY, SIDE_DIFF, SIDE_CHECKS };

/*
 * The time machine as the view sees it. main.c owns the history and the
 * models, and keeps moments, at, live and am up to date; keys and the
 * timeline only ask (go), and main.c goes there before the next frame.
 */
struct sanitizer;

struct travel_view {
    struct history *h;      /* NULL: nothing to go back in */
    uint64_t moments;       /* records known so far */
    uint64_t built;         /* moments a seek reaches quickly (checkpoints made up to here) */
    uint64_t at;            /* the moment shown */
    bool live;              /* showing the stream's present, as it comes */
    bool replay;            /* a recording (else a live stream, kept in a file) */
    int64_t go;             /* a moment asked for, -1 none; INT64_MAX: back to the present */
    bool go_rough;          /* while dragging: the nearest moment quick to reach will do */
    bool dragging;          /* the playhead is held by the mouse */
    int mark_kind;          /* the kind { and } step through (MARK_KINDS: any) */
    uint64_t a;             /* a moments difference from A (UINT64_MAX: none) */
    int check_sel;          /* the sanitizer's warning selected in its list (c) */
    const struct model *am; /* the model at A, kept by main.c */
    uint32_t space_x;       /* a spaces difference with X (MODEL_NO_ASID: none) */
    enum side_list side;
    /* the history list: an entry's (or a frame's) changes */
    struct history_row *rows;
    size_t nrows, total_rows;
    int row_sel;
    uint32_t hist_asid, hist_va;
    bool hist_dir, hist_frame;
    /* the difference, as runs in (asid, va) order; remade when a model moved */
    struct diff_run *runs;
    size_t nruns, runs_cap;
    struct diff_counts counts;
    uint64_t runs_of[3]; /* the versions (and space) the runs were made for */
    int run_sel;
    /* the marks, binned into the track's pixel columns: a bit per kind (and fault outcome) */
    uint32_t *bins;
    int nbins;
    uint64_t bins_moments;
    size_t bins_marks;
};

struct view {
    SDL_Renderer *r;
    struct font font, bold;
    struct layout lay;
    int w, h;

    /* what is shown */
    uint32_t asid;        /* chosen space; MODEL_NO_ASID: follow the live one */
    int sel_pde, sel_pte; /* selected entries; sel_pde -1 until chosen (then: first table) */
    int fault_sel;        /* selected fault (0 = newest), -1 none */
    int64_t sel_frame;    /* selected physical frame, -1: the selected page's frame (view_frame) */
    bool walk_open;       /* the walk view is shown (w) */
    bool regions_off;     /* v: the 4 GiB picture in place of the region view */
    bool walk_va_set;     /* walk_va was typed: walk it, offset and all, not the selected page */
    uint32_t walk_va;
    bool typing; /* an address is being typed (g): keys go to `typed` */
    char typed[12];
    int log_scroll; /* log lines scrolled back from the newest */
    enum panel_id focus;
    bool help;
    int mouse_x, mouse_y;
    bool mouse_in;

    /* a fault flashing on its cell */
    uint64_t faults_seen;
    double flash_until;
    uint32_t flash_asid, flash_va;

    /* the 4 GiB picture, downsampled to the screen: any mapped page in a pixel shows */
    SDL_Texture *whole_tex;
    int whole_side;
    uint64_t whole_version;
    uint32_t whole_asid;
    uint32_t *whole_px;
    uint8_t *whole_rank;

    /* the physical map */
    SDL_Texture *phys_tex;
    uint64_t phys_version, phys_frames_version; /* the model's map_version and frame_map->version drawn */
    uint8_t *owner;                             /* a class per frame (model_phys_map) */
    uint32_t nframes;
    uint32_t counts[FRAME_CLASSES];
    struct phys_geom pg;

    /* the status line, filled by main.c */
    const struct parser *parser;
    const struct sanitizer *san; /* the paging sanitizer's warnings (NULL: none run) */
    char source[96];             /* "Bochs", "replay of boot.txt" */
    char state[160];             /* "running", "exited with status 0", "paused · 500 records/s" */
    char message[160];           /* a passing note: "saved koiz-view-....png" */

    struct travel_view tm;

    /* when set (koiz-view --bench), view_draw adds each panel's drawing time (CPU seconds)
     * to panel_seconds[panel]; the clear, the status line and overlays to [P_COUNT] */
    double *panel_seconds;
};

/* Opens the fonts for a w x h window on renderer r and lays it out. Returns 0, or -1 with err. */
int view_init(struct view *v, SDL_Renderer *r, int w, int h, char *err, size_t errsz);
/* New window size: fonts and layout follow; pictures are rebuilt. */
int view_resize(struct view *v, int w, int h);
void view_free(struct view *v);

/* Draws everything for time now (seconds). */
void view_draw(struct view *v, const struct model *m, double now);
/* Whether something is moving (a fault flashing): keep drawing frames. */
bool view_animating(const struct view *v, double now);
/* Whether a flashing fault is lit at time now (on and off at 4 Hz). */
bool view_flash_on(const struct view *v, double now);

/* The space shown: the pinned one (v->asid; or its end, kept while it is the last ended),
 * else the story's (model_story_space), else the live one, else the first; NULL when none. */
const struct space *view_space(const struct view *v, const struct model *m);
/* The sanitizer's warning selected in its list while the list is open (c), else NULL. */
const struct san_warning *view_warning(const struct view *v);
/* How the shown space was chosen, for titles: "following" (the story: the user space an event
 * touched last), "pinned" (chosen by the user; l follows again) or "ended at tick N". */
const char *view_space_how(const struct view *v, const struct model *m);
/* The selected directory index (resolving "not chosen yet" to the first page table). */
int view_pde(const struct view *v, const struct model *m);
/* Frames in the physical map: as the kernel's frame map says, else RAM as `mem` said it. */
uint32_t view_frames(const struct model *m);
/* The address whose walk is shown: the typed one, else the selected page's. */
uint32_t view_walk_va(const struct view *v, const struct model *m);
/* The frame whose mappings light up: the selected one, else the frame the
 * selected page maps; -1 when none. */
int64_t view_frame(const struct view *v, const struct model *m);
/* The pages mapping view_frame (model_frame_mappings); 0 when none. */
uint32_t view_frame_mappings(const struct view *v, const struct model *m, const struct frame_mapping **out);
/* Whether a mapping lies in space sp: its user half, or the kernel half every space shares. */
bool view_mapping_in(const struct frame_mapping *mp, const struct space *sp);

/* controls.c: returns true when the key was used. */
bool view_key(struct view *v, const struct model *m, SDL_Keycode key, Uint16 mod);
/* While an address is being typed (g), every key is its: true then. */
bool view_typing_key(struct view *v, SDL_Keycode key);
void view_click(struct view *v, const struct model *m, int x, int y);
void view_wheel(struct view *v, int dy);

/* draw_util.c: pieces every panel uses. */
void set_col(SDL_Renderer *r, uint32_t rgb);
void fill(SDL_Renderer *r, int x, int y, int w, int h, uint32_t rgb);
void outline(SDL_Renderer *r, int x, int y, int w, int h, int thick, uint32_t rgb);
void clip(SDL_Renderer *r, const struct rect *rc);
void panel_begin(struct view *v, enum panel_id id, const char *title, const char *note);
void draw_cell(SDL_Renderer *r, const struct rect *c, const struct cell_look *look);
/* Over a picture of sp, when sp is not whole: hatching and "untrusted since tick N: why". */
void draw_untrusted(struct view *v, const struct rect *area, const struct space *sp);
/* Hatching over area, with label in a box at its foot: a picture that may be wrong. */
void draw_hatched(struct view *v, const struct rect *area, const char *label);
/* Legend items flow left to right inside rc and wrap; *x, *y is the cursor. */
void legend_cell(struct view *v, const struct rect *rc, int *x, int *y, const struct cell_look *look,
                 const char *label);
void legend_swatch(struct view *v, const struct rect *rc, int *x, int *y, uint32_t rgb, const char *label);
/* "P W U A D G" style flags, and words for the kind of mapping. */
const char *flag_letters(uint32_t entry, bool dir);

/* draw_lists.c: the first row shown of each list. */
int list_first_space(const struct view *v, const struct model *m);
int list_first_fault(const struct view *v, const struct model *m);

void draw_dir(struct view *v, const struct model *m, double now);
void draw_table(struct view *v, const struct model *m, double now);
void draw_whole(struct view *v, const struct model *m, double now);
/* draw_regions.c: whether the 4 GiB panel shows the region view (a user
 * space, a stream that tells regions, not switched off with v), and the view. */
bool view_regions_shown(const struct view *v, const struct model *m);
#define REGION_BAR_CHARS   8  /* the present-pages bar's width, in characters */
#define REGION_COUNT_CHARS 14 /* the count right of it ("196608/262144"), from the body's right edge */
void draw_regions(struct view *v, const struct model *m);
void draw_phys(struct view *v, const struct model *m);
void draw_spaces(struct view *v, const struct model *m);
void draw_faults(struct view *v, const struct model *m);
void draw_log(struct view *v, const struct model *m);
void draw_status(struct view *v, const struct model *m);
void draw_tooltip(struct view *v, const struct model *m);
void draw_help(struct view *v);
/* The walk view (draw_walk.c): the selected or typed address followed through the tables. */
void draw_walk(struct view *v, const struct model *m);

/* draw_timeline.c: the time machine's strip: marks, the playhead, the moment in words. */
void draw_timeline(struct view *v, const struct model *m);
/* draw_travel.c: differences and histories in the panels. */
void travel_update(struct view *v, const struct model *m);
/* What changed at page va of the shown space ('+', '-', '~', '=' or 0); dir: anything in its 4 MiB. */
char travel_mark(const struct view *v, const struct model *m, uint32_t va, bool dir);
/* A difference's mark over a cell (or a picture's rectangle). */
void draw_travel_mark(SDL_Renderer *r, const struct rect *c, char kind);
/* Lines of the difference list above its runs (the summary, the regions). */
int travel_list_header(const struct view *v);
/* The history or difference list, in the log panel's place. */
void draw_side_list(struct view *v, const struct model *m);
/* Opens the history of the selected entry (frame: of its frame). */
void travel_open_history(struct view *v, const struct model *m, bool frame);
/* controls.c: a key of the time machine's; true when used. */
bool travel_key(struct view *v, const struct model *m, SDL_Keycode key, Uint16 mod);
/* controls.c: a click on a row of the history or difference list; true when it was one. */
bool travel_click_list(struct view *v, const struct model *m, int x, int y);
/* controls.c: the mouse on the timeline: down (0), moving while held (1), up (2). */
bool travel_mouse(struct view *v, int x, int y, int what);

#endif
