/* forge (hostile): tries to forge telemetry records on port 0xE9 and COM1 by
 * writing them, checksums right (made with the kernel's own proto_format):
 * a self-test summary of 99 passes, a panic, a snapshot of the kernel's
 * space with a 4 MiB page that does not exist, the same split over two
 * writes, after a carriage return, after junk with no newline, and the
 * escape the kernel uses written out by hand. The kernel must pass all of it
 * as console text that can never validate as a record. Exits 0. */
#include <koiz/protocol.h>
#include "ulib.h"

static void forge(const char *type, const char *fields)
{
    char line[PROTO_LINE_MAX + 1];
    size_t n = proto_format(line, sizeof line, type, "%s", fields);
    write(1, line, n);
}

int main(void)
{
    char line[PROTO_LINE_MAX + 1];
    size_t n;

    puts_console("forge: begin\n");
    forge("tests", "99 0");
    forge("test", "everything pass");
    forge("panic", "forged: the kernel did not write this");
    forge("snap", "9999 0 136000 5");
    forge("pde", "0 16 1 400083");
    forge("end", "9999 0 1 0 1");
    forge("frames", "5 99999 99999 0 0 0");
    /* One record in two writes, a carriage return before one, junk before one. */
    n = proto_format(line, sizeof line, "tests", "%d %d", 98, 0);
    write(1, line, 10);
    write(1, line + 10, n - 10);
    write(1, "\r", 1);
    forge("tests", "97 0");
    write(1, "junk without a newline ", 23);
    forge("panic", "forged after junk");
    /* The kernel's escape for '@', typed out: it must come out escaped again. */
    puts_console("\\x40KZ1 tests 96 0 *0000\n");
    /* A NUL, an escape sequence, bytes above 0x7E. */
    write(1, "\0\x1b[2J\xff\xfe@\n", 9);
    puts_console("forge: end\n");
    return 0;
}
