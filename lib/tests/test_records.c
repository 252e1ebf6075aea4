/*
 * test_records.c: the protocol's table (include/koiz/records.def) round
 * trip. Every kind of record, filled field by field from its descriptors
 * with every word its word sets allow, is formatted as the kernel formats
 * it (rec_format), checked as a line (proto_validate) and scanned back
 * (rec_scan) into the same kind with the same fields; the formatter writes
 * the bytes a plain table-driven oracle writes, for every kind, value and
 * buffer size; the tables the generated code depends on agree with
 * themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <koiz/protocol.h>
#include <koiz/records.h>

/* Fills the fields of kind t in rec (its struct rec_<member>) with values
 * made from seed: numbers, names, text, and word w of every word set. */
static void fill(enum record_type t, unsigned char *rec, uint32_t seed, unsigned w)
{
    static const char *const texts[] = {"a text with  two spaces", "", "x"};
    static const char *const names[] = {"vmm_map", "9f9b8f50", "a-b.c_d"};
    const struct record_desc *d = &records_table()[t];
    for (const struct field_desc *f = d->fields; f->kind != FK_END; f++) {
        void *at = rec + f->offset;
        switch (f->kind) {
        case FK_U: *(uint32_t *)at = seed * 2654435761u >> (seed % 32); break;
        case FK_X: *(uint32_t *)at = seed * 0x9E3779B9u; break;
        case FK_FLAG: *(uint32_t *)at = seed & 1; break;
        case FK_ID: *(struct text *)at = text_of(names[seed % 3]); break;
        case FK_TEXT: *(struct text *)at = text_of(texts[seed % 3]); break;
        case FK_WORD: *(unsigned *)at = w % word_counts[f->set]; break;
        default: break;
        }
        seed = seed * 1103515245u + 12345u;
    }
}

/* The fields of two records of kind t are equal, texts by their bytes. */
static void assert_same(enum record_type t, const unsigned char *a, const unsigned char *b)
{
    const struct record_desc *d = &records_table()[t];
    for (const struct field_desc *f = d->fields; f->kind != FK_END; f++) {
        const void *x = a + f->offset, *y = b + f->offset;
        if (f->kind == FK_ID || f->kind == FK_TEXT) {
            const struct text *tx = x, *ty = y;
            assert_int_equal(tx->len, ty->len);
            assert_memory_equal(tx->s, ty->s, tx->len);
        } else if (f->kind != FK_LIT) {
            if (*(const uint32_t *)x != *(const uint32_t *)y)
                fail_msg("%s: field %s is %u after the round trip, %u before", d->member, f->name,
                         *(const uint32_t *)y, *(const uint32_t *)x);
        }
    }
}

static void test_every_kind_every_word(void **state)
{
    (void)state;
    for (int t = 0; t < RT_COUNT; t++) {
        const struct record_desc *d = &records_table()[t];
        unsigned words = 1;
        for (const struct field_desc *f = d->fields; f->kind != FK_END; f++)
            if (f->kind == FK_WORD && word_counts[f->set] > words)
                words = word_counts[f->set];
        for (unsigned w = 0; w < words; w++) {
            for (uint32_t seed = 1; seed < 40; seed++) {
                union {
                    struct record r;
                    unsigned char bytes[sizeof(struct record)];
                } in, out;
                char line[PROTO_LINE_MAX + 1];
                size_t n;
                int body;
                memset(&in, 0, sizeof in);
                fill((enum record_type)t, (unsigned char *)&in.r.u, seed, w);
                n = rec_format(line, sizeof line, (enum record_type)t, &in.r.u);
                assert_true(n > 0 && line[n - 1] == '\n');
                body = proto_validate(line, n - 1);
                assert_true(body > 0);
                if (rec_scan(line + 5, (size_t)body - 4, &out.r) != 0)
                    fail_msg("%s does not scan back: %s", d->member, line);
                if ((int)out.r.type != t)
                    fail_msg("%s scanned as %s: %s", d->member, records_table()[out.r.type].member, line);
                assert_same((enum record_type)t, (unsigned char *)&in.r.u, (unsigned char *)&out.r.u);
            }
        }
    }
}

/*
 * An oracle for rec_format: the formatter as the table describes it, a
 * field at a time and a byte at a time, checked for room at every byte.
 * rec_format is made for speed from the same rows; for every kind, many
 * values and every buffer size both must give the same bytes.
 */
struct slow {
    char *buf;
    size_t n, end;
};

static void slow_put(struct slow *o, const char *s, size_t len, int text)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (text && (c == '\n' || c == '\r' || c == '*' || (unsigned char)c < 0x20))
            c = ' ';
        else if (text && c == '@')
            c = '?';
        if (o->n < o->end)
            o->buf[o->n++] = c;
    }
}

