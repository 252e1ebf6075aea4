/*
 * model_internal.h: what the model's .c files share and its readers do not:
 * the page-table objects (model_tables.c).
 */
#ifndef KOIZ_VIEW_MODEL_INTERNAL_H
#define KOIZ_VIEW_MODEL_INTERNAL_H

#include "model.h"

/* A zeroed table for the directory entry frame `frame`, with one reference,
 * registered as what that frame holds when `registered`; NULL (counted in
 * stats.table_limit) past MODEL_TABLES_MAX or out of memory. */
struct ptab *table_new(struct model *m, uint32_t frame, bool registered);
/* Drops one reference; the last frees the table (and its registry slot). NULL is fine. */
void table_unref(struct model *m, struct ptab *t);
/* Frees the tables kept cleared for reuse (table_unref keeps them). */
void table_pool_free(struct model *m);
/* The table frame holds now, or NULL. */
struct ptab *registry_get(const struct model *m, uint32_t frame);
/* Makes t what its frame holds now, in place of any other. */
void registry_put(struct model *m, struct ptab *t);
/* Sets entry pti of t, keeping its present bitmap and count. */
void set_pte(struct ptab *t, uint32_t pti, uint32_t e);
/* The tables' invariants: bitmaps, counts, references, the registry; NULL when they hold. */
const char *model_check_tables(const struct model *m);

/* What a model keeps when its contents are emptied or replaced (model_reset, model_load): the
 * memory it reuses, and the sanitizer's hook. */
struct model_keep {
    struct space **spaces;
    uint32_t spaces_cap;
    struct ptab **registry, *pool;
    struct frame_map *frame_map;
    void (*check_change)(void *ctx, const struct entry_change *c);
    void *check_ctx;
};

static inline struct model_keep model_keep_of(const struct model *m)
{
    return (struct model_keep){m->spaces,    m->spaces_cap,   m->registry, m->pool,
                               m->frame_map, m->check_change, m->check_ctx};
}

static inline void model_keep_put(struct model *m, const struct model_keep *k)
{
    m->spaces = k->spaces;
    m->spaces_cap = k->spaces_cap;
    m->registry = k->registry;
    m->pool = k->pool;
    m->frame_map = k->frame_map;
    m->check_change = k->check_change;
    m->check_ctx = k->check_ctx;
}

#endif
