/*
 * fake_stub.c: the pretend GDB stub of the tests (fake_stub.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fake_stub.h"

/* QEMU 7.2's i386-32bit.xml in short: the same registers in the same order, the same
 * commented-out registers (which must not be counted), and a '*' and '}' that travel escaped. */
const char fake_i386_xml[] =
    "<?xml version=\"1.0\"?>\n<!-- Copyright: a star * and a brace } to escape -->\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<feature name=\"org.gnu.gdb.i386.core\">\n"
    "  <reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "  <reg name=\"ecx\" bitsize=\"32\"/><reg name=\"edx\" bitsize=\"32\"/>"
    "<reg name=\"ebx\" bitsize=\"32\"/>\n"
    "  <reg name=\"esp\" bitsize=\"32\"/><reg name=\"ebp\" bitsize=\"32\"/>"
    "<reg name=\"esi\" bitsize=\"32\"/>\n"
    "  <reg name=\"edi\" bitsize=\"32\"/>\n"
    "  <reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n  <reg name='eflags' bitsize='32'/>\n"
    "  <reg name=\"cs\" bitsize=\"32\"/><reg name=\"ss\" bitsize=\"32\"/><reg name=\"ds\" bitsize=\"32\"/>\n"
    "  <reg name=\"es\" bitsize=\"32\"/><reg name=\"fs\" bitsize=\"32\"/><reg name=\"gs\" bitsize=\"32\"/>\n"
    "  <!--reg name=\"cs_base\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"ss_base\" bitsize=\"32\" type=\"int32\"/-->\n"
    "  <reg name=\"fs_base\" bitsize=\"32\"/><reg name=\"gs_base\" bitsize=\"32\"/>\n"
    "  <reg name=\"k_gs_base\" bitsize=\"32\"/>\n"
    "  <flags id=\"i386_cr0\" size=\"4\"><field name=\"PG\" start=\"31\" end=\"31\"/></flags>\n"
    "  <reg name=\"cr0\" bitsize=\"32\" type=\"i386_cr0\"/>\n  <reg name=\"cr2\" bitsize=\"32\"/>\n"
    "  <reg name=\"cr3\" bitsize=\"32\"/>\n  <reg name=\"cr4\" bitsize=\"32\"/>\n"
    "  <reg name=\"cr8\" bitsize=\"32\"/>\n  <reg name=\"efer\" bitsize=\"32\"/>\n"
    "  <reg name=\"st0\" bitsize=\"80\"/><reg name=\"st1\" bitsize=\"80\"/>"
    "<reg name=\"st2\" bitsize=\"80\"/>\n"
    "  <reg name=\"st3\" bitsize=\"80\"/><reg name=\"st4\" bitsize=\"80\"/>"
    "<reg name=\"st5\" bitsize=\"80\"/>\n"
    "  <reg name=\"st6\" bitsize=\"80\"/><reg name=\"st7\" bitsize=\"80\"/>\n"
    "  <reg name=\"fctrl\" bitsize=\"32\"/><reg name=\"fstat\" bitsize=\"32\"/>"
    "<reg name=\"ftag\" bitsize=\"32\"/>\n"
    "  <reg name=\"fiseg\" bitsize=\"32\"/><reg name=\"fioff\" bitsize=\"32\"/>"
    "<reg name=\"foseg\" bitsize=\"32\"/>\n"
    "  <reg name=\"fooff\" bitsize=\"32\"/><reg name=\"fop\" bitsize=\"32\"/>\n"
    "<!--/feature>\n<feature name=\"org.gnu.gdb.i386.32bit.sse\"-->\n"
    "  <reg name=\"xmm0\" bitsize=\"128\"/><reg name=\"xmm1\" bitsize=\"128\"/>\n"
    "  <reg name=\"xmm2\" bitsize=\"128\"/><reg name=\"xmm3\" bitsize=\"128\"/>\n"
    "  <reg name=\"xmm4\" bitsize=\"128\"/><reg name=\"xmm5\" bitsize=\"128\"/>\n"
    "  <reg name=\"xmm6\" bitsize=\"128\"/><reg name=\"xmm7\" bitsize=\"128\"/>\n"
    "  <reg name=\"mxcsr\" bitsize=\"32\" group=\"vector\"/>\n</feature>\n";

static const char default_target[] = "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
                                     "<target><architecture>i386</architecture>"
                                     "<xi:include href=\"i386-32bit.xml\"/></target>";

/* Bits of every register in fake_i386_xml, by number. */
static int reg_bits(int n)
{
    if (n >= 25 && n <= 32)
        return 80;
    if (n >= 41 && n <= 48)
        return 128;
    return n <= 49 ? 32 : 0;
}

/* ---- the wire ---- */

