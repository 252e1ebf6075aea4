/*
 * test_history.c: the time machine (history.c, model_save.c, model_diff.c)
 * against the plain way of knowing a moment: replaying the stream's records
 * from the first one into a fresh model.
 *
 * Streams: a real Bochs self-test recording (tests/data/bochs-selftest.txt)
 * and a generated heavy one with losses, resync rounds and spaces destroyed
 * and reborn under the same asid (gen_heavy --spaces 16 --life 1500
 * --losses 4000), so seeks cross checkpoints, losses and rebirths.
 *
 * - a model saved and loaded anywhere dumps, checks and goes on like the original;
 * - 1,000 random moments, sought in random order, forwards only and backwards
 *   only, equal the replay from scratch (the dump at a sample of them, a hash
 *   of every entry at all of them);
 * - a difference of two moments equals the set difference of their pages;
 * - an entry's history equals the moments, found by replaying, at which the
 *   entry changed, with the same old and new values; a frame's history equals
 *   the changes, collected independently, that mapped or unmapped it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "history.h"
#include "model_diff.h"
#include "model_save.h"
#include "parser.h"

#ifndef RECORDING
#error "RECORDING must name the recorded stream"
#endif
#ifndef GEN_HEAVY
#error "GEN_HEAVY must name the heavy recording's generator"
#endif

static uint32_t rng = 2024;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

/* ---- a stream as its records ---- */

struct stream {
    char path[256];
    char *data;
    size_t len;
    struct record *recs; /* their text fields point into data */
    size_t n;
};

static struct stream real, heavy;

static void load_stream(struct stream *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    s->len = (size_t)ftell(f);
    rewind(f);
    s->data = malloc(s->len + 1);
    assert_int_equal(fread(s->data, 1, s->len, f), s->len);
    fclose(f);
    if (s->path != path)
        snprintf(s->path, sizeof s->path, "%s", path);
    size_t cap = 1024;
    s->recs = malloc(cap * sizeof *s->recs);
    for (size_t at = 0; at < s->len;) {
        char *nl = memchr(s->data + at, '\n', s->len - at);
        size_t n = nl ? (size_t)(nl - (s->data + at)) : s->len - at;
        if (s->n == cap)
            s->recs = realloc(s->recs, (cap *= 2) * sizeof *s->recs);
        if (parse_line(s->data + at, n, &s->recs[s->n], NULL) == PARSE_RECORD)
            s->n++;
        at += n + 1;
    }
}

static int setup(void **state)
{
    (void)state;
    load_stream(&real, RECORDING);
    snprintf(heavy.path, sizeof heavy.path, "/tmp/koiz-test-history-%d.txt", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s --spaces 16 --pages 16000 --life 1500 --losses 4000 %s 30000 2>/dev/null",
             GEN_HEAVY, heavy.path);
    if (system(cmd) != 0)
        return -1;
    load_stream(&heavy, heavy.path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(heavy.path);
    free(real.data);
    free(real.recs);
    free(heavy.data);
    free(heavy.recs);
    return 0;
}

/* ---- fingerprints of a model ---- */

static char *dump_of(const struct model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    model_dump_summary(m, f);
    model_dump_frames(m, f);
    model_dump(m, f);
    fprintf(f, "current %u tick %u faults %llu log %llu\n", m->current_asid, m->tick,
            (unsigned long long)m->faults_total, (unsigned long long)m->log_total);
    fclose(f);
    return text;
}

/* Every entry of every space, the rings' heads and the counters, hashed. */
static uint64_t hash_of(const struct model *m)
{
    uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
    MIX(m->nspaces);
    MIX(m->current_asid);
    MIX(m->tick);
    MIX(m->faults_total);
    MIX(m->log_total);
    MIX(m->stats.losses);
    MIX(m->stats.inconsistent);
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = m->spaces[i];
        MIX(sp->asid);
        MIX(sp->whole);
        MIX(sp->why);
        MIX(sp->since);
        for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
            if (!sp->dir[pdi])
                continue;
            MIX(pdi);
            MIX(sp->dir[pdi]);
            const struct ptab *t = sp->table[pdi];
            for (uint32_t w = 0; t && w < TABLE_WORDS; w++)
                for (uint64_t b = t->bits[w]; b; b &= b - 1) {
                    uint32_t pti = w * 64 + (uint32_t)__builtin_ctzll(b);
                    MIX(pti);
                    MIX(t->e[pti]);
                }
        }
    }
