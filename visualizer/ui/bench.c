/*
 * bench.c: koiz-view --bench FILE (bench.h). Single-threaded and pinned to
 * the CPU it starts on, in three parts:
 *
 *   ingest   the whole recording parsed and applied to a fresh model, in
 *            64 KiB chunks as a live source delivers them, without drawing;
 *            five runs, the median reported, in MB/s (10^6 bytes);
 *   frames   the recording replayed again from the start, BENCH_FRAMES
 *            equal steps of records, each followed by a full redraw of every
 *            panel into a surface by SDL's software renderer (as --headless
 *            draws): a frame's time is its records' ingest plus the drawing,
 *            which is what a window showing a replay spends per frame; the
 *            clock the view sees advances 1/60 s per frame, so faults flash;
 *   memory   peak resident set size (getrusage), in MB.
 *
 * Times are wall-clock; each also as this thread's CPU time (`_cpu`), which
 * leaves out other programs' turns on a busy machine. Panels are timed in
 * CPU time (view.h's panel_seconds).
 *
 * The model's state at the end (spaces whole, pages, model_check) is printed
 * too: a benchmark of a stream the model did not follow would mean nothing.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "replay.h"
#include "view.h"

#define BENCH_FRAMES 600
#define BENCH_CHUNK  65536
#define INGEST_RUNS  5

double bench_wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double bench_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(q * n + 0.999999) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Pins the process to the CPU it is on; says how busy the machine is (wall-clock figures depend on it). */
void bench_pin_to_one_cpu(void)
{
    int cpu = sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu < 0 ? 0 : cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) == 0)
        printf("cpu %d\n", cpu < 0 ? 0 : cpu);
    double load[1];
    if (getloadavg(load, 1) == 1)
        printf("loadavg %.2f\ncpus %ld\n", load[0], sysconf(_SC_NPROCESSORS_ONLN));
}

/* One ingest of the whole recording into a fresh model: wall and CPU seconds. */
static void ingest_once(struct model *m, struct parser *p, const struct replay *rp, double *wall, double *cpu)
{
    model_reset(m);
    parser_init(p, m);
    double t0 = bench_wall_s(), c0 = bench_cpu_s();
    for (size_t at = 0; at < rp->len; at += BENCH_CHUNK)
        parser_feed(p, rp->data + at, rp->len - at < BENCH_CHUNK ? rp->len - at : BENCH_CHUNK);
    parser_finish(p);
    *wall = bench_wall_s() - t0;
    *cpu = bench_cpu_s() - c0;
}

/* What the model made of the stream. */
static void model_figures(const struct model *m, const struct parser *p)
{
    uint32_t spaces = 0, whole = 0, tables = 0;
    uint64_t user_pages = 0, pages = 0;
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = model_space_at(m, i);
        spaces++;
        whole += sp->whole;
        pages += space_ptes(sp);
        for (uint32_t pdi = 0; pdi < KERNEL_PDE_FIRST; pdi++) {
            user_pages += space_present(sp, pdi);
            tables += sp->table[pdi] != NULL;
        }
    }
    const char *bad = model_check(m);
    printf("records %llu\n", (unsigned long long)p->stats.records);
    uint64_t events = 0;
    for (int t = 0; t < RT_COUNT; t++)
        if (records_table()[t].cls == RC_EVENT || records_table()[t].cls == RC_LOSS)
            events += p->stats.by_type[t];
    printf("events %llu\n", (unsigned long long)events);
    printf("bad_lines %llu\n",
           (unsigned long long)(p->stats.bad_checksum + p->stats.bad_fields + p->stats.noise));
    printf("spaces %u\n", spaces);
    printf("spaces_whole %u\n", whole);
    printf("user_pages %llu\n", (unsigned long long)user_pages);
    printf("user_tables %u\n", tables);
    printf("mapped_4k_entries %llu\n", (unsigned long long)pages);
    printf("inconsistent %llu\n", (unsigned long long)m->stats.inconsistent);
    printf("model_check %s\n", bad ? bad : "ok");
}

static void ingest_figures(struct model *m, struct parser *p, const struct replay *rp)
{
    double t[INGEST_RUNS], c[INGEST_RUNS];
    for (int i = 0; i < INGEST_RUNS; i++)
        ingest_once(m, p, rp, &t[i], &c[i]);
    qsort(t, INGEST_RUNS, sizeof t[0], cmp_double);
    qsort(c, INGEST_RUNS, sizeof c[0], cmp_double);
    printf("file_mb %.1f\n", (double)rp->len / 1e6);
    printf("ingest_seconds %.3f\n", t[INGEST_RUNS / 2]);
    printf("ingest_mb_per_s %.1f\n", (double)rp->len / 1e6 / t[INGEST_RUNS / 2]);
    printf("ingest_cpu_mb_per_s %.1f\n", (double)rp->len / 1e6 / c[INGEST_RUNS / 2]);
    printf("ingest_records_per_s %.0f\n", (double)p->stats.records / t[INGEST_RUNS / 2]);
    model_figures(m, p);
}

