/*
 * feed.h: helpers shared by the visualizer's tests: build records with the
 * kernel's own formatter (proto_format) and feed them through a parser into a
 * model, keep a whole stream in memory, and compare models by their dumps.
 */
#ifndef KOIZ_VIEW_TESTS_FEED_H
#define KOIZ_VIEW_TESTS_FEED_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <koiz/protocol.h>
#include "model.h"
#include "parser.h"

/* A growing text buffer holding a stream. */
struct stream {
    char *data;
    size_t len, cap;
};

static inline void stream_add(struct stream *s, const char *bytes, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->data = realloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, bytes, n);
    s->len += n;
    s->data[s->len] = '\0';
}

/* Appends one record, "type fields", formatted like the kernel does it. */
static inline void __attribute__((format(printf, 3, 4)))
rec(struct stream *s, const char *type, const char *fmt, ...)
{
    char fields[PROTO_LINE_MAX * 2], line[PROTO_LINE_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    size_t n = proto_format(line, sizeof line, type, "%s", fields);
    stream_add(s, line, n);
}

static inline void raw(struct stream *s, const char *text)
{
    stream_add(s, text, strlen(text));
}

/* One record straight into a parser (and its model). */
static inline void __attribute__((format(printf, 3, 4)))
feed(struct parser *p, const char *type, const char *fmt, ...)
{
    char fields[PROTO_LINE_MAX * 2], line[PROTO_LINE_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    size_t n = proto_format(line, sizeof line, type, "%s", fields);
    parser_feed(p, line, n);
}

/* The model's dump as a malloc'd string. */
static inline char *dump_of(const struct model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    model_dump(m, f);
    fclose(f);
    return text;
}

#endif
