/*
 * parser.c: lines out of a byte stream, records out of lines, strictly:
 * numbers are decimal without leading zeros or lower-case hex of 1-8 digits,
 * fields are separated by single spaces, every count and index is checked
 * against docs/protocol.md before the model sees it.
 */
#include <string.h>
#include "parser.h"

#define RECORD_MAX (PROTO_LINE_MAX - 1)   /* bytes of a record without its '\n' */

/* ---- fields ---- */

/* Walks the fields of one record body. */
struct scan {
    const char *p, *end;
    int more;    /* another field is due (a separator was consumed) */
    int bad;
};

static const char *word(struct scan *s, size_t *len)
{
    const char *w = s->p, *q;
    if (!s->more || s->bad) {
        s->bad = 1;
        *len = 0;
        return "";
    }
    q = memchr(w, ' ', (size_t)(s->end - w));
    if (!q)
        q = s->end;
    *len = (size_t)(q - w);
    if (*len == 0)
        s->bad = 1;
    s->more = q < s->end;
    s->p = s->more ? q + 1 : s->end;
    return w;
}

static int is(const char *w, size_t len, const char *text)
{
    return len == strlen(text) && memcmp(w, text, len) == 0;
}

static uint32_t dec(struct scan *s)
{
    size_t len;
    const char *w = word(s, &len);
    uint64_t v = 0;
    if (len > 10 || (len > 1 && w[0] == '0'))
        s->bad = 1;
    for (size_t i = 0; i < len && !s->bad; i++) {
        if (w[i] < '0' || w[i] > '9')
            s->bad = 1;
        v = v * 10 + (uint64_t)(w[i] - '0');
    }
    if (v > UINT32_MAX)
        s->bad = 1;
    return s->bad ? 0 : (uint32_t)v;
}