/* A byte from the client, or -1 when it closed. */
static int get(struct fake_stub *s)
{
    unsigned char c;
    for (;;) {
        ssize_t n = read(s->fd, &c, 1);
        if (n == 1)
            return c;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

static void put(struct fake_stub *s, const void *p, size_t n)
{
    if (send(s->fd, p, n, MSG_NOSIGNAL) < 0)
        return;
}

/* Appends payload run-length encoded where it saves bytes (never a count of 6 or 7: '#' '$'). */
static size_t encode(const struct fake_stub *s, const char *payload, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t run = 1;
        while (s->rle && i + run < len && payload[i + run] == payload[i] && run < 98)
            run++;
        out[o++] = payload[i];
        size_t extra = run - 1;
        if (s->rle && extra >= 3) {
            if (extra == 6 || extra == 7)
                extra = 5;
            out[o++] = '*';
            out[o++] = (char)(extra + 29);
            i += 1 + extra;
        } else {
            i++;
        }
    }
    return o;
}

/* Sends one reply packet; in ack mode waits for '+' and sends again on '-'. */
static int reply_n(struct fake_stub *s, const char *payload, size_t len)
{
    char *frame = malloc(len * 2 + 8);
    size_t n = 0;
    frame[n++] = '$';
    n += encode(s, payload, len, frame + n);
    uint8_t sum = 0;
    for (size_t i = 1; i < n; i++)
        sum += (uint8_t)frame[i];
    bool corrupt = s->corrupt_every && s->packets % s->corrupt_every == 0;
    n += (size_t)sprintf(frame + n, "#%02x", (uint8_t)(sum + corrupt));
    for (;;) {
        put(s, frame, n);
        if (s->no_ack)
            break;
        int c = get(s);
        if (c == '+')
            break;
        if (c != '-') {
            free(frame);
            return -1;
        }
        s->naks_received++;
        if (corrupt) { /* the second time, right */
            corrupt = false;
            sprintf(frame + n - 2, "%02x", sum);
        }
    }
    free(frame);
    return 0;
}

static int reply(struct fake_stub *s, const char *payload)
{
    return reply_n(s, payload, strlen(payload));
}

/* ---- packets ---- */

static void hex_le(char *out, uint64_t v, int bits)
{
    for (int b = 0; b < bits / 8; b++)
        sprintf(out + 2 * b, "%02x", b < 8 ? (unsigned)(v >> (8 * b)) & 0xFF : 0);
}

static int xfer(struct fake_stub *s, const char *args)
{
    char annex[64];
    unsigned long off, len;
    if (sscanf(args, "%63[^:]:%lx,%lx", annex, &off, &len) != 3)
        return reply(s, "E01");
    const char *text = !strcmp(annex, "target.xml")       ? (s->xml_target ? s->xml_target : default_target)
                       : !strcmp(annex, "i386-32bit.xml") ? (s->xml_i386 ? s->xml_i386 : fake_i386_xml)
                                                          : NULL;
    if (!text)
        return reply(s, "E00");
    size_t total = strlen(text);
    if (off > total)
        return reply(s, "E01");
    if (s->xfer_chunk && len > s->xfer_chunk)
        len = s->xfer_chunk;
    size_t n = total - off < len ? total - off : len;
    char *out = malloc(2 * n + 2);
    size_t o = 0;
    out[o++] = off + n < total ? 'm' : 'l';
    for (size_t i = 0; i < n; i++) {
        char c = text[off + i];
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            out[o++] = '}';
            c ^= 0x20;
        }
        out[o++] = c;
    }
    int rc = reply_n(s, out, o);
    free(out);
    return rc;
}

static int memory(struct fake_stub *s, const char *args)
{
    unsigned long long addr;
    unsigned long len;
    s->m_packets++;
    if (sscanf(args, "%llx,%lx", &addr, &len) != 2)
        return reply(s, "E01");
    if (len > s->m_largest)
        s->m_largest = (uint32_t)len;
    if (s->virtual_refused && !s->phys)
        return reply(s, "E14");
    if (len > 2048 || addr >= s->mem_size || len > s->mem_size - addr)
        return reply(s, len > 2048 ? "E22" : "E14");
    static const char hex[] = "0123456789abcdef";
    char *out = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[s->mem[addr + i] >> 4];
        out[2 * i + 1] = hex[s->mem[addr + i] & 15];
    }
    out[2 * len] = '\0';
    int rc = reply(s, out);
    free(out);
    return rc;
}