#undef MIX
    return h;
}

static struct history *open_built(const struct stream *s)
{
    char err[256];
    struct history *h = history_open_file(s->path, err, sizeof err);
    if (!h)
        fail_msg("%s", err);
    history_checkpoint_every(h, 2000); /* many checkpoints, so seeks cross them */
    while (!history_index_step(h, 1 << 20))
        ;
    while (!history_build_step(h, 1 << 20))
        ;
    assert_int_equal(history_moments(h), s->n);
    assert_int_equal(history_built(h), s->n);
    return h;
}

/* ---- save and load ---- */

static void save_load_everywhere(const struct stream *s, size_t every)
{
    struct model *a = model_new(), *b = model_new();
    struct model_blob blob = {0};
    for (size_t i = 0; i < s->n; i++) {
        model_apply(a, &s->recs[i]);
        if (i % every != every - 1)
            continue;
        blob.len = 0;
        assert_int_equal(model_save(a, &blob), 0);
        assert_int_equal(model_load(b, blob.data, blob.len), 0);
        assert_null(model_check(b));
        char *da = dump_of(a), *db = dump_of(b);
        assert_string_equal(da, db);
        free(da);
        free(db);
        /* and both go on alike */
        for (size_t k = i + 1; k < s->n && k < i + 40; k++)
            model_apply(b, &s->recs[k]);
        struct model *c = model_new();
        blob.len = 0;
        assert_int_equal(model_save(a, &blob), 0);
        assert_int_equal(model_load(c, blob.data, blob.len), 0);
        for (size_t k = i + 1; k < s->n && k < i + 40; k++)
            model_apply(c, &s->recs[k]);
        assert_true(hash_of(b) == hash_of(c));
        model_free(c);
    }
    /* a blob cut short, or not a blob, is refused and leaves an empty model */
    blob.len = 0;
    assert_int_equal(model_save(a, &blob), 0);
    assert_int_equal(model_load(b, blob.data, blob.len / 2), -1);
    assert_int_equal(b->nspaces, 0);
    assert_null(model_check(b));
    assert_int_equal(model_load(b, "garbage", 7), -1);
    free(blob.data);
    model_free(a);
    model_free(b);
}

static void test_save_load_real(void **state)
{
    (void)state;
    save_load_everywhere(&real, 53);
}

static void test_save_load_heavy(void **state)
{
    (void)state;
    save_load_everywhere(&heavy, 7919);
}

/* ---- seeking ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void seek_like_replay(const struct stream *s, int moments, int dumps)
{
    uint64_t *when = malloc(moments * sizeof *when), *hash = malloc(moments * sizeof *hash);
    char **dump = calloc(moments, sizeof *dump);
    for (int i = 0; i < moments; i++)
        when[i] = rnd((uint32_t)s->n + 1);
    when[0] = 0;
    when[1] = s->n;
    qsort(when, moments, sizeof *when, cmp_u64);
    /* from scratch, once, forward */
    struct model *m = model_new();
    size_t k = 0;
    for (int i = 0; i < moments; i++) {
        while (k < when[i])
            model_apply(m, &s->recs[k++]);
        hash[i] = hash_of(m);
        if (i % (moments / dumps) == 0)
            dump[i] = dump_of(m);
    }
    model_free(m);

    struct history *h = open_built(s);
    struct model *v = model_new();
    uint64_t at = UINT64_MAX;
    int *order = malloc(moments * sizeof *order);
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < moments; i++)
            order[i] = pass == 2 ? moments - 1 - i : i; /* 1: forwards, 2: backwards */
        if (pass == 0)
            for (int i = moments - 1; i > 0; i--) { /* shuffled */
                int j = (int)rnd((uint32_t)i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        for (int o = 0; o < moments; o++) {
            int i = order[o];
            if (pass > 0 && i % 4 != 0)
                continue; /* forwards and backwards: every fourth moment */
            assert_int_equal(history_seek(h, v, when[i], &at), 0);
            assert_true(at == when[i]);
            if (hash_of(v) != hash[i])
                fail_msg("%s: moment %llu (pass %d) differs from the replay", s->path,
                         (unsigned long long)when[i], pass);
            if (dump[i]) {
                char *d = dump_of(v);
                assert_string_equal(d, dump[i]);
                free(d);
                assert_null(model_check(v));
            }
        }
    }
    for (int i = 0; i < moments; i++)
        free(dump[i]);
    free(dump);
    free(order);
    free(when);
    free(hash);
    model_free(v);
    history_close(h);
}

