/*
 * gdb_link.h: inside a connection to a GDB stub, shared by gdb_remote.c (the
 * link: bytes, packets, requests, running and stopping, memory) and
 * gdb_registers.c (the target description and register reads). Not for
 * users of the client: they include gdb_remote.h.
 */
#ifndef KOIZ_VIEW_GDB_LINK_H
#define KOIZ_VIEW_GDB_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gdb_remote.h"

#define DEFAULT_PACKET_SIZE 400  /* what GDB assumes when qSupported gives none */
#define QEMU_MEMORY_CHUNK   2048 /* QEMU 7.2 answers E22 to longer `m` reads */
#define RESENDS             3    /* a packet refused ('-') this many times more loses the link */

struct gdb {
    int fd;
    int timeout_ms;
    bool broken;    /* the link is lost; error says how */
    bool gone;      /* ... because the stub closed it or the target exited */
    bool no_ack;    /* QStartNoAckMode accepted */
    bool running;   /* resumed and not stopped since */
    bool vcont;     /* the stub takes vCont;c */
    bool p_unknown; /* the stub answered `p` with nothing: use `g` */
    int phys;       /* Qqemu.PhyMemMode as last set: -1 unknown, 0, 1 */
    uint32_t packet_size;
    uint8_t in[4096]; /* bytes received and not used yet */
    size_t in_pos, in_len;
    char *raw;   /* one packet's payload as received */
    char *reply; /* the same, decoded; NUL-terminated */
    size_t reply_len;
    char *out; /* one packet as sent */
    struct gdb_register *regs;
    int nregs;
    bool regs_loaded;
    struct gdb_stats stats;
    char what[96]; /* what we wait for, for messages */
    char error[GDB_ERROR_MAX];
};

/* The stub refused something: sets the message, the link stays. Returns -1. */
int gdb_link_refuse(struct gdb *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Sends packet and receives its reply into g->reply (run-length encoding
 * undone; with binary, escapes too). Returns 0, or -1 (refused while the
 * guest runs, or the link is lost).
 */
int gdb_link_request(struct gdb *g, const char *packet, bool binary);

/* The reply is an error ("E14" or "E.text"). */
bool gdb_link_error_reply(const struct gdb *g);

/* The value of a hex digit, or -1. */
int gdb_link_hex(int c);

#endif
