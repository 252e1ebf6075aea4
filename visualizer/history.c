/*
 * history.c: the time machine's memory of one stream (history.h): the
 * index of records in the stream's file, the marks, the checkpoints and the
 * entry changes, and seeking, entry and frame histories from them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "history.h"
#include "model_save.h"
#include "parser.h"

#define READ_CHUNK (1u << 20) /* bytes read from the stream's file at a time */
#define DIR_EVERY  64         /* changes (or frame references) per sparse-directory entry */

/* ---- reading the stream's file a line at a time ---- */

struct lines {
    int fd;
    char *buf;
    size_t len, at; /* bytes in buf; the next unread one */
    uint64_t pos;   /* the file offset of buf[0] */
    uint64_t start; /* the file offset of the current line's first byte */
    bool cut;       /* the current line's first bytes were let go (a line longer than the buffer) */
};

static int lines_init(struct lines *L, int fd, uint64_t offset)
{
    memset(L, 0, sizeof *L);
    L->fd = fd;
    L->pos = L->start = offset;
    L->buf = malloc(READ_CHUNK);
    return L->buf ? 0 : -1;
}

static void lines_free(struct lines *L)
{
    free(L->buf);
    L->buf = NULL;
}

/* The next line from the file (without its '\n'): 1 with *line, *len and
 * *start (where it begins in the file), 0 when the file holds no more whole
 * line (at its end, the rest is a line when final), -1 on a read error.
 * Only the last PROTO_LINE_MAX bytes of a long line can hold a record
 * (parser.h), so a line longer than the buffer keeps its end only. */
static int lines_next(struct lines *L, const char **line, size_t *len, uint64_t *start, bool final)
{
    for (;;) {
        char *nl = memchr(L->buf + L->at, '\n', L->len - L->at);
        if (nl) {
            *line = L->buf + L->at;
            *len = (size_t)(nl - *line);
            *start = L->cut ? L->start : L->pos + L->at;
            L->at = (size_t)(nl - L->buf) + 1;
            L->cut = false;
            L->start = L->pos + L->at;
            return 1;
        }
        /* No newline in what is held: make room, then read more. */
        if (L->at > 0) {
            if (!L->cut)
                L->start = L->pos + L->at;
            memmove(L->buf, L->buf + L->at, L->len - L->at);
            L->pos += L->at;
            L->len -= L->at;
            L->at = 0;
        }
        if (L->len == READ_CHUNK) { /* one line fills the buffer: keep its end */
            size_t keep = 2 * PROTO_LINE_MAX;
            if (!L->cut)
                L->start = L->pos;
            memmove(L->buf, L->buf + L->len - keep, keep);
            L->pos += L->len - keep;
            L->len = keep;
            L->cut = true;
        }
        ssize_t n = pread(L->fd, L->buf + L->len, READ_CHUNK - L->len, (off_t)(L->pos + L->len));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            if (final && L->len > L->at) {
                *line = L->buf + L->at;
                *len = L->len - L->at;
                *start = L->cut ? L->start : L->pos + L->at;
                L->at = L->len;
                L->cut = false;
                L->start = L->pos + L->at;
                return 1;
            }
            return 0;
        }
        L->len += (size_t)n;
    }
}

/* The file offset just past what lines_next returned so far. */
static uint64_t lines_offset(const struct lines *L)
{
    return L->cut ? L->start : L->pos + L->at;
}

/* ---- the history ---- */

struct block {
    uint64_t offset; /* where the line of its first record starts */
    uint32_t tick;   /* the tick at the moment before its first record */
};

struct checkpoint {
    uint64_t moment; /* the model after this many records */
    uint64_t offset; /* where the line of record #moment starts (0 for moment 0) */
    uint64_t at;     /* its bytes in the checkpoint file */
    uint32_t len;
};

/* One change as kept: its moment relative to its segment's first. */
struct change {
    uint32_t moment, tick, key, va, old, new;
};

struct frame_ref {
    uint32_t frame, change; /* the change's index in its segment's sorted list */
};

/* The changes of one stretch between checkpoints, on disk, sorted. */
struct segment {
    uint64_t first;                 /* moments first+1 .. are in it */
    uint64_t changes_at, frames_at; /* in the change file */
    uint32_t nchanges, nframes;
    uint64_t *dir;  /* key<<32|va of every DIR_EVERY-th change */
    uint32_t *fdir; /* the frame of every DIR_EVERY-th frame reference */
};

