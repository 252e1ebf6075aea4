/*
 * fuzz_parser.c: a libFuzzer target for the parser and the model. The first
 * input byte picks a mode, the rest is the stream:
 *
 *   bit 0  seal every line: append " *CCCC" with the right checksum, so the
 *          fuzzer reaches field parsing and the model (it cannot guess CRCs)
 *   bit 1  also start every line with "@KZ1 " (the fuzzer writes bodies)
 *   bits 2-7  seed for the chunk sizes of the second feeding
 *
 * The stream is fed twice, whole and in chunks; both models must agree, pass
 * model_check, stay under their bounds, and the stats must add up.
 *
 *   clang -fsanitize=fuzzer,address,undefined ...; see `scons fuzz`
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include "model.h"
#include "model_walk.h"
#include "parser.h"
#include "sanitizer.h"

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz_parser: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* Rewrites data line by line into out (mode bits 0, 1); returns the length. */
static size_t seal(const uint8_t *data, size_t size, int prefix, char *out)
{
    size_t o = 0, start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        size_t line = o;
        if (prefix) {
            memcpy(out + o, "@KZ1 ", 5);
            o += 5;
        }
        memcpy(out + o, data + start, i - start);
        o += i - start;
        /* The checksum covers the bytes after the line's first '@'. */
        char *at = memchr(out + line, '@', o - line);
        size_t from = at ? (size_t)(at - out) + 1 : line;
        o += (size_t)snprintf(out + o, 8, " *%04X", proto_crc16(out + from, o - from));
        if (i < size)
            out[o++] = '\n';
        start = i + 1;
    }
    return o;
}

static char *dump_of(const struct model *m, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    model_dump_frames(m, f);
    model_dump(m, f);
    fclose(f);
    return text;
}

static void check(const struct parser *p, const struct model *m, size_t bytes)
{
    const struct parser_stats *st = &p->stats;
    const char *why = model_check(m);
    if (why) {
        fprintf(stderr, "fuzz_parser: %s\n", why);
        abort();
    }
    CHECK(st->bytes == bytes);
    CHECK(st->lines == st->records + st->noise + st->bad_checksum + st->bad_fields + st->other_version);
    CHECK(p->len <= sizeof p->buf);
    CHECK(m->tables <= MODEL_TABLES_MAX);
    uint64_t typed = 0;
    for (int t = 0; t < RT_COUNT; t++)
        typed += st->by_type[t];
    CHECK(typed == st->records);
}

/* The paging sanitizer rides along: told every record, whatever the stream holds. */
struct checked {
    struct sanitizer *s;
    struct parser *p;
    struct model *m;
};

static void on_record(void *ctx, const struct record *r, uint64_t line_start)
{
    struct checked *c = ctx;
    (void)line_start;
    sanitizer_record(c->s, c->m, r, c->p->stats.records);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry point */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0];
    data++;
    size--;

    char *sealed = NULL;
    const char *input = (const char *)data;
    size_t len = size;
    if (mode & 1) {
        sealed = malloc(size * 12 + 16);
        len = seal(data, size, mode & 2, sealed);
        input = sealed;
    }

    /* Kept across inputs: allocating 1 MiB models twice per input would halve the speed. */
    static struct model *a, *b;
    static struct parser *pa, *pb;
    if (!a) {
        a = model_new();
        b = model_new();
        pa = malloc(sizeof *pa);
        pb = malloc(sizeof *pb);
    }
    model_reset(a);
    model_reset(b);
    parser_init(pa, a);
    parser_init(pb, b);
    struct checked ca = {sanitizer_new(), pa, a}, cb = {sanitizer_new(), pb, b};
    CHECK(ca.s && cb.s);
    sanitizer_watch(ca.s, a);
    sanitizer_watch(cb.s, b);
    pa->on_record = pb->on_record = on_record;
    pa->record_ctx = &ca;
    pb->record_ctx = &cb;

    parser_feed(pa, input, len);
    parser_finish(pa);

    unsigned seed = (unsigned)mode >> 2;
    for (size_t i = 0; i < len;) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 300;
        if (n > len - i)
            n = len - i;
        parser_feed(pb, input + i, n);
        i += n;
    }
    parser_finish(pb);

    check(pa, a, len);
    check(pb, b, len);
    CHECK(memcmp(&pa->stats, &pb->stats, sizeof pa->stats) == 0);
    CHECK(memcmp(&a->stats, &b->stats, sizeof a->stats) == 0);
    CHECK(a->version == b->version && a->map_version == b->map_version);
    size_t la, lb;
    char *da = dump_of(a, &la), *db = dump_of(b, &lb);
    CHECK(la == lb && memcmp(da, db, la) == 0);

    /* The derived physical map never writes past what it was given, and counts every frame. */
    uint8_t *owner = malloc(4096);
    uint32_t c[FRAME_CLASSES], sum = 0;
    model_phys_map(a, owner, 4096, c);
    for (unsigned k = 0; k < FRAME_CLASSES; k++)
        sum += c[k];
    CHECK(sum == 4096);
    /* A walk and a frame's mappings, anywhere. */
    struct walk w;
    const struct frame_mapping *mp;
    uint32_t va = (uint32_t)seed * 2654435761u;
    model_walk(a, MODEL_NO_ASID, va, &w);
    CHECK(w.stop != WALK_MAPPED || (w.pa & 0xFFF) == (va & 0xFFF));
    uint32_t nmaps = model_frame_mappings(a, w.frame >> 12, &mp);
    CHECK(nmaps == 0 || w.stop != WALK_MAPPED || mp != NULL);

    /* The sanitizer saw the same records either way: the same warnings. */
    CHECK(sanitizer_count(ca.s) == sanitizer_count(cb.s));
    a->check_change = b->check_change = NULL;
    sanitizer_free(ca.s);
    sanitizer_free(cb.s);

    free(owner);
    free(da);
    free(db);
    free(sealed);
    return 0;
}
