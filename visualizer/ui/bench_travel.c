/*
 * bench_travel.c: koiz-view --bench-travel FILE (bench.h), the time
 * machine's figures, on one CPU, drawing with SDL's software renderer:
 *
 *   index     the recording indexed from its file (history_index_step), MB/s
 *   build     its checkpoints and changes made (history_build_step), MB/s
 *   seek      1,000 random moments, each sought (from wherever the model is)
 *             and drawn: milliseconds, p50 and p99
 *   drag      the playhead dragged across the whole recording in 600 frames,
 *             as the window does it (a checkpoint's moment while held, or
 *             records read forward when the next frame is near): frames per
 *             second, p99 frame
 *   history   the history of 200 entries the stream's faults touched: ms
 *   memory    peak resident set size (getrusage), MB
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "bench.h"
#include "view.h"

#define SEEKS         1000
#define DRAGS         600
#define ENTRIES_ASKED 200
#define NEAR_AHEAD    4096 /* as main.c's: read forward rather than load a checkpoint */

/* The q-quantile of n values in seconds, as milliseconds (sorts them). */
static double quantile(double *v, int n, double q)
{
    return 1e3 * bench_quantile(v, n, q);
}

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(uint64_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (rng * 0x2545f4914f6cdd1dull >> 11) % (n ? n : 1);
}

int bench_travel(const char *path, int w, int h)
{
    char err[512];
    bench_pin_to_one_cpu();
    double t0 = bench_wall_s(), c0 = bench_cpu_s();
    struct history *hist = history_open_file(path, err, sizeof err);
    if (!hist) {
        fprintf(stderr, "koiz-view: %s\n", err);
        return 1;
    }
    while (!history_index_step(hist, 64u << 20))
        ;
    double index_s = bench_wall_s() - t0, index_cpu = bench_cpu_s() - c0;
    uint64_t indexed, built, size;
    history_progress(hist, &indexed, &built, &size);
    t0 = bench_wall_s();
    while (!history_build_step(hist, 64u << 20))
        ;
    double build_s = bench_wall_s() - t0;
    uint64_t moments = history_moments(hist);
    size_t nmarks;
    const struct mark *marks = history_marks(hist, &nmarks);
    printf("file_mb %.1f\nrecords %llu\nmarks %zu\n", size / 1e6, (unsigned long long)moments, nmarks);
    printf("index_s %.3f\nindex_mb_per_s %.1f\nindex_cpu_mb_per_s %.1f\n", index_s, size / 1e6 / index_s,
           size / 1e6 / index_cpu);
    printf("build_s %.3f\nbuild_mb_per_s %.1f\n", build_s, size / 1e6 / build_s);
    uint64_t ck, ch;
    history_disk(hist, &ck, &ch);
    printf("checkpoint_mb %.1f\nchanges_mb %.1f\n", ck / 1e6, ch / 1e6);

    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    struct view v;
    struct model *m = model_new();
    if (!r || !m || view_init(&v, r, w, h, err, sizeof err) != 0) {
        fprintf(stderr, "koiz-view: cannot draw off-screen: %s\n", r ? err : SDL_GetError());
        return 1;
    }
    snprintf(v.source, sizeof v.source, "replay of %s", path);
    v.tm.h = hist;
    v.tm.replay = true;
    v.tm.moments = moments;
    v.tm.built = history_built(hist);
    uint64_t at = UINT64_MAX;
    double *times = malloc(sizeof(double) * (SEEKS > DRAGS ? SEEKS : DRAGS) * 2);
    double *cpu = malloc(sizeof(double) * (SEEKS > DRAGS ? SEEKS : DRAGS));

    /* random seeks, each drawn */
    for (int i = 0; i < SEEKS; i++) {
        uint64_t n = rnd(moments + 1);
        double a = bench_wall_s(), c = bench_cpu_s();
        if (history_seek(hist, m, n, &at) != 0) {
            fprintf(stderr, "koiz-view: seeking #%llu failed\n", (unsigned long long)n);
            return 1;
        }
        v.tm.at = at;
        view_draw(&v, m, 0);
        SDL_RenderPresent(r);
        times[i] = bench_wall_s() - a;
        cpu[i] = bench_cpu_s() - c;
    }
    printf("seek_p50_ms %.2f\nseek_p99_ms %.2f\n", quantile(times, SEEKS, 0.5), quantile(times, SEEKS, 0.99));
    printf("seek_cpu_p50_ms %.2f\nseek_cpu_p99_ms %.2f\n", quantile(cpu, SEEKS, 0.5),
           quantile(cpu, SEEKS, 0.99));

    /* the playhead dragged from the start to the end */
    double drag0 = bench_wall_s(), seek_part[DRAGS];
    for (int i = 0; i < DRAGS; i++) {
        uint64_t n = moments * (uint64_t)(i + 1) / DRAGS;
        double a = bench_wall_s(), c = bench_cpu_s();
        if (!(at <= n && n - at <= NEAR_AHEAD))
            n = history_checkpoint_before(hist, n);
        history_seek(hist, m, n, &at);
        double b = bench_wall_s();
        v.tm.at = at;
        v.tm.dragging = true;
        view_draw(&v, m, 0);
        SDL_RenderPresent(r);
        times[i] = bench_wall_s() - a;
        times[DRAGS + i] = bench_wall_s() - b;
        seek_part[i] = b - a;
        cpu[i] = bench_cpu_s() - c;
    }
    double drag_s = bench_wall_s() - drag0;
    printf("drag_fps %.1f\ndrag_p99_ms %.2f\n", DRAGS / drag_s, quantile(times, DRAGS, 0.99));
    printf("drag_cpu_p99_ms %.2f\n", quantile(cpu, DRAGS, 0.99));
    printf("drag_draw_p50_ms %.2f\ndrag_draw_p99_ms %.2f\n", quantile(times + DRAGS, DRAGS, 0.5),
           quantile(times + DRAGS, DRAGS, 0.99));
    printf("drag_seek_p50_ms %.2f\ndrag_seek_p99_ms %.2f\n", quantile(seek_part, DRAGS, 0.5),
           quantile(seek_part, DRAGS, 0.99));

    /* entry histories of pages the stream's faults touched */
    struct history_row *rows = malloc(100000 * sizeof *rows);
    int asked = 0;
    size_t most = 0;
    for (int i = 0; i < ENTRIES_ASKED * 20 && asked < ENTRIES_ASKED && nmarks; i++) {
        const struct mark *mk = &marks[rnd(nmarks)];
        if (mk->kind != MARK_FAULT)
            continue;
        double a = bench_wall_s();
        size_t n = history_entry(hist, mk->asid, mk->va, false, rows, 100000);
        times[asked++] = bench_wall_s() - a;
        most = n > most ? n : most;
    }
    if (asked) {
        double worst = 0;
        for (int i = 0; i < asked; i++)
            worst = times[i] > worst ? times[i] : worst;
        printf("history_entries %d\nhistory_p50_ms %.2f\nhistory_max_ms %.2f\nhistory_most_rows %zu\n", asked,
               quantile(times, asked, 0.5), worst * 1e3, most);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
    free(rows);
    free(times);
    free(cpu);
    view_free(&v);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    model_free(m);
    history_close(hist);
    return 0;
}
