/*
 * sanitizer.c: the paging sanitizer's rules (sanitizer.h, docs/sanitizer.md).
 *
 * The model tells every entry change to check_change; they are kept until
 * sanitizer_record, which knows the record that made them, the live space
 * and the frame owners, and applies the rules. The rules lean on the order
 * in which Koiz reports (docs/protocol.md): a change is reported before the
 * TLB entry it makes stale is dropped, and that drop comes before any other
 * record; frames given back are held until the next record of any kind, so
 * the free of a page's frame comes after its unmap; a space's frames are
 * given back before its `space destroy`.
 */
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include "model_frames.h"
#include "sanitizer.h"

/* Entries awaiting their TLB drop, or frames their unmapping, at most: a stream that never moves on
 * (no kernel does that) is judged then, so memory stays bounded. */
#define SAN_PENDING_MAX 65536

struct pending_tlb {
    uint32_t asid, va, old, new;
    uint64_t cause;
    int dir, global;
};

struct pending_free {
    uint32_t frame; /* frame number */
    uint64_t cause;
};

struct sanitizer {
    /* the changes of the record being applied */
    struct entry_change *changes;
    size_t nchanges, changes_cap;
    /* per frame number: user pages mapping it, writable ones, and whether broken-cow was said */
    uint16_t *maps, *writable;
    uint8_t *cow_said;
    uint32_t frames; /* the arrays' length */
    /* frames whose user mappings changed in this record */
    uint32_t *touched;
    size_t ntouched, touched_cap;
    /* frames whose last user mapping went in this record */
    uint32_t *gone;
    size_t ngone, gone_cap;
    struct pending_tlb *tlb;
    size_t ntlb, tlb_cap;
    struct pending_free *freed;
    size_t nfreed, freed_cap;

    struct san_warning *warnings;
    size_t kept, warnings_cap;
    uint64_t count;
    uint64_t unchecked; /* records seen while the model was not whole: no rule held against them */
    bool foreign;       /* the stream is koiz-view's own, from QEMU's GDB stub: nothing checked */
};

#define SAN_ROW(id, name, about) {name, about},
static const struct {
    const char *name, *about;
} rules[SAN_RULE_COUNT] = {SAN_RULES(SAN_ROW)};
#undef SAN_ROW

const char *san_rule_name(enum san_rule rule)
{
    return (unsigned)rule < SAN_RULE_COUNT ? rules[rule].name : "?";
}

const char *san_rule_about(enum san_rule rule)
{
    return (unsigned)rule < SAN_RULE_COUNT ? rules[rule].about : "?";
}

/* Makes room for one more item in *items (of n, capacity *cap). */
static bool room(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t want = *cap ? *cap * 2 : 64;
    void *grown = realloc(*items, want * size);
    if (!grown)
        return false;
    *items = grown;
    *cap = want;
    return true;
}

struct sanitizer *sanitizer_new(void)
{
    return calloc(1, sizeof(struct sanitizer));
}

void sanitizer_free(struct sanitizer *s)
{
    if (!s)
        return;
    free(s->changes);
    free(s->maps);
    free(s->writable);
    free(s->cow_said);
    free(s->touched);
    free(s->gone);
    free(s->tlb);
    free(s->freed);
    free(s->warnings);
    free(s);
}

static void on_change(void *ctx, const struct entry_change *c)
{
    struct sanitizer *s = ctx;
    if (room((void **)&s->changes, &s->changes_cap, s->nchanges, sizeof *s->changes))
        s->changes[s->nchanges++] = *c;
}

void sanitizer_watch(struct sanitizer *s, struct model *m)
{
    m->check_change = on_change;
    m->check_ctx = s;
}

/* Grows the per-frame counters to hold frame number f; false when out of memory. */
static bool frames_hold(struct sanitizer *s, uint32_t f)
{
    if (f < s->frames)
        return true;
    uint32_t n = s->frames ? s->frames : 8192;
    while (n <= f)
        n *= 2;
    uint16_t *maps = realloc(s->maps, n * sizeof *maps), *wr;
    if (!maps)
        return false;
    s->maps = maps;
    if (!(wr = realloc(s->writable, n * sizeof *wr)))
        return false;
    s->writable = wr;
    uint8_t *said = realloc(s->cow_said, n);
    if (!said)
        return false;
    s->cow_said = said;
    memset(s->maps + s->frames, 0, (n - s->frames) * sizeof *maps);
    memset(s->writable + s->frames, 0, (n - s->frames) * sizeof *wr);
    memset(s->cow_said + s->frames, 0, n - s->frames);
    s->frames = n;
    return true;
}

