/*
 * gdb_watch.c: polls of a guest's paging made into protocol records
 * (gdb_watch.h). The watch keeps what the reader's model holds, as the
 * records it sent made it: each space's directory, and each table frame's
 * entries once (the model, like the hardware, holds one table per frame
 * however many entries point to it). A poll is compared with that, and
 * the records that take the model to the poll are sent, in an order the
 * model accepts: spaces that went away, then tables' entries, then
 * directory entries taken away, then directory entries added, then
 * snapshots of what events could not say, then the switch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include <koiz/x86_regs.h>
#include "gdb_watch.h"

#define AD             (PTE_A | PTE_D)
#define SAME(a, b)     ((((a) ^ (b)) & ~(uint32_t)AD) == 0) /* equal, accessed and dirty aside */
#define LARGE_FRAME(e) ((e)&0xFFFFF000u)                    /* a 4 MiB entry's bits 12-31, PAT included */

/* A space the model holds (or is about to get, `fresh`). */
struct wspace {
    uint32_t asid, phys;
    uint32_t dir[ENTRIES]; /* the directory as the model holds it */
    bool fresh;            /* not in the model yet: its snapshot goes with this update */
    bool whole;            /* its last snapshot was complete */
    bool resync;           /* this update: a snapshot replaces what events cannot say */
    bool forget;           /* the user asked: destroyed with the next update */
    bool said_cut;         /* a warning about its unread tables went out since it was last whole */
    uint64_t live_poll;    /* the last update it was live in */
    const struct gdb_directory *reading; /* this update's, or NULL */
};

/* A table frame's entries as the model holds them. */
struct wtable {
    uint32_t frame;
    bool kept; /* tables_rebuild's scratch */
    uint32_t e[ENTRIES];
};

/* Open addressing by frame; cap is a power of two, at most half full. */
struct fmap {
    uint32_t cap, count;
    uint32_t *key;
    void **val;
};

struct gdb_watch {
    uint32_t ram_kib;
    bool hello_sent;
    bool drawing; /* the model holds the spaces of a drawable poll */
    bool pse;     /* the mode they were read in */
    char says[200], said[200];
    struct wspace *spaces[GDB_WATCH_SPACES_MAX];
    uint32_t nspaces;
    uint32_t next_asid, round_seq, snap_seq;
    struct fmap tables; /* frame -> struct wtable */
    struct gdb_watch_stats stats;

    /* one update's */
    gdb_watch_emit_fn emit;
    void *arg;
    uint32_t tick;
    bool pse_now;
    struct fmap read; /* frame -> const uint32_t *: the tables read by this poll */
};

/* ---- frame maps ---- */

static uint32_t fmap_slot(const struct fmap *m, uint32_t frame)
{
    uint32_t h = (frame >> 12) * 2654435761u & (m->cap - 1);
    while (m->val[h] && m->key[h] != frame)
        h = (h + 1) & (m->cap - 1);
    return h;
}

static void *fmap_get(const struct fmap *m, uint32_t frame)
{
    return m->cap ? m->val[fmap_slot(m, frame)] : NULL;
}

static int fmap_init(struct fmap *m, uint32_t cap)
{
    m->cap = cap;
    m->count = 0;
    m->key = calloc(cap, sizeof *m->key);
    m->val = calloc(cap, sizeof *m->val);
    return m->key && m->val ? 0 : -1;
}

static void fmap_free(struct fmap *m)
{
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof *m);
}

/* Puts (frame, val), val not NULL. Returns 0, or -1 out of memory. */
static int fmap_put(struct fmap *m, uint32_t frame, void *val)
{
    if (!m->cap && fmap_init(m, 256))
        return -1;
    if ((m->count + 1) * 2 > m->cap) {
        struct fmap grown;
        if (fmap_init(&grown, m->cap * 2)) {
            fmap_free(&grown);
            return -1;
        }
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->val[i]) {
                uint32_t h = fmap_slot(&grown, m->key[i]);
                grown.key[h] = m->key[i];
                grown.val[h] = m->val[i];
                grown.count++;
            }
        fmap_free(m);
        *m = grown;
    }
    uint32_t h = fmap_slot(m, frame);
    m->count += !m->val[h];
    m->key[h] = frame;
    m->val[h] = val;
    return 0;
}

