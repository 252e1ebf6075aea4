/*
 * main.c: koiz-view's entry: the command line, the input (an emulator it
 * starts, stdin, a FIFO, a serial port, or a recording replayed at a pace),
 * and either the window's main loop or a headless run that ends with a PNG,
 * the model's text dump, and the walks and frames asked for. Bytes become records and records change the
 * model here, on the main thread only; the reader thread (source.c) just
 * fills a buffer.
 *
 * SIGINT and SIGTERM end every mode within a quarter of a second, with the
 * shell's status for them (130, 143); a headless run says how far it got.
 * A headless run ends non-zero when the input held no record at all, or
 * ended before what --after or --until waited for, or was cut by a failed read.
 */
#define _GNU_SOURCE
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "cli.h"
#include "history.h"
#include "gdb_run.h"
#include "model.h"
#include "model_walk.h"
#include "parser.h"
#include "sanitizer.h"
#include "shot.h"
#include "replay.h"
#include "source.h"
#include "travel.h"
#include "source_gdb.h"
#include "view.h"

#define TAKE_MAX    (1u << 20)                  /* bytes taken from the reader per go */
#define PENDING_MAX (TAKE_MAX + PROTO_LINE_MAX) /* --after/--until: unparsed bytes held at most */
#define FRAME_MAX   (8u << 20) /* bytes parsed per frame, so a flood keeps the window alive */

struct app {
    struct options o;
    struct model *m;
    struct parser p;
    bool live, replaying, ended;
    struct source src;
    char *chunk;
    char *pending; /* --after on a live source: bytes not yet fed as whole lines */
    size_t pending_len;
    int exit_status;
    Uint32 wake_event;
    char stream_tmp[PATH_MAX]; /* a live stream kept for the time machine in a temporary file, or "" */
    bool keep_stream;          /* Ctrl+S: the temporary file stays */
    struct sanitizer *san;     /* the paging sanitizer, fed every record of a->m (NULL: none) */
    double begun;              /* when the status line first said the emulator was booting (monotonic s) */
    /* the time machine, in the window */
    struct history *h;
    struct model *vm; /* the model of the moment shown when it is not the present (a replay: always) */
    uint64_t vm_at;   /* its moment, UINT64_MAX when unknown */
    struct model *am; /* the model at moment A (a difference) */
    uint64_t am_at;
    bool playing;        /* a replay moves on by itself */
    double rate, credit; /* records a second; owed records */
    struct gdb_run gdb;  /* --gdb, --verify */
};

static volatile sig_atomic_t interrupted; /* the signal that asked us to stop, or 0 */

static void on_signal(int sig)
{
    interrupted = sig;
}

/* SIGINT and SIGTERM only set `interrupted`: every loop looks at it. Installed
 * before SDL starts, which then leaves them alone (SDL_HINT_NO_SIGNAL_HANDLERS). */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The exit status for a stop by signal: 128 + its number, as a shell reports it. */
static int signal_status(void)
{
    return 128 + (int)interrupted;
}

static int fail(int code, const char *msg)
{
    fprintf(stderr, "koiz-view: %s\n", msg);
    return code;
}

/* The Koiz source tree: $KOIZ_ROOT, else the parent of the directory holding this program, else cwd and up.
 */
static void find_root(char *out, size_t size)
{
    const char *env = getenv("KOIZ_ROOT");
    char path[PATH_MAX], probe[PATH_MAX + 16];
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        char *dir = dirname(dirname(path)); /* build/koiz-view -> the tree */
        snprintf(probe, sizeof probe, "%s/bochsrc", dir);
        if (access(probe, R_OK) == 0) {
            snprintf(out, size, "%s", dir);
            return;
        }
    }
    if (!getcwd(path, sizeof path))
        snprintf(path, sizeof path, ".");
    for (;;) {
        snprintf(probe, sizeof probe, "%s/bochsrc", path);
        if (access(probe, R_OK) == 0 || !strcmp(path, "/"))
            break;
        char *slash = strrchr(path, '/');
        if (!slash)
            break;
        *(slash == path ? slash + 1 : slash) = '\0';
    }
    snprintf(out, size, "%s", access(probe, R_OK) == 0 ? path : ".");
}

static void wake(void *arg)
{
    struct app *a = arg;
    if (a->wake_event != (Uint32)-1) {
        SDL_Event e = {.type = a->wake_event};
        SDL_PushEvent(&e);
    }
}

/* The sanitizer follows a recording's build pass (the model fed every record in order), not a->m,
 * which seeks move about. */
static void san_applied(void *ctx, const struct model *m, const struct record *r, uint64_t moment)
{
    sanitizer_record(ctx, m, r, moment);
}

static void sanitize_recording(struct app *a, struct history *h)
{
    a->m->check_change = NULL;
    sanitizer_watch(a->san, history_build_model(h));
    history_on_applied(h, san_applied, a->san);
}