static void warn(struct sanitizer *s, const struct model *m, enum san_rule rule, uint64_t moment,
                 uint64_t cause, uint32_t asid, uint32_t va, uint32_t frame, uint32_t old, uint32_t new,
                 const char *text)
{
    s->count++;
    if (s->kept >= SAN_WARNINGS_MAX ||
        !room((void **)&s->warnings, &s->warnings_cap, s->kept, sizeof *s->warnings))
        return;
    struct san_warning *w = &s->warnings[s->kept++];
    *w = (struct san_warning){rule, moment, cause, m->tick, asid, va, frame, old, new, ""};
    snprintf(w->text, sizeof w->text, "%s", text);
}

static const char *space_name(uint32_t asid)
{
    static char buf[32];
    if (asid == MODEL_NO_ASID || asid == MODEL_KERNEL_KEY)
        return "the kernel's half";
    snprintf(buf, sizeof buf, "space %u", asid);
    return buf;
}

/* Counts a user page's entry e in (add 1) or out (add -1) of its frame's counters. */
static void count_user(struct sanitizer *s, uint32_t e, int add)
{
    if (!(e & PTE_P) || !(e & PTE_U))
        return;
    uint32_t f = frame_of(e) >> PAGE_SHIFT;
    if (!frames_hold(s, f))
        return;
    if (add > 0) {
        s->maps[f]++;
        s->writable[f] += (e & PTE_W) != 0;
    } else {
        s->maps[f] -= s->maps[f] > 0;
        s->writable[f] -= (e & PTE_W) && s->writable[f] > 0;
        if (!s->maps[f] && room((void **)&s->gone, &s->gone_cap, s->ngone, sizeof *s->gone))
            s->gone[s->ngone++] = f;
    }
    if (room((void **)&s->touched, &s->touched_cap, s->ntouched, sizeof *s->touched))
        s->touched[s->ntouched++] = f;
}

/* A user page's entry e now maps a frame: is it RAM, and not the kernel's? */
static void check_user_frame(struct sanitizer *s, const struct model *m, uint64_t moment,
                             const struct entry_change *c, uint32_t va)
{
    const struct frame_map *fm = m->frame_map;
    uint32_t f = frame_of(c->new) >> PAGE_SHIFT;
    if (!fm->nframes || !fm->whole)
        return;
    if (f >= fm->nframes)
        return; /* past the RAM described: a device's memory, which a kernel may map on purpose */
    unsigned owner = fm->owner[f];
    char text[160];
    if (owner == OWNER_HOLE || owner == OWNER_RESERVED) {
        snprintf(text, sizeof text, "%s maps 0x%08x to frame 0x%08x, %s", space_name(c->key), va,
                 frame_of(c->new),
                 owner == OWNER_HOLE ? "in a hole of the memory map" : "RAM the firmware keeps");
        warn(s, m, SAN_BAD_FRAME, moment, moment, c->key, va, frame_of(c->new), c->old, c->new, text);
    } else if (owner == OWNER_IMAGE || owner == OWNER_TELEMETRY || owner == OWNER_BOOT ||
               owner == OWNER_RECORDS || owner == OWNER_HEAP || owner == OWNER_DIRECTORY ||
               owner == OWNER_TABLE) {
        snprintf(text, sizeof text,
                 "%s maps 0x%08x, a user page, to frame 0x%08x, which holds the kernel's %s",
                 space_name(c->key), va, frame_of(c->new), word_name(WS_OWNER, owner));
        warn(s, m, SAN_KERNEL_EXPOSED, moment, moment, c->key, va, frame_of(c->new), c->old, c->new, text);
    }
}

