/* demo.h: the demo scenarios, things worth watching in koiz-view (docs/scenarios.md). */
#ifndef KOIZ_DEMO_H
#define KOIZ_DEMO_H

/* Runs the demo called name ("tour" runs them all in turn), or else the user program
 * called name. 0, or -1 when name is neither. */
int demo_run(const char *name);
/* Says that name is neither a demo nor a program, listing both. */
void demo_unknown(const char *name);
/* Runs the demo whose key this is ('1'-'6', 't'); 0 when the key is not a demo's. */
int demo_key(int key);
/* One line per demo with its key, for the console. */
void demo_list(void);

#endif