static void fmap_clear(struct fmap *m)
{
    if (m->cap) {
        memset(m->val, 0, m->cap * sizeof *m->val);
        m->count = 0;
    }
}

/* ---- records ---- */

static void send(struct gdb_watch *w, enum record_type t, const void *fields)
{
    char line[PROTO_LINE_MAX + 16];
    size_t n = rec_format(line, sizeof line, t, fields);
    if (!n)
        return;
    w->stats.records++;
    if (records_table()[t].cls == RC_EVENT)
        w->stats.events++;
    w->emit(w->arg, line, n);
}

static void warn(struct gdb_watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct gdb_watch *w, const char *fmt, ...)
{
    char text[PROTO_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    send(w, RT_WARN, &(struct rec_warn){.text = text_of(text)});
}

/* ---- what a poll read, as the model would hold it ---- */

static bool is_table(uint32_t e)
{
    return (e & (PTE_P | PDE_PS)) == PTE_P;
}

static bool is_large(uint32_t e)
{
    return (e & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS);
}

/* The model's view of entry i of the space's new reading. */
static uint32_t new_pde(const struct gdb_watch *w, const struct wspace *s, uint32_t i)
{
    return gdb_paging_model_pde(w->pse_now, s->reading->dir[i]);
}

/* Whether every table the new reading's directory points to was read. */
static bool reading_whole(const struct gdb_watch *w, const struct wspace *s)
{
    for (uint32_t i = 0; i < ENTRIES; i++)
        if (is_table(new_pde(w, s, i)) && s->reading->table_state[i] != GDB_TABLE_READ)
            return false;
    return true;
}

/* ---- snapshots ---- */

struct runs {
    struct gdb_watch *w;
    uint32_t asid, pde; /* pde: for pte runs */
    bool dir;
    uint32_t first, count, entry, step;
    uint32_t records;
};

static void run_flush(struct runs *r)
{
    if (!r->count)
        return;
    if (r->dir)
        send(r->w, RT_PDE, &(struct rec_pde){r->asid, r->first, r->count, r->entry});
    else
        send(r->w, RT_PTE, &(struct rec_pte){r->asid, r->pde, r->first, r->count, r->entry});
    r->records++;
    r->count = 0;
}

/* Adds entry i (present) to the run, or starts another. */
static void run_add(struct runs *r, uint32_t i, uint32_t e, uint32_t step)
{
    if (r->count && i == r->first + r->count && step == r->step && e == r->entry + r->count * step &&
        e >= r->entry) {
        r->count++;
        return;
    }
    run_flush(r);
    r->first = i;
    r->count = 1;
    r->entry = e;
    r->step = step;
}

/*
 * A snapshot of s from its reading. A table that was not read leaves its
 * directory entry out while `end` counts it: the model then holds the space
 * as not whole, and keeps what it had. Returns whether it was whole.
 */
static bool snapshot(struct gdb_watch *w, struct wspace *s)
{
    uint32_t seq = ++w->snap_seq, pdes = 0, ptes = 0;
    const struct gdb_directory *d = s->reading;
    struct runs r = {.w = w, .asid = s->asid, .dir = true};
    bool whole = true;
    send(w, RT_SNAP, &(struct rec_snap){seq, s->asid, s->phys, w->tick});
    w->stats.snapshots++;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t e = new_pde(w, s, i);
        if (!e)
            continue;
        pdes++;
        if (is_table(e) && d->table_state[i] != GDB_TABLE_READ) {
            whole = false;
            continue;
        }
        run_add(&r, i, e, is_large(e) ? LARGE_PAGE_SIZE : PAGE_SIZE);
    }
    run_flush(&r);
    r.dir = false;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t e = new_pde(w, s, i);
        if (!is_table(e) || d->table_state[i] != GDB_TABLE_READ)
            continue;
        r.pde = i;
        for (uint32_t j = 0; j < ENTRIES; j++)
            if (d->table[i][j] & PTE_P) {
                run_add(&r, j, d->table[i][j], PAGE_SIZE);
                ptes++;
            }
        run_flush(&r);
    }
    send(w, RT_END, &(struct rec_end){seq, s->asid, pdes, ptes, r.records});
    s->whole = whole;
    s->fresh = false;
    if (whole) {
        s->said_cut = false;
        for (uint32_t i = 0; i < ENTRIES; i++)
            s->dir[i] = new_pde(w, s, i);
    } else if (!s->said_cut) {
        /* the model keeps the space as it was, marked not whole (the snapshot was cut) */
        for (uint32_t i = 0; i < ENTRIES; i++)
            if (is_table(new_pde(w, s, i)) && d->table_state[i] != GDB_TABLE_READ) {
                warn(w,
                     "space %u (cr3 0x%08x): the table 0x%08x under 0x%08x could not be read (%s); "
                     "the picture of this space is not whole",
                     s->asid, s->phys, frame_of(d->dir[i]), i << 22,
                     d->table_state[i] == GDB_TABLE_OVER_LIMIT ? "over the limit of tables per poll"
                                                               : "the stub refused");
                break;
            }
        s->said_cut = true;
    }
    return whole;
}

