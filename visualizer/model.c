/*
 * model.c: applies telemetry records to the model (model.h): address spaces
 * and their tables, snapshot staging, counters and the rings of recent
 * faults, log lines and self-test results. Deriving pictures from the model
 * (physical map, text dump) lives in model_view.c.
 */
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include "model_internal.h"

static const char *const untrusted_names[UNTRUSTED_COUNT] = {
    "whole",           "no snapshot yet",      "records lost", "stream paused", "snapshot cut short",
    "records missing", "no room in koiz-view",
};
_Static_assert(sizeof untrusted_names / sizeof untrusted_names[0] == UNTRUSTED_COUNT, "a name per reason");

/* The kinds' names, each row's member with '-' for '_' (records.def). */
static char type_names[RT_COUNT][24];

static void name_types(void)
{
    if (type_names[0][0])
        return;
    for (int t = 0; t < RT_COUNT; t++) {
        const char *m = records_table()[t].member;
        size_t i = 0;
        for (; m[i] && i < sizeof type_names[t] - 1; i++)
            type_names[t][i] = m[i] == '_' ? '-' : m[i];
        type_names[t][i] = '\0';
    }
}

const char *record_type_name(enum record_type t)
{
    name_types();
    return (unsigned)t < RT_COUNT ? type_names[t] : "?";
}

enum record_type record_type_named(const char *name)
{
    name_types();
    for (int t = 0; t < RT_COUNT; t++)
        if (!strcmp(type_names[t], name))
            return (enum record_type)t;
    return RT_COUNT;
}

const char *untrusted_name(enum untrusted why)
{
    return (unsigned)why < UNTRUSTED_COUNT ? untrusted_names[why] : "?";
}

/* ---- directory entries and tables ---- */

/* Sets directory entry pdi, keeping the pdes count. Tables are the caller's business. */
static void set_pde(struct space *sp, uint32_t pdi, uint32_t e)
{
    sp->pdes += (e & PTE_P) != 0;
    sp->pdes -= (sp->dir[pdi] & PTE_P) != 0;
    sp->dir[pdi] = e;
}

/* ---- changes, told to m->on_change ---- */

static void note(struct model *m, uint32_t key, uint32_t va, uint32_t old, uint32_t new)
{
    if (old == new)
        return;
    struct entry_change c = {key, va, old, new};
    if (m->on_change)
        m->on_change(m->change_ctx, &c);
    if (m->check_change)
        m->check_change(m->check_ctx, &c);
}

/* Whether anyone is told of changes (note_* may skip the work otherwise). */
static bool noted(const struct model *m)
{
    return m->on_change || m->check_change;
}

/* The key of a table entry's changes: the kernel half's tables are every space's. */
static uint32_t pte_key(const struct space *sp, uint32_t pdi)
{
    return pdi >= KERNEL_PDE_FIRST ? MODEL_KERNEL_KEY : sp->asid;
}

/* Entry pti of table t, in directory slot pdi of sp, becomes e. */
static void put_pte(struct model *m, struct space *sp, uint32_t pdi, struct ptab *t, uint32_t pti, uint32_t e)
{
    note(m, pte_key(sp, pdi), pdi << 22 | pti << 12, t->e[pti], e);
    set_pte(t, pti, e);
}

/* The present entries of table t in slot pdi of sp are gone with it: the user
 * half's always, the kernel half's when sp held its last reference. */
static void note_table_gone(struct model *m, struct space *sp, uint32_t pdi, const struct ptab *t)
{
    if (!noted(m) || !t || (pdi >= KERNEL_PDE_FIRST && t->refs > 1))
        return;
    for (uint32_t w = 0; w < TABLE_WORDS; w++)
        for (uint64_t b = t->bits[w]; b; b &= b - 1) {
            uint32_t pti = w * 64 + (uint32_t)__builtin_ctzll(b);
            note(m, pte_key(sp, pdi), pdi << 22 | pti << 12, t->e[pti], 0);
        }
}

/* Lets go of the table of directory entry pdi, if any. */
static void drop_table(struct model *m, struct space *sp, uint32_t pdi)
{
    table_unref(m, sp->table[pdi]);
    sp->table[pdi] = NULL;
}

/* Directory entry pdi of sp (a space of the model, not a staging copy) becomes e. */
static void put_pde(struct model *m, struct space *sp, uint32_t pdi, uint32_t e)
{
    note(m, sp->asid, pdi << 22 | CHANGE_DIR, sp->dir[pdi], e);
    set_pde(sp, pdi, e);
}

/* The same, the table it held (if any) gone with its entries. */
static void put_pde_drop(struct model *m, struct space *sp, uint32_t pdi, uint32_t e)
{
    note_table_gone(m, sp, pdi, sp->table[pdi]);
    drop_table(m, sp, pdi);
    put_pde(m, sp, pdi, e);
}

/* Makes directory entry pdi hold table t (one more reference). */
static void hold_table(struct space *sp, uint32_t pdi, struct ptab *t)
{
    sp->table[pdi] = t;
    if (t)
        t->refs++;
}

/* Empties a space's contents (directory and tables); keeps its identity. */
static void space_clear(struct model *m, struct space *sp)
{
    if (noted(m) && sp != &m->stage.sp)
        for (uint32_t i = 0; i < ENTRIES; i++)
            if (sp->dir[i] || sp->table[i])
                put_pde_drop(m, sp, i, 0);
    for (uint32_t i = 0; i < ENTRIES; i++)
        drop_table(m, sp, i);
    memset(sp->dir, 0, sizeof sp->dir);
    sp->pdes = 0;
    sp->nregions = 0;
}

/* ---- spaces ---- */

/* Marks sp as not whole from tick for why, keeping the first reason while it lasts. */
static void distrust(struct space *sp, enum untrusted why, uint32_t tick)
{
    if (sp->whole || sp->why == UNTRUSTED_NONE) {
        sp->why = why;
        sp->since = tick;
    }
    sp->whole = false;
}

