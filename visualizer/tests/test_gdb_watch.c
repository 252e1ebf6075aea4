/*
 * test_gdb_watch.c: polls made into records (visualizer/gdb_watch.c), the
 * whole way: a pretend guest in the fake stub's memory (fake_stub.c), polls
 * through the real client (gdb_paging.c), the records through the real
 * parser into the real model. After every poll the model must hold exactly
 * what the poll read, every space, every entry, accessed and dirty bits
 * aside, and be whole, with no contradiction.
 *
 * The pretend guest, 16 MiB of physical memory:
 *
 *   0x00100000  directory A; B, C, ... follow as they are made
 *   0x00200000  and up: page tables, one frame each, never reused unless said
 *   PDE 768     a 4 MiB kernel page in every directory (so that one that is not
 *               live still shares an entry with the live one)
 *   PDE 769-1023 the kernel half: the same entries, the same tables, in every
 *               directory, changed in all of them at once (as kernels do), or
 *               now and then in one only
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <koiz/x86_regs.h>
#include "fake_stub.h"
#include "feed.h"
#include "gdb_paging.h"
#include "gdb_watch.h"

#define MEM_SIZE  (16u << 20)
#define DIRS_AT   0x00100000u
#define TABLES_AT 0x00200000u
#define KERNEL_4M 0x000001e3u /* PDE 768: 4 MiB at 0, global, accessed, dirty, writable */
#define MAX_DIRS  24

static uint8_t *mem;

static uint32_t *word(uint32_t phys)
{
    return (uint32_t *)(mem + phys);
}

/* ---- the pretend guest ---- */

struct guest {
    struct fake_stub stub;
    uint32_t dirs[MAX_DIRS]; /* live directories (frames) */
    uint32_t ndirs;
    uint32_t live;       /* the one in CR3 */
    uint32_t next_frame; /* the next free table frame */
    uint32_t freed[64];  /* junk-filled frames of freed directories, for reuse as tables */
    uint32_t nfreed;
    unsigned seed;
};

static uint32_t rnd(struct guest *g, uint32_t n)
{
    g->seed = g->seed * 1103515245u + 12345u;
    return (g->seed >> 8) % n;
}

static uint32_t new_frame(struct guest *g)
{
    uint32_t f = g->next_frame;
    g->next_frame += 0x1000;
    assert_true(g->next_frame <= MEM_SIZE);
    memset(word(f), 0, 4096);
    return f;
}

static void set_cr3(struct guest *g, uint32_t dir)
{
    g->live = dir;
    g->stub.regs[FAKE_CR3] = dir;
}

static uint32_t new_directory(struct guest *g)
{
    uint32_t d = DIRS_AT + g->ndirs * 0x1000; /* never a freed one's frame: those become tables */
    assert_true(g->ndirs < MAX_DIRS);
    g->dirs[g->ndirs++] = d;
    memset(word(d), 0, 4096);
    if (g->live) /* the kernel half, as every directory has it */
        memcpy(word(d) + KERNEL_PDE_FIRST, word(g->live) + KERNEL_PDE_FIRST, 256 * 4);
    else
        word(d)[KERNEL_PDE_FIRST] = KERNEL_4M;
    return d;
}

static void start_guest(struct guest *g, unsigned seed)
{
    memset(g, 0, sizeof *g);
    g->seed = seed;
    if (!mem)
        mem = malloc(MEM_SIZE);
    memset(mem, 0, MEM_SIZE);
    g->stub.packet_size = 0x1000;
    g->stub.virtual_refused = true;
    g->stub.mem = mem;
    g->stub.mem_size = MEM_SIZE;
    g->stub.regs[FAKE_CR0] = CR0_PG | CR0_PE;
    g->stub.regs[FAKE_CR4] = CR4_PSE;
    g->next_frame = TABLES_AT;
    set_cr3(g, new_directory(g));
}

/* ---- koiz-view's side: poll, watch, parser, model ---- */