/* ---- spaces ---- */

static struct wspace *space_of_phys(const struct gdb_watch *w, uint32_t phys)
{
    for (uint32_t i = 0; i < w->nspaces; i++)
        if (w->spaces[i]->phys == phys)
            return w->spaces[i];
    return NULL;
}

/* Takes space i out of the watch (and, when the model holds it, out of the model). */
static void space_remove(struct gdb_watch *w, uint32_t i, bool tell)
{
    struct wspace *s = w->spaces[i];
    if (tell && !s->fresh)
        send(w, RT_SPACE_DESTROY, &(struct rec_space_destroy){w->tick, s->asid, s->phys});
    if (w->stats.live_asid == s->asid)
        w->stats.live_asid = 0;
    free(s);
    memmove(&w->spaces[i], &w->spaces[i + 1], (w->nspaces - i - 1) * sizeof *w->spaces);
    w->nspaces--;
}

/* A space for a CR3 not seen before; the oldest space not live goes when there is no room. */
static struct wspace *space_add(struct gdb_watch *w, uint32_t phys)
{
    if (w->nspaces == GDB_WATCH_SPACES_MAX) {
        uint32_t oldest = 0;
        for (uint32_t i = 1; i < w->nspaces; i++)
            if (w->spaces[i]->live_poll < w->spaces[oldest]->live_poll)
                oldest = i;
        warn(w, "space %u (cr3 0x%08x) forgotten: koiz-view keeps %u spaces at most", w->spaces[oldest]->asid,
             w->spaces[oldest]->phys, GDB_WATCH_SPACES_MAX);
        space_remove(w, oldest, true);
    }
    struct wspace *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->asid = ++w->next_asid;
    s->phys = phys;
    s->fresh = true;
    w->spaces[w->nspaces++] = s;
    return s;
}

/* ---- tables ---- */

static struct wtable *table_of(const struct gdb_watch *w, uint32_t frame)
{
    return fmap_get(&w->tables, frame);
}

/* The entries this poll read at frame, or NULL. */
static const uint32_t *read_at(const struct gdb_watch *w, uint32_t frame)
{
    return fmap_get(&w->read, frame);
}

/* A space in the model and a directory entry of it that holds table frame, for events; NULL if none. */
static struct wspace *holder(const struct gdb_watch *w, uint32_t frame, uint32_t *pdi)
{
    for (uint32_t i = 0; i < w->nspaces; i++) {
        struct wspace *s = w->spaces[i];
        if (s->fresh)
            continue;
        for (uint32_t k = 0; k < ENTRIES; k++)
            if (is_table(s->dir[k]) && frame_of(s->dir[k]) == frame) {
                *pdi = k;
                return s;
            }
    }
    return NULL;
}

