/*
 * test_parser.c: one line at a time through parse_line (visualizer/parser.c):
 * every record type's fields, the strict checks that reject a record, and
 * how noise, damaged records and other protocol versions are told apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "feed.h"

/* Formats "type fields" as the kernel does and parses it back. */
static enum parse_result parse(struct record *r, const char *type, const char *fields)
{
    static char line[PROTO_LINE_MAX + 1];
    size_t n = proto_format(line, sizeof line, type, "%s", fields);
    return parse_line(line, n - 1, r, NULL);
}

static void test_every_type(void **state)
{
    (void)state;
    struct record r;
    assert_int_equal(parse(&r, "hello", "1 9f9b8f50 32255 4096 1 0"), PARSE_RECORD);
    assert_int_equal(r.type, RT_HELLO);
    assert_int_equal(r.u.hello.build.len, 8);
    assert_memory_equal(r.u.hello.build.s, "9f9b8f50", 8);
    assert_int_equal(r.u.hello.pse, 1);
    assert_int_equal(r.u.hello.pge, 0);
    assert_int_equal(parse(&r, "mem", "32255 6 639 31616 4194304"), PARSE_RECORD);
    assert_int_equal(r.u.mem.ignored_kib, 4194304);
    assert_int_equal(parse(&r, "log", "123 koiz: booting  with two  spaces"), PARSE_RECORD);
    assert_int_equal(r.tick, 123);
    assert_int_equal(r.u.log.text.len, strlen("koiz: booting  with two  spaces"));
    assert_int_equal(parse(&r, "log", "124"), PARSE_RECORD);
    assert_int_equal(r.u.log.text.len, 0);
    assert_int_equal(parse(&r, "warn", "unknown option x"), PARSE_RECORD);
    assert_int_equal(r.type, RT_WARN);
    assert_int_equal(parse(&r, "panic", "vmm_map: remap"), PARSE_RECORD);
    assert_int_equal(r.type, RT_PANIC);
    assert_int_equal(parse(&r, "test", "a_test pass"), PARSE_RECORD);
    assert_int_equal(r.type, RT_TEST_PASS);
    assert_int_equal(parse(&r, "test", "a_test fail where.c:1: x == y"), PARSE_RECORD);
    assert_int_equal(r.type, RT_TEST_FAIL);
    assert_int_equal(r.u.test_fail.detail.len, strlen("where.c:1: x == y"));
    assert_int_equal(parse(&r, "tests", "10 0"), PARSE_RECORD);
    assert_int_equal(r.u.tests.passed, 10);
    assert_int_equal(parse(&r, "snap", "7 2 00123018 900"), PARSE_RECORD);
    assert_int_equal(r.type, RT_SNAP);
    assert_int_equal(r.asid, 2);
    assert_int_equal(r.u.snap.cr3, 0x123018);
    assert_int_equal(r.tick, 900);
    assert_int_equal(parse(&r, "pde", "2 768 256 00000183"), PARSE_RECORD);
    assert_int_equal(r.u.pde.count, 256);
    assert_int_equal(parse(&r, "pte", "2 1023 0 1024 fffff007"), PARSE_BAD_FIELDS); /* past 4 GiB */
    assert_int_equal(parse(&r, "pte", "2 1023 0 1024 ffc00007"), PARSE_RECORD);
    assert_int_equal(r.u.pte.pde, 1023);
    assert_int_equal(parse(&r, "end", "7 2 257 1024 3"), PARSE_RECORD);
    assert_int_equal(r.u.end.records, 3);
    assert_int_equal(parse(&r, "map", "5 1 fffff000 4k 1 00001007"), PARSE_RECORD);
    assert_int_equal(r.type, RT_MAP);
    assert_int_equal(r.u.map.va, 0xfffff000);
    assert_int_equal(r.u.map.size, SIZE_4K);
    assert_int_equal(parse(&r, "map", "5 1 0 4k 1048576 00000007"), PARSE_RECORD);
    assert_int_equal(parse(&r, "map", "5 1 c0000000 4m 256 00000183"), PARSE_RECORD);
    assert_int_equal(r.u.map.size, SIZE_4M);
    assert_int_equal(parse(&r, "unmap", "5 1 400000 4m 1"), PARSE_RECORD);
    assert_int_equal(r.type, RT_UNMAP);
    assert_int_equal(parse(&r, "protect", "5 1 1000 4k 2 5"), PARSE_RECORD);
    assert_int_equal(r.u.protect.flags, 5);
    assert_int_equal(parse(&r, "ptab", "5 1 3 00456007 alloc"), PARSE_RECORD);
    assert_int_equal(r.type, RT_PTAB_ALLOC);
    assert_int_equal(r.u.ptab_alloc.entry, 0x456007);
    assert_int_equal(parse(&r, "ptab", "5 1 3 free"), PARSE_RECORD);
    assert_int_equal(r.type, RT_PTAB_FREE);
    assert_int_equal(parse(&r, "space", "5 4 create 00700000"), PARSE_RECORD);
    assert_int_equal(r.type, RT_SPACE_CREATE);
    assert_int_equal(parse(&r, "space", "5 4 destroy 00700000"), PARSE_RECORD);
    assert_int_equal(r.type, RT_SPACE_DESTROY);
    assert_int_equal(parse(&r, "space", "5 4 switch 00700000"), PARSE_RECORD);
    assert_int_equal(r.type, RT_SPACE_SWITCH);
    assert_int_equal(parse(&r, "tlb", "5 c0001000"), PARSE_RECORD);
    assert_int_equal(r.type, RT_TLB_PAGE);
    assert_int_equal(r.u.tlb_page.va, 0xc0001000);
    assert_int_equal(parse(&r, "tlb", "5 all"), PARSE_RECORD);
    assert_int_equal(r.type, RT_TLB_ALL);
    assert_int_equal(parse(&r, "fault", "5 1 deadbeef c0101234 7 killed"), PARSE_RECORD);
    assert_int_equal(r.u.fault.outcome, OUTCOME_KILLED);
    assert_int_equal(r.u.fault.error, 7);
    for (int o = 0; o < OUTCOME_WORDS; o++) {
        char fields[80];
        snprintf(fields, sizeof fields, "5 1 0 0 0 %s", fault_outcome_name((enum word_OUTCOME)o));
        assert_int_equal(parse(&r, "fault", fields), PARSE_RECORD);
        assert_int_equal(r.u.fault.outcome, o);
    }
    assert_int_equal(parse(&r, "frames", "5 8063 7000 3 1000 60"), PARSE_RECORD);
    assert_int_equal(r.u.frames.kernel, 1000);
    assert_int_equal(parse(&r, "bench", "vmm_map_4k 1234 10000"), PARSE_RECORD);
    assert_int_equal(r.type, RT_BENCH);
    assert_int_equal(r.u.bench.cycles_per_op, 1234);
    assert_int_equal(r.u.bench.ops, 10000);
    assert_int_equal(parse(&r, "drop", "5 4294967295"), PARSE_RECORD);
    assert_int_equal(r.u.drop.count, 4294967295u);
}

