/*
 * source_gdb.c: a source fed through QEMU's GDB stub (source_gdb.h): the
 * thread that connects, polls at the rate asked, turns the polls into
 * records (or hands them over for --verify), and reads the guest's own
 * output in between.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include "gdb_remote.h"
#include "gdb_watch.h"
#include "source_gdb.h"

#define CONNECT_SECONDS 10         /* how long a QEMU koiz-view started may take to listen */
#define DRAIN_MAX       (1u << 20) /* guest output read before one poll at most */
#define LOG_LINE_MAX    200        /* a longer line of the guest's output is cut into several */

struct feed {
    struct gdb_feed_options o;
    char where[256];
    double t0; /* the clock when the feed started: tick 0 */

    /* the thread's own */
    struct gdb_paging *p; /* polled into */
    struct gdb_watch *w;
    char *out; /* one poll's records and the lines before it */
    size_t out_len, out_cap;
    char line[LOG_LINE_MAX + 1]; /* the guest's output line being gathered */
    size_t line_len;
    bool fd_open;

    /* shared with the main thread, under the source's lock */
    struct gdb *g; /* for gdb_abort */
    bool done;     /* the thread left its loop */
    char says[200];
    struct gdb_feed_stats stats;
    uint32_t forget; /* asid, 0: none */
    uint32_t want[GDB_PAGING_ALSO_MAX], nwant;
    struct gdb_paging *ready; /* --verify: the newest poll, handed over */
    bool ready_new, ready_busy;
    bool asked; /* --verify: the main thread wants a poll */
    double ready_at;
};

double source_gdb_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t tick_at(const struct feed *f, double t)
{
    return t > f->t0 ? (uint32_t)((t - f->t0) * 100) : 0;
}

/* ---- output of the thread ---- */

static void out_add(struct feed *f, const char *data, size_t n)
{
    if (f->out_len + n > f->out_cap) {
        size_t cap = f->out_cap ? f->out_cap : 65536;
        while (cap < f->out_len + n)
            cap *= 2;
        char *grown = realloc(f->out, cap);
        if (!grown)
            return; /* out of memory: this line is lost; the model will contradict and say so */
        f->out = grown;
        f->out_cap = cap;
    }
    memcpy(f->out + f->out_len, data, n);
    f->out_len += n;
}

static void collect(void *arg, const char *line, size_t len)
{
    out_add(arg, line, len);
}

/* A line of the guest's output as a `log` record, escaped as Koiz escapes console text. A Koiz
 * record is not console text: a line holding one keeps only what comes before it. */
static void log_line(struct feed *f, double now)
{
    char text[LOG_LINE_MAX * TEXT_ESCAPE_MAX + 1], rec[PROTO_LINE_MAX + 16];
    f->line[f->line_len] = '\0';
    char *mark = strstr(f->line, PROTO_MARK);
    if (mark)
        f->line_len = (size_t)(mark - f->line);
    if (f->line_len) {
        size_t n = text_escape(text, f->line, f->line_len);
        text[n] = '\0';
        size_t len = rec_format_log(rec, sizeof rec, &(struct rec_log){tick_at(f, now), text_of(text)});
        out_add(f, rec, len);
    }
    f->line_len = 0;
}

static void guest_output(struct feed *f, const char *data, size_t n, double now)
{
    if (f->o.verify) { /* telemetry: as it comes */
        out_add(f, data, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n' || f->line_len == LOG_LINE_MAX) {
            log_line(f, now);
            if (data[i] == '\n')
                continue;
        }
        if (data[i] != '\r')
            f->line[f->line_len++] = data[i];
    }
}

/* Reads what the guest wrote, waiting up to wait_ms for the first bytes; at most DRAIN_MAX. */
static void drain(struct source *s, struct feed *f, int wait_ms)
{
    char chunk[65536];
    size_t total = 0;
    while (f->fd_open && total < DRAIN_MAX) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int r = poll(&pfd, 1, total ? 0 : wait_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        ssize_t n = read(s->fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            f->fd_open = false; /* the guest's output ended (QEMU quit, or end of input) */
            if (f->line_len)
                log_line(f, source_gdb_now());
            return;
        }
        guest_output(f, chunk, (size_t)n, source_gdb_now());
        total += (size_t)n;
    }
}

