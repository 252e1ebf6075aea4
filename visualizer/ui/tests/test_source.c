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
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "source.h"

/* Opens a pty pair: returns the far end (the "machine"), its device path in path;
 * -1 on a machine without pseudo-terminals (a chroot without /dev/pts). */
static int open_pty(char *path, size_t size)
{
    int far = posix_openpt(O_RDWR | O_NOCTTY);
    if (far < 0)
        return -1;
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
    if (far < 0) {
        print_message("no pseudo-terminal on this machine (%s): skipped\n", strerror(errno));
        skip();
    }
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

/* A listening Unix socket at path, as QEMU's -serial unix:PATH,server=on makes one. */
static int listen_at(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    return fd;
}

/* Accepts koiz-view and reads the byte it sends on connecting. */
static int accept_viewer(int server)
{
    struct pollfd p = {.fd = server, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    int far = accept(server, NULL, NULL);
    assert_true(far >= 0);
    char c = 0;
    p.fd = far;
    assert_int_equal(poll(&p, 1, 2000), 1);
    assert_int_equal(read(far, &c, 1), 1);
    assert_int_equal(c, 's');
    return far;
}

static void test_serial_on_a_unix_socket(void **state)
{
    (void)state;
    char path[] = "/tmp/koiz-test-XXXXXX", sock[64], err[256];
    assert_non_null(mkdtemp(path));
    snprintf(sock, sizeof sock, "%s/com1", path);
    int server = listen_at(sock);
    struct source s;
    assert_int_equal(source_serial(&s, sock, 115200, err, sizeof err), 0);
    assert_true(s.socket);
    int far = accept_viewer(server);
    assert_int_equal(source_start(&s, NULL, NULL), 0);
    const char first[] = "@KZ1 log 0 first machine *0000\n";
    assert_int_equal(write(far, first, sizeof first - 1), (ssize_t)(sizeof first - 1));
    assert_true(take_until(&s, "first machine"));

    /* The emulator quits: the socket goes away with it, and so does the connection. */
    close(far);
    close(server);
    unlink(sock);
    assert_true(note_says(&s, "went away; waiting for it to come back"));
    int status;
    assert_false(source_finished(&s, &status));

    /* Another one listens at the same path: koiz-view connects again and asks again. */
    server = listen_at(sock);
    far = accept_viewer(server);
    const char second[] = "@KZ1 log 0 second machine *0000\n";
    assert_int_equal(write(far, second, sizeof second - 1), (ssize_t)(sizeof second - 1));
    assert_true(take_until(&s, "second machine"));
    assert_int_equal(source_send(&s, '1'), 0);
    char key = 0;
    struct pollfd p = {.fd = far, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    assert_int_equal(read(far, &key, 1), 1);
    assert_int_equal(key, '1');
    source_stop(&s);
    close(far);
    close(server);
    unlink(sock);
    rmdir(path);
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
        cmocka_unit_test(test_serial_on_a_unix_socket),
        cmocka_unit_test(test_send_needs_a_serial_port),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
