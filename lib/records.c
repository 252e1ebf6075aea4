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
 * Each kind has a formatter of its own, rec_line_<member>, made from its
 * row, so nothing is looked up while a record is written: the marker and
 * the wire name are constant bytes whose CRC is computed once; numbers are
 * written from their last digit back, two digits per table lookup and per
 * 16-bit store (decimal by hundreds, hex by bytes: no division for hex); a
 * word is copied whole from its set's padded table; the CRC covers the
 * fields in one pass at the end. Only ID and TEXT fields have no length
 * known in advance, so only they check the room left (a kind's longest
 * line without its texts is a constant, far below a whole line), and only
 * kinds with one trim the spaces an empty one leaves at the end. A buffer
 * short of a whole line (which no caller in the tree passes) gets the line
 * formatted whole elsewhere and cut (rec_format).
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

/* Whether a field of each kind may be empty text (and so leave a trailing space). */
#define TEXTY_U       0
#define TEXTY_X       0
#define TEXTY_FLAG    0
#define TEXTY_ID      1
#define TEXTY_TEXT    1
#define TEXTY_SIZE    0
#define TEXTY_OUTCOME 0
#define TEXTY_LOSS    0
#define TEXTY_ROUND   0
#define TEXTY_OWNER   0
#define TEXTY_HOLDS   0
#define TEXTY_CHANGE  0

/* Every pair of digits, in the order of its value, copied two bytes at a
 * time: dec2 + 2 * 42 is "42", hex2 + 2 * 0xa7 is "a7"; HEX2 (upper case)
 * spells the checksum. */
/* clang-format off */
#define ROW10(t) t "0" t "1" t "2" t "3" t "4" t "5" t "6" t "7" t "8" t "9"
#define ROW16(t, a, b, c, d, e, f) ROW10(t) t a t b t c t d t e t f
#define PAIRS16(a, b, c, d, e, f)                                                             \
    ROW16("0", a, b, c, d, e, f) ROW16("1", a, b, c, d, e, f) ROW16("2", a, b, c, d, e, f)    \
    ROW16("3", a, b, c, d, e, f) ROW16("4", a, b, c, d, e, f) ROW16("5", a, b, c, d, e, f)    \
    ROW16("6", a, b, c, d, e, f) ROW16("7", a, b, c, d, e, f) ROW16("8", a, b, c, d, e, f)    \
    ROW16("9", a, b, c, d, e, f) ROW16(a, a, b, c, d, e, f) ROW16(b, a, b, c, d, e, f)        \
    ROW16(c, a, b, c, d, e, f) ROW16(d, a, b, c, d, e, f) ROW16(e, a, b, c, d, e, f)          \
    ROW16(f, a, b, c, d, e, f)
static const char dec2[] __attribute__((aligned(4))) =
    ROW10("0") ROW10("1") ROW10("2") ROW10("3") ROW10("4") ROW10("5") ROW10("6") ROW10("7") ROW10("8") ROW10("9");
static const char hex2[] __attribute__((aligned(4))) = PAIRS16("a", "b", "c", "d", "e", "f");
static const char HEX2[] __attribute__((aligned(4))) = PAIRS16("A", "B", "C", "D", "E", "F");
/* clang-format on */
_Static_assert(sizeof dec2 == 201 && sizeof hex2 == 513 && sizeof HEX2 == 513, "every pair, once");

/*
 * The words of each set, each padded to its set's longest rounded up to
 * whole 4-byte words and followed by "?" (a number out of the set's range),
 * and their lengths: a word is one fixed-size copy, then a move by its
 * length (padded_SIZE[SIZE_4M] is "4m\0\0", lens_SIZE[SIZE_4M] is 2).
 */
