/*
 * model_probe.h: the visualizer's parser and model seen through a narrow
 * window, so the round-trip test (which includes vmm's headers) never
 * includes the model's: both name a `enum fault_outcome` of their own.
 */
#ifndef KOIZ_MODEL_PROBE_H
#define KOIZ_MODEL_PROBE_H

#include <stddef.h>
#include <stdint.h>

void probe_start(void);
void probe_stop(void);
void probe_feed(const char *data, size_t len);
/* 1 when the model has space asid; *whole says if it trusts it. */
int probe_space(uint32_t asid, int *whole);
uint32_t probe_dir(uint32_t asid, uint32_t pdi);
/* The model's table entry, or -1 (as int64) when it holds no table there. */
int64_t probe_pte(uint32_t asid, uint32_t pdi, uint32_t pti);
uint32_t probe_current(void);
/* NULL when the model's invariants hold. */
const char *probe_check(void);
/* Lines the parser refused (bad checksum or fields): must stay 0. */
uint64_t probe_refused(void);
/* A line of the model's stats, for failure messages. */
const char *probe_stats(void);

#endif