struct side {
    struct gdb *gdb;
    struct gdb_paging *p;
    struct gdb_watch *w;
    struct model *m;
    struct parser parser;
    struct stream lines; /* this poll's records */
    uint32_t tick;
};

static void take_line(void *arg, const char *line, size_t len)
{
    struct side *s = arg;
    stream_add(&s->lines, line, len);
    parser_feed(&s->parser, line, len);
}

static void attach(struct side *s, struct guest *g)
{
    char err[GDB_ERROR_MAX];
    memset(s, 0, sizeof *s);
    s->gdb = gdb_attach_fd(fake_start(&g->stub), 2000, err, sizeof err);
    if (!s->gdb)
        fail_msg("greeting failed: %s", err);
    s->p = gdb_paging_new(ENTRIES);
    s->w = gdb_watch_new(16 * 1024);
    s->m = model_new();
    assert_non_null(s->p);
    assert_non_null(s->w);
    assert_non_null(s->m);
    parser_init(&s->parser, s->m);
}

static void detach(struct side *s, struct guest *g)
{
    gdb_close(s->gdb);
    fake_stop(&g->stub);
    gdb_paging_free(s->p);
    gdb_watch_free(s->w);
    model_free(s->m);
    free(s->lines.data);
}

/* One poll, its records applied; returns this poll's lines (valid until the next poll). */
static const char *poll_once(struct side *s)
{
    s->lines.len = 0;
    if (s->lines.data)
        s->lines.data[0] = '\0';
    assert_int_equal(gdb_watch_prepare(s->w, s->p), 0);
    assert_int_equal(gdb_paging_poll(s->gdb, s->p), 0);
    gdb_watch_update(s->w, s->p, s->tick += 10, take_line, s);
    assert_int_equal(s->parser.stats.bad_checksum + s->parser.stats.bad_fields, 0);
    return s->lines.data ? s->lines.data : "";
}

static unsigned count_of(const char *lines, const char *kind)
{
    char key[32];
    unsigned n = 0;
    snprintf(key, sizeof key, "@KZ1 %s ", kind);
    for (const char *at = lines; (at = strstr(at, key)); at++)
        n++;
    return n;
}

/* An entry as the model should hold it (gdb_watch.h): 0 when not present, PS cleared without PSE,
 * a 4 MiB entry with bits 13-21 set left out. */
static uint32_t expected_pde(bool pse, uint32_t e)
{
    if (!(e & PTE_P))
        return 0;
    if ((e & PDE_PS) && !pse)
        return e & ~(uint32_t)PDE_PS;
    if ((e & PDE_PS) && (e & 0x003FE000u))
        return 0;
    return e;
}

#define SAME(a, b) ((((a) ^ (b)) & ~(uint32_t)(PTE_A | PTE_D)) == 0)

/* The model holds directory d as read, entry by entry; NULL, or what differs. */
static const char *model_differs(const struct side *s, const struct gdb_directory *d, char *why, size_t size)
{
    bool pse = s->p->mode == GDB_PAGING_32_PSE;
    const struct space *sp = NULL;
    for (uint32_t i = 0; i < s->m->nspaces; i++)
        if (model_space_at(s->m, i)->cr3 == d->phys)
            sp = model_space_at(s->m, i);
    if (!sp) {
        snprintf(why, size, "no space with cr3 0x%08x in the model", d->phys);
        return why;
    }
    if (!sp->whole) {
        snprintf(why, size, "space %u (cr3 0x%08x) is not whole: %s", sp->asid, d->phys,
                 untrusted_name(sp->why));
        return why;
    }
    for (uint32_t i = 0; i < ENTRIES; i++) {
        uint32_t want = expected_pde(pse, d->dir[i]);
        if (!SAME(sp->dir[i], want)) {
            snprintf(why, size, "cr3 0x%08x PDE %u: model 0x%08x, memory 0x%08x", d->phys, i, sp->dir[i],
                     want);
            return why;
        }
        if ((want & (PTE_P | PDE_PS)) != PTE_P)
            continue;
        const uint32_t *t = space_table(sp, i);
        for (uint32_t j = 0; j < ENTRIES; j++) {
            uint32_t m = t ? t[j] : 0, r = (d->table[i][j] & PTE_P) ? d->table[i][j] : 0;
            if (!SAME(m, r)) {
                snprintf(why, size, "cr3 0x%08x va 0x%08x: model 0x%08x, memory 0x%08x", d->phys,
                         i << 22 | j << 12, m, r);
                return why;
            }
        }
    }
    return NULL;
}