static void test_seek_real(void **state)
{
    (void)state;
    seek_like_replay(&real, 1000, 100);
}

static void test_seek_heavy(void **state)
{
    (void)state;
    seek_like_replay(&heavy, 1000, 10);
}

static void test_ticks_and_marks(void **state)
{
    (void)state;
    struct history *h = open_built(&real);
    struct model *m = model_new();
    size_t nmarks, faults = 0, creates = 0;
    const struct mark *marks = history_marks(h, &nmarks);
    for (size_t i = 0; i < real.n; i++) {
        const struct record *r = &real.recs[i];
        faults += r->type == RT_FAULT;
        creates += r->type == RT_SPACE_CREATE || r->type == RT_FORK;
    }
    size_t mf = 0, mc = 0;
    for (size_t i = 0; i < nmarks; i++) {
        assert_true(i == 0 || marks[i - 1].moment <= marks[i].moment);
        const struct record *r = &real.recs[marks[i].moment - 1];
        if (marks[i].kind == MARK_FAULT) {
            mf++;
            assert_int_equal(r->type, RT_FAULT);
            assert_int_equal(marks[i].va, r->u.fault.cr2);
        }
        mc += marks[i].kind == MARK_SPACE_CREATE;
    }
    assert_int_equal(mf, faults);
    assert_int_equal(mc, creates);
    assert_true(faults > 0);
    /* the moment of a tick is the last whose tick is at most it */
    for (int t = 0; t < 50; t++) {
        uint64_t n = rnd((uint32_t)real.n) + 1;
        model_reset(m);
        for (size_t i = 0; i < n; i++)
            model_apply(m, &real.recs[i]);
        uint64_t found = history_moment_at_tick(h, m->tick);
        assert_true(found >= n);
        /* every record after n up to found keeps the tick */
        for (size_t i = n; i < found; i++)
            assert_true(real.recs[i].tick == 0 || real.recs[i].tick == m->tick);
        assert_true(found == real.n || (real.recs[found].tick && real.recs[found].tick != m->tick) ||
                    real.recs[found].tick > m->tick);
    }
    model_free(m);
    history_close(h);
}

/* ---- differences ---- */

struct page_set {
    uint64_t *key; /* asid << 32 | va */
    uint32_t *entry;
    size_t n, cap;
};

static void pages_of(const struct model *m, struct page_set *ps)
{
    ps->n = 0;
    for (uint32_t i = 0; i < m->nspaces; i++) {
        const struct space *sp = m->spaces[i];
        for (uint32_t pdi = 0; pdi < ENTRIES; pdi++) {
            uint32_t pde = sp->dir[pdi];
            if (!(pde & PTE_P))
                continue;
            for (uint32_t pti = 0; pti < ENTRIES; pti++) {
                uint32_t e = (pde & PDE_PS) ? ((large_frame_of(pde) + (pti << 12)) | (pde & PTE_FLAGS))
                                            : (space_table(sp, pdi) ? space_table(sp, pdi)[pti] : 0);
                if (!(e & PTE_P))
                    continue;
                if (ps->n == ps->cap) {
                    ps->cap = ps->cap ? ps->cap * 2 : 4096;
                    ps->key = realloc(ps->key, ps->cap * sizeof *ps->key);
                    ps->entry = realloc(ps->entry, ps->cap * sizeof *ps->entry);
                }
                ps->key[ps->n] = (uint64_t)sp->asid << 32 | (pdi << 22 | pti << 12);
                ps->entry[ps->n++] = e & ~(PTE_A | PTE_D | PDE_PS);
            }
        }
    }
}

