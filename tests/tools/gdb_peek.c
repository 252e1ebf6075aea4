/*
 * gdb_peek: reads a running guest's page tables through QEMU's GDB stub
 * (visualizer/gdb_paging.h) and prints, for every poll, the paging mode, the
 * control registers and the mappings as the run lines of `koiz-view --dump`
 * (visualizer/ptdump.h), then the poll's timings; at the end a summary.
 *
 *   gdb_peek HOST:PORT [--polls N] [--interval-ms M] [--max-tables N]
 *            [--peek PADDR]... [--timeout-ms T] [--no-runs] [--entries] [--until-gone]
 *
 *   --polls N        polls to make (default 1)
 *   --interval-ms M  from the start of one poll to the next (default 100; 0: back to back)
 *   --max-tables N   tables read per poll at most (default 1024: all)
 *   --peek PADDR     also read the 32-bit word at physical address PADDR in each stop (up to 4)
 *   --timeout-ms T   deadline of each request to the stub (default 2000)
 *   --no-runs        leave out the run lines (for measurements)
 *   --until-gone     when QEMU quits (the stub closes, or the guest exits), print
 *                    `end: REASON` and stop with status 0 (N is then a maximum)
 *   --entries        also a line per present directory entry:
 *                      pde 960 0xf0000000 -> table 0x0015f000 flags 0x003: 12 pages present
 *                      pde 768 0xc0000000 -> 4M page 0x00000000 flags 0x1e3
 *
 * Output of one poll:
 *   poll 1 at 0.000 s
 *   mode 32-bit paging with 4 MiB pages (CR4.PSE)
 *   cr0 0x80000011 cr3 0x00105000 cr4 0x00000010 efer 0x00000000
 *   directory 0x00105000: 9 entries present, 6 tables read, 1 shared, 0 over the limit, 0 refused
 *   peek 0x00104000 0x00000005
 *   0x00001000-0x000a0000  636K -> 0x00001000 4K RW
 *   ...
 *   time stop 105 us, reads 740 us, resume 35 us, total 880 us (14 requests, 57344 bytes)
 * and at the end:
 *   polls 10 in 1.002 s: 9.98 per second; mean stop 100 us, reads 700 us, resume 30 us, total 830 us;
 *   max total 1200 us
 * Exit status 0 when every poll completed (or, with --until-gone, QEMU went away), 1 when one
 * failed (the reason on stderr), 2 for bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gdb_paging.h"
#include "gdb_remote.h"

static void usage(void)
{
    fprintf(stderr, "usage: gdb_peek HOST:PORT [--polls N] [--interval-ms M] [--max-tables N] "
                    "[--peek PADDR]... [--timeout-ms T] [--no-runs] [--entries] [--until-gone]\n");
    exit(2);
}

static unsigned long number(const char *s, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (!*s || *end || v > max)
        usage();
    return v;
}

/* The value after option argv[*i], or usage. */
static const char *value(int argc, char **argv, int *i)
{
    if (++*i >= argc)
        usage();
    return argv[*i];
}

