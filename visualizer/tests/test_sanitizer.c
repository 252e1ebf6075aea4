/*
 * test_sanitizer.c: the paging sanitizer's rules at their edges. Each rule is
 * broken by a small hand-written stream, and a stream that comes as close as
 * a correct kernel does (the TLB entry dropped before the kernel goes on, the
 * frame given back after its unmap, the copy-on-write page copied before it
 * turns writable...) gives no warning.
 *
 * The machine: 32 MiB; frames 0x000-0x09e reserved, 0x09f-0x0ff a hole, the
 * kernel image at 1 MiB, two tables and two directories after it, the rest
 * free (the tests' tables come from 0x300000, their user frames from 0x400000). The
 * kernel's space 0 maps 0xC0000000 with 4 MiB pages; space 1 is a task's, live,
 * with a table for 0x08000000 and four user pages mapped from frame 0x400.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "sanitizer.h"
#include "tests/feed.h"

struct fixture {
    struct model *m;
    struct parser p;
    struct sanitizer *s;
};

static void on_record(void *ctx, const struct record *r, uint64_t line_start)
{
    struct fixture *f = ctx;
    (void)line_start;
    sanitizer_record(f->s, f->m, r, f->p.stats.records);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->m = model_new();
    f->s = sanitizer_new();
    parser_init(&f->p, f->m);
    sanitizer_watch(f->s, f->m);
    f->p.on_record = on_record;
    f->p.record_ctx = f;
    struct parser *p = &f->p;
    feed(p, "hello", "1 12345678 32768 4096 1 1");
    feed(p, "mem", "32768 3 639 31744 0");
    feed(p, "snap", "1 0 210000 0");
    feed(p, "pde", "0 768 8 183");
    feed(p, "end", "1 0 8 0 1");
    feed(p, "physmap", "1 1 8192");
    feed(p, "phys", "0 159 reserved 0");
    feed(p, "phys", "9f000 97 hole 0");
    feed(p, "phys", "100000 256 image 0");
    feed(p, "phys", "200000 16 table 0");
    feed(p, "phys", "210000 2 directory 0");
    feed(p, "phys", "212000 7662 free 0");
    feed(p, "physend", "1 6");
    feed(p, "space", "2 1 create 211000");
    feed(p, "snap", "2 1 211000 2"); /* the kernel's half, as Koiz sends after a create */
    feed(p, "pde", "1 768 8 183");
    feed(p, "end", "2 1 8 0 1");
    feed(p, "alloc", "2 300000 1 table");
    feed(p, "ptab", "2 1 32 300007 alloc");
    feed(p, "alloc", "2 400000 4 user");
    feed(p, "map", "2 1 8000000 4k 4 400007");
    feed(p, "space", "2 1 switch 211000");
    assert_int_equal(model_space(f->m, 1)->asid, 1);
    assert_true(model_whole(f->m, NULL, NULL));
    assert_int_equal(f->m->current_asid, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sanitizer_free(f->s);
    model_free(f->m);
    free(f);
    return 0;
}

/* The warnings so far, one "rule@moment" each, for messages. */
static const char *said(const struct fixture *f)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sanitizer_kept(f->s) && n + 200 < sizeof buf; i++) {
        const struct san_warning *w = sanitizer_warning(f->s, i);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "[%s #%llu: %s] ", san_rule_name(w->rule),
                              (unsigned long long)w->moment, w->text);
    }
    return buf;
}

/* Exactly one warning, of this rule. */
static void expect_one(const struct fixture *f, enum san_rule rule)
{
    if (sanitizer_count(f->s) != 1 || sanitizer_warning(f->s, 0)->rule != rule)
        fail_msg("want one %s warning, got %llu: %s", san_rule_name(rule),
                 (unsigned long long)sanitizer_count(f->s), said(f));
}

/* No warning, and the rules were held all along (a picture not whole would hold none). */
static void expect_none(const struct fixture *f)
{
    if (sanitizer_count(f->s))
        fail_msg("want no warning, got: %s", said(f));
    assert_true(model_whole(f->m, NULL, NULL));
    assert_true(f->m->frame_map->whole);
    assert_int_equal(sanitizer_unchecked(f->s), 0);
}

/* ---- stale TLB entries ---- */

static void unmap_then_drop_is_clean(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "unmap", "3 1 8000000 4k 2");
    feed(&f->p, "tlb", "3 8000000");
    feed(&f->p, "tlb", "3 8001000");
    feed(&f->p, "free", "3 400000 2 user");
    feed(&f->p, "log", "3 the kernel goes on");
    expect_none(f);
}

static void unmap_without_drop_is_stale(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "unmap", "3 1 8000000 4k 2");
    feed(&f->p, "tlb", "3 8000000"); /* the second page's entry is never dropped */
    feed(&f->p, "free", "3 400000 2 user");
    expect_one(f, SAN_STALE_TLB);
    const struct san_warning *w = sanitizer_warning(f->s, 0);
    assert_int_equal(w->va, 0x08001000);
    assert_int_equal(w->asid, 1);
    assert_int_equal(w->cause, f->p.stats.records - 2); /* the unmap */
    assert_int_equal(w->moment, f->p.stats.records);    /* found when the kernel went on */
}

