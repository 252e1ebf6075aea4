/*
 * gdb_remote.c: the GDB remote serial protocol, client side (gdb_remote.h):
 * the link, running and stopping, memory. The target description and the
 * registers are in gdb_registers.c.
 *
 * Layers, bottom up: bytes with a deadline (get_byte, put_bytes); packets
 * (send_packet waits for the '+' unless in no-ack mode and sends again on
 * '-'; read_packet checks the checksum, asks again with '-', expands the
 * run-length encoding); requests (one packet out, one reply back); and the
 * operations of the header on top.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "gdb_link.h"

/* ---- errors ---- */

static void say(struct gdb *g, const char *fmt, va_list ap)
{
    vsnprintf(g->error, sizeof g->error, fmt, ap);
}

int gdb_link_refuse(struct gdb *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(g, fmt, ap);
    va_end(ap);
    return -1;
}

/* The link is lost: every later call fails with this message. Returns -1. */
static int lose(struct gdb *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lose(struct gdb *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(g, fmt, ap);
    va_end(ap);
    g->broken = true;
    return -1;
}

/* The link ended because the other side went away: the stub closed it, or the target exited. */
static int gone(struct gdb *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int gone(struct gdb *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(g, fmt, ap);
    va_end(ap);
    g->broken = g->gone = true;
    return -1;
}

/* Names the packet being waited on in messages: "the reply to 'm 1000,800'". */
static void waiting_for(struct gdb *g, const char *fmt, const char *packet)
{
    size_t n = strlen(packet);
    snprintf(g->what, sizeof g->what, fmt, (int)(n > 48 ? 48 : n), packet);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- bytes ---- */

/* The next byte from the stub (0-255), or -1 when the deadline passes or the link ends. */
static int get_byte(struct gdb *g, int64_t deadline)
{
    if (g->in_pos < g->in_len)
        return g->in[g->in_pos++];
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return lose(g, "no answer within %d ms (waiting for %s)", g->timeout_ms, g->what);
        struct pollfd p = {.fd = g->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR)
            return lose(g, "poll: %s (waiting for %s)", strerror(errno), g->what);
        if (r <= 0)
            continue;
        ssize_t n = recv(g->fd, g->in, sizeof g->in, 0);
        if (n == 0)
            return gone(g, "the stub closed the connection (waiting for %s)", g->what);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == ECONNRESET)
                return gone(g, "the stub closed the connection (waiting for %s)", g->what);
            return lose(g, "receiving: %s (waiting for %s)", strerror(errno), g->what);
        }
        g->stats.bytes_received += (uint64_t)n;
        g->in_len = (size_t)n;
        g->in_pos = 1;
        return g->in[0];
    }
}

static int put_bytes(struct gdb *g, const void *buf, size_t len, int64_t deadline)
{
    const char *p = buf;
    while (len) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return lose(g, "the stub takes no bytes within %d ms (sending %s)", g->timeout_ms, g->what);
        struct pollfd pf = {.fd = g->fd, .events = POLLOUT};
        int r = poll(&pf, 1, (int)left);
        if (r < 0 && errno != EINTR)
            return lose(g, "poll: %s (sending %s)", strerror(errno), g->what);
        if (r <= 0)
            continue;
        ssize_t n = send(g->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EPIPE || errno == ECONNRESET)
                return gone(g, "the stub closed the connection (sending %s)", g->what);
            return lose(g, "sending: %s (%s)", strerror(errno), g->what);
        }
        g->stats.bytes_sent += (uint64_t)n;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- packets ---- */

int gdb_link_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_packet(struct gdb *g, int64_t deadline);

/* A stop reply ("T05...", "S05"): the guest stopped. */
static bool is_stop_reply(const struct gdb *g)
{
    return (g->reply[0] == 'S' || g->reply[0] == 'T') && g->reply_len >= 3 &&
           isxdigit((unsigned char)g->reply[1]) && isxdigit((unsigned char)g->reply[2]);
}

/*
 * A packet that came when another was expected: a stop reply means the guest
 * stopped (QEMU stops it when a debugger connects); an exit report ends the
 * link; anything else is not the protocol as we speak it.
 */
