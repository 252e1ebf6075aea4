/*
 * test_model.c: applying records to the model (visualizer/model.c) and what
 * is derived from it (model_view.c). Records go in as text, through the
 * parser, as they would from the kernel.
 *
 * The space most tests start from ("boot", asid 0, directory at 0x100000):
 *
 *   0x00000000-0x00001000   no page (table at 0x101000, user RW)
 *   0x00001000-0x00005000   4 KiB pages -> 0x00200000.. user RW
 *   0xc0000000-0xc2000000   4 MiB pages -> 0x00000000.. kernel RW global
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "feed.h"
#include "model_walk.h"

struct fixture {
    struct model *m;
    struct parser p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->m = model_new();
    parser_init(&f->p, f->m);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    const char *why = model_check(f->m);
    if (why)
        fail_msg("%s", why);
    model_free(f->m);
    free(f);
    return 0;
}

static void boot_snapshot(struct parser *p, uint32_t seq)
{
    feed(p, "snap", "%u 0 100000 5", seq);
    feed(p, "pde", "0 0 1 00101007");
    feed(p, "pde", "0 768 8 00000183");
    feed(p, "pte", "0 0 1 4 00200007");
    feed(p, "end", "%u 0 9 4 3", seq);
}

static void test_snapshot_builds_space(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    const struct space *sp = model_space(f->m, 0);
    assert_non_null(sp);
    assert_true(sp->whole);
    assert_int_equal(sp->cr3, 0x100000);
    assert_int_equal(sp->pdes, 9);
    assert_int_equal(space_ptes(sp), 4);
    assert_int_equal(space_present(sp, 0), 4);
    assert_int_equal(model_pde(f->m, 0, 0xc1000000), 0x01000183); /* 5th 4 MiB page */
    assert_int_equal(model_entry(f->m, 0, 0xc1000123), 0x01000183);
    assert_int_equal(model_pte(f->m, 0, 0x3000), 0x00202007);
    assert_int_equal(model_entry(f->m, 0, 0x0000), 0);
    assert_int_equal(model_entry(f->m, 0, 0x5000), 0);
    assert_int_equal(f->m->current_asid, 0); /* no switch seen: the kernel's own space is live */
    assert_int_equal(f->m->stats.snaps_ok, 1);
}

static void test_dump_text(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    char *text = dump_of(f->m);
    assert_string_equal(text, "space 0 cr3 0x00100000 whole current: 9 directory entries, 4 table entries\n"
                              "0x00001000-0x00005000   16K -> 0x00200000 4K RW USR\n"
                              "0xc0000000-0xc2000000   32M -> 0x00000000 4M RW                 G\n");
    free(text);
}

static char *summary_of(const struct model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    model_dump_summary(m, f);
    fclose(f);
    return text;
}

/* Only what arrived, and only from the kernel that is running now. */
static void test_dump_summary(void **state)
{
    struct fixture *f = *state;
    char *text = summary_of(f->m);
    assert_string_equal(text, "");
    free(text);
    feed(&f->p, "hello", "1 9f9b8f50 32255 4096 1 0");
    feed(&f->p, "mem", "32255 6 639 31616 1024");
    feed(&f->p, "tests", "36 1");
    feed(&f->p, "panic", "vmm_map: remap of 0xc0001000");
    text = summary_of(f->m);
    assert_string_equal(text, "kernel 9f9b8f50: 4 MiB pages yes, global pages no\n"
                              "memory 32255 KiB usable, 1024 KiB ignored\n"
                              "self-tests 36 passed, 1 failed\n"
                              "panic vmm_map: remap of 0xc0001000\n");
    free(text);
    feed(&f->p, "hello", "1 abc 4096 4096 0 0");
    text = summary_of(f->m);
    assert_string_equal(text, "kernel abc: 4 MiB pages no, global pages no\n");
    free(text);
}

static void test_half_snapshot_changes_nothing(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    char *before = dump_of(f->m);
    uint64_t map_version = f->m->map_version;
    feed(&f->p, "snap", "2 0 100000 9");
    feed(&f->p, "pde", "0 1 1 00300007");
    feed(&f->p, "pte", "0 1 0 1 00400005");
    char *during = dump_of(f->m);
    assert_string_equal(before, during);
    assert_int_equal(f->m->map_version, map_version);
    assert_true(model_space(f->m, 0)->whole);
    /* The second snapshot completes: it replaces everything. */
    feed(&f->p, "end", "2 0 1 1 2");
    const struct space *sp = model_space(f->m, 0);
    assert_true(sp->whole);
    assert_int_equal(sp->snap_seq, 2);
    assert_int_equal(model_pde(f->m, 0, 0xc0000000), 0);
    assert_int_equal(model_entry(f->m, 0, 0x400000), 0x400005);
    assert_int_equal(sp->pdes, 1);
    assert_int_equal(f->m->tables, 1);
    free(before);
    free(during);
}

