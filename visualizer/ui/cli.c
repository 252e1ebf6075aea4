/*
 * cli.c: the command line (cli.h).
 */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "record.h"
#include "source.h"

_Static_assert(RT_COUNT <= 64, "--until keeps its kinds in 64 bits");

void cli_usage(FILE *f)
{
    fputs("usage: koiz-view [options] [- | FILE]\n"
          "Draws the paging of a running Koiz kernel from its telemetry stream.\n"
          "\n"
          "Where the stream comes from:\n"
          "  (nothing)            start Bochs with the project's bochsrc and read its output\n"
          "  --qemu               start QEMU with the floppy instead; the records come\n"
          "                       through the guest memory it shares with koiz-view\n"
          "  -                    read standard input (a pipe or a FIFO)\n"
          "  FILE                 replay a recording, of any size (a FIFO is read live)\n"
          "  --serial DEV         read a real machine's COM port, e.g. /dev/ttyUSB0, or an\n"
          "                       emulator's on a Unix socket (QEMU: -serial\n"
          "                       unix:PATH,server=on,wait=off); keys t, 1-6, k and r go\n"
          "                       to the kernel, which is asked for a snapshot on\n"
          "                       connecting; anything but a terminal or a socket is refused\n"
          "  --baud N             its speed (default 115200)\n"
          "  --gdb HOST:PORT      any 32-bit kernel in a QEMU started with -gdb tcp::PORT (or\n"
          "                       -s): its page tables read through QEMU's GDB stub, no\n"
          "                       telemetry needed (docs/any-kernel.md); with - or a FIFO,\n"
          "                       also the guest's output (its port 0xE9) as log lines\n"
          "  --qemu --gdb         start QEMU with its stub on a free port, and watch it so\n"
          "  --kernel FILE        with --qemu: boot this multiboot kernel instead of the\n"
          "                       floppy (QEMU -kernel); --append TEXT: its command line\n"
          "  --port-only          with --qemu: records through port 0xE9 only, not through\n"
          "                       the guest memory QEMU shares with koiz-view (slower)\n"
          "  --rate N             polls per second through the stub (default 10)\n"
          "  --polls N            stop after N polls\n"
          "  --verify             with --qemu (or --gdb HOST:PORT and Koiz's stream on - or a\n"
          "                       FIFO): the telemetry's picture compared with the tables in\n"
          "                       the guest's memory at quiet moments; a difference is shown\n"
          "                       as a warning, and the exit status is 3\n"
          "  --verify-every MS    compare every MS ms instead (a difference must show twice)\n"
          "\n"
          "What to do with it:\n"
          "  --record FILE        also write every byte read to FILE\n"
          "  --dump               print the model as text when the stream ends: the frames\n"
          "                       by owner, then each space's mappings (no window unless\n"
          "                       --screenshot or a window was asked for)\n"
          "  --check              the paging sanitizer: one line per rule broken (stale TLB\n"
          "                       entry, frame freed while mapped, broken copy-on-write,\n"
          "                       kernel exposed, leak, bad frame); status 4 when any\n"
          "                       (docs/sanitizer.md); --dump lists them too\n"
          "  --walk VA            when the stream ends, follow the virtual address VA (hex)\n"
          "                       through the live space's tables as the MMU does; may be\n"
          "                       given many times (a --screenshot shows the first)\n"
          "  --asid N             walk in address space N instead of the live one (also\n"
          "                       the space --history reads and a time-machine --screenshot shows)\n"
          "  --frame PA           when the stream ends, the physical frame holding PA (hex):\n"
          "                       its owner, references and every page that maps it (a\n"
          "                       --screenshot selects the first)\n"
          "  --headless           draw off-screen, without a window\n"
          "  --screenshot F.png   save a picture when the stream ends, or after --after\n"
          "  --after N            stop after N records\n"
          "  --until KIND         stop at the first record of a kind: tests (the self-test\n"
          "                       summary), panic, end (a whole snapshot), ...\n"
          "  --size WxH           window or picture size (default 1280x800)\n"
          "  --speed N            replay N records per second (default 500)\n"
          "  --paused             start a replay paused\n"
          "  --megs N             the emulator's RAM in MiB (default 32); with --gdb HOST:PORT,\n"
          "                       the guest's, for the physical map\n"
          "  --fast               do not keep the emulator to the wall clock once the kernel\n"
          "                       is up (in a window, demos are paced for people)\n"
          "\n"
          "The time machine (no window; then --dump and --screenshot show that moment):\n"
          "  --at MOMENT          the moment to show: a tick, or #N (right after record N)\n"
          "  --diff A B           what changed from moment A to moment B, a line per run of\n"
          "                       pages: + mapped, - unmapped, ~ another frame or flags\n"
          "  --diff-spaces X Y    spaces X and Y (asids) at --at or at the end, user half:\n"
          "                       = same frame (shared), ~ another frame (copied), - only\n"
          "                       in X, + only in Y\n"
          "  --history VA         every change of the table entry of address VA (--dir:\n"
          "                       of its directory entry), with the record and the fault\n"
          "  --asid N             the space --history reads (default: the live one at the end)\n"
          "  --history-frame PA   every change of an entry that mapped the frame of PA\n"
          "\n"
          "  --bench-travel FILE  measure the time machine: index, seeks, a drag, histories\n"
          "  --bench FILE         measure: ingest speed, frame times of a replay drawn\n"
          "                       off-screen with every panel (--size), peak memory\n"
          "  -h, --help           this text\n"
          "  -V, --version        the version\n"
          "\n"
          "Keys: arrows move the selection, Tab the focus, space pauses, . steps a replay,\n"
          "+ and - change its speed, End jumps to its end, s saves a PNG, F1 help, q quits;\n"
          "with --gdb, Delete forgets the space shown (it comes back when it is live again).\n"
          "\n"
          "Live input waits in a buffer of 16 MiB at most: when it is full (a long pause,\n"
          "input faster than koiz-view parses) reading waits, and the status line says so.\n"
          "Exit status: 0; 1 when the input could not be read, held no record, or ended\n"
          "before what --after or --until waits for (or the GDB stub failed); 2 for a bad\n"
          "command line; 3 when --verify found a divergence; 130 and 143 when SIGINT or\n"
          "SIGTERM stopped it.\n",
          f);
}

