/*
 * test_source_ring.c: koiz-view's end of the shared-memory channel
 * (source_ring.c) against a "guest RAM" made here, with a kernel's side
 * played by the test: an offer is taken up only when it is a ring inside
 * the RAM; `ring start` before an offer, or a record cut by the chunking of
 * the port's bytes, is handled; what the kernel publishes comes out whole,
 * in order, across the ring's end; a head that runs ahead of what the ring
 * holds breaks the channel with a note, never a read out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <koiz/records.h>
#include <koiz/shared_ring.h>
#include "source_ring.h"

#define RAM  (1u << 20)
#define AREA 0x40000u

static unsigned char *ram;

static struct shared_ring *hdr(void)
{
    return (struct shared_ring *)(ram + AREA);
}

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM);
    hdr()->size = SHARED_RING_DATA;
    hdr()->magic = SHARED_RING_MAGIC;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void port(struct source_ring *r, const char *bytes)
{
    source_ring_watch(r, bytes, strlen(bytes));
}

static void offer(struct source_ring *r, uint32_t pa, uint32_t bytes)
{
    char line[PROTO_LINE_MAX + 1];
    rec_format_ring_offer(line, sizeof line, &(struct rec_ring_offer){.tick = 3, .pa = pa, .bytes = bytes});
    port(r, "console text before it ");
    port(r, line);
}

static void start(struct source_ring *r)
{
    char line[PROTO_LINE_MAX + 1];
    size_t n = rec_format_ring_start(line, sizeof line, &(struct rec_ring_start){.tick = 4});
    source_ring_watch(r, line, 5); /* cut in two, as a pipe may */
    source_ring_watch(r, line + 5, n - 5);
}

/* The kernel's side: n bytes of text after what is there, published. */
static void publish(const char *text)
{
    uint32_t head = hdr()->head;
    for (size_t i = 0; text[i]; i++, head++)
        ram[AREA + SHARED_RING_HEADER + (head & (SHARED_RING_DATA - 1))] = (unsigned char)text[i];
    hdr()->head = head;
}

static void test_offer_taken_and_records_come_out(void **state)
{
    (void)state;
    struct source_ring r;
    char out[256];
    source_ring_init(&r, ram, RAM);
    publish("not yet\n");
    assert_int_equal(source_ring_take(&r, out, sizeof out), 0); /* no offer: nothing read */
    hdr()->head = hdr()->tail = 0;
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    assert_int_equal(r.state, RING_OFFERED);
    assert_int_equal(hdr()->reader, SHARED_RING_READING);
    publish("@KZ1 early\n");
    assert_int_equal(source_ring_take(&r, out, sizeof out), 0); /* not before `ring start` */
    start(&r);
    assert_int_equal(r.state, RING_READING);
    size_t n = source_ring_take(&r, out, sizeof out);
    assert_int_equal(n, 11);
    assert_memory_equal(out, "@KZ1 early\n", 11);
    assert_int_equal(hdr()->tail, 11);
}

static void test_ring_wraps_and_max_cuts(void **state)
{
    (void)state;
    struct source_ring r;
    char *out = malloc(SHARED_RING_DATA);
    hdr()->head = hdr()->tail = SHARED_RING_DATA - 4; /* free-running counters, near the end */
    source_ring_init(&r, ram, RAM);
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    start(&r);
    publish("abcdefghij\n");
    assert_int_equal(source_ring_take(&r, out, 6), 6); /* max cuts: the rest comes next time */
    assert_memory_equal(out, "abcdef", 6);
    assert_int_equal(source_ring_take(&r, out, SHARED_RING_DATA), 5);
    assert_memory_equal(out, "ghij\n", 5);
    assert_int_equal(hdr()->tail, SHARED_RING_DATA + 7);
    free(out);
}

static void test_offers_that_are_not_rings(void **state)
{
    (void)state;
    struct source_ring r;
    source_ring_init(&r, ram, RAM);
    offer(&r, RAM - 4096, SHARED_RING_HEADER + SHARED_RING_DATA); /* past the RAM's end */
    assert_int_equal(r.state, RING_BROKEN);
    assert_non_null(strstr(r.note, "outside the guest's RAM"));
    assert_int_equal(hdr()->reader, 0);

    source_ring_init(&r, ram, RAM);
    offer(&r, AREA + 12, SHARED_RING_HEADER + SHARED_RING_DATA); /* not page-aligned */
    assert_int_equal(r.state, RING_BROKEN);

    source_ring_init(&r, ram, RAM);
    hdr()->magic = 0;
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    assert_int_equal(r.state, RING_BROKEN);
    assert_non_null(strstr(r.note, "does not hold a ring"));

    source_ring_init(&r, ram, RAM);
    hdr()->magic = SHARED_RING_MAGIC;
    hdr()->size = SHARED_RING_DATA * 2; /* more than the area */
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    assert_int_equal(r.state, RING_BROKEN);

    source_ring_init(&r, NULL, 0); /* no shared RAM (--port-only, Bochs): never taken up */
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    assert_int_equal(r.state, RING_NONE);
}

static void test_start_alone_and_broken_lines(void **state)
{
    (void)state;
    struct source_ring r;
    char line[PROTO_LINE_MAX + 1], big[600];
    source_ring_init(&r, ram, RAM);
    start(&r); /* a start without an offer: nothing */
    assert_int_equal(r.state, RING_NONE);
    size_t n = rec_format_ring_offer(line, sizeof line,
                                     &(struct rec_ring_offer){.tick = 3, .pa = AREA, .bytes = 69632});
    line[n - 3] ^= 1; /* a bad checksum */
    port(&r, line);
    assert_int_equal(r.state, RING_NONE);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    port(&r, "@KZ1 ");
    port(&r, big); /* an '@' no record follows (overlong), then console text and the offer on one line */
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    assert_int_equal(r.state, RING_OFFERED); /* a record starts at its '@', whatever came before */
}

static void test_head_running_ahead_breaks_the_channel(void **state)
{
    (void)state;
    struct source_ring r;
    char out[64];
    hdr()->head = hdr()->tail = 0;
    source_ring_init(&r, ram, RAM);
    offer(&r, AREA, SHARED_RING_HEADER + SHARED_RING_DATA);
    start(&r);
    hdr()->head = SHARED_RING_DATA + 1;
    assert_int_equal(source_ring_take(&r, out, sizeof out), 0);
    assert_int_equal(r.state, RING_BROKEN);
    assert_non_null(strstr(r.note, "more is waiting than it holds"));
    assert_int_equal(source_ring_take(&r, out, sizeof out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offer_taken_and_records_come_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_wraps_and_max_cuts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offers_that_are_not_rings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_alone_and_broken_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_running_ahead_breaks_the_channel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