static int handle(struct fake_stub *s, const char *p)
{
    char buf[1200];
    snprintf(s->last_packet, sizeof s->last_packet, "%s", p);
    if (!strncmp(p, "qSupported", 10)) {
        if (!s->packet_size)
            return reply(s, "");
        snprintf(buf, sizeof buf, "PacketSize=%x;qXfer:features:read+;vContSupported+%s", s->packet_size,
                 s->offer_no_ack ? ";QStartNoAckMode+" : "");
        return reply(s, buf);
    }
    if (!strcmp(p, "QStartNoAckMode")) {
        int rc = reply(s, "OK");
        s->no_ack = true;
        return rc;
    }
    if (!strcmp(p, "?"))
        return reply(s, "T05thread:01;");
    if (!strcmp(p, "vCont?"))
        return reply(s, "vCont;c;C;s;S");
    if (!strncmp(p, "qXfer:features:read:", 20))
        return xfer(s, p + 20);
    if (!strncmp(p, "Qqemu.PhyMemMode:", 17)) {
        if (s->no_phys)
            return reply(s, "");
        s->phys = p[17] == '1';
        return reply(s, "OK");
    }
    if (p[0] == 'p') {
        unsigned n = (unsigned)strtoul(p + 1, NULL, 16);
        if (s->p_unknown)
            return reply(s, "");
        if (n >= FAKE_REGS || !reg_bits((int)n))
            return reply(s, "E14");
        hex_le(buf, s->regs[n], reg_bits((int)n));
        return reply(s, buf);
    }
    if (!strcmp(p, "g")) {
        size_t o = 0;
        for (int n = 0; reg_bits(n); n++) {
            hex_le(buf + o, s->regs[n], reg_bits(n));
            o += (size_t)reg_bits(n) / 4;
        }
        return reply(s, buf);
    }
    if (p[0] == 'm')
        return memory(s, p + 1);
    if (!strcmp(p, "vCont;c") || !strcmp(p, "c")) {
        s->resumes++;
        s->running = true;
        return 0; /* no reply until the guest stops */
    }
    if (!strcmp(p, "D")) {
        s->detached = true;
        s->running = true;
        return reply(s, "OK");
    }
    return reply(s, "");
}

/* Reads and answers packets until the client closes or a misbehaviour ends the conversation. */
static void serve(struct fake_stub *s)
{
    static char packet[70000];
    if (s->stop_reply_at_connect) {
        /* QEMU (system mode) sends it without waiting for the '+': the client's first packet may
         * come first. */
        s->no_ack = true;
        reply(s, "T02thread:01;");
        s->no_ack = false;
    }
    for (;;) {
        int c = get(s);
        if (c < 0)
            return;
        if (c == 0x03) {
            if (!s->running)
                continue;
            s->interrupts++;
            if (s->exit_on_interrupt) {
                reply(s, "W00");
                return;
            }
            s->running = false;
            if (reply(s, "T02thread:01;"))
                return;
            continue;
        }
        if (c == '-')
            s->naks_received++;
        if (c == '+' && s->no_ack)
            s->acks_after_no_ack++;
        if (c != '$')
            continue;
        size_t n = 0;
        uint8_t sum = 0;
        while ((c = get(s)) >= 0 && c != '#' && n < sizeof packet - 1) {
            packet[n++] = (char)c;
            sum += (uint8_t)c;
        }
        char cs[3] = {0};
        if (c != '#' || (c = get(s)) < 0 || (cs[0] = (char)c, (c = get(s)) < 0))
            return;
        cs[1] = (char)c;
        packet[n] = '\0';
        if (strtoul(cs, NULL, 16) != sum) {
            if (!s->no_ack)
                put(s, "-", 1);
            continue;
        }
        s->frames++;
        if (!s->no_ack) {
            if (s->nak_every && s->frames % s->nak_every == 0) {
                put(s, "-", 1); /* the same packet comes again, as the next frame */
                continue;
            }
            put(s, "+", 1);
        }
        s->packets++;
        if (s->stall_after && s->packets >= s->stall_after) {
            while (get(s) >= 0)
                ;
            return;
        }
        if (s->garbage_after && s->packets >= s->garbage_after) {
            put(s, "hello, I am not a stub\n", 23);
            while (get(s) >= 0)
                ;
            return;
        }
        if (s->oversize_after && s->packets >= s->oversize_after) {
            static char big[8192];
            memset(big, '0', sizeof big);
            put(s, "$", 1);
            for (int i = 0; i < 20; i++) /* 160 KiB, never a '#' */
                put(s, big, sizeof big);
            while (get(s) >= 0)
                ;
            return;
        }
        if (s->bad_rle_after && s->packets >= s->bad_rle_after) {
            put(s, "$*!#4b", 6); /* a repeat with nothing before it */
            while (get(s) >= 0)
                ;
            return;
        }
        if (handle(s, packet))
            return;
        if (s->close_after && s->packets >= s->close_after)
            return;
    }
}

static void *run(void *arg)
{
    struct fake_stub *s = arg;
    if (s->listen_fd >= 0) {
        s->fd = accept(s->listen_fd, NULL, NULL);
        close(s->listen_fd);
        s->listen_fd = -1;
        if (s->fd < 0)
            return NULL;
    }
    serve(s);
    shutdown(s->fd, SHUT_RDWR);
    return NULL;
}

int fake_start(struct fake_stub *s)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        return -1;
    s->fd = sv[0];
    s->listen_fd = -1;
    pthread_create(&s->thread, NULL, run, s);
    return sv[1];
}

int fake_listen(struct fake_stub *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) || listen(s->listen_fd, 1) ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &len))
        return -1;
    s->fd = -1;
    pthread_create(&s->thread, NULL, run, s);
    return ntohs(a.sin_port);
}

void fake_stop(struct fake_stub *s)
{
    pthread_join(s->thread, NULL);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
