/*
 * options.c: parse the kernel command line (options.h). Words are separated
 * by spaces or tabs; the first word is the kernel's own path when it could
 * not be an option (no '=', not a flag's name): every loader Koiz knows
 * passes its path first, as "/boot/koiz.elf", "(fd0)/boot/koiz.elf" or
 * QEMU's "build/koiz.elf". Every problem becomes one clear sentence naming
 * the word, and parsing goes on with the next word; what was not understood
 * keeps its default.
 */
#include <stdbool.h>
#include <koiz/klib.h>
#include <koiz/bugs.h>
#include <koiz/options.h>

enum option_id {
    OPT_SELFTEST,
    OPT_TELEMETRY,
    OPT_TELEMETRY_LOSS,
    OPT_TELEMETRY_QUEUE,
    OPT_BAUD,
    OPT_SNAPSHOT,
    OPT_DEMO,
    OPT_DEMO_LIMIT,
    OPT_TOUR_PAUSE,
    OPT_BENCH,
    OPT_CRASH,
    OPT_TEST_DIVERGE,
    OPT_BUG,
    OPT_COUNT
};

enum value_rule { VALUE_NONE, VALUE_NEEDED, VALUE_OPTIONAL };

static const struct {
    const char *name;
    enum value_rule value;
    const char *example; /* for "needs a value" */
} options[OPT_COUNT] = {
    [OPT_SELFTEST] = {"selftest", VALUE_OPTIONAL, 0},
    [OPT_TELEMETRY] = {"telemetry", VALUE_NEEDED, "telemetry=e9"},
    [OPT_TELEMETRY_LOSS] = {"telemetry_loss", VALUE_NEEDED, "telemetry_loss=never"},
    [OPT_TELEMETRY_QUEUE] = {"telemetry_queue", VALUE_NEEDED, "telemetry_queue=4096"},
    [OPT_BAUD] = {"baud", VALUE_NEEDED, "baud=115200"},
    [OPT_SNAPSHOT] = {"snapshot", VALUE_NEEDED, "snapshot=10"},
    [OPT_DEMO] = {"demo", VALUE_NEEDED, "demo=tour"},
    [OPT_DEMO_LIMIT] = {"demo_limit", VALUE_NEEDED, "demo_limit=30"},
    [OPT_TOUR_PAUSE] = {"tour_pause", VALUE_NEEDED, "tour_pause=5"},
    [OPT_BENCH] = {"bench", VALUE_NONE, 0},
    [OPT_CRASH] = {"crash", VALUE_NEEDED, "crash=panic"},
    [OPT_TEST_DIVERGE] = {"test_diverge", VALUE_NEEDED, "test_diverge=2"},
    [OPT_BUG] = {"bug", VALUE_NEEDED, "bug=skip-invlpg"},
};

#define BUG_WORD(id, word, about) word,
static const char *const bug_words[KOIZ_BUG_COUNT] = {KOIZ_BUGS(BUG_WORD)};
#undef BUG_WORD

/* (test_diverge, for tests only, is left out of the list people are shown) */
#define KNOWN_OPTIONS                                                                          \
    "selftest, telemetry, telemetry_loss, telemetry_queue, baud, snapshot, demo, demo_limit, " \
    "tour_pause, crash, bench, bug"

/* The rates a PC's UART makes from its 115,200 baud clock that serial software offers. */
static const uint32_t bauds[] = {300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200};

struct word {
    const char *text;
    size_t len;
};

struct parser {
    struct koiz_options *opt;
    options_warn_fn warn;
    void *ctx;
    int problems;
    struct word first[OPT_COUNT]; /* each option's first word, once seen */
    bool conflict[OPT_COUNT];     /* given twice with different values: default kept */
};

