/*
 * protocol.h: the one definition of Koiz's wire format, shared by the
 * kernel's emitter and every reader. docs/protocol.md describes it for people.
 *
 * A record is one text line:
 *
 *     @KZ1 <type> <field> <field> ... *CCCC\n
 *
 * "@KZ1" marks the start and names the protocol version; CCCC is the
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), in upper-case hex, of every
 * byte after the '@' up to, not including, the " *". A reader skips any line
 * that does not validate: Bochs mixes its own banner and debugger lines into
 * the same stream, so noise is normal.
 */
#ifndef KOIZ_PROTOCOL_H
#define KOIZ_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_MARK      "@KZ1"
#define PROTO_VERSION   1
#define PROTO_LINE_MAX  240     /* bytes in one record, newline included */

/* Record types (docs/protocol.md lists their fields and meaning). */
#define REC_HELLO       "hello"     /* version build usable_kib page_size pse pge */
#define REC_MEM         "mem"       /* usable_kib regions lower_kib upper_kib ignored_kib */
#define REC_LOG         "log"       /* tick text */
#define REC_WARN        "warn"      /* text */
#define REC_PANIC       "panic"     /* where: text */
#define REC_TEST        "test"      /* name pass | name fail where: text */
#define REC_TESTS_DONE  "tests"     /* passed failed */
#define REC_SNAP        "snap"      /* seq asid cr3 tick */
#define REC_PDE         "pde"       /* asid first count entry */
#define REC_PTE         "pte"       /* asid pde first count entry */
#define REC_END         "end"       /* seq asid pdes ptes records */
#define REC_MAP         "map"       /* tick asid va 4k|4m count entry */
#define REC_REMAP       "remap"     /* tick asid va 4k count entry: present pages now map other frames */
#define REC_UNMAP       "unmap"     /* tick asid va 4k|4m count */
#define REC_PROTECT     "protect"   /* tick asid va 4k|4m count flags */
#define REC_PTAB        "ptab"      /* tick asid pde entry alloc | tick asid pde free */
#define REC_SPACE       "space"     /* tick asid create|destroy|switch cr3 */
#define REC_FORK        "fork"      /* tick parent child: child's user half is a copy-on-write copy */
#define REC_TLB         "tlb"       /* tick va|all */
#define REC_FAULT       "fault"     /* tick asid cr2 eip error outcome */
#define REC_FRAMES      "frames"    /* tick total free tables kernel process */
#define REC_LOSS        "loss"      /* tick full|pause: events are not sent from here on */
#define REC_DROP        "drop"      /* tick count first last: the loss is over */
#define REC_ROUND       "round"     /* tick seq spaces boot|request|periodic|loss */
#define REC_SYNC        "sync"      /* tick seq spaces: the round named every live space */
#define REC_BENCH       "bench"     /* name cycles_per_op ops */

/* Page-fault outcomes as the `fault` record names them. */
#define OUTCOME_ZERO_FILLED    "zero-filled"
#define OUTCOME_STACK_OVERFLOW "stack-overflow"
#define OUTCOME_OUT_OF_MEMORY  "out-of-memory"
#define OUTCOME_FATAL          "fatal"
#define OUTCOME_KILLED         "killed"
#define OUTCOME_EXPECTED       "expected"
#define OUTCOME_COPIED         "copied"     /* a copy-on-write page got its private copy */

/* Why events stopped (`loss`), and why a snapshot round was sent (`round`). */
#define LOSS_FULL       "full"      /* the queue was full (telemetry_loss=announce) */
#define LOSS_PAUSE      "pause"     /* the kernel paused the stream (self-tests, benchmarks) */
#define ROUND_BOOT      "boot"
#define ROUND_REQUEST   "request"   /* the `s` key, a demo's end, a self-test */
#define ROUND_PERIODIC  "periodic"  /* snapshot=N */
#define ROUND_LOSS      "loss"      /* after a `drop`: the resync */

uint16_t proto_crc16(const char *data, size_t len);

/*
 * Formats one record into buf (type, then the printf-style fields, then the
 * checksum and '\n'). Fields that do not fit are cut, never overflowed; a
 * newline, carriage return, control byte, '*' or '@' in them becomes a space.
 * Returns the line's length.
 */
size_t proto_format(char *buf, size_t size, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Checks one line (without its '\n'). Returns the length of the body
 * ("KZ1 type fields") when the marker and checksum are right, else -1.
 */
int proto_validate(const char *line, size_t len);

#endif