/* Sends the 4 KiB page events that take the table at (s, pdi) from `was` to `now` (runs coalesced). */
static void table_events(struct gdb_watch *w, const struct wspace *s, uint32_t pdi, const uint32_t *was,
                         const uint32_t *now)
{
    enum record_type op = RT_COUNT;
    uint32_t first = 0, count = 0, entry = 0;
    for (uint32_t j = 0; j <= ENTRIES; j++) {
        uint32_t o = j < ENTRIES && (was[j] & PTE_P) ? was[j] : 0;
        uint32_t n = j < ENTRIES && (now[j] & PTE_P) ? now[j] : 0;
        enum record_type t = RT_COUNT;
        if (j < ENTRIES && !SAME(o, n))
            t = !o ? RT_MAP : !n ? RT_UNMAP : frame_of(o) != frame_of(n) ? RT_REMAP : RT_PROTECT;
        bool extends = count && t == op && j == first + count &&
                       (t == RT_UNMAP || (t == RT_PROTECT && (n & PTE_FLAGS) == (entry & PTE_FLAGS)) ||
                        n == entry + count * PAGE_SIZE);
        if (extends) {
            count++;
            continue;
        }
        if (count) {
            uint32_t va = pdi << 22 | first << 12;
            if (op == RT_MAP)
                send(w, RT_MAP, &(struct rec_map){w->tick, s->asid, va, SIZE_4K, count, entry});
            else if (op == RT_REMAP)
                send(w, RT_REMAP, &(struct rec_remap){w->tick, s->asid, va, SIZE_4K, count, entry});
            else if (op == RT_UNMAP)
                send(w, RT_UNMAP, &(struct rec_unmap){w->tick, s->asid, va, SIZE_4K, count});
            else
                send(w, RT_PROTECT,
                     &(struct rec_protect){w->tick, s->asid, va, SIZE_4K, count, entry & PTE_FLAGS});
        }
        op = t;
        first = j;
        count = t != RT_COUNT;
        entry = n;
    }
}

/* Every table frame the model holds and this poll read: its changes, once, through one holder. */
static void all_table_events(struct gdb_watch *w)
{
    for (uint32_t h = 0; h < w->tables.cap; h++) {
        struct wtable *t = w->tables.val[h];
        const uint32_t *now = t ? read_at(w, t->frame) : NULL;
        uint32_t pdi;
        struct wspace *s = now ? holder(w, t->frame, &pdi) : NULL;
        if (!s)
            continue;
        table_events(w, s, pdi, t->e, now);
        for (uint32_t j = 0; j < ENTRIES; j++) {
            uint32_t n = (now[j] & PTE_P) ? now[j] : 0;
            if (!SAME(t->e[j], n))
                t->e[j] = n;
        }
    }
}

/* Directory entries (of spaces in the model, not fresh) pointing to table frame. */
static uint32_t refs_now(const struct gdb_watch *w, uint32_t frame)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->nspaces; i++)
        for (uint32_t k = 0; !w->spaces[i]->fresh && k < ENTRIES; k++)
            n += is_table(w->spaces[i]->dir[k]) && frame_of(w->spaces[i]->dir[k]) == frame;
    return n;
}

/* ---- directory entries ---- */

/* The spaces that take part in this update's directory events. */
static bool eventful(const struct wspace *s)
{
    return !s->fresh && !s->resync && s->reading;
}

/*
 * Whether a change of kernel-half entry pdi can go out once for every
 * space, as the protocol applies it (docs/protocol.md: the kernel half is
 * shared): every space in the model had the same entry and has the same
 * new one.
 */
static bool kernel_change_shared(const struct gdb_watch *w, const struct wspace *s, uint32_t pdi)
{
    uint32_t was = s->dir[pdi], now = new_pde(w, s, pdi);
    for (uint32_t i = 0; i < w->nspaces; i++) {
        const struct wspace *t = w->spaces[i];
        if (t->fresh)
            continue;
        if (!eventful(t) || !SAME(t->dir[pdi], was) || !SAME(new_pde(w, t, pdi), now))
            return false;
    }
    return true;
}

/* Sets directory entry pdi as the model now holds it: in s alone, or in every space for a kernel-half
 * change the protocol applies to all. */
static void entry_is(struct gdb_watch *w, struct wspace *s, uint32_t pdi, uint32_t e, bool everywhere)
{
    for (uint32_t i = 0; everywhere && i < w->nspaces; i++)
        if (!w->spaces[i]->fresh)
            w->spaces[i]->dir[pdi] = e;
    s->dir[pdi] = e;
}

static const uint32_t empty_table[ENTRIES];

/*
 * Sends what takes directory entry pdi of s away when the new entry
 * differs: a 4 MiB page unmapped (or protected, same frame), a table
 * emptied and freed. Sets the entry as the model then holds it. False when
 * only a snapshot can say it: the entry's own flags changed, or its table
 * stays under another entry, where taking its pages away would take them
 * too.
 */