/* Hands what was gathered to the source's buffer. False once stopping. */
static bool flush(struct source *s, struct feed *f)
{
    bool ok = !f->out_len || source_put(s, f->out, f->out_len);
    f->out_len = 0;
    return ok;
}

/* ---- the thread ---- */

/* fmt holds two %s: where the stub is, and what went wrong. */
static void failed(struct source *s, struct feed *f, const char *fmt, const char *detail)
{
    char text[1024];
    snprintf(text, sizeof text, fmt, f->where, detail);
    source_set_error(s, text); /* cut to what the source keeps */
}

/* Connects, again and again for a while when koiz-view started QEMU (it needs a moment to listen). */
static struct gdb *connect_stub(struct source *s, struct feed *f)
{
    char err[GDB_ERROR_MAX];
    double until = source_gdb_now() + (f->o.spawned ? CONNECT_SECONDS : 0);
    for (;;) {
        struct gdb *g = gdb_connect(f->where, f->o.timeout_ms, err, sizeof err);
        if (g)
            return g;
        if (source_stopping(s))
            return NULL;
        drain(s, f, 0); /* what QEMU says meanwhile; its end ends the waiting */
        if (source_gdb_now() >= until || (f->o.spawned && !f->fd_open)) {
            size_t n = strlen(f->where); /* the client's message may start with the address too */
            const char *why = !strncmp(err, f->where, n) && !strncmp(err + n, ": ", 2) ? err + n + 2 : err;
            failed(s, f, "cannot connect to the GDB stub at %s: %s", why);
            return NULL;
        }
        usleep(50000);
    }
}

static void set_shared(struct source *s, struct feed *f, const char *says)
{
    pthread_mutex_lock(&s->lock);
    snprintf(f->says, sizeof f->says, "%s", says);
    pthread_mutex_unlock(&s->lock);
}

/* --verify: the poll goes to the main thread (if it is not busy with the last one). */
static void hand_over(struct source *s, struct feed *f, double stopped_at)
{
    pthread_mutex_lock(&s->lock);
    if (!f->ready_busy) {
        struct gdb_paging *t = f->ready;
        f->ready = f->p;
        f->p = t;
        f->ready_at = stopped_at;
        f->ready_new = true;
    }
    pthread_mutex_unlock(&s->lock);
}

/* --verify polls when the main thread asks (source_gdb_ask), at most at the rate. */
static bool poll_wanted(struct source *s, struct feed *f)
{
    if (!f->o.verify)
        return true;
    pthread_mutex_lock(&s->lock);
    bool asked = f->asked;
    f->asked = false;
    pthread_mutex_unlock(&s->lock);
    return asked;
}

/* Before a poll: what the main thread asked for (spaces to forget, or to read). */
static int prepare(struct source *s, struct feed *f)
{
    uint32_t want[GDB_PAGING_ALSO_MAX], n, forget;
    pthread_mutex_lock(&s->lock);
    forget = f->forget;
    f->forget = 0;
    n = f->nwant;
    memcpy(want, f->want, n * sizeof *want);
    pthread_mutex_unlock(&s->lock);
    if (f->o.verify)
        return gdb_paging_also(f->p, want, n);
    if (forget)
        gdb_watch_forget(f->w, forget);
    return gdb_watch_prepare(f->w, f->p);
}

/* After a poll: its figures. */
static void count(struct source *s, struct feed *f, double at, uint64_t update_us)
{
    const struct gdb_paging_times *t = &f->p->times;
    pthread_mutex_lock(&s->lock);
    struct gdb_feed_stats *st = &f->stats;
    if (!st->polls)
        st->first_at = at;
    st->last_at = at;
    st->polls++;
    st->stop_us += t->stop_us;
    st->reads_us += t->reads_us;
    st->resume_us += t->resume_us;
    st->update_us += update_us;
    st->total_us += t->total_us + update_us;
    if (t->total_us + update_us > st->max_total_us)
        st->max_total_us = t->total_us + update_us;
    st->requests += t->requests;
    st->bytes += t->bytes;
    st->records = f->w ? gdb_watch_stats(f->w)->records : 0;
    uint32_t spaces = f->w ? gdb_watch_stats(f->w)->spaces : 1 + f->p->nalso;
    if (spaces > st->spaces_max)
        st->spaces_max = spaces;
    pthread_mutex_unlock(&s->lock);
}

