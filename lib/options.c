/*
 * options.c: parse the kernel command line. Words are separated by spaces;
 * the first word is the kernel's own path when it starts with '/' or '('
 * (GRUB legacy passes the whole `kernel` line). Every problem becomes one
 * clear sentence for the console, and parsing goes on with the next word.
 */
#include <stdbool.h>
#include <koiz/klib.h>
#include <koiz/options.h>

struct parser {
    struct koiz_options *opt;
    options_warn_fn warn;
    void *ctx;
    int problems;
};

static void complain(struct parser *p, const char *fmt, const char *word, size_t len)
{
    char msg[160];
    char shown[48];
    /* Long words are cut so one bad option cannot flood the console. */
    size_t n = len < sizeof shown - 4 ? len : sizeof shown - 4;
    kmemcpy(shown, word, n);
    shown[n] = '\0';
    if (n < len)
        kstrlcpy(shown + n, "...", 4);
    ksnprintf(msg, sizeof msg, fmt, shown);
    p->problems++;
    if (p->warn)
        p->warn(p->ctx, msg);
}

static bool word_is(const char *w, size_t len, const char *name)
{
    return kstrlen(name) == len && kstrncmp(w, name, len) == 0;
}

static void parse_telemetry(struct parser *p, const char *v, size_t vlen, const char *word, size_t wlen)
{
    static const struct { const char *name; enum telemetry_target t; } names[] = {
        { "e9", TELEMETRY_E9 }, { "serial", TELEMETRY_SERIAL },
        { "both", TELEMETRY_BOTH }, { "off", TELEMETRY_OFF },
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (word_is(v, vlen, names[i].name)) {
            p->opt->telemetry = names[i].t;
            return;
        }
    }
    complain(p, "option '%s': telemetry must be e9, serial, both or off; keeping the default", word, wlen);
}

static void parse_loss(struct parser *p, const char *v, size_t vlen, const char *word, size_t wlen)
{
    if (word_is(v, vlen, "never"))
        p->opt->telemetry_loss = TELEMETRY_LOSS_NEVER;
    else if (word_is(v, vlen, "announce"))
        p->opt->telemetry_loss = TELEMETRY_LOSS_ANNOUNCE;
    else
        complain(p, "option '%s': telemetry_loss must be never or announce; keeping the default", word, wlen);
}

static void parse_baud(struct parser *p, const char *v, size_t vlen, const char *word, size_t wlen)
{
    uint32_t baud;
    if (kparse_u32(v, vlen, &baud) < 0 || baud == 0 || baud > 115200 || 115200 % baud != 0) {
        complain(p, "option '%s': baud must divide 115200 (115200, 57600, 38400, 19200, 9600...); keeping 115200",
                 word, wlen);
        return;
    }
    p->opt->baud = baud;
}

static void parse_crash(struct parser *p, const char *v, size_t vlen, const char *word, size_t wlen)
{
    if (word_is(v, vlen, "divide"))
        p->opt->crash = CRASH_DIVIDE;
    else if (word_is(v, vlen, "pagefault"))
        p->opt->crash = CRASH_PAGEFAULT;
    else if (word_is(v, vlen, "panic"))
        p->opt->crash = CRASH_PANIC;
    else
        complain(p, "option '%s': crash must be divide, pagefault or panic; not crashing", word, wlen);
}

