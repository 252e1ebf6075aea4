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

const uint8_t record_classes[RT_COUNT] = {
#define WORDSET(set, ws)
#define RECORD(id, member, wire, cls, fields) [RT_##id] = RC_##cls,
#include <koiz/records.def>
#undef WORDSET
#undef RECORD
};

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

/* ---- formatting ----
 *
 * Each kind has a formatter of its own, made from its row, so nothing is
 * looked up while a record is written: the marker and the wire name are
 * one string whose CRC is computed once; numbers are written from their
 * last digit back, two digits per table lookup (decimal by hundreds, hex by
 * bytes: no division for hex); the CRC covers the fields in one pass at the
 * end. Only ID and TEXT fields have no length known in advance, so only
 * they check the room left: a kind's longest line without its texts is a
 * constant, far below a whole line. A buffer short of a whole line (which
 * no caller in the tree passes) gets the line formatted whole elsewhere
 * and cut.
 */

#define TAIL 8 /* " *CCCC\n" and the NUL */

/* The longest a field of each kind can be, the space before it included;
 * ID and TEXT count only their space and check their room as they go. */
#define FIELD_MAX_U       11
#define FIELD_MAX_X       9
#define FIELD_MAX_FLAG    11
#define FIELD_MAX_ID      1
#define FIELD_MAX_TEXT    1
#define FIELD_MAX_SIZE    (1 + WORD_MAX)
#define FIELD_MAX_OUTCOME (1 + WORD_MAX)
#define FIELD_MAX_LOSS    (1 + WORD_MAX)
#define FIELD_MAX_ROUND   (1 + WORD_MAX)
#define FIELD_MAX_OWNER   (1 + WORD_MAX)
#define FIELD_MAX_HOLDS   (1 + WORD_MAX)
#define FIELD_MAX_CHANGE  (1 + WORD_MAX)

static char dec2[200], hex2[512]; /* "00".."99", "00".."ff" */
static uint16_t prefix_crc[RT_COUNT];
static int format_ready;

static const uint32_t powers_of_10[10] = {1,      10,      100,      1000,      10000,
                                          100000, 1000000, 10000000, 100000000, 1000000000};

/* The decimal digits of v, written from the last back: their count from the
 * bit length (log10(2) is about 1233/4096), two at a time after that. Small
 * enough to be inlined into every formatter. */
static inline __attribute__((always_inline)) char *put_u(char *p, uint32_t v)
{
    unsigned guess = (unsigned)(32 - __builtin_clz(v | 1)) * 1233 >> 12;
    unsigned n = guess + (v >= powers_of_10[guess]);
    char *q = p + n;
    if (n == 0)
        n = 1, q = p + 1; /* v is 0 */
    while (v >= 100) {
        uint32_t r = v % 100;
        v /= 100;
        q -= 2;
        q[0] = dec2[2 * r];
        q[1] = dec2[2 * r + 1];
    }
    if (v >= 10) {
        q[-2] = dec2[2 * v];
        q[-1] = dec2[2 * v + 1];
    } else {
        q[-1] = (char)('0' + v);
    }
    return p + n;
}

/* The hex digits of v (lower case, no leading zeros), from the last back,
 * a byte at a time. */
static inline __attribute__((always_inline)) char *put_x(char *p, uint32_t v)
{
    unsigned n = (unsigned)(35 - __builtin_clz(v | 1)) / 4;
    char *q = p + n;
    while (v > 0xFF) {
        q -= 2;
        q[0] = hex2[2 * (v & 0xFF)];
        q[1] = hex2[2 * (v & 0xFF) + 1];
        v >>= 8;
    }
    if (v > 0xF) {
        q[-2] = hex2[2 * v];
        q[-1] = hex2[2 * v + 1];
    } else {
        q[-1] = hex2[2 * v + 1];
    }
    return p + n;
}

static char *put_word(char *p, enum word_set set, unsigned w)
{
    for (const char *s = word_name(set, w); *s; s++)
        *p++ = *s;
    return p;
}

/* Text as a field: bytes that would end or start a record become spaces
 * and '?'; what does not fit before end is cut. */
static char *put_text(char *p, const char *end, struct text t)
{
    for (size_t i = 0; i < t.len && p < end; i++) {
        char c = t.s[i];
        if (c == '\n' || c == '\r' || c == '*' || (unsigned char)c < 0x20)
            c = ' ';
        else if (c == '@')
            c = '?';
        *p++ = c;
    }
    return p;
}

/* Each field after its space. A text field stops at end; an ID, which
 * fields follow, keeps reserve bytes for them, so a long name is cut
 * rather than the numbers after it. */