/* Opens the input the options name. Returns 0, or an exit status after saying why. */
static int open_input(struct app *a, bool headless)
{
    char err[512], root[PATH_MAX];
    const struct options *o = &a->o;
    a->live = true;
    if (o->gdb) { /* QEMU's GDB stub, alone or beside the guest's output */
        find_root(root, sizeof root);
        int rc = gdb_run_open(&a->gdb, &a->src, o, root, headless, err, sizeof err);
        if (rc)
            return fail(rc, err);
        if (o->record && source_record(&a->src, o->record, err, sizeof err) != 0) {
            source_stop(&a->src);
            return fail(1, err);
        }
        return 0;
    }
    switch (o->mode) {
    case IN_BOCHS:
        find_root(root, sizeof root);
        if (source_spawn(&a->src, SRC_BOCHS, root, o->megs, headless, err, sizeof err) != 0)
            return fail(1, err);
        break;
    case IN_QEMU: {
        struct qemu_extra x = {.kernel = o->kernel, .append = o->append, .port_only = o->port_only};
        find_root(root, sizeof root);
        if (source_spawn_qemu(&a->src, root, o->megs, headless, &x, err, sizeof err) != 0)
            return fail(1, err);
        break;
    }
    case IN_STDIN: source_fd(&a->src, 0, "stdin"); break;
    case IN_GDB: break; /* o->gdb: above */
    case IN_SERIAL:
        if (source_serial(&a->src, o->device, o->baud, err, sizeof err) != 0)
            return fail(1, err);
        break;
    case IN_FILE: {
        struct stat st;
        /* A FIFO or a device is live. So is a recording read headless: from start to end,
         * through the reader's bounded buffer, however big the file. */
        if (stat(o->path, &st) == 0 &&
            (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || (headless && S_ISREG(st.st_mode)))) {
            int fd = open(o->path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                snprintf(err, sizeof err, "cannot read %s: %s", o->path, strerror(errno));
                return fail(1, err);
            }
            if (o->record && S_ISREG(st.st_mode)) {
                close(fd);
                return fail(2, "--record is for live input; a file is already a recording");
            }
            source_fd(&a->src, fd, o->path);
            break;
        }
        if (o->record)
            return fail(2, "--record is for live input; a file is already a recording");
        if (!(a->h = history_open_file(o->path, err, sizeof err)))
            return fail(1, err);
        sanitize_recording(a, a->h);
        a->live = false;
        a->replaying = true;
        a->rate = o->speed;
        a->playing = !o->paused;
        return 0;
    }
    }
    if (o->record && source_record(&a->src, o->record, err, sizeof err) != 0) {
        source_stop(&a->src);
        return fail(1, err);
    }
    return 0;
}

/* Has a record of a kind --until waits for arrived? */
static bool until_seen(const struct app *a)
{
    for (int t = 0; t < RT_COUNT; t++)
        if ((a->o.until_kinds >> t & 1) && a->p.stats.by_type[t])
            return true;
    return false;
}

/* Has the stream given what --after or --until waits for? */
static bool stop_reached(const struct app *a)
{
    return (a->o.after && a->p.stats.records >= a->o.after) || (a->o.until && until_seen(a));
}

/* Feeds whole lines from data[*pos..len) one record at a time, up to the stop. */
static void feed_to_stop(struct app *a, const char *data, size_t len, size_t *pos, bool last)
{
    while (*pos < len && !stop_reached(a))
        if (!feed_lines(&a->p, data, len, pos, a->p.stats.records + 1, last))
            break; /* what is left is noise or part of a line */
}

/*
 * Parses bytes from a live source, stopping at --after or --until: whole lines
 * go to the parser one record at a time up to the stop; the unfinished last
 * line waits in `pending` for its end. Only its last PROTO_LINE_MAX bytes can
 * hold a record (a record ends its line), so an endless line (/dev/zero)
 * passes its older bytes on to the parser as noise: pending never holds more
 * than PENDING_MAX bytes.
 */
static void feed_live(struct app *a, const char *data, size_t n)
{
    if (!a->o.after && !a->o.until) {
        parser_feed(&a->p, data, n);
        return;
    }
    if (!a->pending && !(a->pending = malloc(PENDING_MAX)))
        return;
    while (n > 0 && !stop_reached(a)) {
        size_t take = n < PENDING_MAX - a->pending_len ? n : PENDING_MAX - a->pending_len, pos = 0;
        memcpy(a->pending + a->pending_len, data, take);
        a->pending_len += take;
        data += take;
        n -= take;
        feed_to_stop(a, a->pending, a->pending_len, &pos, false);
        if (!stop_reached(a) && a->pending_len - pos > PROTO_LINE_MAX) {
            size_t noise = a->pending_len - pos - PROTO_LINE_MAX;
            parser_feed(&a->p, a->pending + pos, noise); /* no newline in it: it ends no line */
            pos += noise;
        }
        memmove(a->pending, a->pending + pos, a->pending_len - pos);
        a->pending_len -= pos;
    }
}

/* Takes what the reader has, up to budget bytes. Marks the end of a live stream. */
static void ingest_live(struct app *a, size_t budget)
{
    size_t n, done = 0;
    while (done < budget && !stop_reached(a) && (n = source_take(&a->src, a->chunk, TAKE_MAX)) > 0) {
        feed_live(a, a->chunk, n);
        done += n;
    }
    int status;
    if (!a->ended && (stop_reached(a) || source_finished(&a->src, &status))) {
        if (!stop_reached(a)) {
            if (a->pending_len)
                feed_to_stop(a, a->pending, a->pending_len, &(size_t){0}, true);
            parser_finish(&a->p);
            a->exit_status = status;
        }
        a->ended = true;
    }
}

static void describe(struct app *a, struct view *v, bool paused);

/* A picture of the end of the stream: the status line, and the first --walk
 * (its page selected, the walk view open) or --frame (selected) shown. */
static void describe_batch(struct view *v, void *arg)
{
    struct app *a = arg;
    describe(a, v, false);
    if (a->o.nwalks) {
        if (a->o.walk_asid != UINT32_MAX)
            v->asid = a->o.walk_asid;
        v->sel_pde = (int)PDX(a->o.walks[0]);
        v->sel_pte = (int)PTX(a->o.walks[0]);
        v->walk_va = a->o.walks[0];
        v->walk_va_set = v->walk_open = true;
    }
    if (a->o.nframes)
        v->sel_frame = a->o.frames[0] >> PAGE_SHIFT;
}

/* ---- headless: read it all, then a picture and/or the dump ---- */

/* What --dump, --walk and --frame ask of the model as it is now (the end of the
 * stream, or the time machine's moment). */
static void print_answers(struct app *a)
{
    if (a->o.dump) {
        model_dump_summary(a->m, stdout);
        model_dump_frames(a->m, stdout);
        model_dump(a->m, stdout);
    }
    for (int i = 0; i < a->o.nwalks; i++) {
        struct walk w;
        model_walk(a->m, a->o.walk_asid == UINT32_MAX ? MODEL_NO_ASID : a->o.walk_asid, a->o.walks[i], &w);
        walk_print(a->m, &w, stdout);
    }
    for (int i = 0; i < a->o.nframes; i++)
        frame_print(a->m, a->o.frames[i], stdout);
}