struct history {
    int fd; /* the stream's file */
    bool live;
    uint64_t size; /* a recording's size when opened */
    char path[512];

    /* the index */
    struct block *blocks;
    size_t nblocks, blocks_cap;
    uint64_t records; /* indexed */
    uint32_t tick;    /* the tick after the last indexed record */
    bool in_round;    /* the index pass is inside a round */
    struct lines index_lines;
    bool indexed_all;

    struct mark *marks;
    size_t nmarks, marks_cap;

    /* the builder: a model of its own for recordings, the caller's for a live stream */
    struct model *bm;
    bool own_bm;
    void (*applied)(void *ctx, const struct model *m, const struct record *r, uint64_t moment);
    void *applied_ctx;
    uint64_t built; /* records applied to bm */
    struct lines build_lines;
    bool built_all;

    FILE *ckfile, *chfile;
    uint64_t ckfile_len, chfile_len;
    struct checkpoint *cks;
    size_t ncks, cks_cap;
    struct model_blob blob;

    struct change *open; /* changes since the last checkpoint, in moment order */
    size_t nopen, open_cap;
    uint64_t open_first; /* the moment the open segment starts after */
    struct segment *segs;
    size_t nsegs, segs_cap;
    bool failed;    /* a temporary file could not be written: no more checkpoints or changes */
    uint64_t every; /* records between checkpoints */
};

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 256;
    void *g = realloc(*p, c * size);
    if (!g)
        return false;
    *p = g;
    *cap = c;
    return true;
}

static const char *const mark_names[MARK_KINDS] = {
    "fault", "space create", "space destroy", "snapshot", "loss", "warning", "panic", "failed test",
};

const char *mark_kind_name(int kind)
{
    return kind >= 0 && kind < MARK_KINDS ? mark_names[kind] : "any mark";
}

static void on_change(void *ctx, const struct entry_change *c)
{
    struct history *h = ctx;
    if (h->failed || !grow((void **)&h->open, &h->open_cap, h->nopen, sizeof *h->open))
        return;
    /* the record being applied is the next one: its moment is built + 1 */
    h->open[h->nopen++] =
        (struct change){(uint32_t)(h->built + 1 - h->open_first), h->bm->tick, c->key, c->va, c->old, c->new};
}

static struct history *history_new(const char *path, bool live, char *err, size_t errsz)
{
    struct history *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    h->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0) {
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
        free(h);
        return NULL;
    }
    struct stat st;
    if (fstat(h->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errsz, "cannot read %s: it is a directory", path);
        close(h->fd);
        free(h);
        return NULL;
    }
    if (fstat(h->fd, &st) == 0)
        h->size = (uint64_t)st.st_size;
    snprintf(h->path, sizeof h->path, "%s", path);
    h->live = live;
    h->every = HISTORY_CHECKPOINT;
    h->ckfile = tmpfile();
    h->chfile = tmpfile();
    if (!h->ckfile || !h->chfile || lines_init(&h->index_lines, h->fd, 0) < 0 ||
        lines_init(&h->build_lines, h->fd, 0) < 0) {
        snprintf(err, errsz, "cannot make the time machine's temporary files: %s", strerror(errno));
        history_close(h);
        return NULL;
    }
    return h;
}

struct history *history_open_file(const char *path, char *err, size_t errsz)
{
    struct history *h = history_new(path, false, err, errsz);
    if (!h)
        return NULL;
    h->bm = model_new();
    h->own_bm = true;
    if (!h->bm) {
        snprintf(err, errsz, "out of memory");
        history_close(h);
        return NULL;
    }
    history_watch(h, h->bm);
    return h;
}

struct history *history_open_live(const char *path, char *err, size_t errsz)
{
    return history_new(path, true, err, errsz);
}

void history_close(struct history *h)
{
    if (!h)
        return;
    if (h->fd >= 0)
        close(h->fd);
    if (h->ckfile)
        fclose(h->ckfile);
    if (h->chfile)
        fclose(h->chfile);
    lines_free(&h->index_lines);
    lines_free(&h->build_lines);
    if (h->own_bm)
        model_free(h->bm);
    else if (h->bm)
        h->bm->on_change = NULL;
    for (size_t i = 0; i < h->nsegs; i++) {
        free(h->segs[i].dir);
        free(h->segs[i].fdir);
    }
    free(h->segs);
    free(h->open);
    free(h->cks);
    free(h->blob.data);
    free(h->blocks);
    free(h->marks);
    free(h);
}