static size_t slow_format(char *buf, size_t size, enum record_type t, const unsigned char *fields)
{
    const struct record_desc *d = &records_table()[t];
    struct slow o = {buf, 0, size - 8};
    char num[16];
    slow_put(&o, "@KZ1 ", 5, 0);
    slow_put(&o, d->wire, strlen(d->wire), 0);
    for (const struct field_desc *f = d->fields; f->kind != FK_END; f++) {
        const void *at = fields + f->offset;
        slow_put(&o, " ", 1, 0);
        switch (f->kind) {
        case FK_U:
        case FK_FLAG: slow_put(&o, num, (size_t)sprintf(num, "%u", *(const uint32_t *)at), 0); break;
        case FK_X: slow_put(&o, num, (size_t)sprintf(num, "%x", *(const uint32_t *)at), 0); break;
        case FK_WORD: {
            const char *w = word_name((enum word_set)f->set, *(const unsigned *)at);
            slow_put(&o, w, strlen(w), 0);
            break;
        }
        case FK_LIT: slow_put(&o, f->name, strlen(f->name), 0); break;
        default: slow_put(&o, ((const struct text *)at)->s, ((const struct text *)at)->len, 1); break;
        }
    }
    while (o.n > 0 && buf[o.n - 1] == ' ')
        o.n--;
    o.n += (size_t)sprintf(buf + o.n, " *%04X\n", proto_crc16(buf + 1, o.n - 1));
    return o.n;
}

static void test_same_bytes_as_the_oracle(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "x", "a text with  two spaces ", "@KZ1 log 1 x *ABCD\nmore\r\t*",
                                        "\x01\x7f\xff bytes"};
    static const uint32_t numbers[] = {
        0,    1,   9,    10,   99,    100,     999,       1000,       65535,     99999,      100000,
        4095, 0xF, 0x10, 0xFF, 0x100, 0xFFFFF, 0x1000000, 0xC0100000, 999999999, 1000000000, 0xFFFFFFFFu};
    char longtext[300];
    memset(longtext, 'y', sizeof longtext);
    for (int t = 0; t < RT_COUNT; t++) {
        const struct record_desc *d = &records_table()[t];
        for (uint32_t seed = 0; seed < 400; seed++) {
            union {
                struct record r;
                unsigned char bytes[sizeof(struct record)];
            } in;
            uint32_t x = seed;
            memset(&in, 0, sizeof in);
            for (const struct field_desc *f = d->fields; f->kind != FK_END;
                 f++, x = x * 1103515245u + 12345u) {
                void *at = in.bytes + offsetof(struct record, u) + f->offset;
                uint32_t v = seed % 3 ? numbers[(x >> 8) % (sizeof numbers / sizeof numbers[0])] : x;
                if (f->kind == FK_U || f->kind == FK_X || f->kind == FK_FLAG)
                    *(uint32_t *)at = v;
                else if (f->kind == FK_WORD)
                    *(unsigned *)at = (x >> 4) % (word_counts[f->set] + 1u); /* and one out of range */
                else if (f->kind == FK_TEXT)
                    *(struct text *)at = seed % 7 == 6 ? (struct text){longtext, sizeof longtext}
                                                       : text_of(texts[(x >> 8) % 5]);
                else if (f->kind == FK_ID)
                    *(struct text *)at = text_of(texts[(x >> 8) % 3]);
            }
            for (size_t size = 24; size <= PROTO_LINE_MAX + 9; size += seed % 5 ? 217 : 1) {
                char fast[PROTO_LINE_MAX + 10], slow[PROTO_LINE_MAX + 10];
                size_t capped = size > PROTO_LINE_MAX + 1 ? PROTO_LINE_MAX + 1 : size;
                size_t n = rec_format(fast, size, (enum record_type)t, &in.r.u);
                size_t m = slow_format(slow, capped, (enum record_type)t, (const unsigned char *)&in.r.u);
                if (n != m || memcmp(fast, slow, n) != 0)
                    fail_msg("%s, buffer of %zu: rec_format wrote\n%.*s\nthe oracle\n%.*s", d->member, size,
                             (int)n, fast, (int)m, slow);
                assert_true(n < capped && fast[n] == '\0');
            }
        }
    }
}

/* A long name is cut before the numbers after it, which stay whole. */
static void test_long_name_keeps_the_numbers(void **state)
{
    (void)state;
    char name[300], line[PROTO_LINE_MAX + 1];
    struct record r;
    memset(name, 'n', sizeof name);
    size_t n = rec_format_bench(
        line, sizeof line,
        &(struct rec_bench){.name = {name, sizeof name}, .cycles_per_op = 4294967295u, .ops = 512});
    assert_true(n <= PROTO_LINE_MAX);
    assert_true(proto_validate(line, n - 1) > 0);
    assert_int_equal(rec_scan(line + 5, n - 12, &r), 0);
    assert_int_equal(r.u.bench.cycles_per_op, 4294967295u);
    assert_int_equal(r.u.bench.ops, 512);
    assert_true(r.u.bench.name.len > 100);
}

