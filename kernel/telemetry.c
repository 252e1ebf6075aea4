/*
 * telemetry.c: the queue between the emitter and the ports.
 *
 * Writing a byte to port 0xE9 or COM1 is slow compared with changing a page
 * table, so records are queued in a ring of whole lines and drained a
 * bounded amount per timer tick, and completely at flush points (the idle
 * loop, a demo's end, a panic, power-off).
 *
 * When the ring is full, the kernel option telemetry_loss= decides:
 *
 *   never     the record waits: the ring is written out until it fits
 *             (back-pressure). The default for port 0xE9, which takes a
 *             byte per instruction.
 *   announce  an event is dropped. The first one is followed at once, in
 *             stream order, by a `loss` record (room is kept for it); every
 *             event after it is dropped and counted until the next flush
 *             point, which sends `drop` (how many, which ticks) and a
 *             resync round (`round`, a snapshot of every live space,
 *             `sync`). The default when COM1 carries the stream: a UART
 *             takes 11,520 bytes a second, and waiting for it would slow a
 *             busy kernel to the line's pace.
 *
 * When koiz-view starts QEMU it may ask for the shared-memory channel
 * (dev/shared_ring.c, docs/protocol.md "Through shared memory"): the lines
 * bound for port 0xE9 then go into guest memory it reads, from `ring start`
 * on, written out at the same points and waited for the same way.
 *
 * Records that are not events (log lines, test results, warnings, panics,
 * snapshot rounds) are never dropped: they always wait for room. A pause
 * (telemetry_pause, for self-tests and benchmarks) is announced the same
 * way: `loss pause` at once, `drop` and a round at the resume.
 */
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include <koiz/shared_ring.h>
#include "../telemetry/emit.h"
#include "../vmm/vmm.h"
#include "dev/console.h"
#include "kernel.h"
#include "dev/pit.h"
#include "dev/shared_ring.h"
#include "telemetry.h"
#include "x86.h"

#define RING_BYTES  32768                /* a few hundred records */
#define RING_MIN    1024                 /* telemetry_queue= may not go below this */
#define LINES_MAX   (RING_BYTES / 16)    /* lines queued at most: records are longer than 16 bytes */
#define RESERVE     (2 * PROTO_LINE_MAX) /* kept from events: room for the `loss` note */
#define TICK_BUDGET 2048                 /* bytes drained per tick: about 200 KB/s at 100 Hz */
#define RESYNC_GAP  10                   /* ticks between resync rounds sent between tasks */

/*
 * The queue: the lines' bytes in a ring, and beside them each line's length
 * (and whether it is a record: its only '@' is its first byte), so that
 * writing out whole lines, and counting the records written to each port,
 * goes a line at a time instead of a byte at a time.
 */
#define LINE_RECORD 0x8000u
/* Page-aligned, so its frames hold nothing else: the frame map says `telemetry` of exactly them. */
static char ring[RING_BYTES] __attribute__((aligned(4096)));
static uint16_t lines[LINES_MAX];
static uint32_t ring_size = RING_BYTES;
static uint32_t ring_head, ring_tail; /* bytes, free-running: used = ring_head - ring_tail */
static uint32_t line_head, line_tail; /* lines, free-running */
static int active, to_e9, to_serial;
/* The shared-memory channel (dev/shared_ring.c): offered when koiz-view asked
 * for it; once its reader is there, the lines bound for port 0xE9 go into it. */
static int ring_offered, ring_on;
_Static_assert(RING_BYTES <= SHARED_RING_DATA, "what write_lines writes at once fits the shared ring");
static int in_round; /* the emitter's records now are a round's: keep them */
static enum telemetry_loss policy;
static volatile int round_wanted = -1; /* an enum word_ROUND reason, or -1 */
static struct telemetry_stats stats;
static uint64_t counters_tick = ~0ull; /* when `frames` was last considered */
static uint64_t round_tick;            /* when the last round was sent */

/* The loss under way: from its `loss` record to its `drop`. */
static struct {
    int open, paused;
    uint32_t count, first, last;
    uint32_t muted_before; /* tel_counts()->muted when the pause began */
} loss;

/*
 * Bytes the timer drains per tick, with interrupts off while it waits for
 * each byte. Port 0xE9 takes anything at once. A UART takes a tenth of its
 * baud rate in bytes a second (115,200 baud: 115 bytes a tick), so on COM1
 * a tick sends about half what the line carries meanwhile (never less than
 * one line) and the idle loop sends the rest with interrupts on.
 */
static uint32_t tick_budget = TICK_BUDGET;

static uint32_t now(void)
{
    return (uint32_t)pit_ticks();
}