/* What a headless run that read all it could must say: 0 when the stream gave what was
 * asked, else an exit status after saying what was missing. */
static int batch_verdict(struct app *a, const char *error, uint64_t bytes)
{
    const char *input = a->o.mode == IN_FILE ? a->o.path : a->src.what;
    if (error && *error && a->gdb.on) /* the stub's failure says it all */
        return fail(1, error);
    if (error && *error)
        return fail(1,
                    fmt("%s (after %llu bytes): the stream is cut short", error, (unsigned long long)bytes));
    if (bytes == 0)
        return fail(1, fmt("%s is empty: no Koiz record to %s", input, a->o.dump ? "dump" : "draw"));
    if (a->p.stats.records == 0)
        return fail(1, fmt("no Koiz record in %s (%llu bytes, %llu lines): is it a Koiz stream?", input,
                           (unsigned long long)bytes, (unsigned long long)a->p.stats.lines));
    if (a->o.after && a->p.stats.records < a->o.after)
        return fail(1, fmt("the stream ended after %llu records, before the %llu that --after waits for",
                           (unsigned long long)a->p.stats.records, (unsigned long long)a->o.after));
    if (a->o.until && !until_seen(a))
        return fail(1,
                    fmt("the stream ended without a '%s' record, which --until waits for", a->o.until_name));
    return 0;
}

/* --check and --dump: the sanitizer's warnings up to moment upto; --check makes rc 4 when any. */
static int print_sanitizer(struct app *a, uint64_t upto, int rc)
{
    uint64_t n = sanitizer_count_until(a->san, upto), unchecked = sanitizer_unchecked(a->san);
    printf("sanitizer: %llu warning%s", (unsigned long long)n, n == 1 ? "" : "s");
    if (unchecked)
        printf("; %llu records not checked: the picture was not whole then (records lost or paused)",
               (unsigned long long)unchecked);
    if (sanitizer_foreign(a->san))
        printf("; not checked: koiz-view made this stream from QEMU's GDB stub (no TLB, frame or fork "
               "records: the rules need Koiz's own)");
    printf("\n");
    sanitizer_print(a->san, stdout, upto);
    return a->o.check && n && !rc ? 4 : rc;
}

static int run_batch(struct app *a)
{
    char error[320] = "";
    uint64_t bytes = 0;
    unsigned full_times = 0;
    int rc = 0, verified = 0;

    {
        char said[320] = "", note[320];
        if (source_start(&a->src, NULL, NULL) != 0)
            return fail(1, "cannot start the reader thread");
        while (!a->ended && !interrupted) {
            ingest_live(a, FRAME_MAX); /* a bounded go: a signal is seen between two */
            gdb_run_step(&a->gdb, &a->src, a->m, a->p.stats.records, true);
            source_note(&a->src, note, sizeof note);
            if (note[0] && strcmp(note, said)) { /* what a window's status line would say, once */
                fprintf(stderr, "koiz-view: %s\n", note);
                memcpy(said, note, sizeof said);
            }
            if (!a->ended)
                usleep(2000);
        }
        source_counts(&a->src, &bytes, &full_times);
        source_error(&a->src, error, sizeof error);
        verified = gdb_run_finish(&a->gdb, &a->src);
        source_stop(&a->src);
    }
    if (interrupted) {
        fprintf(stderr, "koiz-view: stopped by %s after %llu bytes and %llu records%s\n",
                interrupted == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)bytes,
                (unsigned long long)a->p.stats.records,
                a->o.until && !stop_reached(a) ? fmt(", before any '%s' record", a->o.until_name) : "");
        return signal_status();
    }
    if (full_times)
        fprintf(stderr,
                "koiz-view: the input came faster than it was parsed: reading waited %u time%s with "
                "%u MiB held\n",
                full_times, full_times == 1 ? "" : "s", SOURCE_BUFFER_LIMIT >> 20);
    rc = batch_verdict(a, error, bytes);
    rc = rc ? rc : verified;
    if (cli_travels(&a->o))
        return rc; /* the stream is whole in its file: the time machine answers from it */
    if (a->o.screenshot) {
        char err[512];
        SDL_Surface *s =
            shot_offscreen(a->m, &a->p, a->o.width, a->o.height, describe_batch, a, err, sizeof err);
        if (!s || shot_save(s, a->o.screenshot, err, sizeof err) != 0)
            rc = fail(1, err);
        SDL_FreeSurface(s);
    }
    if (a->p.stats.records)
        print_answers(a);
    if ((a->o.check || a->o.dump) && a->p.stats.records)
        rc = print_sanitizer(a, UINT64_MAX, rc);
    return rc;
}

/* ---- headless: the time machine ---- */

struct travel_shot {
    struct app *a;
    const char *what;
    struct history *h;
    uint64_t at, diff_a;
    const struct model *am;
};

static void describe_travel(struct view *v, void *arg)
{
    struct travel_shot *t = arg;
    v->san = t->a->san;
    if (t->a->o.check) { /* the picture shows the warnings' list, the last one so far selected */
        v->tm.side = SIDE_CHECKS;
        for (size_t i = 0; i < sanitizer_kept(t->a->san); i++) {
            const struct san_warning *w = sanitizer_warning(t->a->san, i);
            if (w->moment > t->at)
                break;
            v->tm.check_sel = (int)i;
            if (w->asid != MODEL_NO_ASID && model_space(t->a->m, w->asid) && !t->a->o.asid_set)
                v->asid = w->asid;
            if (w->va) {
                v->sel_pde = (int)PDX(w->va);
                v->sel_pte = (int)PTX(w->va);
            }
        }
    }
    snprintf(v->source, sizeof v->source, "%s", t->a->o.mode == IN_FILE ? t->a->o.path : t->a->src.what);
    snprintf(v->state, sizeof v->state, "· %s", t->what);
    v->tm.h = t->h;
    v->tm.replay = true;
    v->tm.moments = history_moments(t->h);
    v->tm.built = history_built(t->h);
    v->tm.at = t->at;
    if (t->am) { /* a difference: its marks in the panels and its runs in the list */
        v->tm.a = t->diff_a;
        v->tm.am = t->am;
        v->tm.side = SIDE_DIFF;
    }
    if (t->a->o.diff_spaces) {
        v->tm.space_x = t->a->o.space_x;
        v->asid = t->a->o.space_y;
        v->tm.side = SIDE_DIFF;
    }
    if (t->a->o.asid_set)
        v->asid = t->a->o.asid;
    if (t->a->o.history) {
        v->sel_pde = (int)PDX(t->a->o.history_va);
        v->sel_pte = (int)PTX(t->a->o.history_va);
        v->focus = t->a->o.history_dir ? P_DIR : P_TABLE;
        travel_open_history(v, t->a->m, false);
    }
}