static bool entry_removal(struct gdb_watch *w, struct wspace *s, uint32_t pdi, bool everywhere)
{
    uint32_t was = s->dir[pdi], now = new_pde(w, s, pdi), va = pdi << 22;
    if (SAME(was, now) || !was)
        return true;
    if (is_large(was) && is_large(now) && LARGE_FRAME(was) == LARGE_FRAME(now)) {
        send(w, RT_PROTECT, &(struct rec_protect){w->tick, s->asid, va, SIZE_4M, 1, now & PTE_FLAGS});
        entry_is(w, s, pdi, now, everywhere);
        return true;
    }
    if (is_table(was) && is_table(now) && frame_of(was) == frame_of(now))
        return false;
    if (is_large(was)) {
        send(w, RT_UNMAP, &(struct rec_unmap){w->tick, s->asid, va, SIZE_4M, 1});
        entry_is(w, s, pdi, 0, everywhere);
        return true;
    }
    uint32_t holders = 1;
    if (everywhere)
        for (uint32_t i = holders = 0; i < w->nspaces; i++)
            holders += !w->spaces[i]->fresh;
    struct wtable *t = table_of(w, frame_of(was));
    if (!t || refs_now(w, frame_of(was)) != holders)
        return false;
    table_events(w, s, pdi, t->e, empty_table);
    memset(t->e, 0, sizeof t->e);
    send(w, RT_PTAB_FREE, &(struct rec_ptab_free){w->tick, s->asid, pdi});
    entry_is(w, s, pdi, 0, everywhere);
    return true;
}

/* Sends what brings new directory entry pdi of s, once entry_removal took the old one away. False
 * when only a snapshot can: a table the model holds already under another entry (a snapshot shares
 * it, as the hardware does). */
static bool entry_addition(struct gdb_watch *w, struct wspace *s, uint32_t pdi, bool everywhere)
{
    uint32_t now = new_pde(w, s, pdi), va = pdi << 22;
    if (SAME(s->dir[pdi], now))
        return true;
    if (s->dir[pdi])
        return false; /* entry_removal left it: cannot happen */
    if (is_large(now)) {
        send(w, RT_MAP, &(struct rec_map){w->tick, s->asid, va, SIZE_4M, 1, now});
        entry_is(w, s, pdi, now, everywhere);
        return true;
    }
    const uint32_t *content = read_at(w, frame_of(now));
    if (!content || refs_now(w, frame_of(now)))
        return false;
    send(w, RT_PTAB_ALLOC, &(struct rec_ptab_alloc){w->tick, s->asid, pdi, now});
    table_events(w, s, pdi, empty_table, content);
    entry_is(w, s, pdi, now, everywhere);
    return true;
}

/*
 * Directory events for every space in the model that was read whole:
 * first what goes away (in every space), then what comes, so that a
 * table moving between entries is freed before it is allocated again.
 * A space whose change no event says is marked for a snapshot.
 */
static void directory_events(struct gdb_watch *w)
{
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < w->nspaces; i++) {
            struct wspace *s = w->spaces[i];
            for (uint32_t pdi = 0; eventful(s) && pdi < ENTRIES; pdi++) {
                if (SAME(s->dir[pdi], new_pde(w, s, pdi)))
                    continue;
                bool kernel = pdi >= KERNEL_PDE_FIRST;
                if ((kernel && !kernel_change_shared(w, s, pdi)) ||
                    !(pass == 0 ? entry_removal(w, s, pdi, kernel) : entry_addition(w, s, pdi, kernel)))
                    s->resync = true;
            }
        }
}

/* After an update: the model's tables, one per frame some space points to, with their entries (as
 * read, when this poll read them: every event and snapshot took the model there). */
