/*
 * records.c: formatting and scanning any telemetry record from the one
 * table records.def makes (include/koiz/records.h). The kernel formats
 * with it, koiz-view and the tests scan with it; the same code, built for
 * each.
 */
#include <stddef.h>
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include <koiz/records.h>

/* ---- words ---- */

#define WORDSET(set, ws) static const char *const words_##set[] = {ws};
#define W(name, word)    word,
#define RECORD(id, member, wire, cls, fields)
#include <koiz/records.def>
#undef WORDSET
#undef W
#undef RECORD

const char *const *const word_names[WORD_SETS] = {
#define WORDSET(set, ws) words_##set,
#define RECORD(id, member, wire, cls, fields)
#include <koiz/records.def>
#undef WORDSET
#undef RECORD
};

const uint8_t word_counts[WORD_SETS] = {
#define WORDSET(set, ws) set##_WORDS,
#define RECORD(id, member, wire, cls, fields)
#include <koiz/records.def>
#undef WORDSET
#undef RECORD
};

/* The value of each lower-case hex digit, 16 for any other byte (filled with the table). */
static uint8_t hex_value[256];

/* The length of each word, filled with the table (records_table). */
#define WORDS_MAX 16
static uint8_t word_lens[WORD_SETS][WORDS_MAX];
#define WORDSET(set, ws) _Static_assert(set##_WORDS <= WORDS_MAX, "a word set of at most WORDS_MAX words");
#define RECORD(id, member, wire, cls, fields)
#include <koiz/records.def>
#undef WORDSET
#undef RECORD

const char *word_name(enum word_set set, unsigned w)
{
    return (unsigned)set < WORD_SETS && w < word_counts[set] ? word_names[set][w] : "?";
}

/* ---- the table ---- */

/*
 * One function per row fills its entry: inside it, CUR names the row's
 * struct, so each field's offset comes from offsetof, not from a second
 * list. A field's kind is one of the FK_* kinds or a word set's name.
 */
#define FIELD_U(n)       FK_U, 0
#define FIELD_X(n)       FK_X, 0
#define FIELD_FLAG(n)    FK_FLAG, 0
#define FIELD_ID(n)      FK_ID, 0
#define FIELD_TEXT(n)    FK_TEXT, 0
#define FIELD_SIZE(n)    FK_WORD, WS_SIZE
#define FIELD_OUTCOME(n) FK_WORD, WS_OUTCOME
#define FIELD_LOSS(n)    FK_WORD, WS_LOSS
#define FIELD_ROUND(n)   FK_WORD, WS_ROUND
#define FIELD_OWNER(n)   FK_WORD, WS_OWNER
#define FIELD_HOLDS(n)   FK_WORD, WS_HOLDS
#define FIELD_CHANGE(n)  FK_WORD, WS_CHANGE

static struct record_desc table[RT_COUNT];

static void add(struct record_desc *d, int *i, uint8_t kind, uint8_t set, size_t offset, const char *name)
{
    struct field_desc *f = &d->fields[(*i)++];
    f->kind = kind;
    f->set = set;
    f->offset = (uint16_t)offset;
    f->name = name;
    f->name_len = (uint8_t)kstrlen(name);
    if (kind == FK_U && kstrcmp(name, "tick") == 0)
        d->tick = (int)offset;
    if (kind == FK_U && kstrcmp(name, "asid") == 0)
        d->asid = (int)offset;
}