/* The index of asid in m->spaces, or where it would go (*found false). */
static uint32_t space_index(const struct model *m, uint32_t asid, bool *found)
{
    uint32_t lo = 0, hi = m->nspaces;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->spaces[mid]->asid < asid)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < m->nspaces && m->spaces[lo]->asid == asid;
    return lo;
}

static struct space *find_space(struct model *m, uint32_t asid)
{
    bool found;
    uint32_t i = space_index(m, asid, &found);
    return found ? m->spaces[i] : NULL;
}

/* The space for asid, created empty and not whole if new; NULL (counted) when
 * MODEL_SPACES_MAX are alive or memory runs out. */
static struct space *get_space(struct model *m, uint32_t asid)
{
    bool found;
    uint32_t i = space_index(m, asid, &found);
    if (found)
        return m->spaces[i];
    if (m->nspaces == m->spaces_cap) {
        uint32_t cap = m->spaces_cap ? m->spaces_cap * 2 : 16;
        struct space **grown = m->nspaces < MODEL_SPACES_MAX ? realloc(m->spaces, cap * sizeof *grown) : NULL;
        if (!grown) {
            m->stats.spaces_full++;
            return NULL;
        }
        m->spaces = grown;
        m->spaces_cap = cap;
    }
    struct space *sp = calloc(1, sizeof *sp);
    if (!sp) {
        m->stats.spaces_full++;
        return NULL;
    }
    sp->asid = asid;
    sp->why = UNTRUSTED_NEW;
    sp->since = m->tick;
    memmove(&m->spaces[i + 1], &m->spaces[i], (m->nspaces - i) * sizeof *m->spaces);
    m->spaces[i] = sp;
    m->nspaces++;
    m->map_version++;
    return sp;
}

/* The existing space for an event, or NULL (counted as unknown asid). */
static struct space *event_space(struct model *m, uint32_t asid)
{
    struct space *sp = find_space(m, asid);
    if (!sp)
        m->stats.unknown_asid++;
    return sp;
}

/* An event that does not fit the model: a record went missing. */
static void lose(struct model *m, struct space *sp)
{
    m->stats.inconsistent++;
    distrust(sp, UNTRUSTED_CONTRADICTION, m->tick);
}

/* ---- snapshot staging ---- */

static void stage_discard(struct model *m)
{
    struct snap_stage *st = &m->stage;
    if (st->active)
        space_clear(m, &st->sp);
    st->active = st->broken = false;
}

/* An unfinished snapshot ends badly: its space (if any) can no longer be
 * trusted, and a round it belonged to is not complete. */
static void stage_abandon(struct model *m)
{
    if (!m->stage.active)
        return;
    struct space *sp = find_space(m, m->stage.sp.asid);
    if (sp)
        distrust(sp, UNTRUSTED_SNAPSHOT, m->tick);
    m->round.broken = true;
    m->stats.snaps_lost++;
    stage_discard(m);
}

static void snap_begin(struct model *m, const struct record *r)
{
    stage_abandon(m);
    struct space *sp = get_space(m, r->asid);
    if (!sp)
        return;
    struct snap_stage *st = &m->stage;
    st->active = true;
    st->broken = false;
    st->seq = r->u.snap.seq;
    st->tick = r->tick;
    st->pdes = st->ptes = st->records = 0;
    st->regions = st->regions_told = 0;
    st->sp.nregions = 0;
    st->sp.asid = r->asid;
    st->sp.cr3 = r->u.snap.cr3;
}

/* The staging space a pde/pte record adds to, or NULL (counted) when it has no snapshot. */
static struct space *stage_for(struct model *m, uint32_t asid)
{
    struct snap_stage *st = &m->stage;
    if (!st->active) {
        m->stats.orphan_runs++;
        return NULL;
    }
    if (st->sp.asid != asid) { /* its `snap` line was lost, and so was ours's `end` */
        st->broken = true;
        m->stats.orphan_runs++;
        return NULL;
    }
    st->records++;
    return &st->sp;
}

static void snap_pde(struct model *m, const struct record *r)
{
    struct space *sp = stage_for(m, r->asid);
    if (!sp)
        return;
    const struct rec_pde *f = &r->u.pde;
    uint32_t e = f->entry, step = (e & PDE_PS) ? LARGE_PAGE_SIZE : PAGE_SIZE;
    m->stage.pdes += f->count;
    for (uint32_t i = 0; i < f->count; i++, e += step) {
        uint32_t pdi = f->first + i;
        if (sp->dir[pdi] & PTE_P) { /* listed twice: not what the kernel sends */
            m->stage.broken = true;
            continue;
        }
        set_pde(sp, pdi, e);
        /* Registered only when the snapshot is installed whole (snap_end). */
        if (!(e & PDE_PS) && !(sp->table[pdi] = table_new(m, e, false)))
            m->stage.broken = true;
    }
}

static void snap_pte(struct model *m, const struct record *r)
{
    struct space *sp = stage_for(m, r->asid);
    if (!sp)
        return;
    const struct rec_pte *f = &r->u.pte;
    uint32_t pdi = f->pde, e = f->entry;
    m->stage.ptes += f->count;
    if (!sp->table[pdi]) { /* its pde record was lost */
        m->stage.broken = true;
        return;
    }
    for (uint32_t i = 0; i < f->count; i++, e += PAGE_SIZE) {
        uint32_t pti = f->first + i;
        if (sp->table[pdi]->e[pti] & PTE_P)
            m->stage.broken = true;
        else
            set_pte(sp->table[pdi], pti, e);
    }
}

/* ---- regions ---- */

/* Where a region starting at start goes in sp's list (address order), and
 * whether [start, end) overlaps one held. */
static uint32_t region_slot(const struct space *sp, uint32_t start, uint32_t end, bool *overlaps)
{
    uint32_t i = 0;
    *overlaps = false;
    for (uint32_t k = 0; k < sp->nregions; k++) {
        if (sp->regions[k].start < end && start < sp->regions[k].end)
            *overlaps = true;
        if (sp->regions[k].start < start)
            i = k + 1;
    }
    return i;
}