/* After a poll: the model holds every directory read, and nothing else; live the current one. */
static void expect_model_is_poll(const struct side *s)
{
    char why[200];
    const char *bad = model_check(s->m);
    if (bad)
        fail_msg("%s", bad);
    if (s->m->stats.inconsistent)
        fail_msg("%llu events contradicted the model", (unsigned long long)s->m->stats.inconsistent);
    uint32_t read = 0;
    for (uint32_t k = 0; k <= s->p->nalso; k++) {
        const struct gdb_directory *d = k ? &s->p->also[k - 1] : &s->p->cur;
        if (d->state != GDB_DIR_READ)
            continue;
        read++;
        if (model_differs(s, d, why, sizeof why))
            fail_msg("%s\n--- records of the poll ---\n%s", why, s->lines.data ? s->lines.data : "");
    }
    if (s->m->nspaces != read)
        fail_msg("the model holds %u spaces, the poll read %u directories", s->m->nspaces, read);
    const struct space *live = model_space(s->m, s->m->current_asid);
    if (!live || live->cr3 != s->p->cur.phys)
        fail_msg("the live space is not cr3 0x%08x", s->p->cur.phys);
}

/* ---- tests ---- */

static void test_first_poll_is_a_round(void **state)
{
    (void)state;
    struct guest g;
    struct side s;
    start_guest(&g, 1);
    uint32_t t = new_frame(&g);
    word(g.live)[0] = t | 0x007;
    word(t)[1] = 0x00345067;
    word(g.live)[1] = 0x00400083; /* a 4 MiB page */
    attach(&s, &g);
    const char *lines = poll_once(&s);
    assert_non_null(strstr(lines, "@KZ1 hello 1 gdb-stub 16384 4096 1 0 "));
    assert_non_null(strstr(lines, "@KZ1 round 10 1 1 boot "));
    assert_int_equal(count_of(lines, "snap"), 1);
    assert_int_equal(count_of(lines, "sync"), 1);
    assert_non_null(strstr(lines, "@KZ1 space 10 1 switch 100000 "));
    expect_model_is_poll(&s);
    assert_int_equal(s.m->stats.rounds_ok, 1);
    /* Nothing changed: nothing said. */
    lines = poll_once(&s);
    assert_string_equal(lines, "");
    detach(&s, &g);
}