#define WORDSET(set, ws)
#define F(kind, name) add(d, &i, FIELD_##kind(name), offsetof(CUR, name), #name);
#define L(word)       add(d, &i, FK_LIT, 0, 0, #word);
#define RECORD(id_, member_, wire_, cls_, fields_)                  \
    static void fill_##member_(struct record_desc *d)               \
    {                                                               \
        typedef struct rec_##member_ CUR;                           \
        int i = 0;                                                  \
        _Static_assert(sizeof(CUR) < 65536, "offsets fit 16 bits"); \
        d->wire = #wire_;                                           \
        d->wire_len = (uint8_t)kstrlen(#wire_);                     \
        d->member = #member_;                                       \
        d->cls = RC_##cls_;                                         \
        d->tick = d->asid = -1;                                     \
        fields_                                                     \
    }
#include <koiz/records.def>
#undef WORDSET
#undef F
#undef L
#undef RECORD

static int table_ready;

const struct record_desc *records_table(void)
{
    if (!table_ready) {
#define WORDSET(set, ws)
#define RECORD(id, member, wire, cls, fields) fill_##member(&table[RT_##id]);
#include <koiz/records.def>
#undef WORDSET
#undef RECORD
        for (int c = 0; c < 256; c++)
            hex_value[c] = c >= '0' && c <= '9'   ? (uint8_t)(c - '0')
                           : c >= 'a' && c <= 'f' ? (uint8_t)(c - 'a' + 10)
                                                  : 16;
        for (int s = 0; s < WORD_SETS; s++)
            for (unsigned w = 0; w < word_counts[s]; w++)
                word_lens[s][w] = (uint8_t)kstrlen(word_names[s][w]);
        table_ready = 1;
    }
    return table;
}

/* ---- formatting ---- */

struct out {
    char *buf;
    size_t n, end; /* bytes written; where the fields must stop (room for " *CCCC\n") */
};

static void put_char(struct out *o, char c)
{
    if (o->n < o->end)
        o->buf[o->n++] = c;
}

static void put_str(struct out *o, const char *s, size_t len, int text)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (text && (c == '\n' || c == '\r' || c == '*' || (unsigned char)c < 0x20))
            c = ' ';
        else if (text && c == '@')
            c = '?';
        put_char(o, c);
    }
}

static void put_dec(struct out *o, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(o, digits[--n]);
}

static void put_hex(struct out *o, uint32_t v)
{
    int shift = 28;
    while (shift > 0 && !(v >> shift))
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        put_char(o, "0123456789abcdef"[(v >> shift) & 15]);
}

size_t rec_format(char *buf, size_t size, enum record_type t, const void *fields)
{
    static const char hex[] = "0123456789ABCDEF";
    const struct record_desc *d = &records_table()[t];
    const unsigned char *base = fields;
    struct out o;

    if (size > PROTO_LINE_MAX + 1)
        size = PROTO_LINE_MAX + 1;
    if ((unsigned)t >= RT_COUNT || size < 24) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    o.buf = buf;
    o.n = 0;
    o.end = size - 8; /* " *CCCC\n" and the NUL */
    put_str(&o, PROTO_MARK " ", sizeof PROTO_MARK, 0);
    put_str(&o, d->wire, kstrlen(d->wire), 0);
    for (const struct field_desc *f = d->fields; f->kind != FK_END; f++) {
        const void *at = base + f->offset;
        const struct text *tx = at;
        put_char(&o, ' ');
        switch (f->kind) {
        case FK_U:
        case FK_FLAG: put_dec(&o, *(const uint32_t *)at); break;
        case FK_X: put_hex(&o, *(const uint32_t *)at); break;
        case FK_WORD: {
            const char *w = word_name((enum word_set)f->set, *(const unsigned *)at);
            put_str(&o, w, kstrlen(w), 0);
            break;
        }
        case FK_LIT: put_str(&o, f->name, kstrlen(f->name), 0); break;
        default: /* FK_ID, FK_TEXT */ put_str(&o, tx->s, tx->len, 1); break;
        }
    }
    while (o.n > 0 && buf[o.n - 1] == ' ') /* empty text at the end */
        o.n--;
    {
        uint16_t crc = proto_crc16(buf + 1, o.n - 1);
        buf[o.n++] = ' ';
        buf[o.n++] = '*';
        for (int shift = 12; shift >= 0; shift -= 4)
            buf[o.n++] = hex[(crc >> shift) & 15];
        buf[o.n++] = '\n';
        buf[o.n] = '\0';
    }
    return o.n;
}

