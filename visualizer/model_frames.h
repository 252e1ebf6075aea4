/*
 * model_frames.h: what koiz-view knows of physical memory, from the kernel's
 * own frame allocator (docs/protocol.md, "Physical frames"): every frame's
 * owner as the last `physmap` told it and the `alloc` and `free` events since,
 * checked against the `frames` counters; and what the model's page tables say
 * of each frame: its references (the mappings that hold one) and every
 * virtual page, in every space, that maps it (the reverse map).
 *
 * All of it lives in one struct frame_map, allocated apart from the model
 * (model->frame_map), so a checkpoint of the model can copy it whole with
 * frame_map_copy. Its size: 3 bytes a frame for the owners and the references
 * pmm sent (3 MiB for the 4 GiB a 32-bit kernel can describe), plus what is
 * derived and rebuilt on demand: 4 bytes a frame of counted references, and
 * the reverse map, 4 bytes a frame and 8 bytes a mapping (the direct map of
 * 768 MiB is 196,608 of them). frame_map_bytes says how much it holds now.
 *
 * The derived parts follow the model's map_version: model_frame_refs and
 * model_frame_mappings rebuild them when the page tables moved since.
 * Pure C, no SDL.
 */
#ifndef KOIZ_VIEW_MODEL_FRAMES_H
#define KOIZ_VIEW_MODEL_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "record.h"

struct model;

/* A frame's class for the pictures: an owner word (enum word_OWNER), or one of these. */
#define FRAME_UNKNOWN OWNER_WORDS       /* no `physmap` has described it */
#define FRAME_SHARED  (OWNER_WORDS + 1) /* a user frame with more than one reference */
#define FRAME_CLASSES (OWNER_WORDS + 2)

#define FRAME_MAP_MAX (1u << 20) /* frames a `physmap` may describe: all of 4 GiB */

/* Why the frame owners may differ from pmm's. */
enum frames_untrusted {
    FRAMES_WHOLE,         /* equal to pmm's since the last good `physend` */
    FRAMES_NONE,          /* no `physmap` yet */
    FRAMES_RECEIVING,     /* a `physmap` under way */
    FRAMES_CUT,           /* a `physmap` arrived cut short or miscounted */
    FRAMES_LOST,          /* events were lost (`loss full`) */
    FRAMES_PAUSED,        /* events were paused (`loss pause`) */
    FRAMES_CONTRADICTION, /* an `alloc` or `free` did not fit the owners held */
    FRAMES_COUNTERS,      /* the `frames` counters disagree with the owners */
    FRAMES_UNTRUSTED_COUNT
};

/* One virtual page that maps a frame. */
struct frame_mapping {
    uint32_t asid; /* its space, or MODEL_NO_ASID: the kernel half, the same in every space */
    uint32_t va;   /* the page's address; bit 0 set: it lies in a 4 MiB page */
};

struct frame_map {
    uint64_t version;              /* moves with every change to the owners: redraw */
    uint32_t nframes;              /* frames the last `physmap` described, from address 0 (0: none yet) */
    uint8_t *owner;                /* enum word_OWNER per frame */
    uint16_t *sent;                /* the references pmm counted per frame, as the last `physmap` said */
    uint32_t count[FRAME_CLASSES]; /* frames of each owner (FRAME_SHARED is not counted here) */
    uint32_t seq, tick;            /* of the last good `physmap` */

    bool whole;
    enum frames_untrusted why; /* FRAMES_WHOLE when whole */
    uint32_t since;            /* the tick since when it is not whole */
    char detail[120];          /* what disagreed, for people ("" when nothing) */

    struct { /* the `physmap` being received */
        bool active, broken;
        uint32_t seq, tick, runs, next; /* next: the first frame not described yet */
    } stage;

    struct {
        uint64_t runs, events;       /* `phys` runs and `alloc`/`free` records applied */
        uint64_t contradictions;     /* events that did not fit */
        uint64_t counter_checks;     /* `frames` records held against the owners */
        uint64_t counter_mismatches; /* ... that disagreed */
        uint32_t refs_differ;        /* at the last good `physend`: frames whose references
                                        pmm counted differently from their mappings */
        uint32_t free_mapped;        /* at the last good `physend`: free frames still mapped */
    } stats;

    /* derived from the page tables (rebuilt when the model's map_version moved) */
    uint64_t refs_version, rmap_version; /* map_version they were made at, +1 (0: never) */
    uint32_t refs_frames, rmap_frames;   /* frames they cover */
    uint32_t *refs;                      /* per frame: 4 KiB mappings outside the direct map */
    uint32_t *rmap_first;                /* per frame + 1: where its mappings start in rmap */
    struct frame_mapping *rmap;
    uint32_t rmap_len, rmap_cap;
};

/* An empty map (no physmap yet); NULL when out of memory. */
struct frame_map *frame_map_new(void);
void frame_map_free(struct frame_map *fm);
/* Back to empty: a new boot. Keeps the memory. */
void frame_map_reset(struct frame_map *fm);
/* Makes dst an equal copy of src (a checkpoint, and back). 0, or -1 when out of memory (dst unchanged). */
int frame_map_copy(struct frame_map *dst, const struct frame_map *src);
/* Bytes fm holds now, derived parts included. */
size_t frame_map_bytes(const struct frame_map *fm);

/* The record kinds, applied (model.c's apply functions call these). */
void frames_physmap(struct model *m, const struct record *r);
void frames_phys(struct model *m, const struct record *r);
void frames_physend(struct model *m, const struct record *r);
void frames_alloc(struct model *m, const struct record *r, bool alloc);
/* A `frames` record: the counters held against the owners. */
void frames_counters(struct model *m, const struct record *r);
/* Events are being lost (paused: the kernel paused them) from tick on. */
void frames_loss(struct model *m, uint32_t tick, bool paused);

/* Frames the physical pictures cover: the physmap's, else RAM as `mem` said it. */
uint32_t model_frames_span(const struct model *m);
/* Frame f's owner (enum word_OWNER), FRAME_UNKNOWN when not described. */
unsigned model_frame_owner(const struct model *m, uint32_t f);
/* Frame f's references: for heap and user frames, its 4 KiB mappings outside
 * the direct map (a 4 MiB page holds none), as vmm counts them; else 0. */
uint32_t model_frame_refs(const struct model *m, uint32_t f);
/* Frame f's class for the pictures: its owner, or FRAME_SHARED. */
unsigned model_frame_class(const struct model *m, uint32_t f);
/* Every page mapping frame f: *out points at n of them (valid until the model
 * changes), user halves space by space in asid order, then the kernel half. */
uint32_t model_frame_mappings(const struct model *m, uint32_t f, const struct frame_mapping **out);
/* Free frames mapped outside the direct map, now (a contradiction). */
uint32_t model_frames_free_mapped(const struct model *m);

/* One class per frame into cls[0 .. n) (FRAME_UNKNOWN past the map), counting them by class. */
void model_phys_map(const struct model *m, uint8_t *cls, uint32_t n, uint32_t counts[FRAME_CLASSES]);
/* "free", "shared", "unknown": a class in words. */
const char *frame_class_name(unsigned cls);
/* "events lost", ...: why the frames are not whole, in words. */
const char *frames_untrusted_name(enum frames_untrusted why);
/* The frames' invariants: counts, the stage; NULL when they hold. */
const char *frame_map_check(const struct frame_map *fm);

/* Prints the frames as text: a line of counts, then a line per run of one class. */
void model_dump_frames(const struct model *m, FILE *f);

#endif
