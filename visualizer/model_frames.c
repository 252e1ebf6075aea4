/*
 * model_frames.c: the physical frames (model_frames.h): owners applied from
 * the `physmap` runs and the `alloc`/`free` events, held against the
 * `frames` counters; and, derived from the model's page tables when asked,
 * each frame's references and the reverse map (every page mapping it).
 *
 * The reverse map is built in two passes over the present entries (count,
 * then fill) into one array indexed by a per-frame offset: the user half of
 * each space in asid order, then the kernel half once (it is the same set of
 * tables in every space).
 */
#include <stdlib.h>
#include <string.h>
#include "model_internal.h"

static const char *const untrusted_names[FRAMES_UNTRUSTED_COUNT] = {
    "whole",        "no frame map yet", "frame map under way",      "frame map cut short",
    "records lost", "stream paused",    "frame events did not fit", "the counters disagree",
};

struct frame_map *frame_map_new(void)
{
    struct frame_map *fm = calloc(1, sizeof *fm);
    if (fm)
        fm->why = FRAMES_NONE;
    return fm;
}

static void free_derived(struct frame_map *fm)
{
    free(fm->refs);
    free(fm->rmap_first);
    free(fm->rmap);
    fm->refs = fm->rmap_first = NULL;
    fm->rmap = NULL;
    fm->rmap_len = fm->rmap_cap = fm->refs_frames = fm->rmap_frames = 0;
    fm->refs_version = fm->rmap_version = 0;
}

void frame_map_free(struct frame_map *fm)
{
    if (!fm)
        return;
    free_derived(fm);
    free(fm->owner);
    free(fm->sent);
    free(fm);
}

void frame_map_reset(struct frame_map *fm)
{
    uint64_t version = fm->version;
    free_derived(fm);
    free(fm->owner);
    free(fm->sent);
    memset(fm, 0, sizeof *fm);
    fm->why = FRAMES_NONE;
    fm->version = version + 1;
}

int frame_map_copy(struct frame_map *dst, const struct frame_map *src)
{
    uint8_t *owner = NULL;
    uint16_t *sent = NULL;
    if (src->nframes) {
        owner = malloc(src->nframes);
        sent = malloc(src->nframes * sizeof *sent);
        if (!owner || !sent) {
            free(owner);
            free(sent);
            return -1;
        }
        memcpy(owner, src->owner, src->nframes);
        memcpy(sent, src->sent, src->nframes * sizeof *sent);
    }
    free_derived(dst);
    free(dst->owner);
    free(dst->sent);
    *dst = *src;
    dst->owner = owner;
    dst->sent = sent;
    /* The derived parts are not copied: they are made again from the page tables when asked. */
    dst->refs = dst->rmap_first = NULL;
    dst->rmap = NULL;
    dst->rmap_len = dst->rmap_cap = dst->refs_frames = dst->rmap_frames = 0;
    dst->refs_version = dst->rmap_version = 0;
    dst->version++;
    return 0;
}

size_t frame_map_bytes(const struct frame_map *fm)
{
    return sizeof *fm + (size_t)fm->nframes * (sizeof *fm->owner + sizeof *fm->sent) +
           (size_t)fm->refs_frames * sizeof *fm->refs +
           (fm->rmap_first ? ((size_t)fm->rmap_frames + 1) * sizeof *fm->rmap_first : 0) +
           (size_t)fm->rmap_cap * sizeof *fm->rmap;
}

const char *frames_untrusted_name(enum frames_untrusted why)
{
    return (unsigned)why < FRAMES_UNTRUSTED_COUNT ? untrusted_names[why] : "?";
}

const char *frame_class_name(unsigned cls)
{
    if (cls < OWNER_WORDS)
        return word_name(WS_OWNER, cls);
    return cls == FRAME_SHARED ? "shared" : "unknown";
}

/* ---- trust ---- */

