/*
 * model_save.c: a model's whole state as bytes and back (model_save,
 * model_load), for the time machine's checkpoints (history.c). The bytes
 * stay inside one koiz-view process: they are host-endian and hold the
 * model's fixed fields as they are in memory. Only what is used is kept:
 * the present entries of each table (once, however many directories hold
 * it), the present directory entries of each space, the used part of the
 * rings. A model loaded from them dumps, draws and applies the next records
 * exactly as the model that was saved.
 *
 *   header     magic, sizes of the fixed parts
 *   core       struct model up to its rings (pointers in it are not used)
 *   rings      faults, log lines (their text only), tests, bench figures
 *   tables     count; each: frame, registered, present, (pti, entry) pairs
 *   spaces     count (the staging copy last when a snapshot is under way);
 *              each: struct space up to dir, then (pdi, entry, table) triples
 *   frames     struct frame_map up to its derived parts, then the owner of
 *              each frame it describes, padded to 4 bytes, and the references
 *              pmm sent (the derived parts are made again when asked)
 */
#include <stdlib.h>
#include <string.h>
#include "model_internal.h"
#include "model_save.h"

#define SAVE_MAGIC 0x4B5A4D31u /* "KZM1" */
#define NO_TABLE   0xFFFFFFFFu

/* ---- writing ---- */

static bool put(struct model_blob *b, const void *data, size_t n)
{
    if (!n)
        return true;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown)
            return false;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return true;
}

static bool put32(struct model_blob *b, uint32_t v)
{
    return put(b, &v, sizeof v);
}

/* Tables by address, for numbering each once: open addressing over a power of two. */
struct table_ids {
    const struct ptab **keys;
    uint32_t *ids;
    uint32_t cap, n;
    const struct ptab **order; /* by id */
};

static uint32_t table_id(struct table_ids *t, const struct ptab *p)
{
    uint32_t h = (uint32_t)(((uintptr_t)p >> 4) * 2654435761u) & (t->cap - 1);
    while (t->keys[h] && t->keys[h] != p)
        h = (h + 1) & (t->cap - 1);
    if (!t->keys[h]) {
        t->keys[h] = p;
        t->ids[h] = t->n;
        t->order[t->n++] = p;
    }
    return t->ids[h];
}

static bool put_space(struct model_blob *b, const struct space *sp, struct table_ids *ids)
{
    uint32_t n = 0;
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++)
        n += sp->dir[pdi] != 0 || sp->table[pdi] != NULL;
    if (!put(b, sp, offsetof(struct space, dir)) || !put32(b, n))
        return false;
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        if (!sp->dir[pdi] && !sp->table[pdi])
            continue;
        uint32_t id = sp->table[pdi] ? table_id(ids, sp->table[pdi]) : NO_TABLE;
        if (!put32(b, pdi) || !put32(b, sp->dir[pdi]) || !put32(b, id))
            return false;
    }
    return true;
}

int model_save(const struct model *m, struct model_blob *b)
{
    size_t start = b->len;
    struct table_ids ids = {0};
    struct model_blob spaces = {0};
    bool ok = true;
    uint32_t cap = 64;

    while (cap < 2 * (m->tables + 16))
        cap *= 2;
    ids.cap = cap;
    ids.keys = calloc(cap, sizeof *ids.keys);
    ids.ids = calloc(cap, sizeof *ids.ids);
    ids.order = calloc(cap, sizeof *ids.order);
    if (!ids.keys || !ids.ids || !ids.order)
        ok = false;

    /* Spaces first into their own buffer: numbering their tables as they come. */
    uint32_t nspaces = m->nspaces + (m->stage.active ? 1 : 0);
    ok = ok && put32(&spaces, nspaces);
    for (uint32_t i = 0; ok && i < m->nspaces; i++)
        ok = put_space(&spaces, m->spaces[i], &ids);
    if (ok && m->stage.active)
        ok = put_space(&spaces, &m->stage.sp, &ids);

    uint32_t header[4] = {SAVE_MAGIC, (uint32_t)offsetof(struct model, faults),
                          (uint32_t)offsetof(struct space, dir), (uint32_t)sizeof(struct ptab)};
    ok = ok && put(b, header, sizeof header) && put(b, m, offsetof(struct model, faults));
    /* the rings, oldest first for the log, newest first for faults (as read back) */
    for (uint32_t i = 0; ok && i < m->fault_count; i++)
        ok = put(b, model_fault(m, i), sizeof(struct fault_event));
    for (uint32_t i = 0; ok && i < m->log_count; i++) {
        const struct log_line *l = model_log(m, i);
        ok = put(b, l, offsetof(struct log_line, text)) && put(b, l->text, l->len);
    }
    ok = ok && put(b, m->tests, m->test_count * sizeof m->tests[0]) &&
         put(b, m->bench, m->bench_count * sizeof m->bench[0]);

    ok = ok && put32(b, ids.n);
    for (uint32_t i = 0; ok && i < ids.n; i++) {
        const struct ptab *t = ids.order[i];
        ok = put32(b, t->frame) && put32(b, registry_get(m, t->frame) == t) && put32(b, t->present);
        for (uint32_t w = 0; ok && w < TABLE_WORDS; w++)
            for (uint64_t bits = t->bits[w]; ok && bits; bits &= bits - 1) {
                uint32_t pti = w * 64 + (uint32_t)__builtin_ctzll(bits);
                ok = put32(b, pti) && put32(b, t->e[pti]);
            }
    }
    ok = ok && put(b, spaces.data, spaces.len);

    const struct frame_map *fm = m->frame_map;
    static const unsigned char pad[4];
    ok = ok && put(b, fm, offsetof(struct frame_map, refs_version)) && put(b, fm->owner, fm->nframes) &&
         put(b, pad, (4 - fm->nframes % 4) % 4) && put(b, fm->sent, fm->nframes * sizeof *fm->sent);

    free(spaces.data);
    free(ids.keys);
    free(ids.ids);
    free(ids.order);
    if (!ok)
        b->len = start;
    return ok ? 0 : -1;
}

