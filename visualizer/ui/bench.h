/*
 * bench.h: koiz-view --bench FILE, the figures behind issue 5's performance
 * targets (`scons bench`): replay ingest in MB/s, frame times of a replay
 * drawn in SDL's software renderer with every panel, and peak RSS.
 */
#ifndef KOIZ_VIEW_BENCH_H
#define KOIZ_VIEW_BENCH_H

/*
 * Measures the recording at path on a w x h picture and prints "name value"
 * lines on stdout. Returns 0, or 1 after saying why on stderr.
 */
int bench_run(const char *path, int w, int h);

/*
 * koiz-view --bench-travel FILE: the time machine's figures on a recording
 * (bench_travel.c): index and build speed, 1,000 random seeks each drawn,
 * a drag of the playhead across the whole recording, entry histories, peak
 * RSS. "name value" lines on stdout; 0, or 1 after saying why.
 */
int bench_travel(const char *path, int w, int h);
/* Seconds of the wall clock (monotonic) and of this thread's CPU time, for figures. */
double bench_wall_s(void);
double bench_cpu_s(void);
/* The q-quantile (0..1) of v's n values, nearest rank; sorts v. */
double bench_quantile(double *v, int n, double q);
/* Pins the process to the CPU it runs on and prints it, with the load average. */
void bench_pin_to_one_cpu(void);

#endif