/* n bytes to the ports; records: how many records they begin. */
static void port_write(const char *s, size_t n, uint32_t records)
{
    if (ring_on)
        shared_ring_copy(s, (uint32_t)n);
    else if (to_e9)
        debugcon_write(s, n, records);
    for (size_t i = 0; to_serial && i < n; i++)
        serial_putc(s[i]);
    stats.written_bytes += (uint32_t)n;
}

/* The reader has mapped the offered area: one last record on port 0xE9 says
 * that the records after it come through the ring. Between two lines. */
static void ring_switch(void)
{
    char line[PROTO_LINE_MAX + 1];
    size_t len = rec_format_ring_start(line, sizeof line, &(struct rec_ring_start){.tick = now()});
    debugcon_write(line, len, 1);
    ring_on = 1;
}

/* Writes the next n queued lines out. Interrupts must be off. */
static void write_lines(uint32_t n)
{
    uint32_t bytes = 0, records = 0, lines_records;
    if (ring_offered && !ring_on && shared_ring_reader_ready())
        ring_switch();
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = lines[(line_tail + i) % LINES_MAX];
        bytes += l & ~LINE_RECORD;
        records += l >> 15;
    }
    line_tail += n;
    lines_records = records;
    if (ring_on)
        shared_ring_wait(bytes); /* at most RING_BYTES */
    while (bytes) {
        uint32_t at = ring_tail % RING_BYTES, chunk = bytes < RING_BYTES - at ? bytes : RING_BYTES - at;
        port_write(ring + at, chunk, records);
        records = 0;
        ring_tail += chunk;
        bytes -= chunk;
    }
    if (ring_on)
        shared_ring_publish(lines_records); /* whole lines: the reader sees them now */
}

/* How many of the queued lines, from the oldest, hold at least want bytes
 * (all of them when they hold less); at least one when any is queued. */
static uint32_t lines_for(uint32_t want)
{
    uint32_t n = 0, bytes = 0;
    while (line_tail + n != line_head && (n == 0 || bytes < want))
        bytes += lines[(line_tail + n++) % LINES_MAX] & ~LINE_RECORD;
    return n;
}

/* Writes up to max bytes from the queue, in whole lines only: console text
 * written to the same port between two drains must never land inside a
 * record. At least one line goes when any is queued. Interrupts must be off. */
static void drain(uint32_t max)
{
    uint32_t n = 0, bytes = 0;
    while (line_tail + n != line_head) {
        uint32_t len = lines[(line_tail + n) % LINES_MAX] & ~LINE_RECORD;
        if (n && bytes + len > max)
            break;
        bytes += len;
        n++;
    }
    write_lines(n);
}

/* Whether a line of len bytes fits below limit, and a place in the list
 * (slots: kept free, as bytes are below ring_size for a `loss` note). */
static inline int fits(uint32_t len, uint32_t limit, uint32_t slots)
{
    return ring_head - ring_tail + len <= limit && line_head - line_tail + slots < LINES_MAX;
}

/* Back-pressure: writes whole lines out until a line of need bytes fits
 * below limit, and then some: at least a tick's budget, so that a full
 * queue is written out in pieces of that size, not a line per record.
 * Interrupts must be off. */
static void make_room(uint32_t need, uint32_t limit)
{
    uint32_t used = ring_head - ring_tail, before = ring_tail;
    if (fits(need, limit, 0))
        return;
    write_lines(lines_for(used + need > limit + tick_budget ? used + need - limit : tick_budget));
    while (!fits(need, limit, 0))
        write_lines(1);
    stats.waits++;
    stats.waited_bytes += ring_tail - before;
}

static inline void put(const char *line, size_t len)
{
    uint32_t at = ring_head % RING_BYTES, first = RING_BYTES - at;
    if (first >= len) {
        kmemcpy(ring + at, line, len);
    } else {
        kmemcpy(ring + at, line, first);
        kmemcpy(ring, line + first, len - first);
    }
    lines[line_head++ % LINES_MAX] = (uint16_t)(len | (line[0] == '@' ? LINE_RECORD : 0));
    ring_head += (uint32_t)len;
    stats.queued_bytes += (uint32_t)len;
    if (ring_head - ring_tail > stats.queue_high_water)
        stats.queue_high_water = ring_head - ring_tail;
}

/* The ports records go to, decided once from the telemetry= option: with
 * `auto`, 0xE9 when it is there, else COM1. */