/* ---- reading ---- */

struct reader {
    const unsigned char *p, *end;
    bool bad;
};

static const void *take(struct reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const void *at = r->p;
    r->p += n;
    return at;
}

static uint32_t take32(struct reader *r)
{
    uint32_t v = 0;
    const void *at = take(r, sizeof v);
    if (at)
        memcpy(&v, at, sizeof v);
    return v;
}

/* Reads one space's contents into sp (empty), holding tables from the list. */
static bool take_space(struct reader *r, struct space *sp, struct ptab **tables, uint32_t ntables)
{
    const void *head = take(r, offsetof(struct space, dir));
    if (!head)
        return false;
    memcpy(sp, head, offsetof(struct space, dir));
    uint32_t n = take32(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint32_t pdi = take32(r), e = take32(r), id = take32(r);
        if (r->bad || pdi >= ENTRIES || (id != NO_TABLE && id >= ntables))
            return false;
        sp->dir[pdi] = e;
        if (id != NO_TABLE) {
            sp->table[pdi] = tables[id];
            tables[id]->refs++;
        }
    }
    return !r->bad;
}

int model_load(struct model *m, const void *data, size_t len)
{
    struct reader r = {data, (const unsigned char *)data + len, false};
    const uint32_t *header = take(&r, 4 * sizeof(uint32_t));
    if (!header || header[0] != SAVE_MAGIC || header[1] != offsetof(struct model, faults) ||
        header[2] != offsetof(struct space, dir) || header[3] != sizeof(struct ptab))
        return -1;

    /* What belongs to this model and not to the saved one. */
    void (*on_change)(void *, const struct entry_change *) = m->on_change;
    void *change_ctx = m->change_ctx;
    void (*check_change)(void *, const struct entry_change *) = m->check_change;
    /* Versions only move on, so a picture drawn of another moment is never taken for this one's. */
    uint64_t version = m->version, map_version = m->map_version;
    m->on_change = NULL; /* emptying it is no change anyone is told of */
    m->check_change = NULL;
    model_reset(m);
    struct model_keep keep = model_keep_of(m); /* the sanitizer's hook NULL until the load is done */
    struct ptab **tables = NULL;
    uint32_t ntables = 0;

    const void *core = take(&r, offsetof(struct model, faults));
    if (!core)
        goto bad;
    memcpy(m, core, offsetof(struct model, faults));
    model_keep_put(m, &keep);
    m->ended = NULL; /* model_reset let this model's go; the saved one's is not kept */
    m->on_change = NULL;
    m->change_ctx = change_ctx;
    m->version = (m->version > version ? m->version : version) + 1;
    m->map_version = (m->map_version > map_version ? m->map_version : map_version) + 1;
    uint32_t nspaces_saved = m->nspaces;
    bool stage_active = m->stage.active;
    m->nspaces = 0;
    m->tables = 0;
    memset(m->stage.sp.dir, 0, sizeof m->stage.sp.dir);
    memset(m->stage.sp.table, 0, sizeof m->stage.sp.table);
    m->stage.active = false; /* until its contents are back */

    if (m->fault_count > MODEL_FAULTS || m->log_count > MODEL_LOG_LINES || m->test_count > MODEL_TESTS ||
        m->bench_count > MODEL_BENCH)
        goto bad;
    for (uint32_t i = 0; i < m->fault_count; i++) {
        const void *f = take(&r, sizeof(struct fault_event));
        if (!f)
            goto bad;
        memcpy(&m->faults[i], f, sizeof m->faults[i]);
    }
    m->fault_head = 0;
    for (uint32_t i = 0; i < m->log_count; i++) {
        struct log_line *l = &m->log[i];
        const void *fixed = take(&r, offsetof(struct log_line, text));
        if (!fixed)
            goto bad;
        memcpy(l, fixed, offsetof(struct log_line, text));
        const void *text = l->len < sizeof l->text ? take(&r, l->len) : NULL;
        if (!text)
            goto bad;
        memcpy(l->text, text, l->len);
        l->text[l->len] = '\0';
    }
    m->log_head = 0;
    const void *tests = take(&r, m->test_count * sizeof m->tests[0]);
    const void *bench = take(&r, m->bench_count * sizeof m->bench[0]);
    if (r.bad)
        goto bad;
    memcpy(m->tests, tests, m->test_count * sizeof m->tests[0]);
    memcpy(m->bench, bench, m->bench_count * sizeof m->bench[0]);

    ntables = take32(&r);
    if (r.bad || ntables > MODEL_TABLES_MAX + ENTRIES || !(tables = calloc(ntables + 1, sizeof *tables)))
        goto bad;
    for (uint32_t i = 0; i < ntables; i++) {
        uint32_t frame = take32(&r), registered = take32(&r), present = take32(&r);
        if (r.bad || present > ENTRIES || !(tables[i] = table_new(m, frame, registered != 0)))
            goto bad;
        tables[i]->refs = 0; /* counted again as spaces take them */
        for (uint32_t k = 0; k < present; k++) {
            uint32_t pti = take32(&r), e = take32(&r);
            if (r.bad || pti >= ENTRIES)
                goto bad;
            set_pte(tables[i], pti, e);
        }
    }

    uint32_t nspaces = take32(&r);
    if (r.bad || nspaces != nspaces_saved + (stage_active ? 1 : 0) || nspaces_saved > MODEL_SPACES_MAX)
        goto bad;
    if (nspaces_saved > m->spaces_cap) {
        struct space **grown = realloc(m->spaces, nspaces_saved * sizeof *grown);
        if (!grown)
            goto bad;
        m->spaces = grown;
        m->spaces_cap = nspaces_saved;
    }
    for (uint32_t i = 0; i < nspaces_saved; i++) {
        struct space *sp = calloc(1, sizeof *sp);
        if (!sp)
            goto bad;
        m->spaces[m->nspaces++] = sp;
        if (!take_space(&r, sp, tables, ntables))
            goto bad;
    }
    if (stage_active) {
        m->stage.active = true; /* so that a reset lets go of what it holds, even half read */
        if (!take_space(&r, &m->stage.sp, tables, ntables))
            goto bad;
    }
    /* A table no space held (none is saved so): let it go. */
    for (uint32_t i = 0; i < ntables; i++)
        if (tables[i]->refs == 0) {
            tables[i]->refs = 1;
            table_unref(m, tables[i]);
        }
    free(tables);
    tables = NULL;

    struct frame_map saved;
    const void *fixed = take(&r, offsetof(struct frame_map, refs_version));
    if (!fixed)
        goto bad_after;
    memset(&saved, 0, sizeof saved);
    memcpy(&saved, fixed, offsetof(struct frame_map, refs_version));
    if (saved.nframes > FRAME_MAP_MAX)
        goto bad_after;
    saved.owner = (uint8_t *)take(&r, saved.nframes);
    take(&r, (4 - saved.nframes % 4) % 4);
    saved.sent = (uint16_t *)take(&r, saved.nframes * sizeof *saved.sent);
    if (r.bad)
        goto bad_after;
    /* its version only moves on too; frame_map_copy adds one more */
    saved.version = saved.version > m->frame_map->version ? saved.version : m->frame_map->version;
    if (frame_map_copy(m->frame_map, &saved) != 0 || r.p != r.end)
        goto bad_after;
    m->on_change = on_change;
    m->check_change = check_change;
    return 0;

bad:
    if (tables)
        for (uint32_t i = 0; i < ntables; i++)
            if (tables[i] && tables[i]->refs == 0) {
                tables[i]->refs = 1;
                table_unref(m, tables[i]);
            }
    free(tables);
bad_after:
    model_reset(m);
    m->on_change = on_change;
    m->check_change = check_change;
    m->change_ctx = change_ctx;
    m->version = version + 1;
    m->map_version = map_version + 1;
    return -1;
}