static void test_snapshot_counts_mismatch(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    char *before = dump_of(f->m);
    /* A pte line went missing: the end counts disagree. */
    feed(&f->p, "snap", "2 0 100000 9");
    feed(&f->p, "pde", "0 1 1 00300007");
    feed(&f->p, "end", "2 0 1 1 2");
    const struct space *sp = model_space(f->m, 0);
    assert_false(sp->whole);
    assert_int_equal(f->m->stats.snaps_lost, 1);
    char *after = dump_of(f->m);
    /* Old contents stay on show; only the header says it is not whole, since when and why. */
    assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
    assert_non_null(strstr(after, "untrusted since tick 9 (snapshot cut short)"));
    assert_int_equal(f->m->tables, 1);
    free(before);
    free(after);
    /* The next good snapshot makes it whole again. */
    boot_snapshot(&f->p, 3);
    assert_true(model_space(f->m, 0)->whole);
}

static void test_snapshot_loss_kinds(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    /* pte before its pde (the pde line was lost). */
    feed(&f->p, "snap", "2 0 100000 9");
    feed(&f->p, "pte", "0 5 0 1 00400005");
    feed(&f->p, "end", "2 0 0 1 1");
    assert_false(model_space(f->m, 0)->whole);
    boot_snapshot(&f->p, 3);
    /* A snapshot cut short by the next one. */
    feed(&f->p, "snap", "4 0 100000 9");
    feed(&f->p, "pde", "0 1 1 00300007");
    feed(&f->p, "snap", "5 1 500000 9");
    feed(&f->p, "end", "5 1 0 0 0");
    assert_false(model_space(f->m, 0)->whole);
    assert_true(model_space(f->m, 1)->whole);
    /* end with the wrong seq; an orphan end; an orphan pde. */
    boot_snapshot(&f->p, 6);
    feed(&f->p, "snap", "7 0 100000 9");
    feed(&f->p, "end", "8 0 0 0 0");
    assert_false(model_space(f->m, 0)->whole);
    feed(&f->p, "end", "9 1 0 0 0");
    assert_false(model_space(f->m, 1)->whole);
    feed(&f->p, "pde", "1 0 1 00000083");
    assert_int_equal(f->m->stats.orphan_runs, 1);
    /* A directory entry listed twice. */
    feed(&f->p, "snap", "10 1 500000 9");
    feed(&f->p, "pde", "1 0 2 00000083");
    feed(&f->p, "pde", "1 1 1 00400083");
    feed(&f->p, "end", "10 1 3 0 2");
    assert_false(model_space(f->m, 1)->whole);
    assert_int_equal(f->m->stats.snaps_ok, 4);
    assert_int_equal(f->m->stats.snaps_lost, 5);
    assert_int_equal(f->m->tables, 1);
}

static void test_drop_loses_whole(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    feed(&f->p, "space", "6 1 create 500000");
    feed(&f->p, "drop", "7 12");
    assert_false(model_space(f->m, 0)->whole);
    assert_int_equal(f->m->stats.dropped_events, 12);
    /* A drop in the middle of a snapshot spoils it. */
    feed(&f->p, "snap", "2 0 100000 9");
    feed(&f->p, "drop", "10 1");
    feed(&f->p, "end", "2 0 0 0 0");
    assert_false(model_space(f->m, 0)->whole);
    assert_non_null(model_space(f->m, 0)->table[0]); /* old contents kept */
}

static void test_map_unmap_protect_4k(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    feed(&f->p, "ptab", "10 0 1 00102007 alloc");
    assert_int_equal(model_pde(f->m, 0, 0x400000), 0x102007);
    assert_non_null(model_space(f->m, 0)->table[1]);
    /* 0x3fe000..0x402000: two pages in table 0, two in table 1. */
    feed(&f->p, "map", "11 0 3fe000 4k 4 00800007");
    assert_int_equal(model_pte(f->m, 0, 0x3fe000), 0x800007);
    assert_int_equal(model_pte(f->m, 0, 0x3ff000), 0x801007);
    assert_int_equal(model_pte(f->m, 0, 0x400000), 0x802007);
    assert_int_equal(model_pte(f->m, 0, 0x401000), 0x803007);
    const struct space *sp = model_space(f->m, 0);
    assert_int_equal(space_present(sp, 0), 6);
    assert_int_equal(space_present(sp, 1), 2);
    assert_int_equal(space_ptes(sp), 8);
    feed(&f->p, "protect", "12 0 3ff000 4k 2 065");
    assert_int_equal(model_pte(f->m, 0, 0x3ff000), 0x801065);
    assert_int_equal(model_pte(f->m, 0, 0x400000), 0x802065);
    assert_int_equal(model_pte(f->m, 0, 0x401000), 0x803007);
    feed(&f->p, "unmap", "13 0 3ff000 4k 3");
    assert_int_equal(model_pte(f->m, 0, 0x3fe000), 0x800007);
    assert_int_equal(model_pte(f->m, 0, 0x3ff000), 0);
    assert_int_equal(model_pte(f->m, 0, 0x401000), 0);
    assert_int_equal(space_present(sp, 0), 5);
    assert_int_equal(space_present(sp, 1), 0);
    feed(&f->p, "ptab", "14 0 1 free");
    assert_int_equal(model_pde(f->m, 0, 0x400000), 0);
    assert_null(sp->table[1]);
    assert_true(sp->whole);
    assert_int_equal(f->m->stats.inconsistent, 0);
    assert_int_equal(f->m->tables, 1);
}