/* Each kind of change is the event the protocol has for it, and only that. */
static void test_changes_are_events(void **state)
{
    (void)state;
    struct guest g;
    struct side s;
    start_guest(&g, 2);
    uint32_t *dir = word(g.live), t = new_frame(&g);
    dir[0] = t | 0x007;
    for (uint32_t i = 0; i < 8; i++)
        word(t)[i] = (0x00500000 + i * 0x1000) | 0x007;
    attach(&s, &g);
    poll_once(&s);
    static const struct {
        const char *what, *kind;
        unsigned count;
    } want[] = {
        {"map two pages", "map", 1},
        {"unmap one", "unmap", 1},
        {"read-only", "protect", 1},
        {"another frame", "remap", 1},
        {"accessed and dirty", NULL, 0},
        {"a table", "ptab", 1},
        {"its table freed", "ptab", 1},
        {"a 4 MiB page", "map", 1},
        {"its flags", "protect", 1},
        {"4 MiB unmapped", "unmap", 1},
        {"a kernel table everywhere", "ptab", 1},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        uint32_t t2 = 0;
        switch (k) {
        case 0: word(t)[8] = 0x00508007, word(t)[9] = 0x00509007; break;
        case 1: word(t)[2] = 0; break;
        case 2: word(t)[3] &= ~(uint32_t)PTE_W; break;
        case 3: word(t)[4] = 0x00777007; break;
        case 4: word(t)[5] |= PTE_A | PTE_D, dir[0] |= PTE_A; break;
        case 5:
            t2 = new_frame(&g);
            word(t2)[0] = 0x00600003;
            dir[5] = t2 | 0x003;
            break;
        case 6: dir[5] = 0; break; /* with its page: unmap, then free */
        case 7: dir[8] = 0x00c00087; break;
        case 8: dir[8] = 0x00c00085; break;
        case 9: dir[8] = 0; break;
        case 10:
            t2 = new_frame(&g);
            word(t2)[3] = 0x00123003;
            dir[KERNEL_PDE_FIRST + 4] = t2 | 0x003;
            break;
        }
        const char *lines = poll_once(&s);
        if (!want[k].kind ? lines[0] != '\0'
                          : count_of(lines, want[k].kind) != want[k].count || count_of(lines, "snap"))
            fail_msg("%s: got\n%s", want[k].what, lines);
        expect_model_is_poll(&s);
    }
    detach(&s, &g);
}

/* Spaces: a new CR3 is a snapshot and a switch; the old one stays while it looks like a directory,
 * keeps up with its changes while not live, and goes when freed. */
static void test_spaces_come_and_go(void **state)
{
    (void)state;
    struct guest g;
    struct side s;
    start_guest(&g, 3);
    uint32_t a = g.live, kt = new_frame(&g);
    word(a)[KERNEL_PDE_FIRST + 1] = kt | 0x003;
    word(kt)[0] = 0x00100003;
    attach(&s, &g);
    poll_once(&s);
    uint32_t b = new_directory(&g), tb = new_frame(&g);
    word(b)[1] = tb | 0x007;
    word(tb)[0] = 0x00900007;
    set_cr3(&g, b);
    const char *lines = poll_once(&s);
    assert_int_equal(count_of(lines, "snap"), 1);
    assert_non_null(strstr(lines, "@KZ1 space 20 2 switch 101000 "));
    expect_model_is_poll(&s);
    /* A, not live, changes: read all the same. The kernel table changes once for both. */
    word(a)[3] = 0x01000083;
    word(kt)[1] = 0x00101003;
    lines = poll_once(&s);
    assert_int_equal(count_of(lines, "map"), 2);
    expect_model_is_poll(&s);
    set_cr3(&g, a);
    lines = poll_once(&s);
    assert_non_null(strstr(lines, "@KZ1 space 40 1 switch 100000 "));
    assert_int_equal(count_of(lines, "snap"), 0);
    /* B freed: its frame filled with junk. */
    memset(word(b), 0x5a, 4096);
    lines = poll_once(&s);
    assert_non_null(strstr(lines, "@KZ1 space 50 2 destroy 101000 "));
    expect_model_is_poll(&s);
    assert_int_equal(s.m->nspaces, 1);
    /* A directory that no longer shares anything with the live one goes too. */
    uint32_t c = new_directory(&g);
    set_cr3(&g, c);
    poll_once(&s);
    assert_int_equal(s.m->nspaces, 2);
    memset(word(a), 0, 4096);
    word(a)[5] = 0x00005003; /* reused as a page of data */
    lines = poll_once(&s);
    assert_int_equal(count_of(lines, "space"), 1);
    assert_int_equal(s.m->nspaces, 1);
    expect_model_is_poll(&s);
    /* Forgotten on request; back as a new space when it is live again. */
    uint32_t d = new_directory(&g);
    set_cr3(&g, d);
    poll_once(&s);
    set_cr3(&g, c);
    poll_once(&s);
    uint32_t d_asid = 4;
    assert_non_null(model_space(s.m, d_asid));
    assert_int_equal(gdb_watch_forget(s.w, 99), -1);
    assert_int_equal(gdb_watch_forget(s.w, 3), -1); /* live */
    assert_int_equal(gdb_watch_forget(s.w, d_asid), 0);
    lines = poll_once(&s);
    assert_non_null(strstr(lines, " destroy "));
    assert_null(model_space(s.m, d_asid));
    set_cr3(&g, d);
    poll_once(&s);
    assert_non_null(model_space(s.m, 5));
    expect_model_is_poll(&s);
    detach(&s, &g);
}