/* Adds a region to sp; false when it overlaps one held or there is no room. */
static bool region_insert(struct space *sp, uint32_t start, uint32_t end, enum word_HOLDS kind)
{
    bool overlaps;
    uint32_t i = region_slot(sp, start, end, &overlaps);
    if (overlaps || sp->nregions == MODEL_REGIONS_MAX)
        return false;
    memmove(&sp->regions[i + 1], &sp->regions[i], (sp->nregions - i) * sizeof sp->regions[0]);
    sp->regions[i] = (struct model_region){start, end, kind};
    sp->nregions++;
    return true;
}

/* The index of sp's region starting at start, or -1. */
static int region_at(const struct space *sp, uint32_t start)
{
    for (uint32_t k = 0; k < sp->nregions; k++)
        if (sp->regions[k].start == start)
            return (int)k;
    return -1;
}

/* A snapshot's region: the i-th of n, in the order the kernel holds them. */
static void snap_region(struct model *m, const struct record *r)
{
    const struct rec_region_held *f = &r->u.region_held;
    struct snap_stage *st = &m->stage;
    m->regions_seen = true;
    if (!st->active || st->sp.asid != f->asid) {
        m->stats.orphan_runs++;
        return;
    }
    if (f->index != st->regions || (st->regions && f->count != st->regions_told) ||
        !region_insert(&st->sp, f->start, f->end, f->kind))
        st->broken = true; /* a line lost, or two regions overlapping: not what the kernel sends */
    st->regions++;
    st->regions_told = f->count;
}

/* A region added, resized or removed: the space's list follows, or the
 * space is not whole when the event does not fit it. */
static void region_event(struct model *m, struct space *sp, const struct rec_region *f)
{
    int k = region_at(sp, f->start);
    bool overlaps;
    switch (f->change) {
    case CHANGE_ADD:
        if (!region_insert(sp, f->start, f->end, f->kind))
            lose(m, sp);
        return;
    case CHANGE_RESIZE:
        if (k < 0 || sp->regions[k].kind != f->kind) {
            lose(m, sp);
            return;
        }
        sp->regions[k].end = f->start; /* out of the way of the overlap check */
        region_slot(sp, f->start, f->end, &overlaps);
        sp->regions[k].end = f->end;
        if (overlaps)
            lose(m, sp);
        return;
    case CHANGE_REMOVE:
    default:
        if (k < 0 || sp->regions[k].end != f->end) {
            lose(m, sp);
            if (k < 0)
                return;
        }
        memmove(&sp->regions[k], &sp->regions[k + 1],
                (sp->nregions - (uint32_t)k - 1) * sizeof sp->regions[0]);
        sp->nregions--;
        return;
    }
}

/* Swaps the contents (not the identity) of two spaces. */
static void space_swap_contents(struct space *a, struct space *b)
{
    struct space tmp;
    memcpy(tmp.dir, a->dir, sizeof tmp.dir);
    memcpy(tmp.table, a->table, sizeof tmp.table);
    tmp.pdes = a->pdes;
    memcpy(a->dir, b->dir, sizeof a->dir);
    memcpy(a->table, b->table, sizeof a->table);
    a->pdes = b->pdes;
    memcpy(b->dir, tmp.dir, sizeof b->dir);
    memcpy(b->table, tmp.table, sizeof b->table);
    b->pdes = tmp.pdes;
}

/* What installing the staged contents st in sp changes, told before it
 * happens: directory entries, and table entries compared with what sp held
 * (the user half) or with what the shared table held (the kernel half, whose
 * table takes the new contents in place). */
static void note_install(struct model *m, struct space *sp, const struct space *st)
{
    if (!noted(m))
        return;
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        const struct ptab *nt = st->table[pdi];
        const struct ptab *before =
            pdi >= KERNEL_PDE_FIRST ? (nt ? registry_get(m, nt->frame) : NULL) : sp->table[pdi];
        note(m, sp->asid, pdi << 22 | CHANGE_DIR, sp->dir[pdi], st->dir[pdi]);
        if (before == nt || (pdi >= KERNEL_PDE_FIRST && !nt))
            continue; /* a kernel table this space lets go of stays every other space's */
        for (uint32_t w = 0; w < TABLE_WORDS; w++) {
            uint64_t b = (before ? before->bits[w] : 0) | (nt ? nt->bits[w] : 0);
            for (; b; b &= b - 1) {
                uint32_t pti = w * 64 + (uint32_t)__builtin_ctzll(b);
                note(m, pte_key(sp, pdi), pdi << 22 | pti << 12, before ? before->e[pti] : 0,
                     nt ? nt->e[pti] : 0);
            }
        }
    }
}

/* A whole snapshot's tables become what their frames hold now: a table
 * another space shares (the kernel half's) takes the new contents in place,
 * so every space shows them. */
static void stage_register(struct model *m, struct space *st)
{
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        struct ptab *t = st->table[pdi], *held;
        if (!t)
            continue;
        held = registry_get(m, t->frame);
        if (!held || held == t) {
            registry_put(m, t);
            continue;
        }
        memcpy(held->e, t->e, sizeof held->e);
        memcpy(held->bits, t->bits, sizeof held->bits);
        held->present = t->present;
        drop_table(m, st, pdi);
        hold_table(st, pdi, held);
    }
}

