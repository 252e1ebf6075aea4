/*
 * model_tables.c: the model's page tables (struct ptab, model.h): made,
 * shared and freed by reference count, and a registry saying which table
 * each physical frame holds now, so that directory entries pointing at one
 * frame (the kernel half of every space, or a table a kernel maps twice)
 * share one table, as they do in the machine.
 *
 * The registry is open addressing with linear probing on the frame number,
 * MODEL_TABLE_SLOTS slots for at most MODEL_TABLES_MAX tables: never more
 * than half full, so a probe is short.
 */
#include <stdlib.h>
#include <string.h>
#include "model_internal.h"

_Static_assert(MODEL_TABLE_SLOTS >= 2 * MODEL_TABLES_MAX, "the registry stays at most half full");
_Static_assert((MODEL_TABLE_SLOTS & (MODEL_TABLE_SLOTS - 1)) == 0, "slots: a power of two");

static uint32_t home(uint32_t frame)
{
    return ((frame >> 12) * 2654435761u) & (MODEL_TABLE_SLOTS - 1);
}

static uint32_t find_slot(const struct model *m, uint32_t frame)
{
    uint32_t i = home(frame);
    while (m->registry[i] && m->registry[i]->frame != frame)
        i = (i + 1) & (MODEL_TABLE_SLOTS - 1);
    return i;
}

struct ptab *registry_get(const struct model *m, uint32_t frame)
{
    return m->registry[find_slot(m, frame)];
}

void registry_put(struct model *m, struct ptab *t)
{
    m->registry[find_slot(m, t->frame)] = t;
}

/* Takes t out of the registry if it is what its frame holds (backward-shift deletion). */
static void registry_remove(struct model *m, struct ptab *t)
{
    uint32_t i = find_slot(m, t->frame), j = i;
    if (m->registry[i] != t)
        return;
    m->registry[i] = NULL;
    for (;;) {
        j = (j + 1) & (MODEL_TABLE_SLOTS - 1);
        if (!m->registry[j])
            return;
        uint32_t h = home(m->registry[j]->frame);
        /* Moves j's table into the hole unless its home lies cyclically in (i, j]. */
        if ((i < j) ? (h <= i || h > j) : (h <= i && h > j)) {
            m->registry[i] = m->registry[j];
            m->registry[j] = NULL;
            i = j;
        }
    }
}

struct ptab *table_new(struct model *m, uint32_t frame, bool registered)
{
    struct ptab *t = NULL;
    if (m->tables < MODEL_TABLES_MAX && m->pool) { /* a cleared one: no 4 KiB to zero again */
        t = m->pool;
        m->pool = t->next_free;
        t->next_free = NULL;
    } else if (m->tables < MODEL_TABLES_MAX) {
        t = calloc(1, sizeof *t);
    }
    if (!t) {
        m->stats.table_limit++;
        return NULL;
    }
    t->frame = frame_of(frame);
    t->refs = 1;
    m->tables++;
    if (registered)
        registry_put(m, t);
    return t;
}

void table_unref(struct model *m, struct ptab *t)
{
    if (!t || --t->refs)
        return;
    registry_remove(m, t);
    m->tables--;
    /* cleared through its bitmap (the present entries are all it holds, unless stray) */
    if (t->stray) {
        memset(t->e, 0, sizeof t->e);
    } else {
        for (uint32_t w = 0; w < TABLE_WORDS; w++)
            for (uint64_t b = t->bits[w]; b; b &= b - 1)
                t->e[w * 64 + (uint32_t)__builtin_ctzll(b)] = 0;
    }
    memset(t->bits, 0, sizeof t->bits);
    t->present = t->seen = 0;
    t->stray = false;
    t->next_free = m->pool;
    m->pool = t;
}

void table_pool_free(struct model *m)
{
    while (m->pool) {
        struct ptab *t = m->pool;
        m->pool = t->next_free;
        free(t);
    }
}

void set_pte(struct ptab *t, uint32_t pti, uint32_t e)
{
    uint32_t was = (t->e[pti] & PTE_P) != 0, is = (e & PTE_P) != 0;
    t->e[pti] = e;
    t->stray |= e && !is;
    if (was != is)
        t->bits[pti / 64] ^= 1ull << (pti % 64);
    t->present = t->present + is - was;
}

uint32_t space_ptes(const struct space *sp)
{
    uint32_t n = 0;
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++)
        n += space_present(sp, pdi);
    return n;
}

/* The tables of one space (or the stage): each reference counted once in seen. */
static const char *check_tables(const struct model *m, const struct space *sp, uint32_t *distinct)
{
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        struct ptab *t = sp->table[pdi];
        if (!t)
            continue;
        if ((sp->dir[pdi] & (PTE_P | PDE_PS)) != PTE_P)
            return "model_check: table under an entry that is not a present table entry";
        if (t->seen++ == 0) {
            uint32_t present = 0;
            (*distinct)++;
            for (uint32_t pti = 0; pti < ENTRIES; pti++) {
                int p = (t->e[pti] & PTE_P) != 0;
                present += (uint32_t)p;
                if (p != (int)((t->bits[pti / 64] >> (pti % 64)) & 1))
                    return "model_check: table present bitmap wrong";
            }
            if (present != t->present)
                return "model_check: table present count wrong";
        }
        if (registry_get(m, t->frame) && registry_get(m, t->frame)->frame != t->frame)
            return "model_check: registry returns another frame's table";
    }
    return NULL;
}

/* Sets every table's seen count back to 0, checking it equals its references. */
static const char *settle_tables(const struct space *sp)
{
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        struct ptab *t = sp->table[pdi];
        if (!t || !t->seen)
            continue;
        if (t->seen != t->refs)
            return "model_check: a table's references and its holders differ";
        t->seen = 0;
    }
    return NULL;
}

const char *model_check_tables(const struct model *m)
{
    uint32_t distinct = 0, registered = 0;
    const char *why = NULL;
    for (uint32_t i = 0; i < m->nspaces && !why; i++)
        why = check_tables(m, m->spaces[i], &distinct);
    if (!why)
        why = check_tables(m, &m->stage.sp, &distinct);
    /* Settle every space even after a failure: the seen counts must go back to 0. */
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const char *w = settle_tables(m->spaces[i]);
        why = why ? why : w;
    }
    const char *w = settle_tables(&m->stage.sp);
    why = why ? why : w;
    if (why)
        return why;
    for (uint32_t i = 0; i < MODEL_TABLE_SLOTS; i++)
        registered += m->registry[i] != NULL;
    if (distinct != m->tables)
        return "model_check: tables allocated and held differ";
    if (registered > m->tables)
        return "model_check: the registry holds freed tables";
    if (m->tables > MODEL_TABLES_MAX)
        return "model_check: over the table limit";
    return NULL;
}