static void time_figures(const char *name, double *t, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    printf("%s_mean_ms %.2f\n", name, 1e3 * sum / n);
    printf("%s_p50_ms %.2f\n", name, 1e3 * bench_quantile(t, n, 0.50));
    printf("%s_p99_ms %.2f\n", name, 1e3 * bench_quantile(t, n, 0.99));
    printf("%s_max_ms %.2f\n", name, 1e3 * t[n - 1]);
}

static int frame_figures(struct model *m, struct parser *p, struct replay *rp, const char *path, int w, int h,
                         uint64_t total)
{
    char err[512];
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    struct view v;
    if (!r || view_init(&v, r, w, h, err, sizeof err) != 0) {
        fprintf(stderr, "koiz-view: cannot draw off-screen: %s\n", r ? err : SDL_GetError());
        if (r)
            SDL_DestroyRenderer(r);
        SDL_FreeSurface(s);
        return 1;
    }
    SDL_RendererInfo info;
    SDL_GetRendererInfo(r, &info);
    model_reset(m);
    parser_init(p, m);
    rp->pos = 0;
    v.parser = p;
    snprintf(v.source, sizeof v.source, "replay of %s", path);
    uint64_t per = (total + BENCH_FRAMES - 1) / BENCH_FRAMES;
    double *frame = malloc(sizeof *frame * (BENCH_FRAMES + 1)),
           *draw = malloc(sizeof *draw * (BENCH_FRAMES + 1));
    double *frame_cpu = malloc(sizeof *frame_cpu * (BENCH_FRAMES + 1));
    double panel[P_COUNT + 1] = {0};
    v.panel_seconds = panel;
    int n = 0;
    double start = bench_wall_s(), cpu_start = bench_cpu_s();
    while (frame && draw && frame_cpu && n <= BENCH_FRAMES && !replay_done(rp)) {
        double t0 = bench_wall_s(), c0 = bench_cpu_s();
        replay_step(rp, p, per);
        snprintf(v.state, sizeof v.state, "· %.0f%% · playing · %llu records/frame",
                 100.0 * rp->pos / rp->len, (unsigned long long)per);
        double t1 = bench_wall_s();
        view_draw(&v, m, 1.0 + n / 60.0);
        SDL_RenderPresent(r);
        double t2 = bench_wall_s();
        frame[n] = t2 - t0;
        draw[n] = t2 - t1;
        frame_cpu[n] = bench_cpu_s() - c0;
        n++;
    }
    double wall = bench_wall_s() - start, cpu = bench_cpu_s() - cpu_start;
    if (n) {
        printf("renderer %s\n", info.name);
        printf("size %dx%d\n", w, h);
        printf("frames %d\n", n);
        printf("records_per_frame %llu\n", (unsigned long long)per);
        printf("fps %.1f\n", n / wall);
        time_figures("frame", frame, n);
        time_figures("draw", draw, n);
        /* On a busy machine wall time includes other programs' turns; CPU time does not. */
        printf("cpu_per_frame_ms %.2f\n", 1e3 * cpu / n);
        time_figures("frame_cpu", frame_cpu, n);
        static const char *const names[P_COUNT + 1] = {"dir",    "table",  "whole", "phys",
                                                       "spaces", "faults", "log",   "status"};
        for (int i = 0; i <= P_COUNT; i++)
            printf("draw_%s_mean_ms %.2f\n", names[i], 1e3 * panel[i] / n);
    }
    free(frame);
    free(draw);
    free(frame_cpu);
    view_free(&v);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    return n ? 0 : 1;
}

int bench_run(const char *path, int w, int h)
{
    char err[512];
    struct replay rp;
    struct parser p;
    bench_pin_to_one_cpu();
    if (replay_open(&rp, path, err, sizeof err) != 0) {
        fprintf(stderr, "koiz-view: %s\n", err);
        return 1;
    }
    struct model *m = model_new();
    if (!m) {
        replay_close(&rp);
        fprintf(stderr, "koiz-view: out of memory\n");
        return 1;
    }
    ingest_figures(m, &p, &rp);
    fflush(stdout);
    int rc = frame_figures(m, &p, &rp, path, w, h, p.stats.records);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        printf("peak_rss_mb %.1f\n", ru.ru_maxrss * 1024.0 / 1e6);
    model_free(m);
    replay_close(&rp);
    return rc;
}
