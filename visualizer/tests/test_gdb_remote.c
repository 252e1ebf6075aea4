/*
 * test_gdb_remote.c: the GDB remote-protocol client (visualizer/gdb_remote.c)
 * against a fake stub in a thread (fake_stub.c): greeting, acknowledgements
 * and no-ack mode, the target description in chunks, registers by `p` and
 * by `g`, memory in PacketSize-bounded chunks with run-length encoding,
 * stopping and resuming; and stubs that refuse, corrupt, close, babble,
 * stall or exit, each of which must end in a clear message, within the
 * deadline, never a hang or a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "fake_stub.h"
#include "gdb_remote.h"

#define MEM_SIZE 65536

static uint8_t memory[MEM_SIZE];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* A stub with QEMU's defaults (PacketSize 0x1000, acks on), memory filled with a pattern. */
static void stub_defaults(struct fake_stub *s)
{
    memset(s, 0, sizeof *s);
    s->packet_size = 0x1000;
    s->mem = memory;
    s->mem_size = sizeof memory;
    for (size_t i = 0; i < sizeof memory; i++)
        memory[i] = (uint8_t)(i * 7 + (i >> 8));
    memset(memory + 0x3000, 0, 0x1000); /* a page of zeros: long runs for RLE */
    s->regs[FAKE_CR0] = 0x80010011;
    s->regs[FAKE_CR3] = 0x00105000;
    s->regs[FAKE_CR4] = 0x00000090;
    s->regs[FAKE_EIP] = 0xC0101234;
}

/* Connects a client to the started stub; fails the test when the greeting does. */
static struct gdb *attach(struct fake_stub *s, int timeout_ms)
{
    char err[GDB_ERROR_MAX];
    struct gdb *g = gdb_attach_fd(fake_start(s), timeout_ms, err, sizeof err);
    if (!g)
        fail_msg("greeting failed: %s", err);
    return g;
}

static void finish(struct fake_stub *s, struct gdb *g)
{
    gdb_close(g);
    fake_stop(s);
}

static void test_greeting_in_ack_mode(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_packet_size(g), 0x1000);
    assert_int_equal(gdb_memory_chunk(g), 2048);
    assert_false(gdb_running(g));
    assert_false(gdb_broken(g));
    assert_false(s.no_ack);
    finish(&s, g);
    assert_true(s.detached);
}

static void test_no_ack_mode_when_offered(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.offer_no_ack = true;
    struct gdb *g = attach(&s, 1000);
    uint64_t v;
    assert_int_equal(gdb_read_register(g, FAKE_CR3, &v), 0);
    assert_int_equal(v, 0x00105000);
    finish(&s, g);
    assert_true(s.no_ack);
    assert_int_equal(s.acks_after_no_ack, 0);
}

static void test_default_packet_size_without_qsupported(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.packet_size = 0; /* qSupported answered with nothing */
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_packet_size(g), 400);
    assert_int_equal(gdb_memory_chunk(g), 200);
    finish(&s, g);
}

/* QEMU stops a running guest when a debugger connects and says so with a stop reply, unasked. */
static void test_stop_reply_at_connect_is_taken(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.stop_reply_at_connect = true;
    struct gdb *g = attach(&s, 1000);
    uint64_t v;
    assert_int_equal(gdb_read_register(g, FAKE_EIP, &v), 0);
    assert_int_equal(v, 0xC0101234);
    finish(&s, g);
}

static void test_target_description_in_chunks(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.xfer_chunk = 37; /* many `m` chunks, escapes split across them */
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_load_registers(g), 50);
    assert_int_equal(gdb_find_register(g, "eax"), 0);
    assert_int_equal(gdb_find_register(g, "eflags"), 9);   /* single quotes */
    assert_int_equal(gdb_find_register(g, "fs_base"), 16); /* the commented-out ones do not count */
    assert_int_equal(gdb_find_register(g, "cr0"), FAKE_CR0);
    assert_int_equal(gdb_find_register(g, "cr3"), FAKE_CR3);
    assert_int_equal(gdb_find_register(g, "cr4"), FAKE_CR4);
    assert_int_equal(gdb_find_register(g, "efer"), FAKE_EFER);
    assert_int_equal(gdb_find_register(g, "mxcsr"), 49);
    assert_int_equal(gdb_register_at(g, 25)->bitsize, 80);
    assert_int_equal(gdb_find_register(g, "cs_base"), -1);
    assert_non_null(strstr(gdb_error(g), "no register 'cs_base'"));
    assert_false(gdb_broken(g));
    finish(&s, g);
}