/* Does the change from old to new make a cached translation wrong? */
static bool needs_tlb_drop(uint32_t old, uint32_t new)
{
    if (!(old & PTE_P))
        return false; /* a not-present entry is never cached */
    return !(new &PTE_P) || frame_of(new) != frame_of(old) || ((old & PTE_W) && !(new &PTE_W)) ||
           ((old & PTE_U) && !(new &PTE_U));
}

/* The record's changes, one by one. */
static void take_changes(struct sanitizer *s, const struct model *m, const struct record *r, uint64_t moment)
{
    bool event = records_table()[r->type].cls == RC_EVENT;
    uint32_t exposed_va = UINT32_MAX; /* a kernel directory entry is reported once per space: said once */
    for (size_t i = 0; i < s->nchanges; i++) {
        const struct entry_change *c = &s->changes[i];
        bool dir = c->va & CHANGE_DIR;
        uint32_t va = c->va & ~CHANGE_DIR;
        bool kernel_half = c->key == MODEL_KERNEL_KEY || va >= KERNEL_BASE;
        char text[160];
        if (!dir && !kernel_half) { /* a user-half page */
            count_user(s, c->old, -1);
            count_user(s, c->new, +1);
            if ((c->new &PTE_P) && (c->new &PTE_U))
                check_user_frame(s, m, moment, c, va);
        }
        if (kernel_half && (c->new &PTE_P) && (c->new &PTE_U) && va != exposed_va) {
            exposed_va = va;
            snprintf(text, sizeof text, "the kernel's %s for 0x%08x is user-accessible (entry %08x)",
                     dir ? "directory entry" : "page", va, c->new);
            warn(s, m, SAN_KERNEL_EXPOSED, moment, moment, kernel_half ? MODEL_NO_ASID : c->key, va,
                 frame_of(c->new), c->old, c->new, text);
        }
        /* a translation the CPU may hold for the live space, or the kernel's half (every space) */
        bool live = c->key == MODEL_KERNEL_KEY || (c->key == m->current_asid && (!kernel_half || dir));
        if (event && live && needs_tlb_drop(c->old, c->new) &&
            !(dir && (c->old & PTE_P) && !(c->old & PDE_PS)) && s->ntlb < SAN_PENDING_MAX &&
            room((void **)&s->tlb, &s->tlb_cap, s->ntlb, sizeof *s->tlb)) {
            bool dup = false; /* a kernel directory entry comes once per space */
            for (size_t k = s->ntlb; dir && k-- > 0 && s->tlb[k].cause == moment && !dup;)
                dup = s->tlb[k].va == va && s->tlb[k].dir;
            if (!dup)
                s->tlb[s->ntlb++] = (struct pending_tlb){
                    kernel_half ? MODEL_NO_ASID : c->key, va, c->old, c->new, moment, dir,
                    kernel_half || (c->old & PTE_G)};
        }
    }
    s->nchanges = 0;
}

static void stale_warning(struct sanitizer *s, const struct model *m, uint64_t moment,
                          const struct pending_tlb *p, size_t pages)
{
    char text[160];
    if (pages == 1)
        snprintf(text, sizeof text,
                 "%s: 0x%08x changed %08x -> %08x at #%llu; the kernel went on (#%llu) and never dropped its "
                 "TLB entry",
                 space_name(p->asid), p->va, p->old, p->new, (unsigned long long)p->cause,
                 (unsigned long long)moment);
    else
        snprintf(text, sizeof text,
                 "%s: %zu pages from 0x%08x changed at #%llu; the kernel went on (#%llu) and never dropped "
                 "their TLB "
                 "entries",
                 space_name(p->asid), pages, p->va, (unsigned long long)p->cause, (unsigned long long)moment);
    warn(s, m, SAN_STALE_TLB, moment, p->cause, p->asid, p->va, frame_of(p->old), p->old, p->new, text);
}

/* The entry a pending drop is about, as the model holds it now. */
static uint32_t entry_now(const struct model *m, const struct pending_tlb *p)
{
    uint32_t asid = p->asid == MODEL_NO_ASID ? m->current_asid : p->asid;
    if (p->dir)
        return model_pde(m, asid, p->va);
    return model_pte(m, asid, p->va);
}