/* Paging off, PAE, long mode: said, and nothing drawn; the picture comes back with 32-bit paging. */
static void test_modes_not_drawn(void **state)
{
    (void)state;
    struct guest g;
    struct side s;
    start_guest(&g, 4);
    g.stub.regs[FAKE_CR0] = CR0_PE;
    attach(&s, &g);
    const char *lines = poll_once(&s);
    assert_non_null(strstr(lines, "@KZ1 warn paging off (CR0.PG clear)"));
    assert_int_equal(count_of(lines, "round"), 0);
    assert_int_equal(count_of(lines, "hello"), 0); /* with the first picture */
    assert_string_equal(gdb_watch_says(s.w), "paging off (CR0.PG clear): addresses are physical");
    assert_string_equal(poll_once(&s), ""); /* said once */
    g.stub.regs[FAKE_CR0] = CR0_PE | CR0_PG;
    lines = poll_once(&s);
    assert_non_null(strstr(lines, " boot "));
    assert_string_equal(gdb_watch_says(s.w), "");
    expect_model_is_poll(&s);
    g.stub.regs[FAKE_CR4] = CR4_PAE | CR4_PSE;
    lines = poll_once(&s);
    assert_non_null(strstr(lines, "@KZ1 warn PAE paging (CR4.PAE): not drawn yet"));
    assert_non_null(strstr(lines, " destroy "));
    assert_int_equal(s.m->nspaces, 0);
    g.stub.regs[FAKE_CR4] = CR4_PAE;
    g.stub.regs[FAKE_EFER] = EFER_LME | EFER_LMA;
    lines = poll_once(&s);
    assert_non_null(strstr(lines, "@KZ1 warn long mode (EFER.LMA): not drawn yet"));
    g.stub.regs[FAKE_CR4] = CR4_PSE;
    g.stub.regs[FAKE_EFER] = 0;
    lines = poll_once(&s);
    assert_int_equal(count_of(lines, "round"), 1);
    expect_model_is_poll(&s);
    detach(&s, &g);
}

/* CR4.PSE off: the PS entries are tables, sent as such; on again: 4 MiB pages once more. */
static void test_pse_toggled(void **state)
{
    (void)state;
    struct guest g;
    struct side s;
    start_guest(&g, 5);
    word(g.live)[2] = 0x00800083;
    word(0x00800000)[4] = 0x00ABC003; /* what the CPU reads there without PSE */
    attach(&s, &g);
    poll_once(&s);
    g.stub.regs[FAKE_CR4] = 0;
    const char *lines = poll_once(&s);
    assert_non_null(strstr(lines, "every space is read again"));
    expect_model_is_poll(&s);
    assert_int_equal(model_pte(s.m, 1, 0x00804000), 0x00ABC003);
    g.stub.regs[FAKE_CR4] = CR4_PSE;
    poll_once(&s);
    expect_model_is_poll(&s);
    assert_int_equal(model_entry(s.m, 1, 0x00804000), 0x00800083);
    detach(&s, &g);
}