/* A line per present directory entry: what it points to, and how many pages its table maps. */
static void print_entries(const struct gdb_paging *p)
{
    static const char *const state[] = {"", "", ": not read (over the limit)", ": not read (refused)"};
    for (uint32_t i = 0; p->drawable && i < ENTRIES; i++) {
        uint32_t pde = p->cur.dir[i];
        if (!(pde & PTE_P))
            continue;
        if (p->mode == GDB_PAGING_32_PSE && (pde & PDE_PS)) {
            printf("pde %u 0x%08x -> 4M page 0x%08x flags 0x%03x\n", i, i << 22, pde & 0xFFC00000u,
                   pde & PTE_FLAGS);
            continue;
        }
        printf("pde %u 0x%08x -> table 0x%08x flags 0x%03x", i, i << 22, frame_of(pde), pde & PTE_FLAGS);
        if (p->cur.table_state[i] != GDB_TABLE_READ) {
            printf("%s\n", state[p->cur.table_state[i] & 3]);
            continue;
        }
        uint32_t n = 0;
        for (uint32_t j = 0; j < ENTRIES; j++)
            n += p->cur.table[i][j] & PTE_P;
        printf(": %u pages present\n", n);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_until(double when)
{
    double left = when - now_s();
    if (left <= 0)
        return;
    struct timespec t = {.tv_sec = (time_t)left, .tv_nsec = (long)((left - (double)(time_t)left) * 1e9)};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
    const char *where = NULL;
    unsigned long polls = 1, interval_ms = 100, max_tables = ENTRIES, timeout_ms = GDB_TIMEOUT_MS;
    uint64_t peek[GDB_PAGING_PEEKS];
    uint32_t npeek = 0;
    int runs = 1, entries = 0, until_gone = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--polls"))
            polls = number(value(argc, argv, &i), 1000000);
        else if (!strcmp(a, "--interval-ms"))
            interval_ms = number(value(argc, argv, &i), 3600000);
        else if (!strcmp(a, "--max-tables"))
            max_tables = number(value(argc, argv, &i), ENTRIES);
        else if (!strcmp(a, "--timeout-ms"))
            timeout_ms = number(value(argc, argv, &i), 600000);
        else if (!strcmp(a, "--peek") && npeek < GDB_PAGING_PEEKS)
            peek[npeek++] = number(value(argc, argv, &i), 0xFFFFFFFFul);
        else if (!strcmp(a, "--no-runs"))
            runs = 0;
        else if (!strcmp(a, "--entries"))
            entries = 1;
        else if (!strcmp(a, "--until-gone"))
            until_gone = 1;
        else if (a[0] != '-' && !where)
            where = a;
        else
            usage();
    }
    if (!where || polls == 0 || max_tables == 0 || timeout_ms == 0)
        usage();

    char err[GDB_ERROR_MAX];
    struct gdb *g = gdb_connect(where, (int)timeout_ms, err, sizeof err);
    if (!g) {
        fprintf(stderr, "gdb_peek: %s\n", err);
        return 1;
    }
    struct gdb_paging *p = gdb_paging_new((uint32_t)max_tables);
    if (!p) {
        fprintf(stderr, "gdb_peek: out of memory\n");
        gdb_close(g);
        return 1;
    }
    p->peeks = npeek;
    memcpy(p->peek_addr, peek, sizeof peek);

    double start = now_s(), first_at = 0, last_at = 0;
    uint64_t sum_stop = 0, sum_reads = 0, sum_resume = 0, sum_total = 0, max_total = 0;
    unsigned long done = 0;
    int status = 0;
    for (unsigned long n = 0; n < polls; n++) {
        sleep_until(start + (double)n * (double)interval_ms / 1e3);
        double at = now_s() - start;
        first_at = n ? first_at : at;
        last_at = at;
        int rc = gdb_paging_poll(g, p);
        printf("poll %lu at %.3f s\n", n + 1, at);
        gdb_paging_describe(p, stdout);
        for (uint32_t i = 0; i < p->peeks; i++) {
            if (p->peek_ok[i])
                printf("peek 0x%08llx 0x%08x\n", (unsigned long long)p->peek_addr[i], p->peek_value[i]);
            else
                printf("peek 0x%08llx unreadable\n", (unsigned long long)p->peek_addr[i]);
        }
        if (rc && until_gone && gdb_gone(g)) {
            printf("end: %s\n", gdb_error(g));
            break;
        }
        if (rc) {
            fflush(stdout);
            fprintf(stderr, "gdb_peek: poll %lu: %s\n", n + 1, p->says);
            status = 1;
            break;
        }
        if (entries)
            print_entries(p);
        if (runs)
            gdb_paging_dump(p, stdout);
        const struct gdb_paging_times *t = &p->times;
        printf("time stop %u us, reads %u us, resume %u us, total %u us (%u requests, %u bytes)\n",
               t->stop_us, t->reads_us, t->resume_us, t->total_us, t->requests, t->bytes);
        fflush(stdout);
        done++;
        sum_stop += t->stop_us;
        sum_reads += t->reads_us;
        sum_resume += t->resume_us;
        sum_total += t->total_us;
        if (t->total_us > max_total)
            max_total = t->total_us;
    }
    /* The rate from the start of the first poll to the start of the last. */
    double span = last_at - first_at;
    if (done > 1)
        printf("polls %lu in %.3f s: %.2f per second; ", done, span,
               span > 0 ? (double)(done - 1) / span : 0.0);
    else if (done)
        printf("polls 1; ");
    if (done) {
        printf("mean stop %llu us, reads %llu us, resume %llu us, total %llu us; max total %llu us\n",
               (unsigned long long)(sum_stop / done), (unsigned long long)(sum_reads / done),
               (unsigned long long)(sum_resume / done), (unsigned long long)(sum_total / done),
               (unsigned long long)max_total);
    }
    gdb_paging_free(p);
    gdb_close(g);
    return status;
}
