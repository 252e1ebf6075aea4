/*
 * test_cli.c: koiz-view's command line, run as a program (KOIZ_VIEW_BIN):
 * every error path says one clear line and exits non-zero (2 for a bad
 * command line, 1 for a missing file, tool or device); --help and --version;
 * headless runs from a file and from a pipe end by themselves with a PNG;
 * --dump prints the model; --bench prints its figures.
 *
 * Abuse (issue 12): --serial on things that are not serial ports; SIGINT and
 * SIGTERM in every mode (a replay, an endless /dev/zero, a window, a serial
 * socket that went away); empty, recordless and huge inputs. Each ends with
 * a clear message and the right status, in bounded memory: the peak resident
 * set of each run is measured (wait4's ru_maxrss) and held to a limit.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <SDL.h>
#include <SDL_image.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <koiz/protocol.h>

#define STREAM KOIZ_UI_TESTDATA "/selftest-qemu.txt"

struct run {
    int status;          /* exit status, or 128 + signal */
    char out[65536];     /* stdout and stderr together */
    long peak_kib;       /* its peak resident set (ru_maxrss) */
    double stop_seconds; /* from the signal sent to its end */
};

/*
 * Runs koiz-view with args (NULL-terminated), stdin from stdin_path (or
 * /dev/null), PATH replaced when path is set. Gives it 30 seconds.
 */
/*
 * Runs koiz-view as run() does; after delay_ms sends it sig (0: none) and
 * measures how long it takes to end. The child starts with SIGINT and
 * SIGTERM at their defaults, whatever the test runner's are.
 */
static void run_signal(struct run *r, const char *stdin_path, const char *video, const char *const *args,
                       int delay_ms, int sig)
{
    const char *argv[32] = {KOIZ_VIEW_BIN};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        setenv("SDL_VIDEODRIVER", video ? video : "offscreen", 1);
        alarm(30);
        execv(KOIZ_VIEW_BIN, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    struct timespec t0, t1;
    if (sig) {
        usleep((useconds_t)delay_ms * 1000);
        kill(pid, sig);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], r->out + len, sizeof r->out - 1 - len)) > 0)
        len += (size_t)got;
    r->out[len] = '\0';
    close(fds[0]);
    int st;
    struct rusage ru;
    assert_int_equal(wait4(pid, &st, 0, &ru), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->peak_kib = ru.ru_maxrss;
    r->stop_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

#define expect_peak(r, mib)                                                                          \
    do {                                                                                             \
        if ((r)->peak_kib > (mib)*1024L)                                                             \
            fail_msg("peak resident set %ld KiB, more than %d MiB; output:\n%s", (r)->peak_kib, mib, \
                     (r)->out);                                                                      \
    } while (0)

static void run(struct run *r, const char *stdin_path, const char *path, const char *const *args)
{
    const char *argv[32] = {KOIZ_VIEW_BIN};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        if (path)
            setenv("PATH", path, 1);
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
        alarm(30);
        execv(KOIZ_VIEW_BIN, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], r->out + len, sizeof r->out - 1 - len)) > 0)
        len += (size_t)got;
    r->out[len] = '\0';
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define expect(r, code, text)                                                                             \
    do {                                                                                                  \
        if ((r)->status != (code) || !strstr((r)->out, (text)))                                           \
            fail_msg("exit %d (want %d), output:\n%s\n(want it to say: %s)", (r)->status, code, (r)->out, \
                     text);                                                                               \
    } while (0)

static struct run r;

static void help_and_version(void **state)
{
    (void)state;
    run(&r, NULL, NULL, (const char *[]){"--help", NULL});
    expect(&r, 0, "usage: koiz-view");
    run(&r, NULL, NULL, (const char *[]){"--version", NULL});
    expect(&r, 0, "koiz-view 1.");
}

