/*
 * travel.c: the time machine's answers as text (travel.h).
 */
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include "model_diff.h"
#include "travel.h"

uint64_t travel_moment(struct history *h, const struct moment_arg *m, bool *beyond)
{
    uint64_t last = history_moments(h);
    *beyond = false;
    if (!m->record)
        return history_moment_at_tick(h, m->value > UINT32_MAX ? UINT32_MAX : (uint32_t)m->value);
    if (m->value > last) {
        *beyond = true;
        return last;
    }
    return m->value;
}

const char *travel_moment_name(struct history *h, uint64_t n, char *buf, size_t size)
{
    if (n == 0)
        snprintf(buf, size, "#0 (before the first record)");
    else
        snprintf(buf, size, "#%llu (tick %u)", (unsigned long long)n, history_tick_at(h, n));
    return buf;
}

/* The record of a moment, as "map 4k" or "fork"; "record" when it cannot be read. */
static const char *record_kind(struct history *h, uint64_t moment, char *buf, size_t size)
{
    char line[PROTO_LINE_MAX + 8];
    struct record r;
    if (history_record(h, moment, &r, line, sizeof line) != 0)
        snprintf(buf, size, "record");
    else
        snprintf(buf, size, "%s", record_type_name(r.type));
    return buf;
}

static const char *fmt_space(uint32_t asid)
{
    static char buf[24];
    snprintf(buf, sizeof buf, "space %u ", asid);
    return buf;
}

#define ROWS_MAX 100000 /* rows printed at most; the count says how many there were */

size_t travel_print_history(FILE *f, struct history *h, uint32_t asid, uint32_t va, bool dir)
{
    struct history_row *rows = malloc(ROWS_MAX * sizeof *rows);
    if (!rows) {
        fprintf(f, "out of memory\n");
        return 0;
    }
    size_t n = history_entry(h, asid, va, dir, rows, ROWS_MAX);
    if (dir)
        fprintf(f, "history of directory entry %u (0x%08x-0x%08x) of space %u: %zu change%s\n", PDX(va),
                va & ~(LARGE_PAGE_SIZE - 1), (va & ~(LARGE_PAGE_SIZE - 1)) + LARGE_PAGE_SIZE - 1, asid, n,
                n == 1 ? "" : "s");
    else
        fprintf(f, "history of the page at 0x%08x in space %u%s: %zu change%s\n", va & ~(PAGE_SIZE - 1), asid,
                PDX(va) >= KERNEL_PDE_FIRST ? " (the kernel half: every space's)" : "", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < ROWS_MAX; i++) {
        const struct history_row *r = &rows[i];
        bool d = r->c.va & CHANGE_DIR;
        char old[64], new[64], kind[32];
        entry_words(old, sizeof old, r->c.old, d);
        entry_words(new, sizeof new, r->c.new, d);
        fprintf(f, "#%llu tick %u %-14s %s %s -> %s", (unsigned long long)r->moment, r->tick,
                record_kind(h, r->moment, kind, sizeof kind), d ? "dir  " : "entry", old, new);
        const struct mark *fault = history_fault_near(h, r->moment, asid, va);
        if (fault && !d)
            fprintf(f, "  (fault #%llu at 0x%08x: %s)", (unsigned long long)fault->moment, fault->va,
                    word_name(WS_OUTCOME, fault->sub));
        fputc('\n', f);
    }
    if (n > ROWS_MAX)
        fprintf(f, "(%zu more not printed)\n", n - ROWS_MAX);
    free(rows);
    return n;
}

