/* pit.h: the 8253/8254 timer on IRQ 0, ticking PIT_HZ times a second. */
#ifndef KOIZ_PIT_H
#define KOIZ_PIT_H

#include <stdint.h>

#define PIT_HZ 100

void pit_init(void);
uint64_t pit_ticks(void);
/* Sleeps with hlt until n more ticks have passed (interrupts must be on). */
void pit_wait(uint32_t n);
/* Calls fn on every tick, in the timer's interrupt (one callback; NULL: none). */
typedef void (*pit_tick_fn)(void);
void pit_on_tick(pit_tick_fn fn);

#endif