static void snap_end(struct model *m, const struct record *r)
{
    struct snap_stage *st = &m->stage;
    struct space *sp = find_space(m, r->asid);
    bool good = st->active && !st->broken && st->sp.asid == r->asid && st->seq == r->u.end.seq &&
                st->pdes == r->u.end.pdes && st->ptes == r->u.end.ptes && st->records == r->u.end.records &&
                st->regions == st->regions_told && sp;
    if (!good) {
        if (sp)
            distrust(sp, UNTRUSTED_SNAPSHOT, m->tick);
        m->round.broken = true;
        if (st->active && st->sp.asid != r->asid)
            stage_abandon(m); /* counts as lost */
        else {
            m->stats.snaps_lost++;
            stage_discard(m);
        }
        return;
    }
    note_install(m, sp, &st->sp);
    stage_register(m, &st->sp);
    space_swap_contents(sp, &st->sp);
    /* A kernel that tells regions sends them in every snapshot; an older one
     * never does, and the space keeps none. */
    sp->nregions = st->sp.nregions;
    memcpy(sp->regions, st->sp.regions, sizeof sp->regions);
    sp->cr3 = st->sp.cr3;
    sp->snap_seq = st->seq;
    sp->whole = true;
    sp->why = UNTRUSTED_NONE;
    if (m->round.active) {
        sp->round_seq = m->round.seq;
        m->round.whole++;
        m->round.last_asid = sp->asid;
    }
    m->stats.snaps_ok++;
    stage_discard(m); /* frees the old contents, now in the stage */
    /* The kernel boots in its own space (asid 0): live until a switch says otherwise. */
    if ((m->live_cr3 && sp->cr3 == m->live_cr3) || (!m->live_cr3 && sp->asid == 0))
        m->current_asid = sp->asid;
}

/* ---- events ---- */

/* A map, remap, unmap or protect of count pages from va: entry is the first
 * page's (for protect, the flags). */
struct pages_op {
    enum record_type type;
    uint32_t va, count, entry;
    bool large;
};

/* map, unmap, protect of 4 KiB pages: one record may cover several tables. */
static void pages_4k(struct model *m, struct space *sp, const struct pages_op *r)
{
    uint32_t vpn = r->va >> PAGE_SHIFT, e = r->entry;
    bool bad = false;
    for (uint32_t i = 0; i < r->count; i++, vpn++) {
        uint32_t pdi = vpn >> 10, pti = vpn & 0x3FF;
        struct ptab *t = sp->table[pdi];
        if (!t) {
            /* No table: fine for unmap of a non-PS hole, a contradiction otherwise. */
            if (r->type != RT_UNMAP || (sp->dir[pdi] & PDE_PS))
                bad = true;
            continue;
        }
        switch (r->type) {
        case RT_MAP: /* onto an empty entry: a `remap` says when one was present */
            bad |= (t->e[pti] & PTE_P) != 0;
            put_pte(m, sp, pdi, t, pti, e + i * PAGE_SIZE);
            break;
        case RT_REMAP:
            bad |= !(t->e[pti] & PTE_P);
            put_pte(m, sp, pdi, t, pti, e + i * PAGE_SIZE);
            break;
        case RT_UNMAP: put_pte(m, sp, pdi, t, pti, 0); break;
        default: /* RT_PROTECT */
            if (t->e[pti] & PTE_P)
                put_pte(m, sp, pdi, t, pti, frame_of(t->e[pti]) | e);
            else
                bad = true;
            break;
        }
    }
    if (bad)
        lose(m, sp);
}

/* map, unmap, protect of 4 MiB pages (directory entries with PS). */
static void pages_4m(struct model *m, struct space *sp, const struct pages_op *r)
{
    uint32_t pdi = PDX(r->va), e = r->entry;
    bool bad = false;
    for (uint32_t i = 0; i < r->count; i++, pdi++) {
        uint32_t old = sp->dir[pdi];
        bool large = (old & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS);
        switch (r->type) {
        case RT_MAP:
            if ((old & PTE_P) && !(old & PDE_PS)) /* a table still there */
                bad = true;
            bad |= large; /* a 4 MiB page already there */
            put_pde_drop(m, sp, pdi, e + i * LARGE_PAGE_SIZE);
            break;
        case RT_UNMAP:
            if ((old & PTE_P) && !large)
                bad = true; /* a table, not a 4 MiB page */
            else
                put_pde(m, sp, pdi, 0);
            break;
        default: /* RT_PROTECT; PS kept so the entry stays a 4 MiB page */
            if (large)
                put_pde(m, sp, pdi, frame_of(old) | e | PDE_PS);
            else
                bad = true;
            break;
        }
    }
    if (bad)
        lose(m, sp);
}

/* Directory entry pdi of sp gets table t (fresh, or the one the kernel half shares). */
static void ptab_alloc(struct model *m, struct space *sp, const struct rec_ptab_alloc *r, struct ptab *t)
{
    uint32_t pdi = r->pde;
    if (sp->dir[pdi] & PTE_P)
        lose(m, sp);
    put_pde_drop(m, sp, pdi, r->entry);
    hold_table(sp, pdi, t);
    if (!t)
        distrust(sp, UNTRUSTED_ROOM, m->tick);
}

static void ptab_free(struct model *m, struct space *sp, uint32_t pdi)
{
    /* The kernel unmaps a table's pages before it frees the table. */
    if ((sp->dir[pdi] & (PTE_P | PDE_PS)) != PTE_P || space_present(sp, pdi))
        lose(m, sp);
    put_pde_drop(m, sp, pdi, 0);
}

static void apply_pages(struct model *m, struct space *sp, const struct pages_op *r)
{
    if (r->large)
        pages_4m(m, sp, r);
    else
        pages_4k(m, sp, r);
}

/*
 * fork: child (new, with an empty table wherever parent has one) gets
 * parent's user half copy-on-write: every present page at the same address
 * and frame, accessed/dirty clear, each writable one read-only with the COW
 * bit in both spaces; 4 MiB pages as they are (docs/protocol.md).
 */