static int tables_rebuild(struct gdb_watch *w)
{
    struct fmap next = {0};
    int rc = 0;
    for (uint32_t i = 0; i < w->nspaces && rc == 0; i++) {
        const struct wspace *s = w->spaces[i];
        for (uint32_t k = 0; !s->fresh && k < ENTRIES && rc == 0; k++) {
            uint32_t frame = frame_of(s->dir[k]);
            if (!is_table(s->dir[k]) || fmap_get(&next, frame))
                continue;
            struct wtable *t = table_of(w, frame);
            const uint32_t *now = read_at(w, frame);
            if (!t && !(t = calloc(1, sizeof *t))) {
                rc = -1;
                break;
            }
            t->kept = true;
            t->frame = frame;
            for (uint32_t j = 0; now && j < ENTRIES; j++)
                t->e[j] = (now[j] & PTE_P) ? now[j] : 0;
            if (fmap_put(&next, frame, t)) {
                if (!table_of(w, frame))
                    free(t);
                rc = -1;
            }
        }
    }
    for (uint32_t h = 0; h < w->tables.cap; h++) {
        struct wtable *t = w->tables.val[h];
        if (t && !t->kept)
            free(t);
    }
    fmap_free(&w->tables);
    for (uint32_t h = 0; h < next.cap; h++)
        if (next.val[h])
            ((struct wtable *)next.val[h])->kept = false;
    w->tables = next;
    return rc;
}

/* ---- the update ---- */

/* Not drawable: say why once, and take every space out of the model. */
static void go_dark(struct gdb_watch *w, const char *says)
{
    snprintf(w->says, sizeof w->says, "%s", says);
    if (strcmp(w->said, says)) {
        warn(w, "%s", says);
        snprintf(w->said, sizeof w->said, "%s", says);
    }
    if (w->drawing || w->nspaces) {
        uint32_t seq = ++w->round_seq;
        for (uint32_t i = w->nspaces; i-- > 0;)
            space_remove(w, i, true);
        send(w, RT_ROUND, &(struct rec_round){w->tick, seq, 0, ROUND_REQUEST});
        send(w, RT_SYNC, &(struct rec_sync){w->tick, seq, 0});
        w->stats.rounds++;
    }
    w->drawing = false;
    w->stats.live_asid = 0;
    for (uint32_t h = 0; h < w->tables.cap; h++)
        free(w->tables.val[h]);
    fmap_free(&w->tables);
}

/* This poll's reading of s's directory: the current one, one of p->also, or NULL (gone). */
static const struct gdb_directory *reading_of(const struct gdb_paging *p, const struct wspace *s)
{
    if (s->phys == p->cur.phys)
        return &p->cur;
    for (uint32_t k = 0; k < p->nalso; k++)
        if (p->also[k].phys == s->phys)
            return p->also[k].state == GDB_DIR_READ ? &p->also[k] : NULL;
    return NULL;
}

/* The tables this poll read, by frame. */
static void index_reads(struct gdb_watch *w, const struct gdb_paging *p)
{
    fmap_clear(&w->read);
    for (uint32_t k = 0; k <= p->nalso; k++) {
        const struct gdb_directory *d = k ? &p->also[k - 1] : &p->cur;
        if (d->state != GDB_DIR_READ)
            continue;
        for (uint32_t i = 0; i < ENTRIES; i++)
            if (d->table_state[i] == GDB_TABLE_READ && !fmap_get(&w->read, frame_of(d->dir[i])))
                fmap_put(&w->read, frame_of(d->dir[i]), (void *)d->table[i]);
    }
}

/* Every space read again, in a round: the first poll, or the first after a change of mode. */
static void full_round(struct gdb_watch *w, struct wspace *live, bool first)
{
    uint32_t seq = ++w->round_seq, n = 0;
    for (uint32_t i = 0; i < w->nspaces; i++)
        n += w->spaces[i]->reading != NULL;
    send(w, RT_ROUND, &(struct rec_round){w->tick, seq, n, first ? ROUND_BOOT : ROUND_REQUEST});
    for (uint32_t i = 0; i < w->nspaces; i++)
        if (w->spaces[i] != live && w->spaces[i]->reading)
            snapshot(w, w->spaces[i]);
    snapshot(w, live);
    send(w, RT_SYNC, &(struct rec_sync){w->tick, seq, n});
    w->stats.rounds++;
}