static int unsolicited(struct gdb *g)
{
    if (is_stop_reply(g)) {
        g->running = false;
        return 0;
    }
    if (g->reply[0] == 'W' || g->reply[0] == 'X')
        return gone(g, "the target has exited (%.40s)", g->reply);
    return lose(g, "the stub sent '%.40s' unasked (%s)", g->reply, g->what);
}

/* Frames payload as $...#cs (escaping $ # } *), sends it, and waits for the '+' unless acks are off. */
static int send_packet(struct gdb *g, const char *payload, size_t len, int64_t deadline)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    uint8_t sum = 0;
    g->out[n++] = '$';
    for (size_t i = 0; i < len; i++) {
        char c = payload[i];
        if (n + 6 > GDB_PACKET_MAX)
            return gdb_link_refuse(g, "packet too long to send (%zu bytes)", len);
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g->out[n++] = '}';
            sum += '}';
            c ^= 0x20;
        }
        g->out[n++] = c;
        sum += (uint8_t)c;
    }
    g->out[n++] = '#';
    g->out[n++] = hex[sum >> 4];
    g->out[n++] = hex[sum & 15];
    if (put_bytes(g, g->out, n, deadline))
        return -1;
    for (int resends = 0;;) {
        if (g->no_ack)
            return 0;
        int c = get_byte(g, deadline);
        if (c < 0)
            return -1;
        if (c == '+')
            return 0;
        if (c == '$') {
            /* A packet of its own before the '+': QEMU sends a stop reply when a debugger
             * connects to a running guest (it stops it). Take it, then wait on. */
            g->in_pos--;
            if (read_packet(g, deadline) || unsolicited(g))
                return -1;
            continue;
        }
        if (c != '-')
            return lose(g, "the stub answered byte 0x%02x where an acknowledgement ('+' or '-') belongs (%s)",
                        c, g->what);
        if (++resends > RESENDS)
            return lose(g, "the stub refused %s %d times ('-')", g->what, RESENDS + 1);
        g->stats.retransmits++;
        if (put_bytes(g, g->out, n, deadline))
            return -1;
    }
}

/*
 * Expands the run-length encoding of g->raw into g->reply as GDB does: "X*c"
 * is X repeated c - 29 more times. Escapes stay (binary replies undo them).
 */
static int expand(struct gdb *g, size_t raw_len)
{
    size_t o = 0;
    for (size_t i = 0; i < raw_len; i++) {
        char c = g->raw[i];
        if (c != '*') {
            g->reply[o++] = c;
            continue;
        }
        int repeat = i + 1 < raw_len ? (uint8_t)g->raw[i + 1] - 29 : -1;
        if (o == 0 || repeat <= 0)
            return lose(g, "bad run-length encoding in the reply (%s)", g->what);
        if (o + (size_t)repeat > GDB_PACKET_MAX)
            return lose(g, "the reply expands past %u bytes (%s)", GDB_PACKET_MAX, g->what);
        memset(g->reply + o, g->reply[o - 1], (size_t)repeat);
        o += (size_t)repeat;
        i++;
    }
    g->reply[o] = '\0';
    g->reply_len = o;
    return 0;
}

/* Receives one packet into g->reply (expanded), acknowledging it unless acks are off. */
static int read_packet(struct gdb *g, int64_t deadline)
{
    for (int tries = 0;; tries++) {
        int c;
        while ((c = get_byte(g, deadline)) != '$') {
            if (c < 0)
                return -1;
            if (c != '+') /* a repeated acknowledgement is harmless; anything else is not the protocol */
                return lose(g, "the stub sent byte 0x%02x where a packet should start (%s)", c, g->what);
        }
        size_t n = 0;
        uint8_t sum = 0;
        while ((c = get_byte(g, deadline)) != '#') {
            if (c < 0)
                return -1;
            if (c == '$')
                return lose(g, "a packet began inside another (%s)", g->what);
            if (n == GDB_PACKET_MAX)
                return lose(g, "the reply is longer than %u bytes (%s)", GDB_PACKET_MAX, g->what);
            g->raw[n++] = (char)c;
            sum += (uint8_t)c;
        }
        int hi = get_byte(g, deadline);
        int lo = hi < 0 ? -1 : get_byte(g, deadline);
        if (lo < 0 && g->broken)
            return -1;
        if (gdb_link_hex(hi) < 0 || gdb_link_hex(lo) < 0)
            return lose(g, "the reply's checksum is not hex (%s)", g->what);
        if ((uint8_t)(gdb_link_hex(hi) << 4 | gdb_link_hex(lo)) == sum) {
            if (!g->no_ack && put_bytes(g, "+", 1, deadline))
                return -1;
            return expand(g, n);
        }
        if (g->no_ack)
            return lose(g, "checksum mismatch in the reply (%s)", g->what);
        if (tries == RESENDS)
            return lose(g, "checksum mismatch %d times in a row (%s)", RESENDS + 1, g->what);
        g->stats.naks++;
        if (put_bytes(g, "-", 1, deadline))
            return -1;
    }
}