/* Answers the time machine's questions from the stream's file (the recording, or
 * the file a live stream was kept in). */
static int run_travel(struct app *a, const char *path)
{
    const struct options *o = &a->o;
    char err[512], name[64], what[160];
    int rc = 0;
    struct history *h = history_open_file(path, err, sizeof err);
    if (!h)
        return fail(1, err);
    sanitizer_free(a->san); /* a fresh one: a stream read live first is read again whole here */
    if (!(a->san = sanitizer_new())) {
        history_close(h);
        return fail(1, "out of memory");
    }
    sanitize_recording(a, h);
    while (!interrupted && !history_index_step(h, 64u << 20))
        ;
    while (!interrupted && !history_build_step(h, 64u << 20))
        ;
    if (interrupted) {
        history_close(h);
        return signal_status();
    }
    uint64_t last = history_moments(h);
    if (last == 0) {
        history_close(h);
        return fail(1, fmt("no Koiz record in %s: nothing to go back to", path));
    }
    bool beyond = false;
    uint64_t at = o->at.set ? travel_moment(h, &o->at, &beyond) : last;
    if (beyond)
        rc = fail(1, fmt("the stream has %llu records: #%llu is past them (--at)", (unsigned long long)last,
                         (unsigned long long)o->at.value));
    struct model *other = NULL;
    uint64_t diff_at = UINT64_MAX;
    if (o->diff_a.set) {
        bool ba, bb;
        uint64_t ma = travel_moment(h, &o->diff_a, &ba), mb = travel_moment(h, &o->diff_b, &bb);
        if (ba || bb)
            rc = fail(1, fmt("the stream has %llu records: --diff names a moment past them",
                             (unsigned long long)last));
        other = model_new();
        if (!other || history_seek(h, other, ma, NULL) != 0 || history_seek(h, a->m, mb, NULL) != 0) {
            model_free(other);
            history_close(h);
            return fail(1, fmt("cannot read %s again", path));
        }
        travel_print_diff(stdout, h, other, a->m, ma, mb);
        at = mb;
        diff_at = ma;
    } else if (history_seek(h, a->m, at, NULL) != 0) {
        history_close(h);
        return fail(1, fmt("cannot read %s again", path));
    }
    if (o->diff_spaces && travel_print_spaces(stdout, h, a->m, at, o->space_x, o->space_y) != 0)
        rc = 1;
    if (o->history) {
        uint32_t asid = o->asid_set ? o->asid : a->m->current_asid != MODEL_NO_ASID ? a->m->current_asid : 0;
        travel_print_history(stdout, h, asid, o->history_va, o->history_dir);
    }
    if (o->history_frame)
        travel_print_frame(stdout, h, o->frame_pa);
    if (o->dump || o->nwalks || o->nframes) {
        printf("moment %s of %llu\n", travel_moment_name(h, at, name, sizeof name), (unsigned long long)last);
        print_answers(a);
    }
    if (o->dump || o->check)
        rc = print_sanitizer(a, o->dump ? at : UINT64_MAX, rc);
    if (o->screenshot) {
        snprintf(what, sizeof what, "at %s of %llu records", travel_moment_name(h, at, name, sizeof name),
                 (unsigned long long)last);
        struct travel_shot t = {a, what, h, at, diff_at, other};
        a->p.stats.records = at;
        SDL_Surface *s =
            shot_offscreen(a->m, &a->p, o->width, o->height, describe_travel, &t, err, sizeof err);
        if (!s || shot_save(s, o->screenshot, err, sizeof err) != 0)
            rc = fail(1, err);
        SDL_FreeSurface(s);
    }
    fflush(stdout);
    model_free(other);
    history_close(h);
    return rc;
}

/* ---- the window ---- */

static const char *fmt_baud(int baud)
{
    static char text[32];
    snprintf(text, sizeof text, "%d baud", baud);
    return text;
}

static void describe_stop(const struct app *a, struct view *v)
{
    if (a->o.after && a->p.stats.records >= a->o.after)
        snprintf(v->state, sizeof v->state, "· stopped after %llu records", (unsigned long long)a->o.after);
    else
        snprintf(v->state, sizeof v->state, "· stopped at the first '%s' record", a->o.until_name);
}