static void test_map_unmap_protect_4m(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    feed(&f->p, "map", "10 0 c2000000 4m 3 02000183");
    assert_int_equal(model_pde(f->m, 0, 0xc2000000), 0x02000183);
    assert_int_equal(model_pde(f->m, 0, 0xc2800000), 0x02800183);
    assert_int_equal(model_space(f->m, 0)->pdes, 12);
    feed(&f->p, "protect", "11 0 c2400000 4m 1 001"); /* PS is kept for a 4 MiB page */
    assert_int_equal(model_pde(f->m, 0, 0xc2400000), 0x02400081);
    feed(&f->p, "unmap", "12 0 c2000000 4m 2");
    assert_int_equal(model_pde(f->m, 0, 0xc2000000), 0);
    assert_int_equal(model_pde(f->m, 0, 0xc2400000), 0);
    assert_int_equal(model_pde(f->m, 0, 0xc2800000), 0x02800183);
    assert_true(model_space(f->m, 0)->whole);
    assert_int_equal(f->m->stats.inconsistent, 0);
}

static void test_contradictions_lose_whole(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    /* A 4 KiB map where no table exists. */
    feed(&f->p, "map", "10 0 800000 4k 1 00900007");
    assert_false(model_space(f->m, 0)->whole);
    assert_int_equal(model_pte(f->m, 0, 0x800000), 0);
    boot_snapshot(&f->p, 2);
    /* Protect of a page that is not mapped. */
    feed(&f->p, "protect", "11 0 5000 4k 1 005");
    assert_false(model_space(f->m, 0)->whole);
    boot_snapshot(&f->p, 3);
    /* A 4 MiB map over a table: the table goes. */
    feed(&f->p, "map", "12 0 0 4m 1 00000083");
    assert_false(model_space(f->m, 0)->whole);
    assert_null(model_space(f->m, 0)->table[0]);
    assert_int_equal(model_entry(f->m, 0, 0x1000), 0x83);
    /* Unmapping a hole is not a contradiction. */
    boot_snapshot(&f->p, 4);
    feed(&f->p, "unmap", "13 0 1000000 4k 5");
    assert_true(model_space(f->m, 0)->whole);
    assert_int_equal(f->m->stats.inconsistent, 3);
}

static void test_unknown_asid(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    uint64_t version = f->m->version;
    feed(&f->p, "map", "10 7 1000 4k 1 00900007");
    feed(&f->p, "ptab", "10 7 1 00102007 alloc");
    feed(&f->p, "space", "10 7 destroy 700000");
    assert_null(model_space(f->m, 7));
    assert_int_equal(f->m->stats.unknown_asid, 3);
    assert_int_equal(f->m->version, version);
    assert_int_equal(f->p.stats.records, 8); /* parsed fine: ignored by the model */
}

static void test_spaces(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    feed(&f->p, "space", "20 3 create 00700000");
    const struct space *sp = model_space(f->m, 3);
    assert_non_null(sp);
    /* A new space is the kernel's half (accessed and dirty clear) and nothing else:
     * whole at once, because the kernel's space is. */
    assert_true(sp->whole);
    assert_int_equal(sp->dir[768], 0x00000183 & ~0x60u);
    assert_int_equal(sp->dir[0], 0);
    assert_int_equal(sp->pdes, 8);
    assert_int_equal(sp->cr3, 0x700000);
    feed(&f->p, "space", "21 3 switch 00700000");
    assert_int_equal(f->m->current_asid, 3);
    assert_int_equal(f->m->live_cr3, 0x700000);
    /* A snapshot whose cr3 is the live one marks its space current. */
    feed(&f->p, "space", "22 0 switch 00100000");
    assert_int_equal(f->m->current_asid, 0);
    f->m->current_asid = MODEL_NO_ASID;
    boot_snapshot(&f->p, 2);
    assert_int_equal(f->m->current_asid, 0);
    feed(&f->p, "space", "23 3 destroy 00700000");
    assert_null(model_space(f->m, 3));
    /* Past MODEL_SPACES_MAX alive at once, the next space is refused and counted. */
    for (uint32_t a = 100; a < 100 + MODEL_SPACES_MAX; a++)
        feed(&f->p, "space", "24 %u create %x", a, a << 12);
    assert_int_equal(f->m->stats.spaces_full, 1);
    assert_null(model_space(f->m, 100 + MODEL_SPACES_MAX - 1));
    assert_non_null(model_space(f->m, 100 + MODEL_SPACES_MAX - 2));
    /* Destroyed, they make room again: the limit is on live spaces only. */
    feed(&f->p, "space", "25 100 destroy 64000");
    feed(&f->p, "space", "25 4000000000 create 1000");
    assert_non_null(model_space(f->m, 4000000000u));
    assert_int_equal(f->m->stats.spaces_full, 1);
    char *text = dump_of(f->m);
    assert_non_null(strstr(text, "space 0 cr3"));
    assert_true(strstr(text, "space 100 ") < strstr(text, "space 101 "));
    free(text);
}