static void space_fork(struct model *m, struct space *child, struct space *parent)
{
    bool bad = false;
    for (uint32_t pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
        uint32_t pe = parent->dir[pdi];
        struct ptab *pt = parent->table[pdi], *ct = child->table[pdi];
        if (!(pe & PTE_P))
            continue;
        if (pe & PDE_PS) {
            bad |= (child->dir[pdi] & PTE_P) != 0;
            put_pde(m, child, pdi, pe & ~(PTE_A | PTE_D));
            continue;
        }
        if (!pt || !ct || ct == pt || ct->present) { /* the child's table must be its own, empty */
            bad = true;
            continue;
        }
        for (uint32_t w = 0; w < TABLE_WORDS; w++)
            for (uint64_t b = pt->bits[w]; b; b &= b - 1) {
                uint32_t pti = w * 64 + (uint32_t)__builtin_ctzll(b), e = pt->e[pti];
                if (e & PTE_W) {
                    e = (e & ~PTE_W) | PTE_COW;
                    put_pte(m, parent, pdi, pt, pti, e);
                }
                put_pte(m, child, pdi, ct, pti, e & ~(PTE_A | PTE_D));
            }
    }
    if (bad)
        lose(m, child);
    if (!parent->whole)
        distrust(child, parent->why, parent->since);
}

/* A space begins with an empty user half and the kernel half every space
 * shares: the kernel's space's entries (accessed and dirty bits clear, as
 * the kernel copies them) and its very tables. Whole when that one is. */
static void space_begin(struct model *m, struct space *sp, uint32_t tick)
{
    const struct space *k = find_space(m, 0);
    space_clear(m, sp);
    distrust(sp, UNTRUSTED_NEW, tick);
    if (!k || sp == k)
        return;
    for (uint32_t pdi = KERNEL_PDE_FIRST; pdi < ENTRIES; pdi++) {
        uint32_t e = k->dir[pdi];
        put_pde(m, sp, pdi, (e & PTE_P) ? e & ~(PTE_A | PTE_D) : e);
        hold_table(sp, pdi, k->table[pdi]);
    }
    if (k->whole) {
        sp->whole = true;
        sp->why = UNTRUSTED_NONE;
    }
}

/* Lets go of the ended space and its own tables. */
static void ended_free(struct model *m)
{
    struct space *e = m->ended;
    if (!e)
        return;
    for (uint32_t i = 0; i < ENTRIES; i++)
        free(e->table[i]);
    free(e);
    m->ended = NULL;
}

/* Keeps a copy of sp as the ended space, its tables copied (a later change to a kernel table
 * the copy shared is not its: it shows the space as it ended). Out of memory: none kept. */
static void ended_keep(struct model *m, const struct space *sp)
{
    ended_free(m);
    struct space *e = malloc(sizeof *e);
    if (!e)
        return;
    memcpy(e, sp, offsetof(struct space, table));
    e->ended = m->tick ? m->tick : 1;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        e->table[i] = NULL;
        if (sp->table[i] && (e->table[i] = malloc(sizeof *e->table[i])) != NULL) {
            memcpy(e->table[i], sp->table[i], sizeof *e->table[i]);
            e->table[i]->refs = 1;
            e->table[i]->next_free = NULL;
        }
    }
    m->ended = e;
}

/* Takes sp out of the model and frees it. */
static void space_destroy(struct model *m, struct space *sp)
{
    bool found;
    uint32_t i = space_index(m, sp->asid, &found);
    if (m->stage.active && m->stage.sp.asid == sp->asid)
        stage_discard(m);
    if (m->current_asid == sp->asid)
        m->current_asid = MODEL_NO_ASID;
    if (m->live_cr3 == sp->cr3) /* a space that is gone is not what CR3 holds */
        m->live_cr3 = 0;
    space_clear(m, sp);
    memmove(&m->spaces[i], &m->spaces[i + 1], (m->nspaces - i - 1) * sizeof *m->spaces);
    m->nspaces--;
    free(sp);
}

/* ---- losses and rounds ---- */

static void loss_begin(struct model *m, const struct record *r)
{
    enum untrusted why = r->u.loss.reason == LOSS_PAUSE ? UNTRUSTED_PAUSED : UNTRUSTED_LOST;
    m->loss.open = true;
    m->loss.paused = r->u.loss.reason == LOSS_PAUSE;
    m->loss.since = r->tick;
    m->stats.losses++;
    frames_loss(m, r->tick, m->loss.paused);
    for (uint32_t i = 0; i < m->nspaces; i++)
        distrust(m->spaces[i], why, r->tick);
    if (m->stage.active)
        m->stage.broken = true;
}

/* A loss is over: count events of ticks first..last were lost. */
static void drop(struct model *m, uint32_t tick, uint32_t count, uint32_t first, uint32_t last)
{
    m->stats.dropped_events += count;
    m->loss.count = count;
    m->loss.first = first;
    m->loss.last = last;
    /* The older form comes without a `loss` before it: the loss starts here. */
    if (!m->loss.open) {
        m->stats.losses++;
        m->loss.since = tick;
        frames_loss(m, tick, false);
        for (uint32_t i = 0; i < m->nspaces; i++)
            distrust(m->spaces[i], UNTRUSTED_LOST, tick);
        if (m->stage.active)
            m->stage.broken = true;
    }
    m->loss.open = m->loss.paused = false;
}

static void round_begin(struct model *m, const struct record *r)
{
    stage_abandon(m);
    m->round.active = true;
    m->round.broken = false;
    m->round.seq = r->u.round.seq;
    m->round.spaces = r->u.round.spaces;
    m->round.whole = 0;
}

/* A round is complete when every snapshot it announced arrived whole; then
 * a space it did not name no longer exists in the kernel. */
static void round_end(struct model *m, const struct record *r)
{
    bool complete = m->round.active && !m->round.broken && !m->stage.active &&
                    m->round.seq == r->u.round.seq && m->round.spaces == r->u.round.spaces &&
                    m->round.whole == r->u.round.spaces;
    m->round.active = false;
    if (!complete) {
        m->stats.rounds_lost++;
        return;
    }
    m->stats.rounds_ok++;
    m->synced_tick = r->tick;
    for (uint32_t i = m->nspaces; i-- > 0;)
        if (m->spaces[i]->round_seq != r->u.round.seq) {
            m->stats.spaces_removed++;
            space_destroy(m, m->spaces[i]);
        }
    /* A round sends the live space last: the `space switch` that made it live may have been lost. */
    const struct space *live = r->u.round.spaces ? find_space(m, m->round.last_asid) : NULL;
    if (live) {
        m->current_asid = live->asid;
        m->live_cr3 = live->cr3;
    }
}