void history_watch(struct history *h, struct model *m)
{
    h->bm = m;
    m->on_change = on_change;
    m->change_ctx = h;
}

void history_on_applied(struct history *h,
                        void (*fn)(void *ctx, const struct model *m, const struct record *r, uint64_t moment),
                        void *ctx)
{
    h->applied = fn;
    h->applied_ctx = ctx;
}

struct model *history_build_model(struct history *h)
{
    return h->bm;
}

/* ---- the index ---- */

static void add_mark(struct history *h, const struct record *r, int kind, uint32_t va, uint8_t sub)
{
    if (!grow((void **)&h->marks, &h->marks_cap, h->nmarks, sizeof *h->marks))
        return;
    h->marks[h->nmarks++] = (struct mark){h->records, h->tick, r->asid, va, (uint8_t)kind, sub};
}

/* Record r, whose line starts at offset, is the next one: #records + 1. */
static void index_record(struct history *h, const struct record *r, uint64_t offset)
{
    if (h->records % HISTORY_BLOCK == 0) {
        if (!grow((void **)&h->blocks, &h->blocks_cap, h->nblocks, sizeof *h->blocks))
            return; /* out of memory: the index stops growing (history_moments says where) */
        h->blocks[h->nblocks++] = (struct block){offset, h->tick};
    }
    h->records++;
    if (r->tick)
        h->tick = r->tick;
    switch (r->type) {
    case RT_FAULT: add_mark(h, r, MARK_FAULT, r->u.fault.cr2, (uint8_t)r->u.fault.outcome); break;
    case RT_SPACE_CREATE:
    case RT_FORK: add_mark(h, r, MARK_SPACE_CREATE, 0, 0); break;
    case RT_SPACE_DESTROY: add_mark(h, r, MARK_SPACE_DESTROY, 0, 0); break;
    case RT_ROUND:
        h->in_round = true;
        add_mark(h, r, MARK_SNAPSHOT, 0, 0);
        break;
    case RT_SYNC: h->in_round = false; break;
    case RT_SNAP:
        if (!h->in_round)
            add_mark(h, r, MARK_SNAPSHOT, 0, 0);
        break;
    case RT_LOSS:
    case RT_DROP:
    case RT_DROP_V1: add_mark(h, r, MARK_LOSS, 0, 0); break;
    case RT_WARN: add_mark(h, r, MARK_WARN, 0, 0); break;
    case RT_PANIC: add_mark(h, r, MARK_PANIC, 0, 0); break;
    case RT_TEST_FAIL: add_mark(h, r, MARK_TEST_FAIL, 0, 0); break;
    case RT_HELLO: h->in_round = false; break;
    default: break;
    }
}

bool history_index_step(struct history *h, size_t budget)
{
    const char *line;
    size_t len;
    uint64_t start, from = lines_offset(&h->index_lines);
    struct record r;
    int got;
    if (h->indexed_all || h->live)
        return true;
    while (lines_offset(&h->index_lines) - from < budget &&
           (got = lines_next(&h->index_lines, &line, &len, &start, true)) > 0)
        if (parse_line(line, len, &r, NULL) == PARSE_RECORD)
            index_record(h, &r, start);
    if (lines_offset(&h->index_lines) - from < budget)
        h->indexed_all = true; /* the end (or a read error: what was read is the stream) */
    return h->indexed_all;
}

/* ---- checkpoints and changes ---- */

static bool write_at(FILE *f, uint64_t *len, const void *data, size_t n, uint64_t *at)
{
    *at = *len;
    if (n && pwrite(fileno(f), data, n, (off_t)*len) != (ssize_t)n)
        return false;
    *len += n;
    return true;
}

static int by_entry(const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    uint64_t kx = (uint64_t)x->key << 32 | x->va, ky = (uint64_t)y->key << 32 | y->va;
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return x->moment < y->moment ? -1 : x->moment > y->moment;
}

static int by_frame(const void *a, const void *b)
{
    const struct frame_ref *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->change < y->change ? -1 : x->change > y->change;
}

