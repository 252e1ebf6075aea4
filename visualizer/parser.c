/*
 * parser.c: lines out of a byte stream, records out of lines, strictly: the
 * protocol's table scans the fields (rec_scan: numbers are decimal without
 * leading zeros or lower-case hex of 1-8 digits, fields are separated by
 * single spaces), and every count and index is checked against
 * docs/protocol.md before the model sees it.
 */
#include <string.h>
#include "parser.h"

#define RECORD_MAX (PROTO_LINE_MAX - 1) /* bytes of a record without its '\n' */

/* ---- fields ---- */

/*
 * What the table cannot say about a record, kind by kind: NULL when there
 * is nothing more to check. Everything the model gets passed these.
 */
typedef int (*check_fn)(const struct record *r);

/* A run of count entries from first, frames stepping 1 << shift from entry, inside one table. */
static int run_ok(uint32_t first, uint32_t count, uint32_t entry, int shift)
{
    return first < ENTRIES && count >= 1 && count <= ENTRIES - first && (entry & PTE_P) &&
           (uint64_t)(entry >> shift) + count - 1 <= (UINT32_MAX >> shift);
}

/* count pages of size from va stay inside the 4 GiB, va aligned to the size. */
static int pages_ok(uint32_t va, enum word_SIZE size, uint32_t count)
{
    int shift = size == SIZE_4M ? LARGE_PAGE_SHIFT : PAGE_SHIFT;
    return (va & ((1u << shift) - 1)) == 0 && count >= 1 &&
           (uint64_t)(va >> shift) + count <= (1ull << (32 - shift));
}

/* A map's entry: present, a 4 MiB one with PS, frames that stay inside the 4 GiB. */
static int entry_ok(uint32_t entry, enum word_SIZE size, uint32_t count)
{
    int shift = size == SIZE_4M ? LARGE_PAGE_SHIFT : PAGE_SHIFT;
    return (entry & PTE_P) && (size != SIZE_4M || (entry & PDE_PS)) &&
           (uint64_t)(entry >> shift) + count - 1 <= (UINT32_MAX >> shift);
}

static int check_hello(const struct record *r)
{
    return r->u.hello.build.len < 24;
}

static int check_pde(const struct record *r)
{
    const struct rec_pde *f = &r->u.pde;
    return run_ok(f->first, f->count, f->entry, (f->entry & PDE_PS) ? LARGE_PAGE_SHIFT : PAGE_SHIFT);
}

static int check_pte(const struct record *r)
{
    const struct rec_pte *f = &r->u.pte;
    return f->pde < ENTRIES && run_ok(f->first, f->count, f->entry, PAGE_SHIFT);
}

static int check_map(const struct record *r)
{
    const struct rec_map *f = &r->u.map;
    return pages_ok(f->va, f->size, f->count) && entry_ok(f->entry, f->size, f->count);
}

static int check_remap(const struct record *r)
{
    const struct rec_remap *f = &r->u.remap;
    return f->size == SIZE_4K && pages_ok(f->va, f->size, f->count) && entry_ok(f->entry, f->size, f->count);
}

static int check_unmap(const struct record *r)
{
    return pages_ok(r->u.unmap.va, r->u.unmap.size, r->u.unmap.count);
}

static int check_protect(const struct record *r)
{
    const struct rec_protect *f = &r->u.protect;
    return pages_ok(f->va, f->size, f->count) && f->flags <= PTE_FLAGS;
}

static int check_ptab_alloc(const struct record *r)
{
    return r->u.ptab_alloc.pde < ENTRIES && (r->u.ptab_alloc.entry & (PTE_P | PDE_PS)) == PTE_P;
}

static int check_ptab_free(const struct record *r)
{
    return r->u.ptab_free.pde < ENTRIES;
}

static int check_fork(const struct record *r)
{
    return r->u.fork.parent != r->u.fork.asid;
}

/* [start, end): whole pages, not empty (regions end below 4 GiB). */
static int range_ok(uint32_t start, uint32_t end)
{
    return (start & (PAGE_SIZE - 1)) == 0 && (end & (PAGE_SIZE - 1)) == 0 && start < end;
}

static int check_region(const struct record *r)
{
    return range_ok(r->u.region.start, r->u.region.end);
}

static int check_region_held(const struct record *r)
{
    const struct rec_region_held *f = &r->u.region_held;
    return f->index < f->count && range_ok(f->start, f->end);
}

static int check_drop(const struct record *r)
{
    return r->u.drop.first <= r->u.drop.last && r->u.drop.last <= r->u.drop.tick;
}

/* count frames from pa: whole frames inside the 4 GiB. */
static int frames_ok(uint32_t pa, uint32_t count)
{
    return (pa & (PAGE_SIZE - 1)) == 0 && count >= 1 && (uint64_t)(pa >> PAGE_SHIFT) + count <= FRAME_MAP_MAX;
}

static int check_physmap(const struct record *r)
{
    return r->u.physmap.frames >= 1 && r->u.physmap.frames <= FRAME_MAP_MAX;
}

static int check_phys(const struct record *r)
{
    return frames_ok(r->u.phys.pa, r->u.phys.count) && r->u.phys.refs <= UINT16_MAX;
}

/* What an allocation can be for: the owners pmm hands frames out to. */
static int allocated_owner(enum word_OWNER o)
{
    return o == OWNER_HEAP || o == OWNER_DIRECTORY || o == OWNER_TABLE || o == OWNER_USER;
}

static int check_alloc(const struct record *r)
{
    return frames_ok(r->u.alloc.pa, r->u.alloc.count) && allocated_owner(r->u.alloc.owner);
}

static int check_free(const struct record *r)
{
    return frames_ok(r->u.free.pa, r->u.free.count) && allocated_owner(r->u.free.owner);
}

static const check_fn checks[RT_COUNT] = {
    [RT_HELLO] = check_hello,
    [RT_PDE] = check_pde,
    [RT_PTE] = check_pte,
    [RT_MAP] = check_map,
    [RT_REMAP] = check_remap,
    [RT_UNMAP] = check_unmap,
    [RT_PROTECT] = check_protect,
    [RT_PTAB_ALLOC] = check_ptab_alloc,
    [RT_PTAB_FREE] = check_ptab_free,
    [RT_FORK] = check_fork,
    [RT_DROP] = check_drop,
    [RT_REGION] = check_region,
    [RT_REGION_HELD] = check_region_held,
    [RT_PHYSMAP] = check_physmap,
    [RT_PHYS] = check_phys,
    [RT_ALLOC] = check_alloc,
    [RT_FREE] = check_free,
};

static int parse_fields(const char *body, size_t len, struct record *r)
{
    return rec_scan(body, len, r) == 0 && (!checks[r->type] || checks[r->type](r));
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
                /* body is "KZ1 type fields...": the record starts after "KZ1 ". */
                return parse_fields(at + 1 + mark, (size_t)body - mark, out) ? PARSE_RECORD
                                                                             : PARSE_BAD_FIELDS;
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
        if (p->on_record)
            p->on_record(p->record_ctx, &r, p->line_start);
        break;
    case PARSE_NOISE: st->noise++; break;
    case PARSE_BAD_CHECKSUM: st->bad_checksum++; break;
    case PARSE_BAD_FIELDS: st->bad_fields++; break;
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
    uint64_t at = p->stats.bytes; /* the stream offset of s */
    p->stats.bytes += len;
    while (len > 0) {
        const char *nl = memchr(s, '\n', len);
        size_t take = nl ? (size_t)(nl - s) : len;
        if (p->line_bytes == 0)
            p->line_start = at + (uint64_t)(s - (const char *)data);
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
