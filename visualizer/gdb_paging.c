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
    if (p)
        free(p->store);
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

/* Reads the tables the directory points to, each distinct frame once. */
static int read_tables(struct gdb *g, struct gdb_paging *p)
{
    uint32_t key[FRAMES_HASH];
    int16_t slot_of[FRAMES_HASH]; /* the directory index that first named the frame, -1 for none */
    bool pse = p->mode == GDB_PAGING_32_PSE;
    memset(slot_of, 0xFF, sizeof slot_of);
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t pde = p->dir[i];
        if (!(pde & PTE_P))
            continue;
        p->pdes++;
        if (pse && (pde & PDE_PS)) {
            p->wide_pages += (pde & WIDE_BITS) != 0;
            continue;
        }
        uint32_t frame = frame_of(pde);
        if (frame == p->dir_phys) { /* a recursive entry: the directory is its own table */
            p->table[i] = p->dir;
            p->table_state[i] = GDB_TABLE_READ;
            p->tables_shared++;
            continue;
        }
        uint32_t h = (frame >> 12) * 2654435761u % FRAMES_HASH;
        while (slot_of[h] >= 0 && key[h] != frame)
            h = (h + 1) % FRAMES_HASH;
        if (slot_of[h] >= 0) {
            uint32_t first = (uint32_t)slot_of[h];
            p->table[i] = p->table[first];
            p->table_state[i] = p->table_state[first];
            p->tables_shared += p->table_state[i] == GDB_TABLE_READ;
            continue;
        }
        key[h] = frame;
        slot_of[h] = (int16_t)i;
        if (p->tables_read == p->max_tables) {
            p->table_state[i] = GDB_TABLE_OVER_LIMIT;
            p->tables_over_limit++;
            continue;
        }
        uint32_t *t = p->store + (size_t)p->tables_read * ENTRIES;
        if (gdb_read_memory(g, frame, t, ENTRIES * sizeof *t)) {
            if (gdb_broken(g))
                return -1;
            if (!p->table_error[0])
                snprintf(p->table_error, sizeof p->table_error, "%s", gdb_error(g));
            p->table_state[i] = GDB_TABLE_FAILED;
            p->tables_failed++;
            continue;
        }
        p->times.bytes += ENTRIES * sizeof *t;
        p->table[i] = t;
        p->table_state[i] = GDB_TABLE_READ;
        p->tables_read++;
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
    p->dir_phys = (uint32_t)p->cr3 & CR3_FRAME;
    if (gdb_read_memory(g, p->dir_phys, p->dir, sizeof p->dir)) {
        if (gdb_broken(g))
            return -1;
        snprintf(p->says, sizeof p->says, "%s; the directory at 0x%08x could not be read: %s",
                 gdb_paging_mode_name(p->mode), p->dir_phys, gdb_error(g));
        return 0;
    }
    p->times.bytes += sizeof p->dir;
    if (read_tables(g, p))
        return -1;
    p->drawable = true;
    return 0;
}

int gdb_paging_poll(struct gdb *g, struct gdb_paging *p)
{
    uint32_t peeks = p->peeks;
    uint64_t peek_addr[GDB_PAGING_PEEKS];
    memcpy(peek_addr, p->peek_addr, sizeof peek_addr);
    uint64_t polls = p->polls + 1;
    uint32_t max_tables = p->max_tables, *store = p->store;
    /* Everything else starts afresh: nothing of the last poll may pass for this one's. */
    memset(p, 0, sizeof *p);
    p->peeks = peeks;
    memcpy(p->peek_addr, peek_addr, sizeof peek_addr);
    p->polls = polls;
    p->max_tables = max_tables;
    p->store = store;
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
                p->dir_phys, p->pdes, p->tables_read, p->tables_shared, p->tables_over_limit,
                p->tables_failed);
    if (p->table_error[0])
        fprintf(f, "first refusal: %s\n", p->table_error);
    if (p->wide_pages)
        fprintf(f, "warning: %u 4 MiB entries not drawn: frame above 4 GiB (PSE-36) or reserved bits set\n",
                p->wide_pages);
}

void gdb_paging_dump(const struct gdb_paging *p, FILE *f)
{
    if (!p->drawable)
        return;
    bool pse = p->mode == GDB_PAGING_32_PSE;
    uint32_t dir[ENTRIES];
    memcpy(dir, p->dir, sizeof dir);
    for (uint32_t i = 0; pse && p->wide_pages && i < ENTRIES; i++)
        if ((dir[i] & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS) && (dir[i] & WIDE_BITS))
            dir[i] = 0; /* its frame is not the 32-bit address the dump would print */
    ptdump_runs(f, dir, p->table, pse);
    for (uint32_t i = 0; i < ENTRIES; i++) {
        if (pse && (p->dir[i] & (PTE_P | PDE_PS)) == (PTE_P | PDE_PS) && (p->dir[i] & WIDE_BITS))
            fprintf(f,
                    "not drawn 0x%08x-0x%08llx 4M entry 0x%08x: "
                    "frame above 4 GiB (PSE-36) or reserved bits\n",
                    i << 22, ((unsigned long long)i + 1) << 22, p->dir[i]);
        uint8_t s = p->table_state[i];
        if (s != GDB_TABLE_OVER_LIMIT && s != GDB_TABLE_FAILED)
            continue;
        fprintf(f, "not read 0x%08x-0x%08llx table 0x%08x: ", i << 22, ((unsigned long long)i + 1) << 22,
                frame_of(p->dir[i]));
        if (s == GDB_TABLE_OVER_LIMIT)
            fprintf(f, "over the limit of %u tables\n", p->max_tables);
        else
            fprintf(f, "the stub refused\n");
    }
}