/* Marks the owners as not whole from tick for why, keeping the first reason while it lasts
 * (no map yet, or one under way, give way to any other). */
static void distrust(struct frame_map *fm, enum frames_untrusted why, uint32_t tick)
{
    if (fm->whole || fm->why == FRAMES_WHOLE || fm->why == FRAMES_NONE || fm->why == FRAMES_RECEIVING) {
        fm->why = why;
        fm->since = tick;
    }
    fm->whole = false;
    fm->version++;
}

static void set_owner(struct frame_map *fm, uint32_t f, unsigned owner)
{
    fm->count[fm->owner[f]]--;
    fm->owner[f] = (uint8_t)owner;
    fm->count[owner]++;
}

/* ---- the records ---- */

void frames_physmap(struct model *m, const struct record *r)
{
    struct frame_map *fm = m->frame_map;
    uint32_t n = r->u.physmap.frames;
    if (fm->stage.active) /* the one before never ended */
        distrust(fm, FRAMES_CUT, m->tick);
    memset(&fm->stage, 0, sizeof fm->stage);
    fm->stage.active = true;
    fm->stage.seq = r->u.physmap.seq;
    fm->stage.tick = r->tick;
    if (n != fm->nframes) {
        uint8_t *owner = realloc(fm->owner, n);
        uint16_t *sent = owner ? realloc(fm->sent, n * sizeof *sent) : NULL;
        if (owner)
            fm->owner = owner;
        if (sent)
            fm->sent = sent;
        if (!owner || !sent) { /* the old size stays; this map cannot be taken */
            fm->stage.broken = true;
            distrust(fm, FRAMES_CUT, r->tick);
            return;
        }
        fm->nframes = n;
    }
    /* Described afresh, run by run: unknown until then. */
    memset(fm->owner, FRAME_UNKNOWN, n);
    memset(fm->sent, 0, n * sizeof *fm->sent);
    memset(fm->count, 0, sizeof fm->count);
    fm->count[FRAME_UNKNOWN] = n;
    distrust(fm, FRAMES_RECEIVING, r->tick);
}

void frames_phys(struct model *m, const struct record *r)
{
    struct frame_map *fm = m->frame_map;
    const struct rec_phys *p = &r->u.phys;
    uint32_t first = p->pa >> PAGE_SHIFT;
    if (!fm->stage.active || fm->stage.broken)
        return;
    fm->stage.runs++;
    if (first != fm->stage.next || p->count > fm->nframes - first) { /* a run was lost, or does not fit */
        fm->stage.broken = true;
        return;
    }
    for (uint32_t f = first; f < first + p->count; f++) {
        set_owner(fm, f, p->owner);
        fm->sent[f] = (uint16_t)p->refs;
    }
    fm->stage.next = first + p->count;
    fm->stats.runs++;
    fm->version++;
}

/* Held against the mappings when a map arrives whole: references pmm counted
 * differently (a frame the kernel holds beyond its mappings), free frames mapped. */
static void check_against_tables(struct model *m)
{
    struct frame_map *fm = m->frame_map;
    uint32_t differ = 0;
    for (uint32_t f = 0; f < fm->nframes; f++)
        if ((fm->owner[f] == OWNER_HEAP || fm->owner[f] == OWNER_USER) &&
            model_frame_refs(m, f) != fm->sent[f])
            differ++;
    fm->stats.refs_differ = differ;
    fm->stats.free_mapped = model_frames_free_mapped(m);
}

void frames_physend(struct model *m, const struct record *r)
{
    struct frame_map *fm = m->frame_map;
    bool good = fm->stage.active && !fm->stage.broken && fm->stage.seq == r->u.physend.seq &&
                fm->stage.runs == r->u.physend.runs && fm->stage.next == fm->nframes;
    fm->stage.active = false;
    if (!good) {
        distrust(fm, FRAMES_CUT, m->tick);
        return;
    }
    fm->seq = fm->stage.seq;
    fm->tick = fm->stage.tick;
    fm->whole = true;
    fm->why = FRAMES_WHOLE;
    fm->detail[0] = '\0';
    fm->version++;
    check_against_tables(m);
}