static void test_regnum_attribute_restarts_numbering(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.xml_target = "<target><feature name='a'><reg name='r0' bitsize='32'/><reg name=\"r1\" bitsize=\"64\"/>"
                   "<reg name='cr3' bitsize='32' regnum='21'/><reg name='cr4' bitsize='32'/>"
                   "</feature></target>";
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_load_registers(g), 4);
    assert_int_equal(gdb_find_register(g, "r1"), 1);
    assert_int_equal(gdb_find_register(g, "cr3"), 21);
    assert_int_equal(gdb_find_register(g, "cr4"), 22);
    finish(&s, g);
}

static void test_description_errors_are_refusals(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.xml_target = "<target><xi:include href=\"missing.xml\"/></target>";
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_load_registers(g), -1);
    assert_non_null(strstr(gdb_error(g), "missing.xml"));
    assert_false(gdb_broken(g));
    uint64_t v;
    assert_int_equal(gdb_read_register(g, FAKE_CR0, &v), 0); /* the link still works */
    finish(&s, g);
}

static void test_registers_by_p_and_by_g(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.regs[FAKE_EFER] = 0x500;
    struct gdb *g = attach(&s, 1000);
    uint64_t v;
    assert_int_equal(gdb_read_register(g, FAKE_CR4, &v), 0);
    assert_int_equal(v, 0x90);
    finish(&s, g);

    stub_defaults(&s);
    s.regs[FAKE_EFER] = 0x500;
    s.p_unknown = true;
    g = attach(&s, 1000);
    assert_int_equal(gdb_read_register(g, FAKE_CR4, &v), 0);
    assert_int_equal(v, 0x90);
    assert_int_equal(gdb_read_register(g, FAKE_EFER, &v), 0);
    assert_int_equal(v, 0x500);
    assert_int_equal(gdb_read_register(g, 49, &v), 0); /* mxcsr, after the st and xmm registers */
    assert_int_equal(v, 0);
    assert_int_equal(gdb_read_register(g, 25, &v), -1); /* st0: 80 bits */
    assert_non_null(strstr(gdb_error(g), "80 bits"));
    finish(&s, g);
    assert_string_equal(s.last_packet, "D");
}

static void test_memory_in_chunks_with_rle(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.packet_size = 0x100;
    s.rle = true;
    static uint8_t buf[0x3000];
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_memory_chunk(g), 128);
    assert_int_equal(gdb_read_memory(g, 0x1800, buf, sizeof buf), 0);
    assert_memory_equal(buf, memory + 0x1800, sizeof buf);
    assert_int_equal(s.m_packets, 0x3000 / 128);
    assert_int_equal(s.m_largest, 128);
    finish(&s, g);
}

static void test_memory_refused_keeps_link(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    uint8_t buf[16];
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_read_memory(g, MEM_SIZE - 8, buf, sizeof buf), -1);
    assert_non_null(strstr(gdb_error(g), "E14"));
    assert_false(gdb_broken(g));
    assert_int_equal(gdb_read_memory(g, 16, buf, sizeof buf), 0);
    assert_memory_equal(buf, memory + 16, sizeof buf);
    finish(&s, g);
}

