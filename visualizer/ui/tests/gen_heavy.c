/*
 * gen_heavy: writes a heavy telemetry recording for koiz-view's benchmark
 * (`scons bench`, issue 5): a kernel with 768 MiB of RAM and twelve user
 * processes that keep about 120,000 4 KiB pages mapped across some two
 * thousand page tables, and at least a million events. The generator keeps
 * its own copy of every address space and only sends what is true of it, so
 * a reader's model stays whole from the first snapshot to the last.
 * Deterministic: a fixed seed, the same file every time.
 *
 *   0x00000000  +---------------------------+
 *               | 0x08048000 code: 256 pages, the same frames in every space (read-only)
 *               | 0x10000000 heap: 64 MiB, dense-ish        \
 *               | 0x40000000 mmap: 1 GiB, sparse            |  churn: map, unmap, protect,
 *               | 0xbf800000 stack: 8 MiB                   /  faults, ptab alloc/free
 *   0xc0000000  +---------------------------+  kernel half, shared by every space
 *               | direct map of RAM: 192 x 4 MiB pages (PS, global)
 *   0xf0000000  | kernel heap: 8 page tables, pages mapped and unmapped as asid 0
 *   0xffffffff  +---------------------------+
 *
 * What a stretch of the stream looks like: mostly the live process mapping
 * and unmapping runs of 1..16 pages (a demand-zero fault before a single
 * page, an invlpg per page or a full flush after an unmap or a protect, a
 * page table allocated for the first page in it and freed with the last),
 * a space switch every few hundred records, frame counters every 64, a log
 * line every 700 or so, the kernel heap now and then, a process exiting and
 * a new one starting under the freed asid every 150,000 operations, and a
 * snapshot of every space every 300,000 events and at the end.
 *
 * usage: gen_heavy [OPTIONS] OUT [EVENTS]      EVENTS defaults to 1,000,000
 *   --spaces N     N processes at once (1..64, default 12), each keeping
 *                  120,000 / N pages mapped (10,000 with the default)
 *   --life OPS     a process exits and a new one starts every OPS operations
 *                  (default 150,000)
 *   --pages N      pages all processes keep mapped together (default 120,000)
 *   --new-asids    a new process gets a new asid (default: its slot's, reused)
 *   --losses OPS   every OPS operations, a loss: `loss full`, the events of a
 *                  while not sent (the generator's spaces go on changing),
 *                  `drop`, then a round (`round` ... `sync`) that resyncs
 * The time machine's benchmark runs `--spaces 64 --life 3000 --new-asids`
 * (some 3,000 processes over 10 million events); its tests add --losses.
 * Prints what it wrote on stderr.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include <koiz/records.h>

#define RAM_MIB      768u
#define USER_PDES    768u /* directory entries below 0xc0000000 */
#define NFRAMES      (RAM_MIB * 256u)
#define LOW_FRAMES   1024u         /* the first 4 MiB: the kernel image, never handed out */
#define SPACES_MAX   64            /* processes at once, at most */
#define ALL_PAGES    120000u       /* pages all processes keep mapped, roughly (--pages) */
#define KDIRECT_PDES (RAM_MIB / 4) /* 4 MiB pages of the direct map, from PDE 768 */
#define KHEAP_PDE    960u          /* 0xf0000000 */
#define KHEAP_TABLES 8u
#define CODE_VA      0x08048000u
#define CODE_PAGES   256u
#define SNAP_EVERY   300000u /* events between snapshots of every space */
#define LOSS_OPS     400     /* operations a loss lasts */

static int user_spaces = 12;           /* --spaces */
static uint32_t target_pages = 10000;  /* pages a process keeps mapped, roughly */
static uint64_t life_ops = 150000;     /* --life */
static bool new_asids;                 /* --new-asids */
static uint64_t loss_every;            /* --losses */
static uint32_t all_pages = ALL_PAGES; /* --pages */
static uint32_t next_asid = SPACES_MAX + 1;

#define P  0x001u
#define W  0x002u
#define U  0x004u
#define PS 0x080u
#define G  0x100u

