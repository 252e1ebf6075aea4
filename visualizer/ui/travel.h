/*
 * travel.h: the time machine's answers as text, for koiz-view's headless
 * options (--at, --diff, --diff-spaces, --history, --history-frame) and for
 * lab handouts and scripts. Pure C, no SDL.
 */
#ifndef KOIZ_VIEW_TRAVEL_H
#define KOIZ_VIEW_TRAVEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli.h"
#include "history.h"
#include "model.h"

/* The moment m names in h: #N itself (clamped to the stream's records, with
 * *beyond set when it was past them), or the last moment of a tick. */
uint64_t travel_moment(struct history *h, const struct moment_arg *m, bool *beyond);
/* "#123 (tick 45)": a moment for people. */
const char *travel_moment_name(struct history *h, uint64_t n, char *buf, size_t size);

/* Every change of the entry of va in space asid (dir: its directory entry):
 * a line per change with the moment, the tick, the record's kind, old -> new
 * and the fault that made it. Returns how many changes. */
size_t travel_print_history(FILE *f, struct history *h, uint32_t asid, uint32_t va, bool dir);
/* Every change of an entry that mapped (or maps) the frame of pa. Returns how many. */
size_t travel_print_frame(FILE *f, struct history *h, uint32_t pa);
/* What changed from moment ma (model a) to mb (model b): a summary line, then a line per run. */
void travel_print_diff(FILE *f, struct history *h, const struct model *a, const struct model *b, uint64_t ma,
                       uint64_t mb);
/* Spaces x and y of m at moment n: a summary line, then a line per run. Returns -1
 * (after saying which) when one of them does not exist then. */
int travel_print_spaces(FILE *f, struct history *h, const struct model *m, uint64_t n, uint32_t x,
                        uint32_t y);

#endif