static void choose_ports(void)
{
    enum telemetry_target t = kernel_options.telemetry;
    if (t == TELEMETRY_AUTO)
        t = debugcon_present() ? TELEMETRY_E9 : TELEMETRY_SERIAL;
    to_e9 = (t == TELEMETRY_E9 || t == TELEMETRY_BOTH) && debugcon_present();
    to_serial = (t == TELEMETRY_SERIAL || t == TELEMETRY_BOTH) && serial_present();
}

/* The first event that does not fit: says so at once, in the room kept for it
 * (the `loss` record comes back through telemetry_queue, kept). */
static void loss_begin(enum word_LOSS why)
{
    tel_send_loss(&(struct rec_loss){.tick = now(), .reason = why});
    loss.open = 1;
    loss.count = 0;
    loss.first = loss.last = now();
    stats.drops++;
}

void telemetry_queue(const char *line, size_t len, int keep)
{
    uint32_t flags = irq_save();
    if (!active) {
        choose_ports(); /* before the stream starts: straight out, as the option says so far */
        port_write(line, len, len && line[0] == '@');
    } else if (loss.open && !keep) {
        loss.count++;
        loss.last = now();
        stats.dropped_records++;
    } else if (keep || policy == TELEMETRY_LOSS_NEVER) {
        /* Events may not take the room kept for a `loss` note; kept records may. */
        uint32_t limit = keep ? ring_size : ring_size - RESERVE;
        if (!fits((uint32_t)len, limit, 0)) /* as make_room asks first: no call while it fits */
            make_room((uint32_t)len, limit);
        put(line, len);
    } else if (fits((uint32_t)len, ring_size - RESERVE, 2)) {
        put(line, len);
    } else {
        loss_begin(LOSS_FULL);
        loss.count = 1;
        stats.dropped_records++;
    }
    irq_restore(flags);
}

/* Events may be dropped, and wait for nothing; text, snapshots and rounds must arrive. */
static void sink_write(void *ctx, enum record_type t, const char *line, size_t len)
{
    (void)ctx;
    telemetry_queue(line, len, in_round || record_classes[t] != RC_EVENT);
}

static uint32_t sink_now(void *ctx)
{
    (void)ctx;
    return now();
}

void tel_snapshot_done(void)
{
    __asm__ volatile("" ::: "memory");
}

void tel_events_done(void)
{
    __asm__ volatile("" ::: "memory");
}

/* A round: `round`, every live space whole, the counters, `sync`. Queued
 * like any record that must arrive. Only where no table is half changed. */
static void send_round(enum word_ROUND reason)
{
    round_tick = pit_ticks();
    in_round = 1;
    tel_round(reason);
    tel_send_counters(1);
    in_round = 0;
}

/* Ends the loss under way, if any, unless paused: `drop`, then the resync round. */
static void close_loss(void)
{
    uint32_t flags;

    if (!loss.open || loss.paused)
        return;
    flags = irq_save();
    tel_send_drop(
        &(struct rec_drop){.tick = now(), .count = loss.count, .first = loss.first, .last = loss.last});
    loss.open = 0;
    irq_restore(flags);
    send_round(ROUND_LOSS);
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
        int more = line_head != line_tail;
        if (more)
            drain(1);
        irq_restore(flags);
        if (!more)
            return;
    }
}

void telemetry_flush(void)
{
    int reason;

    if (!active)
        return;
    close_loss();
    reason = round_wanted;
    round_wanted = -1;
    if (reason >= 0)
        send_round((enum word_ROUND)reason); /* counters included */
    else
        tel_send_counters(0);
    drain_interruptible();
    if (reason >= 0)
        tel_snapshot_done();
}

