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
          "  --qemu               start QEMU with the floppy and -debugcon stdio instead\n"
          "  -                    read standard input (a pipe or a FIFO)\n"
          "  FILE                 replay a recording (a FIFO is read live); a window holds\n"
          "                       the whole file, 1024 MiB at most; headless, any size\n"
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
          "  --dump               print the model as text when the stream ends (no window\n"
          "                       unless --screenshot or a window was asked for)\n"
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
          "  --bench FILE         measure: ingest speed, frame times of a replay drawn\n"
          "                       off-screen with every panel (--size), peak memory\n"
          "  -h, --help           this text\n"
          "  -V, --version        the version\n"
          "\n"
          "Keys: arrows move the selection, Tab the focus, space pauses, . steps a replay,\n"
          "+ and - change its speed, End jumps to its end, s saves a PNG, F1 help, q quits;\n"
          "with --gdb, f forgets the space shown (it comes back when it is live again).\n"
          "\n"
          "Live input waits in a buffer of 16 MiB at most: when it is full (a long pause,\n"
          "input faster than koiz-view parses) reading waits, and the status line says so.\n"
          "Exit status: 0; 1 when the input could not be read, held no record, or ended\n"
          "before what --after or --until waits for (or the GDB stub failed); 2 for a bad\n"
          "command line; 3 when --verify found a divergence; 130 and 143 when SIGINT or\n"
          "SIGTERM stopped it.\n",
          f);
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

int cli_parse(int argc, char **argv, struct options *o, char *err, size_t errsz)
{
    memset(o, 0, sizeof *o);
    o->mode = IN_BOCHS;
    o->baud = 115200;
    o->width = 1280;
    o->height = 800;
    o->speed = 500;
    o->megs = 32;
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
        } else if (!strcmp(a, "--paused")) {
            o->paused = true;
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
    if (o->headless && !o->screenshot && !o->dump) {
        snprintf(err, errsz, "--headless draws nothing you can see: add --screenshot FILE.png or --dump");
        return -1;
    }
    if (o->bench && (!positional || !strcmp(positional, "-") || qemu || o->device || o->record || o->dump ||
                     o->headless || o->screenshot || o->after || o->until || o->gdb)) {
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
    if ((o->kernel || o->append) && !qemu) {
        snprintf(err, errsz, "%s goes with --qemu", o->kernel ? "--kernel" : "--append");
        return -1;
    }
    if (o->append && !o->kernel) {
        snprintf(err, errsz, "--append gives a command line to --kernel FILE (the floppy has its own menu)");
        return -1;
    }
    if ((o->after || o->until) && !o->headless && !o->dump) {
        snprintf(err, errsz, "%s goes with --headless or --dump", o->after ? "--after" : "--until");
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