static void bad_arguments_exit_2(void **state)
{
    (void)state;
    run(&r, NULL, NULL, (const char *[]){"--frob", NULL});
    expect(&r, 2, "koiz-view: unknown option '--frob' (see koiz-view --help)");
    run(&r, NULL, NULL, (const char *[]){"--serial", NULL});
    expect(&r, 2, "option '--serial' needs a value");
    run(&r, NULL, NULL, (const char *[]){"--serial", "/dev/null", "--baud", "12345", NULL});
    expect(&r, 2, "bad baud rate '12345'");
    run(&r, NULL, NULL, (const char *[]){"--baud", "9600", NULL});
    expect(&r, 2, "--baud goes with --serial DEV");
    run(&r, NULL, NULL, (const char *[]){"a.txt", "b.txt", NULL});
    expect(&r, 2, "one input at most");
    run(&r, NULL, NULL, (const char *[]){"--qemu", "-", NULL});
    expect(&r, 2, "choose one input");
    run(&r, NULL, NULL, (const char *[]){"--headless", STREAM, NULL});
    expect(&r, 2, "--headless draws nothing you can see");
    run(&r, NULL, NULL, (const char *[]){"--size", "10x10", NULL});
    expect(&r, 2, "bad size '10x10'");
    run(&r, NULL, NULL, (const char *[]){"--after", "zero", "--dump", "-", NULL});
    expect(&r, 2, "bad record count 'zero'");
    run(&r, NULL, NULL, (const char *[]){"--until", "frob", "--dump", "-", NULL});
    expect(&r, 2, "unknown record kind 'frob' for --until");
    run(&r, NULL, NULL, (const char *[]){"--until", "tests", STREAM, NULL});
    expect(&r, 2, "--until goes with --headless, --dump or --check");
    run(&r, NULL, NULL, (const char *[]){"--check", STREAM, NULL}); /* a self-test run breaks no rule */
    expect(&r, 0, "sanitizer: 0 warnings");
    run(&r, NULL, NULL, (const char *[]){"--check", "--until", "tests", STREAM, NULL});
    expect(&r, 0, "sanitizer: 0 warnings");
    run(&r, NULL, NULL, (const char *[]){"--record", "/tmp/x", STREAM, NULL});
    expect(&r, 2, "--record is for live input");
    run(&r, NULL, NULL, (const char *[]){"--bench", NULL});
    expect(&r, 2, "--bench measures a recording");
    run(&r, NULL, NULL, (const char *[]){"--bench", "--dump", STREAM, NULL});
    expect(&r, 2, "--bench measures a recording");
    run(&r, NULL, NULL, (const char *[]){"--walk", NULL});
    expect(&r, 2, "option '--walk' needs a value");
    run(&r, NULL, NULL, (const char *[]){"--walk", "0x1g", STREAM, NULL});
    expect(&r, 2, "bad address '0x1g' for --walk (hex, 32 bits: 0x08048000)");
    run(&r, NULL, NULL, (const char *[]){"--frame", "123456789", STREAM, NULL});
    expect(&r, 2, "bad address '123456789' for --frame");
    run(&r, NULL, NULL, (const char *[]){"--frame", "-1", STREAM, NULL});
    expect(&r, 2, "bad address '-1' for --frame");
    run(&r, NULL, NULL, (const char *[]){"--asid", "3", "--dump", STREAM, NULL});
    expect(&r, 2, "--asid goes with --walk VA");
    run(&r, NULL, NULL, (const char *[]){"--walk", "0", "--asid", "x", STREAM, NULL});
    expect(&r, 2, "bad asid 'x'");
}