void frames_alloc(struct model *m, const struct record *r, bool alloc)
{
    struct frame_map *fm = m->frame_map;
    /* rec_alloc and rec_free have the same fields */
    const struct rec_alloc *e = alloc ? &r->u.alloc : (const struct rec_alloc *)&r->u.free;
    uint32_t first = e->pa >> PAGE_SHIFT;
    bool fits = true;
    if (!fm->nframes)
        return; /* nothing known to change yet */
    fm->stats.events++;
    if (first >= fm->nframes || e->count > fm->nframes - first) {
        fm->stats.contradictions++;
        distrust(fm, FRAMES_CONTRADICTION, m->tick);
        return;
    }
    for (uint32_t f = first; f < first + e->count; f++) {
        fits &= fm->owner[f] == (alloc ? OWNER_FREE : e->owner);
        set_owner(fm, f, alloc ? e->owner : OWNER_FREE);
    }
    if (!fits && !fm->stage.active) {
        fm->stats.contradictions++;
        if (fm->whole)
            snprintf(fm->detail, sizeof fm->detail, "%s of %u frames at 0x%08x: not %s before",
                     alloc ? "alloc" : "free", e->count, e->pa,
                     alloc ? "free" : word_name(WS_OWNER, e->owner));
        distrust(fm, FRAMES_CONTRADICTION, m->tick);
    }
    fm->version++;
}

void frames_counters(struct model *m, const struct record *r)
{
    struct frame_map *fm = m->frame_map;
    const struct rec_frames *c = &r->u.frames;
    const uint32_t *n = fm->count;
    if (!fm->whole)
        return; /* the owners are known to be behind: nothing to hold them to */
    uint32_t tables = n[OWNER_TABLE] + n[OWNER_DIRECTORY];
    uint32_t total = n[OWNER_FREE] + n[OWNER_HEAP] + tables + n[OWNER_USER];
    fm->stats.counter_checks++;
    if (c->free == n[OWNER_FREE] && c->tables == tables && c->kernel == n[OWNER_HEAP] &&
        c->process == n[OWNER_USER] && c->total == total)
        return;
    fm->stats.counter_mismatches++;
    snprintf(fm->detail, sizeof fm->detail,
             "frames record: %u free, %u tables, %u kernel, %u user of %u; frame map: %u, %u, %u, %u of %u",
             c->free, c->tables, c->kernel, c->process, c->total, n[OWNER_FREE], tables, n[OWNER_HEAP],
             n[OWNER_USER], total);
    distrust(fm, FRAMES_COUNTERS, r->tick);
}

void frames_loss(struct model *m, uint32_t tick, bool paused)
{
    struct frame_map *fm = m->frame_map;
    if (fm->stage.active)
        fm->stage.broken = true;
    if (fm->nframes)
        distrust(fm, paused ? FRAMES_PAUSED : FRAMES_LOST, tick);
}

/* ---- derived from the page tables ---- */

uint32_t model_frames_span(const struct model *m)
{
    uint64_t kib = 0;
    if (m->frame_map->nframes)
        return m->frame_map->nframes;
    if (m->have_mem)
        kib = 1024 + (uint64_t)m->mem.upper_kib;
    if (m->have_frames && (uint64_t)m->frames.total * 4 > kib)
        kib = (uint64_t)m->frames.total * 4;
    if (!kib)
        kib = 32 * 1024;
    uint64_t frames = (kib + 3) / 4;
    frames = (frames + 255) / 256 * 256; /* whole MiB */
    return frames > FRAME_MAP_MAX ? FRAME_MAP_MAX : (uint32_t)frames;
}