static void describe(struct app *a, struct view *v, bool paused)
{
    v->san = a->san;
    const struct options *o = &a->o;
    char note[200] = "";
    if (a->live)
        source_note(&a->src, note, sizeof note);
    if (a->replaying) {
        uint64_t indexed, built, size;
        history_progress(a->h, &indexed, &built, &size);
        snprintf(v->source, sizeof v->source, "replay of %s", o->path);
        if (indexed < size)
            snprintf(v->state, sizeof v->state, "· reading the recording: %.0f%%", 100.0 * indexed / size);
        else if (a->vm_at >= history_moments(a->h))
            snprintf(v->state, sizeof v->state, "· at the end");
        else
            snprintf(v->state, sizeof v->state, "· %s · %.0f records/s",
                     a->playing ? "playing" : "paused (space plays)", a->rate);
        return;
    }
    snprintf(v->source, sizeof v->source, "%s", a->src.what);
    if (a->ended && stop_reached(a))
        describe_stop(a, v);
    else if (a->ended && a->exit_status >= 0)
        snprintf(v->state, sizeof v->state, "· exited with status %d · the last picture stays",
                 a->exit_status);
    else if (a->ended)
        snprintf(v->state, sizeof v->state, "· the stream ended · the last picture stays");
    else if (note[0])
        snprintf(v->state, sizeof v->state, "· %s", note);
    else if (paused)
        snprintf(v->state, sizeof v->state, "· paused: the picture waits, bytes are kept");
    else if (o->mode == IN_SERIAL && !a->src.socket && a->p.stats.bytes > 2048 && !a->p.stats.records)
        /* Bytes but never a record: at the wrong speed, a UART reads garbage. */
        snprintf(v->state, sizeof v->state,
                 "· %d baud · bytes arrive but no record: is the kernel's baud= "
                 "the same?",
                 o->baud);
    else if (o->mode == IN_SERIAL)
        snprintf(v->state, sizeof v->state, "· %s%s", a->src.socket ? "a Unix socket" : fmt_baud(o->baud),
                 o->record ? " · recording" : "");
    else if (a->src.pid &&
             !a->p.stats.records) { /* an emulator started here, the kernel not heard from yet */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (!a->begun)
            a->begun = (double)ts.tv_sec + ts.tv_nsec / 1e9;
        snprintf(
            v->state, sizeof v->state,
            "· booting: %.0f s, %llu bytes from the emulator so far (its BIOS, GRUB's menu, then the kernel)",
            (double)ts.tv_sec + ts.tv_nsec / 1e9 - a->begun, (unsigned long long)a->p.stats.bytes);
    } else
        snprintf(v->state, sizeof v->state, "· running%s", o->record ? " · recording" : "");
    gdb_run_describe(&a->gdb, &a->src, v->state, sizeof v->state);
}

static double now_s(void)
{
    return SDL_GetPerformanceCounter() / (double)SDL_GetPerformanceFrequency();
}

static void screenshot(struct view *v, SDL_Renderer *r, double now, double *message_until)
{
    char path[64], err[512];
    time_t t = time(NULL);
    strftime(path, sizeof path, "koiz-view-%Y%m%d-%H%M%S.png", localtime(&t));
    if (shot_window(r, v->w, v->h, path, err, sizeof err) == 0)
        snprintf(v->message, sizeof v->message, "saved %s", path);
    else
        snprintf(v->message, sizeof v->message, "%.150s", err);
    *message_until = now + 4;
}

/*
 * Over a serial port koiz-view is the only keyboard a faraway PC may have,
 * and with an emulator it started it is where people type: t, 1-6 and k
 * (stop the running tasks) go to the kernel as they are (down the serial
 * line, or the emulator's COM1), r asks it for a snapshot (its key s, which
 * here saves a PNG). 0 for keys that stay in koiz-view.
 */
static char kernel_key(SDL_Keycode k)
{
    if (k == SDLK_t || k == SDLK_k || (k >= SDLK_1 && k <= SDLK_6))
        return (char)k;
    return k == SDLK_r ? 's' : 0;
}

static void send_key(struct app *a, struct view *v, char key, double now, double *message_until)
{
    if (source_send(&a->src, key) == 0)
        snprintf(v->message, sizeof v->message, "sent %c to the kernel%s", key,
                 key == 's'   ? ": a fresh snapshot of every space"
                 : key == 't' ? ": the tour"
                 : key == 'k' ? ": stop the running tasks"
                              : "");
    else
        snprintf(v->message, sizeof v->message, "%s is away: %c not sent",
                 a->o.mode == IN_SERIAL ? a->o.device : "the emulator's COM1", key);
    *message_until = now + 4;
}

/* --gdb: the window's key Delete forgets the space shown (the watch drops it; it comes back when live). */
static void forget_space(struct app *a, struct view *v, double now, double *message_until)
{
    const struct space *sp = view_space(v, a->m);
    if (sp && sp->asid != a->m->current_asid) {
        source_gdb_forget(&a->src, sp->asid);
        snprintf(v->message, sizeof v->message, "space %u forgotten (it comes back when it is live again)",
                 sp->asid);
    } else {
        snprintf(v->message, sizeof v->message, "the live space cannot be forgotten");
    }
    *message_until = now + 4;
}

/*
 * Side by side with the emulator. Bochs and QEMU open their windows in the
 * middle of the screen, where koiz-view would cover them or they it; so
 * when koiz-view started the emulator, it moves the emulator's window to
 * the top-left corner (with xdotool, when installed: SDL cannot move
 * another program's window) and takes the rest of the screen's width.
 */
#define EMULATOR_WINDOW_W 730 /* Bochs's 720 pixels and a gap */

static void arrange_beside_emulator(const struct app *a, SDL_Window *win)
{
    /* Waits for the emulator's window, then moves it a few times over some seconds:
     * the emulator may still place its own window after it first appears. */
    static const char move[] =
        "command -v xdotool >/dev/null || exit 0; "
        "timeout 60 xdotool search --sync --onlyvisible --class 'bochs|qemu' >/dev/null 2>&1 || exit 0; "
        "for i in 1 2 3 4 5 6; do "
        "xdotool search --onlyvisible --class 'bochs|qemu' windowmove 0 0 >/dev/null 2>&1; sleep 1; done";
    SDL_Rect b;
    pid_t pid;

    if ((a->o.mode != IN_BOCHS && a->o.mode != IN_QEMU) || SDL_GetDisplayUsableBounds(0, &b) != 0)
        return;
    if (b.w - EMULATOR_WINDOW_W < 640)
        return; /* too narrow for both: leave the placing to the window manager */
    SDL_SetWindowSize(win, a->o.width < b.w - EMULATOR_WINDOW_W ? a->o.width : b.w - EMULATOR_WINDOW_W,
                      a->o.height < b.h ? a->o.height : b.h);
    SDL_SetWindowPosition(win, b.x + EMULATOR_WINDOW_W, b.y);
    /* Forked twice, so the mover is nobody's child to wait for. */
    pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
            }
            execl("/bin/sh", "sh", "-c", move, (char *)NULL);
        }
        _exit(0);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* ---- pacing: an emulator's guest time kept to the wall clock while people watch ---- */

