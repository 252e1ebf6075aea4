/*
 * source.c: live byte sources and their reader thread (source.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <koiz/shared_ring.h>
#include "source.h"

#define CHUNK 65536

static void init(struct source *s, enum source_kind kind, const char *what)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->fd = -1;
    s->keys_fd = s->keys_hold = -1;
    s->ram_fd = -1;
    s->exit_status = -1;
    snprintf(s->what, sizeof s->what, "%s", what);
    pthread_mutex_init(&s->lock, NULL);
}

bool source_have_program(const char *program)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char dir[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof dir, "%.*s/%s", (int)n, path, program);
        if (n && access(dir, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

static bool file_exists(const char *root, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", root, name);
    return access(path, R_OK) == 0;
}

/* The guest's RAM as a memfd of megs MiB, mapped here: QEMU gets it by
 * /proc/self/fd (the descriptor is left open across its exec). Returns 0, or
 * -1 (no channel: the records come through the pipe, as always). */
static int share_ram(struct source *s, int megs)
{
    size_t size = (size_t)megs << 20;
    if (access("/proc/self/fd", X_OK) != 0) /* no /proc (a bare chroot): QEMU could not open it */
        return -1;
    int fd = memfd_create("koiz-guest-ram", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    void *ram = ftruncate(fd, (off_t)size) == 0 ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                                                : MAP_FAILED;
    if (ram == MAP_FAILED) {
        close(fd);
        return -1;
    }
    s->ram_fd = fd;
    s->ram = ram;
    s->ram_size = size;
    source_ring_init(&s->ring, ram, size);
    return 0;
}

static int spawn(struct source *s, enum source_kind emu, const char *root, int megs, bool headless,
                 const struct qemu_extra *x, char *err, size_t errsz)
{
    bool bochs = emu == SRC_BOCHS;
    init(s, emu, bochs ? "Bochs" : "QEMU");
    const char *program = bochs ? "bochs" : "qemu-system-i386";
    if (!source_have_program(program)) {
        snprintf(err, errsz, "%s ('%s') is not installed: install the Debian package%s", s->what, program,
                 bochs ? "s bochs and bochs-sdl" : " qemu-system-x86");
        return -1;
    }
    char path[4096];
    const char *needed[] = {x && x->kernel ? NULL : "build/floppy.img", bochs ? "bochsrc" : NULL,
                            bochs ? "tools/bochs-continue.rc" : NULL};
    for (size_t i = 0; i < 3; i++) {
        if (needed[i] && !file_exists(root, needed[i], path, sizeof path)) {
            snprintf(err, errsz, "cannot read %s%s", path,
                     i == 0 ? " (build the floppy first: scons)" : " (is this the Koiz source tree?)");
            return -1;
        }
    }
    /* COM1: a pseudo-terminal, the kernel's keys go down its master */
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char *slave = master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
    char com1[600] = "com1: enabled=0", serial[520] = "null";
    if (slave) {
        struct termios t;
        if (tcgetattr(master, &t) == 0) { /* raw: no echo, no line editing */
            cfmakeraw(&t);
            tcsetattr(master, TCSANOW, &t);
        }
        snprintf(com1, sizeof com1, "com1: enabled=1, mode=term, dev=%s", slave);
        snprintf(serial, sizeof serial, "%s", slave);
        fcntl(master, F_SETFL, O_NONBLOCK);
        s->keys_fd = master;
        s->keys_hold = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
    } else {
        snprintf(s->keys_why, sizeof s->keys_why, "no pseudo-terminal here (%s)", strerror(errno));
        if (master >= 0)
            close(master);
    }
    snprintf(s->log, sizeof s->log, "%s/build/koiz-view-%s.log", root, bochs ? "bochs" : "qemu");
    char mem[32], drive[4200];
    snprintf(drive, sizeof drive, "file=%s/build/floppy.img,if=floppy,format=raw", root);
    if (bochs)
        snprintf(mem, sizeof mem, "megs: %d", megs);
    else
        snprintf(mem, sizeof mem, "%d", megs);
    const char *bochs_argv[] = {"bochs", "-q", "-f", "bochsrc", "-rc", "tools/bochs-continue.rc",
                                mem,     com1, NULL};
    const char *qemu_argv[32] = {"qemu-system-i386", "-m",       mem,    "-debugcon", "stdio",
                                 "-no-reboot",       "-monitor", "none", "-serial",   serial};
    char gdb[64], ram[160];
    int n = 10;
    if (!bochs && !(x && x->port_only) && share_ram(s, megs) == 0) {
        snprintf(ram, sizeof ram,
                 "memory-backend-file,id=koiz-ram,size=%dM,mem-path=/proc/self/fd/%d,share=on", megs,
                 s->ram_fd);
        const char *shared[] = {"-object",  ram,
                                "-machine", "pc,memory-backend=koiz-ram",
                                "-fw_cfg",  "name=" SHARED_RING_FWCFG ",string=1"};
        for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
            qemu_argv[n++] = shared[i];
    }
    if (x && x->kernel) {
        if (access(x->kernel, R_OK) != 0) {
            snprintf(err, errsz, "cannot read the kernel %s: %s", x->kernel, strerror(errno));
            return -1;
        }
        qemu_argv[n++] = "-kernel";
        qemu_argv[n++] = x->kernel;
        qemu_argv[n++] = "-device";
        qemu_argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=4";
        if (x->append) {
            qemu_argv[n++] = "-append";
            qemu_argv[n++] = x->append;
        }
    } else {
        const char *floppy[] = {"-drive", drive, "-boot", "a", "-snapshot"};
        for (size_t i = 0; i < sizeof floppy / sizeof floppy[0]; i++)
            qemu_argv[n++] = floppy[i];
    }
    if (x && x->gdb_port) {
        snprintf(gdb, sizeof gdb, "tcp:127.0.0.1:%d", x->gdb_port);
        qemu_argv[n++] = "-gdb";
        qemu_argv[n++] = gdb;
        qemu_argv[n++] = "-S";
    }
    if (headless) {
        qemu_argv[n++] = "-display";
        qemu_argv[n++] = "none";
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errsz, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "cannot start %s: %s", program, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0); /* Bochs's debugger must not read our terminal */
        dup2(pipefd[1], 1);
        int log = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log >= 0)
            dup2(log, 2); /* the emulator's own messages: a file, not koiz-view's terminal */
        if (headless && bochs)
            setenv("SDL_VIDEODRIVER", "dummy", 1);
        if (s->ram_fd >= 0)
            fcntl(s->ram_fd, F_SETFD, 0); /* QEMU opens it as /proc/self/fd/N */
        if (chdir(root) != 0)
            _exit(126);
        execvp(program, (char *const *)(bochs ? bochs_argv : qemu_argv));
        fprintf(stderr, "koiz-view: cannot run %s: %s\n", program, strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(pipefd[1]);
    s->fd = pipefd[0];
    s->pid = pid;
    return 0;
}

int source_spawn(struct source *s, enum source_kind emu, const char *root, int megs, bool headless, char *err,
                 size_t errsz)
{
    return spawn(s, emu, root, megs, headless, NULL, err, errsz);
}

int source_spawn_qemu(struct source *s, const char *root, int megs, bool headless, const struct qemu_extra *x,
                      char *err, size_t errsz)
{
    return spawn(s, SRC_QEMU, root, megs, headless, x, err, errsz);
}

void source_fd(struct source *s, int fd, const char *what)
{
    init(s, SRC_FD, what);
    s->fd = fd;
}

unsigned source_baud_code(int baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

static bool is_socket(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* What a path is, in words, for a refusal. */
static const char *kind_of(const struct stat *st)
{
    if (S_ISREG(st->st_mode))
        return st->st_size ? "a regular file" : "an empty regular file";
    if (S_ISDIR(st->st_mode))
        return "a directory";
    if (S_ISFIFO(st->st_mode))
        return "a FIFO";
    if (S_ISCHR(st->st_mode))
        return "a character device that is not a terminal";
    if (S_ISBLK(st->st_mode))
        return "a block device";
    return "not a serial port";
}

/* A serial "port" must be a terminal device (a UART, a USB adapter, a pty) or a
 * socket: never a file, which would be opened for writing (the snapshot request
 * goes out on connecting) and read again and again. NULL when path may be used,
 * else what it is. fd: the port opened, to ask the terminal driver; -1 before. */
static const char *not_a_port(const char *path, int fd)
{
    struct stat st;
    if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) != 0)
        return NULL; /* not there (yet): opening says why */
    if (S_ISSOCK(st.st_mode))
        return NULL;
    if (!S_ISCHR(st.st_mode) || (fd >= 0 && !isatty(fd)))
        return kind_of(&st);
    return NULL;
}

/* An emulator's serial port on a Unix socket (QEMU: -serial unix:PATH,server=on,wait=off). */
static int connect_socket(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Opens the port raw, 8N1, no flow control (or connects to the socket standing for
 * one). Returns the descriptor or -1 (errno set). */
static int open_serial(const char *device, int baud)
{
    if (is_socket(device))
        return connect_socket(device);
    if (not_a_port(device, -1)) {
        errno = ENOTTY;
        return -1;
    }
    int fd = open(device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (not_a_port(device, fd)) {
        close(fd);
        errno = ENOTTY;
        return -1;
    }
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cflag &= ~(CRTSCTS | CSTOPB);
        cfsetispeed(&t, source_baud_code(baud));
        cfsetospeed(&t, source_baud_code(baud));
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

/*
 * Koiz takes keys over COM1, and `s` asks it for a snapshot of every address
 * space: sent on connecting, so a picture comes even when the kernel booted
 * long before the cable was plugged in. A kernel still booting clears its
 * UART's buffer and never sees it.
 */
static void ask_for_snapshot(int fd)
{
    if (write(fd, "s", 1) != 1) {
        /* Nothing to do: the port takes no bytes now; the next connection asks again. */
    }
}

int source_serial(struct source *s, const char *device, int baud, char *err, size_t errsz)
{
    init(s, SRC_SERIAL, device);
    snprintf(s->device, sizeof s->device, "%s", device);
    s->baud = baud;
    s->socket = is_socket(device);
    const char *what = not_a_port(device, -1);
    if (what) {
        snprintf(err, errsz,
                 "--serial %s: that is %s, not a serial port: --serial reads a COM port "
                 "(/dev/ttyS0, /dev/ttyUSB0, a pty) or an emulator's Unix socket; a recording is replayed "
                 "with koiz-view FILE",
                 device, what);
        return -1;
    }
    s->fd = open_serial(device, baud);
    if (s->fd < 0 && errno == ENOTTY) {
        struct stat st;
        snprintf(err, errsz,
                 "--serial %s: that is %s, not a serial port: --serial reads a COM port "
                 "(/dev/ttyS0, /dev/ttyUSB0, a pty) or an emulator's Unix socket",
                 device, stat(device, &st) == 0 ? kind_of(&st) : "not a terminal");
        return -1;
    }
    if (s->fd < 0) {
        snprintf(err, errsz, "cannot open serial device %s: %s", device, strerror(errno));
        return -1;
    }
    ask_for_snapshot(s->fd);
    return 0;
}

int source_record(struct source *s, const char *path, char *err, size_t errsz)
{
    s->record = fopen(path, "wb");
    if (!s->record) {
        snprintf(err, errsz, "cannot write the recording %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void source_set_note(struct source *s, const char *text)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->note, sizeof s->note, "%s", text);
    pthread_mutex_unlock(&s->lock);
}

static void set_error(struct source *s, const char *fmt, const char *what, int e)
{
    pthread_mutex_lock(&s->lock);
    if (!s->error[0])
        snprintf(s->error, sizeof s->error, fmt, what, strerror(e));
    pthread_mutex_unlock(&s->lock);
}

void source_set_error(struct source *s, const char *text)
{
    pthread_mutex_lock(&s->lock);
    if (!s->error[0])
        snprintf(s->error, sizeof s->error, "%s", text);
    pthread_mutex_unlock(&s->lock);
}

bool source_stopping(struct source *s)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

/* Adds bytes read to the buffer. Returns false when memory ran out (the stream is
 * cut there, and says so). The reader never reads while the buffer is full. */
static bool append(struct source *s, const char *data, size_t n)
{
    if (s->record) {
        if (fwrite(data, 1, n, s->record) != n || fflush(s->record) != 0)
            set_error(s, "cannot write the recording: %s%s", "", errno);
    }
    pthread_mutex_lock(&s->lock);
    bool was_empty = s->len == 0;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : CHUNK;
        while (cap < s->len + n)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            pthread_mutex_unlock(&s->lock);
            set_error(s, "out of memory holding the input of %s: %s", s->what, ENOMEM);
            return false;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->total += n;
    pthread_mutex_unlock(&s->lock);
    if (was_empty && s->notify)
        s->notify(s->notify_arg);
    return true;
}

/* Waits while the buffer holds SOURCE_BUFFER_LIMIT bytes: the main thread takes them,
 * or the window is paused. The note says so while it lasts. False once stopping. */
static bool wait_for_room(struct source *s)
{
    bool said = false;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool full = s->len >= SOURCE_BUFFER_LIMIT, stop = s->stop;
        if (full && !said)
            s->full_times++;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            return false;
        if (!full) {
            if (said)
                source_set_note(s, "");
            return true;
        }
        if (!said) {
            char note[320];
            snprintf(note, sizeof note,
                     "holding %u MiB of input, the most koiz-view keeps: reading waits until "
                     "the picture catches up",
                     SOURCE_BUFFER_LIMIT >> 20);
            source_set_note(s, note);
            said = true;
        }
        usleep(20000);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits for the emulator; once stop was asked, a SIGKILL follows SIGTERM after two seconds. */
static int reap(struct source *s)
{
    double asked = 0;
    for (;;) {
        int st;
        pid_t got = waitpid(s->pid, &st, WNOHANG);
        if (got == s->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (got < 0)
            return -1;
        if (source_stopping(s)) {
            if (!asked)
                asked = now_s();
            else if (now_s() - asked > 2)
                kill(-s->pid, SIGKILL);
        }
        usleep(20000);
    }
}

bool source_put(struct source *s, const char *data, size_t n)
{
    return wait_for_room(s) && append(s, data, n);
}

/* Says why, once, when the shared ring has just been given up (was_broken: before). */
static void note_ring_broken(struct source *s, bool was_broken)
{
    if (!was_broken && s->ring.state == RING_BROKEN)
        source_set_note(s, s->ring.note);
}

/* Everything the kernel has published in the shared ring, into the buffer.
 * False when memory ran out. */
static bool take_ring(struct source *s, char *chunk)
{
    size_t n;
    bool was_broken = s->ring.state == RING_BROKEN;
    while ((n = source_ring_take(&s->ring, chunk, CHUNK)) > 0)
        if (!append(s, chunk, n))
            return false;
    note_ring_broken(s, was_broken);
    return true;
}

static void *reader(void *arg)
{
    struct source *s = arg;
    char *chunk = s->produce ? NULL : malloc(CHUNK);
    if (s->produce) {
        s->produce(s);
        if (s->pid) /* the producer is done with the emulator it was fed by */
            kill(-s->pid, SIGTERM);
    }
    while (chunk && wait_for_room(s)) {
        if (!take_ring(s, chunk))
            break;
        if (s->fd < 0) { /* a serial port that went away */
            int fd = open_serial(s->device, s->baud);
            if (fd < 0) {
                if (errno == ENOTTY) {
                    char note[320];
                    snprintf(note, sizeof note, "%s came back as something else than a serial port; waiting",
                             s->device);
                    source_set_note(s, note);
                }
                for (int i = 0; i < 10 && !source_stopping(s); i++)
                    usleep(50000);
                continue;
            }
            pthread_mutex_lock(&s->lock);
            s->fd = fd;
            pthread_mutex_unlock(&s->lock);
            ask_for_snapshot(fd);
            source_set_note(s, "");
        }
        struct pollfd fds[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->keys_fd, .events = POLLIN}};
        /* While the records come through the shared ring, look at it every 2 ms. */
        int r = poll(fds, s->keys_fd >= 0 ? 2 : 1, s->ring.state == RING_READING ? 2 : 200);
        struct pollfd p = fds[0];
        if (s->keys_fd >= 0 && fds[1].revents) { /* what the kernel writes to COM1: read, so it never waits */
            char drop[4096];
            while (read(s->keys_fd, drop, sizeof drop) > 0)
                ;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 || !p.revents)
            continue;
        /* A device that went away may keep answering poll at once with nothing to
         * read: a hang-up with no data is the end of it, not a reason to spin. */
        bool hung_up = p.revents & (POLLHUP | POLLERR | POLLNVAL);
        ssize_t n = read(s->fd, chunk, CHUNK);
        if (n > 0) {
            bool was_broken = s->ring.state == RING_BROKEN;
            source_ring_watch(&s->ring, chunk, (size_t)n); /* an offer, a start */
            note_ring_broken(s, was_broken);
            if (!append(s, chunk, (size_t)n))
                break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && !hung_up)
            continue;
        if (n < 0 && s->kind != SRC_SERIAL) {
            /* A read that fails cuts the stream short: that is an error, not its end. */
            set_error(s, "reading %s failed: %s", s->what, errno);
            break;
        }
        if (s->kind == SRC_SERIAL) { /* unplugged: wait for the device to come back */
            pthread_mutex_lock(&s->lock);
            close(s->fd);
            s->fd = -1;
            pthread_mutex_unlock(&s->lock);
            char note[320];
            snprintf(note, sizeof note, "%s went away; waiting for it to come back", s->device);
            source_set_note(s, note);
            continue;
        }
        /* End of stream: the emulator is gone, what it left in the ring is still mapped here. */
        take_ring(s, chunk);
        break;
    }
    free(chunk);
    int status = s->pid ? reap(s) : -1;
    pthread_mutex_lock(&s->lock);
    s->ended = true;
    s->exit_status = status;
    pthread_mutex_unlock(&s->lock);
    if (s->notify)
        s->notify(s->notify_arg);
    return NULL;
}

int source_start(struct source *s, void (*notify)(void *), void *arg)
{
    s->notify = notify;
    s->notify_arg = arg;
    if (pthread_create(&s->thread, NULL, reader, s) != 0)
        return -1;
    s->started = true;
    return 0;
}

size_t source_take(struct source *s, char *out, size_t max)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->len < max ? s->len : max;
    if (n) { /* before the first byte there is no buffer at all */
        memcpy(out, s->buf, n);
        memmove(s->buf, s->buf + n, s->len - n);
        s->len -= n;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t source_error(struct source *s, char *out, size_t size)
{
    pthread_mutex_lock(&s->lock);
    snprintf(out, size, "%s", s->error);
    pthread_mutex_unlock(&s->lock);
    return strlen(out);
}

void source_counts(struct source *s, uint64_t *total, unsigned *full_times)
{
    pthread_mutex_lock(&s->lock);
    *total = s->total;
    *full_times = s->full_times;
    pthread_mutex_unlock(&s->lock);
}

bool source_finished(struct source *s, int *status)
{
    pthread_mutex_lock(&s->lock);
    bool done = s->ended && s->len == 0;
    if (status)
        *status = s->exit_status;
    pthread_mutex_unlock(&s->lock);
    return done;
}

int source_send(struct source *s, char c)
{
    int sent = -1;
    pthread_mutex_lock(&s->lock);
    if (s->kind == SRC_SERIAL && s->fd >= 0 && write(s->fd, &c, 1) == 1)
        sent = 0;
    else if (s->kind != SRC_SERIAL && s->keys_fd >= 0 && write(s->keys_fd, &c, 1) == 1)
        sent = 0;
    pthread_mutex_unlock(&s->lock);
    return sent;
}

void source_note(struct source *s, char *out, size_t size)
{
    pthread_mutex_lock(&s->lock);
    snprintf(out, size, "%s", s->note);
    pthread_mutex_unlock(&s->lock);
}

void source_stop(struct source *s)
{
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    bool ended = s->ended;
    pthread_mutex_unlock(&s->lock);
    if (s->pid && !ended)
        kill(-s->pid, SIGTERM);
    if (s->produce_stop && s->started)
        s->produce_stop(s);
    if (s->started)
        pthread_join(s->thread, NULL);
    s->started = false;
    if (s->produce_free)
        s->produce_free(s);
    s->produce_free = NULL;
    if (s->fd > 0)
        close(s->fd);
    s->fd = -1;
    if (s->ram)
        munmap(s->ram, s->ram_size);
    if (s->ram_fd >= 0)
        close(s->ram_fd);
    s->ram = NULL;
    s->ram_fd = -1;
    if (s->keys_fd >= 0)
        close(s->keys_fd);
    if (s->keys_hold >= 0)
        close(s->keys_hold);
    s->keys_fd = s->keys_hold = -1;
    if (s->record)
        fclose(s->record);
    s->record = NULL;
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
    pthread_mutex_destroy(&s->lock);
}
