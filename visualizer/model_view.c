/*
 * model_view.c: what is derived from the model rather than stored in it:
 * the text dump (ptdump.c prints the runs), pages present in a range (for
 * regions) and the model's invariant check.
 * The physical frames are model_frames.c's.
 */
#include <string.h>
#include "model_internal.h"
#include "ptdump.h"

/* ---- regions ---- */

uint32_t model_present_pages(const struct space *sp, uint32_t start, uint32_t end)
{
    uint64_t va = start, stop = end ? end : (uint64_t)1 << 32;
    uint32_t n = 0;
    while (va < stop) {
        uint32_t pdi = (uint32_t)(va >> 22), e = sp->dir[pdi];
        uint64_t next = ((uint64_t)pdi + 1) << 22;
        uint64_t to = next < stop ? next : stop;
        const struct ptab *t = sp->table[pdi];
        if ((e & PTE_P) && (e & PDE_PS))
            n += (uint32_t)((to - va) >> PAGE_SHIFT);
        else if (t && t->present && va == (uint64_t)pdi << 22 && to == next)
            n += t->present; /* the whole table: its count */
        else if (t && t->present)
            for (uint64_t a = va; a < to; a += PAGE_SIZE)
                n += (t->e[PTX((uint32_t)a)] & PTE_P) != 0;
        va = to;
    }
    return n;
}

const char *region_kind_name(enum word_HOLDS kind)
{
    return word_name(WS_HOLDS, kind);
}

/* "256K", "4M", "1G": a size in bytes, short. */
static void size_words(char *out, size_t size, uint64_t bytes)
{
    if (bytes >= (1u << 30) && bytes % (1u << 30) == 0)
        snprintf(out, size, "%lluG", (unsigned long long)(bytes >> 30));
    else if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(out, size, "%lluM", (unsigned long long)(bytes >> 20));
    else
        snprintf(out, size, "%lluK", (unsigned long long)(bytes >> 10));
}

/* /proc/PID/maps for one space: a line per region, address order. */
static void dump_regions(const struct model *m, const struct space *sp, FILE *f)
{
    if (!m->regions_seen)
        return;
    for (uint32_t i = 0; i < sp->nregions; i++) {
        const struct model_region *r = &sp->regions[i];
        char size[24];
        size_words(size, sizeof size, (uint64_t)r->end - r->start);
        fprintf(f, "region 0x%08x-0x%08x %6s %-6s %u/%u present\n", r->start, r->end, size,
                region_kind_name(r->kind), model_present_pages(sp, r->start, r->end),
                (r->end - r->start) >> PAGE_SHIFT);
    }
}

/* ---- text dump ---- */

static void dump_space(const struct model *m, const struct space *sp, FILE *f)
{
    char trust[80];
    uint32_t *tables[ENTRIES];
    if (sp->whole)
        snprintf(trust, sizeof trust, "whole");
    else
        snprintf(trust, sizeof trust, "untrusted since tick %u (%s)", sp->since, untrusted_name(sp->why));
    fprintf(f, "space %u cr3 0x%08x %s%s: %u directory entries, %u table entries\n", sp->asid, sp->cr3, trust,
            m->current_asid == sp->asid ? " current" : "", sp->pdes, space_ptes(sp));
    dump_regions(m, sp, f);
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++)
        tables[pdi] = (uint32_t *)space_table(sp, pdi); /* ptdump only reads them */
    /* The kernel sends PS entries as 4 MiB pages only when it turned CR4.PSE on. */
    ptdump_runs(f, sp->dir, tables, true);
}

void model_dump(const struct model *m, FILE *f)
{
    for (uint32_t i = 0; i < m->nspaces; i++)
        dump_space(m, m->spaces[i], f);
}