/* ---- scanning ---- */

struct scan {
    const char *p, *end;
};

/* The next space-separated word; NULL at the end of the body. */
static const char *next_word(struct scan *s, size_t *len)
{
    const char *w = s->p, *q = w;
    if (w >= s->end)
        return 0;
    while (q < s->end && *q != ' ')
        q++;
    *len = (size_t)(q - w);
    s->p = q < s->end ? q + 1 : q;
    if (q < s->end && s->p == s->end)
        return 0; /* a trailing space: no field after it */
    return *len ? w : 0;
}

/* Whether the len bytes at w are word, whose length is n. */
static int same(const char *w, size_t len, const char *word, size_t n)
{
    return n == len && w[0] == word[0] && kmemcmp(w, word, n) == 0;
}

static int scan_dec(const char *w, size_t len, uint32_t *v)
{
    uint64_t x = 0;
    if (len > 10 || (len > 1 && w[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (w[i] < '0' || w[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(w[i] - '0');
    }
    if (x > 0xFFFFFFFFu)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

static int scan_hex(const char *w, size_t len, uint32_t *v)
{
    uint32_t x = 0, bad = 0;
    if (len > 8)
        return -1;
    for (size_t i = 0; i < len; i++) {
        uint32_t d = hex_value[(unsigned char)w[i]];
        bad |= d;
        x = x << 4 | (d & 15);
    }
    if (bad & 16)
        return -1;
    *v = x;
    return 0;
}

static int is_id(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = w[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
              c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

/* The fields of kind d from s into base; 0, or -1 when one does not scan. */
static int scan_fields(const struct record_desc *d, struct scan s, unsigned char *base)
{
    for (const struct field_desc *f = d->fields; f->kind != FK_END; f++) {
        void *at = base + f->offset;
        size_t len;
        const char *w;
        if (f->kind == FK_TEXT) { /* the rest, maybe empty */
            struct text *t = at;
            t->s = s.p;
            t->len = (size_t)(s.end - s.p);
            s.p = s.end;
            continue;
        }
        if (!(w = next_word(&s, &len)))
            return -1;
        switch (f->kind) {
        case FK_U:
            if (scan_dec(w, len, at) < 0)
                return -1;
            break;
        case FK_FLAG:
            if (scan_dec(w, len, at) < 0 || *(uint32_t *)at > 1)
                return -1;
            break;
        case FK_X:
            if (scan_hex(w, len, at) < 0)
                return -1;
            break;
        case FK_ID:
            if (!is_id(w, len))
                return -1;
            ((struct text *)at)->s = w;
            ((struct text *)at)->len = len;
            break;
        case FK_WORD: {
            unsigned i = 0;
            while (i < word_counts[f->set] && !same(w, len, word_names[f->set][i], word_lens[f->set][i]))
                i++;
            if (i == word_counts[f->set])
                return -1;
            *(unsigned *)at = i;
            break;
        }
        default: /* FK_LIT */
            if (!same(w, len, f->name, f->name_len))
                return -1;
            break;
        }
    }
    return s.p == s.end ? 0 : -1;
}

int rec_scan(const char *body, size_t len, struct record *r)
{
    const struct record_desc *descs = records_table();
    struct scan s = {body, body + len};
    size_t wlen;
    const char *wire = next_word(&s, &wlen);

    if (!wire)
        return -1;
    for (int t = 0; t < RT_COUNT; t++) {
        const struct record_desc *d = &descs[t];
        if (!same(wire, wlen, d->wire, d->wire_len))
            continue;
        kmemset(r, 0, sizeof *r);
        if (scan_fields(d, s, (unsigned char *)&r->u) == 0) {
            r->type = (enum record_type)t;
            if (d->tick >= 0)
                r->tick = *(const uint32_t *)((const unsigned char *)&r->u + d->tick);
            if (d->asid >= 0)
                r->asid = *(const uint32_t *)((const unsigned char *)&r->u + d->asid);
            return 0;
        }
    }
    return -1;
}
