/*
 * gdb_registers.c: the stub's target description and register reads
 * (gdb_remote.h): target.xml and the files it includes, read through
 * qXfer:features:read in chunks, their <reg> elements numbered as GDB
 * numbers them; `p`, or the `g` packet when the stub does not know `p`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gdb_link.h"

#define XML_INCLUDES 16 /* target-description files read at most */
#define XML_DEPTH    4  /* nesting of xi:include at most */

/* Finds attribute name="value" (or '') inside one tag; copies the value. */
static bool xml_attr(const char *tag, size_t tag_len, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 2 < tag_len; i++) {
        bool space = tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\n' || tag[i] == '\r';
        if (!space || strncmp(tag + i + 1, name, nl))
            continue;
        size_t j = i + 1 + nl;
        while (j < tag_len && (tag[j] == ' ' || tag[j] == '\t'))
            j++;
        if (j >= tag_len || tag[j] != '=')
            continue;
        j++;
        while (j < tag_len && (tag[j] == ' ' || tag[j] == '\t'))
            j++;
        if (j >= tag_len || (tag[j] != '"' && tag[j] != '\''))
            continue;
        char q = tag[j++];
        size_t k = j;
        while (k < tag_len && tag[k] != q)
            k++;
        if (k >= tag_len)
            return false;
        snprintf(out, outsz, "%.*s", (int)(k - j), tag + j);
        return true;
    }
    return false;
}

/* Reads one file of the target description into a new buffer (*text, *len). */
static int xfer_features(struct gdb *g, const char *annex, char **text, size_t *len)
{
    size_t have = 0, cap = 4096;
    char *buf = malloc(cap + 1), packet[300];
    if (!buf)
        return gdb_link_refuse(g, "out of memory");
    uint32_t ask = g->packet_size > 64 ? g->packet_size - 32 : 32;
    for (;;) {
        snprintf(packet, sizeof packet, "qXfer:features:read:%s:%zx,%x", annex, have, ask);
        if (gdb_link_request(g, packet, true))
            goto fail;
        char kind = g->reply[0];
        if (g->reply_len == 0) {
            gdb_link_refuse(g, "the stub has no target description (qXfer:features:read unknown)");
            goto fail;
        }
        if (kind != 'm' && kind != 'l') {
            gdb_link_refuse(g, "the stub answered '%.40s' to reading %s of its target description", g->reply,
                            annex);
            goto fail;
        }
        size_t n = g->reply_len - 1;
        if (have + n > GDB_XML_MAX) {
            gdb_link_refuse(g, "target description %s is longer than %u bytes", annex, GDB_XML_MAX);
            goto fail;
        }
        if (have + n > cap) {
            cap = (have + n) * 2 > GDB_XML_MAX ? GDB_XML_MAX : (have + n) * 2;
            char *bigger = realloc(buf, cap + 1);
            if (!bigger) {
                gdb_link_refuse(g, "out of memory");
                goto fail;
            }
            buf = bigger;
        }
        memcpy(buf + have, g->reply + 1, n);
        have += n;
        if (kind == 'l')
            break;
        if (n == 0) {
            gdb_link_refuse(g, "the stub sent an empty 'm' chunk of %s (it would never end)", annex);
            goto fail;
        }
    }
    buf[have] = '\0';
    *text = buf;
    *len = have;
    return 0;
fail:
    free(buf);
    return -1;
}