void model_dump_summary(const struct model *m, FILE *f)
{
    if (m->have_hello)
        fprintf(f, "kernel %s: 4 MiB pages %s, global pages %s\n", m->hello.build,
                m->hello.pse ? "yes" : "no", m->hello.pge ? "yes" : "no");
    if (m->have_mem)
        fprintf(f, "memory %u KiB usable, %u KiB ignored\n", m->mem.usable_kib, m->mem.ignored_kib);
    if (m->tests_done)
        fprintf(f, "self-tests %u passed, %u failed\n", m->tests_passed, m->tests_failed);
    if (m->stats.losses)
        fprintf(f, "losses %llu, %llu events dropped%s\n", (unsigned long long)m->stats.losses,
                (unsigned long long)m->stats.dropped_events, m->loss.open ? ", one still under way" : "");
    if (m->stats.inconsistent)
        fprintf(f, "contradictions %llu (events that did not fit the model: records went missing)\n",
                (unsigned long long)m->stats.inconsistent);
    uint32_t since;
    enum untrusted why;
    if (!model_whole(m, &since, &why))
        fprintf(f, "picture not whole since tick %u (%s)\n", since, untrusted_name(why));
    for (uint32_t i = m->log_count; m->panicked && i-- > 0;) {
        const struct log_line *l = model_log(m, i);
        if (l->kind == LOG_PANIC) {
            fprintf(f, "panic %s\n", l->text);
            break;
        }
    }
}

/* ---- invariants ---- */

static const char *check_space(const struct space *sp)
{
    uint32_t pdes = 0;
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++)
        pdes += (sp->dir[pdi] & PTE_P) != 0;
    return pdes == sp->pdes ? NULL : "model_check: directory count wrong";
}

/* A space's regions: at most MODEL_REGIONS_MAX, each whole pages and not empty, in address order, apart. */
static const char *check_regions(const struct space *sp)
{
    if (sp->nregions > MODEL_REGIONS_MAX)
        return "model_check: too many regions";
    for (uint32_t k = 0; k < sp->nregions; k++) {
        const struct model_region *r = &sp->regions[k];
        if (r->start >= r->end || (r->start | r->end) & (PAGE_SIZE - 1))
            return "model_check: a region is empty or not whole pages";
        if (k > 0 && sp->regions[k - 1].end > r->start)
            return "model_check: regions out of order or overlapping";
    }
    return NULL;
}

const char *model_check(const struct model *m)
{
    const char *why;
    int current_found = m->current_asid == MODEL_NO_ASID;
    if (m->nspaces > MODEL_SPACES_MAX || m->nspaces > m->spaces_cap)
        return "model_check: too many spaces";
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = m->spaces[i];
        if (i > 0 && m->spaces[i - 1]->asid >= sp->asid)
            return "model_check: spaces out of asid order";
        if (sp->whole != (sp->why == UNTRUSTED_NONE))
            return "model_check: whole and its reason disagree";
        current_found |= sp->asid == m->current_asid;
        if ((why = check_regions(sp)))
            return why;
        if ((why = check_space(sp)))
            return why;
    }
    if ((why = check_space(&m->stage.sp)))
        return why;
    if (!m->stage.active && m->stage.sp.pdes)
        return "model_check: idle stage holds entries";
    if ((why = model_check_tables(m)))
        return why;
    if ((why = frame_map_check(m->frame_map)))
        return why;
    if (!current_found)
        return "model_check: current asid names no space";
    if (m->log_count > MODEL_LOG_LINES || m->log_head >= MODEL_LOG_LINES)
        return "model_check: log ring out of bounds";
    if (m->fault_count > MODEL_FAULTS || m->fault_head >= MODEL_FAULTS)
        return "model_check: fault ring out of bounds";
    if (m->test_count > MODEL_TESTS)
        return "model_check: too many tests";
    for (uint32_t i = 0; i < m->log_count; i++)
        if (model_log(m, i)->len != strnlen(model_log(m, i)->text, MODEL_TEXT_MAX))
            return "model_check: log line length wrong";
    return NULL;
}