/* Calls fn for every present leaf entry: each space's user half in asid order,
 * then the kernel half once (of asid 0, else of the first space). A 4 MiB page
 * is one call with large set unless split, then a call per 4 KiB frame. */
typedef void (*leaf_fn)(void *ctx, uint32_t asid, uint32_t va, uint32_t pa, bool large);

static void visit_half(const struct space *sp, uint32_t asid, uint32_t from, uint32_t to, bool split,
                       leaf_fn fn, void *ctx)
{
    for (uint32_t pdi = from; pdi < to; pdi++) {
        uint32_t pde = sp->dir[pdi];
        if (!(pde & PTE_P))
            continue;
        if (pde & PDE_PS) {
            for (uint32_t i = 0; i < (split ? ENTRIES : 1); i++)
                fn(ctx, asid, page_va(pdi, i), large_frame_of(pde) + i * PAGE_SIZE, true);
            continue;
        }
        const struct ptab *t = sp->table[pdi];
        if (!t || !t->present)
            continue;
        for (uint32_t w = 0; w < TABLE_WORDS; w++)
            for (uint64_t b = t->bits[w]; b; b &= b - 1) {
                uint32_t pti = w * 64 + (uint32_t)__builtin_ctzll(b);
                fn(ctx, asid, page_va(pdi, pti), frame_of(t->e[pti]), false);
            }
    }
}

static void visit_leaves(const struct model *m, bool split, leaf_fn fn, void *ctx)
{
    const struct space *k = model_space(m, 0);
    for (uint32_t i = 0; i < m->nspaces; i++)
        visit_half(m->spaces[i], m->spaces[i]->asid, 0, KERNEL_PDE_FIRST, split, fn, ctx);
    if (!k)
        k = model_space_at(m, 0);
    if (k)
        visit_half(k, MODEL_NO_ASID, KERNEL_PDE_FIRST, ENTRIES, split, fn, ctx);
}

/* Whether a mapping of pa at va is the kernel's direct map of RAM (va = KERNEL_BASE + pa). */
static bool direct_map(uint32_t va, uint32_t pa)
{
    return va - pa == KERNEL_BASE && pa < 0x40000000u;
}

struct count_ctx {
    uint32_t *refs, n;
};

static void count_ref(void *ctx, uint32_t asid, uint32_t va, uint32_t pa, bool large)
{
    struct count_ctx *c = ctx;
    uint32_t f = pa >> PAGE_SHIFT;
    (void)asid;
    if (!large && f < c->n && !direct_map(va, pa))
        c->refs[f]++;
}

/* The references of every frame, made again when the tables moved. */
static const uint32_t *refs_now(const struct model *m)
{
    struct frame_map *fm = m->frame_map;
    uint32_t n = model_frames_span(m);
    if (fm->refs && fm->refs_version == m->map_version + 1 && fm->refs_frames == n)
        return fm->refs;
    if (fm->refs_frames != n) {
        free(fm->refs);
        fm->refs = malloc((size_t)n * sizeof *fm->refs);
        fm->refs_frames = fm->refs ? n : 0;
    }
    if (!fm->refs)
        return NULL;
    memset(fm->refs, 0, (size_t)n * sizeof *fm->refs);
    visit_leaves(m, false, count_ref, &(struct count_ctx){fm->refs, n});
    fm->refs_version = m->map_version + 1;
    return fm->refs;
}

struct fill_ctx {
    struct frame_map *fm;
    uint32_t *at; /* NULL: counting pass */
    uint32_t n;
};

static void rmap_visit(void *ctx, uint32_t asid, uint32_t va, uint32_t pa, bool large)
{
    struct fill_ctx *c = ctx;
    uint32_t f = pa >> PAGE_SHIFT;
    if (f >= c->n)
        return;
    if (!c->at)
        c->fm->rmap_first[f + 1]++;
    else
        c->fm->rmap[c->at[f]++] = (struct frame_mapping){asid, va | (large ? 1u : 0u)};
}