static void parse_word(struct parser *p, const char *w, size_t len)
{
    size_t name_len = 0;
    const char *value;
    size_t vlen;

    while (name_len < len && w[name_len] != '=')
        name_len++;
    value = w + name_len + 1;
    vlen = name_len < len ? len - name_len - 1 : 0;
    bool has_value = name_len < len;

    if (word_is(w, name_len, "selftest")) {
        p->opt->selftest = 1;
        if (has_value) {
            if (vlen == 0 || vlen >= sizeof p->opt->selftest_only) {
                complain(p, "option '%s': selftest=TEXT needs 1 to 31 characters; running every test", w, len);
                return;
            }
            kmemcpy(p->opt->selftest_only, value, vlen);
            p->opt->selftest_only[vlen] = '\0';
        }
    } else if (word_is(w, name_len, "telemetry") && has_value) {
        parse_telemetry(p, value, vlen, w, len);
    } else if (word_is(w, name_len, "telemetry_loss") && has_value) {
        parse_loss(p, value, vlen, w, len);
    } else if (word_is(w, name_len, "telemetry_queue") && has_value) {
        uint32_t n;
        if (kparse_u32(value, vlen, &n) < 0 || n < 1024 || n > 32768)
            complain(p, "option '%s': telemetry_queue=N needs N bytes from 1024 to 32768; keeping 32768", w, len);
        else
            p->opt->telemetry_queue = n;
    } else if (word_is(w, name_len, "baud") && has_value) {
        parse_baud(p, value, vlen, w, len);
    } else if (word_is(w, name_len, "snapshot") && has_value) {
        uint32_t n;
        if (kparse_u32(value, vlen, &n) < 0 || n > 3600)
            complain(p, "option '%s': snapshot=N needs N seconds from 0 to 3600; no periodic snapshots", w, len);
        else
            p->opt->snapshot_seconds = n;
    } else if (word_is(w, name_len, "demo") && has_value) {
        if (vlen == 0 || vlen >= sizeof p->opt->demo)
            complain(p, "option '%s': demo=NAME needs a demo's name (tour, heap, stack, fork, wild, churn, idle)",
                     w, len);
        else {
            kmemcpy(p->opt->demo, value, vlen);
            p->opt->demo[vlen] = '\0';
        }
    } else if (word_is(w, name_len, "bench") && !has_value) {
        p->opt->bench = 1;
    } else if (word_is(w, name_len, "crash") && has_value) {
        parse_crash(p, value, vlen, w, len);
    } else if (word_is(w, name_len, "telemetry") || word_is(w, name_len, "baud") ||
               word_is(w, name_len, "telemetry_loss") || word_is(w, name_len, "telemetry_queue") ||
               word_is(w, name_len, "crash") || word_is(w, name_len, "snapshot") || word_is(w, name_len, "demo")) {
        complain(p, "option '%s' needs a value (for example telemetry=e9, baud=115200); ignored", w, len);
    } else {
        complain(p, "unknown option '%s' ignored (known: selftest[=TEXT], telemetry=e9|serial|both|off, "
                 "telemetry_loss=never|announce, telemetry_queue=N, baud=N, snapshot=N, demo=NAME, "
                 "crash=divide|pagefault|panic, bench)", w, len);
    }
}

int options_parse(const char *cmdline, struct koiz_options *opt, options_warn_fn warn, void *ctx)
{
    struct parser p = { opt, warn, ctx, 0 };
    size_t i = 0, len;
    bool first = true;

    kmemset(opt, 0, sizeof *opt);
    opt->telemetry = TELEMETRY_AUTO;
    opt->baud = 115200;
    if (!cmdline)
        return 0;

    len = kstrnlen(cmdline, CMDLINE_MAX);
    if (len == CMDLINE_MAX)
        complain(&p, "command line longer than %s characters: the rest is ignored", "255", 3);

    while (i < len) {
        size_t start;
        bool bad = false;
        while (i < len && (cmdline[i] == ' ' || cmdline[i] == '\t'))
            i++;
        start = i;
        while (i < len && cmdline[i] != ' ' && cmdline[i] != '\t') {
            /* Control bytes or non-ASCII mean a corrupt line, not an option. */
            if ((unsigned char)cmdline[i] < 0x20 || (unsigned char)cmdline[i] > 0x7e)
                bad = true;
            i++;
        }
        if (i == start)
            break;
        if (first && (cmdline[start] == '/' || cmdline[start] == '(')) {
            first = false;
            continue;
        }
        first = false;
        if (bad) {
            complain(&p, "malformed command line: a word with unprintable bytes was ignored (%s)", "?", 1);
            continue;
        }
        parse_word(&p, cmdline + start, i - start);
    }
    return p.problems;
}
