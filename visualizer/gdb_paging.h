/*
 * gdb_paging.h: one look at a guest's paging through QEMU's GDB stub
 * (gdb_remote.h), for any 32-bit x86 kernel, no telemetry needed.
 *
 * A poll stops the guest, reads CR0, CR3, CR4 (and EFER when the stub has
 * it), decides the paging mode, and in 32-bit two-level paging reads the
 * directory and every table a present entry points to from physical
 * memory, then resumes the guest. Everything in one result was read in one
 * stop, so it is one consistent moment of the guest (its clock stands still
 * while it is stopped, too).
 *
 * Only 32-bit two-level paging is read; paging off, PAE and long mode are
 * named ("PAE paging (CR4.PAE): not drawn yet") and nothing is read for
 * them. Without CR4.PSE the CPU ignores a directory entry's PS bit and
 * walks a table there; so does the poll.
 *
 * A poll can also read other directories in the same stop (gdb_paging_also:
 * address spaces seen live before, which a watcher keeps up to date while
 * they are not live), each only while it still looks like a directory.
 *
 * Work per poll is bounded: the directories and at most max_tables tables
 * in all (2 `m` packets each with QEMU), a table shared by several directory
 * entries, in one directory or several (or a directory itself, under a
 * recursive entry), read once. Memory: the result holds max_tables tables
 * (4 KiB each), allocated once, and the other directories (13 KiB each)
 * once asked for.
 */
#ifndef KOIZ_VIEW_GDB_PAGING_H
#define KOIZ_VIEW_GDB_PAGING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "gdb_remote.h"
#include "record.h" /* ENTRIES, ENT_* */

#define GDB_PAGING_PEEKS    4  /* physical words a poll can read besides the tables */
#define GDB_PAGING_ALSO_MAX 63 /* directories a poll can read besides the current one */

enum gdb_paging_mode {
    GDB_PAGING_UNREAD,      /* no poll yet, or it failed before the registers were read */
    GDB_PAGING_OFF,         /* CR0.PG clear: addresses are physical */
    GDB_PAGING_32,          /* 32-bit two-level, 4 KiB pages only (CR4.PSE clear) */
    GDB_PAGING_32_PSE,      /* 32-bit two-level, 4 MiB pages too (CR4.PSE) */
    GDB_PAGING_PAE,         /* CR4.PAE, EFER.LMA clear: three levels, 64-bit entries */
    GDB_PAGING_LONG,        /* EFER.LMA: four (or five) levels */
    GDB_PAGING_PAE_OR_LONG, /* CR4.PAE and no EFER register to tell which */
};

/* What became of the table under directory entry i in the last poll. */
enum gdb_table_state {
    GDB_TABLE_NONE,       /* no table there: entry not present, or a 4 MiB page */
    GDB_TABLE_READ,       /* table[i] holds it (shared tables point to one copy) */
    GDB_TABLE_OVER_LIMIT, /* not read: max_tables distinct tables were read already */
    GDB_TABLE_FAILED,     /* not read: the stub refused (table_error says why) */
};

/* Where a poll's time went, in microseconds of the poller's clock. */
struct gdb_paging_times {
    uint32_t stop_us;   /* from 0x03 to the stop reply; 0 when the guest was stopped already */
    uint32_t reads_us;  /* registers, directory, tables, peeks */
    uint32_t resume_us; /* sending vCont;c (or c) and its acknowledgement */
    uint32_t total_us;
    uint32_t requests; /* packets sent during the poll */
    uint32_t bytes;    /* bytes of guest memory read */
};

/*
 * One directory as a poll read it: the current one (gdb_paging.cur), or
 * one the caller asked for besides (gdb_paging.also).
 */
struct gdb_directory {
    uint32_t phys; /* physical address (CR3 & 0xFFFFF000; for `also`, set by the caller) */
    uint8_t state; /* enum gdb_directory_state */
    uint32_t dir[ENTRIES];
    uint32_t *table[ENTRIES];     /* NULL unless table_state[i] is GDB_TABLE_READ */
    uint8_t table_state[ENTRIES]; /* enum gdb_table_state */
    uint32_t pdes;                /* present directory entries */
    uint32_t tables_read;         /* distinct tables read from memory for this directory */
    uint32_t tables_shared;     /* entries whose table was read already in this poll (or is the directory) */
    uint32_t tables_over_limit; /* distinct tables left unread for max_tables */
    uint32_t tables_failed;     /* distinct tables the stub would not read */
    uint32_t wide_pages;        /* 4 MiB entries with bits 13-21 set: PSE-36 frames above 4 GiB, or
                                   reserved bits; not drawn (gdb_paging_dump names them) */
};

/* What became of a directory in the last poll. */
enum gdb_directory_state {
    GDB_DIR_UNREAD,          /* not read: the mode is not 32-bit paging, or the poll failed first */
    GDB_DIR_READ,            /* read, with its tables (table_state says which) */
    GDB_DIR_FAILED,          /* the stub would not read it */
    GDB_DIR_NOT_A_DIRECTORY, /* `also` only: read, but it no longer looks like a directory (see
                                gdb_paging_also); its tables were not read */
};