static int add_register(struct gdb *g, const char *tag, size_t tag_len, int *next)
{
    char name[sizeof g->regs->name] = "", v[32];
    if (!xml_attr(tag, tag_len, "name", name, sizeof name) || !name[0])
        return gdb_link_refuse(g, "a <reg> without a name in the target description");
    if (!xml_attr(tag, tag_len, "bitsize", v, sizeof v) || atoi(v) <= 0 || atoi(v) > 4096)
        return gdb_link_refuse(g, "register %s has no sensible bitsize", name);
    int bits = atoi(v);
    if (xml_attr(tag, tag_len, "regnum", v, sizeof v)) {
        char *end;
        long r = strtol(v, &end, 10);
        if (*end || r < 0 || r > 100000)
            return gdb_link_refuse(g, "register %s has a bad regnum '%s'", name, v);
        *next = (int)r;
    }
    if (g->nregs == GDB_REGISTERS_MAX)
        return gdb_link_refuse(g, "the target description has more than %d registers", GDB_REGISTERS_MAX);
    struct gdb_register *r = &g->regs[g->nregs++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->regnum = (*next)++;
    r->bitsize = bits;
    return 0;
}

/* Reads annex and numbers its registers, following its xi:include elements in place. */
static int load_annex(struct gdb *g, const char *annex, int depth, int *files, int *next)
{
    char *text = NULL;
    size_t len;
    if (depth > XML_DEPTH || ++*files > XML_INCLUDES)
        return gdb_link_refuse(g, "the target description nests or includes too much (at %s)", annex);
    if (xfer_features(g, annex, &text, &len))
        return -1;
    int rc = 0;
    for (const char *p = text; rc == 0 && (p = strchr(p, '<'));) {
        if (!strncmp(p, "<!--", 4)) {
            const char *end = strstr(p + 4, "-->");
            if (!end)
                break;
            p = end + 3;
            continue;
        }
        const char *close = strchr(p, '>');
        if (!close)
            break;
        size_t tag_len = (size_t)(close - p);
        if (!strncmp(p, "<reg", 4) && p[4] && strchr(" \t\r\n", p[4])) {
            rc = add_register(g, p, tag_len, next);
        } else if (!strncmp(p, "<xi:include", 11)) {
            char href[200];
            if (!xml_attr(p, tag_len, "href", href, sizeof href) || strpbrk(href, ":;,#$}*"))
                rc = gdb_link_refuse(g, "an xi:include without a usable href in %s", annex);
            else
                rc = load_annex(g, href, depth + 1, files, next);
        }
        p = close + 1;
    }
    free(text);
    return rc;
}

int gdb_load_registers(struct gdb *g)
{
    if (g->regs_loaded)
        return g->nregs;
    if (g->broken)
        return -1;
    if (!g->regs && !(g->regs = calloc(GDB_REGISTERS_MAX, sizeof *g->regs)))
        return gdb_link_refuse(g, "out of memory");
    int files = 0, next = 0;
    g->nregs = 0;
    if (load_annex(g, "target.xml", 0, &files, &next))
        return -1;
    g->regs_loaded = true;
    return g->nregs;
}

const struct gdb_register *gdb_register_at(const struct gdb *g, int i)
{
    return i >= 0 && i < g->nregs ? &g->regs[i] : NULL;
}

int gdb_find_register(struct gdb *g, const char *name)
{
    if (gdb_load_registers(g) < 0)
        return -1;
    for (int i = 0; i < g->nregs; i++)
        if (!strcmp(g->regs[i].name, name))
            return g->regs[i].regnum;
    return gdb_link_refuse(g, "the stub's target description has no register '%s'", name);
}

static const struct gdb_register *by_number(const struct gdb *g, int regnum)
{
    for (int i = 0; i < g->nregs; i++)
        if (g->regs[i].regnum == regnum)
            return &g->regs[i];
    return NULL;
}

/* Little-endian hex (2 digits per byte) into a value; 'x' digits mean unavailable. */
static int parse_register(struct gdb *g, const char *hex, size_t digits, int regnum, uint64_t *value)
{
    uint64_t v = 0;
    if (digits == 0 || digits % 2 || digits > 16)
        return gdb_link_refuse(g, "register %d: %zu hex digits in the reply", regnum, digits);
    for (size_t i = 0; i < digits; i += 2) {
        if (hex[i] == 'x' || hex[i + 1] == 'x')
            return gdb_link_refuse(g, "register %d is unavailable", regnum);
        int hi = gdb_link_hex(hex[i]), lo = gdb_link_hex(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return gdb_link_refuse(g, "register %d: '%.16s' is not hex", regnum, hex);
        v |= (uint64_t)(hi << 4 | lo) << (i * 4);
    }
    *value = v;
    return 0;
}

int gdb_read_register(struct gdb *g, int regnum, uint64_t *value)
{
    char packet[32];
    const struct gdb_register *r = g->regs_loaded ? by_number(g, regnum) : NULL;
    if (r && r->bitsize > 64)
        return gdb_link_refuse(g, "register %s is %d bits; only up to 64 are read", r->name, r->bitsize);
    if (!g->p_unknown) {
        snprintf(packet, sizeof packet, "p%x", regnum);
        if (gdb_link_request(g, packet, false))
            return -1;
        if (g->reply_len)
            return gdb_link_error_reply(g)
                       ? gdb_link_refuse(g, "the stub answered %s to reading register %d", g->reply, regnum)
                       : parse_register(g, g->reply, g->reply_len, regnum, value);
        g->p_unknown = true;
    }
    /* The `g` packet: every register in number order; needs the description for the offsets. */
    if (gdb_load_registers(g) < 0)
        return -1;
    if (!(r = by_number(g, regnum)))
        return gdb_link_refuse(g, "register %d is not in the target description", regnum);
    size_t offset = 0;
    for (int n = 0; n < regnum; n++) {
        const struct gdb_register *before = by_number(g, n);
        if (!before)
            return gdb_link_refuse(g, "register numbers have a gap before %d: no offset in the 'g' reply",
                                   regnum);
        offset += (size_t)before->bitsize / 4;
    }
    if (gdb_link_request(g, "g", false))
        return -1;
    if (gdb_link_error_reply(g))
        return gdb_link_refuse(g, "the stub answered %s to 'g'", g->reply);
    if (offset + (size_t)r->bitsize / 4 > g->reply_len)
        return gdb_link_refuse(g, "the 'g' reply (%zu digits) does not reach register %s", g->reply_len,
                               r->name);
    return parse_register(g, g->reply + offset, (size_t)r->bitsize / 4, regnum, value);
}
