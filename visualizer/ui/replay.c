/*
 * replay.c: paced playback of a recorded stream (replay.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "replay.h"

int replay_open(struct replay *r, const char *path, char *err, size_t errsz)
{
    memset(r, 0, sizeof *r);
    r->rate = 500;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errsz, "cannot read %s: it is a directory", path);
        fclose(f);
        return -1;
    }
    if ((uint64_t)st.st_size > REPLAY_MAX) {
        snprintf(err, errsz,
                 "%s is %llu MiB: a replay in the window holds the whole recording, %u MiB at most "
                 "(koiz-view --dump or --headless reads any size)",
                 path, (unsigned long long)(st.st_size >> 20), REPLAY_MAX >> 20);
        fclose(f);
        return -1;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    r->data = malloc(cap);
    size_t n;
    bool too_big = false;
    while (r->data && (n = fread(r->data + r->len, 1, cap - r->len, f)) > 0) {
        r->len += n;
        if (r->len == cap) { /* it grew since stat */
            char *grown = cap * 2 <= REPLAY_MAX ? realloc(r->data, cap * 2) : NULL;
            if (!grown) {
                too_big = true;
                break;
            }
            r->data = grown;
            cap *= 2;
        }
    }
    int e = errno;
    bool bad = ferror(f) || !r->data || too_big;
    fclose(f);
    if (bad) {
        /* Never a replay of part of a file that looks whole. */
        if (!r->data || too_big)
            snprintf(err, errsz, "cannot read %s: out of memory after %zu of its bytes", path, r->len);
        else
            snprintf(err, errsz, "cannot read %s: %s (after %zu bytes)", path, strerror(e), r->len);
        replay_close(r);
        return -1;
    }
    return 0;
}

void replay_close(struct replay *r)
{
    free(r->data);
    r->data = NULL;
    r->len = r->pos = 0;
}

bool replay_done(const struct replay *r)
{
    return r->pos >= r->len;
}

uint64_t feed_lines(struct parser *p, const char *data, size_t len, size_t *pos, uint64_t limit, bool last)
{
    uint64_t before = p->stats.records;
    while (*pos < len && p->stats.records < limit) {
        const char *start = data + *pos;
        const char *nl = memchr(start, '\n', len - *pos);
        if (!nl && !last)
            break;
        size_t n = nl ? (size_t)(nl - start) + 1 : len - *pos;
        parser_feed(p, start, n);
        *pos += n;
    }
    return p->stats.records - before;
}

uint64_t replay_step(struct replay *r, struct parser *p, uint64_t n)
{
    bool was_done = replay_done(r);
    uint64_t fed = feed_lines(p, r->data, r->len, &r->pos, p->stats.records + n, true);
    if (replay_done(r) && !was_done)
        parser_finish(p);
    return fed;
}

uint64_t replay_tick(struct replay *r, struct parser *p, double dt)
{
    if (r->paused || replay_done(r))
        return 0;
    r->credit += r->rate * dt;
    uint64_t owed = (uint64_t)r->credit;
    if (!owed)
        return 0;
    r->credit -= (double)owed;
    return replay_step(r, p, owed);
}