/* The shared-memory channel's records change no picture: an offer is taken
 * up by the source, `ring start` only marks that records come through memory. */
static void test_ring_records(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    uint64_t mapping = f->m->map_version;
    feed(&f->p, "ring", "3 offer 180000 69632");
    assert_false(f->m->shared_ring);
    feed(&f->p, "ring", "4 start");
    assert_true(f->m->shared_ring);
    assert_int_equal(f->m->map_version, mapping);
    assert_int_equal(f->p.stats.bad_fields, 0);
    feed(&f->p, "hello", "1 x 32768 4096 1 1"); /* a new boot: not said again until it is */
    assert_false(f->m->shared_ring);
}

/* Regions: from a snapshot (held), added, resized, removed by events, gone with their
 * space; events that do not fit the list make the space not whole; --dump prints them. */
static void test_regions(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    assert_false(f->m->regions_seen);
    feed(&f->p, "space", "20 3 create 00700000");
    feed(&f->p, "region", "20 3 8048000 804a000 code add");
    feed(&f->p, "region", "20 3 bffbf000 bffff000 stack add");
    feed(&f->p, "region", "20 3 bffbe000 bffbf000 guard add");
    feed(&f->p, "region", "21 3 804a000 804b000 heap add");
    const struct space *sp = model_space(f->m, 3);
    assert_true(f->m->regions_seen);
    assert_int_equal(sp->nregions, 4);
    assert_int_equal(sp->regions[0].kind, HOLDS_CODE); /* address order */
    assert_int_equal(sp->regions[1].kind, HOLDS_HEAP);
    assert_int_equal(sp->regions[2].kind, HOLDS_GUARD);
    assert_int_equal(sp->regions[3].start, 0xbffbf000);
    /* The heap grows: its end is the break. */
    feed(&f->p, "region", "22 3 804a000 8050000 heap resize");
    assert_int_equal(sp->regions[1].end, 0x8050000);
    feed(&f->p, "ptab", "22 3 32 00500007 alloc");
    feed(&f->p, "map", "22 3 804a000 4k 2 00300007");
    assert_int_equal(model_present_pages(sp, 0x804a000, 0x8050000), 2);
    assert_true(sp->whole);
    char *text = dump_of(f->m);
    assert_non_null(strstr(text, "region 0x0804a000-0x08050000    24K heap   2/6 present\n"));
    assert_non_null(strstr(text, "region 0xbffbe000-0xbffbf000     4K guard  0/1 present\n"));
    free(text);
    /* It shrinks to nothing: the region goes. */
    feed(&f->p, "unmap", "23 3 804a000 4k 2");
    feed(&f->p, "region", "23 3 804a000 8050000 heap remove");
    assert_int_equal(sp->nregions, 3);
    assert_true(sp->whole);
    /* A resize of a region nobody added, an overlapping add: records went missing. */
    feed(&f->p, "region", "24 3 9000000 9001000 heap resize");
    assert_false(sp->whole);
    assert_int_equal(sp->why, UNTRUSTED_CONTRADICTION);
    /* A snapshot's regions replace the list, installed with the snapshot at its end. */
    feed(&f->p, "snap", "2 3 700000 25");
    feed(&f->p, "region", "3 0 2 8048000 804a000 code held");
    feed(&f->p, "region", "3 1 2 bffbf000 bffff000 stack held");
    assert_int_equal(sp->nregions, 3); /* not yet */
    feed(&f->p, "end", "2 3 0 0 0");
    assert_true(sp->whole);
    assert_int_equal(sp->nregions, 2);
    assert_int_equal(sp->regions[1].kind, HOLDS_STACK);
    /* One held line missing: the snapshot is not whole, and the list stays. */
    feed(&f->p, "snap", "3 3 700000 26");
    feed(&f->p, "region", "3 1 2 bffbf000 bffff000 stack held");
    feed(&f->p, "end", "3 3 0 0 0");
    assert_false(sp->whole);
    assert_int_equal(sp->why, UNTRUSTED_SNAPSHOT);
    assert_int_equal(sp->nregions, 2);
    /* Destroyed: the regions go with the space; a new space of another id starts with none. */
    feed(&f->p, "space", "27 3 destroy 00700000");
    assert_null(model_space(f->m, 3));
    feed(&f->p, "space", "28 4 create 00800000");
    assert_int_equal(model_space(f->m, 4)->nregions, 0);
    /* A region event of a space the model does not hold is counted and ignored. */
    uint64_t unknown = f->m->stats.unknown_asid;
    feed(&f->p, "region", "29 3 8048000 804a000 code add");
    assert_int_equal(f->m->stats.unknown_asid, unknown + 1);
}

