/* model_probe.c: see model_probe.h. */
#include <stdio.h>
#include "model.h"
#include "model_probe.h"
#include "parser.h"

static struct model *model;
static struct parser parser;

void probe_start(void)
{
    model = model_new();
    parser_init(&parser, model);
}

void probe_stop(void)
{
    model_free(model);
    model = 0;
}

void probe_feed(const char *data, size_t len)
{
    parser_feed(&parser, data, len);
}

int probe_space(uint32_t asid, int *whole)
{
    const struct space *sp = model_space(model, asid);
    *whole = sp && sp->whole;
    return sp != 0;
}

uint32_t probe_dir(uint32_t asid, uint32_t pdi)
{
    return model_space(model, asid)->dir[pdi];
}

int64_t probe_pte(uint32_t asid, uint32_t pdi, uint32_t pti)
{
    const struct space *sp = model_space(model, asid);
    return space_table(sp, pdi) ? (int64_t)space_table(sp, pdi)[pti] : -1;
}

uint32_t probe_current(void)
{
    return model->current_asid;
}

const char *probe_check(void)
{
    return model_check(model);
}

uint64_t probe_refused(void)
{
    return parser.stats.bad_checksum + parser.stats.bad_fields;
}

const char *probe_stats(void)
{
    static char line[200];
    snprintf(line, sizeof line, "inconsistent %llu, snapshots lost %llu, unknown asid %llu",
             (unsigned long long)model->stats.inconsistent, (unsigned long long)model->stats.snaps_lost,
             (unsigned long long)model->stats.unknown_asid);
    return line;
}