/* ---- output ---- */

static FILE *out;
static uint64_t records, events, bytes;
static uint32_t tick = 100, snap_seq, round_seq;
static bool losing;                                  /* inside a loss: events are not sent */
static uint32_t lost, lost_first, lost_last, losses; /* events of the loss under way; losses in all */

/* Writes one record of kind t (fields: its struct rec_<member>), formatted from
 * the protocol's table as the kernel formats it. */
static void rec(enum record_type t, const void *fields)
{
    char line[PROTO_LINE_MAX + 1];
    if (losing && records_table()[t].cls == RC_EVENT) { /* made, not sent */
        if (!lost++)
            lost_first = tick;
        lost_last = tick;
        events++;
        return;
    }
    size_t n = rec_format(line, sizeof line, t, fields);
    fwrite(line, 1, n, out);
    bytes += n;
    records++;
    events += records_table()[t].cls == RC_EVENT;
    if (records % 25 == 0)
        tick++;
}

/* A log record of printf-formatted text. */
static void log_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_text(const char *fmt, ...)
{
    char text[PROTO_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    rec(RT_LOG, &(struct rec_log){.tick = tick, .text = text_of(text)});
}

/* ---- randomness: xorshift64*, fixed seed ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* 1..max, small runs more likely than long ones. */
static uint32_t run_len(uint32_t max)
{
    uint32_t n = 1;
    while (n < max && rnd(3) != 0)
        n++;
    return n;
}

/* ---- physical frames: a stack, so freed frames come back scattered ---- */

static uint32_t free_stack[NFRAMES];
static uint32_t free_count, table_frames, kernel_frames, process_frames;

static uint32_t frame_alloc(void)
{
    if (!free_count) {
        fprintf(stderr, "gen_heavy: out of frames\n");
        exit(1);
    }
    return free_stack[--free_count];
}

static void frame_free(uint32_t f)
{
    free_stack[free_count++] = f;
}

/* ---- address spaces ---- */

struct uspace {
    bool live;
    uint32_t asid, cr3;
    uint32_t dir[USER_PDES];
    uint32_t *tab[USER_PDES];
    uint16_t present[USER_PDES];
    uint32_t pages;             /* present user entries, code included */
    uint32_t tables[USER_PDES]; /* the pdis that have a table, in no order */
    uint32_t ntables;
    uint16_t slot[USER_PDES]; /* where pdi sits in tables[] */
};

static struct uspace spaces[SPACES_MAX];
static uint32_t kdir[1024 - USER_PDES];   /* directory entries 768..1023 */
static uint32_t ktab[KHEAP_TABLES][1024]; /* the kernel heap's tables */
static uint32_t kheap_pages;
static uint32_t kernel_cr3, code_frame;
static struct uspace *cur; /* the live space; NULL: the kernel's */

static uint32_t user_pages(void)
{
    uint32_t n = 0;
    for (int i = 0; i < user_spaces; i++)
        n += spaces[i].live ? spaces[i].pages : 0;
    return n;
}

static void send_frames(void)
{
    rec(RT_FRAMES, &(struct rec_frames){.tick = tick,
                                        .total = NFRAMES,
                                        .free = free_count,
                                        .tables = table_frames,
                                        .kernel = kernel_frames,
                                        .process = process_frames});
}

/* A page table for pdi of sp: its frame, the ptab record. */
static void table_alloc(struct uspace *sp, uint32_t pdi)
{
    uint32_t f = frame_alloc();
    table_frames++;
    sp->tab[pdi] = calloc(1024, sizeof(uint32_t));
    sp->dir[pdi] = (f << 12) | P | W | U;
    sp->slot[pdi] = (uint16_t)sp->ntables;
    sp->tables[sp->ntables++] = pdi;
    rec(RT_PTAB_ALLOC,
        &(struct rec_ptab_alloc){.tick = tick, .asid = sp->asid, .pde = pdi, .entry = sp->dir[pdi]});
}

static void table_drop(struct uspace *sp, uint32_t pdi, bool send)
{
    frame_free(sp->dir[pdi] >> 12);
    table_frames--;
    free(sp->tab[pdi]);
    sp->tab[pdi] = NULL;
    sp->dir[pdi] = 0;
    sp->present[pdi] = 0;
    uint32_t last = sp->tables[--sp->ntables];
    sp->tables[sp->slot[pdi]] = last;
    sp->slot[last] = sp->slot[pdi];
    if (send)
        rec(RT_PTAB_FREE, &(struct rec_ptab_free){.tick = tick, .asid = sp->asid, .pde = pdi});
}

static void tlb_after(uint32_t va, uint32_t count)
{
    if (count > 4) {
        rec(RT_TLB_ALL, &(struct rec_tlb_all){.tick = tick});
        return;
    }
    for (uint32_t i = 0; i < count; i++)
        rec(RT_TLB_PAGE, &(struct rec_tlb_page){.tick = tick, .va = va + i * 4096});
}

/*
 * Maps up to want pages from va (stopping at the table's end or at a page
 * already mapped), on fresh frames, or on the shared code frames from
 * `shared` when it is not 0. Returns the pages mapped.
 */
static uint32_t map_run(struct uspace *sp, uint32_t va, uint32_t want, uint32_t flags, uint32_t shared)
{
    uint32_t pdi = va >> 22, pti = (va >> 12) & 1023, n = 0;
    if (!sp->tab[pdi])
        table_alloc(sp, pdi);
    uint32_t *t = sp->tab[pdi];
    /* Fresh frames are taken in a row; a run's frames must be consecutive, so
     * the run ends where the stack's next frame does not follow the last. */
    uint32_t first = 0;
    while (n < want && pti + n < 1024 && !(t[pti + n] & P)) {
        uint32_t f;
        if (shared) {
            f = shared + n;
        } else {
            if (n && free_stack[free_count - 1] != first + n)
                break;
            f = frame_alloc();
            process_frames++;
            if (!n)
                first = f;
        }
        t[pti + n] = (f << 12) | flags;
        n++;
    }
    if (!n)
        return 0;
    sp->present[pdi] = (uint16_t)(sp->present[pdi] + n);
    sp->pages += n;
    rec(RT_MAP, &(struct rec_map){
                    .tick = tick, .asid = sp->asid, .va = va, .size = SIZE_4K, .count = n, .entry = t[pti]});
    return n;
}

/* The areas processes use, with how often the churn picks each. */
static const struct area {
    uint32_t lo, hi, weight;
} areas[] = {
    {0x10000000u, 0x14000000u, 45}, /* heap */
    {0x40000000u, 0x80000000u, 40}, /* mmap */
    {0xbf800000u, 0xc0000000u, 15}, /* stack */
};

static const struct area *pick_area(void)
{
    uint32_t r = rnd(100);
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++) {
        if (r < areas[i].weight)
            return &areas[i];
        r -= areas[i].weight;
    }
    return &areas[0];
}