void gdb_watch_update(struct gdb_watch *w, const struct gdb_paging *p, uint32_t tick, gdb_watch_emit_fn emit,
                      void *arg)
{
    if (p->mode == GDB_PAGING_UNREAD)
        return;
    w->emit = emit;
    w->arg = arg;
    w->tick = tick;
    w->stats.polls++;
    if (!p->drawable) {
        go_dark(w, p->says);
        return;
    }
    if (!w->hello_sent) { /* at the first poll that draws: the paging features the kernel uses */
        bool pse = (p->cr4 & CR4_PSE) != 0, pge = (p->cr4 & CR4_PGE) != 0;
        send(w, RT_HELLO,
             &(struct rec_hello){PROTO_VERSION, text_of(GDB_STUB_BUILD), w->ram_kib, PAGE_SIZE, pse, pge});
        if (w->ram_kib)
            send(w, RT_MEM,
                 &(struct rec_mem){w->ram_kib, 1, 640, w->ram_kib > 1024 ? w->ram_kib - 1024 : 0, 0});
        w->hello_sent = true;
    }
    w->says[0] = '\0';
    w->said[0] = '\0';
    w->pse_now = p->mode == GDB_PAGING_32_PSE;
    bool full = !w->drawing;
    if (w->drawing && w->pse_now != w->pse) {
        warn(w, "%s: every space is read again", gdb_paging_mode_name(p->mode));
        full = true;
    }
    index_reads(w, p);

    /* Spaces that went away: forgotten, or no longer looking like a directory. */
    for (uint32_t i = w->nspaces; i-- > 0;) {
        struct wspace *s = w->spaces[i];
        s->reading = reading_of(p, s);
        s->resync = false;
        if (s->forget || !s->reading)
            space_remove(w, i, w->drawing);
    }
    struct wspace *live = space_of_phys(w, p->cur.phys);
    if (!live && !(live = space_add(w, p->cur.phys)))
        return;
    live->reading = &p->cur;
    live->live_poll = w->stats.polls;
    for (uint32_t i = 0; i < w->nspaces; i++) {
        struct wspace *s = w->spaces[i];
        if (!s->fresh && s->reading && !reading_whole(w, s))
            s->resync = true; /* no event for a space partly read: a snapshot says it is cut */
        else if (!s->fresh && !s->whole)
            s->resync = true; /* whole again */
    }

    if (full) {
        full_round(w, live, w->stats.rounds == 0);
        w->drawing = true;
        w->pse = w->pse_now;
    } else {
        all_table_events(w);
        directory_events(w);
        /* New spaces, and what events could not say; a space still partly read is cut once. */
        for (uint32_t i = 0; i < w->nspaces; i++) {
            struct wspace *s = w->spaces[i];
            if (s->fresh || (s->resync && (s->whole || reading_whole(w, s))))
                snapshot(w, s);
        }
    }
    if (w->stats.live_asid != live->asid) {
        send(w, RT_SPACE_SWITCH, &(struct rec_space_switch){w->tick, live->asid, live->phys});
        w->stats.live_asid = live->asid;
    }
    tables_rebuild(w);
    w->stats.spaces = w->nspaces;
}

/* ---- the rest ---- */

struct gdb_watch *gdb_watch_new(uint32_t ram_kib)
{
    struct gdb_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (fmap_init(&w->read, 2048)) {
        gdb_watch_free(w);
        return NULL;
    }
    w->ram_kib = ram_kib;
    return w;
}

void gdb_watch_free(struct gdb_watch *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->nspaces; i++)
        free(w->spaces[i]);
    for (uint32_t h = 0; h < w->tables.cap; h++)
        free(w->tables.val[h]);
    fmap_free(&w->tables);
    fmap_free(&w->read);
    free(w);
}

int gdb_watch_prepare(struct gdb_watch *w, struct gdb_paging *p)
{
    uint32_t phys[GDB_WATCH_SPACES_MAX];
    for (uint32_t i = 0; i < w->nspaces; i++)
        phys[i] = w->spaces[i]->phys;
    return gdb_paging_also(p, phys, w->nspaces);
}

int gdb_watch_forget(struct gdb_watch *w, uint32_t asid)
{
    for (uint32_t i = 0; i < w->nspaces; i++)
        if (w->spaces[i]->asid == asid && asid != w->stats.live_asid) {
            w->spaces[i]->forget = true;
            return 0;
        }
    return -1;
}

const char *gdb_watch_says(const struct gdb_watch *w)
{
    return w->says;
}

const struct gdb_watch_stats *gdb_watch_stats(const struct gdb_watch *w)
{
    return &w->stats;
}