/* The reverse map, made again when the tables moved. 0, or -1 out of memory. */
static int rmap_now(const struct model *m)
{
    struct frame_map *fm = m->frame_map;
    uint32_t n = model_frames_span(m);
    if (fm->rmap_first && fm->rmap_version == m->map_version + 1 && fm->rmap_frames == n)
        return 0;
    fm->rmap_version = 0;
    if (fm->rmap_frames != n || !fm->rmap_first) {
        free(fm->rmap_first);
        fm->rmap_first = malloc(((size_t)n + 1) * sizeof *fm->rmap_first);
        fm->rmap_frames = fm->rmap_first ? n : 0;
        if (!fm->rmap_first)
            return -1;
    }
    struct fill_ctx c = {fm, NULL, n};
    memset(fm->rmap_first, 0, ((size_t)n + 1) * sizeof *fm->rmap_first);
    visit_leaves(m, true, rmap_visit, &c);
    for (uint32_t f = 0; f < n; f++)
        fm->rmap_first[f + 1] += fm->rmap_first[f];
    fm->rmap_len = fm->rmap_first[n];
    if (!fm->rmap || fm->rmap_len + 1 > fm->rmap_cap || fm->rmap_len < fm->rmap_cap / 4) {
        struct frame_mapping *grown = realloc(fm->rmap, ((size_t)fm->rmap_len + 1) * sizeof *grown);
        if (!grown)
            return -1;
        fm->rmap = grown;
        fm->rmap_cap = fm->rmap_len + 1;
    }
    c.at = malloc(((size_t)n + 1) * sizeof *c.at);
    if (!c.at)
        return -1;
    memcpy(c.at, fm->rmap_first, ((size_t)n + 1) * sizeof *c.at);
    visit_leaves(m, true, rmap_visit, &c);
    free(c.at);
    fm->rmap_version = m->map_version + 1;
    return 0;
}

unsigned model_frame_owner(const struct model *m, uint32_t f)
{
    const struct frame_map *fm = m->frame_map;
    return f < fm->nframes ? fm->owner[f] : FRAME_UNKNOWN;
}

uint32_t model_frame_refs(const struct model *m, uint32_t f)
{
    unsigned owner = model_frame_owner(m, f);
    const uint32_t *refs;
    if (owner != OWNER_HEAP && owner != OWNER_USER)
        return 0;
    refs = refs_now(m);
    return refs && f < m->frame_map->refs_frames ? refs[f] : 0;
}

unsigned model_frame_class(const struct model *m, uint32_t f)
{
    unsigned owner = model_frame_owner(m, f);
    return owner == OWNER_USER && model_frame_refs(m, f) > 1 ? FRAME_SHARED : owner;
}

uint32_t model_frame_mappings(const struct model *m, uint32_t f, const struct frame_mapping **out)
{
    const struct frame_map *fm = m->frame_map;
    *out = NULL;
    if (rmap_now(m) != 0 || f >= fm->rmap_frames || fm->rmap_first[f + 1] == fm->rmap_first[f])
        return 0;
    *out = &fm->rmap[fm->rmap_first[f]];
    return fm->rmap_first[f + 1] - fm->rmap_first[f];
}

uint32_t model_frames_free_mapped(const struct model *m)
{
    const struct frame_map *fm = m->frame_map;
    uint32_t bad = 0;
    if (!fm->nframes || rmap_now(m) != 0)
        return 0;
    for (uint32_t f = 0; f < fm->nframes && f < fm->rmap_frames; f++) {
        if (fm->owner[f] != OWNER_FREE)
            continue;
        for (uint32_t i = fm->rmap_first[f]; i < fm->rmap_first[f + 1]; i++)
            if (!direct_map(fm->rmap[i].va & ~1u, f << PAGE_SHIFT)) {
                bad++;
                break;
            }
    }
    return bad;
}

