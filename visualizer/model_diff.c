/*
 * model_diff.c: differences of two moments or two spaces (model_diff.h). A
 * walker compares, page by page, what translates each address on the two
 * sides (a 4 MiB page standing for its 1,024 pieces), skipping directory
 * slots that are the same on both; a run gathers neighbouring pages of one
 * kind whose frames go up together, as ptdump's do.
 */
#include <string.h>
#include "model_diff.h"

#define AD (PTE_A | PTE_D)

struct walk {
    diff_sink sink;
    void *ctx;
    struct diff_counts *counts;
    bool spaces; /* a spaces difference: '=' for the same frame, no flag changes */
    uint32_t asid;
    struct diff_run run;
    bool open;
    uint32_t next_old, next_new; /* the frames the run's next page would have */
};

int diff_kind_index(char kind)
{
    return kind == '+' ? 0 : kind == '-' ? 1 : kind == '~' ? 2 : 3;
}

static void run_flush(struct walk *w)
{
    if (!w->open)
        return;
    w->counts->runs++;
    w->sink(w->ctx, &w->run);
    w->open = false;
}

/* The leaf entry of a page: a 4 KiB page's PTE, or for a piece of a 4 MiB
 * page an entry with that piece's frame and the PDE's flags (PS kept). */
static uint32_t piece(uint32_t pde, uint32_t pti)
{
    return (large_frame_of(pde) + (pti << PAGE_SHIFT)) | (pde & PTE_FLAGS);
}

static void page(struct walk *w, uint64_t va, uint32_t old, uint32_t new, uint32_t size)
{
    bool po = old & PTE_P, pn = new &PTE_P;
    char kind;
    if (!po && !pn)
        kind = 0;
    else if (!po)
        kind = '+';
    else if (!pn)
        kind = '-';
    else if (frame_of(old) == frame_of(new))
        kind = w->spaces ? '=' : ((old & ~AD) == (new & ~AD) ? 0 : '~');
    else
        kind = '~';
    if (!kind) {
        run_flush(w);
        return;
    }
    w->counts->pages[diff_kind_index(kind)]++;
    uint32_t fo = frame_of(old), fn = frame_of(new), flags_o = old & PTE_FLAGS & ~AD,
             flags_n = new &PTE_FLAGS & ~AD;
    struct diff_run *r = &w->run;
    if (w->open && r->kind == kind && va == r->end && size == r->size && fo == w->next_old &&
        fn == w->next_new && flags_o == (r->old & PTE_FLAGS & ~AD) && flags_n == (r->new &PTE_FLAGS & ~AD)) {
        r->end += PAGE_SIZE;
        w->next_old += PAGE_SIZE;
        w->next_new += PAGE_SIZE;
        return;
    }
    run_flush(w);
    *r = (struct diff_run){kind, w->asid, va, va + PAGE_SIZE, size, po ? old : 0, pn ? new : 0};
    w->next_old = fo + PAGE_SIZE;
    w->next_new = fn + PAGE_SIZE;
    w->open = true;
}

/* Whether directory slot pdi translates the same on both sides (A/D aside). */
static bool same_slot(const struct space *a, const struct space *b, uint32_t pdi)
{
    uint32_t ea = a ? a->dir[pdi] : 0, eb = b ? b->dir[pdi] : 0;
    const uint32_t *ta = a ? space_table(a, pdi) : NULL, *tb = b ? space_table(b, pdi) : NULL;
    if (!(ea & PTE_P) && !(eb & PTE_P))
        return true;
    if ((ea & PDE_PS) || (eb & PDE_PS))
        return (ea & ~AD) == (eb & ~AD);
    if ((ea & PTE_P) != (eb & PTE_P))
        return false;
    if (ta == tb)
        return true;
    if (!ta || !tb)
        return false;
    for (uint32_t i = 0; i < ENTRIES; i++)
        if ((ta[i] & ~AD) != (tb[i] & ~AD))
            return false;
    return true;
}

static void walk_slots(struct walk *w, const struct space *a, const struct space *b, uint32_t last_pdi)
{
    for (uint32_t pdi = 0; pdi < last_pdi; pdi++) {
        if (!w->spaces && same_slot(a, b, pdi)) {
            run_flush(w);
            continue;
        }
        uint32_t ea = a ? a->dir[pdi] : 0, eb = b ? b->dir[pdi] : 0;
        const uint32_t *ta = a ? space_table(a, pdi) : NULL, *tb = b ? space_table(b, pdi) : NULL;
        bool la = (ea & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS),
             lb = (eb & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS);
        if (!la && !lb && !ta && !tb) {
            run_flush(w);
            continue;
        }
        for (uint32_t pti = 0; pti < ENTRIES; pti++) {
            uint32_t o = la ? piece(ea, pti) : (ta && (ea & PTE_P) ? ta[pti] : 0);
            uint32_t n = lb ? piece(eb, pti) : (tb && (eb & PTE_P) ? tb[pti] : 0);
            page(w, (uint64_t)pdi << 22 | (uint64_t)pti << 12, o, n, la || lb ? LARGE_PAGE_SIZE : PAGE_SIZE);
        }
    }
    run_flush(w);
}