/* A word as a message shows it: escaped (console-safe) and cut to about 40 characters. */
static void show(char *out, size_t size, struct word w)
{
    char escaped[40 * TEXT_ESCAPE_MAX];
    size_t take = w.len < 40 ? w.len : 40;
    size_t n = text_escape(escaped, w.text, take);
    if (n > size - 4)
        n = size - 4;
    kmemcpy(out, escaped, n);
    kstrlcpy(out + n, take < w.len ? "..." : "", 4);
}

/* Reports one problem; fmt holds up to two %s, filled with the words a and b (b may be empty). */
static void complain(struct parser *p, const char *fmt, struct word a, struct word b)
{
    char msg[240], sa[48], sb[48] = "";
    show(sa, sizeof sa, a);
    if (b.text)
        show(sb, sizeof sb, b);
    ksnprintf(msg, sizeof msg, fmt, sa, sb);
    p->problems++;
    if (p->warn)
        p->warn(p->ctx, msg);
}

static const struct word none = {0, 0};

static bool word_is(const char *w, size_t len, const char *name)
{
    return kstrlen(name) == len && kstrncmp(w, name, len) == 0;
}

/* A plain decimal number: digits only (no sign, no 0x), at most max. */
static bool decimal(const char *s, size_t len, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (0xFFFFFFFFu - (uint32_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Puts option id back to its default (after a conflict). */
static void reset(struct koiz_options *o, enum option_id id)
{
    switch (id) {
    case OPT_SELFTEST:
        o->selftest = 0;
        o->selftest_only[0] = '\0';
        break;
    case OPT_TELEMETRY: o->telemetry = TELEMETRY_AUTO; break;
    case OPT_TELEMETRY_LOSS: o->telemetry_loss = TELEMETRY_LOSS_AUTO; break;
    case OPT_TELEMETRY_QUEUE: o->telemetry_queue = 0; break;
    case OPT_BAUD: o->baud = 115200; break;
    case OPT_SNAPSHOT: o->snapshot_seconds = 0; break;
    case OPT_DEMO: o->demo[0] = '\0'; break;
    case OPT_DEMO_LIMIT: o->demo_limit_seconds = 0; break;
    case OPT_TOUR_PAUSE: o->tour_pause_seconds = TOUR_PAUSE_DEFAULT; break;
    case OPT_BENCH: o->bench = 0; break;
    case OPT_CRASH: o->crash = CRASH_NONE; break;
    case OPT_TEST_DIVERGE: o->test_diverge_seconds = 0; break;
    case OPT_BUG: o->bugs = 0; break;
    case OPT_COUNT: break;
    }
}

/* Applies option id with value v (vlen 0 and has_value false: none); complains about a bad value. */
static void apply(struct parser *p, enum option_id id, struct word w, const char *v, size_t vlen,
                  bool has_value)
{
    struct koiz_options *o = p->opt;
    uint32_t n;

    switch (id) {
    case OPT_SELFTEST:
        o->selftest = 1;
        if (!has_value)
            return;
        if (vlen == 0 || vlen >= sizeof o->selftest_only) {
            complain(p, "option '%s': selftest=TEXT needs 1 to 31 characters; running every test", w, none);
            return;
        }
        kmemcpy(o->selftest_only, v, vlen);
        o->selftest_only[vlen] = '\0';
        return;
    case OPT_TELEMETRY: {
        static const struct {
            const char *name;
            enum telemetry_target t;
        } names[] = {
            {"e9", TELEMETRY_E9},
            {"serial", TELEMETRY_SERIAL},
            {"both", TELEMETRY_BOTH},
            {"off", TELEMETRY_OFF},
        };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (word_is(v, vlen, names[i].name)) {
                o->telemetry = names[i].t;
                return;
            }
        complain(p, "option '%s': telemetry must be e9, serial, both or off; keeping the default", w, none);
        return;
    }
    case OPT_TELEMETRY_LOSS:
        if (word_is(v, vlen, "never"))
            o->telemetry_loss = TELEMETRY_LOSS_NEVER;
        else if (word_is(v, vlen, "announce"))
            o->telemetry_loss = TELEMETRY_LOSS_ANNOUNCE;
        else
            complain(p, "option '%s': telemetry_loss must be never or announce; keeping the default", w,
                     none);
        return;
    case OPT_TELEMETRY_QUEUE:
        if (decimal(v, vlen, 32768, &n) && n >= 1024)
            o->telemetry_queue = n;
        else
            complain(p, "option '%s': telemetry_queue=N needs N bytes from 1024 to 32768; keeping 32768", w,
                     none);
        return;
    case OPT_BAUD:
        if (decimal(v, vlen, 115200, &n))
            for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
                if (bauds[i] == n) {
                    o->baud = n;
                    return;
                }
        complain(p,
                 "option '%s': baud must be one of 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, "
                 "57600, 115200 (in decimal); keeping 115200",
                 w, none);
        return;
    case OPT_SNAPSHOT:
        if (decimal(v, vlen, 3600, &n))
            o->snapshot_seconds = n;
        else
            complain(p, "option '%s': snapshot=N needs N seconds from 0 to 3600; no periodic snapshots", w,
                     none);
        return;
    case OPT_DEMO:
        if (vlen == 0 || vlen >= sizeof o->demo) {
            complain(
                p,
                "option '%s': demo=NAME needs a demo's name (tour, heap, stack, fork, wild, churn, idle) "
                "or a user program's, 1 to 15 characters",
                w, none);
            return;
        }
        kmemcpy(o->demo, v, vlen);
        o->demo[vlen] = '\0';
        return;
    case OPT_DEMO_LIMIT:
        if (decimal(v, vlen, 86400, &n) && n > 0)
            o->demo_limit_seconds = n;
        else
            complain(p, "option '%s': demo_limit=N needs N seconds from 1 to 86400; no time limit", w, none);
        return;
    case OPT_TOUR_PAUSE:
        if (decimal(v, vlen, 600, &n))
            o->tour_pause_seconds = n;
        else
            complain(p, "option '%s': tour_pause=N needs N seconds from 0 to 600; a second between scenes", w,
                     none);
        return;
    case OPT_BENCH: o->bench = 1; return;
    case OPT_CRASH:
        if (word_is(v, vlen, "divide"))
            o->crash = CRASH_DIVIDE;
        else if (word_is(v, vlen, "pagefault"))
            o->crash = CRASH_PAGEFAULT;
        else if (word_is(v, vlen, "panic"))
            o->crash = CRASH_PANIC;
        else
            complain(p, "option '%s': crash must be divide, pagefault or panic; not crashing", w, none);
        return;
    case OPT_TEST_DIVERGE:
        if (decimal(v, vlen, 3600, &n) && n > 0)
            o->test_diverge_seconds = n;
        else
            complain(p, "option '%s': test_diverge=N needs N seconds from 1 to 3600; ignored", w, none);
        return;
    case OPT_BUG: { /* bug=NAME[,NAME...]: each name known, or none taken */
        uint32_t bugs = 0;
        for (size_t at = 0; at <= vlen;) {
            size_t len = 0;
            while (at + len < vlen && v[at + len] != ',')
                len++;
            int k = 0;
            while (k < KOIZ_BUG_COUNT && !word_is(v + at, len, bug_words[k]))
                k++;
            if (k == KOIZ_BUG_COUNT) {
                complain(
                    p,
                    "option '%s': bug= takes skip-invlpg, cow-writable-parent, free-mapped, leak-on-exit "
                    "or user-kernel, separated by commas; no bug made",
                    w, none);
                return;
            }
            bugs |= 1u << k;
            at += len + 1;
        }
        o->bugs |= bugs;
        return;
    }
    case OPT_COUNT: return;
    }
}

/* The option a word names (the part before any '='), or OPT_COUNT. */
static enum option_id lookup(const char *w, size_t name_len)
{
    for (int i = 0; i < OPT_COUNT; i++)
        if (word_is(w, name_len, options[i].name))
            return (enum option_id)i;
    return OPT_COUNT;
}

static size_t name_length(struct word w)
{
    size_t n = 0;
    while (n < w.len && w.text[n] != '=')
        n++;
    return n;
}

static void parse_word(struct parser *p, struct word w)
{
    size_t name_len = name_length(w);
    bool has_value = name_len < w.len;
    const char *value = w.text + name_len + 1;
    size_t vlen = has_value ? w.len - name_len - 1 : 0;
    enum option_id id = lookup(w.text, name_len);

    if (id == OPT_COUNT) {
        complain(p, "unknown option '%s' ignored (known: " KNOWN_OPTIONS ")", w, none);
        return;
    }
    if (options[id].value == VALUE_NEEDED && !has_value) {
        char fmt[120];
        ksnprintf(fmt, sizeof fmt, "option '%%s' needs a value (for example %s); ignored",
                  options[id].example);
        complain(p, fmt, w, none);
        return;
    }
    if (options[id].value == VALUE_NONE && has_value) {
        complain(p, "option '%s' takes no value; ignored", w, none);
        return;
    }
    if (p->first[id].text && id != OPT_BUG) { /* bug= may be given again: the bugs add up */
        struct word was = p->first[id];
        if (!p->conflict[id] && was.len == w.len && kstrncmp(was.text, w.text, w.len) == 0) {
            complain(p, "option '%s' is given twice; once is enough%s", w, none);
            return;
        }
        p->conflict[id] = true;
        reset(p->opt, id);
        complain(p, "option '%s' contradicts '%s' given before: neither is used, the default is kept", w,
                 was);
        return;
    }
    p->first[id] = w;
    apply(p, id, w, value, vlen, has_value);
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

int options_parse(const char *cmdline, struct koiz_options *opt, options_warn_fn warn, void *ctx)
{
    struct parser p;
    size_t i = 0, len;
    bool first = true;

    kmemset(&p, 0, sizeof p);
    p.opt = opt;
    p.warn = warn;
    p.ctx = ctx;
    kmemset(opt, 0, sizeof *opt);
    opt->telemetry = TELEMETRY_AUTO;
    opt->baud = 115200;
    opt->tour_pause_seconds = TOUR_PAUSE_DEFAULT;
    if (!cmdline)
        return 0;

    len = kstrnlen(cmdline, CMDLINE_MAX);
    if (len == CMDLINE_MAX) {
        /* Too long: the loader's line goes on past what is read. A word that runs into
         * the limit may be cut (snapshot=3600 read as snapshot=3): it is ignored, named. */
        len = CMDLINE_MAX - 1;
        if (!blank(cmdline[len]) && !blank(cmdline[len - 1])) {
            size_t start = len;
            while (start > 0 && !blank(cmdline[start - 1]))
                start--;
            struct word w = {cmdline + start, len - start};
            complain(&p,
                     "the command line is longer than 255 characters: '%s' runs into the limit and is "
                     "ignored, with everything after it",
                     w, none);
            len = start;
        } else {
            complain(&p,
                     "the command line is longer than 255 characters: everything after the 255th is "
                     "ignored%s",
                     none, none);
        }
    }

    while (i < len) {
        size_t start;
        bool bad = false;
        while (i < len && blank(cmdline[i]))
            i++;
        start = i;
        while (i < len && !blank(cmdline[i])) {
            /* Control bytes or non-ASCII mean a corrupt line, not an option. */
            if ((unsigned char)cmdline[i] < 0x20 || (unsigned char)cmdline[i] > 0x7e)
                bad = true;
            i++;
        }
        if (i == start)
            break;
        struct word w = {cmdline + start, i - start};
        if (first) {
            first = false;
            size_t name_len = name_length(w);
            if (!bad && name_len == w.len && lookup(w.text, name_len) == OPT_COUNT)
                continue; /* the kernel's own path */
        }
        if (bad) {
            complain(&p, "malformed command line: a word with unprintable bytes was ignored ('%s')", w, none);
            continue;
        }
        parse_word(&p, w);
    }
    return p.problems;
}