/* ---- rings ---- */

static void copy_text(char *dst, size_t size, struct text t)
{
    size_t n = t.len < size - 1 ? t.len : size - 1;
    if (n)
        memcpy(dst, t.s, n);
    dst[n] = '\0';
}

static void log_push(struct model *m, enum log_kind kind, uint32_t tick, struct text t)
{
    uint32_t slot = (m->log_head + m->log_count) % MODEL_LOG_LINES;
    if (m->log_count == MODEL_LOG_LINES)
        m->log_head = (m->log_head + 1) % MODEL_LOG_LINES;
    else
        m->log_count++;
    struct log_line *l = &m->log[slot];
    l->tick = tick;
    l->kind = kind;
    copy_text(l->text, sizeof l->text, t);
    l->len = (uint16_t)strlen(l->text);
    m->log_total++;
}

static void fault_push(struct model *m, const struct record *r)
{
    /* Newest at fault_head; older ones follow. */
    m->fault_head = (m->fault_head + MODEL_FAULTS - 1) % MODEL_FAULTS;
    if (m->fault_count < MODEL_FAULTS)
        m->fault_count++;
    struct fault_event *f = &m->faults[m->fault_head];
    f->tick = r->tick;
    f->asid = r->asid;
    f->cr2 = r->u.fault.cr2;
    f->eip = r->u.fault.eip;
    f->error = r->u.fault.error;
    f->outcome = r->u.fault.outcome;
    pf_error_words(f->error, f->words, sizeof f->words);
    m->faults_total++;
    struct space *sp = find_space(m, r->asid);
    if (sp)
        sp->faults++;
}

const struct fault_event *model_fault(const struct model *m, uint32_t i)
{
    return i < m->fault_count ? &m->faults[(m->fault_head + i) % MODEL_FAULTS] : NULL;
}

const struct log_line *model_log(const struct model *m, uint32_t i)
{
    return i < m->log_count ? &m->log[(m->log_head + i) % MODEL_LOG_LINES] : NULL;
}

/* ---- the model ---- */

struct model *model_new(void)
{
    struct model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->registry = calloc(MODEL_TABLE_SLOTS, sizeof *m->registry);
    m->frame_map = frame_map_new();
    if (!m->registry || !m->frame_map) {
        free(m->registry);
        frame_map_free(m->frame_map);
        free(m);
        return NULL;
    }
    m->current_asid = MODEL_NO_ASID;
    return m;
}

/* A new boot: what described the old kernel goes; log and stats stay. */
static void model_reboot(struct model *m)
{
    ended_free(m);
    stage_discard(m);
    while (m->nspaces)
        space_destroy(m, m->spaces[m->nspaces - 1]);
    memset(&m->round, 0, sizeof m->round);
    memset(&m->loss, 0, sizeof m->loss);
    m->synced_tick = 0;
    m->current_asid = MODEL_NO_ASID;
    m->live_cr3 = 0;
    m->have_mem = m->have_frames = m->panicked = m->shared_ring = false;
    memset(&m->frames, 0, sizeof m->frames);
    frame_map_reset(m->frame_map);
    memset(&m->tlb, 0, sizeof m->tlb);
    m->fault_head = m->fault_count = 0;
    m->test_count = 0;
    m->bench_count = 0;
    m->tests_done = false;
    m->tests_passed = m->tests_failed = 0;
}

void model_reset(struct model *m)
{
    model_reboot(m);
    struct model_keep keep = model_keep_of(m); /* after the reboot: the pool holds its tables */
    memset(m, 0, sizeof *m);
    model_keep_put(m, &keep);
    m->current_asid = MODEL_NO_ASID;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    m->on_change = NULL; /* going away is nobody's change */
    m->check_change = NULL;
    model_reboot(m);
    table_pool_free(m);
    free(m->spaces);
    free(m->registry);
    frame_map_free(m->frame_map);
    free(m);
}

/* ---- applying records: one function per kind ---- */

/* What applying a record did: nothing (counted and ignored: an unknown
 * asid), a change, or a change to entries or spaces (the pictures derived
 * from them must be made again). */
enum applied { IGNORED, CHANGED, MAPPING };
typedef enum applied (*apply_fn)(struct model *m, const struct record *r);

static enum applied apply_hello(struct model *m, const struct record *r)
{
    const struct rec_hello *f = &r->u.hello;
    model_reboot(m);
    m->have_hello = true;
    m->hello.version = f->version;
    copy_text(m->hello.build, sizeof m->hello.build, f->build);
    m->hello.usable_kib = f->usable_kib;
    m->hello.page_size = f->page_size;
    m->hello.pse = f->pse;
    m->hello.pge = f->pge;
    return MAPPING;
}

static enum applied apply_mem(struct model *m, const struct record *r)
{
    const struct rec_mem *f = &r->u.mem;
    m->have_mem = true;
    m->mem.usable_kib = f->usable_kib;
    m->mem.regions = f->regions;
    m->mem.lower_kib = f->lower_kib;
    m->mem.upper_kib = f->upper_kib;
    m->mem.ignored_kib = f->ignored_kib;
    return CHANGED;
}

static enum applied apply_log(struct model *m, const struct record *r)
{
    log_push(m, LOG_LINE, r->tick, r->u.log.text);
    return CHANGED;
}

static enum applied apply_warn(struct model *m, const struct record *r)
{
    log_push(m, LOG_WARN, m->tick, r->u.warn.text);
    return CHANGED;
}

static enum applied apply_panic(struct model *m, const struct record *r)
{
    log_push(m, LOG_PANIC, m->tick, r->u.panic.text);
    m->panicked = true;
    return CHANGED;
}

static void test_push(struct model *m, bool pass, struct text name, struct text detail)
{
    if (m->test_count < MODEL_TESTS) {
        struct test_result *t = &m->tests[m->test_count++];
        t->pass = pass;
        copy_text(t->name, sizeof t->name, name);
        copy_text(t->detail, sizeof t->detail, detail);
    }
}