static void test_faults_ring(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    for (uint32_t i = 0; i < MODEL_FAULTS + 10; i++)
        feed(&f->p, "fault", "%u 0 %x c0101234 6 zero-filled", 100 + i, 0x1000 * i);
    feed(&f->p, "fault", "999 5 deadbeef c0100000 1d stack-overflow");
    assert_int_equal(f->m->fault_count, MODEL_FAULTS);
    assert_int_equal(f->m->faults_total, MODEL_FAULTS + 11);
    const struct fault_event *e = model_fault(f->m, 0);
    assert_int_equal(e->cr2, 0xdeadbeef);
    assert_int_equal(e->asid, 5);
    assert_int_equal(e->outcome, OUTCOME_STACK_OVERFLOW);
    assert_string_equal(e->words, "protection-violation instruction-fetch user reserved-bit");
    e = model_fault(f->m, 1);
    assert_int_equal(e->tick, 100 + MODEL_FAULTS + 9);
    assert_string_equal(e->words, "not-present write user");
    assert_int_equal(model_fault(f->m, MODEL_FAULTS - 1)->tick, 100 + 11);
    assert_null(model_fault(f->m, MODEL_FAULTS));
    assert_int_equal(model_space(f->m, 0)->faults, MODEL_FAULTS + 10);
}

static void test_log_ring(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < MODEL_LOG_LINES + 5; i++)
        feed(&f->p, "log", "%u line %u", i, i);
    feed(&f->p, "warn", "unknown option frob=1");
    feed(&f->p, "panic", "vmm_map: remap");
    assert_int_equal(f->m->log_count, MODEL_LOG_LINES);
    assert_int_equal(f->m->log_total, MODEL_LOG_LINES + 7);
    assert_string_equal(model_log(f->m, 0)->text, "line 7");
    const struct log_line *l = model_log(f->m, MODEL_LOG_LINES - 2);
    assert_int_equal(l->kind, LOG_WARN);
    assert_int_equal(l->tick, MODEL_LOG_LINES + 4);
    assert_string_equal(l->text, "unknown option frob=1");
    l = model_log(f->m, MODEL_LOG_LINES - 1);
    assert_int_equal(l->kind, LOG_PANIC);
    assert_string_equal(l->text, "vmm_map: remap");
    assert_true(f->m->panicked);
    assert_null(model_log(f->m, MODEL_LOG_LINES));
}

static void test_boot_facts_and_tests(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "hello", "1 9f9b8f50 32255 4096 1 1");
    feed(&f->p, "mem", "32255 6 639 31616 0");
    feed(&f->p, "frames", "50 8063 7000 3 1000 60");
    feed(&f->p, "test", "kprintf_format pass");
    feed(&f->p, "test", "vmm_remap fail vmm.c:12: entry == 0");
    feed(&f->p, "tests", "1 1");
    feed(&f->p, "bench", "vmm_map_4k 812 10000");
    feed(&f->p, "tlb", "51 c0001000");
    feed(&f->p, "tlb", "52 all");
    assert_true(f->m->have_hello);
    assert_string_equal(f->m->hello.build, "9f9b8f50");
    assert_int_equal(f->m->hello.usable_kib, 32255);
    assert_int_equal(f->m->mem.upper_kib, 31616);
    assert_int_equal(f->m->frames.free, 7000);
    assert_int_equal(f->m->frames.process, 60);
    assert_int_equal(f->m->test_count, 2);
    assert_true(f->m->tests[0].pass);
    assert_false(f->m->tests[1].pass);
    assert_string_equal(f->m->tests[1].detail, "vmm.c:12: entry == 0");
    assert_true(f->m->tests_done);
    assert_int_equal(f->m->tests_failed, 1);
    assert_int_equal(f->m->bench_count, 1);
    assert_string_equal(f->m->bench[0].name, "vmm_map_4k");
    assert_int_equal(f->m->bench[0].cycles_per_op, 812);
    assert_int_equal(f->m->tlb.invlpg, 1);
    assert_int_equal(f->m->tlb.flushes, 1);
    assert_int_equal(f->m->tick, 52);
    /* A second hello is a new boot: the old kernel's spaces and tests go, the log stays. */
    boot_snapshot(&f->p, 1);
    feed(&f->p, "log", "60 still here");
    feed(&f->p, "hello", "1 abc 32255 4096 1 1");
    assert_null(model_space(f->m, 0));
    assert_int_equal(f->m->test_count, 0);
    assert_int_equal(f->m->tables, 0);
    assert_int_equal(f->m->log_count, 1);
}

static void test_versions(void **state)
{
    struct fixture *f = *state;
    uint64_t v = f->m->version, mv = f->m->map_version;
    boot_snapshot(&f->p, 1);
    assert_true(f->m->version > v);
    assert_true(f->m->map_version > mv);
    v = f->m->version;
    mv = f->m->map_version;
    feed(&f->p, "log", "1 hi");
    assert_int_equal(f->m->version, v + 1);
    assert_int_equal(f->m->map_version, mv);
    feed(&f->p, "map", "2 0 c2000000 4m 1 02000183");
    assert_int_equal(f->m->map_version, mv + 1);
    parser_feed(&f->p, "noise\n", 6);
    assert_int_equal(f->m->version, v + 2);
}