/* Undoes the escapes of a binary reply in place ("}x" is x ^ 0x20). */
static int unescape(struct gdb *g)
{
    size_t o = 0;
    for (size_t i = 0; i < g->reply_len; i++) {
        char c = g->reply[i];
        if (c == '}') {
            if (++i == g->reply_len)
                return lose(g, "the reply ends inside an escape (%s)", g->what);
            c = (char)(g->reply[i] ^ 0x20);
        }
        g->reply[o++] = c;
    }
    g->reply[o] = '\0';
    g->reply_len = o;
    return 0;
}

int gdb_link_request(struct gdb *g, const char *packet, bool binary)
{
    if (g->broken)
        return -1;
    if (g->running)
        return gdb_link_refuse(g, "'%.40s' needs a stopped guest (gdb_stop first)", packet);
    waiting_for(g, "the reply to '%.*s'", packet);
    int64_t deadline = now_ms() + g->timeout_ms;
    g->stats.requests++;
    if (send_packet(g, packet, strlen(packet), deadline) || read_packet(g, deadline))
        return -1;
    /* Only `?` is answered by a stop reply; one before the real reply came unasked. */
    bool expect_stop = !strcmp(packet, "?");
    for (int skipped = 0; !expect_stop && (is_stop_reply(g) || g->reply[0] == 'W' || g->reply[0] == 'X');) {
        if (unsolicited(g) || ++skipped > 4 || read_packet(g, deadline))
            return g->broken ? -1 : lose(g, "the stub keeps sending stop replies (%s)", g->what);
    }
    return binary ? unescape(g) : 0;
}

int gdb_request(struct gdb *g, const char *packet, const char **reply, size_t *len)
{
    if (gdb_link_request(g, packet, false))
        return -1;
    *reply = g->reply;
    *len = g->reply_len;
    return 0;
}

bool gdb_link_error_reply(const struct gdb *g)
{
    return g->reply[0] == 'E' && (g->reply_len == 3 || g->reply[1] == '.') && g->reply_len < 200;
}

/* ---- connecting ---- */

static int greet(struct gdb *g)
{
    if (gdb_link_request(g, "qSupported:xmlRegisters=i386;vContSupported+", false))
        return -1;
    bool offer_no_ack = false;
    for (char *f = g->reply; *f;) {
        size_t n = strcspn(f, ";");
        if (!strncmp(f, "PacketSize=", 11)) {
            unsigned long v = strtoul(f + 11, NULL, 16);
            if (v >= 64)
                g->packet_size = v > GDB_PACKET_MAX ? GDB_PACKET_MAX : (uint32_t)v;
        } else if (n == 16 && !strncmp(f, "QStartNoAckMode+", 16)) {
            offer_no_ack = true;
        }
        f += n + (f[n] == ';');
    }
    if (offer_no_ack) {
        if (gdb_link_request(g, "QStartNoAckMode", false))
            return -1;
        g->no_ack = !strcmp(g->reply, "OK");
    }
    if (gdb_link_request(g, "?", false))
        return -1;
    if (g->reply[0] == 'W' || g->reply[0] == 'X')
        return gone(g, "the target has exited (%s)", g->reply);
    if (g->reply[0] != 'S' && g->reply[0] != 'T')
        return lose(g, "the stub answered '%.40s' to '?' (expected a stop reply)", g->reply);
    if (gdb_link_request(g, "vCont?", false))
        return -1;
    g->vcont = !strncmp(g->reply, "vCont", 5) &&
               (strstr(g->reply, ";c;") || !strcmp(g->reply + g->reply_len - 2, ";c"));
    return 0;
}