static void op_map(struct uspace *sp)
{
    const struct area *a = pick_area();
    for (int tries = 0; tries < 8; tries++) {
        uint32_t va = a->lo + rnd((a->hi - a->lo) >> 12) * 4096u;
        uint32_t pdi = va >> 22, pti = (va >> 12) & 1023;
        if (sp->tab[pdi] && (sp->tab[pdi][pti] & P))
            continue;
        /* Heap and stack grow by demand-zero faults, a page at a time. */
        if (a != &areas[1] && rnd(5) < 2) {
            /* Drawn in this order, so the recording stays the same from build to build. */
            uint32_t error = rnd(4) ? 6u : 4u;
            uint32_t eip = 0x08048000u + rnd(CODE_PAGES * 4096) / 2 * 2;
            uint32_t cr2 = va + rnd(4096) / 4 * 4;
            rec(RT_FAULT, &(struct rec_fault){.tick = tick,
                                              .asid = sp->asid,
                                              .cr2 = cr2,
                                              .eip = eip,
                                              .error = error,
                                              .outcome = OUTCOME_ZERO_FILLED});
            map_run(sp, va, 1, P | W | U, 0);
        } else {
            map_run(sp, va, run_len(16), P | W | U, 0);
        }
        return;
    }
}

/* A run of present pages of sp, at most want long, in a table chosen at random: 0 when none. */
static uint32_t find_run(struct uspace *sp, uint32_t want, uint32_t *va)
{
    if (!sp->ntables)
        return 0;
    uint32_t pdi = sp->tables[rnd(sp->ntables)];
    if (pdi == (CODE_VA >> 22) || !sp->present[pdi])
        return 0; /* the code stays */
    uint32_t *t = sp->tab[pdi], pti = rnd(1024);
    while (!(t[pti] & P))
        pti = (pti + 1) & 1023;
    uint32_t n = 0;
    while (n < want && pti + n < 1024 && (t[pti + n] & P))
        n++;
    *va = (pdi << 22) | (pti << 12);
    return n;
}