static enum applied apply_test_pass(struct model *m, const struct record *r)
{
    test_push(m, true, r->u.test_pass.name, (struct text){"", 0});
    return CHANGED;
}

static enum applied apply_test_fail(struct model *m, const struct record *r)
{
    test_push(m, false, r->u.test_fail.name, r->u.test_fail.detail);
    return CHANGED;
}

static enum applied apply_tests(struct model *m, const struct record *r)
{
    m->tests_done = true;
    m->tests_passed = r->u.tests.passed;
    m->tests_failed = r->u.tests.failed;
    return CHANGED;
}

static enum applied apply_bench(struct model *m, const struct record *r)
{
    if (m->bench_count < MODEL_BENCH) {
        struct bench_result *b = &m->bench[m->bench_count++];
        copy_text(b->name, sizeof b->name, r->u.bench.name);
        b->cycles_per_op = r->u.bench.cycles_per_op;
        b->ops = r->u.bench.ops;
    }
    return CHANGED;
}

/* The shared-memory channel (include/koiz/shared_ring.h): an offer changes
 * nothing drawn; from `ring start` on the records come through guest memory,
 * which the status line says. The source takes both up itself. */
static enum applied apply_ring_offer(struct model *m, const struct record *r)
{
    (void)m;
    (void)r;
    return IGNORED;
}

static enum applied apply_ring_start(struct model *m, const struct record *r)
{
    (void)r;
    m->shared_ring = true;
    return CHANGED;
}

static enum applied apply_snap(struct model *m, const struct record *r)
{
    snap_begin(m, r);
    return CHANGED;
}

static enum applied apply_pde(struct model *m, const struct record *r)
{
    snap_pde(m, r);
    return CHANGED;
}

static enum applied apply_pte(struct model *m, const struct record *r)
{
    snap_pte(m, r);
    return CHANGED;
}

static enum applied apply_region_held(struct model *m, const struct record *r)
{
    snap_region(m, r);
    return CHANGED;
}

static enum applied apply_region(struct model *m, const struct record *r)
{
    struct space *sp = event_space(m, r->asid);
    m->regions_seen = true;
    if (!sp)
        return IGNORED;
    region_event(m, sp, &r->u.region);
    return CHANGED;
}

static enum applied apply_end(struct model *m, const struct record *r)
{
    snap_end(m, r);
    return MAPPING;
}

static enum applied apply_round(struct model *m, const struct record *r)
{
    round_begin(m, r);
    return CHANGED;
}

static enum applied apply_sync(struct model *m, const struct record *r)
{
    round_end(m, r);
    return MAPPING;
}

/* A page event in space asid. The kernel half's tables are shared by every
 * space: a change to one shows in all. Its directory entries are each
 * space's own: a 4 MiB page there changes in every space. */
static enum applied pages_event(struct model *m, uint32_t asid, const struct pages_op *op)
{
    struct space *sp = event_space(m, asid);
    if (!sp)
        return IGNORED;
    if (PDX(op->va) < KERNEL_PDE_FIRST || !op->large) {
        apply_pages(m, sp, op);
        return MAPPING;
    }
    for (uint32_t i = 0; i < m->nspaces; i++)
        apply_pages(m, m->spaces[i], op);
    return MAPPING;
}

static enum applied apply_map(struct model *m, const struct record *r)
{
    const struct rec_map *f = &r->u.map;
    return pages_event(m, f->asid, &(struct pages_op){RT_MAP, f->va, f->count, f->entry, f->size == SIZE_4M});
}

static enum applied apply_remap(struct model *m, const struct record *r)
{
    const struct rec_remap *f = &r->u.remap;
    return pages_event(m, f->asid, &(struct pages_op){RT_REMAP, f->va, f->count, f->entry, false});
}

static enum applied apply_unmap(struct model *m, const struct record *r)
{
    const struct rec_unmap *f = &r->u.unmap;
    return pages_event(m, f->asid, &(struct pages_op){RT_UNMAP, f->va, f->count, 0, f->size == SIZE_4M});
}

static enum applied apply_protect(struct model *m, const struct record *r)
{
    const struct rec_protect *f = &r->u.protect;
    return pages_event(m, f->asid,
                       &(struct pages_op){RT_PROTECT, f->va, f->count, f->flags, f->size == SIZE_4M});
}

/* ptab records: in the user half for the space alone; in the kernel half for every space. */
static enum applied apply_ptab_alloc(struct model *m, const struct record *r)
{
    const struct rec_ptab_alloc *f = &r->u.ptab_alloc;
    struct space *sp = event_space(m, f->asid);
    struct ptab *t;
    bool kernel = f->pde >= KERNEL_PDE_FIRST;
    if (!sp)
        return IGNORED;
    if (!(t = table_new(m, f->entry, true)))
        m->stats.inconsistent++;
    for (uint32_t i = 0; i < (kernel ? m->nspaces : 1); i++)
        ptab_alloc(m, kernel ? m->spaces[i] : sp, f, t);
    table_unref(m, t); /* the holders have theirs */
    return MAPPING;
}

static enum applied apply_ptab_free(struct model *m, const struct record *r)
{
    const struct rec_ptab_free *f = &r->u.ptab_free;
    struct space *sp = event_space(m, f->asid);
    bool kernel = f->pde >= KERNEL_PDE_FIRST;
    if (!sp)
        return IGNORED;
    for (uint32_t i = 0; i < (kernel ? m->nspaces : 1); i++)
        ptab_free(m, kernel ? m->spaces[i] : sp, f->pde);
    return MAPPING;
}

static enum applied apply_space_create(struct model *m, const struct record *r)
{
    struct space *sp = find_space(m, r->asid);
    if (sp)
        lose(m, sp); /* ids are not reused before a destroy: we missed one */
    else if (!(sp = get_space(m, r->asid)))
        return IGNORED;
    space_begin(m, sp, r->tick);
    sp->cr3 = r->u.space_create.cr3;
    ended_free(m); /* the next space starts: the story moves on */
    return MAPPING;
}