static void unreadable_inputs_exit_1(void **state)
{
    (void)state;
    run(&r, NULL, NULL, (const char *[]){"--dump", "/nonexistent/boot.txt", NULL});
    expect(&r, 1, "koiz-view: cannot read /nonexistent/boot.txt: No such file or directory");
    run(&r, NULL, NULL, (const char *[]){"--dump", KOIZ_UI_TESTDATA, NULL});
    expect(&r, 1, "it is a directory");
    run(&r, NULL, NULL, (const char *[]){"--dump", "--serial", "/nonexistent/ttyUSB9", NULL});
    expect(&r, 1, "koiz-view: cannot open serial device /nonexistent/ttyUSB9");
    run(&r, NULL, NULL,
        (const char *[]){"--headless", "--screenshot", "/nonexistent/dir/out.png", STREAM, NULL});
    expect(&r, 1, "cannot write the screenshot /nonexistent/dir/out.png");
    run(&r, STREAM, NULL, (const char *[]){"--dump", "--record", "/nonexistent/rec.txt", "-", NULL});
    expect(&r, 1, "cannot write the recording /nonexistent/rec.txt");
}

static void missing_emulators_name_their_packages(void **state)
{
    (void)state;
    run(&r, NULL, "/nonexistent", (const char *[]){"--dump", NULL});
    expect(&r, 1, "install the Debian packages bochs and bochs-sdl");
    run(&r, NULL, "/nonexistent", (const char *[]){"--dump", "--qemu", NULL});
    expect(&r, 1, "install the Debian package qemu-system-x86");
}

static void headless_from_a_file_makes_a_png(void **state)
{
    (void)state;
    char png[] = "/tmp/koiz-view-test-XXXXXX.png";
    int fd = mkstemps(png, 4);
    assert_true(fd >= 0);
    close(fd);
    run(&r, NULL, NULL,
        (const char *[]){"--headless", "--size", "900x600", "--screenshot", png, STREAM, NULL});
    expect(&r, 0, "");
    SDL_Surface *s = IMG_Load(png);
    assert_non_null(s);
    assert_int_equal(s->w, 900);
    assert_int_equal(s->h, 600);
    SDL_FreeSurface(s);
    unlink(png);
}

static void headless_from_a_pipe_ends_by_itself(void **state)
{
    (void)state;
    char png[] = "/tmp/koiz-view-test-XXXXXX.png";
    int fd = mkstemps(png, 4);
    assert_true(fd >= 0);
    close(fd);
    run(&r, STREAM, NULL, (const char *[]){"--headless", "--screenshot", png, "-", NULL});
    expect(&r, 0, "");
    assert_int_equal(access(png, R_OK), 0);
    unlink(png);
    run(&r, STREAM, NULL, (const char *[]){"--dump", "--after", "11", "-", NULL});
    expect(&r, 0, "space 0 cr3 0x00136000 whole");
    /* --until stops at the self-test summary; the dump says what the kernel reported. */
    run(&r, STREAM, NULL, (const char *[]){"--dump", "--until", "tests", "-", NULL});
    expect(&r, 0, "\nself-tests 19 passed, 0 failed\n");
    run(&r, NULL, NULL, (const char *[]){"--dump", "--until", "end", STREAM, NULL});
    expect(&r, 0, "17 directory entries, 992 table entries");
}

/* The figures themselves are `scons bench`'s business; here: they come, and the model followed. */
static void bench_prints_figures(void **state)
{
    (void)state;
    run(&r, NULL, NULL, (const char *[]){"--bench", "--size", "640x420", STREAM, NULL});
    expect(&r, 0, "\nmodel_check ok\n");
    expect(&r, 0, "\nrenderer software\n");
    expect(&r, 0, "\nframe_p99_ms ");
    expect(&r, 0, "\npeak_rss_mb ");
}

static void dump_prints_the_model(void **state)
{
    (void)state;
    run(&r, NULL, NULL, (const char *[]){"--dump", STREAM, NULL});
    expect(&r, 0, "0xc0000000-0xc0400000    4M -> 0x00000000 4M RW");
    /* A kernel from before frame maps: the frames are said to be unknown, never guessed. */
    expect(&r, 0, "\nframes: no frame map from the kernel\n");
    run(&r, NULL, NULL, (const char *[]){"--frame", "0x100000", STREAM, NULL});
    expect(&r, 0, "frame 0x00100000 (#256): owner unknown (no frame map yet)\n");
}