/* Pending TLB drops: what r drops, and what is stale once the kernel went on: a record that is no
 * drop and changed no entry (changes and their drops come before anything else; an operation may
 * report its changes in several records). One warning for the pages one record changed. */
static void check_tlb(struct sanitizer *s, const struct model *m, const struct record *r, uint64_t moment,
                      bool changed)
{
    size_t keep = 0, stale = 0;
    struct pending_tlb first = {0};
    for (size_t i = 0; i < s->ntlb; i++) {
        struct pending_tlb *p = &s->tlb[i];
        uint32_t span = p->dir ? LARGE_PAGE_SIZE : PAGE_SIZE;
        bool dropped = false;
        if (r->type == RT_TLB_PAGE)
            dropped = r->u.tlb_page.va - p->va < span;
        else if (r->type == RT_TLB_ALL || r->type == RT_SPACE_SWITCH)
            dropped = !p->global; /* a CR3 load keeps global entries */
        if (dropped)
            continue;
        if ((changed || r->type == RT_TLB_PAGE || r->type == RT_TLB_ALL) && s->ntlb <= SAN_PENDING_MAX) {
            s->tlb[keep++] = *p; /* this record's own changes, or more drops to come */
            continue;
        }
        if (!needs_tlb_drop(p->old, entry_now(m, p)))
            continue; /* put back as it was (a rule a later record corrected): nothing cached is wrong */
        if (stale && (p->cause != first.cause || p->asid != first.asid)) {
            stale_warning(s, m, moment, &first, stale);
            stale = 0;
        }
        if (!stale++)
            first = *p;
    }
    if (stale)
        stale_warning(s, m, moment, &first, stale);
    s->ntlb = keep;
}

/* Frames given back: still mapped once the next record is in? */
static void check_freed(struct sanitizer *s, const struct model *m, const struct record *r, uint64_t moment)
{
    if (r->type == RT_FREE && s->nfreed <= SAN_PENDING_MAX) {
        uint32_t f0 = r->u.free.pa >> PAGE_SHIFT;
        for (uint32_t k = 0; k < r->u.free.count; k++)
            if (f0 + k < s->frames && s->maps[f0 + k] &&
                room((void **)&s->freed, &s->freed_cap, s->nfreed, sizeof *s->freed))
                s->freed[s->nfreed++] = (struct pending_free){f0 + k, moment};
        return;
    }
    if (r->type == RT_ALLOC && s->nfreed <= SAN_PENDING_MAX)
        return; /* held back with the frees: the next record proper decides */
    for (size_t i = 0; i < s->nfreed; i++) {
        uint32_t f = s->freed[i].frame;
        if (f < s->frames && s->maps[f]) {
            char text[160];
            snprintf(text, sizeof text,
                     "frame 0x%08x was given back at #%llu and %u user page%s still map it", f << PAGE_SHIFT,
                     (unsigned long long)s->freed[i].cause, s->maps[f], s->maps[f] == 1 ? "" : "s");
            warn(s, m, SAN_FREED_MAPPED, moment, s->freed[i].cause, MODEL_NO_ASID, 0, f << PAGE_SHIFT, 0, 0,
                 text);
        }
    }
    s->nfreed = 0;
}

/* Whether user pages of more than one space map frame f (one space may alias a frame on purpose). */
static bool several_spaces(const struct model *m, uint32_t f)
{
    const struct frame_mapping *mp;
    uint32_t n = model_frame_mappings(m, f, &mp), first = MODEL_NO_ASID;
    for (uint32_t i = 0; i < n; i++) {
        if (mp[i].asid == MODEL_NO_ASID)
            continue;
        if (first == MODEL_NO_ASID)
            first = mp[i].asid;
        else if (mp[i].asid != first)
            return true;
    }
    return false;
}

