"""Reading Koiz telemetry records in Python, for the test harness.

The wire format is defined once, in include/koiz/protocol.h (and
docs/protocol.md); this is a reader of it, not a second definition: a record
is `@KZ1 <type> <fields> *CCCC` where CCCC is the CRC-16/CCITT-FALSE of the
bytes after '@' up to the ' *'. Anything else in the stream is noise (Bochs
prints its own lines into the same stdout), and a record may even start in
the middle of a noise line, so we look for the marker anywhere.
"""
import binascii
import re

MARK = '@KZ1'
_TAIL = re.compile(r' \*([0-9A-F]{4})$')


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: binascii's CRC-CCITT (polynomial 0x1021) from 0xFFFF."""
    return binascii.crc_hqx(data, 0xFFFF)


def record(type_, *fields):
    """One record line, '\n' included, as the kernel would write it (for tests that
    make streams of their own)."""
    body = ' '.join(['KZ1', type_] + [str(f) for f in fields])
    return '@%s *%04X\n' % (body, crc16(body.encode('latin-1')))


class Record:
    def __init__(self, type_, fields, line):
        self.type = type_
        self.fields = fields
        self.line = line

    def __repr__(self):
        return 'Record(%r)' % self.line


def parse_line(line: str):
    """Returns a Record when the line holds a valid record, else None."""
    start = line.rfind(MARK)
    if start < 0:
        return None
    text = line[start:].rstrip('\r\n')
    m = _TAIL.search(text)
    if not m:
        return None
    body = text[:m.start()]
    if crc16(body[1:].encode('latin-1')) != int(m.group(1), 16):
        return None
    words = body.split(' ')
    if len(words) < 2:
        return None
    return Record(words[1], words[2:], text)


def records(text: str):
    out = []
    for line in text.splitlines():
        r = parse_line(line)
        if r:
            out.append(r)
    return out


_RECORD_SPAN = re.compile(r'@[^\n]*\n?')
_ESCAPE = re.compile(r'\\x([0-9a-f]{2})')


def console_text(stream: str) -> str:
    """The console text in a port's bytes (docs/protocol.md, "Records and console
    text"): the kernel writes '@' only as a record's first byte, so every span from
    an '@' to the end of its line is a record (or, in Bochs's stdout, not the
    kernel's); what is left is console text, whose \\xNN escapes undo to bytes."""
    plain = _RECORD_SPAN.sub('', stream)
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), plain)
