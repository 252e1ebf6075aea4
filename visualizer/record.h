/*
 * record.h: one telemetry record as typed values, the hand-off between the
 * parser (which scans a line by the protocol's table and checks what the
 * table cannot say: ranges, runs inside one table, counts >= 1) and the
 * model (which applies it). The kinds, their fields and their words are
 * the protocol's own (include/koiz/records.h, made from records.def).
 *
 * Text fields point into the parser's line buffer and are valid only during
 * the model_apply() call that receives the record; they are not terminated.
 */
#ifndef KOIZ_VIEW_RECORD_H
#define KOIZ_VIEW_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <koiz/paging.h>  /* entry bits, PDX/PTX, page sizes, page-fault error bits */
#include <koiz/records.h> /* enum record_type, struct record, the word sets */

/* "map", "ptab-alloc", "tlb-all", ...: a kind's own name (its row in
 * records.def, '_' spelt '-'), for stats, messages and --until. */
const char *record_type_name(enum record_type t);
/* The kind named name (as record_type_name spells it), else RT_COUNT. */
enum record_type record_type_named(const char *name);
/* "zero-filled", ...: the wire spelling of an outcome. */
static inline const char *fault_outcome_name(enum word_OUTCOME o)
{
    return word_name(WS_OUTCOME, o);
}

#endif