/* A stream of one space with a frame map, written to a temporary file. */
static void small_stream(char *path)
{
    static const char *const lines[][2] = {
        {"hello", "1 abc 8192 4096 1 1"}, {"snap", "1 0 100000 5"},
        {"pde", "0 0 1 00101007"},        {"pde", "0 768 2 00000183"},
        {"pte", "0 0 1 4 00200007"},      {"end", "1 0 3 4 3"},
        {"physmap", "6 1 2048"},          {"phys", "0 256 reserved 0"},
        {"phys", "100000 1 directory 0"}, {"phys", "101000 1 table 0"},
        {"phys", "102000 254 image 0"},   {"phys", "200000 4 user 1"},
        {"phys", "204000 1532 free 0"},   {"physend", "1 6"},
    };
    char line[PROTO_LINE_MAX + 1];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = proto_format(line, sizeof line, lines[i][0], "%s", lines[i][1]);
        assert_int_equal(write(fd, line, n), (ssize_t)n);
    }
    close(fd);
}

static void walk_and_frame_print(void **state)
{
    (void)state;
    char path[] = "/tmp/koiz-view-walk-XXXXXX";
    small_stream(path);
    run(&r, NULL, NULL,
        (const char *[]){"--walk", "0x1abc", "--walk", "400000", "--walk", "c0123456", "--frame", "0x200fff",
                         path, NULL});
    expect(&r, 0, "result 0x00001abc -> 0x00200abc\n");
    expect(&r, 0, "PDE  0    @0x00100000 = 0x00101007  P W U\n");
    expect(&r, 0, "result 0x00400000 -> none (PDE)\n");
    expect(&r, 0, "     -> 4 MiB page 0x00000000 + offset 0x123456 = 0x00123456\n");
    expect(&r, 0, "user read    fault 0x5: protection-violation read user\n");
    expect(&r, 0, "frame 0x00200000 (#512): user, 1 reference\n  asid 0 va 0x00001000\n");
    expect(&r, 0, "  kernel half va 0xc0200000 (4 MiB page): the direct map\n");
    run(&r, NULL, NULL, (const char *[]){"--walk", "0x1abc", "--asid", "9", path, NULL});
    expect(
        &r, 0,
        "walk 0x00001abc: no address space with that asid in the model\nresult 0x00001abc -> none (space)\n");
    run(&r, NULL, NULL, (const char *[]){"--dump", path, NULL});
    expect(&r, 0, "phys 0x00200000-0x00203fff       4 user refs 1\n");
    unlink(path);
}

/* Headless runs stay near the model's size: the source's buffer (16 MiB) and a little. */
#define HEADLESS_PEAK_MIB 64
/* A window adds SDL's own (a software renderer, fonts, the offscreen video driver). */
#define WINDOW_PEAK_MIB 400

