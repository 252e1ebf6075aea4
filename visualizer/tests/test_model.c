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
 * Physical frames 0..0x2ff (3 MiB) in two spaces:
 *   0x000-0x0ff  kernel 4 MiB page (clipped)     -> kernel
 *   0x100, 0x101 directory and table of space 0   -> tables
 *   0x200-0x203  user pages of space 0; 0x203 also user in space 1 -> space 0 / shared
 *   0x500        directory of space 1 (beyond 3 MiB: not counted)
 */
static void test_phys_map(void **state)
{
    struct fixture *f = *state;
    boot_snapshot(&f->p, 1);
    feed(&f->p, "snap", "1 1 500000 5");
    feed(&f->p, "pde", "1 0 1 00501007");
    feed(&f->p, "pde", "1 768 1 00000183");
    feed(&f->p, "pte", "1 0 9 1 00203007");
    feed(&f->p, "pte", "1 0 10 1 00204005");
    feed(&f->p, "end", "1 1 2 2 4");
    uint32_t n = 0x300;
    uint8_t owner[0x300];
    struct phys_counts c;
    model_phys_map(f->m, owner, n, &c);
    int slot0 = 0, slot1 = 1; /* the spaces in asid order */
    assert_ptr_equal(model_space_at(f->m, 0), model_space(f->m, 0));
    assert_ptr_equal(model_space_at(f->m, 1), model_space(f->m, 1));
    assert_int_equal(owner[0x000], PHYS_KERNEL);
    assert_int_equal(owner[0x100], PHYS_TABLE);
    assert_int_equal(owner[0x101], PHYS_TABLE);
    assert_int_equal(owner[0x200], PHYS_SPACE + slot0);
    assert_int_equal(owner[0x203], PHYS_SHARED);
    assert_int_equal(owner[0x204], PHYS_SPACE + slot1);
    assert_int_equal(owner[0x2ff], PHYS_KERNEL);
    assert_int_equal(c.tables, 2);
    assert_int_equal(c.shared, 1);
    assert_int_equal(c.user, 4);
    assert_int_equal(c.kernel, 0x300 - 7);
    assert_int_equal(c.none, 0);
    /* A bigger machine: frames past the 32 MiB direct map are free. */
    uint32_t big = 200000;
    uint8_t *o = malloc(big);
    model_phys_map(f->m, o, big, &c);
    assert_int_equal(c.kernel + c.tables + c.user + c.shared + c.none, big);
    assert_int_equal(o[0x500], PHYS_TABLE);
    assert_int_equal(o[0x2000], PHYS_NONE);
    free(o);
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
        cmocka_unit_test_setup_teardown(test_phys_map, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
