/*
 * fake_stub.h: a GDB stub in a thread, speaking the remote protocol over
 * one end of a socketpair (or an accepted TCP connection), for the tests of
 * gdb_remote.c and gdb_paging.c. It serves a pretend x86 guest: registers
 * from a target description, physical memory, running or stopped; and it
 * misbehaves on request: refuses packets ('-'), sends bad checksums,
 * run-length encodes, closes, sends garbage, stalls, or exits.
 *
 * Its framing code is its own (written from the protocol's description,
 * not shared with the client), so the two check each other.
 */
#ifndef KOIZ_VIEW_TESTS_FAKE_STUB_H
#define KOIZ_VIEW_TESTS_FAKE_STUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_REGS 64

/* Register numbers in the fake's description (fake_i386_xml): as QEMU's i386 target. */
enum { FAKE_EAX = 0, FAKE_EIP = 8, FAKE_CR0 = 19, FAKE_CR2, FAKE_CR3, FAKE_CR4, FAKE_CR8, FAKE_EFER };

struct fake_stub {
    /* ---- behaviour, set before fake_start ---- */
    uint32_t packet_size;       /* announced PacketSize; 0: answer qSupported with nothing */
    bool offer_no_ack;          /* announce QStartNoAckMode+ */
    bool stop_reply_at_connect; /* send T02 first, as QEMU does when the guest was running */
    uint32_t xfer_chunk;        /* bytes per qXfer reply at most (0: as asked) */
    bool rle;                   /* run-length encode replies */
    bool p_unknown;             /* answer `p` with nothing: the client must use `g` */
    bool no_phys;               /* answer Qqemu.PhyMemMode with nothing */
    bool virtual_refused;       /* answer `m` with E14 unless in physical mode */
    int nak_every;              /* refuse every Nth frame received ('-'; N >= 2) */
    int corrupt_every;          /* send every Nth reply with a wrong checksum first */
    int close_after;            /* close after answering this many packets (0: never) */
    int garbage_after;          /* answer packet N with bytes that are not the protocol */
    int stall_after;            /* answer nothing from packet N on */
    int oversize_after;         /* answer packet N with an endless packet */
    int bad_rle_after;          /* answer packet N with a broken run-length encoding */
    bool exit_on_interrupt;     /* answer 0x03 with W00 and close, as a guest that powered off */
    const char *xml_target;     /* target.xml (default: includes i386-32bit.xml) */
    const char *xml_i386;       /* i386-32bit.xml (default fake_i386_xml) */

    /* ---- the pretend guest ---- */
    uint64_t regs[FAKE_REGS]; /* by number */
    uint8_t *mem;             /* physical memory, mem_size bytes (set by the test) */
    size_t mem_size;

    /* ---- what happened (read after fake_stop) ---- */
    int packets;           /* packets handled */
    int m_packets;         /* `m` packets among them */
    uint32_t m_largest;    /* largest length asked by an `m` */
    int interrupts;        /* 0x03 bytes received while running */
    int resumes;           /* c / vCont;c */
    int naks_received;     /* '-' the client sent us */
    int acks_after_no_ack; /* '+' received once no-ack mode was on (should stay 0) */
    bool no_ack;           /* QStartNoAckMode done */
    bool phys;             /* Qqemu.PhyMemMode:1 in force */
    bool running;          /* the guest runs */
    bool detached;
    char last_packet[128];

    /* ---- private ---- */
    int fd, listen_fd;
    int frames; /* well-formed frames received, retransmissions too */
    pthread_t thread;
};

/* The default i386 description: QEMU's register order and the traps of its real file. */
extern const char fake_i386_xml[];

/* Starts the stub on a socketpair; returns the client's end (for gdb_attach_fd). */
int fake_start(struct fake_stub *s);
/* Starts the stub listening on 127.0.0.1 (a free port); returns the port. It serves one connection. */
int fake_listen(struct fake_stub *s);
/* Waits for the stub to end (the client closed, or the stub did) and closes its socket. */
void fake_stop(struct fake_stub *s);

#endif
