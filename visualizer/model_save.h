/*
 * model_save.h: a model's whole state as bytes and back, for the time
 * machine's checkpoints (history.c). The bytes are for this process only.
 */
#ifndef KOIZ_VIEW_MODEL_SAVE_H
#define KOIZ_VIEW_MODEL_SAVE_H

#include <stddef.h>
#include "model.h"

/* A growing buffer of bytes; zero it to start, free(data) when done. */
struct model_blob {
    unsigned char *data;
    size_t len, cap;
};

/* Appends m's state to b. Returns 0, or -1 (b as it was) when out of memory. */
int model_save(const struct model *m, struct model_blob *b);

/*
 * Makes m the model that was saved in data[0..len): spaces, tables, rings,
 * counters, a snapshot or round under way. m's on_change hook stays m's (and
 * is not told of the replacement); its version numbers move on from where
 * they were, never back. Returns 0, or -1 when the bytes are not a saved
 * model (m is then empty) or memory runs out.
 */
int model_load(struct model *m, const void *data, size_t len);

#endif