void telemetry_sched_point(void)
{
    uint64_t t;

    if (!active)
        return;
    /* The counters at most once a tick: they change with nearly every operation. */
    t = pit_ticks();
    if (t != counters_tick) {
        counters_tick = t;
        tel_send_counters(0);
    }
    /* Resync once the ring has mostly drained, so the round itself flows, and not
     * more often than every RESYNC_GAP ticks: a round costs more than the events
     * it replaces, and a busy kernel with a small queue would do nothing else. */
    if (loss.open && ring_head - ring_tail <= ring_size / 4 && t - round_tick >= RESYNC_GAP)
        close_loss();
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

static const struct tel_sink kernel_sink = {.write = sink_write, .now = sink_now};

void telemetry_pause(void)
{
    uint32_t flags;
    if (!active || loss.paused)
        return;
    flags = irq_save();
    if (!loss.open)
        loss_begin(LOSS_PAUSE);
    loss.paused = 1;
    loss.muted_before = tel_counts()->muted;
    tel_emit_mute(1);
    irq_restore(flags);
}

void telemetry_resume(void)
{
    if (!active || !loss.paused)
        return;
    tel_emit_mute(0);
    loss.count += tel_counts()->muted - loss.muted_before;
    loss.last = now();
    loss.paused = 0;
    close_loss(); /* what happened meanwhile was not told: resync now */
}

void telemetry_request_round(enum word_ROUND reason)
{
    round_wanted = (int)reason;
}

int telemetry_set_loss(enum telemetry_loss p, uint32_t queue_bytes)
{
    uint32_t flags;
    if (!queue_bytes)
        queue_bytes = kernel_options.telemetry_queue ? kernel_options.telemetry_queue : RING_BYTES;
    if (queue_bytes < RING_MIN || queue_bytes > RING_BYTES ||
        (p != TELEMETRY_LOSS_NEVER && p != TELEMETRY_LOSS_ANNOUNCE))
        return -1;
    flags = irq_save();
    drain(0xFFFFFFFFu);
    ring_head = ring_tail = line_head = line_tail = 0;
    ring_size = queue_bytes;
    policy = p;
    irq_restore(flags);
    return 0;
}

enum telemetry_loss telemetry_loss_policy(void)
{
    return policy;
}

void telemetry_queue_area(uintptr_t *start, uintptr_t *end)
{
    *start = (uintptr_t)ring;
    *end = (uintptr_t)ring + sizeof ring;
}

int telemetry_active(void)
{
    return active;
}

const struct telemetry_stats *telemetry_stats(void)
{
    return &stats;
}

/* ---- the `log` records: console text, a line at a time ---- */

/* Console text from before the stream starts, kept so readers get the whole
 * boot log once it does. */
static char boot_log[8192];
static size_t boot_log_used;

static void log_lines(const char *s, size_t n)
{
    static char line[160];
    static size_t used;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n' && used < sizeof line - 1) {
            line[used++] = s[i];
            continue;
        }
        if (s[i] != '\n')
            continue; /* an overlong line is cut; its end is dropped */
        if (used)
            tel_send_log(&(struct rec_log){.tick = now(), .text = {line, used}});
        used = 0;
    }
}

/* The console's log sink (kprintf_set_log_sink): lines as records once the
 * stream runs, kept until then. */
static void log_text(const char *s, size_t n)
{
    if (active) {
        log_lines(s, n);
        return;
    }
    size_t keep = n < sizeof boot_log - boot_log_used ? n : sizeof boot_log - boot_log_used;
    kmemcpy(boot_log + boot_log_used, s, keep);
    boot_log_used += keep;
}

void telemetry_early(void)
{
    tel_set_sink(&kernel_sink);
    kprintf_set_log_sink(log_text);
    panic_notify(telemetry_drain);
    power_before_off(telemetry_drain);
}

void telemetry_init(void)
{
    enum telemetry_loss p = kernel_options.telemetry_loss;

    choose_ports();
    if (kernel_options.telemetry == TELEMETRY_OFF || (!to_e9 && !to_serial)) {
        kprintf("Telemetry: off%s\n",
                kernel_options.telemetry == TELEMETRY_OFF ? "" : " (no port 0xE9 and no COM1 here)");
        tel_set_sink(0);
        kprintf_set_log_sink(0);
        return;
    }
    if (to_serial) {
        uint32_t half_a_tick = kernel_options.baud / 10 / PIT_HZ / 2;
        tick_budget = half_a_tick < TICK_BUDGET ? half_a_tick : TICK_BUDGET;
    }
    if (p == TELEMETRY_LOSS_AUTO)
        p = to_serial ? TELEMETRY_LOSS_ANNOUNCE : TELEMETRY_LOSS_NEVER;
    telemetry_set_loss(p, 0);
    tel_hooks(1);
    pit_on_tick(telemetry_tick);
    active = 1;
    log_lines(boot_log, boot_log_used);
    boot_log_used = 0;
    kprintf("Telemetry: records to %s%s%s; when the queue (%u bytes) is full, %s\n", to_e9 ? "port 0xE9" : "",
            to_e9 && to_serial ? " and " : "", to_serial ? "COM1" : "", ring_size,
            policy == TELEMETRY_LOSS_NEVER ? "the kernel waits for the port"
                                           : "events are dropped and announced");
    if (to_e9 && shared_ring_offer()) {
        ring_offered = 1;
        kprintf("Telemetry: the host asked for shared memory; offered %u KiB at 0x%08x\n",
                shared_ring_bytes() / 1024, shared_ring_pa());
        tel_send_ring_offer(
            &(struct rec_ring_offer){.tick = now(), .pa = shared_ring_pa(), .bytes = shared_ring_bytes()});
    }
    round_wanted = ROUND_BOOT;
    telemetry_flush();
}