struct gdb *gdb_attach_fd(int fd, int timeout_ms, char *err, size_t errsz)
{
    struct gdb *g = calloc(1, sizeof *g);
    if (g) {
        g->raw = malloc(GDB_PACKET_MAX + 1);
        g->reply = malloc(GDB_PACKET_MAX + 1);
        g->out = malloc(GDB_PACKET_MAX);
    }
    if (!g || !g->raw || !g->reply || !g->out) {
        snprintf(err, errsz, "out of memory");
        if (g) {
            free(g->raw);
            free(g->reply);
            free(g->out);
        }
        free(g);
        close(fd);
        return NULL;
    }
    g->fd = fd;
    g->timeout_ms = timeout_ms > 0 ? timeout_ms : GDB_TIMEOUT_MS;
    g->packet_size = DEFAULT_PACKET_SIZE;
    g->phys = -1;
    if (greet(g)) {
        snprintf(err, errsz, "%s", g->error);
        g->broken = true;
        gdb_close(g);
        return NULL;
    }
    return g;
}

/* Connects fd to addr within the deadline (a non-blocking connect). 0, or -1 with errno. */
static int connect_by(int fd, const struct sockaddr *addr, socklen_t len, int64_t deadline)
{
    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0) {
            int e = 0;
            socklen_t el = sizeof e;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
            errno = e;
            return e ? -1 : 0;
        }
    }
}

struct gdb *gdb_connect(const char *where, int timeout_ms, char *err, size_t errsz)
{
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : GDB_TIMEOUT_MS);
    int fd = -1;
    if (!strncmp(where, "unix:", 5)) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(where + 5) >= sizeof a.sun_path) {
            snprintf(err, errsz, "%s: path too long for a Unix socket", where);
            return NULL;
        }
        strcpy(a.sun_path, where + 5);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || connect_by(fd, (struct sockaddr *)&a, sizeof a, deadline)) {
            snprintf(err, errsz, "%s: %s", where, strerror(errno));
            if (fd >= 0)
                close(fd);
            return NULL;
        }
    } else {
        const char *colon = strrchr(where, ':');
        char host[256];
        if (!colon || !colon[1] || (size_t)(colon - where) >= sizeof host) {
            snprintf(err, errsz, "%s: expected HOST:PORT (QEMU's -s listens on localhost:1234), or unix:PATH",
                     where);
            return NULL;
        }
        snprintf(host, sizeof host, "%.*s", (int)(colon - where), where);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *a;
        int r = getaddrinfo(host[0] ? host : "localhost", colon + 1, &hints, &ai);
        if (r) {
            snprintf(err, errsz, "%s: %s", where, gai_strerror(r));
            return NULL;
        }
        int e = 0;
        for (a = ai; a; a = a->ai_next) {
            fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
            if (fd >= 0 && connect_by(fd, a->ai_addr, a->ai_addrlen, deadline) == 0)
                break;
            e = errno;
            if (fd >= 0)
                close(fd);
            fd = -1;
        }
        freeaddrinfo(ai);
        if (fd < 0) {
            snprintf(err, errsz, "%s: %s", where, strerror(e));
            return NULL;
        }
        /* Small packets both ways, each waiting on the last: without this, Nagle's algorithm
         * holds each one for the peer's delayed acknowledgement (40 ms a request). */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return gdb_attach_fd(fd, timeout_ms, err, errsz);
}

void gdb_close(struct gdb *g)
{
    if (!g)
        return;
    if (!g->broken)
        gdb_detach(g);
    close(g->fd);
    free(g->raw);
    free(g->reply);
    free(g->out);
    free(g->regs);
    free(g);
}

void gdb_abort(struct gdb *g)
{
    if (g)
        shutdown(g->fd, SHUT_RDWR);
}

