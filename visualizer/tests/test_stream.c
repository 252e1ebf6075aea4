/*
 * test_stream.c: whole streams through parser_feed (visualizer/parser.c):
 * the same bytes in any chunking give the same model and stats; noise,
 * binary garbage and a line of megabytes are counted and cost no memory.
 *
 * The stream (a boot as the kernel would send it, Bochs lines mixed in):
 *   hello, mem, log lines, boot snapshot of asid 0, a process (asid 1):
 *   create, snapshot, ptab alloc, map, protect, faults, switch, unmap,
 *   frames, tlb, a drop with a fresh snapshot, tests, destroy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "feed.h"

static struct stream boot_stream(void)
{
    struct stream s = {0};
    raw(&s, "========================================================================\n"
            "                       Bochs x86 Emulator 2.7\n"
            "00000000000i[      ] reading configuration from bochsrc\r\n");
    rec(&s, "hello", "1 9f9b8f50 32255 4096 1 1");
    rec(&s, "mem", "32255 6 639 31616 0");
    raw(&s, "koiz: booting\n");
    rec(&s, "log", "0 koiz: booting");
    rec(&s, "snap", "1 0 00100000 2");
    rec(&s, "pde", "0 768 8 00000183");
    rec(&s, "pde", "0 1023 1 00102003");
    rec(&s, "pte", "0 1023 0 16 01000003");
    rec(&s, "pte", "0 1023 16 1 01fff003");
    rec(&s, "end", "1 0 9 17 4");
    rec(&s, "space", "10 1 create 00400000");
    rec(&s, "snap", "2 1 00400000 10");
    rec(&s, "pde", "1 768 8 00000183");
    rec(&s, "end", "2 1 8 0 1");
    rec(&s, "ptab", "11 1 0 00401007 alloc");
    rec(&s, "map", "12 1 3fe000 4k 4 00800007"); /* crosses into table 1: no table there */
    rec(&s, "map", "12 1 1000 4k 300 00900007");
    rec(&s, "protect", "13 1 2000 4k 10 005");
    rec(&s, "space", "14 1 switch 00400000");
    raw(&s, "00001234567i[CPU0  ] some Bochs message @KZ1 in the middle\n");
    rec(&s, "fault", "15 1 00003000 00001234 7 killed");
    rec(&s, "fault", "16 1 bffff000 00001234 6 zero-filled");
    rec(&s, "unmap", "17 1 1000 4k 100");
    rec(&s, "tlb", "17 all");
    rec(&s, "frames", "18 8063 7000 2 1000 300");
    rec(&s, "drop", "19 3");
    rec(&s, "snap", "3 1 00400000 20");
    rec(&s, "pde", "1 0 1 00401007");
    rec(&s, "pde", "1 768 8 00000183");
    rec(&s, "pte", "1 0 101 200 00965007");
    rec(&s, "end", "3 1 9 200 3");
    rec(&s, "test", "vmm_map pass");
    rec(&s, "test", "vmm_unmap fail vmm.c:99: left mapped");
    rec(&s, "tests", "1 1");
    rec(&s, "warn", "telemetry buffer small");
    rec(&s, "space", "30 2 create 00500000");
    rec(&s, "space", "31 2 destroy 00500000");
    return s;
}

struct run {
    struct model *m;
    struct parser p;
    char *dump;
};

static void run_start(struct run *r)
{
    r->m = model_new();
    parser_init(&r->p, r->m);
}

static void run_end(struct run *r)
{
    parser_finish(&r->p);
    const char *why = model_check(r->m);
    if (why)
        fail_msg("%s", why);
    r->dump = dump_of(r->m);
}

static void run_free(struct run *r)
{
    free(r->dump);
    model_free(r->m);
}

static void assert_same(struct run *a, struct run *b)
{
    assert_string_equal(a->dump, b->dump);
    assert_memory_equal(&a->p.stats, &b->p.stats, sizeof a->p.stats);
    assert_memory_equal(&a->m->stats, &b->m->stats, sizeof a->m->stats);
    assert_int_equal(a->m->version, b->m->version);
    assert_int_equal(a->m->log_count, b->m->log_count);
    assert_int_equal(a->m->faults_total, b->m->faults_total);
}

static void test_whole_stream(void **state)
{
    (void)state;
    struct stream s = boot_stream();
    struct run r;
    run_start(&r);
    parser_feed(&r.p, s.data, s.len);
    run_end(&r);
    const struct parser_stats *st = &r.p.stats;
    assert_int_equal(st->bytes, s.len);
    assert_int_equal(st->records, 35);
    assert_int_equal(st->noise, 4);
    assert_int_equal(st->bad_checksum, 1);
    assert_int_equal(st->lines,
                     st->records + st->noise + st->bad_checksum + st->bad_fields + st->other_version);
    assert_int_equal(st->by_type[RT_PDE], 5);
    assert_int_equal(st->by_type[RT_FAULT], 2);
    assert_int_equal(st->by_type[RT_SPACE_CREATE], 2);
    const struct space *k = model_space(r.m, 0), *p = model_space(r.m, 1);
    assert_false(k->whole); /* the drop; its fresh snapshot is not in the stream */
    assert_true(p->whole);  /* its fresh snapshot came */
    assert_int_equal(r.m->stats.inconsistent, 1);
    assert_int_equal(model_entry(r.m, 1, 0x65000), 0x965007);
    assert_int_equal(model_entry(r.m, 1, 0x65000 + 199 * 4096), 0x965007 + 199 * 4096);
    assert_int_equal(model_entry(r.m, 1, 0xc0000000), 0x183);
    assert_int_equal(model_entry(r.m, 0, 0xffc0f000), 0x0100f003);
    assert_int_equal(model_entry(r.m, 0, 0xffc10000), 0x01fff003);
    assert_null(model_space(r.m, 2));
    assert_int_equal(r.m->current_asid, 1);
    assert_int_equal(r.m->fault_count, 2);
    assert_int_equal(r.m->test_count, 2);
    assert_int_equal(r.m->log_count, 2);
    assert_non_null(strstr(r.dump, "0x00065000-0x0012d000  800K -> 0x00965000 4K RW USR"));
    run_free(&r);
    free(s.data);
}