void diff_moments(const struct model *a, const struct model *b, diff_sink sink, void *ctx,
                  struct diff_counts *counts)
{
    struct walk w = {.sink = sink, .ctx = ctx, .counts = counts};
    memset(counts, 0, sizeof *counts);
    uint32_t i = 0, j = 0;
    while (i < a->nspaces || j < b->nspaces) {
        const struct space *sa = i < a->nspaces ? a->spaces[i] : NULL;
        const struct space *sb = j < b->nspaces ? b->spaces[j] : NULL;
        if (sa && sb && sa->asid == sb->asid) {
            i++, j++;
        } else if (sa && (!sb || sa->asid < sb->asid)) {
            sb = NULL;
            i++;
        } else {
            sa = NULL;
            j++;
        }
        w.asid = sa ? sa->asid : sb->asid;
        walk_slots(&w, sa, sb, ENTRIES);
    }
}

void diff_spaces(const struct space *x, const struct space *y, diff_sink sink, void *ctx,
                 struct diff_counts *counts)
{
    struct walk w = {.sink = sink, .ctx = ctx, .counts = counts, .spaces = true, .asid = x->asid};
    memset(counts, 0, sizeof *counts);
    walk_slots(&w, x, y, KERNEL_PDE_FIRST);
}

size_t diff_regions(const struct diff_run *runs, size_t n, struct diff_region *out, size_t max)
{
    size_t k = 0;
    struct diff_region cur = {0};
    for (size_t i = 0; i < n; i++) {
        const struct diff_run *r = &runs[i];
        if (i && (r->asid != cur.asid || r->start > cur.end + DIFF_REGION_GAP)) {
            if (k < max)
                out[k] = cur;
            k++;
        }
        if (!i || r->asid != cur.asid || r->start > cur.end + DIFF_REGION_GAP)
            cur = (struct diff_region){.asid = r->asid, .start = r->start};
        cur.end = r->end;
        cur.pages[diff_kind_index(r->kind)] += (r->end - r->start) >> PAGE_SHIFT;
    }
    if (n) {
        if (k < max)
            out[k] = cur;
        k++;
    }
    return k;
}

static void flags(char *out, size_t size, uint32_t e)
{
    snprintf(out, size, "%s %s%s%s%s%s%s", (e & PDE_PS) ? "4M" : "4K", (e & PTE_W) ? "RW" : "ro",
             (e & PTE_U) ? " USR" : "", (e & PTE_G) ? " G" : "", (e & PTE_COW) ? " COW" : "",
             (e & PTE_A) ? " A" : "", (e & PTE_D) ? " D" : "");
}

void entry_words(char *out, size_t size, uint32_t e, bool dir)
{
    char fl[40];
    if (!e)
        snprintf(out, size, "none");
    else if (!(e & PTE_P))
        snprintf(out, size, "not present (0x%08x)", e);
    else if (dir && !(e & PDE_PS))
        snprintf(out, size, "table 0x%08x %s%s", frame_of(e), (e & PTE_W) ? "RW" : "ro",
                 (e & PTE_U) ? " USR" : "");
    else {
        flags(fl, sizeof fl, e);
        snprintf(out, size, "0x%08x %s", (e & PDE_PS) ? large_frame_of(e) : frame_of(e), fl);
    }
}

void diff_print(FILE *f, const struct diff_run *r)
{
    char fo[40], fn[40], size[24];
    uint64_t bytes = r->end - r->start;
    if (bytes % (1u << 20) == 0)
        snprintf(size, sizeof size, "%lluM", (unsigned long long)(bytes >> 20));
    else
        snprintf(size, sizeof size, "%lluK", (unsigned long long)(bytes >> 10));
    flags(fo, sizeof fo, r->old);
    flags(fn, sizeof fn, r->new);
    fprintf(f, "%c 0x%08llx-0x%08llx %5s", r->kind, (unsigned long long)r->start, (unsigned long long)r->end,
            size);
    switch (r->kind) {
    case '+': fprintf(f, " -> 0x%08x %s\n", frame_of(r->new), fn); break;
    case '-': fprintf(f, " was 0x%08x %s\n", frame_of(r->old), fo); break;
    case '=': fprintf(f, " -> 0x%08x %s | %s\n", frame_of(r->new), fo, fn); break;
    default: fprintf(f, " 0x%08x %s -> 0x%08x %s\n", frame_of(r->old), fo, frame_of(r->new), fn); break;
    }
}