/* The frame an entry maps, or UINT32_MAX when it maps none. */
static uint32_t entry_frame(uint32_t va, uint32_t e)
{
    if (!(e & PTE_P))
        return UINT32_MAX;
    if (va & CHANGE_DIR)
        return (e & PDE_PS) ? large_frame_of(e) >> PAGE_SHIFT : UINT32_MAX; /* a table is not a mapping */
    return frame_of(e) >> PAGE_SHIFT;
}

/* The open changes become a segment on disk, sorted by entry and by frame. */
static void close_segment(struct history *h)
{
    struct segment s = {.first = h->open_first, .nchanges = (uint32_t)h->nopen};
    struct frame_ref *refs = NULL;
    size_t nrefs = 0;
    bool ok = !h->failed;
    if (ok && h->nopen) {
        qsort(h->open, h->nopen, sizeof *h->open, by_entry);
        refs = malloc(2 * h->nopen * sizeof *refs);
        s.dir = malloc((h->nopen / DIR_EVERY + 1) * sizeof *s.dir);
        ok = refs && s.dir;
        for (size_t i = 0; ok && i < h->nopen; i++) {
            const struct change *c = &h->open[i];
            uint32_t fo = entry_frame(c->va, c->old), fn = entry_frame(c->va, c->new);
            if (fo != UINT32_MAX)
                refs[nrefs++] = (struct frame_ref){fo, (uint32_t)i};
            if (fn != UINT32_MAX && fn != fo)
                refs[nrefs++] = (struct frame_ref){fn, (uint32_t)i};
            if (i % DIR_EVERY == 0)
                s.dir[i / DIR_EVERY] = (uint64_t)c->key << 32 | c->va;
        }
        if (ok)
            qsort(refs, nrefs, sizeof *refs, by_frame);
        s.nframes = (uint32_t)nrefs;
        s.fdir = ok ? malloc((nrefs / DIR_EVERY + 1) * sizeof *s.fdir) : NULL;
        ok = ok && s.fdir;
        for (size_t i = 0; ok && i < nrefs; i += DIR_EVERY)
            s.fdir[i / DIR_EVERY] = refs[i].frame;
        ok = ok && write_at(h->chfile, &h->chfile_len, h->open, h->nopen * sizeof *h->open, &s.changes_at) &&
             write_at(h->chfile, &h->chfile_len, refs, nrefs * sizeof *refs, &s.frames_at);
    }
    if (ok && grow((void **)&h->segs, &h->segs_cap, h->nsegs, sizeof *h->segs)) {
        h->segs[h->nsegs++] = s;
    } else {
        free(s.dir);
        free(s.fdir);
        h->failed = true;
    }
    free(refs);
    h->nopen = 0;
    h->open_first = h->built;
}

/* The builder's model is at moment h->built, and the line of that record starts at offset. */
static void maybe_checkpoint(struct history *h, uint64_t offset)
{
    if (h->built % h->every != 0 || h->failed)
        return;
    close_segment(h);
    h->blob.len = 0;
    struct checkpoint c = {.moment = h->built, .offset = offset};
    if (model_save(h->bm, &h->blob) != 0 ||
        !write_at(h->ckfile, &h->ckfile_len, h->blob.data, h->blob.len, &c.at) ||
        !grow((void **)&h->cks, &h->cks_cap, h->ncks, sizeof *h->cks)) {
        h->failed = true;
        return;
    }
    c.len = (uint32_t)h->blob.len;
    h->cks[h->ncks++] = c;
}

bool history_build_step(struct history *h, size_t budget)
{
    const char *line;
    size_t len;
    uint64_t start, from = lines_offset(&h->build_lines);
    struct record r;
    if (h->live || h->built_all)
        return true;
    while (h->built < h->records && lines_offset(&h->build_lines) - from < budget &&
           lines_next(&h->build_lines, &line, &len, &start, true) > 0)
        if (parse_line(line, len, &r, NULL) == PARSE_RECORD) {
            model_apply(h->bm, &r);
            h->built++;
            if (h->applied)
                h->applied(h->applied_ctx, h->bm, &r, h->built);
            maybe_checkpoint(h, start);
        }
    if (h->built == h->records && h->indexed_all)
        h->built_all = true;
    return h->built_all;
}

void history_live_record(struct history *h, const struct record *r, uint64_t line_start)
{
    index_record(h, r, line_start);
    h->built = h->records;
    maybe_checkpoint(h, line_start);
}

void history_checkpoint_every(struct history *h, uint64_t n)
{
    h->every = n ? n : HISTORY_CHECKPOINT;
}

