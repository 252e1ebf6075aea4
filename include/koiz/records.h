/*
 * records.h: the telemetry protocol's record kinds as C, made from the one
 * list in records.def, for the kernel's emitter and every reader alike:
 *
 *   enum record_type          RT_MAP, RT_FAULT, ... one per row
 *   enum word_<SET>           SIZE_4K, OUTCOME_COPIED, ... one per word
 *   struct rec_<member>       a record's fields, by name
 *   struct record             any record, parsed: its type and fields
 *   rec_line_<member>(buf, &fields)   one formatted line: the kind's own formatter
 *   rec_format_<member>(buf, size, &fields)   the same, into a buffer of any size
 *   rec_scan(body, len, &record)       the fields of one line's body
 *   record_descs[]            the table both are driven by
 *
 * lib/records.c formats with code made from each row and scans from the
 * table; nothing here knows a record by hand. Pure C, freestanding.
 */
#ifndef KOIZ_RECORDS_H
#define KOIZ_RECORDS_H

#include <stddef.h>
#include <stdint.h>

/* A stretch of text: an ID or TEXT field. Scanned ones point into the line. */
struct text {
    const char *s;
    size_t len;
};

/* ---- word sets ---- */

/* (clang-format would take the macro's body for a declaration) */
/* clang-format off */
#define WORDSET(set, words) enum word_##set { words set##_WORDS };
/* clang-format on */
#define W(name, word) name,
#define RECORD(id, member, wire, cls, fields)
#include "records.def"
#undef WORDSET
#undef W
#undef RECORD

enum word_set {
#define WORDSET(set, words) WS_##set,
#define RECORD(id, member, wire, cls, fields)
#include "records.def"
#undef WORDSET
#undef RECORD
    WORD_SETS
};

/* The longest word of any set, in bytes (lib/tests/test_records checks). */
#define WORD_MAX 16

/* The words of each set, in enum order: word_names[WS_OUTCOME][OUTCOME_COPIED] is "copied". */
extern const char *const *const word_names[WORD_SETS];
extern const uint8_t word_counts[WORD_SETS];
/* word_names[set][w], or "?" out of range. */
const char *word_name(enum word_set set, unsigned w);

/* ---- kinds ---- */

/* What kind of record a kind is (records.def says each). */
enum record_class { RC_TEXT, RC_SNAPSHOT, RC_EVENT, RC_LOSS };

enum record_type {
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields) RT_##id,
#include "records.def"
#undef WORDSET
#undef RECORD
    RT_COUNT
};

/* ---- fields ---- */

#define FIELD_TYPE_U       uint32_t
#define FIELD_TYPE_X       uint32_t
#define FIELD_TYPE_FLAG    uint32_t
#define FIELD_TYPE_ID      struct text
#define FIELD_TYPE_TEXT    struct text
#define FIELD_TYPE_SIZE    enum word_SIZE
#define FIELD_TYPE_OUTCOME enum word_OUTCOME
#define FIELD_TYPE_LOSS    enum word_LOSS
#define FIELD_TYPE_ROUND   enum word_ROUND
#define FIELD_TYPE_OWNER   enum word_OWNER
#define FIELD_TYPE_HOLDS   enum word_HOLDS
#define FIELD_TYPE_CHANGE  enum word_CHANGE

#define WORDSET(set, words)
#define F(kind, name) FIELD_TYPE_##kind name;
#define L(word)
#define RECORD(id, member, wire, cls, fields) \
    struct rec_##member {                     \
        fields                                \
    };
#include "records.def"
#undef WORDSET
#undef F
#undef L
#undef RECORD

/*
 * Any record, parsed. tick and asid repeat the fields of those names for
 * the kinds that have them (0 otherwise), so code about every record
 * (timestamps, which space) needs no case per kind.
 */
struct record {
    enum record_type type;
    uint32_t tick, asid;
    union {
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields) struct rec_##member member;
#include "records.def"
#undef WORDSET
#undef RECORD
    } u;
};

/* ---- the table ---- */

enum field_kind { FK_END, FK_U, FK_X, FK_FLAG, FK_ID, FK_TEXT, FK_WORD, FK_LIT };

struct field_desc {
    uint8_t kind;     /* enum field_kind */
    uint8_t set;      /* enum word_set, for FK_WORD */
    uint16_t offset;  /* in the kind's struct rec_<member> */
    const char *name; /* the field's name, or the word of an FK_LIT */
    uint8_t name_len; /* strlen(name) */
};

#define RECORD_FIELDS_MAX 8
struct record_desc {
    const char *wire;   /* "map", "ptab", ... */
    uint8_t wire_len;   /* strlen(wire) */
    const char *member; /* "map", "ptab_alloc", ...: the row's own name */
    enum record_class cls;
    int tick, asid;                              /* offsets of the fields of those names, -1 when none */
    struct field_desc fields[RECORD_FIELDS_MAX]; /* FK_END after the last */
};
/* The table, filled from records.def on first use (records_table()). */
const struct record_desc *records_table(void);
/* Each kind's class (an enum record_class), without the table: for the
 * kernel's path of every record. */
extern const uint8_t record_classes[RT_COUNT];

/* ---- formatting and scanning ---- */

/*
 * Formats a record of type t whose fields are *fields (its struct
 * rec_<member>) as one line, "@KZ1 <wire> <fields> *CCCC\n", into buf;
 * returns its length (0 when size is too small for any record). Text that
 * does not fit is cut (an ID before other fields is cut so that they keep
 * their room; a line cut by a small buffer ends where the buffer does); a
 * newline, a carriage return or a '*' in text becomes a space, an '@' a
 * '?', so a field never ends or starts a record. The one formatter of the
 * tree: the kernel's records, koiz-view's tests and tools all use it.
 */
size_t rec_format(char *buf, size_t size, enum record_type t, const void *fields);

/*
 * The formatter of one kind, which rec_format calls: the same line into a
 * buffer of a whole line's room (PROTO_LINE_MAX + 1 bytes, protocol.h),
 * nothing checked; returns its length. For the kernel's path of every
 * record (telemetry/send.c): rec_line_map(line, &(struct rec_map){ ... }).
 */
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields) \
    size_t rec_line_##member(char *buf, const struct rec_##member *f);
#include "records.def"
#undef WORDSET
#undef RECORD

/* The typed form of rec_format, one per kind: rec_format_map(buf, size, &(struct rec_map){ ... }). */
#define WORDSET(set, words)
#define RECORD(id, member, wire, cls, fields)                                                      \
    static inline size_t rec_format_##member(char *buf, size_t size, const struct rec_##member *f) \
    {                                                                                              \
        return rec_format(buf, size, RT_##id, f);                                                  \
    }
#include "records.def"
#undef WORDSET
#undef RECORD

/*
 * Scans a record's body ("map 5 1 8000000 4k 1 141007": the wire name and
 * the fields, without the marker and checksum) into *r, trying each kind
 * of that wire name in records.def's order. 0 on success; -1 when the
 * wire name is unknown or no kind's fields fit. Text fields point into
 * body.
 */
int rec_scan(const char *body, size_t len, struct record *r);

/* A text field of a NUL-terminated string. */
static inline struct text text_of(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return (struct text){s, n};
}

#endif
