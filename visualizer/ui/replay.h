/*
 * replay.h: a recorded stream played back at a chosen pace: the whole file
 * (REPLAY_MAX bytes at most) is read into memory and fed to the parser a
 * record at a time, so a replay can pause, step one record, run at a given
 * number of records per second, or jump to the end. Also the line-wise
 * feeding that `--after N` needs for any source. Pure C, no SDL.
 */
#ifndef KOIZ_VIEW_REPLAY_H
#define KOIZ_VIEW_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parser.h"

#define REPLAY_MAX (1024u << 20)

struct replay {
    char *data;
    size_t len, pos; /* bytes, and how many were fed */
    double rate;     /* records per second */
    double credit;   /* records owed to the pace, not yet fed */
    bool paused;
};

/* Reads path into memory. Returns 0, or -1 with a sentence in err: a file larger
 * than REPLAY_MAX, or one that could not be read whole, is never replayed in part. */
int replay_open(struct replay *r, const char *path, char *err, size_t errsz);
void replay_close(struct replay *r);
bool replay_done(const struct replay *r);

/*
 * Feeds whole lines from data[*pos..len) until the parser has counted `limit`
 * records in all (parser stats), or the data ends; a last line without its
 * newline is fed only when `last` is set. Returns the number of records fed.
 */
uint64_t feed_lines(struct parser *p, const char *data, size_t len, size_t *pos, uint64_t limit, bool last);

/* Feeds n more records (or to the end). */
uint64_t replay_step(struct replay *r, struct parser *p, uint64_t n);
/* Advances the pace by dt seconds, feeding what it owes (unless paused). */
uint64_t replay_tick(struct replay *r, struct parser *p, double dt);

#endif