static enum applied apply_space_destroy(struct model *m, const struct record *r)
{
    struct space *sp = event_space(m, r->asid);
    if (!sp)
        return IGNORED;
    if (sp->asid != 0 && sp->active)
        ended_keep(m, sp);
    space_destroy(m, sp);
    return MAPPING;
}

static enum applied apply_space_switch(struct model *m, const struct record *r)
{
    struct space *sp = get_space(m, r->asid);
    if (!sp)
        return IGNORED;
    sp->cr3 = r->u.space_switch.cr3;
    m->live_cr3 = sp->cr3;
    m->current_asid = r->asid;
    return MAPPING;
}

static enum applied apply_fork(struct model *m, const struct record *r)
{
    struct space *parent = event_space(m, r->u.fork.parent), *child = event_space(m, r->asid);
    if (!child || !parent)
        return IGNORED;
    space_fork(m, child, parent);
    return MAPPING;
}

static enum applied apply_tlb_page(struct model *m, const struct record *r)
{
    m->tlb.invlpg++;
    m->tlb.last_va = r->u.tlb_page.va;
    m->tlb.tick = r->tick;
    return CHANGED;
}

static enum applied apply_tlb_all(struct model *m, const struct record *r)
{
    m->tlb.flushes++;
    m->tlb.last_va = 0;
    m->tlb.tick = r->tick;
    return CHANGED;
}

static enum applied apply_fault(struct model *m, const struct record *r)
{
    fault_push(m, r);
    return CHANGED;
}

static enum applied apply_frames(struct model *m, const struct record *r)
{
    const struct rec_frames *f = &r->u.frames;
    m->have_frames = true;
    m->frames.tick = f->tick;
    m->frames.total = f->total;
    m->frames.free = f->free;
    m->frames.tables = f->tables;
    m->frames.kernel = f->kernel;
    m->frames.process = f->process;
    frames_counters(m, r);
    return CHANGED;
}

/* The physical frames: model_frames.c. A round's frame map changes no mapping. */
static enum applied apply_physmap(struct model *m, const struct record *r)
{
    frames_physmap(m, r);
    return CHANGED;
}

static enum applied apply_phys(struct model *m, const struct record *r)
{
    frames_phys(m, r);
    return CHANGED;
}

static enum applied apply_physend(struct model *m, const struct record *r)
{
    frames_physend(m, r);
    return CHANGED;
}

static enum applied apply_alloc(struct model *m, const struct record *r)
{
    frames_alloc(m, r, true);
    return CHANGED;
}

static enum applied apply_free(struct model *m, const struct record *r)
{
    frames_alloc(m, r, false);
    return CHANGED;
}

static enum applied apply_loss(struct model *m, const struct record *r)
{
    loss_begin(m, r);
    return MAPPING;
}

static enum applied apply_drop(struct model *m, const struct record *r)
{
    drop(m, r->tick, r->u.drop.count, r->u.drop.first, r->u.drop.last);
    return MAPPING;
}

static enum applied apply_drop_v1(struct model *m, const struct record *r)
{
    drop(m, r->tick, r->u.drop_v1.count, 0, 0);
    return MAPPING;
}

/* Every kind's apply function, by the table's own list (records.def). */
static const apply_fn appliers[RT_COUNT] = {
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields) [RT_##id] = apply_##member,
#include <koiz/records.def>
#undef WORDSET
#undef RECORD
};

int model_apply(struct model *m, const struct record *r)
{
    enum applied what;
    if ((unsigned)r->type >= RT_COUNT)
        return 0;
    if (r->tick)
        m->tick = r->tick;
    if ((what = appliers[r->type](m, r)) == IGNORED)
        return 0;
    if (what == MAPPING)
        m->map_version++;
    const struct record_desc *d = &records_table()[r->type];
    if (d->cls == RC_EVENT && d->asid >= 0 && r->asid != 0 && r->type != RT_SPACE_DESTROY &&
        r->type != RT_SPACE_CREATE) { /* made is not yet run */
        struct space *sp = find_space(m, r->asid);
        if (sp)
            sp->active = ++m->activity;
    }
    m->version++;
    m->stats.applied++;
    return 1;
}

/* ---- accessors ---- */

const struct space *model_space(const struct model *m, uint32_t asid)
{
    return find_space((struct model *)m, asid);
}

const struct space *model_space_at(const struct model *m, uint32_t i)
{
    return i < m->nspaces ? m->spaces[i] : NULL;
}

const struct space *model_ended(const struct model *m)
{
    return m->ended;
}

const struct space *model_story_space(const struct model *m)
{
    const struct space *best = m->ended;
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = m->spaces[i];
        if (sp->asid != 0 && sp->active && (!best || sp->active > best->active))
            best = sp;
    }
    return best;
}

bool model_whole(const struct model *m, uint32_t *since, enum untrusted *why)
{
    const struct space *first = NULL;
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = m->spaces[i];
        if (!sp->whole && (!first || sp->since < first->since))
            first = sp;
    }
    if (first && since)
        *since = first->since;
    if (first && why)
        *why = first->why;
    return !first;
}

uint32_t model_pde(const struct model *m, uint32_t asid, uint32_t va)
{
    const struct space *sp = model_space(m, asid);
    return sp ? sp->dir[PDX(va)] : 0;
}

uint32_t model_pte(const struct model *m, uint32_t asid, uint32_t va)
{
    const struct space *sp = model_space(m, asid);
    return sp && sp->table[PDX(va)] ? sp->table[PDX(va)]->e[PTX(va)] : 0;
}

uint32_t model_entry(const struct model *m, uint32_t asid, uint32_t va)
{
    const struct space *sp = model_space(m, asid);
    if (!sp)
        return 0;
    uint32_t pde = sp->dir[PDX(va)];
    if ((pde & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS))
        return pde;
    return sp->table[PDX(va)] ? sp->table[PDX(va)]->e[PTX(va)] : 0;
}