/*
 * The frame map a kernel with 8 MiB would send after boot_snapshot (frames by number):
 *
 *   0x000-0x09e reserved   0x09f-0x0ff hole     0x100 directory (space 0)   0x101 table
 *   0x102-0x14f image      0x150-0x157 telemetry 0x158-0x1ff image
 *   0x200-0x203 user, 1 reference each (space 0's pages 0x1000-0x4fff)     0x204-0x7ff free
 */
static void frame_map(struct parser *p, uint32_t seq)
{
    feed(p, "physmap", "7 %u 2048", seq);
    feed(p, "phys", "0 159 reserved 0");
    feed(p, "phys", "9f000 97 hole 0");
    feed(p, "phys", "100000 1 directory 0");
    feed(p, "phys", "101000 1 table 0");
    feed(p, "phys", "102000 78 image 0");
    feed(p, "phys", "150000 8 telemetry 0");
    feed(p, "phys", "158000 168 image 0");
    feed(p, "phys", "200000 4 user 1");
    feed(p, "phys", "204000 1532 free 0");
    feed(p, "physend", "%u 9", seq);
}

static void test_frames_from_physmap(void **state)
{
    struct fixture *f = *state;
    const struct frame_map *fm = f->m->frame_map;
    boot_snapshot(&f->p, 1);
    assert_int_equal(model_frame_owner(f->m, 0x200), FRAME_UNKNOWN);
    assert_int_equal(fm->why, FRAMES_NONE);
    frame_map(&f->p, 1);
    assert_true(fm->whole);
    assert_int_equal(fm->nframes, 2048);
    assert_int_equal(model_frames_span(f->m), 2048);
    assert_int_equal(model_frame_owner(f->m, 0x9e), OWNER_RESERVED);
    assert_int_equal(model_frame_owner(f->m, 0x9f), OWNER_HOLE);
    assert_int_equal(model_frame_owner(f->m, 0x100), OWNER_DIRECTORY);
    assert_int_equal(model_frame_owner(f->m, 0x151), OWNER_TELEMETRY);
    assert_int_equal(model_frame_owner(f->m, 0x1ff), OWNER_IMAGE);
    assert_int_equal(model_frame_class(f->m, 0x203), OWNER_USER);
    assert_int_equal(model_frame_refs(f->m, 0x203), 1);
    assert_int_equal(model_frame_refs(f->m, 0x100), 0);
    assert_int_equal(model_frame_owner(f->m, 0x7ff), OWNER_FREE);
    assert_int_equal(model_frame_owner(f->m, 0x800), FRAME_UNKNOWN);
    assert_int_equal(fm->count[OWNER_FREE], 1532);
    assert_int_equal(fm->count[OWNER_IMAGE], 246);
    assert_int_equal(fm->stats.refs_differ, 0);
    assert_int_equal(fm->stats.free_mapped, 0);
    /* The counters agree: free 1532; tables 1 + directory 1; kernel (heap) 0; user 4; of 1538. */
    feed(&f->p, "frames", "8 1538 1532 2 0 4");
    assert_true(fm->whole);
    assert_int_equal(fm->stats.counter_checks, 1);
    feed(&f->p, "frames", "9 1538 1531 2 0 5");
    assert_false(fm->whole);
    assert_int_equal(fm->why, FRAMES_COUNTERS);
    assert_int_equal(fm->since, 9);
    assert_non_null(strstr(fm->detail, "1531 free"));
    frame_map(&f->p, 2); /* a good map makes it whole again */
    assert_true(fm->whole);
    uint8_t cls[0x900];
    uint32_t counts[FRAME_CLASSES];
    model_phys_map(f->m, cls, 0x900, counts);
    assert_int_equal(cls[0x203], OWNER_USER);
    assert_int_equal(cls[0x850], FRAME_UNKNOWN);
    assert_int_equal(counts[FRAME_UNKNOWN], 0x100);
    assert_int_equal(counts[OWNER_HOLE], 97);
}