static uint32_t hex(struct scan *s)
{
    size_t len;
    const char *w = word(s, &len);
    uint32_t v = 0;
    if (len > 8)
        s->bad = 1;
    for (size_t i = 0; i < len && !s->bad; i++) {
        char c = w[i];
        if (c >= '0' && c <= '9')
            v = v << 4 | (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (uint32_t)(c - 'a' + 10);
        else
            s->bad = 1;
    }
    return s->bad ? 0 : v;
}

/* 0 or 1. */
static uint32_t flag(struct scan *s)
{
    uint32_t v = dec(s);
    if (v > 1)
        s->bad = 1;
    return v;
}

/* Free text: the rest of the body, possibly empty. */
static struct text rest(struct scan *s)
{
    struct text t = { s->p, s->more ? (size_t)(s->end - s->p) : 0 };
    s->p = s->end;
    s->more = 0;
    return t;
}

/* The record must end here. */
static int done(struct scan *s)
{
    return !s->bad && !s->more;
}

/* A run of count entries from first, frames stepping 1 << shift from entry, inside one table. */
static int run_ok(uint32_t first, uint32_t count, uint32_t entry, int shift)
{
    return first < ENTRIES && count >= 1 && count <= ENTRIES - first && (entry & PTE_P) &&
           (uint64_t)(entry >> shift) + count - 1 <= (UINT32_MAX >> shift);
}

/* 4k or 4m: the page shift, or 0. */
static int page_shift(struct scan *s)
{
    size_t len;
    const char *w = word(s, &len);
    if (is(w, len, "4k"))
        return 12;
    if (is(w, len, "4m"))
        return 22;
    s->bad = 1;
    return 0;
}

/* map, unmap, protect: va size count, checked to stay inside the 4 GiB. */
static int pages(struct scan *s, struct record *r)
{
    r->u.pages.va = hex(s);
    int shift = page_shift(s);
    r->u.pages.large = shift == 22;
    r->u.pages.count = dec(s);
    if (s->bad)
        return 0;
    uint32_t va = r->u.pages.va, n = r->u.pages.count;
    return (va & ((1u << shift) - 1)) == 0 && n >= 1 && (uint64_t)(va >> shift) + n <= (1ull << (32 - shift));
}

static int parse_fields(struct scan *s, struct record *r)
{
    size_t len;
    const char *type = word(s, &len);
    memset(&r->u, 0, sizeof r->u);
    r->tick = r->asid = 0;

    if (is(type, len, REC_HELLO)) {
        r->type = RT_HELLO;
        r->u.hello.version = dec(s);
        const char *b = word(s, &len);
        if (len >= sizeof r->u.hello.build)
            return 0;
        for (size_t i = 0; i < len; i++)
            if (!((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') ||
                  b[i] == '-' || b[i] == '.' || b[i] == '_'))
                return 0;
        memcpy(r->u.hello.build, b, len);
        r->u.hello.usable_kib = dec(s);
        r->u.hello.page_size = dec(s);
        r->u.hello.pse = flag(s);
        r->u.hello.pge = flag(s);
        return done(s);
    }
    if (is(type, len, REC_MEM)) {
        r->type = RT_MEM;
        r->u.mem.usable_kib = dec(s);
        r->u.mem.regions = dec(s);
        r->u.mem.lower_kib = dec(s);
        r->u.mem.upper_kib = dec(s);
        r->u.mem.ignored_kib = dec(s);
        return done(s);
    }
    if (is(type, len, REC_LOG)) {
        r->type = RT_LOG;
        r->tick = dec(s);
        r->u.text = rest(s);
        return done(s);
    }
    if (is(type, len, REC_WARN) || is(type, len, REC_PANIC)) {
        r->type = is(type, len, REC_WARN) ? RT_WARN : RT_PANIC;
        r->u.text = rest(s);
        return done(s);
    }
    if (is(type, len, REC_TEST)) {
        r->type = RT_TEST;
        r->u.test.name.s = word(s, &r->u.test.name.len);
        const char *v = word(s, &len);
        if (is(v, len, "pass"))
            r->u.test.pass = 1;
        else if (is(v, len, "fail"))
            r->u.test.detail = rest(s);
        else
            return 0;
        return done(s);
    }
    if (is(type, len, REC_TESTS_DONE)) {
        r->type = RT_TESTS;
        r->u.tests.passed = dec(s);
        r->u.tests.failed = dec(s);
        return done(s);
    }
    if (is(type, len, REC_SNAP)) {
        r->type = RT_SNAP;
        r->u.snap.seq = dec(s);
        r->asid = dec(s);
        r->u.snap.cr3 = hex(s);
        r->tick = dec(s);
        return done(s);
    }
    if (is(type, len, REC_PDE)) {
        r->type = RT_PDE;
        r->asid = dec(s);
        r->u.run.first = dec(s);
        r->u.run.count = dec(s);
        r->u.run.entry = hex(s);
        return done(s) && run_ok(r->u.run.first, r->u.run.count, r->u.run.entry,
                                 (r->u.run.entry & PDE_PS) ? 22 : 12);
    }
    if (is(type, len, REC_PTE)) {
        r->type = RT_PTE;
        r->asid = dec(s);
        r->u.run.pde = dec(s);
        r->u.run.first = dec(s);
        r->u.run.count = dec(s);
        r->u.run.entry = hex(s);
        return done(s) && r->u.run.pde < ENTRIES && run_ok(r->u.run.first, r->u.run.count, r->u.run.entry, 12);
    }
    if (is(type, len, REC_END)) {
        r->type = RT_END;
        r->u.end.seq = dec(s);
        r->asid = dec(s);
        r->u.end.pdes = dec(s);
        r->u.end.ptes = dec(s);
        r->u.end.records = dec(s);
        return done(s);
    }
    if (is(type, len, REC_MAP) || is(type, len, REC_UNMAP) || is(type, len, REC_PROTECT) ||
        is(type, len, REC_REMAP)) {
        r->type = is(type, len, REC_MAP)     ? RT_MAP
                  : is(type, len, REC_REMAP) ? RT_REMAP
                  : is(type, len, REC_UNMAP) ? RT_UNMAP
                                             : RT_PROTECT;
        r->tick = dec(s);
        r->asid = dec(s);
        if (!pages(s, r))
            return 0;
        int shift = r->u.pages.large ? 22 : 12;
        if (r->type == RT_REMAP && r->u.pages.large)
            return 0;       /* only 4 KiB pages are remapped */
        if (r->type == RT_MAP || r->type == RT_REMAP) {
            uint32_t e = r->u.pages.entry = hex(s);
            if (r->u.pages.large && !(e & PDE_PS))
                return 0;
            return done(s) && (e & PTE_P) && (uint64_t)(e >> shift) + r->u.pages.count - 1 <= (UINT32_MAX >> shift);
        }
        if (r->type == RT_PROTECT)
            r->u.pages.entry = hex(s);
        return done(s) && r->u.pages.entry <= PTE_FLAGS;
    }
    if (is(type, len, REC_PTAB)) {
        r->tick = dec(s);
        r->asid = dec(s);
        r->u.ptab.pde = dec(s);
        const char *w = word(s, &len);
        if (is(w, len, "free")) {
            r->type = RT_PTAB_FREE;
        } else {
            struct scan one = { w, w + len, 1, 0 };
            r->type = RT_PTAB_ALLOC;
            r->u.ptab.entry = hex(&one);
            w = word(s, &len);
            if (!done(&one) || !is(w, len, "alloc") || (r->u.ptab.entry & (PTE_P | PDE_PS)) != PTE_P)
                return 0;
        }
        return done(s) && r->u.ptab.pde < ENTRIES;
    }
    if (is(type, len, REC_SPACE)) {
        r->tick = dec(s);
        r->asid = dec(s);
        const char *v = word(s, &len);
        if (is(v, len, "create"))
            r->type = RT_SPACE_CREATE;
        else if (is(v, len, "destroy"))
            r->type = RT_SPACE_DESTROY;
        else if (is(v, len, "switch"))
            r->type = RT_SPACE_SWITCH;
        else
            return 0;
        r->u.space.cr3 = hex(s);
        return done(s);
    }
    if (is(type, len, REC_FORK)) {
        r->type = RT_FORK;
        r->tick = dec(s);
        r->u.fork.parent = dec(s);
        r->asid = dec(s);
        return done(s) && r->asid != r->u.fork.parent;
    }
    if (is(type, len, REC_TLB)) {
        r->type = RT_TLB;
        r->tick = dec(s);
        const char *v = word(s, &len);
        if (is(v, len, "all")) {
            r->u.tlb.all = 1;
        } else {
            struct scan one = { v, v + len, 1, 0 };
            r->u.tlb.va = hex(&one);
            if (!done(&one))
                return 0;
        }
        return done(s);
    }
    if (is(type, len, REC_FAULT)) {
        r->type = RT_FAULT;
        r->tick = dec(s);
        r->asid = dec(s);
        r->u.fault.cr2 = hex(s);
        r->u.fault.eip = hex(s);
        r->u.fault.error = hex(s);
        const char *o = word(s, &len);
        int found = 0;
        for (int i = 0; i < FO_COUNT && !found; i++)
            if (is(o, len, fault_outcome_name((enum fault_outcome)i))) {
                r->u.fault.outcome = (enum fault_outcome)i;
                found = 1;
            }
        return found && done(s);
    }
    if (is(type, len, REC_FRAMES)) {
        r->type = RT_FRAMES;
        r->tick = dec(s);
        r->u.frames.total = dec(s);
        r->u.frames.free = dec(s);
        r->u.frames.tables = dec(s);
        r->u.frames.kernel = dec(s);
        r->u.frames.process = dec(s);
        return done(s);
    }
    if (is(type, len, "bench")) {   /* name cycles_per_op ops */
        r->type = RT_BENCH;
        r->u.bench.name.s = word(s, &r->u.bench.name.len);
        r->u.bench.cycles_per_op = dec(s);
        r->u.bench.ops = dec(s);
        return done(s);
    }
    if (is(type, len, REC_DROP)) {     /* tick count first last, or the older tick count */
        r->type = RT_DROP;
        r->tick = dec(s);
        r->u.drop.count = dec(s);
        if (done(s))
            return 1;
        r->u.drop.first = dec(s);
        r->u.drop.last = dec(s);
        return done(s) && r->u.drop.first <= r->u.drop.last && r->u.drop.last <= r->tick;
    }
    if (is(type, len, REC_LOSS)) {
        r->type = RT_LOSS;
        r->tick = dec(s);
        const char *w = word(s, &len);
        int i = 0;
        while (i < LOSS_R_COUNT && !is(w, len, loss_reason_name((enum loss_reason)i)))
            i++;
        r->u.loss.reason = (enum loss_reason)i;
        return i < LOSS_R_COUNT && done(s);
    }
    if (is(type, len, REC_ROUND)) {
        r->type = RT_ROUND;
        r->tick = dec(s);
        r->u.round.seq = dec(s);
        r->u.round.spaces = dec(s);
        const char *w = word(s, &len);
        int i = 0;
        while (i < ROUND_R_COUNT && !is(w, len, round_reason_name((enum round_reason)i)))
            i++;
        r->u.round.reason = (enum round_reason)i;
        return i < ROUND_R_COUNT && done(s);
    }
    if (is(type, len, REC_SYNC)) {
        r->type = RT_SYNC;
        r->tick = dec(s);
        r->u.round.seq = dec(s);
        r->u.round.spaces = dec(s);
        return done(s);
    }
    return 0;
}

/* ---- lines ---- */

/* "@KZ<n> ... *CCCC" with n != 1 and a right checksum: the version n, else 0. */
static uint32_t other_version(const char *rec, size_t len)
{
    size_t i = 3;
    uint32_t v = 0;
    if (len < 12 || rec[i] < '1' || rec[i] > '9')
        return 0;
    for (; i < len && i < 9 && rec[i] >= '0' && rec[i] <= '9'; i++)
        v = v * 10 + (uint32_t)(rec[i] - '0');
    if (i >= len || rec[i] != ' ' || v == PROTO_VERSION)
        return 0;
    size_t body = len - 6;
    if (body <= i || rec[body] != ' ' || rec[body + 1] != '*')
        return 0;
    uint32_t crc = 0;
    for (size_t k = body + 2; k < len; k++) {
        char c = rec[k];
        if (c >= '0' && c <= '9')
            crc = crc << 4 | (uint32_t)(c - '0');
        else if (c >= 'A' && c <= 'F')
            crc = crc << 4 | (uint32_t)(c - 'A' + 10);
        else
            return 0;
    }
    return crc == proto_crc16(rec + 1, body - 1) ? v : 0;
}

enum parse_result parse_line(const char *line, size_t len, struct record *out, uint32_t *version)
{
    const size_t mark = sizeof PROTO_MARK - 1;
    enum parse_result seen = PARSE_NOISE;
    /* A record runs to the end of its line: only the last bytes can hold one. */
    if (len > PROTO_LINE_MAX) {
        line += len - PROTO_LINE_MAX;
        len = PROTO_LINE_MAX;
    }
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    for (const char *at = line; (at = memchr(at, '@', len - (size_t)(at - line))); at++) {
        size_t left = len - (size_t)(at - line);
        if (left < 3 || memcmp(at, "@KZ", 3) != 0)
            continue;
        if (left > mark && memcmp(at, PROTO_MARK, mark) == 0 && at[mark] == ' ') {
            int body = left <= RECORD_MAX ? proto_validate(at, left) : -1;
            if (body > 0) {
                /* body is "KZ1 type fields...": the fields start after "KZ1 ". */
                struct scan s = { at + 1 + mark, at + 1 + body, 1, 0 };
                return parse_fields(&s, out) ? PARSE_RECORD : PARSE_BAD_FIELDS;
            }
            if (seen == PARSE_NOISE)
                seen = PARSE_BAD_CHECKSUM;
            continue;
        }
        uint32_t v = left <= RECORD_MAX ? other_version(at, left) : 0;
        if (v && seen != PARSE_OTHER_VERSION) {
            seen = PARSE_OTHER_VERSION;
            if (version)
                *version = v;
        }
    }
    return seen;
}

void parser_init(struct parser *p, struct model *m)
{
    memset(p, 0, sizeof *p);
    p->model = m;
}

static void line_done(struct parser *p)
{
    struct record r;
    uint32_t version = 0;
    struct parser_stats *st = &p->stats;

    st->lines++;
    if (p->line_bytes > RECORD_MAX)
        st->long_lines++;
    switch (parse_line(p->buf, p->len, &r, &version)) {
    case PARSE_RECORD:
        st->records++;
        st->by_type[r.type]++;
        if (p->model)
            model_apply(p->model, &r);
        break;
    case PARSE_NOISE:
        st->noise++;
        break;
    case PARSE_BAD_CHECKSUM:
        st->bad_checksum++;
        break;
    case PARSE_BAD_FIELDS:
        st->bad_fields++;
        break;
    case PARSE_OTHER_VERSION:
        st->other_version++;
        if (!p->other_version) {
            p->other_version = version;
            snprintf(p->status, sizeof p->status,
                     "the stream has records of protocol version %u; this koiz-view reads version %d "
                     "and ignores them",
                     version, PROTO_VERSION);
        }
        break;
    }
    p->len = 0;
    p->line_bytes = 0;
}

/* Adds bytes to the current line, keeping at least its last PROTO_LINE_MAX bytes. */
static void line_add(struct parser *p, const char *s, size_t n)
{
    p->line_bytes += n;
    if (n >= PROTO_LINE_MAX) {
        memcpy(p->buf, s + n - PROTO_LINE_MAX, PROTO_LINE_MAX);
        p->len = PROTO_LINE_MAX;
        return;
    }
    if (p->len + n > sizeof p->buf) {
        memmove(p->buf, p->buf + p->len - PROTO_LINE_MAX, PROTO_LINE_MAX);
        p->len = PROTO_LINE_MAX;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
}

void parser_feed(struct parser *p, const void *data, size_t len)
{
    const char *s = data;
    p->stats.bytes += len;
    while (len > 0) {
        const char *nl = memchr(s, '\n', len);
        size_t take = nl ? (size_t)(nl - s) : len;
        line_add(p, s, take);
        if (nl) {
            line_done(p);
            take++;
        }
        s += take;
        len -= take;
    }
}

void parser_finish(struct parser *p)
{
    if (p->line_bytes > 0)
        line_done(p);
}

int parser_feed_file(struct parser *p, FILE *f)
{
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        parser_feed(p, buf, n);
    parser_finish(p);
    return ferror(f) ? -1 : 0;
}

const char *parser_status(const struct parser *p)
{
    return p->status;
}
