/*
 * test_gdb_view.c: koiz-view --gdb run as a program (KOIZ_VIEW_BIN) against
 * the fake GDB stub (visualizer/tests/fake_stub.c) listening on 127.0.0.1:
 * a stub that works (the picture it serves is dumped), and bad peers: none
 * listening, one that closes at once, one that goes away after some polls
 * (QEMU quitting: the stream ends, not an error), one that answers garbage,
 * one that stalls, one that sends an endless reply. Each ends by itself,
 * well within the request deadline and a margin, with one clear sentence and
 * the right status; SIGTERM during a stall ends it within a quarter of a
 * second.
 *
 * The pretend guest: directory 0x1000 with PDE 0 -> table 0x2000 (pages 1-3
 * identity, user read-only) and PDE 768 a 4 MiB page at 0 (kernel, global).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <koiz/x86_regs.h>
#include "fake_stub.h"

#define MEM_SIZE (1u << 20)

static uint8_t mem[MEM_SIZE];

struct run {
    int status;      /* exit status, or 128 + signal */
    char out[65536]; /* stdout, then stderr */
    double seconds;  /* from the start (or from the signal) to the end */
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pretend_guest(struct fake_stub *s)
{
    memset(s, 0, sizeof *s);
    memset(mem, 0, sizeof mem);
    s->packet_size = 0x1000;
    s->offer_no_ack = true;
    s->stop_reply_at_connect = true;
    s->mem = mem;
    s->mem_size = sizeof mem;
    s->regs[FAKE_CR0] = CR0_PG | CR0_PE;
    s->regs[FAKE_CR3] = 0x1000;
    s->regs[FAKE_CR4] = CR4_PSE;
    uint32_t *dir = (uint32_t *)(mem + 0x1000), *table = (uint32_t *)(mem + 0x2000);
    dir[0] = 0x2007;
    dir[768] = 0x00000183;
    for (uint32_t i = 1; i < 4; i++)
        table[i] = i << 12 | 0x005;
}

/* Runs koiz-view --gdb 127.0.0.1:port --headless --dump with extra (NULL-ended); after delay_ms sends
 * sig (0: none). The child has 20 seconds. */
static void run_view(struct run *r, int port, const char *const *extra, int delay_ms, int sig)
{
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    const char *argv[24] = {KOIZ_VIEW_BIN, "--gdb", where, "--headless", "--dump"};
    int n = 5;
    for (; extra && *extra; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    double t0 = now();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        setenv("SDL_VIDEODRIVER", "offscreen", 1);
        alarm(20);
        execv(KOIZ_VIEW_BIN, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    if (sig) {
        usleep((useconds_t)delay_ms * 1000);
        kill(pid, sig);
        t0 = now();
    }
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], r->out + len, sizeof r->out - 1 - len)) > 0)
        len += (size_t)got;
    r->out[len] = '\0';
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    r->seconds = now() - t0;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect(const struct run *r, int status, const char *words, double seconds)
{
    if (r->status != status || !strstr(r->out, words) || r->seconds > seconds)
        fail_msg("status %d (want %d) after %.2f s (at most %.1f), output wants \"%s\":\n%s", r->status,
                 status, r->seconds, seconds, words, r->out);
}

/* A stub that works: the picture, through the records koiz-view makes of the polls. */
static void test_a_stub_that_works(void **state)
{
    (void)state;
    struct fake_stub s;
    struct run r;
    pretend_guest(&s);
    int port = fake_listen(&s);
    run_view(&r, port, (const char *const[]){"--polls", "3", NULL}, 0, 0);
    fake_stop(&s);
    expect(&r, 0,
           "space 1 cr3 0x00001000 whole current: 2 directory entries, 3 table entries\n"
           "0x00001000-0x00004000   12K -> 0x00001000 4K ro USR\n"
           "0xc0000000-0xc0400000    4M -> 0x00000000 4M RW                 G\n",
           10);
    assert_non_null(strstr(r.out, "3 polls in"));
    assert_true(s.detached);
}

static void test_nobody_listening(void **state)
{
    (void)state;
    struct run r;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* a port nobody listens on */
    run_view(&r, ntohs(a.sin_port), NULL, 0, 0);
    expect(&r, 1, "cannot connect to the GDB stub at 127.0.0.1:", 5);
}

static void test_closes_at_once(void **state)
{
    (void)state;
    struct fake_stub s;
    struct run r;
    pretend_guest(&s);
    s.close_after = 1;
    run_view(&r, fake_listen(&s), NULL, 0, 0);
    fake_stop(&s);
    expect(&r, 1, "closed the connection", 5);
}

/* QEMU quitting after some polls: the stream ends there, and what was seen is the picture. */
static void test_goes_away_after_polls(void **state)
{
    (void)state;
    struct fake_stub s;
    struct run r;
    pretend_guest(&s);
    s.close_after = 60;
    run_view(&r, fake_listen(&s), NULL, 0, 0);
    fake_stop(&s);
    expect(&r, 0, "went away", 15);
    assert_non_null(strstr(r.out, "space 1 cr3 0x00001000 whole current"));
}

static void test_garbage(void **state)
{
    (void)state;
    for (int after = 2; after <= 40; after += 19) { /* in the greeting, then in a poll */
        struct fake_stub s;
        struct run r;
        pretend_guest(&s);
        s.garbage_after = after;
        run_view(&r, fake_listen(&s), NULL, 0, 0);
        fake_stop(&s);
        expect(&r, 1, "GDB stub at 127.0.0.1:", 5);
        assert_non_null(strstr(r.out, "where a packet should start"));
    }
}

static void test_endless_reply(void **state)
{
    (void)state;
    struct fake_stub s;
    struct run r;
    pretend_guest(&s);
    s.oversize_after = 30;
    run_view(&r, fake_listen(&s), NULL, 0, 0);
    fake_stop(&s);
    expect(&r, 1, "longer than 65536 bytes", 5);
}

/* A stub that stops answering: the deadline of a request (2 s) ends it, with the reason. */
static void test_stalls(void **state)
{
    (void)state;
    struct fake_stub s;
    struct run r;
    pretend_guest(&s);
    s.stall_after = 40;
    run_view(&r, fake_listen(&s), NULL, 0, 0);
    fake_stop(&s);
    expect(&r, 1, "no answer within 2000 ms", 8);
}

/* SIGTERM while a request waits for a stalled stub: the request is cut, the program ends at once. */
static void test_sigterm_during_a_stall(void **state)
{
    (void)state;
    struct fake_stub s;
    struct run r;
    pretend_guest(&s);
    s.stall_after = 40;
    run_view(&r, fake_listen(&s), NULL, 1200, SIGTERM);
    fake_stop(&s);
    expect(&r, 143, "stopped by SIGTERM", 0.5);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stub_that_works),
        cmocka_unit_test(test_nobody_listening),
        cmocka_unit_test(test_closes_at_once),
        cmocka_unit_test(test_goes_away_after_polls),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_endless_reply),
        cmocka_unit_test(test_stalls),
        cmocka_unit_test(test_sigterm_during_a_stall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