static void op_unmap(struct uspace *sp)
{
    uint32_t va, n = find_run(sp, run_len(16), &va);
    if (!n)
        return;
    uint32_t pdi = va >> 22, pti = (va >> 12) & 1023, *t = sp->tab[pdi];
    for (uint32_t i = 0; i < n; i++) {
        frame_free(t[pti + i] >> 12);
        process_frames--;
        t[pti + i] = 0;
    }
    sp->present[pdi] = (uint16_t)(sp->present[pdi] - n);
    sp->pages -= n;
    rec(RT_UNMAP, &(struct rec_unmap){.tick = tick, .asid = sp->asid, .va = va, .size = SIZE_4K, .count = n});
    tlb_after(va, n);
    if (!sp->present[pdi] && rnd(4))
        table_drop(sp, pdi, true);
}

static void op_protect(struct uspace *sp)
{
    uint32_t va, n = find_run(sp, run_len(16), &va);
    if (!n)
        return;
    uint32_t flags = rnd(2) ? P | U : P | W | U;
    uint32_t *t = sp->tab[va >> 22], pti = (va >> 12) & 1023;
    for (uint32_t i = 0; i < n; i++)
        t[pti + i] = (t[pti + i] & ~0xfffu) | flags;
    rec(RT_PROTECT,
        &(struct rec_protect){
            .tick = tick, .asid = sp->asid, .va = va, .size = SIZE_4K, .count = n, .flags = flags});
    tlb_after(va, n);
}

/* The kernel heap grows and shrinks a page at a time; every space sees it. */
static void op_kheap(void)
{
    uint32_t slot = rnd(KHEAP_TABLES * 1024);
    uint32_t *e = &ktab[slot / 1024][slot % 1024];
    uint32_t va = ((KHEAP_PDE + slot / 1024) << 22) | ((slot % 1024) << 12);
    if (*e & P) {
        frame_free(*e >> 12);
        kernel_frames--;
        kheap_pages--;
        *e = 0;
        rec(RT_UNMAP, &(struct rec_unmap){.tick = tick, .asid = 0, .va = va, .size = SIZE_4K, .count = 1});
        rec(RT_TLB_PAGE, &(struct rec_tlb_page){.tick = tick, .va = va});
    } else {
        *e = (frame_alloc() << 12) | P | W | G;
        kernel_frames++;
        kheap_pages++;
        rec(RT_MAP,
            &(struct rec_map){.tick = tick, .asid = 0, .va = va, .size = SIZE_4K, .count = 1, .entry = *e});
    }
}

/* ---- snapshots, coalesced into runs as the kernel's emitter does ---- */

struct run {
    bool active;
    uint32_t pdi, first, count, entry, step;
};

struct snap {
    uint32_t asid, pdes, ptes, records;
    struct run r;
};

static void run_flush(struct snap *s, bool is_pde)
{
    struct run *r = &s->r;
    if (!r->active)
        return;
    if (is_pde)
        rec(RT_PDE,
            &(struct rec_pde){.asid = s->asid, .first = r->first, .count = r->count, .entry = r->entry});
    else
        rec(RT_PTE,
            &(struct rec_pte){
                .asid = s->asid, .pde = r->pdi, .first = r->first, .count = r->count, .entry = r->entry});
    s->records++;
    r->active = false;
}