static void serial_refuses_what_is_not_a_port(void **state)
{
    (void)state;
    char file[] = "/tmp/koiz-view-serial-XXXXXX", fifo[64], dir[] = "/tmp/koiz-view-dir-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "precious", 8), 8);
    close(fd);
    run_signal(&r, NULL, NULL, (const char *[]){"--serial", file, NULL}, 0, 0);
    expect(&r, 1, "that is a regular file, not a serial port");
    expect_peak(&r, WINDOW_PEAK_MIB);
    char back[16] = "";
    fd = open(file, O_RDONLY);
    assert_int_equal(read(fd, back, sizeof back), 8); /* not a byte written into it */
    close(fd);
    assert_memory_equal(back, "precious", 8);
    run_signal(&r, NULL, NULL, (const char *[]){"--serial", "/dev/null", "--dump", NULL}, 0, 0);
    expect(&r, 1, "/dev/null: that is a character device that is not a terminal, not a serial port");
    expect_peak(&r, HEADLESS_PEAK_MIB);
    run_signal(&r, NULL, NULL, (const char *[]){"--serial", "/dev/zero", "--headless", "--dump", NULL}, 0, 0);
    expect(&r, 1, "not a serial port");
    snprintf(fifo, sizeof fifo, "%s.fifo", file);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    run_signal(&r, NULL, NULL, (const char *[]){"--serial", fifo, "--dump", NULL}, 0, 0);
    expect(&r, 1, "that is a FIFO, not a serial port");
    assert_non_null(mkdtemp(dir));
    run_signal(&r, NULL, NULL, (const char *[]){"--serial", dir, "--dump", NULL}, 0, 0);
    expect(&r, 1, "that is a directory, not a serial port");
    unlink(fifo);
    unlink(file);
    rmdir(dir);
}

#define expect_prompt(r)                                                                                \
    do {                                                                                                \
        if ((r)->stop_seconds > 2.0)                                                                    \
            fail_msg("took %.1f s to stop after the signal; output:\n%s", (r)->stop_seconds, (r)->out); \
    } while (0)

static void signals_end_headless_runs(void **state)
{
    (void)state;
    /* Waiting for a record that never comes, on an endless stream: a file argument and stdin. */
    run_signal(&r, NULL, NULL,
               (const char *[]){"--headless", "--dump", "--until", "tests", "/dev/zero", NULL}, 800, SIGTERM);
    expect(&r, 143, "koiz-view: stopped by SIGTERM after ");
    expect(&r, 143, "before any 'tests' record");
    expect_prompt(&r);
    expect_peak(&r, HEADLESS_PEAK_MIB);
    run_signal(&r, "/dev/zero", NULL, (const char *[]){"--dump", "--after", "5", "-", NULL}, 800, SIGINT);
    expect(&r, 130, "koiz-view: stopped by SIGINT");
    expect_prompt(&r);
    expect_peak(&r, HEADLESS_PEAK_MIB);
    run_signal(&r, "/dev/zero", NULL, (const char *[]){"--dump", "-", NULL}, 800, SIGTERM);
    expect(&r, 143, "stopped by SIGTERM");
    expect_peak(&r, HEADLESS_PEAK_MIB);
}

static void signals_end_windows(void **state)
{
    (void)state;
    /* A window replaying, a window fed from an endless pipe: 130 and 143, as a shell says. */
    run_signal(&r, NULL, NULL, (const char *[]){STREAM, NULL}, 800, SIGINT);
    expect(&r, 130, "koiz-view: stopped by SIGINT");
    expect_prompt(&r);
    expect_peak(&r, WINDOW_PEAK_MIB);
    run_signal(&r, "/dev/zero", NULL, (const char *[]){"-", NULL}, 800, SIGTERM);
    expect(&r, 143, "koiz-view: stopped by SIGTERM");
    expect_prompt(&r);
    expect_peak(&r, WINDOW_PEAK_MIB);
}

/* A Unix socket standing for a serial port, accepting one connection and closing it:
 * koiz-view then waits for it to come back. Returns the listening socket. */
static int socket_that_goes_away(char *path, size_t size)
{
    snprintf(path, size, "/tmp/koiz-view-sock-%d", (int)getpid());
    unlink(path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(ls, 1), 0);
    return ls;
}

