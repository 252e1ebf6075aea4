/*
 * telemetry.c: the queue between the emitter and the ports.
 *
 * Writing a byte to port 0xE9 or COM1 is slow compared with changing a page
 * table, so records are queued in a ring of whole lines and drained a
 * bounded amount per timer tick, and completely at flush points (the idle
 * loop, a snapshot, a panic, power-off). When the ring is full the record
 * is dropped and counted; the next flush says so (`drop N`) and sends fresh
 * snapshots, so a reader is whole again right after any loss.
 */
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include "../telemetry/emit.h"
#include "../vmm/vmm.h"
#include "console.h"
#include "kernel.h"
#include "pit.h"
#include "telemetry.h"
#include "x86.h"

#define RING_BYTES   32768      /* a few hundred records */
#define TICK_BUDGET  2048       /* bytes drained per tick: about 200 KB/s at 100 Hz */

static char ring[RING_BYTES];
static uint32_t head, tail;     /* free-running: used = head - tail */
static int active, to_e9, to_serial;
static volatile int snapshot_wanted;
static uint32_t dropped_since_flush;
static struct telemetry_stats stats;
/*
 * Bytes the timer drains per tick, with interrupts off while it waits for
 * each byte. Port 0xE9 takes anything at once. A UART takes a tenth of its
 * baud rate in bytes a second (115,200 baud: 115 bytes a tick), so on COM1
 * a tick sends about half what the line carries meanwhile (never less than
 * one line) and the idle loop sends the rest with interrupts on.
 */
static uint32_t tick_budget = TICK_BUDGET;

static void port_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (to_e9)
            debugcon_putc(s[i]);
        if (to_serial)
            serial_putc(s[i]);
    }
    stats.written_bytes += (uint32_t)n;
}

/* Writes up to max bytes from the ring, in whole lines only: console text
 * written to the same port between two drains must never land inside a
 * record. Interrupts must be off. */
static void drain(uint32_t max)
{
    if (head - tail > max) {
        uint32_t end = tail + max;
        while (end > tail && ring[(end - 1) % RING_BYTES] != '\n')
            end--;
        while (end == tail || (end < head && ring[(end - 1) % RING_BYTES] != '\n'))
            end++;      /* no whole line fits in max: the first line goes anyway */
        max = end - tail;
    }
    while (head != tail && max > 0) {
        uint32_t at = tail % RING_BYTES;
        uint32_t n = head - tail;
        if (n > RING_BYTES - at)
            n = RING_BYTES - at;
        if (n > max)
            n = max;
        port_write(ring + at, n);
        tail += n;
        max -= n;
    }
}

void telemetry_queue(const char *line, size_t len, int keep)
{
    uint32_t flags = irq_save();
    if (active && keep && RING_BYTES - (head - tail) < len)
        drain(0xFFFFFFFFu);
    if (!active) {
        record_write(line, (unsigned)len);
    } else if (RING_BYTES - (head - tail) < len) {
        dropped_since_flush++;
        stats.dropped_records++;
    } else {
        for (size_t i = 0; i < len; i++)
            ring[(head + i) % RING_BYTES] = line[i];
        head += (uint32_t)len;
        stats.queued_bytes += (uint32_t)len;
        if (head - tail > stats.queue_high_water)
            stats.queue_high_water = head - tail;
    }
    irq_restore(flags);
}

static void sink_write(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    telemetry_queue(line, len, 0);
}

static uint32_t sink_now(void *ctx)
{
    (void)ctx;
    return (uint32_t)pit_ticks();
}

void tel_snapshot_done(void)
{
    __asm__ volatile("" ::: "memory");
}

void tel_events_done(void)
{
    __asm__ volatile("" ::: "memory");
}

/*
 * Everything queued, a line at a time with interrupts on in between: on a
 * slow UART this takes seconds, and meanwhile the clock must tick and keys
 * must be taken. Other tasks may run and queue more; it goes out too.
 */
static void drain_interruptible(void)
{
    for (;;) {
        uint32_t flags = irq_save();
        int more = head != tail;
        if (more)
            drain(1);
        irq_restore(flags);
        if (!more)
            return;
    }
}

void telemetry_flush(void)
{
    uint32_t flags;
    int snap;

    if (!active)
        return;
    tel_send_counters(0);
    drain_interruptible();
    /* The rest in one piece: what the drop note and the snapshot follow must be out. */
    flags = irq_save();
    drain(0xFFFFFFFFu);
    if (dropped_since_flush) {
        char line[PROTO_LINE_MAX + 1];
        size_t n = proto_format(line, sizeof line, REC_DROP, "%u %u", (uint32_t)pit_ticks(),
                                dropped_since_flush);
        port_write(line, n);
        dropped_since_flush = 0;
        stats.drops++;
        snapshot_wanted = 1;
    }
    snap = snapshot_wanted;
    snapshot_wanted = 0;
    if (snap) {
        /* Straight to the ports: a snapshot must not itself overflow the ring. */
        active = 0;
        tel_snapshot_all();
        tel_send_counters(1);
        active = 1;
    }
    irq_restore(flags);
    if (snap)
        tel_snapshot_done();
}

void telemetry_drain(void)
{
    uint32_t flags = irq_save();
    if (active)
        drain(0xFFFFFFFFu);
    irq_restore(flags);
}

void telemetry_tick(void)
{
    if (active)
        drain(tick_budget);
}

static const struct tel_sink kernel_sink = { sink_write, sink_now, 0 };

void telemetry_pause(void)
{
    if (active)
        tel_emit_start(0);
}

void telemetry_resume(void)
{
    if (active) {
        tel_emit_start(&kernel_sink);
        snapshot_wanted = 1;    /* what happened meanwhile was not told */
    }
}

void telemetry_request_snapshot(void)
{
    snapshot_wanted = 1;
}

int telemetry_active(void)
{
    return active;
}

const struct telemetry_stats *telemetry_stats(void)
{
    return &stats;
}

void telemetry_init(void)
{
    enum telemetry_target t = kernel_options.telemetry;

    if (t == TELEMETRY_AUTO)
        t = debugcon_present() ? TELEMETRY_E9 : TELEMETRY_SERIAL;
    to_e9 = (t == TELEMETRY_E9 || t == TELEMETRY_BOTH) && debugcon_present();
    to_serial = (t == TELEMETRY_SERIAL || t == TELEMETRY_BOTH) && serial_present();
    if (t == TELEMETRY_OFF || (!to_e9 && !to_serial)) {
        kprintf("Telemetry: off%s\n", t == TELEMETRY_OFF ? "" : " (no port 0xE9 and no COM1 here)");
        return;
    }
    if (to_serial) {
        uint32_t half_a_tick = kernel_options.baud / 10 / PIT_HZ / 2;
        tick_budget = half_a_tick < TICK_BUDGET ? half_a_tick : TICK_BUDGET;
    }
    tel_emit_start(&kernel_sink);
    active = 1;
    log_replay_boot();
    kprintf("Telemetry: records to %s%s%s\n", to_e9 ? "port 0xE9" : "", to_e9 && to_serial ? " and " : "",
            to_serial ? "COM1" : "");
    snapshot_wanted = 1;
    telemetry_flush();
}
