/*
 * source.h: where a live stream's bytes come from: an emulator koiz-view
 * starts (Bochs or QEMU, reading their stdout through a pipe), an open file
 * descriptor (stdin, a FIFO), or a serial port (raw termios; reopened when
 * the device comes back after an unplug). A reader thread moves the bytes
 * into a buffer that the main thread takes from, so reading never blocks
 * drawing; the model is only touched by the main thread. With a record file
 * every byte read is also written there, as it arrives. Pure C, no SDL.
 *
 * The buffer holds at most SOURCE_BUFFER_LIMIT bytes: when the main thread
 * falls that far behind (a paused window, or input faster than parsing,
 * such as /dev/zero), the reader stops reading until there is room again,
 * and says so in the note. Nothing is dropped by koiz-view: a pipe or an
 * emulator waits; only a serial line, which cannot wait, may lose bytes in
 * the operating system's buffer, and the parser counts what arrives broken.
 */
#ifndef KOIZ_VIEW_SOURCE_H
#define KOIZ_VIEW_SOURCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "source_ring.h"

#define SOURCE_BUFFER_LIMIT (16u << 20)

enum source_kind { SRC_BOCHS, SRC_QEMU, SRC_FD, SRC_SERIAL };

struct source {
    enum source_kind kind;
    int fd;           /* what the thread reads; -1 while a serial port is away.
                       * Once the thread runs it changes fd under lock only. */
    pid_t pid;        /* the emulator, or 0 */
    char device[256]; /* serial port path */
    int baud;
    bool socket;  /* the "port" is an emulator's Unix socket: no baud rate */
    FILE *record; /* tee, or NULL */
    int keys_fd; /* an emulator started here: the master of the pty its COM1 is on (keys go down it), or -1 */
    int keys_hold;     /* its slave, held open so that the master never hangs up (never read), or -1 */
    char log[256];     /* an emulator started here: the file its own messages (stderr) go to */
    char keys_why[96]; /* an emulator started here without a COM1 for keys: why (else "") */
    char what[64];     /* "Bochs", "QEMU", "stdin", "/dev/ttyUSB0" */
    int ram_fd;        /* QEMU started here: the memfd holding the guest's RAM, or -1 */
    void *ram;         /* it, mapped (ram_size bytes), or NULL */
    size_t ram_size;
    struct source_ring ring; /* the shared-memory channel through it (source_ring.h); the thread's */

    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards everything below */
    char *buf;            /* bytes read, not yet taken */
    size_t len, cap;
    bool ended;          /* no more bytes will come */
    uint64_t total;      /* bytes read in all */
    unsigned full_times; /* how often the buffer reached SOURCE_BUFFER_LIMIT */
    char error[320];     /* why the stream was cut short (a read failed), or "" */
    int exit_status;     /* the emulator's, -1 when not known (or killed by a signal: 128+n) */
    char note[320];      /* what the thread wants people to know: "waiting for ..." */
    bool stop;
    void (*notify)(
        void *arg); /* called (from the thread) when bytes arrive after a take emptied the buffer */
    void *notify_arg;

    /* A producer (source_gdb.c) runs in the thread instead of the reading loop: it reads fd
     * itself, if any, and hands bytes over with source_put. Set before source_start. */
    void (*produce)(struct source *s);
    void (*produce_stop)(struct source *s); /* from source_stop, before the join: unblock produce */
    void (*produce_free)(struct source *s); /* from source_stop, after the join */
    void *produce_arg;
};

/* What else QEMU gets when koiz-view starts it (source_spawn_qemu). */
struct qemu_extra {
    const char *kernel; /* boot this multiboot kernel with -kernel instead of the floppy, or NULL */
    const char *append; /* its command line (-append), or NULL */
    int gdb_port;       /* 0, or the GDB stub on 127.0.0.1:gdb_port with the guest stopped (-S) */
    bool port_only;     /* records from port 0xE9 only: no shared memory (--port-only) */
};

