/* bench.h: the `bench` boot option: cycles per memory-manager operation. */
#ifndef KOIZ_BENCH_H
#define KOIZ_BENCH_H

void bench_run(void);

#endif
