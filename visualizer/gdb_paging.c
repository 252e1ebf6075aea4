/*
 * gdb_paging.c: polling a guest's paging through the GDB stub
 * (gdb_paging.h): the registers, the mode they make, the directory and its
 * tables, each distinct table read once per poll.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <koiz/x86_regs.h>
#include "gdb_paging.h"
#include "ptdump.h"

#define FRAMES_HASH 2048        /* slots for the distinct table frames of one poll (at most 1024) */
#define WIDE_BITS   0x003FE000u /* bits 13-21 of a 4 MiB entry: PSE-36 address bits 32-39, or reserved */

struct gdb_paging *gdb_paging_new(uint32_t max_tables)
{
    if (max_tables < 1 || max_tables > ENTRIES)
        return NULL;
    struct gdb_paging *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->store = malloc((size_t)max_tables * ENTRIES * sizeof *p->store);
    if (!p->store) {
        free(p);
        return NULL;
    }
    p->max_tables = max_tables;
    return p;
}

void gdb_paging_free(struct gdb_paging *p)
{
    if (p) {
        free(p->store);
        free(p->also);
    }
    free(p);
}

const char *gdb_paging_mode_name(enum gdb_paging_mode mode)
{
    switch (mode) {
    case GDB_PAGING_UNREAD: return "not read";
    case GDB_PAGING_OFF: return "paging off (CR0.PG clear): addresses are physical";
    case GDB_PAGING_32: return "32-bit paging, 4 KiB pages only (CR4.PSE clear: PS bits ignored)";
    case GDB_PAGING_32_PSE: return "32-bit paging with 4 MiB pages (CR4.PSE)";
    case GDB_PAGING_PAE: return "PAE paging (CR4.PAE): not drawn yet";
    case GDB_PAGING_LONG: return "long mode (EFER.LMA): not drawn yet";
    case GDB_PAGING_PAE_OR_LONG:
        return "PAE paging or long mode (CR4.PAE; the stub has no EFER to tell): "
               "not drawn yet";
    }
    return "?";
}

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static enum gdb_paging_mode decide(const struct gdb_paging *p)
{
    if (p->have_efer && (p->efer & EFER_LMA))
        return GDB_PAGING_LONG;
    if (!(p->cr0 & CR0_PG))
        return GDB_PAGING_OFF;
    if (p->cr4 & CR4_PAE)
        return p->have_efer ? GDB_PAGING_PAE : GDB_PAGING_PAE_OR_LONG;
    return (p->cr4 & CR4_PSE) ? GDB_PAGING_32_PSE : GDB_PAGING_32;
}

static int read_registers(struct gdb *g, struct gdb_paging *p)
{
    static const char *const names[] = {"cr0", "cr3", "cr4"};
    uint64_t *const into[] = {&p->cr0, &p->cr3, &p->cr4};
    for (int i = 0; i < 3; i++) {
        int r = gdb_find_register(g, names[i]);
        if (r < 0 || gdb_read_register(g, r, into[i])) {
            snprintf(p->says, sizeof p->says, "cannot read %s: %s", names[i], gdb_error(g));
            return -1;
        }
    }
    /* EFER only tells long mode from PAE; a stub without it is still useful. */
    int r = gdb_find_register(g, "efer");
    if (r >= 0 && gdb_read_register(g, r, &p->efer) == 0)
        p->have_efer = true;
    return gdb_broken(g) ? -1 : 0;
}

bool gdb_paging_wide(uint32_t e)
{
    return (e & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS) && (e & WIDE_BITS);
}

uint32_t gdb_paging_model_pde(bool pse, uint32_t e)
{
    if (!(e & PTE_P))
        return 0;
    if (e & PDE_PS) {
        if (!pse)
            return e & ~(uint32_t)PDE_PS;
        if (e & WIDE_BITS)
            return 0;
    }
    return e;
}