/*
 * Bochs runs guest time as fast as it can (clock: sync=none), so a demo whose
 * steps sleep a few timer ticks is over in a blink. Once the kernel is up (its
 * first complete round), koiz-view holds the emulator it started to the wall
 * clock: when the stream's ticks (100 a second) run ahead of the time since,
 * the emulator is stopped (SIGSTOP) until the clock catches up. Booting runs
 * at full speed; headless runs, tests and benchmarks are never paced. QEMU
 * keeps guest time to the host's anyway: the same code finds nothing to do.
 */
struct pace {
    bool on, up, stopped;
    double wall0, stopped_for;
    uint32_t tick0;
    uint64_t stops;
};

#define PACE_AHEAD 0.05 /* seconds guest time may run ahead before a stop */

static void pace(struct app *a, struct pace *p, double now)
{
    if (!p->on || !a->src.pid || a->ended)
        return;
    const struct model *m = a->m;
    if (!p->up || m->tick < p->tick0) { /* up: the first complete round; a reboot starts again */
        if (p->stopped)
            kill(-a->src.pid, SIGCONT), p->stopped = false;
        p->up = m->stats.rounds_ok > 0 && m->tick >= p->tick0;
        p->wall0 = now;
        p->tick0 = m->tick;
        return;
    }
    double ahead = (m->tick - p->tick0) / 100.0 - (now - p->wall0);
    if (ahead > PACE_AHEAD && !p->stopped) {
        kill(-a->src.pid, SIGSTOP);
        p->stopped = true;
        p->stops++;
    } else if (ahead <= 0 && p->stopped) {
        kill(-a->src.pid, SIGCONT);
        p->stopped = false;
    }
}

/* ---- the time machine in the window ---- */

/* The model of the moment on screen: the present (the parser's) when live, else the view's own. */
static const struct model *shown_model(struct app *a, const struct view *v)
{
    return a->replaying || !v->tm.live ? a->vm : a->m;
}

/* Whether the time machine has work for the next frame: reading, building, playing. */
static bool travel_busy(struct app *a)
{
    if (!a->h)
        return false;
    uint64_t indexed, built, size;
    history_progress(a->h, &indexed, &built, &size);
    return (a->replaying && (indexed < size || built < size)) ||
           (a->replaying && a->playing && a->vm_at < history_moments(a->h));
}

static void on_record(void *ctx, const struct record *r, uint64_t line_start)
{
    struct app *a = ctx;
    if (a->h)
        history_live_record(a->h, r, line_start);
    if (a->san)
        sanitizer_record(a->san, a->m, r, a->p.stats.records);
}

#define BUILD_PER_FRAME (8u << 20) /* bytes of a recording indexed or built per frame */
#define NEAR_AHEAD      4096       /* records read forward rather than from a checkpoint, while dragging */

/* One frame's work: read and build a recording, go where the keys or the timeline asked, play. */
static void travel_step(struct app *a, struct view *v, double dt)
{
    struct travel_view *t = &v->tm;
    if (!a->h)
        return;
    if (a->replaying && !history_index_step(a->h, BUILD_PER_FRAME))
        ; /* the index first: the timeline needs it */
    else if (a->replaying)
        history_build_step(a->h, BUILD_PER_FRAME);
    t->moments = history_moments(a->h);
    t->built = history_built(a->h);
    uint64_t indexed, built, size;
    history_progress(a->h, &indexed, &built, &size);
    if (a->replaying && indexed >= size && !t->moments)
        a->ended = true; /* read whole, not one record: main's loop says so and stops */
    if (a->replaying && a->vm_at == UINT64_MAX && t->moments)
        history_seek(a->h, a->vm, 0, &a->vm_at); /* the beginning */
    if (t->go >= 0) {
        if (t->go == INT64_MAX) {
            if (a->replaying)
                history_seek(a->h, a->vm, t->moments, &a->vm_at);
            t->live = !a->replaying;
        } else {
            uint64_t target = (uint64_t)t->go < t->moments ? (uint64_t)t->go : t->moments;
            bool near = a->vm_at <= target && target - a->vm_at <= NEAR_AHEAD;
            if (t->go_rough && !near) /* dragging: a checkpoint's moment, reached without reading */
                target = history_checkpoint_before(a->h, target);
            history_seek(a->h, a->vm, target, &a->vm_at);
            t->live = false;
            a->playing = false;
        }
        t->go = -1;
    }
    if (a->replaying && a->playing && a->vm_at < t->moments) {
        a->credit += a->rate * dt;
        uint64_t owed = (uint64_t)a->credit;
        if (owed) {
            a->credit -= (double)owed;
            uint64_t to = a->vm_at + owed < t->moments ? a->vm_at + owed : t->moments;
            history_seek(a->h, a->vm, to, &a->vm_at);
        }
    }
    t->at = !a->replaying && t->live ? t->moments : a->vm_at;
    if (a->replaying)
        a->p.stats.records = a->vm_at == UINT64_MAX ? 0 : a->vm_at; /* the status line's count */
    if (t->a != UINT64_MAX) {
        if (!a->am)
            a->am = model_new();
        if (a->am && a->am_at != t->a)
            history_seek(a->h, a->am, t->a, &a->am_at);
        t->am = a->am;
    } else {
        t->am = NULL;
    }
}