#define W(name, word) char name[sizeof word];
#define WORDSET(set, ws)                                              \
    union longest_##set {                                             \
        ws char unknown[2];                                           \
    };                                                                \
    enum { PAD_##set = (sizeof(union longest_##set) - 1 + 3) & ~3u }; \
    _Static_assert(PAD_##set <= WORD_MAX, "the space a word field has in a kind's longest");
#define RECORD(id, member, wire, cls, fields)
#include <koiz/records.def>
#undef W
#undef WORDSET
#define W(name, word)    word,
#define WORDSET(set, ws) static const char padded_##set[set##_WORDS + 1][PAD_##set] = {ws "?"};
#include <koiz/records.def>
#undef W
#undef WORDSET
#define W(name, word)    sizeof word - 1,
#define WORDSET(set, ws) static const uint8_t lens_##set[set##_WORDS + 1] = {ws 1};
#include <koiz/records.def>
#undef W
#undef WORDSET
#undef RECORD

/*
 * The CRC, two bytes per lookup: after two more bytes a 16-bit CRC depends
 * only on itself XOR those bytes, so one table of 65,536 entries (128 KiB)
 * takes a pair at once, where proto_crc16_more (lib/protocol.c) takes a
 * byte per lookup in eight small tables. Pairs are loaded as they lie in
 * memory, and the CRC is kept with its bytes in memory order too
 * (crc_pairs maps the bytes of a pair XOR the CRC to the CRC's next
 * bytes), so no byte is swapped per step. The formatter hashes short
 * lines where an instruction is what counts (Bochs counts them); a reader
 * checks megabytes with proto_crc16_more, whose tables stay in the cache.
 *
 * The fields are hashed in whole pairs: when they are an odd number of
 * bytes, from the last byte of the prefix on. prefix_crc[t][0] is the CRC
 * of kind t's "KZ1 <wire>", [1] of the same without its last byte, both
 * in memory order.
 */
static uint16_t crc_pairs[65536];
static uint16_t prefix_crc[RT_COUNT][2];
static int format_ready;

/* A CRC as the 16-bit value its bytes make in memory order, high byte
 * first, and back: the same swap both ways (none on a big-endian machine). */
static uint16_t memory_order(uint16_t crc)
{
    unsigned char b[2] = {(unsigned char)(crc >> 8), (unsigned char)crc};
    uint16_t m;
    __builtin_memcpy(&m, b, 2);
    return m;
}

static uint16_t from_memory_order(uint16_t m)
{
    unsigned char b[2];
    __builtin_memcpy(b, &m, 2);
    return (uint16_t)(b[0] << 8 | b[1]);
}

/* The CRC m (in memory order) carried on over the pairs from s to end (an
 * even number of bytes), two pairs a turn. */
static inline __attribute__((always_inline)) uint16_t crc_over_pairs(uint16_t m, const char *s,
                                                                     const char *end)
{
    const char *stop = s + ((end - s) & ~(ptrdiff_t)3); /* where the whole turns end */
    uint16_t a, b;
    for (; s != stop; s += 4) {
        __builtin_memcpy(&a, s, 2);
        __builtin_memcpy(&b, s + 2, 2);
        m = crc_pairs[m ^ a];
        m = crc_pairs[m ^ b];
    }
    if (s != end) {
        __builtin_memcpy(&a, s, 2);
        m = crc_pairs[m ^ a];
    }
    return m;
}

static const uint32_t powers_of_10[10] = {1,      10,      100,      1000,      10000,
                                          100000, 1000000, 10000000, 100000000, 1000000000};

/* The decimal digits of v. Below 10,000 (asids, counts, a tick for the
 * first 100 seconds) one division by 100 splits them into two pairs, each
 * written whole; longer numbers are written from the last digit back, their
 * count from the bit length (log10(2) is about 1233/4096), two at a time.
 * Small enough to be inlined into every formatter. */
static inline __attribute__((always_inline)) char *put_u(char *p, uint32_t v)
{
    unsigned n;
    char *q;
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100) {
        __builtin_memcpy(p, dec2 + 2 * v, 2);
        return p + 2;
    }
    if (v < 10000) {
        uint32_t high = v / 100, low = v % 100;
        if (high < 10) {
            *p = (char)('0' + high);
            __builtin_memcpy(p + 1, dec2 + 2 * low, 2);
            return p + 3;
        }
        __builtin_memcpy(p, dec2 + 2 * high, 2);
        __builtin_memcpy(p + 2, dec2 + 2 * low, 2);
        return p + 4;
    }
    n = (unsigned)(32 - __builtin_clz(v)) * 1233 >> 12;
    n += v >= powers_of_10[n];
    q = p + n;
    while (v >= 100) {
        uint32_t r = v % 100;
        v /= 100;
        q -= 2;
        __builtin_memcpy(q, dec2 + 2 * r, 2);
    }
    if (v >= 10)
        __builtin_memcpy(q - 2, dec2 + 2 * v, 2);
    else
        q[-1] = (char)('0' + v);
    return p + n;
}

/* The hex digits of v (lower case, no leading zeros). Seven or eight
 * (addresses, most entries) go as four stores at places known at once;
 * fewer from the last back, a byte at a time. */
static inline __attribute__((always_inline)) char *put_x(char *p, uint32_t v)
{
    unsigned n;
    char *q;
    if (v < 16) {
        *p = hex2[2 * v + 1];
        return p + 1;
    }
    if (v >= 0x1000000) {
        uint32_t top = v >> 24;
        q = p + (top > 0xF ? 8 : 7);
        __builtin_memcpy(q - 6, hex2 + 2 * (v >> 16 & 0xFF), 2);
        __builtin_memcpy(q - 4, hex2 + 2 * (v >> 8 & 0xFF), 2);
        __builtin_memcpy(q - 2, hex2 + 2 * (v & 0xFF), 2);
        if (top > 0xF)
            __builtin_memcpy(p, hex2 + 2 * top, 2);
        else
            *p = hex2[2 * top + 1];
        return q;
    }
    n = (unsigned)(35 - __builtin_clz(v)) / 4;
    q = p + n;
    while (v > 0xFF) {
        q -= 2;
        __builtin_memcpy(q, hex2 + 2 * (v & 0xFF), 2);
        v >>= 8;
    }
    if (v > 0xF)
        __builtin_memcpy(q - 2, hex2 + 2 * v, 2);
    else
        q[-1] = hex2[2 * v + 1];
    return p + n;
}

/* Word w of a set (its padded table and lengths; count words, "?" after
 * them), copied whole: pad is a constant once inlined. */
static inline __attribute__((always_inline)) char *put_word(char *p, const char *padded, size_t pad,
                                                            const uint8_t *lens, unsigned count, unsigned w)
{
    if (w > count)
        w = count;
    __builtin_memcpy(p, padded + w * pad, pad);
    return p + lens[w];
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
#define PUT_WORD(p, set, v)    put_word(p, padded_##set[0], PAD_##set, lens_##set, set##_WORDS, (unsigned)(v))
#define PUT_U(p, end, v)       put_u(p, v)
#define PUT_X(p, end, v)       put_x(p, v)
#define PUT_FLAG(p, end, v)    put_u(p, v)
#define PUT_ID(p, end, v)      put_text(p, (end)-reserve, v)
#define PUT_TEXT(p, end, v)    put_text(p, end, v)
#define PUT_SIZE(p, end, v)    PUT_WORD(p, SIZE, v)
#define PUT_OUTCOME(p, end, v) PUT_WORD(p, OUTCOME, v)
#define PUT_LOSS(p, end, v)    PUT_WORD(p, LOSS, v)
#define PUT_ROUND(p, end, v)   PUT_WORD(p, ROUND, v)
#define PUT_OWNER(p, end, v)   PUT_WORD(p, OWNER, v)
#define PUT_HOLDS(p, end, v)   PUT_WORD(p, HOLDS, v)
#define PUT_CHANGE(p, end, v)  PUT_WORD(p, CHANGE, v)
/* (a WORDSET of records.def without its PUT_ line here is a compile error, not a silent miss) */

static void format_tables(void)
{
    static const char *const prefixes[RT_COUNT] = {
#define WORDSET(set, ws)
#define RECORD(id, member, wire, cls, fields) [RT_##id] = PROTO_MARK " " #wire,
#include <koiz/records.def>
#undef WORDSET
#undef RECORD
    };
    static const char zeros[2];
    /* The table from the byte-wise CRC: two zero bytes carry a CRC c on to
     * the entry of c's bytes, and that is linear (the entry of i XOR j is
     * the XOR of theirs), so each bit of the index doubles what is filled:
     * 16 CRCs, then one load, XOR and store an entry. */
    crc_pairs[0] = 0;
    for (uint32_t bit = 1; bit < 65536; bit <<= 1) {
        uint16_t v = memory_order(proto_crc16_more(from_memory_order((uint16_t)bit), zeros, 2));
        uint16_t *upper = crc_pairs + bit; /* the entries whose index has this bit and none above */
        for (uint32_t i = 0; i < bit; i++)
            upper[i] = crc_pairs[i] ^ v;
    }
    for (int t = 0; t < RT_COUNT; t++) {
        size_t body = kstrlen(prefixes[t]) - 1; /* after the '@' */
        uint16_t whole = proto_crc16(prefixes[t] + 1, body),
                 but_last = proto_crc16(prefixes[t] + 1, body - 1);
        prefix_crc[t][0] = memory_order(whole);
        prefix_crc[t][1] = memory_order(but_last);
    }
    format_ready = 1;
}

/* " *CCCC\n" and a NUL at p, CCCC being crc; returns where the line ends. */
static inline __attribute__((always_inline)) char *seal(char *p, uint16_t crc)
{
    __builtin_memcpy(p, " *", 2);
    __builtin_memcpy(p + 2, HEX2 + 2 * (crc >> 8), 2);
    __builtin_memcpy(p + 4, HEX2 + 2 * (crc & 0xFF), 2);
    __builtin_memcpy(p + 6, "\n", 2); /* and the NUL */
    return p + 7;
}

/* Ends the line of kind t whose prefix ends at from and fields at p: with
 * trim (a kind with text), trailing spaces (an empty text) go, never into
 * the prefix, which ends with its wire name; then the CRC of the fields
 * after the prefix's, and the seal. Returns the line's length. */
static inline __attribute__((always_inline)) size_t end_line(char *buf, char *p, const char *from,
                                                             enum record_type t, int trim)
{
    size_t odd;
    if (trim)
        while (p[-1] == ' ')
            p--;
    odd = (size_t)(p - from) & 1;
    return (size_t)(seal(p, from_memory_order(crc_over_pairs(prefix_crc[t][odd], from - odd, p))) - buf);
}

/* Per kind, from its row: RESERVE_<member>, the room its fields may take
 * besides its texts (an ID keeps it for the fields after it), and
 * TEXTY_<member>, whether it has a text field that may be empty. */
#define WORDSET(set, ws)
#define F(kind, name)                         +FIELD_MAX_##kind
#define L(word)                               +sizeof(" " #word) - 1
#define RECORD(id, member, wire, cls, fields) enum { RESERVE_##member = 0 fields };
#include <koiz/records.def>
#undef F
#undef L
#undef RECORD
#define F(kind, name) | TEXTY_##kind
#define L(word)
#define RECORD(id, member, wire, cls, fields) enum { TEXTY_##member = 0 fields };
#include <koiz/records.def>
#undef F
#undef L
#undef RECORD

/* rec_line_<member>: the prefix as constant bytes, each field after its
 * space, the seal. */
#define F(kind, name) \
    *p++ = ' ';       \
    p = PUT_##kind(p, end, f->name);
#define L(word)                                            \
    __builtin_memcpy(p, " " #word, sizeof(" " #word) - 1); \
    p += sizeof(" " #word) - 1;
#define RECORD(id, member, wire, cls, fields)                                                   \
    size_t rec_line_##member(char *buf, const struct rec_##member *f)                           \
    {                                                                                           \
        const size_t prefix_len = sizeof(PROTO_MARK " " #wire) - 1, reserve = RESERVE_##member; \
        const char *end = buf + PROTO_LINE_MAX + 1 - TAIL;                                      \
        char *p = buf + prefix_len;                                                             \
        (void)end;                                                                              \
        (void)reserve;                                                                          \
        if (!format_ready)                                                                      \
            format_tables();                                                                    \
        __builtin_memcpy(buf, PROTO_MARK " " #wire, prefix_len);                                \
        fields return end_line(buf, p, buf + prefix_len, RT_##id, TEXTY_##member);              \
    }
#include <koiz/records.def>
#undef F
#undef L
#undef RECORD

/* The same, any kind: for rec_format, which knows the kind as a number. */
#define RECORD(id, member, wire, cls, fields)                \
    static size_t line_of_##member(char *buf, const void *f) \
    {                                                        \
        return rec_line_##member(buf, f);                    \
    }
#include <koiz/records.def>
#undef RECORD
#define RECORD(id, member, wire, cls, fields) [RT_##id] = line_of_##member,
static size_t (*const line_of[RT_COUNT])(char *buf, const void *fields) = {
#include <koiz/records.def>
};
#undef WORDSET
#undef RECORD

size_t rec_format(char *buf, size_t size, enum record_type t, const void *fields)
{
    char whole[PROTO_LINE_MAX + 1];
    size_t n;

    if (size > PROTO_LINE_MAX + 1)
        size = PROTO_LINE_MAX + 1;
    if ((unsigned)t >= RT_COUNT || size < 24) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    if (size == PROTO_LINE_MAX + 1)
        return line_of[t](buf, fields);
    /* A buffer short of a whole line: the line elsewhere, then its first size - TAIL
     * bytes without the spaces they may end with, sealed anew. */
    n = line_of[t](whole, fields) - 7;
    if (n > size - TAIL)
        n = size - TAIL;
    while (n > 1 && whole[n - 1] == ' ')
        n--;
    kmemcpy(buf, whole, n);
    return (size_t)(seal(buf + n, proto_crc16(buf + 1, n - 1)) - buf);
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
