/*
 * model_entries: reads a telemetry stream (a file, noise and all) through
 * koiz-view's parser and model, and prints every address space the model
 * holds with its raw entries, for tests that compare the model with the
 * page tables in a guest's memory:
 *
 *     space ASID CR3 whole|untrusted
 *     pde INDEX ENTRY            every present directory entry
 *     pte PDE INDEX ENTRY        every present entry of each present table
 *     stats inconsistent N losses N dropped N unknown_asid N
 *     frames N whole|untrusted checks N mismatches N contradictions N
 *            free_mapped N refs_differ N free N counters_free N
 *     frun FIRST COUNT OWNER REFS  runs of frames of one owner and reference count
 *
 * Numbers in hex except ASID and the stats. usage: model_entries STREAM
 */
#include <stdio.h>
#include "model.h"
#include "parser.h"

int main(int argc, char **argv)
{
    static struct parser p;
    struct model *m = model_new();
    FILE *f;

    if (argc != 2 || !m) {
        fprintf(stderr, "usage: model_entries STREAM\n");
        return 2;
    }
    if (!(f = fopen(argv[1], "rb"))) {
        perror(argv[1]);
        return 2;
    }
    parser_init(&p, m);
    parser_feed_file(&p, f);
    fclose(f);
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = model_space_at(m, i);
        printf("space %u %x %s\n", sp->asid, sp->cr3, sp->whole ? "whole" : "untrusted");
        for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
            const uint32_t *t = space_table(sp, pdi);
            if (sp->dir[pdi] & PTE_P)
                printf("pde %x %x\n", pdi, sp->dir[pdi]);
            for (uint32_t pti = 0; t && pti < ENTRIES; pti++)
                if (t[pti] & PTE_P)
                    printf("pte %x %x %x\n", pdi, pti, t[pti]);
        }
    }
    printf("stats inconsistent %llu losses %llu dropped %llu unknown_asid %llu\n",
           (unsigned long long)m->stats.inconsistent, (unsigned long long)m->stats.losses,
           (unsigned long long)m->stats.dropped_events, (unsigned long long)m->stats.unknown_asid);
    const struct frame_map *fm = m->frame_map;
    printf(
        "frames %u %s checks %llu mismatches %llu contradictions %llu free_mapped %u refs_differ %u free %u "
        "counters_free %u\n",
        fm->nframes, fm->whole ? "whole" : "untrusted", (unsigned long long)fm->stats.counter_checks,
        (unsigned long long)fm->stats.counter_mismatches, (unsigned long long)fm->stats.contradictions,
        model_frames_free_mapped(m), fm->stats.refs_differ, fm->count[OWNER_FREE], m->frames.free);
    for (uint32_t at = 0; at < fm->nframes;) {
        uint32_t e = at + 1, refs = model_frame_refs(m, at);
        while (e < fm->nframes && fm->owner[e] == fm->owner[at] && model_frame_refs(m, e) == refs)
            e++;
        printf("frun %x %x %s %u\n", at, e - at, frame_class_name(fm->owner[at]), refs);
        at = e;
    }
    model_free(m);
    return 0;
}