static bool moment(const char *s, struct moment_arg *m)
{
    char *end;
    m->record = s[0] == '#';
    if (m->record)
        s++;
    if (!*s || *s == '-')
        return false;
    m->value = strtoull(s, &end, 10);
    m->set = !*end;
    return m->set;
}

/* A 32-bit hex address, with or without 0x. */
static bool address(const char *s, uint32_t *out)
{
    char *end;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (!*s || strlen(s) > 8 || *s == '-' || *s == '+')
        return false;
    unsigned long v = strtoul(s, &end, 16);
    if (*end)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool cli_travels(const struct options *o)
{
    return o->at.set || o->diff_a.set || o->diff_spaces || o->history || o->history_frame;
}

/* Appends a to the list *l of *n (grown as needed). */
static bool append(uint32_t **l, int *n, uint32_t a)
{
    if (*n >= CLI_LOOKUPS_MAX)
        return false;
    if ((*n & (*n - 1)) == 0) { /* at 0, 1, 2, 4, ...: room for twice as many */
        uint32_t *grown = realloc(*l, (size_t)(*n ? *n * 2 : 1) * sizeof *grown);
        if (!grown)
            return false;
        *l = grown;
    }
    (*l)[(*n)++] = a;
    return true;
}

void cli_free(struct options *o)
{
    free(o->walks);
    free(o->frames);
    o->walks = o->frames = NULL;
    o->nwalks = o->nframes = 0;
}

static bool number(const char *s, long min, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int parse(int argc, char **argv, struct options *o, char *err, size_t errsz);

int cli_parse(int argc, char **argv, struct options *o, char *err, size_t errsz)
{
    memset(o, 0, sizeof *o);
    int rc = parse(argc, argv, o, err, errsz);
    if (rc != 0)
        cli_free(o); /* nothing is left to a caller that gives up */
    return rc;
}

static int parse(int argc, char **argv, struct options *o, char *err, size_t errsz)
{
    o->mode = IN_BOCHS;
    o->baud = 115200;
    o->width = 1280;
    o->height = 800;
    o->speed = 500;
    o->megs = 32;
    o->walk_asid = UINT32_MAX;
    o->rate = 10;
    bool qemu = false, baud_given = false, rate_given = false;
    const char *positional = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
#define NEEDS_VALUE()                                             \
    do {                                                          \
        if (!val) {                                               \
            snprintf(err, errsz, "option '%s' needs a value", a); \
            return -1;                                            \
        }                                                         \
        i++;                                                      \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            o->help = true;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            o->version = true;
        } else if (!strcmp(a, "--qemu")) {
            qemu = true;
        } else if (!strcmp(a, "--serial")) {
            NEEDS_VALUE();
            o->device = val;
        } else if (!strcmp(a, "--baud")) {
            NEEDS_VALUE();
            if (!number(val, 1, 10000000, &n) || !source_baud_code((int)n)) {
                snprintf(err, errsz,
                         "bad baud rate '%s' (one of 9600 19200 38400 57600 115200 230400 "
                         "460800 921600)",
                         val);
                return -1;
            }
            o->baud = (int)n;
            baud_given = true;
        } else if (!strcmp(a, "--record")) {
            NEEDS_VALUE();
            o->record = val;
        } else if (!strcmp(a, "--dump")) {
            o->dump = true;
        } else if (!strcmp(a, "--check")) {
            o->check = true;
        } else if (!strcmp(a, "--walk") || !strcmp(a, "--frame")) {
            uint32_t addr;
            NEEDS_VALUE();
            if (!address(val, &addr)) {
                snprintf(err, errsz, "bad address '%s' for %s (hex, 32 bits: 0x08048000)", val, a);
                return -1;
            }
            if (!(a[2] == 'w' ? append(&o->walks, &o->nwalks, addr)
                              : append(&o->frames, &o->nframes, addr))) {
                snprintf(err, errsz, "%s given more than %d times", a, CLI_LOOKUPS_MAX);
                return -1;
            }
        } else if (!strcmp(a, "--asid")) {
            NEEDS_VALUE();
            char *end;
            unsigned long v = strtoul(val, &end, 10);
            if (!*val || *end || *val == '-' || v >= UINT32_MAX) {
                snprintf(err, errsz, "bad asid '%s' (a number, 0 is the kernel's space)", val);
                return -1;
            }
            o->walk_asid = o->asid = (uint32_t)v;
            o->asid_set = true;
        } else if (!strcmp(a, "--headless")) {
            o->headless = true;
        } else if (!strcmp(a, "--screenshot")) {
            NEEDS_VALUE();
            o->screenshot = val;
        } else if (!strcmp(a, "--after")) {
            NEEDS_VALUE();
            if (!number(val, 1, 2000000000L, &n)) {
                snprintf(err, errsz, "bad record count '%s' for --after (a number from 1)", val);
                return -1;
            }
            o->after = (uint64_t)n;
        } else if (!strcmp(a, "--until")) {
            NEEDS_VALUE();
            /* A kind's own name (ptab-alloc) or a wire name, which means all its kinds (tlb). */
            o->until_kinds = 0;
            for (int t = 0; t < RT_COUNT; t++)
                if (!strcmp(record_type_name((enum record_type)t), val) ||
                    !strcmp(records_table()[t].wire, val))
                    o->until_kinds |= 1ull << t;
            if (!o->until_kinds) {
                snprintf(err, errsz, "unknown record kind '%s' for --until (e.g. tests, panic, end, fault)",
                         val);
                return -1;
            }
            o->until = true;
            o->until_name = val;
        } else if (!strcmp(a, "--size")) {
            NEEDS_VALUE();
            int w, h;
            char extra;
            if (sscanf(val, "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 8192 || h > 8192) {
                snprintf(err, errsz, "bad size '%s' (WIDTHxHEIGHT, from 320x240 to 8192x8192)", val);
                return -1;
            }
            o->width = w;
            o->height = h;
        } else if (!strcmp(a, "--speed")) {
            NEEDS_VALUE();
            if (!number(val, 1, 100000000L, &n)) {
                snprintf(err, errsz, "bad speed '%s' (records per second, from 1)", val);
                return -1;
            }
            o->speed = (double)n;
        } else if (!strcmp(a, "--bench")) {
            o->bench = true;
        } else if (!strcmp(a, "--bench-travel")) {
            o->bench = o->bench_travel = true;
        } else if (!strcmp(a, "--paused")) {
            o->paused = true;
        } else if (!strcmp(a, "--at")) {
            NEEDS_VALUE();
            if (!moment(val, &o->at)) {
                snprintf(err, errsz, "bad moment '%s' for --at (a tick, or #N: right after record N)", val);
                return -1;
            }
        } else if (!strcmp(a, "--diff")) {
            NEEDS_VALUE();
            const char *second = i + 1 < argc ? argv[i + 1] : NULL;
            if (!second || !moment(val, &o->diff_a) || !moment(second, &o->diff_b)) {
                snprintf(err, errsz, "--diff takes two moments, each a tick or #N (e.g. --diff #100 #250)");
                return -1;
            }
            i++;
        } else if (!strcmp(a, "--diff-spaces")) {
            NEEDS_VALUE();
            const char *second = i + 1 < argc ? argv[i + 1] : NULL;
            if (!second || !number(val, 0, 0xFFFFFFFEL, &n)) {
                snprintf(err, errsz, "--diff-spaces takes two asids (e.g. --diff-spaces 3 4)");
                return -1;
            }
            o->space_x = (uint32_t)n;
            if (!number(second, 0, 0xFFFFFFFEL, &n)) {
                snprintf(err, errsz, "--diff-spaces takes two asids (e.g. --diff-spaces 3 4)");
                return -1;
            }
            o->space_y = (uint32_t)n;
            o->diff_spaces = true;
            i++;
        } else if (!strcmp(a, "--history")) {
            NEEDS_VALUE();
            if (!address(val, &o->history_va)) {
                snprintf(err, errsz, "bad address '%s' for --history (e.g. 0x08049000)", val);
                return -1;
            }
            o->history = true;
        } else if (!strcmp(a, "--dir")) {
            o->history_dir = true;
        } else if (!strcmp(a, "--history-frame")) {
            NEEDS_VALUE();
            if (!address(val, &o->frame_pa)) {
                snprintf(err, errsz, "bad physical address '%s' for --history-frame (e.g. 0x00123000)", val);
                return -1;
            }
            o->history_frame = true;
        } else if (!strcmp(a, "--fast")) {
            o->fast = true;
        } else if (!strcmp(a, "--megs")) {
            NEEDS_VALUE();
            if (!number(val, 4, 3584, &n)) {
                snprintf(err, errsz, "bad memory size '%s' for --megs (MiB, 4 to 3584)", val);
                return -1;
            }
            o->megs = (int)n;
        } else if (!strcmp(a, "--gdb")) {
            o->gdb = true;
            /* HOST:PORT, :PORT or unix:PATH; without one, --qemu starts the stub */
            if (val && val[0] != '-' && strchr(val, ':')) {
                o->gdb_where = val;
                i++;
            }
        } else if (!strcmp(a, "--rate")) {
            NEEDS_VALUE();
            if (!number(val, 1, 1000, &n)) {
                snprintf(err, errsz, "bad poll rate '%s' for --rate (polls per second, 1 to 1000)", val);
                return -1;
            }
            o->rate = (int)n;
            rate_given = true;
        } else if (!strcmp(a, "--polls")) {
            NEEDS_VALUE();
            if (!number(val, 1, 2000000000L, &n)) {
                snprintf(err, errsz, "bad poll count '%s' for --polls (a number from 1)", val);
                return -1;
            }
            o->polls = (uint64_t)n;
        } else if (!strcmp(a, "--verify")) {
            o->verify = true;
        } else if (!strcmp(a, "--verify-every")) {
            NEEDS_VALUE();
            if (!number(val, 10, 3600000L, &n)) {
                snprintf(err, errsz, "bad interval '%s' for --verify-every (milliseconds, 10 to 3600000)",
                         val);
                return -1;
            }
            o->verify_every_ms = (int)n;
        } else if (!strcmp(a, "--kernel")) {
            NEEDS_VALUE();
            o->kernel = val;
        } else if (!strcmp(a, "--append")) {
            NEEDS_VALUE();
            o->append = val;
        } else if (!strcmp(a, "--port-only")) {
            o->port_only = true;
        } else if (a[0] == '-' && a[1]) {
            snprintf(err, errsz, "unknown option '%s'", a);
            return -1;
        } else if (positional) {
            snprintf(err, errsz, "one input at most: '%s' and '%s'", positional, a);
            return -1;
        } else {
            positional = a;
        }
#undef NEEDS_VALUE
    }
    if (o->help || o->version)
        return 0;
    int inputs = (positional != NULL) + qemu + (o->device != NULL);
    if (inputs > 1) {
        snprintf(err, errsz, "choose one input: --qemu, --serial DEV, - or FILE");
        return -1;
    }
    if (baud_given && !o->device) {
        snprintf(err, errsz, "--baud goes with --serial DEV");
        return -1;
    }
    if (o->asid_set && !o->history && !o->nwalks && !(cli_travels(o) && o->screenshot)) {
        snprintf(err, errsz, "--asid goes with --walk VA, --history VA, or the time machine's --screenshot");
        return -1;
    }
    if (o->history_dir && !o->history) {
        snprintf(err, errsz, "--dir goes with --history VA");
        return -1;
    }
    if (cli_travels(o) && (o->after || o->until)) {
        snprintf(err, errsz,
                 "--after and --until stop a stream; the time machine reads it whole (--at picks a moment)");
        return -1;
    }
    if (cli_travels(o) && o->bench) {
        snprintf(err, errsz, "--bench measures a recording alone");
        return -1;
    }
    if (o->headless && !o->screenshot && !o->dump && !o->check && !o->nwalks && !o->nframes &&
        !cli_travels(o)) {
        snprintf(err, errsz, "--headless draws nothing you can see: add --screenshot FILE.png or --dump");
        return -1;
    }
    if (o->bench &&
        (!positional || !strcmp(positional, "-") || qemu || o->device || o->record || o->dump ||
         o->headless || o->screenshot || o->after || o->until || o->nwalks || o->nframes || o->gdb)) {
        snprintf(err, errsz, "--bench measures a recording: koiz-view --bench FILE [--size WxH]");
        return -1;
    }
    if (o->verify && qemu)
        o->gdb = true; /* --qemu --verify: the QEMU started gets its stub */
    if (o->gdb && o->gdb_where && qemu) {
        snprintf(err, errsz,
                 "--qemu --gdb starts QEMU with its stub on a free port; --gdb %s watches a QEMU "
                 "already running: choose one",
                 o->gdb_where);
        return -1;
    }
    if (o->gdb && !o->gdb_where && !qemu) {
        snprintf(err, errsz,
                 "--gdb needs HOST:PORT (QEMU's -gdb tcp::PORT, or -s: localhost:1234), or --qemu");
        return -1;
    }
    if (o->gdb && o->device) {
        snprintf(err, errsz, "--gdb reads QEMU's stub; --serial reads a real machine: choose one");
        return -1;
    }
    if (o->verify && (!o->gdb || (!qemu && !positional))) {
        snprintf(err, errsz,
                 "--verify compares Koiz's telemetry with its memory: koiz-view --qemu --verify, or "
                 "--verify --gdb HOST:PORT with the telemetry on - or a FIFO");
        return -1;
    }
    if ((rate_given || o->polls) && !o->gdb) {
        snprintf(err, errsz, "%s goes with --gdb", rate_given ? "--rate" : "--polls");
        return -1;
    }
    if (o->verify_every_ms && !o->verify) {
        snprintf(err, errsz, "--verify-every goes with --verify");
        return -1;
    }
    if ((o->kernel || o->append || o->port_only) && !qemu) {
        snprintf(err, errsz, "%s goes with --qemu",
                 o->kernel   ? "--kernel"
                 : o->append ? "--append"
                             : "--port-only");
        return -1;
    }
    if (o->append && !o->kernel) {
        snprintf(err, errsz, "--append gives a command line to --kernel FILE (the floppy has its own menu)");
        return -1;
    }
    if ((o->after || o->until) && !o->headless && !o->dump && !o->check && !o->nwalks && !o->nframes) {
        snprintf(err, errsz, "%s goes with --headless, --dump or --check", o->after ? "--after" : "--until");
        return -1;
    }
    if (qemu)
        o->mode = IN_QEMU;
    else if (o->gdb && !positional)
        o->mode = IN_GDB;
    else if (o->device)
        o->mode = IN_SERIAL;
    else if (positional && !strcmp(positional, "-"))
        o->mode = IN_STDIN;
    else if (positional) {
        o->mode = IN_FILE;
        o->path = positional;
    }
    if (o->record && o->mode == IN_FILE) {
        snprintf(err, errsz, "--record is for live input; '%s' is already a recording", positional);
        return -1;
    }
    return 0;
}