int gdb_paging_also(struct gdb_paging *p, const uint32_t *phys, uint32_t n)
{
    if (n > GDB_PAGING_ALSO_MAX)
        return -1;
    if (n && !p->also && !(p->also = calloc(GDB_PAGING_ALSO_MAX, sizeof *p->also)))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        p->also[i].phys = phys[i] & CR3_FRAME;
    p->nalso = n;
    return 0;
}

/* The distinct table frames read in one poll, every directory together: frame -> first holder. */
struct frames {
    uint32_t key[FRAMES_HASH];
    uint32_t *table[FRAMES_HASH];
    uint8_t state[FRAMES_HASH];
    bool used[FRAMES_HASH];
    uint32_t count; /* distinct frames met (at most ENTRIES * (1 + GDB_PAGING_ALSO_MAX) would not fit:
                       past FRAMES_HASH / 2 a frame counts as over the limit) */
};

/* Reads the tables directory d points to: each distinct frame once in the whole poll. */
static int read_tables(struct gdb *g, struct gdb_paging *p, struct gdb_directory *d, struct frames *fr,
                       uint32_t *read_so_far)
{
    bool pse = p->mode == GDB_PAGING_32_PSE;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t pde = d->dir[i];
        if (!(pde & PTE_P))
            continue;
        d->pdes++;
        if (pse && (pde & PDE_PS)) {
            d->wide_pages += (pde & WIDE_BITS) != 0;
            continue;
        }
        uint32_t frame = frame_of(pde);
        if (frame == d->phys) { /* a recursive entry: the directory is its own table */
            d->table[i] = d->dir;
            d->table_state[i] = GDB_TABLE_READ;
            d->tables_shared++;
            continue;
        }
        uint32_t h = (frame >> 12) * 2654435761u % FRAMES_HASH;
        while (fr->used[h] && fr->key[h] != frame)
            h = (h + 1) % FRAMES_HASH;
        if (fr->used[h]) {
            d->table[i] = fr->table[h];
            d->table_state[i] = fr->state[h];
            d->tables_shared += d->table_state[i] == GDB_TABLE_READ;
            continue;
        }
        if (*read_so_far == p->max_tables || fr->count >= FRAMES_HASH / 2) {
            d->table_state[i] = GDB_TABLE_OVER_LIMIT;
            d->tables_over_limit++;
            if (fr->count < FRAMES_HASH / 2) { /* remembered, so that it is counted once */
                fr->used[h] = true;
                fr->key[h] = frame;
                fr->table[h] = NULL;
                fr->state[h] = GDB_TABLE_OVER_LIMIT;
                fr->count++;
            }
            continue;
        }
        fr->used[h] = true;
        fr->key[h] = frame;
        fr->count++;
        uint32_t *t = p->store + (size_t)*read_so_far * ENTRIES;
        if (gdb_read_memory(g, frame, t, ENTRIES * sizeof *t)) {
            if (gdb_broken(g))
                return -1;
            if (!p->table_error[0])
                snprintf(p->table_error, sizeof p->table_error, "%s", gdb_error(g));
            fr->table[h] = NULL;
            fr->state[h] = d->table_state[i] = GDB_TABLE_FAILED;
            d->tables_failed++;
            continue;
        }
        p->times.bytes += ENTRIES * sizeof *t;
        fr->table[h] = d->table[i] = t;
        fr->state[h] = d->table_state[i] = GDB_TABLE_READ;
        d->tables_read++;
        (*read_so_far)++;
    }
    return 0;
}

/* Whether another directory, just read, still looks like one (gdb_paging_also). */
static bool looks_like_directory(const struct gdb_paging *p, const struct gdb_directory *d)
{
    bool pse = p->mode == GDB_PAGING_32_PSE, shares = false;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t e = d->dir[i];
        if (!(e & PTE_P))
            continue;
        if (pse && gdb_paging_wide(e))
            return false;
        shares |= ((e ^ p->cur.dir[i]) & ~(uint32_t)(PTE_A | PTE_D)) == 0;
    }
    return shares;
}

