/*
 * gdb_run.c: --gdb and --verify on koiz-view's main thread (gdb_run.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gdb_run.h"
#include "source_gdb.h"

int gdb_run_open(struct gdb_run *r, struct source *src, const struct options *o, const char *root,
                 bool headless, char *err, size_t errsz)
{
    char where[64];
    memset(r, 0, sizeof *r);
    r->on = true;
    r->verify = o->verify;
    r->every_ms = o->verify_every_ms;
    gdb_verify_init(&r->v, o->verify_every_ms ? 2 : 1);
    struct gdb_feed_options f = {.where = o->gdb_where,
                                 .rate = o->rate,
                                 .polls = o->polls,
                                 .verify = o->verify,
                                 .ram_kib = (uint32_t)o->megs * 1024,
                                 .timeout_ms = 0};
    switch (o->mode) {
    case IN_QEMU: {
        int port = source_gdb_free_port();
        if (!port) {
            snprintf(err, errsz, "no free TCP port on 127.0.0.1 for QEMU's GDB stub");
            return 1;
        }
        struct qemu_extra x = {
            .kernel = o->kernel, .append = o->append, .gdb_port = port, .port_only = o->port_only};
        if (source_spawn_qemu(src, root, o->megs, headless, &x, err, errsz))
            return 1;
        snprintf(where, sizeof where, "127.0.0.1:%d", port);
        f.where = where;
        f.spawned = true;
        break;
    }
    case IN_GDB: source_fd(src, -1, o->gdb_where); break;
    case IN_STDIN: source_fd(src, 0, "stdin"); break;
    case IN_FILE: {
        struct stat st;
        if (stat(o->path, &st) != 0 || (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))) {
            snprintf(err, errsz,
                     "with --gdb, %s must be a FIFO carrying the guest's output (a recording is "
                     "replayed without --gdb)",
                     o->path);
            return 2;
        }
        int fd = open(o->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errsz, "cannot read %s: %s", o->path, strerror(errno));
            return 1;
        }
        source_fd(src, fd, o->path);
        break;
    }
    default: snprintf(err, errsz, "--gdb goes with --qemu, - or a FIFO"); return 2;
    }
    if (source_gdb(src, &f, err, errsz)) {
        source_stop(src);
        return 1;
    }
    r->start = r->last_record_at = r->last_ask = source_gdb_now();
    return 0;
}

/* A divergence confirmed: said where the user looks. */
static void tell(struct gdb_run *r, struct model *m, const struct gdb_divergence *d, bool headless)
{
    char text[240];
    gdb_verify_describe(d, r->start, text, sizeof text);
    snprintf(r->last, sizeof r->last, "%s", text);
    if (headless)
        fprintf(stderr, "koiz-view: divergence: %s\n", text);
    char line[300];
    snprintf(line, sizeof line, "koiz-view --verify: divergence: %s", text);
    struct record w = {.type = RT_WARN, .u.warn.text = text_of(line)};
    model_apply(m, &w); /* the log panel shows it, as a warning; it is not in any recording */
}

static void compare(struct gdb_run *r, struct source *src, struct model *m, bool headless)
{
    gdb_verify_check(&r->v, m, r->held, source_gdb_now());
    source_gdb_release_reading(src);
    r->held = NULL;
    const struct gdb_divergence *d;
    while ((d = gdb_verify_next_told(&r->v)))
        tell(r, m, d, headless);
}