/* A table the stub will not read: the space is shown not whole, with a warning; whole once readable. */
static void test_unreadable_table(void **state)
{
    (void)state;
    struct guest g;
    struct side s;
    start_guest(&g, 6);
    uint32_t t = new_frame(&g);
    word(g.live)[0] = t | 0x007;
    word(t)[0] = 0x00300007;
    attach(&s, &g);
    poll_once(&s);
    word(g.live)[9] = 0x7FFF0007; /* far past the memory: refused */
    word(t)[1] = 0x00301007;
    const char *lines = poll_once(&s);
    assert_non_null(strstr(lines, "could not be read (the stub refused)"));
    const struct space *sp = model_space(s.m, 1);
    assert_false(sp->whole);
    assert_int_equal(model_pte(s.m, 1, 0x1000), 0x00301007); /* its readable tables still follow */
    assert_string_equal(poll_once(&s), "");                  /* said once */
    word(g.live)[9] = 0;
    poll_once(&s);
    expect_model_is_poll(&s);
    detach(&s, &g);
}

/* ---- random layouts ---- */

static uint32_t random_flags(struct guest *g)
{
    static const uint32_t f[] = {0x001, 0x003, 0x005, 0x007, 0x023, 0x067, 0x013, 0x00b, 0x203, 0x107};
    return f[rnd(g, sizeof f / sizeof f[0])];
}

/* Some change to the table at frame t. */
static void churn_table(struct guest *g, uint32_t t)
{
    uint32_t n = 1 + rnd(g, 40), j = rnd(g, ENTRIES);
    uint32_t how = rnd(g, 6);
    for (uint32_t k = 0; k < n; k++, j = (j + 1) % ENTRIES) {
        uint32_t *e = word(t) + j;
        switch (how) {
        case 0: *e = (0x00400000 + j * 0x1000) | random_flags(g); break; /* runs */
        case 1: *e = 0; break;
        case 2: *e = *e ? *e ^ PTE_W : 0; break;
        case 3: *e = *e ? *e | PTE_A | PTE_D : 0; break;
        case 4: *e = (rnd(g, 0x4000) << 12) | random_flags(g); break;
        default: *e = *e ? (*e & ~0xFFFu) | random_flags(g) : 0; break;
        }
    }
}

/* A change to directory entry i of d (in every directory, for the kernel half, mostly). */
static void churn_entry(struct guest *g, uint32_t d, uint32_t i)
{
    bool pse = g->stub.regs[FAKE_CR4] & CR4_PSE;
    uint32_t e = word(d)[i], now;
    switch (rnd(g, 7)) {
    case 0: now = 0; break;
    case 1: now = ((i & 3) << 22) | 0x083 | (rnd(g, 2) ? PTE_U : 0); break; /* inside the memory */
    case 2: now = e ? e ^ PTE_U : 0; break;                                 /* the entry's own flags */
    case 3: { /* a table some other entry holds (shared) */
        uint32_t from = g->dirs[rnd(g, g->ndirs)];
        uint32_t other = word(from ? from : g->live)[rnd(g, ENTRIES)];
        now = (other & (PTE_P | PDE_PS)) == PTE_P && (other & ~0xFFFu) < MEM_SIZE ? other : 0;
        break;
    }
    case 4:
        if (g->nfreed) { /* a freed directory's frame as a table */
            uint32_t f = g->freed[--g->nfreed];
            memset(word(f), 0, 4096);
            word(f)[7] = 0x00777005;
            now = f | 0x007;
            break;
        }
        /* fall through */
    default: {
        uint32_t t = new_frame(g);
        churn_table(g, t);
        now = t | 0x007;
        break;
    }
    }
    if (!pse && (now & PDE_PS))
        now &= ~(uint32_t)PDE_PS; /* a table, to the CPU */
    if ((now & (PTE_P | PDE_PS)) == PTE_P && (now & ~0xFFFu) >= MEM_SIZE)
        now = 0;
    if (i == ENTRIES - 1 && rnd(g, 2))
        now = d | 0x003; /* a recursive entry */
    if (i >= KERNEL_PDE_FIRST && i != KERNEL_PDE_FIRST && rnd(g, 8)) {
        for (uint32_t k = 0; k < g->ndirs; k++)
            if (g->dirs[k])
                word(g->dirs[k])[i] = i == ENTRIES - 1 && now == (d | 0x003) ? g->dirs[k] | 0x003 : now;
    } else if (i != KERNEL_PDE_FIRST) {
        word(d)[i] = now;
    }
}

