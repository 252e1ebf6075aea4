/*
 * test_recording.c: a real stream, recorded from Bochs's stdout during a
 * self-test boot (tests/data/bochs-selftest.txt: Bochs's banner and
 * debugger lines, the kernel's plain console text and its records, mixed
 * as they came), replayed whole and in damaged variants.
 *
 * Damage never crashes the reader or breaks the model's invariants; lines
 * lost before a snapshot cost trust only until that snapshot's end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "feed.h"

#ifndef RECORDING
#error "RECORDING must name the recorded stream"
#endif

static struct stream recording;
static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static int load(void **state)
{
    FILE *f = fopen(RECORDING, "rb");
    char buf[8192];
    size_t n;
    (void)state;
    if (!f)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        stream_add(&recording, buf, n);
    fclose(f);
    return 0;
}

static struct model *replay(const char *data, size_t len, struct parser *p)
{
    struct model *m = model_new();
    parser_init(p, m);
    parser_feed(p, data, len);
    parser_finish(p);
    return m;
}

static void test_whole_recording(void **state)
{
    struct parser p;
    struct model *m;
    (void)state;
    m = replay(recording.data, recording.len, &p);
    assert_true(p.stats.records > 2000);
    assert_true(p.stats.noise > 50); /* Bochs's lines and the plain console copy */
    assert_int_equal(p.stats.bad_checksum, 0);
    assert_int_equal(p.stats.bad_fields, 0);
    assert_null(model_check(m));
    assert_true(m->have_hello && m->have_mem);
    assert_true(m->tests_done);
    assert_int_equal(m->tests_failed, 0);
    assert_int_equal(m->tests_passed, m->test_count);
    assert_true(m->test_count >= 15);
    assert_non_null(model_space(m, 0));
    assert_true(model_space(m, 0)->whole);
    assert_int_equal(m->stats.inconsistent, 0);
    assert_true(m->faults_total > 0);
    /* The kernel's direct map: virtual 0xC00B8000 is the VGA buffer at physical 0xB8000. */
    assert_int_equal(model_entry(m, 0, 0xC00B8000) & ~0x3FFFFFu, 0);
    assert_true(model_entry(m, 0, 0xC00B8000) & 1);
    model_free(m);
}

static void test_truncated_anywhere(void **state)
{
    (void)state;
    for (int i = 0; i < 60; i++) {
        struct parser p;
        size_t cut = rnd((uint32_t)recording.len);
        struct model *m = replay(recording.data, cut, &p);
        assert_null(model_check(m));
        model_free(m);
    }
}

static void test_bytes_flipped(void **state)
{
    (void)state;
    char *copy = malloc(recording.len);
    for (int i = 0; i < 30; i++) {
        struct parser p;
        memcpy(copy, recording.data, recording.len);
        for (int k = 0; k < 40; k++)
            copy[rnd((uint32_t)recording.len)] ^= (char)(1 + rnd(255));
        struct model *m = replay(copy, recording.len, &p);
        assert_null(model_check(m));
        assert_true(p.stats.bad_checksum + p.stats.noise > 0);
        model_free(m);
    }
    free(copy);
}

static void test_garbage_inserted(void **state)
{
    (void)state;
    struct stream s = {0};
    size_t at = 0;
    while (at < recording.len) {
        size_t n = 1 + rnd(5000);
        if (n > recording.len - at)
            n = recording.len - at;
        stream_add(&s, recording.data + at, n);
        at += n;
        char junk[64];
        for (size_t k = 0; k < sizeof junk; k++)
            junk[k] = (char)rnd(256);
        stream_add(&s, junk, 1 + rnd(sizeof junk));
    }
    struct parser p;
    struct model *m = replay(s.data, s.len, &p);
    assert_null(model_check(m));
    assert_true(p.stats.records > 1000); /* most records survive the garbage around them */
    model_free(m);
    free(s.data);
}

/* The offset just past the n-th line holding "@KZ1 end <seq> 0 " (a kernel-space snapshot end). */
static size_t after_kernel_snapshot_end(int n)
{
    const char *p = recording.data;
    while ((p = strstr(p, "@KZ1 end "))) {
        unsigned seq, asid;
        if (sscanf(p, "@KZ1 end %u %u", &seq, &asid) == 2 && asid == 0 && --n == 0)
            return (size_t)(strchr(p, '\n') - recording.data) + 1;
        p++;
    }
    return 0;
}

/* The first map record of the kernel's space in [from, to), or NULL. */
static const char *kernel_map_between(size_t from, size_t to)
{
    const char *victim = strstr(recording.data + from, "@KZ1 map ");
    while (victim && (size_t)(victim - recording.data) < to && strncmp(strchr(victim + 9, ' ') + 1, "0 ", 2))
        victim = strstr(victim + 1, "@KZ1 map ");
    return victim && (size_t)(victim - recording.data) < to ? victim : NULL;
}

static void test_loss_healed_by_next_snapshot(void **state)
{
    (void)state;
    size_t first = 0, second = 0;
    const char *victim = NULL;
    struct stream s = {0};
    struct parser p;
    struct model *m;

    /* Two snapshots of the kernel's space with a map of it in between. */
    for (int n = 1; !victim && (first = after_kernel_snapshot_end(n)) > 0; n++)
        if ((second = after_kernel_snapshot_end(n + 1)) > 0)
            victim = kernel_map_between(first, second);
    if (!victim)
        skip(); /* this recording has no such event to lose */
    size_t start = (size_t)(victim - recording.data),
           end = (size_t)(strchr(victim, '\n') - recording.data) + 1;
    stream_add(&s, recording.data, start);
    stream_add(&s, recording.data + end, recording.len - end);
    /* The snapshot after the loss makes the space trustworthy again, and equal to the undamaged replay. */
    m = replay(s.data, second - (end - start), &p);
    assert_true(model_space(m, 0)->whole);
    struct parser p2;
    struct model *good = replay(recording.data, second, &p2);
    for (uint32_t va = 0xC0000000u; va != 0; va += 0x1000)
        if (model_entry(m, 0, va) != model_entry(good, 0, va))
            fail_msg("va 0x%08x: 0x%08x after the loss, 0x%08x without it", va, model_entry(m, 0, va),
                     model_entry(good, 0, va));
    model_free(m);
    model_free(good);
    free(s.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_recording),
        cmocka_unit_test(test_truncated_anywhere),
        cmocka_unit_test(test_bytes_flipped),
        cmocka_unit_test(test_garbage_inserted),
        cmocka_unit_test(test_loss_healed_by_next_snapshot),
    };
    return cmocka_run_group_tests(tests, load, NULL);
}
