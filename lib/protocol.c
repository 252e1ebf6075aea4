/*
 * protocol.c: build and check telemetry records (see include/koiz/protocol.h).
 * The same code runs in the kernel, which writes records, and on the host,
 * which reads them.
 */
#include <stdarg.h>
#include <koiz/klib.h>
#include <koiz/protocol.h>

/* CRC tables, built on first use. crc_table[0][b] is the CRC of byte b, so
 * a byte costs one lookup instead of eight shifts; table k carries that on
 * by k more bytes, so eight bytes cost eight lookups with no dependency
 * between them ("slicing by 8"). koiz-view checks every record it reads
 * with it; the kernel's formatter (lib/records.c) makes its own table, two
 * bytes a lookup, from it. */
static uint16_t crc_table[8][256];
static int crc_table_ready;

static void crc_table_build(void)
{
    for (int b = 0; b < 256; b++) {
        uint16_t crc = (uint16_t)(b << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
        crc_table[0][b] = crc;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++) {
            uint16_t c = crc_table[k - 1][b];
            crc_table[k][b] = (uint16_t)((c << 8) ^ crc_table[0][c >> 8]);
        }
    crc_table_ready = 1;
}

uint16_t proto_crc16(const char *data, size_t len)
{
    return proto_crc16_more(0xFFFF, data, len);
}

uint16_t proto_crc16_more(uint16_t crc, const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    if (!crc_table_ready)
        crc_table_build();
    for (; len >= 8; len -= 8, p += 8) {
        uint16_t x = (uint16_t)(crc ^ (p[0] << 8 | p[1]));
        crc = (uint16_t)(crc_table[7][x >> 8] ^ crc_table[6][x & 0xFF] ^ crc_table[5][p[2]] ^
                         crc_table[4][p[3]] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
                         crc_table[0][p[7]]);
    }
    if (len >= 4) {
        uint16_t x = (uint16_t)(crc ^ (p[0] << 8 | p[1]));
        crc = (uint16_t)(crc_table[3][x >> 8] ^ crc_table[2][x & 0xFF] ^ crc_table[1][p[2]] ^
                         crc_table[0][p[3]]);
        len -= 4;
        p += 4;
    }
    for (; len; len--, p++)
        crc = (uint16_t)((crc << 8) ^ crc_table[0][((crc >> 8) ^ *p) & 0xFF]);
    return crc;
}

size_t proto_format(char *buf, size_t size, const char *type, const char *fmt, ...)
{
    /* Room kept at the end for " *CCCC\n" and the terminating NUL. */
    const size_t tail = 8;
    size_t n;
    va_list ap;

    if (size > PROTO_LINE_MAX + 1)
        size = PROTO_LINE_MAX + 1;
    if (size < tail + 16) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    n = (size_t)ksnprintf(buf, size - tail, "%s %s ", PROTO_MARK, type);
    if (n >= size - tail)
        n = size - tail - 1;
    va_start(ap, fmt);
    n += (size_t)kvsnprintf(buf + n, size - tail - n, fmt, ap);
    va_end(ap);
    if (n >= size - tail)
        n = size - tail - 1;
    /* Fields must not break the line apart (newlines, '*'), nor hold a second '@': the
     * record's first byte is the only '@' the kernel ever writes (docs/protocol.md).
     * Such bytes become spaces. */
    for (size_t i = 1; i < n; i++)
        if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '*' || buf[i] == '@' ||
            (unsigned char)buf[i] < 0x20)
            buf[i] = ' ';
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    n += (size_t)ksnprintf(buf + n, size - n, " *%04X\n", proto_crc16(buf + 1, n - 1));
    return n;
}

int proto_validate(const char *line, size_t len)
{
    const size_t mark = sizeof PROTO_MARK - 1;
    uint32_t crc;
    size_t body;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len < mark + 7 || kmemcmp(line, PROTO_MARK, mark) != 0)
        return -1;
    body = len - 6; /* " *CCCC" */
    if (line[body] != ' ' || line[body + 1] != '*')
        return -1;
    crc = 0;
    for (size_t i = body + 2; i < len; i++) {
        char c = line[i];
        /* Upper-case hex only: one spelling per checksum keeps recordings greppable. */
        if (c >= '0' && c <= '9')
            crc = crc << 4 | (uint32_t)(c - '0');
        else if (c >= 'A' && c <= 'F')
            crc = crc << 4 | (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    if (crc != proto_crc16(line + 1, body - 1))
        return -1;
    return (int)(body - 1);
}