/*
 * Starts Bochs (bochs -q -f bochsrc -rc tools/bochs-continue.rc) or QEMU with
 * the floppy and -debugcon stdio, in the project's root, with stdout into a
 * pipe. headless hides QEMU's window (Bochs follows SDL_VIDEODRIVER). megs is
 * the guest RAM. The emulator's COM1 is a pseudo-terminal whose other end
 * koiz-view holds (source_send puts the kernel's keys down it, as on a serial
 * line; what the kernel writes to COM1 is read and let go), and its own
 * messages on stderr go to a file (build/koiz-view-bochs.log or -qemu.log:
 * s->log), not the terminal. QEMU's RAM is a memfd koiz-view maps too, and
 * the kernel is asked (fw_cfg) for the shared-memory channel (source_ring.h):
 * its records then come through memory instead of a byte at a time through
 * the pipe. Returns 0, or -1 with a sentence in err.
 */
int source_spawn(struct source *s, enum source_kind emu, const char *root, int megs, bool headless, char *err,
                 size_t errsz);
/* The same for QEMU, with a kernel of one's own and/or its GDB stub (x may be NULL). With a kernel,
 * QEMU gets an isa-debug-exit device at port 0xf4 too: a test kernel ends QEMU by writing there. */
int source_spawn_qemu(struct source *s, const char *root, int megs, bool headless, const struct qemu_extra *x,
                      char *err, size_t errsz);
/* Reads an already open descriptor (0 for stdin, or a FIFO). */
void source_fd(struct source *s, int fd, const char *what);
/* Opens a serial port raw at baud (9600..921600), or connects to a Unix socket standing
 * for one (an emulator's COM1), and asks the kernel for a snapshot (it sends `s`, again
 * whenever the port comes back). Anything else (a regular file, a FIFO, /dev/null or
 * another device that is not a terminal) is refused before anything is written to it.
 * Returns 0, or -1 with a sentence in err. */
int source_serial(struct source *s, const char *device, int baud, char *err, size_t errsz);
/* Tees every byte read into path (truncated). Returns 0, or -1 with a sentence in err. */
int source_record(struct source *s, const char *path, char *err, size_t errsz);

/* Starts the reader thread. notify may be NULL. */
int source_start(struct source *s, void (*notify)(void *), void *arg);
/* Copies up to max bytes into out and removes them; returns how many. */
size_t source_take(struct source *s, char *out, size_t max);
/* True once the stream is over and every byte was taken; *status gets the emulator's exit status. */
bool source_finished(struct source *s, int *status);
/* Why the stream ended early ("reading X failed: ..."), copied into out; its length, 0 when none. */
size_t source_error(struct source *s, char *out, size_t size);
/* Bytes read so far, and how often the buffer was full. */
void source_counts(struct source *s, uint64_t *total, unsigned *full_times);
/* The thread's note ("" when none), copied into out. */
void source_note(struct source *s, char *out, size_t size);
/*
 * Sends one byte to the machine at the other end of a serial port, or down
 * the COM1 of an emulator started here (the kernel takes keys from COM1 as
 * from its keyboard). Returns 0, or -1 when the input has no such line or the
 * port is away.
 */
int source_send(struct source *s, char c);
/* Stops the thread, ends the emulator it started (SIGTERM to its process group), closes everything. */
void source_stop(struct source *s);

/* For a producer (see `produce`): adds bytes as if read (teed to the record file), waiting while the
 * buffer is full. False once stopping, or out of memory (the error says so). */
bool source_put(struct source *s, const char *data, size_t n);
/* Whether source_stop was asked. */
bool source_stopping(struct source *s);
/* Sets the note ("" clears it); sets the error (the first one stays). */
void source_set_note(struct source *s, const char *text);
void source_set_error(struct source *s, const char *text);

/* The termios speed constant for baud, or 0 when the rate is not one we offer. */
unsigned source_baud_code(int baud);
/* Whether program is an executable in $PATH. */
bool source_have_program(const char *program);

#endif