/* Reads the directories the caller asked for besides the current one, in order. */
static int read_others(struct gdb *g, struct gdb_paging *p, struct frames *fr, uint32_t *read_so_far)
{
    for (uint32_t k = 0; k < p->nalso; k++) {
        struct gdb_directory *d = &p->also[k];
        if (d->phys == p->cur.phys)
            continue;
        if (gdb_read_memory(g, d->phys, d->dir, sizeof d->dir)) {
            if (gdb_broken(g))
                return -1;
            d->state = GDB_DIR_FAILED;
            continue;
        }
        p->times.bytes += sizeof d->dir;
        if (!looks_like_directory(p, d)) {
            d->state = GDB_DIR_NOT_A_DIRECTORY;
            continue;
        }
        if (read_tables(g, p, d, fr, read_so_far))
            return -1;
        d->state = GDB_DIR_READ;
    }
    return 0;
}

/* Registers, mode, directory, tables, peeks: everything read while the guest stands still. */
static int read_all(struct gdb *g, struct gdb_paging *p)
{
    if (read_registers(g, p))
        return -1;
    p->mode = decide(p);
    snprintf(p->says, sizeof p->says, "%s", gdb_paging_mode_name(p->mode));
    if (gdb_physical_memory(g, true)) {
        snprintf(p->says, sizeof p->says, "cannot read physical memory: %s", gdb_error(g));
        return gdb_broken(g) ? -1 : 0;
    }
    for (uint32_t i = 0; i < p->peeks && i < GDB_PAGING_PEEKS; i++) {
        uint8_t b[4];
        p->peek_ok[i] = gdb_read_memory(g, p->peek_addr[i], b, sizeof b) == 0;
        if (gdb_broken(g))
            return -1;
        p->peek_value[i] = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    if (p->mode != GDB_PAGING_32 && p->mode != GDB_PAGING_32_PSE)
        return 0;
    p->cur.phys = (uint32_t)p->cr3 & CR3_FRAME;
    if (gdb_read_memory(g, p->cur.phys, p->cur.dir, sizeof p->cur.dir)) {
        if (gdb_broken(g))
            return -1;
        p->cur.state = GDB_DIR_FAILED;
        snprintf(p->says, sizeof p->says, "%s; the directory at 0x%08x could not be read: %s",
                 gdb_paging_mode_name(p->mode), p->cur.phys, gdb_error(g));
        return 0;
    }
    p->times.bytes += sizeof p->cur.dir;
    struct frames *fr = calloc(1, sizeof *fr);
    uint32_t read_so_far = 0;
    if (!fr) {
        snprintf(p->says, sizeof p->says, "out of memory reading the tables");
        return 0;
    }
    int rc = read_tables(g, p, &p->cur, fr, &read_so_far);
    if (rc == 0) {
        p->cur.state = GDB_DIR_READ;
        p->drawable = true;
        rc = read_others(g, p, fr, &read_so_far);
    }
    free(fr);
    return rc;
}

int gdb_paging_poll(struct gdb *g, struct gdb_paging *p)
{
    uint32_t peeks = p->peeks;
    uint64_t peek_addr[GDB_PAGING_PEEKS];
    memcpy(peek_addr, p->peek_addr, sizeof peek_addr);
    uint64_t polls = p->polls + 1;
    uint32_t max_tables = p->max_tables, *store = p->store, nalso = p->nalso;
    struct gdb_directory *also = p->also;
    /* Everything else starts afresh: nothing of the last poll may pass for this one's. */
    memset(p, 0, sizeof *p);
    p->peeks = peeks;
    memcpy(p->peek_addr, peek_addr, sizeof peek_addr);
    p->polls = polls;
    p->max_tables = max_tables;
    p->store = store;
    p->nalso = nalso;
    p->also = also;
    for (uint32_t k = 0; k < nalso; k++) {
        uint32_t phys = also[k].phys;
        memset(&also[k], 0, sizeof also[k]);
        also[k].phys = phys;
    }
    snprintf(p->says, sizeof p->says, "%s", gdb_paging_mode_name(GDB_PAGING_UNREAD));

    uint64_t requests = gdb_stats(g)->requests;
    uint64_t t0 = now_us();
    if (gdb_stop(g)) {
        snprintf(p->says, sizeof p->says, "cannot stop the guest: %s", gdb_error(g));
        return -1;
    }
    uint64_t t1 = now_us();
    int rc = read_all(g, p);
    uint64_t t2 = now_us();
    if (gdb_broken(g)) {
        snprintf(p->says, sizeof p->says, "the link to the stub is lost: %s", gdb_error(g));
        return -1;
    }
    if (gdb_resume(g)) {
        snprintf(p->says, sizeof p->says, "cannot resume the guest: %s", gdb_error(g));
        return -1;
    }
    uint64_t t3 = now_us();
    p->times.stop_us = (uint32_t)(t1 - t0);
    p->times.reads_us = (uint32_t)(t2 - t1);
    p->times.resume_us = (uint32_t)(t3 - t2);
    p->times.total_us = (uint32_t)(t3 - t0);
    p->times.requests = (uint32_t)(gdb_stats(g)->requests - requests);
    return rc;
}

void gdb_paging_describe(const struct gdb_paging *p, FILE *f)
{
    fprintf(f, "mode %s\n", p->says);
    if (p->mode == GDB_PAGING_UNREAD)
        return;
    fprintf(f, "cr0 0x%08llx cr3 0x%08llx cr4 0x%08llx", (unsigned long long)p->cr0,
            (unsigned long long)p->cr3, (unsigned long long)p->cr4);
    if (p->have_efer)
        fprintf(f, " efer 0x%08llx", (unsigned long long)p->efer);
    fprintf(f, "\n");
    if (p->drawable)
        fprintf(f,
                "directory 0x%08x: %u entries present, %u tables read, %u shared, %u over the limit, "
                "%u refused\n",
                p->cur.phys, p->cur.pdes, p->cur.tables_read, p->cur.tables_shared, p->cur.tables_over_limit,
                p->cur.tables_failed);
    if (p->table_error[0])
        fprintf(f, "first refusal: %s\n", p->table_error);
    if (p->cur.wide_pages)
        fprintf(f, "warning: %u 4 MiB entries not drawn: frame above 4 GiB (PSE-36) or reserved bits set\n",
                p->cur.wide_pages);
}

void gdb_paging_dump_directory(const struct gdb_paging *p, const struct gdb_directory *d, FILE *f)
{
    if (!p->drawable || d->state != GDB_DIR_READ)
        return;
    bool pse = p->mode == GDB_PAGING_32_PSE;
    uint32_t dir[ENTRIES];
    memcpy(dir, d->dir, sizeof dir);
    for (uint32_t i = 0; pse && d->wide_pages && i < ENTRIES; i++)
        if (gdb_paging_wide(dir[i]))
            dir[i] = 0; /* its frame is not the 32-bit address the dump would print */
    ptdump_runs(f, dir, d->table, pse);
    for (uint32_t i = 0; i < ENTRIES; i++) {
        if (pse && gdb_paging_wide(d->dir[i]))
            fprintf(f,
                    "not drawn 0x%08x-0x%08llx 4M entry 0x%08x: "
                    "frame above 4 GiB (PSE-36) or reserved bits\n",
                    i << 22, ((unsigned long long)i + 1) << 22, d->dir[i]);
        uint8_t s = d->table_state[i];
        if (s != GDB_TABLE_OVER_LIMIT && s != GDB_TABLE_FAILED)
            continue;
        fprintf(f, "not read 0x%08x-0x%08llx table 0x%08x: ", i << 22, ((unsigned long long)i + 1) << 22,
                frame_of(d->dir[i]));
        if (s == GDB_TABLE_OVER_LIMIT)
            fprintf(f, "over the limit of %u tables\n", p->max_tables);
        else
            fprintf(f, "the stub refused\n");
    }
}

void gdb_paging_dump(const struct gdb_paging *p, FILE *f)
{
    gdb_paging_dump_directory(p, &p->cur, f);
}