static void test_physical_mode(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.virtual_refused = true;
    uint8_t buf[4];
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_read_memory(g, 0, buf, 4), -1);
    assert_int_equal(gdb_physical_memory(g, true), 0);
    assert_true(s.phys);
    int before = s.packets;
    assert_int_equal(gdb_physical_memory(g, true), 0); /* no change: nothing sent */
    assert_int_equal(s.packets, before);
    assert_int_equal(gdb_read_memory(g, 0, buf, 4), 0);
    finish(&s, g);

    stub_defaults(&s);
    s.no_phys = true;
    g = attach(&s, 1000);
    assert_int_equal(gdb_physical_memory(g, true), -1);
    assert_non_null(strstr(gdb_error(g), "PhyMemMode"));
    assert_false(gdb_broken(g));
    finish(&s, g);
}

static void test_naks_and_bad_checksums_recover(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.nak_every = 3;
    s.corrupt_every = 4;
    s.rle = true;
    static uint8_t buf[0x2000];
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_load_registers(g), 50);
    assert_int_equal(gdb_read_memory(g, 0x2800, buf, sizeof buf), 0);
    assert_memory_equal(buf, memory + 0x2800, sizeof buf);
    assert_true(gdb_stats(g)->retransmits > 0);
    assert_true(gdb_stats(g)->naks > 0);
    assert_true(s.naks_received > 0);
    finish(&s, g);
}

static void test_stop_and_resume(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_stop(g), 0); /* stopped already: nothing sent */
    assert_int_equal(gdb_resume(g), 0);
    assert_true(gdb_running(g));
    uint64_t v;
    assert_int_equal(gdb_read_register(g, FAKE_CR3, &v), -1); /* not while it runs */
    assert_non_null(strstr(gdb_error(g), "stopped"));
    assert_false(gdb_broken(g));
    assert_int_equal(gdb_stop(g), 0);
    assert_false(gdb_running(g));
    assert_int_equal(gdb_read_register(g, FAKE_CR3, &v), 0);
    assert_int_equal(gdb_resume(g), 0);
    finish(&s, g); /* stops, then detaches */
    assert_int_equal(s.interrupts, 2);
    assert_int_equal(s.resumes, 2);
    assert_true(s.detached);
}

/* Each bad peer: the call fails with words that say what happened, the link is marked lost,
 * later calls fail at once, and nothing takes much longer than the deadline. */
static void expect_lost(struct fake_stub *s, int timeout_ms, const char *words, bool gone)
{
    char err[GDB_ERROR_MAX];
    double t0 = now();
    struct gdb *g = gdb_attach_fd(fake_start(s), timeout_ms, err, sizeof err);
    uint8_t buf[4096];
    const char *why = err;
    if (g) {
        int rc = gdb_read_memory(g, 0, buf, sizeof buf);
        if (rc == 0)
            rc = gdb_load_registers(g) < 0 ? -1 : 0;
        assert_int_equal(rc, -1);
        assert_true(gdb_broken(g));
        assert_int_equal(gdb_gone(g), gone);
        why = gdb_error(g);
        double t1 = now();
        assert_int_equal(gdb_read_memory(g, 0, buf, 4), -1); /* at once */
        assert_true(now() - t1 < 0.05);
    }
    if (!strstr(why, words))
        fail_msg("expected \"%s\" in \"%s\"", words, why);
    assert_true(now() - t0 < timeout_ms / 1e3 + 1.0);
    gdb_close(g);
    fake_stop(s);
}

static void test_stub_that_closes(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.close_after = 1; /* right after qSupported */
    expect_lost(&s, 1000, "closed the connection", true);
    stub_defaults(&s);
    s.close_after = 5; /* in the middle of reading memory */
    expect_lost(&s, 1000, "closed the connection", true);
}

static void test_stub_that_answers_garbage(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.garbage_after = 1;
    expect_lost(&s, 1000, "where a packet should start", false);
    stub_defaults(&s);
    s.garbage_after = 5;
    expect_lost(&s, 1000, "where a packet should start", false);
}

static void test_stub_that_stalls(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.stall_after = 1;
    expect_lost(&s, 150, "no answer within 150 ms", false);
    stub_defaults(&s);
    s.stall_after = 5;
    expect_lost(&s, 150, "no answer within 150 ms (waiting for the reply to 'm", false);
}