static void run_add(struct snap *s, bool is_pde, uint32_t pdi, uint32_t index, uint32_t entry, uint32_t step)
{
    struct run *r = &s->r;
    if (r->active && r->pdi == pdi && r->first + r->count == index && r->step == step &&
        (r->entry & 0xfff) == (entry & 0xfff) &&
        (entry & ~0xfffu) == (r->entry & ~0xfffu) + r->count * step) {
        r->count++;
        return;
    }
    run_flush(s, is_pde);
    *r = (struct run){true, pdi, index, 1, entry, step};
}

static uint32_t dir_entry(const struct uspace *sp, uint32_t pdi)
{
    if (pdi >= USER_PDES)
        return kdir[pdi - USER_PDES];
    return sp ? sp->dir[pdi] : 0;
}

static const uint32_t *table_of(const struct uspace *sp, uint32_t pdi)
{
    if (pdi >= KHEAP_PDE && pdi < KHEAP_PDE + KHEAP_TABLES)
        return ktab[pdi - KHEAP_PDE];
    return pdi < USER_PDES && sp ? sp->tab[pdi] : NULL;
}

/* A snapshot of sp (NULL: the kernel's own space, asid 0). */
static void snapshot(const struct uspace *sp)
{
    struct snap s = {.asid = sp ? sp->asid : 0};
    uint32_t seq = ++snap_seq;
    rec(RT_SNAP,
        &(struct rec_snap){.seq = seq, .asid = s.asid, .cr3 = sp ? sp->cr3 : kernel_cr3, .tick = tick});
    for (uint32_t pdi = 0; pdi < 1024; pdi++) {
        uint32_t e = dir_entry(sp, pdi);
        if (e & P) {
            s.pdes++;
            run_add(&s, true, 0, pdi, e, (e & PS) ? 0x400000u : 0x1000u);
        }
    }
    run_flush(&s, true);
    for (uint32_t pdi = 0; pdi < 1024; pdi++) {
        const uint32_t *t = table_of(sp, pdi);
        if (!t || (dir_entry(sp, pdi) & PS))
            continue;
        for (uint32_t pti = 0; pti < 1024; pti++)
            if (t[pti] & P) {
                s.ptes++;
                run_add(&s, false, pdi, pti, t[pti], 0x1000u);
            }
    }
    run_flush(&s, false);
    rec(RT_END,
        &(struct rec_end){.seq = seq, .asid = s.asid, .pdes = s.pdes, .ptes = s.ptes, .records = s.records});
}

static uint32_t live_spaces(void)
{
    uint32_t n = 1; /* the kernel's */
    for (int i = 0; i < user_spaces; i++)
        n += spaces[i].live;
    return n;
}

static void snapshot_all(void)
{
    log_text("telemetry: snapshot of every address space");
    if (cur)
        snapshot(NULL);
    for (int i = 0; i < user_spaces; i++)
        if (spaces[i].live && &spaces[i] != cur)
            snapshot(&spaces[i]);
    snapshot(cur); /* the live one last, as the kernel does */
}

/* ---- processes ---- */

static void switch_to(struct uspace *sp)
{
    cur = sp;
    rec(RT_SPACE_SWITCH, &(struct rec_space_switch){
                             .tick = tick, .asid = sp ? sp->asid : 0, .cr3 = sp ? sp->cr3 : kernel_cr3});
}

/* A new process in slot i: create (with the kernel's snapshot of it), exec's mappings, its first run. */
static void process_start(int i)
{
    struct uspace *sp = &spaces[i];
    memset(sp, 0, sizeof *sp);
    sp->live = true;
    sp->asid = new_asids ? next_asid++ : (uint32_t)i + 1;
    sp->cr3 = frame_alloc() << 12;
    table_frames++;
    rec(RT_SPACE_CREATE, &(struct rec_space_create){.tick = tick, .asid = sp->asid, .cr3 = sp->cr3});
    snapshot(sp);
    log_text("exec: pid %u /bin/worker%u", sp->asid, sp->asid);
    switch_to(sp);
    map_run(sp, CODE_VA, CODE_PAGES, P | U, code_frame);
    /* exec and the first allocations: long runs in every area */
    while (sp->pages < target_pages) {
        const struct area *a = pick_area();
        uint32_t va = a->lo + rnd((a->hi - a->lo) >> 12) * 4096u;
        map_run(sp, va, 16 + rnd(48), P | W | U, 0);
    }
}

