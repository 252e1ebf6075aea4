/*
 * gdb_verify.c: the model compared with a poll of the guest's memory
 * (gdb_verify.h).
 */
#include <stdio.h>
#include <string.h>
#include "gdb_verify.h"

#define SAME(a, b) ((((a) ^ (b)) & ~(uint32_t)(PTE_A | PTE_D)) == 0)

void gdb_verify_init(struct gdb_verify *v, uint32_t need)
{
    memset(v, 0, sizeof *v);
    v->need = need ? need : 1;
}

uint32_t gdb_verify_spaces(const struct model *m, uint32_t *cr3, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->nspaces && n < max; i++) {
        const struct space *sp = model_space_at(m, i);
        if (sp->whole && sp->cr3)
            cr3[n++] = sp->cr3 & 0xFFFFF000u;
    }
    return n;
}

/* The poll's reading of the directory at phys, or NULL. */
static const struct gdb_directory *reading(const struct gdb_paging *p, uint32_t phys)
{
    if (p->cur.state == GDB_DIR_READ && p->cur.phys == phys)
        return &p->cur;
    for (uint32_t k = 0; k < p->nalso; k++)
        if (p->also[k].phys == phys && p->also[k].state == GDB_DIR_READ)
            return &p->also[k];
    return NULL;
}

struct check {
    struct gdb_verify *v;
    const struct model *m;
    double now;
    uint32_t confirmed;
};

/* One difference seen by this comparison. */
static void differs(struct check *c, const struct space *sp, uint32_t va, bool table, uint32_t model,
                    uint32_t memory)
{
    struct gdb_verify *v = c->v;
    struct gdb_divergence *d = NULL;
    for (uint32_t i = 0; i < v->n && !d; i++)
        if (v->d[i].asid == sp->asid && v->d[i].va == va && v->d[i].table == table)
            d = &v->d[i];
    if (!d) {
        if (v->n == GDB_VERIFY_KEPT) {
            v->untracked++;
            return;
        }
        d = &v->d[v->n++];
        memset(d, 0, sizeof *d);
        d->asid = sp->asid;
        d->va = va;
        d->table = table;
    }
    if (!d->seen) { /* new, or back after the entries agreed again: a divergence of its own */
        d->since_tick = c->m->tick;
        d->since_s = c->now;
        d->confirmed = d->told = false;
    } else if (d->model != model || d->memory != memory) {
        d->seen = 0; /* other values: the lag of the stream again, perhaps; count from here */
    }
    d->cr3 = sp->cr3;
    d->model = model;
    d->memory = memory;
    d->seen++;
    d->open = true;
    if (!d->confirmed && d->seen >= v->need) {
        d->confirmed = true;
        v->confirmed++;
        c->confirmed++;
    }
}

static void check_space(struct check *c, const struct space *sp, const struct gdb_directory *d, bool pse)
{
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t mine = (sp->dir[i] & PTE_P) ? sp->dir[i] : 0;
        uint32_t theirs = gdb_paging_model_pde(pse, d->dir[i]);
        if (!SAME(mine, theirs)) {
            differs(c, sp, i << 22, false, mine, theirs);
            continue;
        }
        const uint32_t *t = space_table(sp, i);
        if ((mine & (PTE_P | PDE_PS)) != PTE_P || !t || d->table_state[i] != GDB_TABLE_READ)
            continue;
        for (uint32_t j = 0; j < ENTRIES; j++) {
            uint32_t a = (t[j] & PTE_P) ? t[j] : 0, b = (d->table[i][j] & PTE_P) ? d->table[i][j] : 0;
            if (!SAME(a, b))
                differs(c, sp, i << 22 | j << 12, true, a, b);
        }
    }
}

uint32_t gdb_verify_check(struct gdb_verify *v, const struct model *m, const struct gdb_paging *p, double now)
{
    struct check c = {v, m, now, 0};
    if (!p->drawable)
        return 0;
    for (uint32_t i = 0; i < v->n; i++)
        v->d[i].open = false;
    v->checks++;
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = model_space_at(m, i);
        const struct gdb_directory *d = sp->cr3 ? reading(p, sp->cr3 & 0xFFFFF000u) : NULL;
        if (!sp->whole) {
            v->not_whole++;
            continue;
        }
        if (!d) {
            v->unread++;
            continue;
        }
        v->spaces++;
        check_space(&c, sp, d, p->mode == GDB_PAGING_32_PSE);
    }
    /* What this comparison did not show is over: kept if it was a divergence, forgotten if not yet. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        if (!v->d[i].open)
            v->d[i].seen = 0;
        if (v->d[i].open || v->d[i].confirmed)
            v->d[kept++] = v->d[i];
    }
    v->n = kept;
    return c.confirmed;
}

uint32_t gdb_verify_open(const struct gdb_verify *v)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->n; i++)
        n += v->d[i].confirmed && v->d[i].open;
    return n;
}

const struct gdb_divergence *gdb_verify_next_told(struct gdb_verify *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (v->d[i].confirmed && !v->d[i].told) {
            v->d[i].told = true;
            return &v->d[i];
        }
    return NULL;
}

void gdb_verify_describe(const struct gdb_divergence *d, double start, char *out, size_t size)
{
    snprintf(out, size,
             "space %u (cr3 0x%08x) va 0x%08x %s: telemetry 0x%08x, memory 0x%08x, since tick %u (%.1f s)",
             d->asid, d->cr3, d->va, d->table ? "table entry" : "directory entry", d->model, d->memory,
             d->since_tick, d->since_s - start);
}
