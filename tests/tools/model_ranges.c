/*
 * model_ranges: reads a telemetry stream (a file, noise and all) through
 * koiz-view's parser and model, and prints the mappings of one address
 * space the way Bochs's `info tab` does: maximal runs where both the
 * virtual and the physical address go up together,
 *
 *     0xc0000000-0xc1feffff -> 0x00000000-0x01feffff
 *
 * so the Bochs proof test can compare the model with the CPU's own walk.
 *
 * usage: model_ranges STREAM [CR3]   (default: the space the stream says is live)
 */
#include <stdio.h>
#include <stdlib.h>
#include "model.h"
#include "parser.h"

static void print_run(int *open, uint32_t va0, uint32_t pa0, uint64_t bytes)
{
    if (*open)
        printf("0x%08x-0x%08x -> 0x%08x-0x%08x\n", va0, (uint32_t)(va0 + bytes - 1), pa0,
               (uint32_t)(pa0 + bytes - 1));
    *open = 0;
}

int main(int argc, char **argv)
{
    struct model *m = model_new();
    static struct parser p;
    const struct space *sp = 0;
    FILE *f;
    int open = 0;
    uint32_t va0 = 0, pa0 = 0;
    uint64_t bytes = 0;

    if (argc < 2 || !m) {
        fprintf(stderr, "usage: model_ranges STREAM [CR3]\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    parser_init(&p, m);
    parser_feed_file(&p, f);
    fclose(f);

    if (argc > 2) {
        uint32_t cr3 = (uint32_t)strtoul(argv[2], 0, 16);
        for (uint32_t i = 0; i < m->nspaces; i++)
            if (model_space_at(m, i)->cr3 == cr3)
                sp = model_space_at(m, i);
    } else {
        sp = model_space(m, m->current_asid);
    }
    if (!sp) {
        fprintf(stderr, "model_ranges: no such space in the stream (%s)\n", parser_status(&p));
        return 1;
    }
    printf("space %u cr3 0x%08x whole %d\n", sp->asid, sp->cr3, sp->whole);
    for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
        uint32_t pde = sp->dir[pdi];
        for (uint32_t pti = 0; pti < ENTRIES; pti++) {
            uint32_t va = (pdi << 22) | (pti << 12), pa;
            if (!(pde & 1)) {
                print_run(&open, va0, pa0, bytes);
                break;
            }
            if (pde & 0x80) {
                pa = (pde & 0xFFC00000u) | (pti << 12);
            } else {
                uint32_t pte = space_table(sp, pdi) ? space_table(sp, pdi)[pti] : 0;
                if (!(pte & 1)) {
                    print_run(&open, va0, pa0, bytes);
                    continue;
                }
                pa = pte & ~0xFFFu;
            }
            if (open && va == va0 + bytes && pa == pa0 + bytes) {
                bytes += 4096;
                continue;
            }
            print_run(&open, va0, pa0, bytes);
            open = 1;
            va0 = va;
            pa0 = pa;
            bytes = 4096;
        }
    }
    print_run(&open, va0, pa0, bytes);
    model_free(m);
    return 0;
}