size_t travel_print_frame(FILE *f, struct history *h, uint32_t pa)
{
    struct history_row *rows = malloc(ROWS_MAX * sizeof *rows);
    if (!rows) {
        fprintf(f, "out of memory\n");
        return 0;
    }
    uint32_t frame = pa >> PAGE_SHIFT;
    size_t n = history_frame(h, frame, rows, ROWS_MAX);
    fprintf(f, "history of frame 0x%08x: %zu change%s of entries that map it\n", frame << PAGE_SHIFT, n,
            n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < ROWS_MAX; i++) {
        const struct history_row *r = &rows[i];
        bool d = r->c.va & CHANGE_DIR;
        uint32_t va = r->c.va & ~CHANGE_DIR;
        char old[64], new[64], kind[32], who[40];
        entry_words(old, sizeof old, r->c.old, d);
        entry_words(new, sizeof new, r->c.new, d);
        if (r->c.key == MODEL_KERNEL_KEY)
            snprintf(who, sizeof who, "kernel half");
        else
            snprintf(who, sizeof who, "space %u", r->c.key);
        fprintf(f, "#%llu tick %u %-14s %s 0x%08x%s: %s -> %s\n", (unsigned long long)r->moment, r->tick,
                record_kind(h, r->moment, kind, sizeof kind), who, va, d ? " (4M)" : "", old, new);
    }
    if (n > ROWS_MAX)
        fprintf(f, "(%zu more not printed)\n", n - ROWS_MAX);
    free(rows);
    return n;
}

struct runs {
    struct diff_run *r;
    size_t n, cap;
};

static void keep(void *ctx, const struct diff_run *r)
{
    struct runs *k = ctx;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 256;
        struct diff_run *g = realloc(k->r, cap * sizeof *g);
        if (!g)
            return;
        k->r = g;
        k->cap = cap;
    }
    k->r[k->n++] = *r;
}

/* "space 3 0x08049000-0x08088fff: 32 changed" for each region, the words for the kinds at hand. */
static void print_regions(FILE *f, const struct runs *k, bool spaces)
{
    size_t n = diff_regions(k->r, k->n, NULL, 0);
    struct diff_region *g = malloc((n ? n : 1) * sizeof *g);
    static const char *const moment_words[4] = {"mapped", "unmapped", "changed", "shared"};
    static const char *const space_words[4] = {"only in the second", "only in the first", "copied", "shared"};
    if (!g)
        return;
    diff_regions(k->r, k->n, g, n);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "region %s0x%08llx-0x%08llx:", spaces ? "" : fmt_space(g[i].asid),
                (unsigned long long)g[i].start, (unsigned long long)g[i].end - 1);
        const char *sep = " ";
        for (int w = 0; w < 4; w++)
            if (g[i].pages[w]) {
                fprintf(f, "%s%llu %s", sep, (unsigned long long)g[i].pages[w],
                        (spaces ? space_words : moment_words)[w]);
                sep = ", ";
            }
        fputc('\n', f);
    }
    free(g);
}

void travel_print_diff(FILE *f, struct history *h, const struct model *a, const struct model *b, uint64_t ma,
                       uint64_t mb)
{
    char na[64], nb[64];
    struct diff_counts c;
    struct runs k = {0};
    diff_moments(a, b, keep, &k, &c);
    fprintf(f, "difference from %s to %s: %llu pages mapped, %llu unmapped, %llu changed, in %llu runs\n",
            travel_moment_name(h, ma, na, sizeof na), travel_moment_name(h, mb, nb, sizeof nb),
            (unsigned long long)c.pages[0], (unsigned long long)c.pages[1], (unsigned long long)c.pages[2],
            (unsigned long long)c.runs);
    print_regions(f, &k, false);
    for (size_t i = 0; i < k.n; i++) {
        fprintf(f, "space %u ", k.r[i].asid);
        diff_print(f, &k.r[i]);
    }
    free(k.r);
}

int travel_print_spaces(FILE *f, struct history *h, const struct model *m, uint64_t n, uint32_t x, uint32_t y)
{
    char name[64];
    const struct space *sx = model_space(m, x), *sy = model_space(m, y);
    if (!sx || !sy) {
        fprintf(f, "no space %u at %s\n", !sx ? x : y, travel_moment_name(h, n, name, sizeof name));
        return -1;
    }
    struct diff_counts c;
    struct runs k = {0};
    diff_spaces(sx, sy, keep, &k, &c);
    fprintf(f,
            "spaces %u and %u at %s, user half: %llu pages shared (=), %llu copied (~), %llu only in %u (-), "
            "%llu only in %u (+)\n",
            x, y, travel_moment_name(h, n, name, sizeof name), (unsigned long long)c.pages[3],
            (unsigned long long)c.pages[2], (unsigned long long)c.pages[1], x, (unsigned long long)c.pages[0],
            y);
    print_regions(f, &k, true);
    for (size_t i = 0; i < k.n; i++)
        diff_print(f, &k.r[i]);
    free(k.r);
    return 0;
}