void model_phys_map(const struct model *m, uint8_t *cls, uint32_t n, uint32_t counts[FRAME_CLASSES])
{
    const struct frame_map *fm = m->frame_map;
    const uint32_t *refs = refs_now(m);
    uint32_t known = fm->nframes < n ? fm->nframes : n;
    memset(counts, 0, FRAME_CLASSES * sizeof *counts);
    for (uint32_t f = 0; f < known; f++) {
        unsigned c = fm->owner[f];
        if (c == OWNER_USER && refs && f < fm->refs_frames && refs[f] > 1)
            c = FRAME_SHARED;
        cls[f] = (uint8_t)c;
        counts[c]++;
    }
    if (n > known) {
        memset(cls + known, FRAME_UNKNOWN, n - known);
        counts[FRAME_UNKNOWN] += n - known;
    }
}

const char *frame_map_check(const struct frame_map *fm)
{
    uint32_t count[FRAME_CLASSES] = {0}, sum = 0;
    for (uint32_t f = 0; f < fm->nframes; f++) {
        if (fm->owner[f] > FRAME_UNKNOWN)
            return "frame_map_check: an owner out of range";
        count[fm->owner[f]]++;
    }
    for (unsigned c = 0; c < FRAME_CLASSES; c++) {
        if (count[c] != fm->count[c])
            return "frame_map_check: an owner's count is wrong";
        sum += count[c];
    }
    if (sum != fm->nframes)
        return "frame_map_check: counts do not add up";
    if (fm->whole != (fm->why == FRAMES_WHOLE))
        return "frame_map_check: whole and its reason disagree";
    if (fm->stage.active && fm->stage.next > fm->nframes)
        return "frame_map_check: the stage ran past the end";
    return NULL;
}

/* ---- text ---- */

void model_dump_frames(const struct model *m, FILE *f)
{
    const struct frame_map *fm = m->frame_map;
    uint32_t n = fm->nframes, counts[FRAME_CLASSES];
    if (!n) {
        if (m->have_hello)
            fprintf(f, "frames: no frame map from the kernel\n");
        return;
    }
    uint8_t *cls = malloc(n);
    if (!cls)
        return;
    model_phys_map(m, cls, n, counts);
    fprintf(f, "frames: %u (%u MiB) from the frame map of tick %u, ", n, n / 256, fm->tick);
    if (fm->whole)
        fprintf(f, "whole");
    else
        fprintf(f, "untrusted since tick %u (%s)", fm->since, frames_untrusted_name(fm->why));
    fprintf(f, "; counters held against it %llu times, %llu disagreed\n",
            (unsigned long long)fm->stats.counter_checks, (unsigned long long)fm->stats.counter_mismatches);
    if (fm->detail[0])
        fprintf(f, "frames: %s\n", fm->detail);
    fprintf(f, "frames:");
    for (unsigned c = 0; c < FRAME_CLASSES; c++)
        if (counts[c])
            fprintf(f, " %s %u", frame_class_name(c), counts[c]);
    fprintf(f, "\nframes: %u free but mapped, %u whose references pmm counted otherwise (at the last map)\n",
            model_frames_free_mapped(m), fm->stats.refs_differ);
    for (uint32_t s = 0; s < n;) {
        uint32_t e = s + 1, refs = model_frame_refs(m, s);
        while (e < n && cls[e] == cls[s] && model_frame_refs(m, e) == refs)
            e++;
        fprintf(f, "phys 0x%08x-0x%08x %7u %s", s << PAGE_SHIFT, (e << PAGE_SHIFT) - 1, e - s,
                frame_class_name(cls[s]));
        if (cls[s] == OWNER_USER || cls[s] == FRAME_SHARED || cls[s] == OWNER_HEAP)
            fprintf(f, " refs %u", refs);
        fprintf(f, "\n");
        s = e;
    }
    free(cls);
}