static void test_frames_events(void **state)
{
    struct fixture *f = *state;
    const struct frame_map *fm = f->m->frame_map;
    boot_snapshot(&f->p, 1);
    frame_map(&f->p, 1);
    /* A frame for user pages, mapped in space 0 and, after a fork, in space 1: shared. */
    feed(&f->p, "alloc", "10 300000 2 user");
    feed(&f->p, "alloc", "10 306000 1 table");
    feed(&f->p, "ptab", "10 0 32 00306007 alloc");
    feed(&f->p, "map", "10 0 8000000 4k 2 300007");
    assert_int_equal(model_frame_class(f->m, 0x300), OWNER_USER);
    assert_int_equal(model_frame_refs(f->m, 0x301), 1);
    feed(&f->p, "alloc", "11 400000 1 directory");
    feed(&f->p, "space", "11 1 create 400000");
    feed(&f->p, "alloc", "11 401000 2 table");
    feed(&f->p, "ptab", "11 1 0 00401007 alloc");
    feed(&f->p, "ptab", "11 1 32 00402007 alloc");
    feed(&f->p, "fork", "11 0 1");
    assert_int_equal(model_frame_refs(f->m, 0x300), 2);
    assert_int_equal(model_frame_class(f->m, 0x300), FRAME_SHARED);
    assert_int_equal(model_frame_refs(f->m, 0x200), 2); /* fork shares space 0's other pages too */
    /* 1532 - 6 free; tables 1 + 1 + 2 and directories 1 + 1; user 4 + 2 */
    feed(&f->p, "frames", "12 1538 1526 6 0 6");
    assert_true(fm->whole);
    assert_int_equal(fm->stats.counter_checks, 1);
    /* A copy-on-write copy: the child gets a frame of its own. */
    feed(&f->p, "alloc", "13 305000 1 user");
    feed(&f->p, "remap", "13 1 8000000 4k 1 305007");
    assert_int_equal(model_frame_refs(f->m, 0x300), 1);
    assert_int_equal(model_frame_refs(f->m, 0x305), 1);
    assert_int_equal(fm->stats.contradictions, 0);
    /* Space 1 goes: its pages and tables with it; then the frees are told. */
    feed(&f->p, "free", "14 305000 1 user");
    assert_int_equal(model_frames_free_mapped(f->m), 1); /* freed but still mapped until the destroy */
    feed(&f->p, "space", "14 1 destroy 400000");
    assert_int_equal(model_frames_free_mapped(f->m), 0);
    assert_true(fm->whole);
    /* A free that does not fit: not what the map says the frame holds. */
    feed(&f->p, "free", "15 300000 1 table");
    assert_false(fm->whole);
    assert_int_equal(fm->why, FRAMES_CONTRADICTION);
    assert_int_equal(fm->stats.contradictions, 1);
    assert_int_equal(model_frame_owner(f->m, 0x300), OWNER_FREE);
    /* Past the map: a contradiction too. */
    feed(&f->p, "alloc", "16 7ff000 2 user");
    assert_int_equal(model_frame_owner(f->m, 0x7ff), OWNER_FREE);
    assert_int_equal(fm->stats.contradictions, 2);
    /* The parser refuses what cannot be an allocation. */
    uint64_t bad = f->p.stats.bad_fields;
    feed(&f->p, "alloc", "17 300001 1 user");
    feed(&f->p, "alloc", "17 300000 1 image");
    feed(&f->p, "free", "17 300000 0 user");
    feed(&f->p, "phys", "fffff000 2 free 0");
    feed(&f->p, "physmap", "17 3 0");
    assert_int_equal(f->p.stats.bad_fields, bad + 5);
}

static void test_frames_trust(void **state)
{
    struct fixture *f = *state;
    const struct frame_map *fm = f->m->frame_map;
    boot_snapshot(&f->p, 1);
    /* A run lost: the map is cut short. */
    feed(&f->p, "physmap", "7 1 2048");
    feed(&f->p, "phys", "0 159 reserved 0");
    feed(&f->p, "phys", "100000 1948 free 0");
    feed(&f->p, "physend", "1 2");
    assert_false(fm->whole);
    assert_int_equal(fm->why, FRAMES_CUT);
    frame_map(&f->p, 2);
    assert_true(fm->whole);
    feed(&f->p, "loss", "20 full");
    assert_int_equal(fm->why, FRAMES_LOST);
    assert_int_equal(fm->since, 20);
    feed(&f->p, "frames", "21 1 1 0 0 0"); /* not held against a map known to be behind */
    assert_int_equal(fm->why, FRAMES_LOST);
    feed(&f->p, "drop", "22 5 20 21");
    frame_map(&f->p, 3);
    assert_true(fm->whole);
    /* A new boot forgets the frames. */
    feed(&f->p, "hello", "1 abc 8192 4096 1 1");
    assert_int_equal(fm->nframes, 0);
    assert_int_equal(fm->why, FRAMES_NONE);
}

