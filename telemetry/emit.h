/*
 * emit.h: the memory manager's telemetry records: the vmm hooks
 * (vmm/hooks.h) for events, tel_snapshot and tel_round for whole address
 * spaces, the frame counters. They are sent through send.h, which this
 * header includes.
 */
#ifndef KOIZ_TELEMETRY_EMIT_H
#define KOIZ_TELEMETRY_EMIT_H

#include "../vmm/pmm.h"
#include "send.h"

struct address_space;

/* Installs (on) or removes the vmm hooks that make the paging events. */
void tel_hooks(int on);
/* Both: tel_set_sink(sink) and tel_hooks(sink != NULL). */
void tel_emit_start(const struct tel_sink *sink);

/* Sends one address space whole: snap, pde and pte runs, its regions, end. */
void tel_snapshot(const struct address_space *as);
/* Sends a round: `round`, a snapshot of every live address space (the live
 * one last), `sync`. */
void tel_round(enum word_ROUND reason);

/* Sends the frame counters if they changed since last time (or always, with force). */
void tel_send_counters(int force);

/* Sends pmm's frames whole (tel_round does, before `sync`): `physmap`, a
 * `phys` run per stretch of frames of one owner and reference count from
 * address 0 to the end of RAM below 4 GiB, `physend`. */
void tel_physmap(void);

/* The protocol's word for a use of pmm's (FRAME_PROCESS: OWNER_USER). */
enum word_OWNER tel_owner_of(enum frame_use use);
/* A run folded into a hash of runs, FNV-1a over its four numbers, from
 * TEL_RUN_HASH_START: what tel_physmap sent, for a self-test to make again. */
#define TEL_RUN_HASH_START 2166136261u
uint32_t tel_run_hash(uint32_t hash, uint32_t pa, uint32_t count, uint32_t owner, uint32_t refs);
/* What the last tel_physmap sent. */
struct tel_physmap_sent {
    uint32_t seq, frames, runs, hash;
    uint32_t frames_of[OWNER_WORDS]; /* frames of each owner */
};
const struct tel_physmap_sent *tel_physmap_sent(void);

#endif