#define PUT_U(p, end, v)       put_u(p, v)
#define PUT_X(p, end, v)       put_x(p, v)
#define PUT_FLAG(p, end, v)    put_u(p, v)
#define PUT_ID(p, end, v)      put_text(p, (end)-reserve, v)
#define PUT_TEXT(p, end, v)    put_text(p, end, v)
#define PUT_SIZE(p, end, v)    put_word(p, WS_SIZE, v)
#define PUT_OUTCOME(p, end, v) put_word(p, WS_OUTCOME, v)
#define PUT_LOSS(p, end, v)    put_word(p, WS_LOSS, v)
#define PUT_ROUND(p, end, v)   put_word(p, WS_ROUND, v)
#define PUT_OWNER(p, end, v)   put_word(p, WS_OWNER, v)
#define PUT_HOLDS(p, end, v)   put_word(p, WS_HOLDS, v)
#define PUT_CHANGE(p, end, v)  put_word(p, WS_CHANGE, v)
/* (a WORDSET of records.def without its PUT_ line here is a compile error, not a silent miss) */

#define WORDSET(set, ws)
#define F(kind, name) \
    *p++ = ' ';       \
    p = PUT_##kind(p, end, f->name);
#define L(word)                                            \
    __builtin_memcpy(p, " " #word, sizeof(" " #word) - 1); \
    p += sizeof(" " #word) - 1;
#define RECORD(id, member, wire, cls, fields)                                              \
    static char *fields_##member(char *p, const char *end, size_t reserve, const void *fv) \
    {                                                                                      \
        const struct rec_##member *f = fv;                                                 \
        (void)end;                                                                         \
        (void)reserve;                                                                     \
        fields return p;                                                                   \
    }
#include <koiz/records.def>
#undef F
#undef L
#undef RECORD

struct kind_format {
    char prefix[16]; /* "@KZ1 map", NUL-padded: copied whole, the fields overwrite the padding */
    uint8_t prefix_len;
    uint8_t longest; /* the longest line without its texts, TAIL included */
    /* Writes the fields from p; texts stop at end, IDs keep reserve bytes before it. */
    char *(*fields)(char *p, const char *end, size_t reserve, const void *fields);
};

#define F(kind, name) +FIELD_MAX_##kind
#define L(word)       +sizeof(" " #word) - 1
#define RECORD(id, member, wire, cls, fields)                            \
    [RT_##id] = {PROTO_MARK " " #wire, sizeof(PROTO_MARK " " #wire) - 1, \
                 sizeof(PROTO_MARK " " #wire) - 1 fields + TAIL, fields_##member},
static const struct kind_format formats[RT_COUNT] = {
#include <koiz/records.def>
};
#undef WORDSET
#undef F
#undef L
#undef RECORD

static void format_tables(void)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 100; i++) {
        dec2[2 * i] = (char)('0' + i / 10);
        dec2[2 * i + 1] = (char)('0' + i % 10);
    }
    for (int i = 0; i < 256; i++) {
        hex2[2 * i] = hex[i >> 4];
        hex2[2 * i + 1] = hex[i & 15];
    }
    for (int t = 0; t < RT_COUNT; t++)
        prefix_crc[t] = proto_crc16(formats[t].prefix + 1, formats[t].prefix_len - 1U);
    format_ready = 1;
}

/* Ends the line whose fields end at p: trailing spaces (an empty text) go,
 * then " *CCCC\n" and a NUL. crc is the CRC of buf[1 .. from); the bytes
 * from there are added here. Returns the line's length. */
static size_t seal(char *buf, char *p, const char *from, uint16_t crc)
{
    static const char hex[] = "0123456789ABCDEF";
    while (p > buf && p[-1] == ' ')
        p--;
    if (p < from) { /* cut into the marks: count from the start */
        from = buf + 1;
        crc = 0xFFFF;
    }
    crc = proto_crc16_more(crc, from, (size_t)(p - from));
    p[0] = ' ';
    p[1] = '*';
    p[2] = hex[crc >> 12];
    p[3] = hex[(crc >> 8) & 15];
    p[4] = hex[(crc >> 4) & 15];
    p[5] = hex[crc & 15];
    p[6] = '\n';
    p[7] = '\0';
    return (size_t)(p + 7 - buf);
}

size_t rec_format(char *buf, size_t size, enum record_type t, const void *fields)
{
    const struct kind_format *k;
    char *p;

    if (size > PROTO_LINE_MAX + 1)
        size = PROTO_LINE_MAX + 1;
    if ((unsigned)t >= RT_COUNT || size < 24) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    if (!format_ready)
        format_tables();
    k = &formats[t];
    if (size < PROTO_LINE_MAX + 1) {
        /* A buffer short of a whole line: the line elsewhere, then its first size - TAIL bytes. */
        char whole[PROTO_LINE_MAX + 1];
        size_t n = rec_format(whole, sizeof whole, t, fields) - 7;
        if (n > size - TAIL)
            n = size - TAIL;
        kmemcpy(buf, whole, n);
        return seal(buf, buf + n, buf + 1, 0xFFFF);
    }
    __builtin_memcpy(buf, k->prefix, sizeof k->prefix); /* a whole line's room: longest < 128 */
    p = k->fields(buf + k->prefix_len, buf + size - TAIL, k->longest - k->prefix_len - TAIL, fields);
    return seal(buf, p, buf + k->prefix_len, prefix_crc[t]);
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