static void test_reverse_map_and_walk(void **state)
{
    struct fixture *f = *state;
    const struct frame_mapping *mp;
    char words[96];
    struct walk w;
    boot_snapshot(&f->p, 1);
    frame_map(&f->p, 1);
    /* Frame 0x200: space 0's page 0x1000, and the kernel's direct map at 0xc0200000 (a 4 MiB page). */
    assert_int_equal(model_frame_mappings(f->m, 0x200, &mp), 2);
    assert_int_equal(mp[0].asid, 0);
    assert_int_equal(mp[0].va, 0x1000);
    assert_int_equal(mp[1].asid, MODEL_NO_ASID);
    assert_int_equal(mp[1].va, 0xc0200000u | 1);
    assert_string_equal(mapping_words(&mp[1], words, sizeof words), "kernel half va 0xc0200000 (4 MiB page)");
    assert_int_equal(model_frame_mappings(f->m, 0x7ff, &mp), 1);
    /* A 4 KiB page, mapped. */
    assert_int_equal(model_walk(f->m, 0, 0x2abc, &w), WALK_MAPPED);
    assert_int_equal(w.pa, 0x201abc);
    assert_int_equal(w.pde_at, 0x100000);
    assert_int_equal(w.pte_at, 0x101008);
    assert_int_equal(w.error[WALK_USER_WRITE], WALK_NO_FAULT);
    /* A 4 MiB page: supervisor only. */
    assert_int_equal(model_walk(f->m, MODEL_NO_ASID, 0xc1234567, &w), WALK_MAPPED);
    assert_true(w.large);
    assert_int_equal(w.pa, 0x01234567);
    assert_int_equal(w.error[WALK_USER_READ], PFERR_P | PFERR_U);
    assert_int_equal(w.error[WALK_KERNEL_WRITE], WALK_NO_FAULT);
    /* Not present at each level. */
    assert_int_equal(model_walk(f->m, 0, 0x6000, &w), WALK_NO_PTE);
    assert_int_equal(w.error[WALK_USER_WRITE], PFERR_U | PFERR_W);
    assert_int_equal(w.error[WALK_KERNEL_READ], 0);
    assert_int_equal(model_walk(f->m, 0, 0x00400000, &w), WALK_NO_PDE);
    assert_int_equal(model_walk(f->m, 7, 0, &w), WALK_NO_SPACE);
    /* Read-only and copy-on-write: a write faults with P set, and says the kernel copies. */
    feed(&f->p, "protect", "30 0 1000 4k 1 205");
    assert_int_equal(model_walk(f->m, 0, 0x1000, &w), WALK_MAPPED);
    assert_int_equal(w.error[WALK_USER_WRITE], PFERR_P | PFERR_W | PFERR_U);
    assert_int_equal(w.error[WALK_KERNEL_WRITE], PFERR_P | PFERR_W);
    assert_int_equal(w.error[WALK_USER_READ], WALK_NO_FAULT);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    walk_print(f->m, &w, out);
    frame_print(f->m, 0x200123, out);
    fclose(out);
    assert_non_null(strstr(text, "PTE  1    @0x00101004 = 0x00200205  P U COW\n"));
    assert_non_null(strstr(text, "     -> frame 0x00200000 + offset 0x000 = 0x00200000\n"));
    assert_non_null(strstr(text, "user write   fault 0x7: protection-violation write user\n"));
    assert_non_null(strstr(text, "copy-on-write: a write fault gives the writer its own copy"));
    assert_non_null(strstr(text, "also: kernel 0xc0200000 (4M)\n"));
    assert_non_null(strstr(text, "result 0x00001000 -> 0x00200000\n"));
    assert_non_null(strstr(text, "frame 0x00200000 (#512): user, 1 reference\n"));
    assert_non_null(strstr(text, "  kernel half va 0xc0200000 (4 MiB page): the direct map\n"));
    free(text);
}

/* A checkpoint of the frames (issue 14's time machine): an equal copy, apart from later changes. */
static void test_frame_map_copy(void **state)
{
    struct fixture *f = *state;
    struct model *other = model_new();
    const struct frame_map *src = f->m->frame_map, *dst = other->frame_map;
    boot_snapshot(&f->p, 1);
    frame_map(&f->p, 1);
    assert_int_equal(model_frame_refs(f->m, 0x200), 1); /* derived parts made in the source */
    assert_true(frame_map_bytes(src) >= 2048 * 3 + 2048 * 4);
    assert_int_equal(frame_map_copy(other->frame_map, src), 0);
    assert_int_equal(dst->nframes, 2048);
    assert_memory_equal(dst->owner, src->owner, 2048);
    assert_memory_equal(dst->sent, src->sent, 2048 * sizeof *src->sent);
    assert_memory_equal(dst->count, src->count, sizeof src->count);
    assert_true(dst->whole);
    assert_null(frame_map_check(dst));
    assert_null(dst->refs); /* made again when asked, from the tables of the model holding it */
    feed(&f->p, "free", "9 200000 1 user");
    assert_int_equal(model_frame_owner(f->m, 0x200), OWNER_FREE);
    assert_int_equal(model_frame_owner(other, 0x200), OWNER_USER);
    assert_int_equal(frame_map_copy(other->frame_map, src), 0); /* and back over an older copy */
    assert_int_equal(model_frame_owner(other, 0x200), OWNER_FREE);
    model_free(other);
}

static void test_frames_dump(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    frame_map(&f->p, 1);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    model_dump_frames(f->m, out);
    fclose(out);
    assert_non_null(strstr(text, "frames: 2048 (8 MiB) from the frame map of tick 7, whole;"));
    assert_non_null(strstr(
        text, "frames: hole 97 reserved 159 image 246 telemetry 8 free 1532 directory 1 table 1 user 4\n"));
    assert_non_null(strstr(text, "phys 0x00200000-0x00203fff       4 user refs 1\n"));
    assert_non_null(strstr(text, "phys 0x00204000-0x007fffff    1532 free\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_builds_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_snapshot_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_counts_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_loss_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_loses_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_unmap_protect_4k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_unmap_protect_4m, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contradictions_lose_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_asid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_facts_and_tests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_from_physmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverse_map_and_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_map_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
