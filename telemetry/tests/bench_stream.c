/*
 * bench_stream: figures for `scons bench` about the stream itself, measured
 * on the host with the real emitter and the real parser (built with -O2,
 * without sanitizers):
 *
 *   snapshot bytes of the kernel's boot address space, and of the seed's
 *   identity map of all 4 GiB, against a naive dump of one record per
 *   present entry;
 *   the parser's throughput on a large recording (the Bochs recording in
 *   visualizer/tests/data, repeated), in MB/s.
 *
 * usage: bench_stream RECORDING     prints "name value" lines
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <koiz/protocol.h>
#include "../../vmm/arch.h"
#include "../../vmm/tests/host_arch.h"
#include "../../vmm/pmm.h"
#include "../../vmm/vmm.h"
#include "../emit.h"
#include "model.h"
#include "parser.h"

static uint64_t sink_bytes;

static void count_write(void *ctx, enum record_type t, const char *line, size_t len)
{
    (void)ctx;
    (void)t;
    (void)line;
    sink_bytes += len;
}

static uint32_t zero_now(void *ctx)
{
    (void)ctx;
    return 0;
}

/* What a dump of one record per present entry would cost. */
static uint64_t naive_bytes;

static int naive_visit(void *ctx, const struct vmm_entry *e)
{
    char line[PROTO_LINE_MAX + 1];
    const struct address_space *as = ctx;
    if (e->level == VMM_WALK_PAGE)
        naive_bytes += rec_format_pte(
            line, sizeof line,
            &(struct rec_pte){
                .asid = (uint32_t)as->id, .pde = e->pdi, .first = e->pti, .count = 1, .entry = e->entry});
    else
        naive_bytes += rec_format_pde(
            line, sizeof line,
            &(struct rec_pde){.asid = (uint32_t)as->id, .first = e->pdi, .count = 1, .entry = e->entry});
    return 0;
}

static void snapshot_figures(const char *name, const struct address_space *as)
{
    sink_bytes = naive_bytes = 0;
    tel_snapshot(as);
    vmm_walk(as, VMM_WALK_USER | VMM_WALK_KERNEL, naive_visit, (void *)as);
    printf("snapshot_bytes.%s %llu\n", name, (unsigned long long)sink_bytes);
    printf("naive_bytes.%s %llu\n", name, (unsigned long long)naive_bytes);
}

/* The seed's vmem_init: a directory and 1,024 tables identity-mapping 4 GiB. */
static struct address_space seed_identity_map(void)
{
    struct address_space as = {0};
    as.pd = vmem_ptable_new();
    as.pd_phys = (uint32_t)((unsigned char *)as.pd - host_ram);
    as.id = 99;
    as.in_use = 1;
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t *pt = vmem_ptable_new();
        if (!pt) {
            fprintf(stderr, "bench_stream: out of simulated RAM at table %u\n", i);
            exit(1);
        }
        as.pd[i] = (uint32_t)((unsigned char *)pt - host_ram) | 3;
        for (uint32_t j = 0; j < 1024; j++)
            pt[j] = ((i << 22) | (j << 12)) | 1;
    }
    return as;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const struct tel_sink sink = {.write = count_write, .now = zero_now};
    struct address_space *kernel, seed;
    char *big;
    size_t len = 0, cap = 96u << 20, n;
    FILE *f;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_stream RECORDING\n");
        return 2;
    }
    kernel = host_boot(HOST_RAM_SIZE, 1, 1);
    tel_emit_start(&sink);
    snapshot_figures("boot_space", kernel);
    seed = seed_identity_map();
    snapshot_figures("seed_identity_4gib", &seed);
    tel_emit_start(0);

    /* A large recording: the real one, back to back, to about 96 MB. */
    f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    big = malloc(cap);
    n = fread(big, 1, cap / 64, f);
    fclose(f);
    if (n == 0 || !big)
        return 2;
    for (len = n; len + n <= cap; len += n)
        memcpy(big + len, big, n);

    static struct parser parser;
    struct model *model = model_new();
    parser_init(&parser, model);
    double t0 = seconds();
    for (size_t at = 0; at < len; at += 65536)
        parser_feed(&parser, big + at, len - at < 65536 ? len - at : 65536);
    double t1 = seconds();
    model_free(model);
    printf("parser_bytes %zu\n", len);
    printf("parser_mb_per_s %.1f\n", (double)len / 1e6 / (t1 - t0));
    free(big);
    return 0;
}