static void test_chunkings_agree(void **state)
{
    (void)state;
    struct stream s = boot_stream();
    struct run whole, bytes, chunks;
    run_start(&whole);
    parser_feed(&whole.p, s.data, s.len);
    run_end(&whole);

    run_start(&bytes);
    for (size_t i = 0; i < s.len; i++)
        parser_feed(&bytes.p, s.data + i, 1);
    run_end(&bytes);
    assert_same(&whole, &bytes);

    srand(4);
    for (int round = 0; round < 20; round++) {
        run_start(&chunks);
        for (size_t i = 0; i < s.len;) {
            size_t n = (size_t)rand() % (round < 10 ? 8 : 600);
            if (n > s.len - i)
                n = s.len - i;
            parser_feed(&chunks.p, s.data + i, n);
            i += n;
        }
        run_end(&chunks);
        assert_same(&whole, &chunks);
        run_free(&chunks);
    }
    run_free(&whole);
    run_free(&bytes);
    free(s.data);
}

static void test_binary_garbage(void **state)
{
    (void)state;
    struct stream s = boot_stream();
    struct run clean, dirty;
    run_start(&clean);
    parser_feed(&clean.p, s.data, s.len);
    run_end(&clean);
    /* The same stream with garbage lines between records. */
    run_start(&dirty);
    srand(7);
    char junk[3000];
    for (size_t i = 0; i < s.len;) {
        const char *nl = memchr(s.data + i, '\n', s.len - i);
        size_t n = (size_t)(nl - (s.data + i)) + 1;
        parser_feed(&dirty.p, s.data + i, n);
        i += n;
        size_t jl = (size_t)rand() % sizeof junk;
        for (size_t k = 0; k < jl; k++) {
            junk[k] = (char)rand();
            if (junk[k] == '\n' && rand() % 4)
                junk[k] = '@';
        }
        junk[jl ? jl - 1 : 0] = '\n';
        parser_feed(&dirty.p, junk, jl ? jl : 1);
    }
    run_end(&dirty);
    assert_string_equal(clean.dump, dirty.dump);
    const struct parser_stats *st = &dirty.p.stats;
    assert_int_equal(st->records, clean.p.stats.records);
    assert_true(st->noise > clean.p.stats.noise);
    assert_int_equal(st->lines,
                     st->records + st->noise + st->bad_checksum + st->bad_fields + st->other_version);
    run_free(&clean);
    run_free(&dirty);
    free(s.data);
}

static void test_huge_line(void **state)
{
    (void)state;
    struct run r;
    char rec_line[PROTO_LINE_MAX + 1];
    size_t rn = proto_format(rec_line, sizeof rec_line, "tests", "%s", "3 0");
    size_t size = 5 << 20;
    char *big = malloc(size);
    memset(big, 'x', size);
    for (size_t i = 0; i < size; i += 1000)
        big[i] = '@';
    run_start(&r);
    /* 5 MB without a newline, in pieces of every size, then a newline. */
    for (size_t i = 0, n = 1; i < size; i += n, n = n * 3 % 70001 + 1) {
        if (n > size - i)
            n = size - i;
        parser_feed(&r.p, big + i, n);
        assert_true(r.p.len <= sizeof r.p.buf);
    }
    parser_feed(&r.p, "\n", 1);
    parser_feed(&r.p, rec_line, rn);
    /* The same again, ending in a record: the record is still found. */
    parser_feed(&r.p, big, size);
    parser_feed(&r.p, rec_line, rn);
    run_end(&r);
    const struct parser_stats *st = &r.p.stats;
    assert_int_equal(st->lines, 3);
    assert_int_equal(st->long_lines, 2);
    assert_int_equal(st->noise, 1);
    assert_int_equal(st->records, 2);
    assert_true(r.m->tests_done);
    assert_int_equal(r.m->tests_passed, 3);
    assert_int_equal(sizeof r.p, sizeof(struct parser)); /* no other memory to grow */
    run_free(&r);
    free(big);
}

static void test_unterminated_last_line(void **state)
{
    (void)state;
    struct run r;
    char line[PROTO_LINE_MAX + 1];
    size_t n = proto_format(line, sizeof line, "tests", "%s", "3 0");
    run_start(&r);
    parser_feed(&r.p, line, n - 1);
    assert_false(r.m->tests_done);
    run_end(&r); /* parser_finish */
    assert_true(r.m->tests_done);
    parser_finish(&r.p); /* nothing left: no extra line */
    assert_int_equal(r.p.stats.lines, 1);
    run_free(&r);
}

static void test_stats_without_model(void **state)
{
    (void)state;
    struct parser p;
    struct stream s = boot_stream();
    parser_init(&p, NULL);
    parser_feed(&p, s.data, s.len);
    parser_finish(&p);
    assert_int_equal(p.stats.records, 35);
    free(s.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream),           cmocka_unit_test(test_chunkings_agree),
        cmocka_unit_test(test_binary_garbage),         cmocka_unit_test(test_huge_line),
        cmocka_unit_test(test_unterminated_last_line), cmocka_unit_test(test_stats_without_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
