/*
 * test_cli.c: koiz-view's command line, run as a program (KOIZ_VIEW_BIN):
 * every error path says one clear line and exits non-zero (2 for a bad
 * command line, 1 for a missing file, tool or device); --help and --version;
 * headless runs from a file and from a pipe end by themselves with a PNG;
 * --dump prints the model; --bench prints its figures.
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
#include <sys/wait.h>
#include <unistd.h>

#define STREAM KOIZ_UI_TESTDATA "/selftest-qemu.txt"

struct run {
    int status;           /* exit status, or 128 + signal */
    char out[65536];      /* stdout and stderr together */
};

/*
 * Runs koiz-view with args (NULL-terminated), stdin from stdin_path (or
 * /dev/null), PATH replaced when path is set. Gives it 30 seconds.
 */
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

#define expect(r, code, text)                                                                  \
    do {                                                                                       \
        if ((r)->status != (code) || !strstr((r)->out, (text)))                                \
            fail_msg("exit %d (want %d), output:\n%s\n(want it to say: %s)", (r)->status, code, \
                     (r)->out, text);                                                          \
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
    expect(&r, 2, "--until goes with --headless or --dump");
    run(&r, NULL, NULL, (const char *[]){"--record", "/tmp/x", STREAM, NULL});
    expect(&r, 2, "--record is for live input");
    run(&r, NULL, NULL, (const char *[]){"--bench", NULL});
    expect(&r, 2, "--bench measures a recording");
    run(&r, NULL, NULL, (const char *[]){"--bench", "--dump", STREAM, NULL});
    expect(&r, 2, "--bench measures a recording");
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
    run(&r, NULL, NULL, (const char *[]){"--headless", "--screenshot", "/nonexistent/dir/out.png", STREAM, NULL});
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
    run(&r, NULL, NULL, (const char *[]){"--headless", "--size", "900x600", "--screenshot", png, STREAM, NULL});
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
        cmocka_unit_test(bench_prints_figures),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