static void test_endless_and_broken_replies(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.oversize_after = 5;
    expect_lost(&s, 1000, "longer than 65536 bytes", false);
    stub_defaults(&s);
    s.bad_rle_after = 5;
    expect_lost(&s, 1000, "bad run-length encoding", false);
}

static void test_guest_that_exits(void **state)
{
    (void)state;
    struct fake_stub s;
    stub_defaults(&s);
    s.exit_on_interrupt = true;
    struct gdb *g = attach(&s, 1000);
    assert_int_equal(gdb_resume(g), 0);
    assert_int_equal(gdb_stop(g), -1);
    assert_true(gdb_broken(g));
    assert_non_null(strstr(gdb_error(g), "the target has exited (W00)"));
    assert_true(gdb_gone(g));
    finish(&s, g);
}

static void test_connect_over_tcp(void **state)
{
    (void)state;
    struct fake_stub s;
    char where[64], err[GDB_ERROR_MAX];
    stub_defaults(&s);
    int port = fake_listen(&s);
    assert_true(port > 0);
    snprintf(where, sizeof where, "127.0.0.1:%d", port);
    struct gdb *g = gdb_connect(where, 1000, err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    uint64_t v;
    assert_int_equal(gdb_read_register(g, FAKE_CR0, &v), 0);
    assert_int_equal(v, 0x80010011);
    finish(&s, g);

    /* Nobody listens there any more. */
    assert_null(gdb_connect(where, 1000, err, sizeof err));
    assert_non_null(strstr(err, "refused"));
    assert_null(gdb_connect("no-port-here", 1000, err, sizeof err));
    assert_non_null(strstr(err, "HOST:PORT"));
    assert_null(gdb_connect("unix:/nonexistent/gdb.sock", 1000, err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
}

/* Random bytes in answer to everything: any outcome but a crash, a hang or unbounded memory. */
static void test_random_peers(void **state)
{
    (void)state;
    srand(19);
    for (int round = 0; round < 40; round++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        char noise[600];
        size_t n = (size_t)(rand() % (int)sizeof noise);
        for (size_t i = 0; i < n; i++) {
            static const char alphabet[] = "$#+-*}0123456789abcdefTSWOEl m";
            noise[i] = rand() % 4 ? alphabet[rand() % (int)(sizeof alphabet - 1)] : (char)rand();
        }
        assert_int_equal(send(sv[0], noise, n, 0), (ssize_t)n);
        if (round % 2)
            shutdown(sv[0], SHUT_WR); /* half the peers close after their noise */
        char err[GDB_ERROR_MAX];
        double t0 = now();
        struct gdb *g = gdb_attach_fd(sv[1], 30, err, sizeof err);
        if (g) {
            uint8_t buf[64];
            gdb_read_memory(g, 0, buf, sizeof buf);
            gdb_close(g);
        } else {
            assert_true(err[0] != '\0');
        }
        assert_true(now() - t0 < 1.0);
        close(sv[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting_in_ack_mode),
        cmocka_unit_test(test_no_ack_mode_when_offered),
        cmocka_unit_test(test_default_packet_size_without_qsupported),
        cmocka_unit_test(test_stop_reply_at_connect_is_taken),
        cmocka_unit_test(test_target_description_in_chunks),
        cmocka_unit_test(test_regnum_attribute_restarts_numbering),
        cmocka_unit_test(test_description_errors_are_refusals),
        cmocka_unit_test(test_registers_by_p_and_by_g),
        cmocka_unit_test(test_memory_in_chunks_with_rle),
        cmocka_unit_test(test_memory_refused_keeps_link),
        cmocka_unit_test(test_physical_mode),
        cmocka_unit_test(test_naks_and_bad_checksums_recover),
        cmocka_unit_test(test_stop_and_resume),
        cmocka_unit_test(test_stub_that_closes),
        cmocka_unit_test(test_stub_that_answers_garbage),
        cmocka_unit_test(test_stub_that_stalls),
        cmocka_unit_test(test_endless_and_broken_replies),
        cmocka_unit_test(test_guest_that_exits),
        cmocka_unit_test(test_connect_over_tcp),
        cmocka_unit_test(test_random_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