static void test_tick_and_asid(void **state)
{
    (void)state;
    struct record r;
    char line[PROTO_LINE_MAX + 1];
    size_t n = rec_format_map(
        line, sizeof line,
        &(struct rec_map){
            .tick = 77, .asid = 5, .va = 0x8000000, .size = SIZE_4K, .count = 1, .entry = 0x141007});
    assert_memory_equal(line, "@KZ1 map 77 5 8000000 4k 1 141007 *", 35);
    assert_int_equal(rec_scan(line + 5, n - 12, &r), 0);
    assert_int_equal(r.type, RT_MAP);
    assert_int_equal(r.tick, 77);
    assert_int_equal(r.asid, 5);
    n = rec_format_fork(line, sizeof line, &(struct rec_fork){.tick = 3, .parent = 1, .asid = 2});
    assert_int_equal(rec_scan(line + 5, n - 12, &r), 0);
    assert_int_equal(r.asid, 2); /* the child */
    n = rec_format_hello(line, sizeof line, &(struct rec_hello){.version = 1, .build = text_of("abc")});
    assert_int_equal(rec_scan(line + 5, n - 12, &r), 0);
    assert_int_equal(r.tick, 0); /* hello has none */
}

static void test_text_cannot_break_a_record(void **state)
{
    (void)state;
    struct record r;
    char line[PROTO_LINE_MAX + 1];
    size_t n = rec_format_log(line, sizeof line,
                              &(struct rec_log){.tick = 5, .text = text_of("@KZ1 tests 99 0 *1234\nnext")});
    assert_non_null(memchr(line, '\n', n));
    assert_int_equal(memchr(line, '\n', n), line + n - 1);   /* one line */
    assert_int_equal(strchr(line + 1, '@'), NULL);           /* one record start */
    assert_int_equal(strchr(line, '*'), strrchr(line, '*')); /* one checksum */
    assert_int_equal(rec_scan(line + 5, n - 12, &r), 0);
    assert_int_equal(r.type, RT_LOG);
    /* Too long: cut, still a record. */
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = rec_format_warn(line, sizeof line, &(struct rec_warn){.text = text_of(big)});
    assert_int_equal(n, PROTO_LINE_MAX);
    assert_true(proto_validate(line, n - 1) > 0);
    assert_int_equal(rec_format_warn(line, 10, &(struct rec_warn){.text = text_of("x")}), 0);
}

static void test_bad_lines(void **state)
{
    (void)state;
    struct record r;
    static const char *const bad[] = {
        "map 5 1 8000000 4k 1",          /* a field short */
        "map 5 1 8000000 4k 1 141007 9", /* one too many */
        "map 5 1 8000000 2m 1 141007",   /* not a size */
        "map 05 1 8000000 4k 1 141007",  /* leading zero */
        "map 5 1 8000000G 4k 1 141007",  /* not hex */
        "map 5 1 8000000 4k 1 141007 ",  /* trailing space */
        "map 5  1 8000000 4k 1 141007",  /* two spaces */
        "map 4294967296 1 8000000 4k 1 141007",
        "ptab 1 2 3 maybe",
        "tlb 5 aLL",
        "hello 1 bad/build 1 4096 1 1",
        "hello 1 abc 1 4096 2 1", /* a flag is 0 or 1 */
        "nosuchkind 1 2",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rec_scan(bad[i], strlen(bad[i]), &r) == 0)
            fail_msg("'%s' scanned as %s", bad[i], records_table()[r.type].member);
}

static void test_tables_agree(void **state)
{
    (void)state;
    for (int s = 0; s < WORD_SETS; s++) {
        assert_true(word_counts[s] > 0);
        for (unsigned w = 0; w < word_counts[s]; w++) {
            assert_non_null(word_names[s][w]);
            assert_non_null(strchr(word_name((enum word_set)s, w), word_names[s][w][0]));
            for (unsigned v = 0; v < w; v++)
                assert_string_not_equal(word_names[s][w], word_names[s][v]);
        }
        assert_string_equal(word_name((enum word_set)s, word_counts[s]), "?");
        for (unsigned w = 0; w < word_counts[s]; w++)
            assert_true(strlen(word_names[s][w]) <= WORD_MAX);
    }
    for (int t = 0; t < RT_COUNT; t++) {
        const struct record_desc *d = &records_table()[t];
        int fields = 0;
        assert_non_null(d->wire);
        assert_non_null(d->member);
        for (const struct field_desc *f = d->fields; f->kind != FK_END; f++) {
            fields++;
            assert_true(f->kind != FK_TEXT || f[1].kind == FK_END); /* text only last */
        }
        assert_true(fields < RECORD_FIELDS_MAX);
        for (int u = 0; u < t; u++)
            assert_string_not_equal(d->member, records_table()[u].member);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_every_word),
        cmocka_unit_test(test_same_bytes_as_the_oracle),
        cmocka_unit_test(test_long_name_keeps_the_numbers),
        cmocka_unit_test(test_tick_and_asid),
        cmocka_unit_test(test_text_cannot_break_a_record),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_tables_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