static void process_exit(int i)
{
    struct uspace *sp = &spaces[i];
    log_text("pid %u exited with status 0", sp->asid);
    rec(RT_SPACE_DESTROY, &(struct rec_space_destroy){.tick = tick, .asid = sp->asid, .cr3 = sp->cr3});
    while (sp->ntables) {
        uint32_t pdi = sp->tables[0];
        if (pdi != (CODE_VA >> 22)) {
            for (uint32_t pti = 0; pti < 1024; pti++)
                if (sp->tab[pdi][pti] & P) {
                    frame_free(sp->tab[pdi][pti] >> 12);
                    process_frames--;
                }
        }
        table_drop(sp, pdi, false);
    }
    frame_free(sp->cr3 >> 12);
    table_frames--;
    sp->live = false;
}

static const char *const log_lines[] = {
    "sched: pid %u ran %u ticks",           "heap: pid %u brk grew to %u pages",
    "mmap: pid %u mapped a file, %u pages", "kheap: %u pid %u allocations",
    "fault: pid %u demand-zero page %u",
};

int main(int argc, char **argv)
{
    uint64_t want = 1000000;
    int a = 1;
    for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
        if (!strcmp(argv[a], "--new-asids"))
            new_asids = true;
        else if (a + 1 < argc && !strcmp(argv[a], "--spaces"))
            user_spaces = atoi(argv[++a]);
        else if (a + 1 < argc && !strcmp(argv[a], "--pages"))
            all_pages = (uint32_t)strtoul(argv[++a], NULL, 10);
        else if (a + 1 < argc && !strcmp(argv[a], "--life"))
            life_ops = strtoull(argv[++a], NULL, 10);
        else if (a + 1 < argc && !strcmp(argv[a], "--losses"))
            loss_every = strtoull(argv[++a], NULL, 10);
        else
            break;
    }
    if (argc - a < 1 || argc - a > 2 || (argc - a == 2 && (want = strtoull(argv[a + 1], NULL, 10)) == 0) ||
        user_spaces < 1 || user_spaces > SPACES_MAX || life_ops == 0) {
        fprintf(stderr, "usage: gen_heavy [--spaces N] [--pages N] [--life OPS] [--new-asids] [--losses OPS] "
                        "OUT [EVENTS]\n");
        return 2;
    }
    target_pages = all_pages / (uint32_t)user_spaces;
    out = fopen(argv[a], "wb");
    if (!out) {
        perror(argv[a]);
        return 1;
    }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);

    for (uint32_t f = NFRAMES; f-- > LOW_FRAMES;)
        free_stack[free_count++] = f;
    kernel_frames = LOW_FRAMES;

    rec(RT_HELLO, &(struct rec_hello){.version = PROTO_VERSION,
                                      .build = text_of("6b6f697a"),
                                      .usable_kib = RAM_MIB * 1024 - 1024,
                                      .page_size = 4096,
                                      .pse = 1,
                                      .pge = 1});
    rec(RT_MEM, &(struct rec_mem){.usable_kib = RAM_MIB * 1024 - 385,
                                  .regions = 6,
                                  .lower_kib = 639,
                                  .upper_kib = RAM_MIB * 1024 - 1024,
                                  .ignored_kib = 0});
    log_text("Koiz 1.0 (heavy recording for koiz-view's benchmark)");
    log_text("memory: %u MiB usable", RAM_MIB - 1);

    /* The kernel's space: the direct map, the heap's tables, a few heap pages. */
    kernel_cr3 = frame_alloc() << 12;
    table_frames++;
    for (uint32_t i = 0; i < KDIRECT_PDES; i++)
        kdir[i] = (i << 22) | P | W | PS | G;
    for (uint32_t i = 0; i < KHEAP_TABLES; i++) {
        kdir[KHEAP_PDE - USER_PDES + i] = (frame_alloc() << 12) | P | W;
        table_frames++;
    }
    for (uint32_t i = 0; i < 512; i++) {
        ktab[0][i] = (frame_alloc() << 12) | P | W | G;
        kernel_frames++;
        kheap_pages++;
    }
    snapshot(NULL);
    send_frames();

    code_frame = free_stack[free_count - 1]; /* the code's frames, consecutive, taken once */
    for (uint32_t i = 0; i < CODE_PAGES; i++)
        frame_alloc();
    kernel_frames += CODE_PAGES; /* the page cache's */
    for (int i = 0; i < user_spaces; i++)
        process_start(i);
    send_frames();
    snapshot_all();

    uint64_t ops = 0, next_snap = SNAP_EVERY;
    while (events < want) {
        ops++;
        if (ops % 64 == 0)
            send_frames();
        if (ops % 700 == 0) {
            uint32_t k = rnd(sizeof log_lines / sizeof log_lines[0]);
            char text[120];
            snprintf(text, sizeof text, log_lines[k], cur ? cur->asid : 0, rnd(5000));
            log_text("%s", text);
        }
        if (ops % life_ops == 0) {
            int i = (int)rnd(user_spaces);
            if (&spaces[i] == cur)
                i = (i + 1) % user_spaces;
            process_exit(i);
            process_start(i);
            continue;
        }
        if (events >= next_snap) {
            snapshot_all();
            next_snap += SNAP_EVERY;
        }
        if (loss_every && ops % loss_every == 0) {
            rec(RT_LOSS, &(struct rec_loss){.tick = tick, .reason = LOSS_FULL});
            losing = true;
            lost = 0;
            losses++;
        }
        if (losing && ops % loss_every == LOSS_OPS) {
            losing = false;
            rec(RT_DROP,
                &(struct rec_drop){.tick = tick, .count = lost, .first = lost_first, .last = lost_last});
            uint32_t n = live_spaces(), seq = ++round_seq;
            rec(RT_ROUND, &(struct rec_round){.tick = tick, .seq = seq, .spaces = n, .reason = ROUND_LOSS});
            snapshot_all();
            rec(RT_SYNC, &(struct rec_sync){.tick = tick, .seq = seq, .spaces = n});
        }
        uint32_t r = rnd(1000);
        if (r < 5 || !cur) {
            switch_to(&spaces[rnd(user_spaces)]);
        } else if (r < 6) {
            switch_to(NULL); /* the idle loop, in the kernel's own space */
        } else if (r < 30) {
            op_kheap();
        } else {
            /* Keep each process near its size: more maps below it, more unmaps above. */
            int bias = (int)cur->pages - (int)target_pages;
            uint32_t s = rnd(100);
            if (s < 15)
                op_protect(cur);
            else if ((int)s < 57 - bias / 20)
                op_map(cur);
            else
                op_unmap(cur);
        }
    }
    if (losing) { /* a loss ends before the end */
        losing = false;
        rec(RT_DROP, &(struct rec_drop){.tick = tick, .count = lost, .first = lost_first, .last = lost_last});
    }
    log_text("heavy recording: done");
    send_frames();
    snapshot_all();
    if (fclose(out) != 0) {
        perror(argv[a]);
        return 1;
    }
    uint32_t tables = 0;
    for (int i = 0; i < user_spaces; i++)
        tables += spaces[i].live ? spaces[i].ntables : 0;
    fprintf(stderr,
            "gen_heavy: %s: %llu bytes, %llu records, %llu events, %u user pages in %u user page tables "
            "(%d spaces), %u kernel heap pages, %u processes in all, %u losses\n",
            argv[a], (unsigned long long)bytes, (unsigned long long)records, (unsigned long long)events,
            user_pages(), tables, user_spaces, kheap_pages,
            next_asid - SPACES_MAX - 1 + (uint32_t)user_spaces, losses);
    return 0;
}