/*
 * One poll's result: plain data, valid until the next poll into the same
 * struct (keep two to compare polls). Fields below `mode` mean something
 * only when `drawable`.
 */
struct gdb_paging {
    uint64_t cr0, cr3, cr4, efer;
    bool have_efer; /* the stub's description has efer, and efer was read */
    enum gdb_paging_mode mode;
    char says[200]; /* the mode in words, or what went wrong: for the user */

    bool drawable;            /* 32-bit paging and the current directory was read */
    struct gdb_directory cur; /* the directory CR3 points to */
    char table_error[120];    /* the first refusal of a table read, if any */

    uint32_t peeks;                        /* words to read (set by the caller) */
    uint64_t peek_addr[GDB_PAGING_PEEKS];  /* their physical addresses (set by the caller) */
    uint32_t peek_value[GDB_PAGING_PEEKS]; /* little-endian, valid when peek_ok */
    bool peek_ok[GDB_PAGING_PEEKS];

    uint32_t nalso;             /* directories read besides the current one (gdb_paging_also) */
    struct gdb_directory *also; /* GDB_PAGING_ALSO_MAX of them once asked for, else NULL */

    struct gdb_paging_times times;
    uint64_t polls;      /* polls made into this struct */
    uint32_t max_tables; /* set by gdb_paging_new: distinct tables per poll, all directories together */
    uint32_t *store;     /* max_tables tables of ENTRIES entries */
};

/*
 * Allocates a result that can hold max_tables tables (1 to 1024; 1024 reads
 * every table a directory can have, 4 MiB). NULL when out of memory or
 * max_tables is out of range.
 */
struct gdb_paging *gdb_paging_new(uint32_t max_tables);
/* Frees p and its tables. NULL is fine. */
void gdb_paging_free(struct gdb_paging *p);

/*
 * Asks the next polls to read n directories besides the current one, at
 * physical addresses phys[0..n) (at most GDB_PAGING_ALSO_MAX; the current
 * one, if among them, is not read twice: its entry is left GDB_DIR_UNREAD).
 * Each is read, and its tables after those of the current directory, only
 * while it looks like a directory: a present entry, no 4 MiB entry with
 * bits 13-21 set, and at least one present entry equal (accessed and dirty
 * aside) to the current directory's entry at the same index, as the kernel
 * half of most kernels is. A frame freed and reused for something else
 * fails that test, and its "tables" are not read (they could be a device's
 * registers). Results in p->also[i], in the order given. Returns 0, or -1
 * (n too big, or out of memory: nothing changed).
 */
int gdb_paging_also(struct gdb_paging *p, const uint32_t *phys, uint32_t n);

/*
 * One poll (see the top): stop, read, resume; the guest is left running
 * whether it was running before or not (QEMU stops it when the stub is
 * connected). Returns 0 when the poll completed, whatever the mode and
 * even if some tables could not be read (table_state says which); -1 when
 * the link was lost (gdb_error(g); the guest may stay stopped) or the stub
 * lacks cr0/cr3/cr4 (p->says says so; the guest is resumed).
 */
int gdb_paging_poll(struct gdb *g, struct gdb_paging *p);

/* The mode in a few words: "32-bit paging with 4 MiB pages (CR4.PSE)". */
const char *gdb_paging_mode_name(enum gdb_paging_mode mode);

/*
 * Prints what the poll found, a line each:
 *   mode 32-bit paging with 4 MiB pages (CR4.PSE)
 *   cr0 0x80000011 cr3 0x00105000 cr4 0x00000010 efer 0x00000000
 *   directory 0x00105000: 9 entries present, 6 tables read, 1 shared, 0 over the limit, 0 refused
 * and, when there are any, `first refusal: ...` and `warning: N 4 MiB entries not drawn ...`.
 */
void gdb_paging_describe(const struct gdb_paging *p, FILE *f);

/* Whether directory entry e, present, is a 4 MiB entry with bits 13-21 set (in a mode with PSE). */
bool gdb_paging_wide(uint32_t e);

/*
 * Directory entry e as koiz-view's model holds it, for a poll in mode
 * pse (GDB_PAGING_32_PSE) or not: 0 when not present; without PSE the PS
 * bit cleared (the CPU ignores it: the entry points to a table); a 4 MiB
 * entry with bits 13-21 set is 0 (not drawn, see gdb_paging_dump).
 */
uint32_t gdb_paging_model_pde(bool pse, uint32_t e);

/*
 * Prints the mappings as ptdump.h runs (the lines of `koiz-view --dump`),
 * then a line for every directory entry whose table was not read, and for
 * every 4 MiB entry that is not drawn because it maps above 4 GiB (PSE-36)
 * or has reserved bits set:
 *   not read 0x40000000-0x40400000 table 0x00123000: over the limit of 256 tables
 *   not drawn 0x80000000-0x80400000 4M entry 0x00802083: frame above 4 GiB (PSE-36) or reserved bits
 * Nothing when the poll is not drawable. gdb_paging_dump_directory does the
 * same for any directory of the poll (p->cur or one of p->also).
 */
void gdb_paging_dump(const struct gdb_paging *p, FILE *f);
void gdb_paging_dump_directory(const struct gdb_paging *p, const struct gdb_directory *d, FILE *f);

#endif
