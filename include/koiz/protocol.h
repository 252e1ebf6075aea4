/*
 * protocol.h: the one definition of Koiz's wire format, the line around a
 * record, shared by the kernel's emitter and every reader; records.def
 * holds the records themselves. docs/protocol.md describes both for people.
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

#define PROTO_MARK    "@KZ1"
#define PROTO_VERSION 1
/* hello's build in the records koiz-view makes itself from QEMU's GDB stub (docs/protocol.md,
 * "Records koiz-view makes itself"): they carry no TLB, frame or fork records. */
#define GDB_STUB_BUILD "gdb-stub"
#define PROTO_LINE_MAX 240 /* bytes in one record, newline included */

/* The record kinds, their fields and their words: include/koiz/records.def. */

uint16_t proto_crc16(const char *data, size_t len);
/* The CRC of what came before (crc) carried on over data: proto_crc16(a b)
 * is proto_crc16_more(proto_crc16(a), b). */
uint16_t proto_crc16_more(uint16_t crc, const char *data, size_t len);

/*
 * Seals a line of any shape into buf: the marker, type, the printf-style
 * fields, the checksum and '\n'. Fields that do not fit are cut, never
 * overflowed; a newline, carriage return, control byte, '*' or '@' in them
 * becomes a space. Returns the line's length. For tests, tools and a
 * hostile program's forgeries: the kernel formats its records with each
 * kind's formatter (rec_line_<member>, include/koiz/records.h).
 */
size_t proto_format(char *buf, size_t size, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Checks one line (without its '\n'). Returns the length of the body
 * ("KZ1 type fields") when the marker and checksum are right, else -1.
 */
int proto_validate(const char *line, size_t len);

#endif