/* The window's title: the source, the space shown, and where in time: "live" or "at #N of M". */
static void set_title(SDL_Window *win, struct view *v, const struct model *m)
{
    char title[256];
    const struct space *sp = view_space(v, m);
    const struct travel_view *t = &v->tm;
    int n = snprintf(title, sizeof title, "koiz-view · %s", v->source);
    if (sp)
        n +=
            snprintf(title + n, sizeof title - (size_t)n, " · space %u (%s)", sp->asid, view_space_how(v, m));
    if (t->h && t->live && !t->replay)
        snprintf(title + n, sizeof title - (size_t)n, " · live #%llu", (unsigned long long)t->moments);
    else if (t->h)
        snprintf(title + n, sizeof title - (size_t)n, " · at #%llu of %llu", (unsigned long long)t->at,
                 (unsigned long long)t->moments);
    if (strcmp(title, SDL_GetWindowTitle(win)))
        SDL_SetWindowTitle(win, title);
}

/* A live stream is kept in a file for the time machine: --record's, or a temporary one. */
static void travel_live_open(struct app *a)
{
    char err[512];
    if (!(a->h = history_open_live(a->o.record, err, sizeof err))) {
        fprintf(stderr, "koiz-view: no time machine: %s\n", err);
        return;
    }
    history_watch(a->h, a->m);
    a->p.on_record = on_record;
    a->p.record_ctx = a;
}

static int run_window(struct app *a)
{
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* ours are installed: catch_signals */
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        return fail(1, fmt("cannot open a window: %s (no display? try --headless --screenshot FILE.png)",
                           SDL_GetError()));
    SDL_Window *win = SDL_CreateWindow("koiz-view", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                       a->o.width, a->o.height, SDL_WINDOW_RESIZABLE);
    SDL_Renderer *r = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED) : NULL;
    if (win && !r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        int rc = fail(1, fmt("cannot open a window: %s", SDL_GetError()));
        SDL_Quit();
        return rc;
    }
    SDL_SetWindowMinimumSize(win, 640, 420);
    arrange_beside_emulator(a, win);
    a->wake_event = SDL_RegisterEvents(1);
    struct view v;
    char err[512];
    int w, h;
    SDL_GetRendererOutputSize(r, &w, &h);
    if (view_init(&v, r, w, h, err, sizeof err) != 0) {
        SDL_Quit();
        return fail(1, err);
    }
    v.parser = &a->p;
    v.san = a->san;
    v.tm.h = a->h;
    v.tm.replay = a->replaying;
    v.tm.live = a->live;
    if (a->live && source_start(&a->src, wake, a) != 0)
        return fail(1, "cannot start the reader thread");
    bool quit = false, paused = false, dirty = true;
    uint64_t drawn = UINT64_MAX;
    double last = now_s(), message_until = 0;
    struct pace pacing = {.on = !a->o.fast && (a->o.mode == IN_BOCHS || a->o.mode == IN_QEMU)};
    while (!quit && !interrupted) {
        double now = now_s();
        bool busy = dirty || view_animating(&v, now) || v.tm.dragging || travel_busy(a) ||
                    (a->live && !paused && !a->ended);
        SDL_Event e;
        if (SDL_WaitEventTimeout(&e, busy ? 15 : 250)) {
            do {
                dirty = true;
                switch (e.type) {
                case SDL_QUIT: quit = true; break;
                case SDL_WINDOWEVENT:
                    if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
                        SDL_GetRendererOutputSize(r, &w, &h);
                        view_resize(&v, w, h);
                    } else if (e.window.event == SDL_WINDOWEVENT_LEAVE) {
                        v.mouse_in = false;
                    }
                    break;
                case SDL_MOUSEMOTION:
                    v.mouse_x = e.motion.x;
                    v.mouse_y = e.motion.y;
                    v.mouse_in = true;
                    travel_mouse(&v, e.motion.x, e.motion.y, 1);
                    break;
                case SDL_MOUSEBUTTONDOWN:
                    if (v.help)
                        v.help = false; /* a click closes the help, and selects nothing under it */
                    else if (e.button.button == SDL_BUTTON_LEFT &&
                             !travel_mouse(&v, e.button.x, e.button.y, 0))
                        view_click(&v, shown_model(a, &v), e.button.x, e.button.y);
                    break;
                case SDL_MOUSEBUTTONUP:
                    if (e.button.button == SDL_BUTTON_LEFT)
                        travel_mouse(&v, e.button.x, e.button.y, 2);
                    break;
                case SDL_MOUSEWHEEL:
                    if (rect_has(&v.lay.p[P_LOG].frame, v.mouse_x, v.mouse_y))
                        view_wheel(&v, e.wheel.y * 3);
                    break;
                case SDL_KEYDOWN: {
                    SDL_Keycode k = e.key.keysym.sym;
                    if (view_typing_key(&v, k))
                        break; /* an address being typed takes every key */
                    if (k == SDLK_q)
                        quit = true;
                    else if (k == SDLK_F1 || (k == SDLK_ESCAPE && v.help))
                        v.help = !v.help;
                    else if (k == SDLK_SPACE && a->replaying)
                        a->playing = !a->playing;
                    else if (k == SDLK_SPACE)
                        paused = !paused;
                    else if ((k == SDLK_PLUS || k == SDLK_EQUALS || k == SDLK_KP_PLUS) && a->replaying)
                        a->rate = a->rate * 2 < 1e8 ? a->rate * 2 : 1e8;
                    else if ((k == SDLK_MINUS || k == SDLK_KP_MINUS) && a->replaying)
                        a->rate = a->rate / 2 > 1 ? a->rate / 2 : 1;
                    else if (k == SDLK_s && (e.key.keysym.mod & KMOD_CTRL) && a->stream_tmp[0]) {
                        a->keep_stream = true;
                        snprintf(v.message, sizeof v.message, "the stream is kept in %.130s", a->stream_tmp);
                        message_until = now + 8;
                    } else if (k == SDLK_s)
                        screenshot(&v, r, now, &message_until);
                    else if ((a->o.mode == IN_SERIAL || a->src.keys_fd >= 0) && kernel_key(k))
                        send_key(a, &v, kernel_key(k), now, &message_until);
                    else if (a->src.keys_why[0] && kernel_key(k)) {
                        snprintf(v.message, sizeof v.message,
                                 "%c cannot reach the kernel: %s; type it in the emulator's window",
                                 kernel_key(k), a->src.keys_why);
                        message_until = now + 6;
                    } else if (k == SDLK_DELETE && a->gdb.on && !a->gdb.verify)
                        forget_space(a, &v, now, &message_until);
                    else if (travel_key(&v, shown_model(a, &v), k, e.key.keysym.mod))
                        ;
                    else if (k == SDLK_END)
                        v.log_scroll = 0;
                    else
                        view_key(&v, shown_model(a, &v), k, e.key.keysym.mod);
                    break;
                }
                default: break;
                }
            } while (SDL_PollEvent(&e));
        }
        now = now_s();
        if (a->live && !paused)
            ingest_live(a, FRAME_MAX);
        pace(a, &pacing, now);
        if (a->live && !paused)
            gdb_run_step(&a->gdb, &a->src, a->m, a->p.stats.records, false);
        travel_step(a, &v, now - last > 0.25 ? 0.25 : now - last);
        last = now;
        if (a->replaying && a->ended) {
            a->exit_status = fail(1, fmt("no Koiz record in %s: is it a Koiz stream?", a->o.path));
            break;
        }
        if (message_until && now > message_until) {
            v.message[0] = '\0';
            message_until = 0;
        }
        char before[sizeof v.state];
        memcpy(before, v.state, sizeof before);
        describe(a, &v, paused);
        if (strcmp(before, v.state))
            dirty = true;
        const struct model *shown = shown_model(a, &v);
        set_title(win, &v, shown);
        if (dirty || shown->version != drawn || view_animating(&v, now)) {
            view_draw(&v, shown, now);
            SDL_RenderPresent(r);
            drawn = shown->version;
            dirty = false;
        }
    }
    if (pacing.stopped)
        kill(-a->src.pid, SIGCONT); /* so that it can end */
    int verified = gdb_run_finish(&a->gdb, &a->src);
    if (a->live)
        source_stop(&a->src);
    if (a->src.log[0])
        fprintf(stderr, "koiz-view: %s's own messages are in %s\n", a->src.what, a->src.log);
    view_free(&v);
    history_close(a->h);
    a->h = NULL;
    model_free(a->am);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    SDL_Quit();
    if (interrupted) {
        fprintf(stderr, "koiz-view: stopped by %s\n", interrupted == SIGINT ? "SIGINT" : "SIGTERM");
        return signal_status();
    }
    if (verified)
        return verified;
    return a->replaying && a->ended ? a->exit_status : 0;
}