/* The link went: an end once polls were made and the stub closed (QEMU quit), an error otherwise. */
static void link_lost(struct source *s, struct feed *f, struct gdb *g)
{
    char note[320];
    if (gdb_gone(g) && f->stats.polls) {
        snprintf(note, sizeof note, "the GDB stub at %.60s went away (%.200s)", f->where, gdb_error(g));
        source_set_note(s, note);
    } else if (gdb_gone(g)) {
        failed(s, f, "the GDB stub at %s closed the connection before the first poll: %s", f->p->says);
    } else {
        failed(s, f, "the GDB stub at %s: %s", f->p->says);
    }
}

static void feed_run(struct source *s)
{
    struct feed *f = s->produce_arg;
    f->t0 = source_gdb_now();
    f->fd_open = s->fd >= 0;
    struct gdb *g = connect_stub(s, f);
    pthread_mutex_lock(&s->lock);
    f->g = g;
    pthread_mutex_unlock(&s->lock);
    double period = 1.0 / f->o.rate, next = source_gdb_now();
    while (g && !source_stopping(s)) {
        double now = source_gdb_now();
        if (now >= next && !poll_wanted(s, f))
            next = now + 0.005; /* --verify: nothing asked yet */
        if (now < next) {
            int ms = (int)((next - now) * 1000) + 1;
            if (f->fd_open) {
                drain(s, f, ms < 50 ? ms : 50);
                if (f->o.verify && !flush(s, f))
                    break;
            } else {
                usleep((useconds_t)(ms < 50 ? ms : 50) * 1000);
            }
            if (f->o.verify && !f->fd_open)
                break; /* the telemetry is over: so is the verification */
            continue;
        }
        drain(s, f, 0); /* what the guest wrote before the stop comes before the poll */
        if (f->o.verify && !flush(s, f))
            break;
        if (prepare(s, f)) {
            source_set_error(s, "out of memory preparing a poll");
            break;
        }
        double at = source_gdb_now();
        if (gdb_paging_poll(g, f->p)) {
            link_lost(s, f, g);
            break;
        }
        double stopped_at = at + f->p->times.stop_us / 1e6, u0 = source_gdb_now();
        if (f->o.verify) {
            set_shared(s, f, f->p->drawable ? "" : f->p->says);
            count(s, f, at, 0);
            hand_over(s, f, stopped_at);
        } else {
            gdb_watch_update(f->w, f->p, tick_at(f, stopped_at), collect, f);
            set_shared(s, f, gdb_watch_says(f->w));
            count(s, f, at, (uint64_t)((source_gdb_now() - u0) * 1e6));
        }
        if (!flush(s, f))
            break;
        if (f->o.polls && f->stats.polls >= f->o.polls)
            break;
        next += period;
        if (next < source_gdb_now())
            next = source_gdb_now();
    }
    pthread_mutex_lock(&s->lock);
    f->g = NULL;
    f->done = true;
    pthread_mutex_unlock(&s->lock);
    gdb_close(g);
    drain(s, f, 0); /* the guest's last words (QEMU has quit, or koiz-view is stopping) */
    if (f->line_len)
        log_line(f, source_gdb_now());
    flush(s, f);
}

/* source_stop asked: the loop looks at it between polls; a request waiting for the stub is cut. */
static void feed_stop(struct source *s)
{
    struct feed *f = s->produce_arg;
    for (int i = 0; i < 20; i++) {
        pthread_mutex_lock(&s->lock);
        bool done = f->done;
        if (!done && i == 19 && f->g)
            gdb_abort(f->g);
        pthread_mutex_unlock(&s->lock);
        if (done)
            return;
        usleep(10000);
    }
}

static void feed_free(struct source *s)
{
    struct feed *f = s->produce_arg;
    if (!f)
        return;
    gdb_paging_free(f->p);
    gdb_paging_free(f->ready);
    gdb_watch_free(f->w);
    free(f->out);
    free(f);
    s->produce_arg = NULL;
}

