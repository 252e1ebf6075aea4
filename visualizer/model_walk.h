/*
 * model_walk.h: following a virtual address through one space's tables as
 * the MMU does (CR3 -> directory entry -> table entry, or a 4 MiB page ->
 * frame -> offset), from the model's copy of them; where it stops, which
 * level was missing; which fault a user or supervisor read or write would
 * raise there (with CR0.WP set, as Koiz runs); and from the frame back to
 * every page that maps it. The window's walk view and `koiz-view --walk` /
 * `--frame` print the same lines. Pure C, no SDL.
 */
#ifndef KOIZ_VIEW_MODEL_WALK_H
#define KOIZ_VIEW_MODEL_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

enum walk_stop {
    WALK_MAPPED,   /* translated: pa is valid */
    WALK_NO_SPACE, /* the model holds no such space */
    WALK_NO_PDE,   /* the directory entry is not present */
    WALK_NO_TABLE, /* the directory entry is present, the model lacks its table */
    WALK_NO_PTE,   /* the table entry is not present */
};

/* The four accesses a fault is predicted for: user or supervisor, read or write. */
enum { WALK_USER_READ, WALK_USER_WRITE, WALK_KERNEL_READ, WALK_KERNEL_WRITE, WALK_ACCESSES };
#define WALK_NO_FAULT 0xFFFFFFFFu

struct walk {
    uint32_t asid, va;
    enum walk_stop stop;
    uint32_t cr3;                  /* the directory's physical address */
    bool whole;                    /* the space is whole in the model */
    uint32_t pdi, pde, pde_at;     /* directory index, entry, the entry's physical address */
    bool large;                    /* a 4 MiB page */
    uint32_t pti, pte, pte_at;     /* table index, entry, its physical address (4 KiB pages) */
    uint32_t frame, offset, pa;    /* WALK_MAPPED: the frame (4 KiB), the offset in the page, the result */
    uint32_t error[WALK_ACCESSES]; /* the page-fault error code each access would raise, or WALK_NO_FAULT */
};

/* Walks va in space asid (MODEL_NO_ASID: the live space) and fills *w. Returns w->stop. */
enum walk_stop model_walk(const struct model *m, uint32_t asid, uint32_t va, struct walk *w);

/* The walk as lines for people (at most max lines of WALK_LINE bytes): the
 * CR3, each entry with its index, address, raw value and bits, the frame
 * and offset or where it stopped, the frame's owner and its other mappings,
 * and what each access would do. Returns the number of lines. */
#define WALK_LINE  128
#define WALK_LINES 14
int walk_lines(const struct model *m, const struct walk *w, char lines[][WALK_LINE], int max);
/* The lines, then a last one for scripts: "result VA -> PA" or "result VA -> none (LEVEL)". */
void walk_print(const struct model *m, const struct walk *w, FILE *f);
/* Frame pa: its owner, references and every page that maps it, a line each. */
void frame_print(const struct model *m, uint32_t pa, FILE *f);

/* An entry's bits in words: "P W U A D PS G COW" (PS for a directory entry only). */
const char *entry_bits(uint32_t entry, bool dir, char *buf, size_t size);
/* One mapping of a frame in words: "asid 3 va 0x08001000" or "kernel half va 0xc01a3000 (4 MiB page)". */
const char *mapping_words(const struct frame_mapping *mp, char *buf, size_t size);

#endif
