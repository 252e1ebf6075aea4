/*
 * gdb_remote.h: a client of the GDB remote serial protocol, enough to read
 * a QEMU guest's registers and physical memory while it is stopped, in
 * plain C (no gdb binary, no SDL): TCP or Unix-socket connection, packet
 * framing and checksums, acknowledgements (dropped with QStartNoAckMode
 * when the stub offers it), escapes and run-length encoding in replies,
 * qSupported, the target description (qXfer:features:read, in chunks, with
 * its xi:include files), register reads (p, or g when p is unknown), memory
 * reads (m, in chunks the stub's PacketSize allows), QEMU's
 * Qqemu.PhyMemMode, stopping the guest (a 0x03 byte, then the stop reply),
 * resuming it (vCont;c or c) and detaching.
 *
 * Every wait has a deadline (the timeout given at connection, per request).
 * Failures come in two kinds, both with a message from gdb_error():
 *   - the stub refused ("E14", or an empty reply to what it does not know):
 *     the call fails, the connection stays usable;
 *   - the link is lost: the stub closed, stalled past the deadline, sent
 *     bytes that are not the protocol, a reply longer than GDB_PACKET_MAX,
 *     or a bad checksum three times. The connection is then broken
 *     (gdb_broken()) and every later call fails at once with the same
 *     message; only gdb_close() is left to do.
 * Memory is bounded: a connection holds a few buffers of GDB_PACKET_MAX
 * bytes, and at most GDB_REGISTERS_MAX registers.
 *
 * Not thread-safe: one thread uses a connection at a time (gdb_abort aside).
 */
#ifndef KOIZ_VIEW_GDB_REMOTE_H
#define KOIZ_VIEW_GDB_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_TIMEOUT_MS    2000         /* a sensible deadline per request */
#define GDB_PACKET_MAX    (64u << 10)  /* longest reply accepted, before and after decoding */
#define GDB_REGISTERS_MAX 512          /* registers kept from the target description */
#define GDB_XML_MAX       (256u << 10) /* longest target-description file accepted */
#define GDB_ERROR_MAX     256          /* bytes of an error message, with its NUL */

struct gdb;

/* One register of the target description, numbered as GDB numbers them. */
struct gdb_register {
    char name[32];
    int regnum; /* the number `p` takes */
    int bitsize;
};

/* What went over the link, for figures. */
struct gdb_stats {
    uint64_t requests; /* packets sent that expect a reply */
    uint64_t bytes_sent, bytes_received;
    uint64_t retransmits; /* our packets sent again after the stub's '-' */
    uint64_t naks;        /* replies we refused for a bad checksum */
};

/*
 * Connects to a stub and greets it. `where` is HOST:PORT (QEMU's -s is
 * localhost:1234), :PORT for localhost, or unix:PATH. timeout_ms bounds the
 * connection and then every request (GDB_TIMEOUT_MS is a good value).
 * Greeting: qSupported (PacketSize, QStartNoAckMode), no-ack mode when
 * offered, `?` (QEMU stops the guest when a debugger connects; `?` says so),
 * vCont?. Returns the connection, or NULL with the reason in err.
 */
struct gdb *gdb_connect(const char *where, int timeout_ms, char *err, size_t errsz);

/*
 * The same greeting over a connected stream socket (a socketpair in tests).
 * The connection owns fd from now on, also when this fails (fd is closed).
 */
struct gdb *gdb_attach_fd(int fd, int timeout_ms, char *err, size_t errsz);

/*
 * Detaches when the link is whole (stopping the guest first if it runs;
 * the stub resumes it on detach), closes the socket, frees g. NULL is fine.
 */
void gdb_close(struct gdb *g);

/*
 * From another thread: cuts the link, so that a request waiting for the
 * stub (for up to its deadline) fails at once, as if the stub had closed.
 * Only gdb_close is left to do after it. The one call that may be made
 * while another thread uses g.
 */