const char *gdb_error(const struct gdb *g)
{
    return g->error;
}
bool gdb_broken(const struct gdb *g)
{
    return g->broken;
}
bool gdb_gone(const struct gdb *g)
{
    return g->gone;
}
bool gdb_running(const struct gdb *g)
{
    return g->running;
}
uint32_t gdb_packet_size(const struct gdb *g)
{
    return g->packet_size;
}
const struct gdb_stats *gdb_stats(const struct gdb *g)
{
    return &g->stats;
}

uint32_t gdb_memory_chunk(const struct gdb *g)
{
    uint32_t n = g->packet_size / 2;
    return n > QEMU_MEMORY_CHUNK ? QEMU_MEMORY_CHUNK : n;
}

/* ---- running and stopping ---- */

int gdb_stop(struct gdb *g)
{
    if (g->broken)
        return -1;
    if (!g->running)
        return 0;
    snprintf(g->what, sizeof g->what, "the stop reply after 0x03");
    int64_t deadline = now_ms() + g->timeout_ms;
    if (put_bytes(g, "\x03", 1, deadline))
        return -1;
    for (;;) {
        if (read_packet(g, deadline))
            return -1;
        char k = g->reply[0];
        if (k == 'O' && g->reply_len > 1) /* the target's console output: not ours to show */
            continue;
        if (k == 'W' || k == 'X')
            return gone(g, "the target has exited (%.40s)", g->reply);
        if (k != 'S' && k != 'T')
            return lose(g, "the stub answered '%.40s' to 0x03 (expected a stop reply)", g->reply);
        g->running = false;
        return 0;
    }
}

int gdb_resume(struct gdb *g)
{
    if (g->broken)
        return -1;
    if (g->running)
        return 0;
    const char *packet = g->vcont ? "vCont;c" : "c";
    waiting_for(g, "the acknowledgement of '%.*s'", packet);
    if (send_packet(g, packet, strlen(packet), now_ms() + g->timeout_ms))
        return -1;
    g->running = true;
    return 0;
}

int gdb_detach(struct gdb *g)
{
    if (gdb_stop(g) || gdb_link_request(g, "D", false))
        return -1;
    bool ok = !strcmp(g->reply, "OK");
    lose(g, "detached");
    return ok ? 0 : gdb_link_refuse(g, "the stub answered '%.40s' to D", g->reply);
}

/* ---- memory ---- */

int gdb_read_memory(struct gdb *g, uint64_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    uint32_t chunk = gdb_memory_chunk(g);
    char packet[64];
    while (len) {
        size_t n = len < chunk ? len : chunk;
        snprintf(packet, sizeof packet, "m%llx,%zx", (unsigned long long)addr, n);
        if (gdb_link_request(g, packet, false))
            return -1;
        if (g->reply_len == 0 || gdb_link_error_reply(g))
            return gdb_link_refuse(g, "the stub answered '%s' to reading 0x%zx bytes at 0x%llx",
                                   g->reply_len ? g->reply : "", n, (unsigned long long)addr);
        size_t got = g->reply_len / 2;
        if (g->reply_len % 2 || got > n)
            return gdb_link_refuse(g, "reading 0x%zx bytes at 0x%llx: a reply of %zu hex digits", n,
                                   (unsigned long long)addr, g->reply_len);
        for (size_t i = 0; i < got; i++) {
            int hi = gdb_link_hex(g->reply[2 * i]), lo = gdb_link_hex(g->reply[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return gdb_link_refuse(g, "reading at 0x%llx: the reply is not hex",
                                       (unsigned long long)addr);
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        /* A stub may answer with fewer bytes than asked: ask again from there. */
        out += got;
        addr += got;
        len -= got;
    }
    return 0;
}

int gdb_physical_memory(struct gdb *g, bool on)
{
    if (g->phys == on)
        return 0;
    if (gdb_link_request(g, on ? "Qqemu.PhyMemMode:1" : "Qqemu.PhyMemMode:0", false))
        return -1;
    if (strcmp(g->reply, "OK"))
        return gdb_link_refuse(g,
                               "the stub answered '%.40s' to Qqemu.PhyMemMode: it reads no physical "
                               "memory (QEMU's stub does)",
                               g->reply);
    g->phys = on;
    return 0;
}