struct expanded {
    struct page_set plus, minus, tilde;
};

static void add_key(struct page_set *ps, uint64_t key)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 4096;
        ps->key = realloc(ps->key, ps->cap * sizeof *ps->key);
    }
    ps->key[ps->n++] = key;
}

static void expand(void *ctx, const struct diff_run *r)
{
    struct expanded *x = ctx;
    struct page_set *to = r->kind == '+' ? &x->plus : r->kind == '-' ? &x->minus : &x->tilde;
    for (uint64_t va = r->start; va < r->end; va += PAGE_SIZE)
        add_key(to, (uint64_t)r->asid << 32 | va);
}

static void test_diff_is_set_difference(void **state)
{
    (void)state;
    const struct stream *s = &heavy;
    struct history *h = open_built(s);
    struct model *a = model_new(), *b = model_new();
    struct page_set pa = {0}, pb = {0};
    for (int t = 0; t < 12; t++) {
        uint64_t ma = rnd((uint32_t)s->n + 1), mb = rnd((uint32_t)s->n + 1);
        assert_int_equal(history_seek(h, a, ma, NULL), 0);
        assert_int_equal(history_seek(h, b, mb, NULL), 0);
        pages_of(a, &pa);
        pages_of(b, &pb);
        struct expanded x = {0};
        struct diff_counts counts;
        diff_moments(a, b, expand, &x, &counts);
        /* both page lists are in (asid, va) order: walk them together */
        size_t i = 0, j = 0, np = 0, nm = 0, nt = 0;
        while (i < pa.n || j < pb.n) {
            if (j == pb.n || (i < pa.n && pa.key[i] < pb.key[j])) {
                assert_true(nm < x.minus.n && x.minus.key[nm] == pa.key[i]);
                nm++, i++;
            } else if (i == pa.n || pb.key[j] < pa.key[i]) {
                assert_true(np < x.plus.n && x.plus.key[np] == pb.key[j]);
                np++, j++;
            } else {
                if (pa.entry[i] != pb.entry[j]) {
                    assert_true(nt < x.tilde.n && x.tilde.key[nt] == pa.key[i]);
                    nt++;
                }
                i++, j++;
            }
        }
        assert_int_equal(np, x.plus.n);
        assert_int_equal(nm, x.minus.n);
        assert_int_equal(nt, x.tilde.n);
        assert_int_equal(counts.pages[0], np);
        assert_int_equal(counts.pages[1], nm);
        assert_int_equal(counts.pages[2], nt);
        free(x.plus.key);
        free(x.minus.key);
        free(x.tilde.key);
    }
    free(pa.key);
    free(pa.entry);
    free(pb.key);
    free(pb.entry);
    model_free(a);
    model_free(b);
    history_close(h);
}

/* ---- histories ---- */

