/*
 * sanitizer.h: koiz-view's paging sanitizer: the rules a kernel's paging must
 * keep, checked record by record as the model applies a stream
 * (docs/sanitizer.md explains each rule and why it is exact on Koiz's own
 * streams). Pure C, no SDL.
 *
 * How it sees the stream: sanitizer_watch hooks the model's entry changes
 * (every entry that changes, and why: the record being applied), and
 * sanitizer_record is told each record after the model applied it, with its
 * moment (its number in the stream, from 1). What it keeps: per frame, how
 * many user pages map it and how many of those are writable; the entries of
 * the live space (and the kernel's half) that lost a right or their frame
 * and wait for their TLB entry to be dropped; frames given back while a user
 * page still mapped them, until the next record shows whether the mapping
 * went too. Warnings are kept in order, SAN_WARNINGS_MAX at most (the count
 * goes on).
 */
#ifndef KOIZ_VIEW_SANITIZER_H
#define KOIZ_VIEW_SANITIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

/* The rules; the names are what --check prints and docs/sanitizer.md's headings. */
#define SAN_RULES(R)                                                                              \
    R(SAN_STALE_TLB, "stale-tlb",                                                                 \
      "an entry lost a right or its frame and the kernel went on before "                         \
      "dropping the TLB entry (invlpg, a flush, or a CR3 load)")                                  \
    R(SAN_FREED_MAPPED, "freed-mapped", "a frame was given back while a user page still maps it") \
    R(SAN_BROKEN_COW, "broken-cow",                                                               \
      "a frame is mapped by user pages of several spaces and one of "                             \
      "them is writable: a write in one space changes the others")                                \
    R(SAN_KERNEL_EXPOSED, "kernel-exposed",                                                       \
      "a user-accessible entry in the kernel's half, or a user "                                  \
      "page mapping a frame the kernel owns")                                                     \
    R(SAN_LEAK, "leak",                                                                           \
      "a space ended and a frame only it mapped is still owned by user pages: "                   \
      "nobody can map or free it again")                                                          \
    R(SAN_BAD_FRAME, "bad-frame",                                                                 \
      "a user page maps a frame in a hole of the memory map, or RAM the "                         \
      "firmware keeps")

#define SAN_ENUM(id, name, about) id,
enum san_rule { SAN_RULES(SAN_ENUM) SAN_RULE_COUNT };
#undef SAN_ENUM

#define SAN_WARNINGS_MAX 4096

struct san_warning {
    enum san_rule rule;
    uint64_t moment;   /* the record after which it was found (its number, from 1) */
    uint64_t cause;    /* the record that made it (the change, the free): <= moment */
    uint32_t tick;     /* of the moment */
    uint32_t asid;     /* the space, or MODEL_NO_ASID: the kernel's half, all spaces */
    uint32_t va;       /* the page (or the start of a 4 MiB one); 0 when none */
    uint32_t frame;    /* the physical address concerned */
    uint32_t old, new; /* the entry before and after, where an entry changed */
    char text[160];    /* one sentence for people */
};

struct sanitizer;

/* A sanitizer with nothing seen; NULL when out of memory. */
struct sanitizer *sanitizer_new(void);
void sanitizer_free(struct sanitizer *s);
/* Hooks m's entry changes (model.check_change); call before the first record. */
void sanitizer_watch(struct sanitizer *s, struct model *m);
/* Tells s that m has just applied r, the moment-th record of the stream. */
void sanitizer_record(struct sanitizer *s, const struct model *m, const struct record *r, uint64_t moment);

/* Warnings found (all of them, also past the ones kept), and the i-th kept one (NULL past them). */
uint64_t sanitizer_count(const struct sanitizer *s);
const struct san_warning *sanitizer_warning(const struct sanitizer *s, size_t i);
size_t sanitizer_kept(const struct sanitizer *s);
/* Whether the stream is one koiz-view made from QEMU's GDB stub (hello's build GDB_STUB_BUILD):
 * it has no TLB, frame or fork records, so no rule is held against it. */
bool sanitizer_foreign(const struct sanitizer *s);
/* Records seen while the model was not whole (records lost): no rule was held against them. */
uint64_t sanitizer_unchecked(const struct sanitizer *s);
/* "stale-tlb", and the rule in one sentence. */
const char *san_rule_name(enum san_rule rule);
const char *san_rule_about(enum san_rule rule);
/* Warnings found at moments up to upto (UINT64_MAX: all). */
uint64_t sanitizer_count_until(const struct sanitizer *s, uint64_t upto);
/* One line per warning up to moment upto: "#MOMENT tick T rule: text". */
void sanitizer_print(const struct sanitizer *s, FILE *f, uint64_t upto);

#endif