void gdb_run_step(struct gdb_run *r, struct source *src, struct model *m, uint64_t records, bool headless)
{
    if (!r->on || !r->verify)
        return;
    double now = source_gdb_now();
    if (records != r->records) {
        r->records = records;
        r->last_record_at = now;
    }
    uint32_t cr3[GDB_PAGING_ALSO_MAX];
    double at;
    if (!r->held && (r->held = source_gdb_take_reading(src, &at))) {
        r->held_at = at;
        r->asked = false;
    }
    if (r->held && r->every_ms) {
        compare(r, src, m, headless);
    } else if (r->held && r->last_record_at >= r->held_at - 0.002) {
        source_gdb_release_reading(src); /* the kernel was not quiet around the stop */
        r->held = NULL;
        r->not_quiet++;
    } else if (r->held && now >= r->held_at + GDB_RUN_QUIET_S) {
        compare(r, src, m, headless);
    }
    /* The next poll: every N ms, or once the stream has been still a moment (a quiet moment). */
    bool due = r->every_ms ? now - r->last_ask >= r->every_ms / 1e3
                           : !r->held && now - r->last_record_at >= GDB_RUN_IDLE_S;
    if (due && !r->held && (!r->asked || now - r->last_ask > 1.0)) { /* one poll at a time */
        source_gdb_want(src, cr3, gdb_verify_spaces(m, cr3, GDB_PAGING_ALSO_MAX));
        source_gdb_ask(src);
        r->last_ask = now;
        r->asked = true;
    }
}

void gdb_run_describe(struct gdb_run *r, struct source *src, char *state, size_t size)
{
    char says[200], error[320];
    struct gdb_feed_stats st;
    if (!r->on)
        return;
    size_t n = strlen(state);
    if (source_error(src, error, sizeof error)) {
        snprintf(state, size, "· %s", error);
        return;
    }
    source_gdb_says(src, says, sizeof says);
    source_gdb_stats(src, &st);
    if (says[0])
        n += (size_t)snprintf(state + n, n < size ? size - n : 0, " · %s", says);
    else if (st.polls > 1 && !r->verify)
        n += (size_t)snprintf(state + n, n < size ? size - n : 0, " · %.1f polls/s, %.1f ms each",
                              (double)(st.polls - 1) / (st.last_at - st.first_at + 1e-9),
                              st.total_us / 1e3 / (double)st.polls);
    if (r->verify && gdb_verify_open(&r->v))
        snprintf(state + n, n < size ? size - n : 0, " · DIVERGENCE: %s", r->last);
    else if (r->verify && r->v.confirmed)
        snprintf(state + n, n < size ? size - n : 0, " · %llu divergence%s seen, none now (the last: %s)",
                 (unsigned long long)r->v.confirmed, r->v.confirmed == 1 ? "" : "s", r->last);
    else if (r->verify)
        snprintf(state + n, n < size ? size - n : 0, " · verified at %llu quiet moments: no divergence",
                 (unsigned long long)r->v.checks);
}

int gdb_run_finish(struct gdb_run *r, struct source *src)
{
    struct gdb_feed_stats st;
    if (!r->on)
        return 0;
    source_gdb_stats(src, &st);
    if (st.polls) {
        double span = st.last_at - st.first_at, n = (double)st.polls;
        fprintf(
            stderr,
            "koiz-view: %s: %llu polls in %.1f s (%.1f per second); per poll: stop %.0f us, reads %.0f us, "
            "resume %.0f us, model update %.0f us; mean %.0f us, max %llu us; %.0f requests, %.0f KiB; "
            "up to %u spaces\n",
            src->what, (unsigned long long)st.polls, span, st.polls > 1 && span > 0 ? (n - 1) / span : 0.0,
            st.stop_us / n, st.reads_us / n, st.resume_us / n, st.update_us / n, st.total_us / n,
            (unsigned long long)st.max_total_us, st.requests / n, st.bytes / n / 1024, st.spaces_max);
    }
    if (!r->verify)
        return 0;
    fprintf(stderr,
            "koiz-view: --verify: %llu comparisons (%llu spaces), %llu polls not at a quiet moment, %llu "
            "divergence%s\n",
            (unsigned long long)r->v.checks, (unsigned long long)r->v.spaces,
            (unsigned long long)r->not_quiet, (unsigned long long)r->v.confirmed,
            r->v.confirmed == 1 ? "" : "s");
    return r->v.confirmed ? 3 : 0;
}