static void entry_history_like_replay(const struct stream *s, int entries)
{
    struct history *h = open_built(s);
    struct history_row *rows = malloc(100000 * sizeof *rows);
    for (int t = 0; t < entries; t++) {
        /* an entry the stream touches: a fault's or a map's page */
        const struct record *r;
        do
            r = &s->recs[rnd((uint32_t)s->n)];
        while (r->type != RT_FAULT && r->type != RT_MAP);
        uint32_t asid = r->asid, va = (r->type == RT_FAULT ? r->u.fault.cr2 : r->u.map.va) & ~(PAGE_SIZE - 1);
        if (PDX(va) >= KERNEL_PDE_FIRST)
            asid = 0; /* the kernel half: asid 0's view, which lives as long as the boot */
        size_t n = history_entry(h, asid, va, false, rows, 100000);
        assert_true(n <= 100000);
        /* the replay: the directory and table entries after every record */
        struct model *m = model_new();
        uint32_t pde = 0, pte = 0;
        size_t k = 0;
        for (size_t i = 0; i < s->n; i++) {
            model_apply(m, &s->recs[i]);
            uint32_t d = model_pde(m, asid, va), e = model_pte(m, asid, va);
            if (d != pde) {
                assert_true(k < n);
                assert_int_equal(rows[k].moment, i + 1);
                assert_true(rows[k].c.va & CHANGE_DIR);
                assert_int_equal(rows[k].c.old, pde);
                assert_int_equal(rows[k].c.new, d);
                k++;
            }
            if (e != pte) {
                if (!(k < n && rows[k].moment == i + 1 && !(rows[k].c.va & CHANGE_DIR)))
                    fail_msg("space %u 0x%08x: #%zu changed its entry 0x%08x -> 0x%08x, the history says not",
                             asid, va, i + 1, pte, e);
                assert_int_equal(rows[k].c.old, pte);
                assert_int_equal(rows[k].c.new, e);
                assert_int_equal(rows[k].tick, m->tick);
                k++;
            }
            pde = d;
            pte = e;
        }
        assert_int_equal(k, n);
        model_free(m);
    }
    free(rows);
    history_close(h);
}

static void test_entry_history_real(void **state)
{
    (void)state;
    entry_history_like_replay(&real, 10);
}

static void test_entry_history_heavy(void **state)
{
    (void)state;
    entry_history_like_replay(&heavy, 4);
}

struct collected {
    struct history_row *rows;
    size_t n, cap;
    struct model *m;
    uint64_t moment;
};

static void collect(void *ctx, const struct entry_change *c)
{
    struct collected *x = ctx;
    if (x->n == x->cap)
        x->rows = realloc(x->rows, (x->cap = x->cap ? x->cap * 2 : 4096) * sizeof *x->rows);
    x->rows[x->n++] = (struct history_row){x->moment, x->m->tick, *c};
}

static uint32_t mapped_frame(const struct entry_change *c, uint32_t e)
{
    if (!(e & PTE_P) || ((c->va & CHANGE_DIR) && !(e & PDE_PS)))
        return UINT32_MAX;
    return (c->va & CHANGE_DIR) ? large_frame_of(e) >> 12 : frame_of(e) >> 12;
}

static void test_frame_history(void **state)
{
    (void)state;
    const struct stream *s = &heavy;
    struct history *h = open_built(s);
    /* every change, collected by a model of the test's own */
    struct collected all = {0};
    all.m = model_new();
    all.m->on_change = collect;
    all.m->change_ctx = &all;
    for (size_t i = 0; i < s->n; i++) {
        all.moment = i + 1;
        model_apply(all.m, &s->recs[i]);
    }
    struct history_row *rows = malloc(200000 * sizeof *rows);
    for (int t = 0; t < 20; t++) {
        const struct history_row *pick;
        uint32_t frame;
        do {
            pick = &all.rows[rnd((uint32_t)all.n)];
            frame = mapped_frame(&pick->c, pick->c.new);
        } while (frame == UINT32_MAX);
        size_t n = history_frame(h, frame, rows, 200000), k = 0;
        for (size_t i = 0; i < all.n; i++) {
            const struct history_row *c = &all.rows[i];
            if (mapped_frame(&c->c, c->c.old) != frame && mapped_frame(&c->c, c->c.new) != frame)
                continue;
            assert_true(k < n);
            assert_int_equal(rows[k].moment, c->moment);
            k++;
        }
        assert_int_equal(k, n);
        assert_true(n > 0);
    }
    free(rows);
    free(all.rows);
    model_free(all.m);
    history_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load_real),     cmocka_unit_test(test_save_load_heavy),
        cmocka_unit_test(test_seek_real),          cmocka_unit_test(test_seek_heavy),
        cmocka_unit_test(test_ticks_and_marks),    cmocka_unit_test(test_diff_is_set_difference),
        cmocka_unit_test(test_entry_history_real), cmocka_unit_test(test_entry_history_heavy),
        cmocka_unit_test(test_frame_history),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
