/*
 * model_diff.h: what differs between two moments of the model, or between
 * two address spaces at one moment, as runs of pages (like ptdump's):
 *
 *   moments   +  mapped at B, not at A          spaces   +  only in Y
 *             -  mapped at A, not at B                   -  only in X
 *             ~  mapped at both, another frame            ~  both, another frame (a copy)
 *                or other flags                          =  both, the same frame (shared)
 *
 * Accessed and dirty bits are left aside (the CPU sets them; the kernel does
 * not report it). The kernel half of two spaces is left out of a space
 * difference (every space shares it). Pure C.
 */
#ifndef KOIZ_VIEW_MODEL_DIFF_H
#define KOIZ_VIEW_MODEL_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

struct diff_run {
    char kind;           /* '+', '-', '~' or '=' */
    uint32_t asid;       /* the space (a moments difference), or X (a spaces difference) */
    uint64_t start, end; /* virtual range, end excluded */
    uint32_t size;       /* page size: 4 KiB or 4 MiB */
    uint32_t old, new;   /* the first page's entries at A (or in X) and at B (or in Y); 0 when none */
};

struct diff_counts {
    uint64_t pages[4]; /* 4 KiB pages in '+', '-', '~', '=' runs (a 4 MiB page counts 1024) */
    uint64_t runs;
};

typedef void (*diff_sink)(void *ctx, const struct diff_run *run);

/* Neighbouring runs of one space, summed up: "0x08049000-0x08088fff: 32 changed". */
struct diff_region {
    uint32_t asid;
    uint64_t start, end;
    uint64_t pages[4]; /* as diff_counts */
};
#define DIFF_REGION_GAP (1u << 20) /* runs less than this far apart make one region */

/* Groups runs (in (asid, va) order, as the diffs make them) into regions; returns how
 * many there are, writing at most max of them. */
size_t diff_regions(const struct diff_run *runs, size_t n, struct diff_region *out, size_t max);

/* The runs of what differs between model a (moment A) and b (moment B), space
 * by space in asid order (a space in one only: all its pages + or -). */
void diff_moments(const struct model *a, const struct model *b, diff_sink sink, void *ctx,
                  struct diff_counts *counts);
/* The runs of the user halves of spaces x and y (shared pages too, as '='). */
void diff_spaces(const struct space *x, const struct space *y, diff_sink sink, void *ctx,
                 struct diff_counts *counts);
/* One run as text, ptdump-like: "+ 0x08048000-0x0804a000    8K -> 0x00123000 4K RW USR". */
void diff_print(FILE *f, const struct diff_run *run);
/* An entry in words: "none", "0x00123000 4K RW USR COW", "table 0x00456000 RW USR" (a
 * directory entry pointing to a table), "not present (0x00000400)". dir: a directory entry. */
void entry_words(char *out, size_t size, uint32_t e, bool dir);
/* The index of a diff kind in diff_counts.pages: '+' 0, '-' 1, '~' 2, '=' 3. */
int diff_kind_index(char kind);

#endif
