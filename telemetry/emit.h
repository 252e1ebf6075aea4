/*
 * emit.h: the memory manager's telemetry records: the vmm hooks
 * (vmm/hooks.h) for events, tel_snapshot and tel_round for whole address
 * spaces, the frame counters. They are sent through send.h, which this
 * header includes.
 */
#ifndef KOIZ_TELEMETRY_EMIT_H
#define KOIZ_TELEMETRY_EMIT_H

#include "send.h"

struct address_space;

/* Installs (on) or removes the vmm hooks that make the paging events. */
void tel_hooks(int on);
/* Both: tel_set_sink(sink) and tel_hooks(sink != NULL). */
void tel_emit_start(const struct tel_sink *sink);

/* Sends one address space whole: snap, pde and pte runs, end. */
void tel_snapshot(const struct address_space *as);
/* Sends a round: `round`, a snapshot of every live address space (the live
 * one last), `sync`. */
void tel_round(enum word_ROUND reason);

/* Sends the frame counters if they changed since last time (or always, with force). */
void tel_send_counters(int force);

#endif