/* ---- the main thread's side ---- */

int source_gdb(struct source *s, const struct gdb_feed_options *o, char *err, size_t errsz)
{
    struct feed *f = calloc(1, sizeof *f);
    if (!f || o->rate <= 0) {
        free(f);
        snprintf(err, errsz, f ? "the poll rate must be above 0" : "out of memory");
        return -1;
    }
    f->o = *o;
    snprintf(f->where, sizeof f->where, "%s", o->where);
    f->o.where = f->where;
    if (!f->o.timeout_ms)
        f->o.timeout_ms = GDB_TIMEOUT_MS;
    f->p = gdb_paging_new(ENTRIES);
    f->ready = o->verify ? gdb_paging_new(ENTRIES) : NULL;
    f->w = o->verify ? NULL : gdb_watch_new(o->ram_kib);
    s->produce_arg = f;
    s->produce = feed_run;
    s->produce_stop = feed_stop;
    s->produce_free = feed_free;
    if (!f->p || (o->verify ? !f->ready : !f->w)) {
        feed_free(s);
        s->produce = NULL;
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    if (s->kind == SRC_FD && s->fd < 0)
        snprintf(s->what, sizeof s->what, "GDB stub %.50s", o->where);
    else
        snprintf(s->what + strlen(s->what), sizeof s->what - strlen(s->what), " + GDB stub %.30s", o->where);
    return 0;
}

bool source_is_gdb(const struct source *s)
{
    return s->produce == feed_run;
}

int source_gdb_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

void source_gdb_stats(struct source *s, struct gdb_feed_stats *out)
{
    struct feed *f = s->produce_arg;
    memset(out, 0, sizeof *out);
    if (!source_is_gdb(s) || !f)
        return;
    pthread_mutex_lock(&s->lock);
    *out = f->stats;
    pthread_mutex_unlock(&s->lock);
}

void source_gdb_says(struct source *s, char *out, size_t size)
{
    struct feed *f = s->produce_arg;
    out[0] = '\0';
    if (!source_is_gdb(s) || !f)
        return;
    pthread_mutex_lock(&s->lock);
    snprintf(out, size, "%s", f->says);
    pthread_mutex_unlock(&s->lock);
}

void source_gdb_forget(struct source *s, uint32_t asid)
{
    struct feed *f = s->produce_arg;
    if (!source_is_gdb(s) || !f)
        return;
    pthread_mutex_lock(&s->lock);
    f->forget = asid;
    pthread_mutex_unlock(&s->lock);
}

void source_gdb_want(struct source *s, const uint32_t *cr3, uint32_t n)
{
    struct feed *f = s->produce_arg;
    if (!source_is_gdb(s) || !f)
        return;
    if (n > GDB_PAGING_ALSO_MAX)
        n = GDB_PAGING_ALSO_MAX;
    pthread_mutex_lock(&s->lock);
    memcpy(f->want, cr3, n * sizeof *cr3);
    f->nwant = n;
    pthread_mutex_unlock(&s->lock);
}

void source_gdb_ask(struct source *s)
{
    struct feed *f = s->produce_arg;
    if (!source_is_gdb(s) || !f)
        return;
    pthread_mutex_lock(&s->lock);
    f->asked = true;
    pthread_mutex_unlock(&s->lock);
}

const struct gdb_paging *source_gdb_take_reading(struct source *s, double *stopped_at)
{
    struct feed *f = s->produce_arg;
    const struct gdb_paging *p = NULL;
    if (!source_is_gdb(s) || !f || !f->o.verify)
        return NULL;
    pthread_mutex_lock(&s->lock);
    if (f->ready_new) {
        f->ready_new = false;
        f->ready_busy = true;
        *stopped_at = f->ready_at;
        p = f->ready;
    }
    pthread_mutex_unlock(&s->lock);
    return p;
}

void source_gdb_release_reading(struct source *s)
{
    struct feed *f = s->produce_arg;
    if (!source_is_gdb(s) || !f)
        return;
    pthread_mutex_lock(&s->lock);
    f->ready_busy = false;
    pthread_mutex_unlock(&s->lock);
}
