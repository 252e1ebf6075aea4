/*
 * test_source.c: the serial input on a pseudo-terminal, the closest thing
 * to a USB-serial adapter a test can plug and unplug. koiz-view's end of
 * the pty is set raw at the asked speed; it asks for a snapshot on
 * connecting; bytes the "kernel" writes arrive; a key koiz-view sends
 * reaches the other end; when the far end goes away,
 * the reader says so and keeps trying instead of ending the stream.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "source.h"

/* Opens a pty pair: returns the far end (the "machine"), its device path in path. */
static int open_pty(char *path, size_t size)
{
    int far = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(far >= 0);
    assert_int_equal(grantpt(far), 0);
    assert_int_equal(unlockpt(far), 0);
    assert_int_equal(ptsname_r(far, path, size), 0);
    return far;
}

/* Takes bytes from s until want is among them or two seconds pass. */
static bool take_until(struct source *s, const char *want)
{
    char got[4096] = "";
    size_t len = 0;
    for (int i = 0; i < 200 && !strstr(got, want); i++) {
        len += source_take(s, got + len, sizeof got - 1 - len);
        got[len] = '\0';
        usleep(10000);
    }
    return strstr(got, want) != NULL;
}

static bool note_says(struct source *s, const char *want)
{
    char note[320];
    for (int i = 0; i < 200; i++) {
        source_note(s, note, sizeof note);
        if (strstr(note, want))
            return true;
        usleep(10000);
    }
    return false;
}

static void test_serial_on_a_pty(void **state)
{
    (void)state;
    char path[64], err[256];
    int far = open_pty(path, sizeof path);
    struct source s;
    assert_int_equal(source_serial(&s, path, 57600, err, sizeof err), 0);

    /* Raw at the asked speed, as a UART needs it: no echo, no line editing, no CR/LF games. */
    struct termios t;
    assert_int_equal(tcgetattr(s.fd, &t), 0);
    assert_int_equal(cfgetispeed(&t), B57600);
    assert_int_equal(t.c_lflag & (ICANON | ECHO | ISIG), 0);
    assert_int_equal(t.c_iflag & (ICRNL | IXON), 0);
    assert_int_equal(t.c_oflag & OPOST, 0);

    assert_int_equal(source_start(&s, NULL, NULL), 0);
    const char line[] = "@KZ1 hello 1 abc 32255 4096 1 1 *0000\r\n";
    assert_int_equal(write(far, line, sizeof line - 1), (ssize_t)(sizeof line - 1));
    assert_true(take_until(&s, "hello 1 abc 32255 4096 1 1 *0000\r\n"));

    /* On connecting, koiz-view asked for a snapshot (the kernel's key s); a key for the
     * kernel then reaches the far end, byte for byte. */
    assert_int_equal(source_send(&s, 't'), 0);
    char keys[3] = "";
    size_t got = 0;
    struct pollfd p = {.fd = far, .events = POLLIN};
    while (got < 2 && poll(&p, 1, 2000) == 1)
        got += (size_t)read(far, keys + got, sizeof keys - 1 - got);
    assert_string_equal(keys, "st");

    /* Unplugged: the stream does not end, the note says what happened, keys are refused. */
    close(far);
    assert_true(note_says(&s, "went away; waiting for it to come back"));
    int status;
    assert_false(source_finished(&s, &status));
    assert_int_equal(source_send(&s, 't'), -1);
    source_stop(&s);
}

static void test_send_needs_a_serial_port(void **state)
{
    (void)state;
    struct source s;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    source_fd(&s, fds[0], "a pipe");
    assert_int_equal(source_send(&s, 't'), -1);
    close(fds[1]);
    source_stop(&s);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_serial_on_a_pty),
        cmocka_unit_test(test_send_needs_a_serial_port),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