void sanitizer_record(struct sanitizer *s, const struct model *m, const struct record *r, uint64_t moment)
{
    if ((unsigned)r->type >= RT_COUNT)
        return;
    s->ntouched = s->ngone = 0;
    if (m->have_hello && !strcmp(m->hello.build, GDB_STUB_BUILD)) {
        /* records koiz-view made from QEMU's GDB stub (docs/protocol.md): no TLB drops, frames or
         * forks, and no kernel half known; the rules need Koiz's own records */
        s->foreign = true;
        s->nchanges = 0;
        return;
    }
    bool changed = s->nchanges > 0; /* entries changing still: the kernel is still reporting one operation */
    bool whole = model_whole(m, NULL, NULL) && !m->loss.open;
    take_changes(s, m, r, moment);
    if (!whole) {
        /* records were lost: what the model holds may not be what the kernel did; no rule can be
         * held against it until snapshots make it whole again (counted, and said by --check) */
        s->unchecked += m->stats.snaps_ok > 0; /* before the first snapshot there is nothing to check */
        s->ntlb = s->nfreed = 0;
        if (s->frames)
            memset(s->cow_said, 0, s->frames);
        return;
    }
    check_tlb(s, m, r, moment, changed);
    check_freed(s, m, r, moment);
    const struct frame_map *fm = m->frame_map;
    char text[160];
    /* broken copy-on-write: a frame user pages of several spaces map, one of them writable */
    uint32_t broken_now = 0, first_broken = 0;
    for (size_t i = 0; i < s->ntouched; i++) {
        uint32_t f = s->touched[i];
        bool broken = s->maps[f] > 1 && s->writable[f] > 0 && several_spaces(m, f);
        if (broken && !s->cow_said[f] && !broken_now++)
            first_broken = f;
        s->cow_said[f] = broken;
    }
    if (broken_now) {
        snprintf(
            text, sizeof text,
            "%u frame%s shared by several spaces and writable in one (0x%08x: %u user pages, %u writable)",
            broken_now, broken_now == 1 ? "" : "s", first_broken << PAGE_SHIFT, s->maps[first_broken],
            s->writable[first_broken]);
        warn(s, m, SAN_BROKEN_COW, moment, moment, r->asid, 0, first_broken << PAGE_SHIFT, 0, 0, text);
    }
    /* a leak: the space went and a frame only it mapped is still a user frame */
    if (r->type == RT_SPACE_DESTROY && fm->whole && fm->nframes) {
        uint32_t leaked = 0, first = 0;
        for (size_t i = 0; i < s->ngone; i++) {
            uint32_t f = s->gone[i];
            if (!s->maps[f] && f < fm->nframes && fm->owner[f] == OWNER_USER) {
                if (!leaked++)
                    first = f;
            }
        }
        if (leaked) {
            snprintf(text, sizeof text,
                     "space %u ended and %u of its frames are still user frames (0x%08x%s)", r->asid, leaked,
                     first << PAGE_SHIFT, leaked > 1 ? ", ..." : "");
            warn(s, m, SAN_LEAK, moment, moment, r->asid, 0, first << PAGE_SHIFT, 0, 0, text);
        }
    }
}

uint64_t sanitizer_count(const struct sanitizer *s)
{
    return s->count;
}

size_t sanitizer_kept(const struct sanitizer *s)
{
    return s->kept;
}

const struct san_warning *sanitizer_warning(const struct sanitizer *s, size_t i)
{
    return i < s->kept ? &s->warnings[i] : NULL;
}

uint64_t sanitizer_count_until(const struct sanitizer *s, uint64_t upto)
{
    if (upto == UINT64_MAX)
        return s->count;
    uint64_t n = 0;
    for (size_t i = 0; i < s->kept && s->warnings[i].moment <= upto; i++)
        n++;
    return n;
}

void sanitizer_print(const struct sanitizer *s, FILE *f, uint64_t upto)
{
    size_t i;
    for (i = 0; i < s->kept && s->warnings[i].moment <= upto; i++) {
        const struct san_warning *w = &s->warnings[i];
        fprintf(f, "#%llu tick %u %s: %s\n", (unsigned long long)w->moment, w->tick, san_rule_name(w->rule),
                w->text);
    }
    if (upto == UINT64_MAX && s->count > s->kept)
        fprintf(f, "... and %llu more warnings\n", (unsigned long long)(s->count - s->kept));
}

uint64_t sanitizer_unchecked(const struct sanitizer *s)
{
    return s->unchecked;
}

bool sanitizer_foreign(const struct sanitizer *s)
{
    return s->foreign;
}