static void protect_readonly_then_flush_all_is_clean(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "protect", "3 1 8000000 4k 4 5"); /* read-only: a cached writable entry is stale */
    feed(&f->p, "tlb", "3 all");                  /* a user page is not global: a flush drops it */
    feed(&f->p, "log", "3 the kernel goes on");
    expect_none(f);
}

static void protect_writable_needs_no_drop(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "protect", "3 1 8000000 4k 4 5");
    feed(&f->p, "tlb", "3 all");
    feed(&f->p, "protect", "3 1 8000000 4k 4 7"); /* rights added: nothing cached is wrong */
    feed(&f->p, "log", "3 the kernel goes on");
    expect_none(f);
}

static void other_space_needs_no_drop(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "space", "3 0 switch 210000"); /* space 1 is no longer in CR3 */
    feed(&f->p, "unmap", "3 1 8000000 4k 1");
    feed(&f->p, "free", "3 400000 1 user");
    expect_none(f);
}

static void global_kernel_page_survives_a_flush(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "alloc", "3 310000 1 table");
    feed(&f->p, "ptab", "3 0 960 310003 alloc");
    feed(&f->p, "alloc", "3 500000 1 heap");
    feed(&f->p, "map", "3 0 f0000000 4k 1 500103"); /* a global kernel page */
    feed(&f->p, "unmap", "3 0 f0000000 4k 1");
    feed(&f->p, "tlb", "3 all"); /* a CR3 reload keeps global entries */
    feed(&f->p, "log", "3 the kernel goes on");
    expect_one(f, SAN_STALE_TLB);
    assert_int_equal(sanitizer_warning(f->s, 0)->va, 0xF0000000);
}

static void global_kernel_page_dropped_by_invlpg(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "alloc", "3 310000 1 table");
    feed(&f->p, "ptab", "3 0 960 310003 alloc");
    feed(&f->p, "alloc", "3 500000 1 heap");
    feed(&f->p, "map", "3 0 f0000000 4k 1 500103");
    feed(&f->p, "unmap", "3 0 f0000000 4k 1");
    feed(&f->p, "tlb", "3 f0000000");
    feed(&f->p, "log", "3 the kernel goes on");
    expect_none(f);
}

/* ---- frames given back while mapped ---- */

static void free_while_mapped(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "free", "3 403000 1 user"); /* 0x08003000 still maps it */
    feed(&f->p, "log", "3 the kernel goes on");
    expect_one(f, SAN_FREED_MAPPED);
    assert_int_equal(sanitizer_warning(f->s, 0)->frame, 0x403000);
}

static void free_held_back_before_the_teardown(void **state)
{
    struct fixture *f = *state;
    /* a space's frames go before its `space destroy` (held back until the next record) */
    feed(&f->p, "space", "3 0 switch 210000");
    feed(&f->p, "free", "3 400000 4 user");
    feed(&f->p, "free", "3 300000 1 table");
    feed(&f->p, "space", "3 1 destroy 211000");
    feed(&f->p, "log", "3 the kernel goes on");
    expect_none(f);
}

/* ---- copy-on-write ---- */

static void fork_space_1(struct fixture *f)
{
    feed(&f->p, "space", "3 2 create 212000");
    feed(&f->p, "snap", "3 2 212000 3");
    feed(&f->p, "pde", "2 768 8 183");
    feed(&f->p, "end", "3 2 8 0 1");
    feed(&f->p, "alloc", "3 320000 1 table");
    feed(&f->p, "ptab", "3 2 32 320007 alloc");
    feed(&f->p, "fork", "3 1 2");
    feed(&f->p, "tlb", "3 all");
}

static void fork_then_copy_is_clean(void **state)
{
    struct fixture *f = *state;
    fork_space_1(f);
    expect_none(f);
    assert_int_equal(model_pte(f->m, 2, 0x08000000) & (PTE_W | PTE_COW), PTE_COW);
    /* the child writes: its own copy, writable */
    feed(&f->p, "fault", "4 2 8000000 8048000 7 copied");
    feed(&f->p, "alloc", "4 500000 1 user");
    feed(&f->p, "remap", "4 2 8000000 4k 1 500007");
    feed(&f->p, "log", "4 the kernel goes on");
    expect_none(f);
}

static void writable_while_shared(void **state)
{
    struct fixture *f = *state;
    fork_space_1(f);
    feed(&f->p, "protect", "4 2 8000000 4k 1 7"); /* writable again, still the parent's frame */
    feed(&f->p, "log", "4 the kernel goes on");
    expect_one(f, SAN_BROKEN_COW);
    assert_int_equal(sanitizer_warning(f->s, 0)->frame, 0x400000);
}