void history_progress(const struct history *h, uint64_t *indexed, uint64_t *built, uint64_t *size)
{
    *indexed = h->live ? h->size : lines_offset(&h->index_lines);
    *built = h->live ? h->size : lines_offset(&h->build_lines);
    *size = h->size;
}

void history_disk(const struct history *h, uint64_t *checkpoints, uint64_t *changes)
{
    *checkpoints = h->ckfile_len;
    *changes = h->chfile_len;
}

/* ---- moments ---- */

uint64_t history_moments(const struct history *h)
{
    return h->records;
}

uint64_t history_built(const struct history *h)
{
    return h->built;
}

uint64_t history_checkpoint_before(const struct history *h, uint64_t n)
{
    size_t lo = 0, hi = h->ncks;
    while (lo < hi) { /* the first checkpoint past n */
        size_t mid = (lo + hi) / 2;
        if (h->cks[mid].moment <= n)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? h->cks[lo - 1].moment : 0;
}

/* Reads records from the line at offset, whose first record is #(first + 1), applying
 * to m every one past *at up to moment n. Returns 0, or -1 on a read error. */
static int replay(struct history *h, struct model *m, uint64_t offset, uint64_t first, uint64_t n,
                  uint64_t *at)
{
    struct lines L;
    const char *line;
    size_t len;
    uint64_t start, k = first;
    struct record r;
    int got = 0;
    if (lines_init(&L, h->fd, offset) < 0)
        return -1;
    while (*at < n && (got = lines_next(&L, &line, &len, &start, !h->live)) > 0)
        if (parse_line(line, len, &r, NULL) == PARSE_RECORD && ++k > *at) {
            model_apply(m, &r);
            *at = k;
        }
    lines_free(&L);
    return got < 0 || *at < n ? -1 : 0;
}

int history_seek(struct history *h, struct model *m, uint64_t n, uint64_t *at)
{
    uint64_t here = at ? *at : UINT64_MAX, c = 0;
    struct checkpoint *ck = NULL;
    if (n > h->records)
        n = h->records;
    for (size_t lo = 0, hi = h->ncks; lo < hi;) { /* the last checkpoint at or before n */
        size_t mid = (lo + hi) / 2;
        if (h->cks[mid].moment <= n) {
            ck = &h->cks[mid];
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    c = ck ? ck->moment : 0;
    if (here == UINT64_MAX || here > n || here < c) {
        /* from the checkpoint (moment 0 is an empty model) */
        if (ck) {
            void *data = malloc(ck->len);
            bool ok = data && pread(fileno(h->ckfile), data, ck->len, (off_t)ck->at) == (ssize_t)ck->len &&
                      model_load(m, data, ck->len) == 0;
            free(data);
            if (!ok) {
                if (at)
                    *at = 0;
                model_reset(m);
                return -1;
            }
        } else {
            void (*hook)(void *, const struct entry_change *) = m->on_change;
            m->on_change = NULL;
            uint64_t v = m->version, mv = m->map_version;
            model_reset(m);
            m->version = v + 1;
            m->map_version = mv + 1;
            m->on_change = hook;
        }
        here = c;
    }
    int rc = 0;
    if (here < n) {
        /* from the block holding record #(here + 1) */
        uint64_t b = here / HISTORY_BLOCK;
        uint64_t offset = ck && here == ck->moment ? ck->offset : h->blocks[b].offset;
        uint64_t first = ck && here == ck->moment ? (ck->moment ? ck->moment - 1 : 0) : b * HISTORY_BLOCK;
        rc = replay(h, m, offset, first, n, &here);
    }
    if (at)
        *at = here;
    return rc;
}

uint32_t history_tick_at(const struct history *h, uint64_t n)
{
    if (n >= h->records)
        return h->tick;
    /* from the tick its block starts with, through the block's records up to n */
    uint64_t b = n / HISTORY_BLOCK, k = b * HISTORY_BLOCK, start;
    uint32_t t = h->blocks[b].tick;
    struct lines L;
    const char *line;
    size_t len;
    struct record r;
    if (k == n || lines_init(&L, h->fd, h->blocks[b].offset) < 0)
        return t;
    while (k < n && lines_next(&L, &line, &len, &start, !h->live) > 0)
        if (parse_line(line, len, &r, NULL) == PARSE_RECORD) {
            k++;
            if (r.tick)
                t = r.tick;
        }
    lines_free(&L);
    return t;
}

uint64_t history_moment_at_tick(const struct history *h, uint32_t tick)
{
    /* the last block that starts at or before tick: the moment is in it or at its end */
    size_t lo = 0, hi = h->nblocks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->blocks[mid].tick <= tick)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    uint64_t k = (uint64_t)(lo - 1) * HISTORY_BLOCK;
    uint32_t t = h->blocks[lo - 1].tick;
    struct lines L;
    const char *line;
    size_t len;
    uint64_t start;
    struct record r;
    if (lines_init(&L, h->fd, h->blocks[lo - 1].offset) < 0)
        return k;
    while (k < h->records && lines_next(&L, &line, &len, &start, !h->live) > 0) {
        if (parse_line(line, len, &r, NULL) != PARSE_RECORD)
            continue;
        if (r.tick)
            t = r.tick;
        if (t > tick)
            break;
        k++; /* moment k's tick is at most tick */
    }
    lines_free(&L);
    return k;
}

/* ---- marks ---- */

const struct mark *history_marks(const struct history *h, size_t *count)
{
    *count = h->nmarks;
    return h->marks;
}

const struct mark *history_next_mark(const struct history *h, uint64_t n, int kind, bool forward)
{
    /* the first mark past moment n */
    size_t lo = 0, hi = h->nmarks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->marks[mid].moment <= n)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (forward) {
        for (size_t i = lo; i < h->nmarks; i++)
            if (kind == MARK_KINDS || h->marks[i].kind == kind)
                return &h->marks[i];
    } else {
        for (size_t i = lo; i-- > 0;)
            if (h->marks[i].moment < n && (kind == MARK_KINDS || h->marks[i].kind == kind))
                return &h->marks[i];
    }
    return NULL;
}

int history_record(struct history *h, uint64_t moment, struct record *r, char *buf, size_t size)
{
    if (moment == 0 || moment > h->records || size < PROTO_LINE_MAX)
        return -1;
    uint64_t b = (moment - 1) / HISTORY_BLOCK, k = b * HISTORY_BLOCK, start;
    struct lines L;
    const char *line;
    size_t len;
    int rc = -1;
    if (lines_init(&L, h->fd, h->blocks[b].offset) < 0)
        return -1;
    while (lines_next(&L, &line, &len, &start, !h->live) > 0) {
        if (len > PROTO_LINE_MAX) { /* only the end can hold a record */
            line += len - PROTO_LINE_MAX;
            len = PROTO_LINE_MAX;
        }
        memcpy(buf, line, len);
        if (parse_line(buf, len, r, NULL) == PARSE_RECORD && ++k == moment) {
            rc = 0;
            break;
        }
    }
    lines_free(&L);
    return rc;
}

#define FAULT_NEAR 8 /* records between a fault and the change that resolved it, at most */

const struct mark *history_fault_near(const struct history *h, uint64_t moment, uint32_t asid, uint32_t va)
{
    const struct mark *m =
        history_next_mark(h, moment > FAULT_NEAR ? moment - FAULT_NEAR - 1 : 0, MARK_FAULT, true);
    for (; m && m < h->marks + h->nmarks && m->moment <= moment + FAULT_NEAR; m++)
        if (m->kind == MARK_FAULT && (m->asid == asid || PDX(va) >= KERNEL_PDE_FIRST) &&
            (m->va & ~(PAGE_SIZE - 1)) == (va & ~(PAGE_SIZE - 1)))
            return m;
    return NULL;
}

/* ---- entry and frame histories ---- */

struct rows {
    struct history_row *rows;
    size_t max, n;
    const struct history *h;
};

static void row_add(struct rows *out, uint64_t moment, const struct change *c)
{
    if (out->n < out->max)
        out->rows[out->n] = (struct history_row){moment, c->tick, {c->key, c->va, c->old, c->new}};
    out->n++;
}

/* The changes of (key, va) in segment s, appended in moment order. */
static void segment_entry(struct history *h, const struct segment *s, uint32_t key, uint32_t va,
                          struct rows *out)
{
    uint64_t want = (uint64_t)key << 32 | va;
    size_t groups = (s->nchanges + DIR_EVERY - 1) / DIR_EVERY, lo = 0, hi = groups;
    while (lo < hi) { /* the first group starting at or past want */
        size_t mid = (lo + hi) / 2;
        if (s->dir[mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t from = lo ? (lo - 1) * DIR_EVERY : 0;
    struct change buf[DIR_EVERY];
    for (size_t i = from; i < s->nchanges; i += DIR_EVERY) {
        size_t n = s->nchanges - i < DIR_EVERY ? s->nchanges - i : DIR_EVERY;
        if (pread(fileno(h->chfile), buf, n * sizeof *buf, (off_t)(s->changes_at + i * sizeof *buf)) !=
            (ssize_t)(n * sizeof *buf))
            return;
        for (size_t k = 0; k < n; k++) {
            uint64_t key_va = (uint64_t)buf[k].key << 32 | buf[k].va;
            if (key_va > want)
                return;
            if (key_va == want)
                row_add(out, s->first + buf[k].moment, &buf[k]);
        }
    }
}

static int by_moment(const void *a, const void *b)
{
    const struct history_row *x = a, *y = b;
    if (x->moment != y->moment)
        return x->moment < y->moment ? -1 : 1;
    return (x->c.va & CHANGE_DIR) > (y->c.va & CHANGE_DIR) ? -1
                                                           : (x->c.va & CHANGE_DIR) < (y->c.va & CHANGE_DIR);
}

static void entry_rows(struct history *h, uint32_t key, uint32_t va, struct rows *out)
{
    for (size_t i = 0; i < h->nsegs; i++)
        if (h->segs[i].nchanges)
            segment_entry(h, &h->segs[i], key, va, out);
    for (size_t i = 0; i < h->nopen; i++)
        if (h->open[i].key == key && h->open[i].va == va)
            row_add(out, h->open_first + h->open[i].moment, &h->open[i]);
}

static void sort_rows(struct rows *out)
{
    qsort(out->rows, out->n < out->max ? out->n : out->max, sizeof *out->rows, by_moment);
}

size_t history_entry(struct history *h, uint32_t asid, uint32_t va, bool dir, struct history_row *rows,
                     size_t max)
{
    struct rows out = {rows, max, 0, h};
    uint32_t region = (va & ~(LARGE_PAGE_SIZE - 1)) | CHANGE_DIR;
    entry_rows(h, asid, region, &out); /* the directory entry: a table entry's too */
    if (!dir)
        entry_rows(h, PDX(va) >= KERNEL_PDE_FIRST ? MODEL_KERNEL_KEY : asid, va & ~(PAGE_SIZE - 1), &out);
    sort_rows(&out);
    return out.n;
}

/* The changes of segment s that mapped or map frame, appended. */
static void segment_frame(struct history *h, const struct segment *s, uint32_t frame, struct rows *out)
{
    size_t groups = (s->nframes + DIR_EVERY - 1) / DIR_EVERY, lo = 0, hi = groups;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->fdir[mid] < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t from = lo ? (lo - 1) * DIR_EVERY : 0;
    struct frame_ref buf[DIR_EVERY];
    for (size_t i = from; i < s->nframes; i += DIR_EVERY) {
        size_t n = s->nframes - i < DIR_EVERY ? s->nframes - i : DIR_EVERY;
        if (pread(fileno(h->chfile), buf, n * sizeof *buf, (off_t)(s->frames_at + i * sizeof *buf)) !=
            (ssize_t)(n * sizeof *buf))
            return;
        for (size_t k = 0; k < n; k++) {
            if (buf[k].frame > frame)
                return;
            if (buf[k].frame != frame)
                continue;
            struct change c;
            if (pread(fileno(h->chfile), &c, sizeof c, (off_t)(s->changes_at + buf[k].change * sizeof c)) ==
                (ssize_t)sizeof c)
                row_add(out, s->first + c.moment, &c);
        }
    }
}

size_t history_frame(struct history *h, uint32_t frame, struct history_row *rows, size_t max)
{
    struct rows out = {rows, max, 0, h};
    for (size_t i = 0; i < h->nsegs; i++)
        if (h->segs[i].nframes)
            segment_frame(h, &h->segs[i], frame, &out);
    for (size_t i = 0; i < h->nopen; i++) {
        const struct change *c = &h->open[i];
        if (entry_frame(c->va, c->old) == frame || entry_frame(c->va, c->new) == frame)
            row_add(&out, h->open_first + c->moment, c);
    }
    sort_rows(&out);
    return out.n;
}
