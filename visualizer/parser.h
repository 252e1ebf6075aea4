/*
 * parser.h: turns the telemetry byte stream (docs/protocol.md) into typed
 * records (record.h) for the model. Bytes may come in any chunking; lines
 * are split with a fixed buffer, so a line of megabytes costs no memory: only
 * its last PROTO_LINE_MAX bytes are kept, which is where a record sits when
 * it starts in the middle of a Bochs line (a record runs to the line's end).
 *
 * Every line lands in exactly one of: records, noise, bad_checksum,
 * bad_fields, other_version. Pure C, no SDL.
 */
#ifndef KOIZ_VIEW_PARSER_H
#define KOIZ_VIEW_PARSER_H

#include <stdint.h>
#include <stdio.h>
#include <koiz/protocol.h>
#include "model.h"
#include "record.h"

enum parse_result {
    PARSE_RECORD,        /* a valid record, fields checked: *out filled */
    PARSE_NOISE,         /* no record marker: Bochs output, plain console text, garbage */
    PARSE_BAD_CHECKSUM,  /* "@KZ1" present but no line from it validates (cut, corrupted) */
    PARSE_BAD_FIELDS,    /* checksum right, fields wrong: unknown type, count, range, syntax */
    PARSE_OTHER_VERSION, /* a well-formed record of another protocol version */
};

struct parser_stats {
    uint64_t bytes, lines;
    uint64_t records, noise, bad_checksum, bad_fields, other_version;
    uint64_t long_lines;        /* lines over PROTO_LINE_MAX (also in one of the above) */
    uint64_t by_type[RT_COUNT]; /* records of each type */
};

struct parser {
    struct model *model;          /* where records go; may be NULL (stats only) */
    char buf[2 * PROTO_LINE_MAX]; /* the current line, or its last bytes */
    size_t len;                   /* bytes in buf */
    uint64_t line_bytes;          /* bytes of the current line so far */
    struct parser_stats stats;
    uint32_t other_version; /* first unknown version seen, 0 when none */
    uint64_t line_start;    /* the offset in the stream of the current line's first byte */
    /* Told each record after it was applied, with where its line starts (the time
     * machine's index of a live stream); NULL for none. */
    void (*on_record)(void *ctx, const struct record *r, uint64_t line_start);
    void *record_ctx;
    char status[160]; /* a message for people, "" when all is well */
};

/* Starts a parser that applies records to m. */
void parser_init(struct parser *p, struct model *m);

/* Consumes bytes: every line they complete is parsed and its record applied. */
void parser_feed(struct parser *p, const void *data, size_t len);

/* End of stream: a last line without its newline is parsed too. */
void parser_finish(struct parser *p);

/* Feeds everything left in f, then parser_finish. Returns -1 on a read error, else 0. */
int parser_feed_file(struct parser *p, FILE *f);

/* "" normally; once a record of an unknown version arrived, a sentence saying so. */
const char *parser_status(const struct parser *p);

/*
 * Parses one line (without its '\n'; a trailing '\r' is allowed). Looks for
 * the marker anywhere in the line's last PROTO_LINE_MAX bytes. On
 * PARSE_RECORD fills *out, whose text fields point into line. On
 * PARSE_OTHER_VERSION stores that version in *version (may be NULL).
 */
enum parse_result parse_line(const char *line, size_t len, struct record *out, uint32_t *version);

#endif
