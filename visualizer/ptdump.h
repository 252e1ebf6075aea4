/*
 * ptdump.h: a 32-bit page directory and its tables as text, one line per
 * run of pages (like Linux's ptdump): pages of one size and equal leaf flags
 * whose virtual and physical addresses both go up together,
 *
 *   0xc0000000-0xc2000000   32M -> 0x00000000 4M RW    G
 *   start      end (excl.)  size   first frame, page size, leaf flags
 *
 * Flags: RW or ro, USR, PWT, PCD, A, D, G, PAT (4 KiB pages only), avl=N
 * (the three bits left to software). `koiz-view --dump` prints the model
 * with it (model_dump) and tests/tools/gdb_peek the tables read from a
 * guest's memory, so the two can be compared line by line. Pure C.
 */
#ifndef KOIZ_VIEW_PTDUMP_H
#define KOIZ_VIEW_PTDUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Prints the mappings of one directory: dir holds the 1024 raw directory
 * entries; table[i] the 1024 raw entries of the table dir[i] points to, or
 * NULL when it is unknown (its pages are then left out: the caller says
 * why). pse: CR4.PSE, so a present PDE with PS set maps a 4 MiB page;
 * without it the CPU ignores PS and the entry points to a table like any
 * other. Only present entries are visited.
 */
void ptdump_runs(FILE *f, const uint32_t *dir, uint32_t *const *table, bool pse);

#endif