static void churn(struct guest *g)
{
    uint32_t what = rnd(g, 100);
    uint32_t d = g->live;
    for (uint32_t tries = 0; tries < 4 && rnd(g, 2); tries++) {
        uint32_t k = rnd(g, g->ndirs);
        if (g->dirs[k])
            d = g->dirs[k];
    }
    if (what < 40) { /* a table's entries */
        uint32_t i = rnd(g, ENTRIES), e = word(d)[i];
        for (uint32_t k = 0; k < ENTRIES && (e & (PTE_P | PDE_PS)) != PTE_P; k++)
            e = word(d)[i = (i + 1) % ENTRIES];
        if ((e & (PTE_P | PDE_PS)) == PTE_P && (e & ~0xFFFu) < MEM_SIZE && (e & ~0xFFFu) >= TABLES_AT)
            churn_table(g, e & ~0xFFFu);
    } else if (what < 75) {
        churn_entry(g, d, rnd(g, 3) ? rnd(g, 24) : KERNEL_PDE_FIRST + rnd(g, 256));
    } else if (what < 85) {
        set_cr3(g, d);
    } else if (what < 92 && g->ndirs < MAX_DIRS) {
        set_cr3(g, new_directory(g));
    } else if (what < 97) { /* free a directory that is not live */
        uint32_t k = rnd(g, g->ndirs);
        if (g->dirs[k] && g->dirs[k] != g->live) {
            memset(word(g->dirs[k]), 0x5a, 4096);
            if (g->nfreed < 64)
                g->freed[g->nfreed++] = g->dirs[k];
            g->dirs[k] = 0;
        }
    } else if (what < 99) {
        g->stub.regs[FAKE_CR4] ^= CR4_PSE;
    } else {
        for (uint32_t k = 0; k < ENTRIES; k++) /* accessed everywhere */
            if (word(d)[k] & PTE_P)
                word(d)[k] |= PTE_A;
    }
}

static void test_random_layouts(void **state)
{
    (void)state;
    uint64_t events = 0, snapshots = 0, polls = 0;
    /* GDB_WATCH_SEEDS=N runs N guests instead of 12, for a longer soak by hand. */
    const char *seeds = getenv("GDB_WATCH_SEEDS");
    unsigned n = seeds && atoi(seeds) > 0 ? (unsigned)atoi(seeds) : 12;
    for (unsigned seed = 100; seed < 100 + n; seed++) {
        struct guest g;
        struct side s;
        start_guest(&g, seed);
        attach(&s, &g);
        for (int step = 0; step < 60; step++) {
            uint32_t changes = 1 + rnd(&g, 6);
            for (uint32_t c = 0; c < changes; c++)
                churn(&g);
            poll_once(&s);
            expect_model_is_poll(&s);
        }
        events += gdb_watch_stats(s.w)->events;
        snapshots += gdb_watch_stats(s.w)->snapshots;
        polls += gdb_watch_stats(s.w)->polls;
        detach(&s, &g);
    }
    print_message("%llu polls: %llu events, %llu snapshots\n", (unsigned long long)polls,
                  (unsigned long long)events, (unsigned long long)snapshots);
    assert_true(events > 4 * snapshots); /* events say most changes */
}

static int cleanup(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_poll_is_a_round), cmocka_unit_test(test_changes_are_events),
        cmocka_unit_test(test_spaces_come_and_go),    cmocka_unit_test(test_modes_not_drawn),
        cmocka_unit_test(test_pse_toggled),           cmocka_unit_test(test_unreadable_table),
        cmocka_unit_test(test_random_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