static void test_rejects_bad_fields(void **state)
{
    (void)state;
    struct record r;
    const char *bad[][2] = {
        {"frob", "1 2"},     /* unknown type */
        {"tests", "10"},     /* a field short */
        {"tests", "10 0 1"}, /* a field over */
        {"tests", "10  0"},  /* an empty field */
        {"tests", "010 0"},  /* leading zero */
        {"tests", "+10 0"},
        {"tests", "4294967296 0"},  /* over 32 bits */
        {"snap", "1 0 0012301A 5"}, /* upper-case hex */
        {"snap", "1 0 0x123000 5"},
        {"snap", "1 0 100000000 5"},            /* nine hex digits */
        {"hello", "1 9f9b8f50 32255 4096 2 1"}, /* pse is 0 or 1 */
        {"hello", "1 abc/def 32255 4096 1 1"},
        {"pde", "0 1024 1 00000183"}, /* index out of range */
        {"pde", "0 1020 5 00000183"}, /* run crosses the table */
        {"pde", "0 0 0 00000183"},    /* empty run */
        {"pde", "0 0 1 00000182"},    /* not present */
        {"pde", "0 1023 2 ffc00083"}, /* frames past 4 GiB */
        {"pte", "0 1024 0 1 00001007"},
        {"pte", "0 0 1000 25 00001007"},
        {"pte", "0 0 0 2 fffff007"},
        {"map", "1 0 1001 4k 1 00001007"},      /* unaligned */
        {"map", "1 0 400000 4m 1 00000003"},    /* 4m without PS */
        {"map", "1 0 400000 4m 1024 00000083"}, /* past 4 GiB */
        {"map", "1 0 fffff000 4k 2 00001007"},
        {"map", "1 0 1000 8k 1 00001007"},
        {"map", "1 0 1000 4k 0 00001007"},
        {"map", "1 0 1000 4k 1 00001006"}, /* not present */
        {"protect", "1 0 1000 4k 1 1007"}, /* flags over 12 bits */
        {"unmap", "1 0 1000 4k"},
        {"ptab", "1 0 1024 00001007 alloc"},
        {"ptab", "1 0 1 00001087 alloc"}, /* a table entry with PS */
        {"ptab", "1 0 1 00001007"},
        {"ptab", "1 0 1 00001007 free"},
        {"ptab", "1 0 1 fre"},
        {"space", "1 0 delete 00100000"},
        {"tlb", "1 everything"},
        {"fault", "1 0 0 0 0 exploded"},
        {"test", "x maybe"},
        {"test", "x pass extra"},
        {"drop", "1"},
        {"bench", "x 12"},
        {"region", "1 3 8048000 8048000 code add"},    /* empty */
        {"region", "1 3 8048800 8049000 code add"},    /* unaligned */
        {"region", "1 3 8049000 8048000 code add"},    /* backwards */
        {"region", "1 3 8048000 8049000 bss add"},     /* no such kind */
        {"region", "1 3 8048000 8049000 code grow"},   /* no such change */
        {"region", "3 2 2 8048000 8049000 code held"}, /* index past the count */
        {"region", "3 0 1 8048000 8049000 code"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(&r, bad[i][0], bad[i][1]) != PARSE_BAD_FIELDS)
            fail_msg("accepted: %s %s", bad[i][0], bad[i][1]);
}

/* Both region variants, told apart by their fields. */
static void test_region_records(void **state)
{
    (void)state;
    struct record r;
    assert_int_equal(parse(&r, "region", "7 3 804a000 8050000 heap resize"), PARSE_RECORD);
    assert_int_equal(r.type, RT_REGION);
    assert_int_equal(r.tick, 7);
    assert_int_equal(r.asid, 3);
    assert_int_equal(r.u.region.end, 0x8050000);
    assert_int_equal(r.u.region.kind, HOLDS_HEAP);
    assert_int_equal(r.u.region.change, CHANGE_RESIZE);
    assert_int_equal(parse(&r, "region", "3 1 3 bffbe000 bffbf000 guard held"), PARSE_RECORD);
    assert_int_equal(r.type, RT_REGION_HELD);
    assert_int_equal(r.asid, 3);
    assert_int_equal(r.u.region_held.index, 1);
    assert_int_equal(r.u.region_held.count, 3);
    assert_int_equal(r.u.region_held.kind, HOLDS_GUARD);
}

/* A kind a reader does not know, in the middle of a snapshot, is skipped: the snapshot
 * installs as if the line were not there (how readers of before `region` read a newer
 * kernel's snapshots). */
static void test_unknown_kind_skipped_in_snapshot(void **state)
{
    (void)state;
    struct model *m = model_new();
    struct parser p;
    parser_init(&p, m);
    feed(&p, "snap", "1 0 100000 5");
    feed(&p, "pde", "0 768 1 00000183");
    feed(&p, "vma", "0 0 1 f0000000 f2000000 kheap");
    feed(&p, "end", "1 0 1 0 1");
    assert_int_equal(p.stats.bad_fields, 1);
    assert_true(model_space(m, 0)->whole);
    model_free(m);
}

static void test_noise_and_damage(void **state)
{
    (void)state;
    struct record r;
    char line[PROTO_LINE_MAX + 1], mid[400];
    size_t n = proto_format(line, sizeof line, "tests", "%s", "10 0");
    line[--n] = '\0';
    const char *noise[] = {
        "",
        "00000000000i[      ] Bochs x86 Emulator 2.7",
        "========================================================================",
        "koiz: paging on, 32 MiB direct map",
        "@",
        "@K",
        "@KZ",
        "user@KZ.example",
    };
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
        assert_int_equal(parse_line(noise[i], strlen(noise[i]), &r, NULL), PARSE_NOISE);
    /* A record after Bochs's own text on the same line. */
    snprintf(mid, sizeof mid, "00012345678i[BIOS  ] log %s", line);
    assert_int_equal(parse_line(mid, strlen(mid), &r, NULL), PARSE_RECORD);
    assert_int_equal(r.type, RT_TESTS);
    /* With a CR before the newline. */
    snprintf(mid, sizeof mid, "%s\r", line);
    assert_int_equal(parse_line(mid, strlen(mid), &r, NULL), PARSE_RECORD);
    /* The marker inside a noise line, and a damaged record. */
    snprintf(mid, sizeof mid, "said @KZ1 tests 10 0 *0000");
    assert_int_equal(parse_line(mid, strlen(mid), &r, NULL), PARSE_BAD_CHECKSUM);
    snprintf(mid, sizeof mid, "%s", line);
    mid[10] ^= 1;
    assert_int_equal(parse_line(mid, strlen(mid), &r, NULL), PARSE_BAD_CHECKSUM);
    assert_int_equal(parse_line(line, n - 3, &r, NULL), PARSE_BAD_CHECKSUM); /* cut short */
    /* A record followed by text on its line is not a record. */
    snprintf(mid, sizeof mid, "%s trailing", line);
    assert_int_equal(parse_line(mid, strlen(mid), &r, NULL), PARSE_BAD_CHECKSUM);
    /* A log record whose text holds the marker: the first one is the record. */
    n = proto_format(line, sizeof line, "log", "%s", "7 see @KZ1 in text");
    assert_int_equal(parse_line(line, n - 1, &r, NULL), PARSE_RECORD);
    assert_int_equal(r.type, RT_LOG);
    assert_int_equal(r.u.log.text.len, strlen("see @KZ1 in text"));
}

static void test_other_version(void **state)
{
    (void)state;
    struct record r;
    char line[PROTO_LINE_MAX + 1], bad[PROTO_LINE_MAX + 1];
    const char *body = "KZ2 hello 2 abc 1 2 3 4";
    uint32_t version = 0;
    snprintf(line, sizeof line, "@%s *%04X", body, proto_crc16(body, strlen(body)));
    assert_int_equal(parse_line(line, strlen(line), &r, &version), PARSE_OTHER_VERSION);
    assert_int_equal(version, 2);
    snprintf(bad, sizeof bad, "@%s *%04X", body, proto_crc16(body, strlen(body)) ^ 1);
    assert_int_equal(parse_line(bad, strlen(bad), &r, NULL), PARSE_NOISE);
    body = "KZ17 anything at all";
    snprintf(line, sizeof line, "noise @%s *%04X", body, proto_crc16(body, strlen(body)));
    assert_int_equal(parse_line(line, strlen(line), &r, &version), PARSE_OTHER_VERSION);
    assert_int_equal(version, 17);

    /* Through a parser: counted, said once, nothing applied. */
    struct model *m = model_new();
    struct parser p;
    parser_init(&p, m);
    assert_string_equal(parser_status(&p), "");
    body = "KZ2 hello 2 abc 1 2 3 4";
    snprintf(line, sizeof line, "@%s *%04X\n", body, proto_crc16(body, strlen(body)));
    for (int i = 0; i < 3; i++)
        parser_feed(&p, line, strlen(line));
    assert_int_equal(p.stats.other_version, 3);
    assert_non_null(strstr(parser_status(&p), "version 2"));
    assert_false(m->have_hello);
    assert_int_equal(m->version, 0);
    model_free(m);
}

static void test_record_length_limit(void **state)
{
    (void)state;
    struct record r;
    /* A well-formed log record one byte over the limit is refused. */
    char text[PROTO_LINE_MAX + 16], line[PROTO_LINE_MAX + 64], body[PROTO_LINE_MAX + 32];
    memset(text, 'x', sizeof text);
    for (size_t want = PROTO_LINE_MAX - 2; want <= PROTO_LINE_MAX; want++) {
        /* "@KZ1 log 1 " + text + " *CCCC" == want bytes */
        size_t tl = want - strlen("@KZ1 log 1 ") - 6;
        snprintf(body, sizeof body, "KZ1 log 1 %.*s", (int)tl, text);
        snprintf(line, sizeof line, "@%s *%04X", body, proto_crc16(body, strlen(body)));
        assert_int_equal(strlen(line), want);
        assert_int_equal(parse_line(line, want, &r, NULL),
                         want <= PROTO_LINE_MAX - 1 ? PARSE_RECORD : PARSE_BAD_CHECKSUM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_rejects_bad_fields),
        cmocka_unit_test(test_noise_and_damage),
        cmocka_unit_test(test_other_version),
        cmocka_unit_test(test_record_length_limit),
        cmocka_unit_test(test_region_records),
        cmocka_unit_test(test_unknown_kind_skipped_in_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