static void one_space_may_alias(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "map", "3 1 8010000 4k 1 400007"); /* the same frame twice in one space */
    feed(&f->p, "log", "3 the kernel goes on");
    expect_none(f);
}

/* ---- the kernel exposed ---- */

static void user_page_on_a_kernel_frame(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "alloc", "3 330000 1 table");
    feed(&f->p, "ptab", "3 1 511 330007 alloc");
    feed(&f->p, "map", "3 1 7fff0000 4k 1 16b005");
    expect_one(f, SAN_KERNEL_EXPOSED);
    assert_int_equal(sanitizer_warning(f->s, 0)->va, 0x7FFF0000);
}

static void user_entry_in_the_kernel_half(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "alloc", "3 310000 1 table");
    feed(&f->p, "ptab", "3 0 960 310003 alloc");
    feed(&f->p, "alloc", "3 500000 1 heap");
    feed(&f->p, "map", "3 0 f0000000 4k 1 500107"); /* U in the kernel's half */
    expect_one(f, SAN_KERNEL_EXPOSED);
}

static void kernel_page_in_the_kernel_half_is_fine(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "alloc", "3 310000 1 table");
    feed(&f->p, "ptab", "3 0 960 310003 alloc");
    feed(&f->p, "map", "3 0 f0000000 4k 1 16b103");
    expect_none(f);
}

/* ---- leaks ---- */

static void leak_at_the_end_of_a_space(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "space", "3 0 switch 210000");
    feed(&f->p, "free", "3 400000 2 user"); /* two of four given back */
    feed(&f->p, "free", "3 300000 1 table");
    feed(&f->p, "space", "3 1 destroy 211000");
    expect_one(f, SAN_LEAK);
    assert_int_equal(sanitizer_warning(f->s, 0)->asid, 1);
}

static void shared_frames_stay_at_the_end_of_a_space(void **state)
{
    struct fixture *f = *state;
    fork_space_1(f);
    feed(&f->p, "space", "4 0 switch 210000");
    feed(&f->p, "free", "4 300000 1 table");
    feed(&f->p, "space", "4 1 destroy 211000"); /* its frames stay the child's */
    feed(&f->p, "log", "4 the kernel goes on");
    expect_none(f);
}

/* ---- bad frames ---- */

static void user_page_in_a_hole(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "map", "3 1 8010000 4k 1 a0007");
    expect_one(f, SAN_BAD_FRAME);
}

static void device_memory_past_ram_is_allowed(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "map", "3 1 8010000 4k 1 e0000007");
    expect_none(f);
}

/* ---- when the picture is not whole, no rule is held ---- */

static void nothing_held_while_records_are_lost(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "loss", "3 full");
    feed(&f->p, "free", "3 403000 1 user");
    feed(&f->p, "unmap", "3 1 8000000 4k 1");
    feed(&f->p, "log", "3 the kernel goes on");
    if (sanitizer_count(f->s))
        fail_msg("want no warning while records are lost, got: %s", said(f));
    assert_true(sanitizer_unchecked(f->s) >= 3);
}

/* A stream koiz-view made from QEMU's GDB stub has no TLB or frame records: nothing is held against it. */
static void gdb_stub_streams_are_not_checked(void **state)
{
    struct fixture *f = *state;
    feed(&f->p, "hello", "1 gdb-stub 32768 4096 1 1");
    feed(&f->p, "snap", "4 1 211000 1");
    feed(&f->p, "pde", "1 32 1 300007");
    feed(&f->p, "pte", "1 32 0 4 400007");
    feed(&f->p, "end", "4 1 1 4 2");
    feed(&f->p, "space", "1 1 switch 211000");
    feed(&f->p, "unmap", "2 1 8000000 4k 1");
    feed(&f->p, "log", "2 a poll later");
    if (sanitizer_count(f->s))
        fail_msg("want no warning on a GDB stub's stream, got: %s", said(f));
    assert_true(sanitizer_foreign(f->s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unmap_then_drop_is_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(unmap_without_drop_is_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(protect_readonly_then_flush_all_is_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(protect_writable_needs_no_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(other_space_needs_no_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(global_kernel_page_survives_a_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(global_kernel_page_dropped_by_invlpg, setup, teardown),
        cmocka_unit_test_setup_teardown(free_while_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(free_held_back_before_the_teardown, setup, teardown),
        cmocka_unit_test_setup_teardown(fork_then_copy_is_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(writable_while_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(one_space_may_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(user_page_on_a_kernel_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(user_entry_in_the_kernel_half, setup, teardown),
        cmocka_unit_test_setup_teardown(kernel_page_in_the_kernel_half_is_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(leak_at_the_end_of_a_space, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_frames_stay_at_the_end_of_a_space, setup, teardown),
        cmocka_unit_test_setup_teardown(user_page_in_a_hole, setup, teardown),
        cmocka_unit_test_setup_teardown(device_memory_past_ram_is_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_held_while_records_are_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(gdb_stub_streams_are_not_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