static void signals_end_a_serial_reconnect(void **state)
{
    (void)state;
    char path[108];
    for (int window = 0; window < 2; window++) {
        int ls = socket_that_goes_away(path, sizeof path);
        pid_t server = fork();
        if (server == 0) { /* takes the connection, then closes everything: the port went away */
            int c = accept(ls, NULL, NULL);
            usleep(200000);
            close(c);
            close(ls);
            unlink(path);
            _exit(0);
        }
        close(ls);
        run_signal(&r, NULL, NULL,
                   window ? (const char *[]){"--serial", path, NULL}
                          : (const char *[]){"--serial", path, "--dump", NULL},
                   1000, window ? SIGTERM : SIGINT);
        waitpid(server, NULL, 0);
        expect(&r, window ? 143 : 130, window ? "stopped by SIGTERM" : "stopped by SIGINT");
        expect_prompt(&r);
        expect_peak(&r, window ? WINDOW_PEAK_MIB : HEADLESS_PEAK_MIB);
    }
}

static void empty_recordless_and_huge_inputs(void **state)
{
    (void)state;
    char empty[] = "/tmp/koiz-view-empty-XXXXXX", text[] = "/tmp/koiz-view-text-XXXXXX",
         huge[] = "/tmp/koiz-view-huge-XXXXXX";
    int fd = mkstemp(empty);
    assert_true(fd >= 0);
    close(fd);
    run_signal(&r, NULL, NULL, (const char *[]){"--dump", empty, NULL}, 0, 0);
    expect(&r, 1, "is empty: no Koiz record to dump");
    run_signal(&r, empty, NULL, (const char *[]){"--dump", "-", NULL}, 0, 0);
    expect(&r, 1, "stdin is empty");
    fd = mkstemp(text);
    assert_int_equal(write(fd, "just text\nno records\n", 22), 22);
    close(fd);
    run_signal(&r, NULL, NULL, (const char *[]){"--dump", text, NULL}, 0, 0);
    expect(&r, 1, "no Koiz record in ");
    /* A recording that ends before what --until or --after waits for. */
    run_signal(&r, NULL, NULL, (const char *[]){"--dump", "--until", "panic", STREAM, NULL}, 0, 0);
    expect(&r, 1, "the stream ended without a 'panic' record");
    run_signal(&r, NULL, NULL, (const char *[]){"--dump", "--after", "1000000", STREAM, NULL}, 0, 0);
    expect(&r, 1, "before the 1000000 that --after waits for");
    /* 300 MB of zeros (a sparse file): read headless to the end in bounded memory; in a
     * window, 1.1 GB is indexed through a bounded buffer too (never held whole), and a file
     * without a record ends the window with that said. */
    fd = mkstemp(huge);
    assert_int_equal(ftruncate(fd, 300L << 20), 0);
    close(fd);
    run_signal(&r, NULL, NULL, (const char *[]){"--dump", huge, NULL}, 0, 0);
    expect(&r, 1, "no Koiz record in ");
    expect_peak(&r, HEADLESS_PEAK_MIB);
    fd = open(huge, O_RDWR);
    assert_int_equal(ftruncate(fd, 1100L << 20), 0);
    close(fd);
    run_signal(&r, NULL, NULL, (const char *[]){huge, NULL}, 0, 0);
    expect(&r, 1, "no Koiz record in ");
    expect_peak(&r, WINDOW_PEAK_MIB);
    unlink(empty);
    unlink(text);
    unlink(huge);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(help_and_version),
        cmocka_unit_test(bad_arguments_exit_2),
        cmocka_unit_test(unreadable_inputs_exit_1),
        cmocka_unit_test(missing_emulators_name_their_packages),
        cmocka_unit_test(headless_from_a_file_makes_a_png),
        cmocka_unit_test(headless_from_a_pipe_ends_by_itself),
        cmocka_unit_test(dump_prints_the_model),
        cmocka_unit_test(walk_and_frame_print),
        cmocka_unit_test(bench_prints_figures),
        cmocka_unit_test(serial_refuses_what_is_not_a_port),
        cmocka_unit_test(signals_end_headless_runs),
        cmocka_unit_test(signals_end_windows),
        cmocka_unit_test(signals_end_a_serial_reconnect),
        cmocka_unit_test(empty_recordless_and_huge_inputs),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