int main(int argc, char **argv)
{
    struct app a;
    memset(&a, 0, sizeof a);
    a.wake_event = (Uint32)-1;
    char err[512];
    if (cli_parse(argc, argv, &a.o, err, sizeof err) != 0) {
        fprintf(stderr, "koiz-view: %s (see koiz-view --help)\n", err);
        return 2;
    }
    if (a.o.help) {
        cli_usage(stdout);
        return 0;
    }
    if (a.o.version) {
        printf("koiz-view %s (telemetry protocol %d)\n", KOIZ_VIEW_VERSION, PROTO_VERSION);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    catch_signals();
    if (a.o.bench) {
        setenv("SDL_VIDEODRIVER", "offscreen", 0);
        int rc = a.o.bench_travel ? bench_travel(a.o.path, a.o.width, a.o.height)
                                  : bench_run(a.o.path, a.o.width, a.o.height);
        TTF_Quit();
        return rc;
    }
    /* a picture, a dump or a walk of the end of the stream, or of another moment, needs no window */
    bool travel = cli_travels(&a.o);
    bool batch =
        a.o.headless || a.o.dump || a.o.check || a.o.screenshot || a.o.nwalks || a.o.nframes || travel;
    if (batch)
        setenv("SDL_VIDEODRIVER", "offscreen", 0);
    a.m = model_new();
    a.chunk = malloc(TAKE_MAX);
    if (!a.m || !a.chunk)
        return fail(1, "out of memory");
    parser_init(&a.p, a.m);
    if (!(a.san = sanitizer_new()))
        return fail(1, "out of memory");
    sanitizer_watch(a.san, a.m);
    a.p.on_record = on_record;
    a.p.record_ctx = &a;
    int rc = 0;
    struct stat st;
    /* the time machine answers from a file: a recording, or the live stream kept in one */
    bool stream_file =
        a.o.mode == IN_FILE && stat(a.o.path, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
    if (travel && a.o.mode == IN_FILE && !stream_file) { /* a recording (or no such file: it says so) */
        rc = run_travel(&a, a.o.path);
    } else {
        if ((travel || (!batch && a.o.mode != IN_FILE)) && !a.o.record) {
            snprintf(a.stream_tmp, sizeof a.stream_tmp, "%s/koiz-view-stream-XXXXXX",
                     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
            int fd = mkstemp(a.stream_tmp);
            if (fd < 0)
                return fail(1, fmt("cannot make a temporary file for the stream: %s", strerror(errno)));
            close(fd);
            a.o.record = a.stream_tmp;
        }
        rc = open_input(&a, batch);
        if (rc == 0 && !batch && a.live)
            travel_live_open(&a);
        a.vm = model_new();
        a.vm_at = a.am_at = UINT64_MAX;
        if (rc == 0 && !a.vm)
            rc = fail(1, "out of memory");
        if (rc == 0)
            rc = batch ? run_batch(&a) : run_window(&a);
        if (rc == 0 && travel)
            rc = run_travel(&a, a.o.record);
        if (a.stream_tmp[0] && !a.keep_stream)
            unlink(a.stream_tmp);
        else if (a.stream_tmp[0])
            fprintf(stderr, "koiz-view: the stream is kept in %s\n", a.stream_tmp);
        model_free(a.vm);
    }
    history_close(a.h);
    TTF_Quit();
    free(a.pending);
    free(a.chunk);
    model_free(a.m);
    sanitizer_free(a.san);
    cli_free(&a.o);
    return rc;
}