void gdb_abort(struct gdb *g);

/* The last failure's message ("" when none). Valid until the next call on g. */
const char *gdb_error(const struct gdb *g);
/* True once the link is lost (see above): every call but gdb_close fails. */
bool gdb_broken(const struct gdb *g);
/*
 * True when the link was lost because the other side went away: the stub
 * closed the connection (QEMU quit) or reported that the target exited.
 * False for the other losses (a stall, garbage), which are faults.
 */
bool gdb_gone(const struct gdb *g);
/* True when we resumed the guest and have not stopped it since. */
bool gdb_running(const struct gdb *g);
/* The stub's PacketSize (or the protocol's default, 400 bytes, when it gave none), at most GDB_PACKET_MAX. */
uint32_t gdb_packet_size(const struct gdb *g);
/* Bytes asked for per `m` packet: half the packet size (the reply is hex), at most 2048 (QEMU's limit). */
uint32_t gdb_memory_chunk(const struct gdb *g);
/* Counters since the connection was made. */
const struct gdb_stats *gdb_stats(const struct gdb *g);

/*
 * Sends one packet (payload without $ # checksum; escaped as needed) and
 * waits for its reply, decoded (escapes and run-length encoding undone).
 * *reply points into g and is valid until the next call on g; it is
 * NUL-terminated, *len excludes the NUL. An empty reply means the stub
 * does not know the packet. Returns 0, or -1 when the link is lost. The
 * guest must be stopped (a stub answers nothing else while it runs).
 */
int gdb_request(struct gdb *g, const char *packet, const char **reply, size_t *len);

/*
 * Reads the target description (target.xml and every file it includes,
 * each through qXfer:features:read in chunks) and numbers its registers as
 * GDB does: in document order, from 0 or from a `regnum` attribute;
 * registers inside XML comments do not count. Done once; later calls
 * return the count at once. Returns the number of registers, or -1.
 */
int gdb_load_registers(struct gdb *g);
/* The i-th register of the description (0 <= i < count), or NULL. */
const struct gdb_register *gdb_register_at(const struct gdb *g, int i);
/*
 * The number of the register called name ("cr3"), loading the description
 * first if needed; -1 when there is none (the error says so) or on failure.
 */
int gdb_find_register(struct gdb *g, const char *name);

/*
 * Reads register regnum (at most 64 bits, little-endian as on x86) into
 * *value: `p`, or the `g` packet's registers when the stub does not know
 * `p`. Returns 0, or -1 (refused, unavailable, or the link is lost).
 */
int gdb_read_register(struct gdb *g, int regnum, uint64_t *value);

/*
 * Reads len bytes at addr into buf with `m` packets of gdb_memory_chunk()
 * bytes (virtual addresses, or physical after gdb_physical_memory(g, true)).
 * Returns 0 when every byte came, -1 otherwise (buf then holds what came).
 */
int gdb_read_memory(struct gdb *g, uint64_t addr, void *buf, size_t len);

/*
 * QEMU only: makes `m` read physical memory (on) or virtual memory through
 * the guest's current page tables (off), with Qqemu.PhyMemMode. Sent only
 * when the mode changes. Returns 0, or -1 (a stub that is not QEMU's).
 */
int gdb_physical_memory(struct gdb *g, bool on);

/*
 * Stops a running guest: a 0x03 byte, then waits for the stop reply
 * (console-output packets before it are skipped). Returns 0 at once when
 * it is already stopped. A guest that exited (W/X reply) breaks the link
 * with a message saying so.
 */
int gdb_stop(struct gdb *g);

/* Resumes a stopped guest (vCont;c, or c); there is no reply to wait for. 0 at once when it runs. */
int gdb_resume(struct gdb *g);

/* Detaches (D); the stub lets the guest run. The link stays open but is no longer usable. */
int gdb_detach(struct gdb *g);

#endif
