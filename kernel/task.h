/*
 * task.h: user tasks and the scheduler. A task is a user program running in
 * ring 3 in its own address space (the kernel half shared, the user half
 * private), with its own kernel stack for the traps it takes. The scheduler
 * runs on the stack of whoever called sched_run (kmain, a self-test) and
 * hands the CPU to runnable tasks in turn; the timer takes it back from a
 * task whose time slice is over.
 */
#ifndef KOIZ_TASK_H
#define KOIZ_TASK_H

#include <stddef.h>
#include <stdint.h>

struct vmm_fault;
#include "fpu.h"
#include "trap.h"

#define MAX_TASKS   32
#define SLICE_TICKS 2 /* 20 ms at 100 Hz */

struct address_space;

enum task_state { TASK_FREE, TASK_RUNNABLE, TASK_RUNNING, TASK_SLEEPING, TASK_WAITING, TASK_ZOMBIE };

/* A task's parent: the kernel (it reaps with task_reap), another task (it
 * reaps with the wait system call), or nobody (the parent ended first: the
 * task is freed as soon as it ends). */
#define PARENT_KERNEL 0
#define PARENT_NONE   (-1)

/* kill_vector of a task the kernel stopped rather than an exception killed. */
#define KILL_NO_VECTOR 0xFFFFFFFFu

struct task {
    struct fpu_state fpu; /* its x87/MMX/SSE registers while another task owns them (fpu.c) */
    int pid;
    int parent; /* a pid, PARENT_KERNEL or PARENT_NONE */
    enum task_state state;
    char name[16];
    struct address_space *as;
    void *kstack;                 /* its ring-0 stack (KSTACK_SIZE bytes) */
    uint32_t esp;                 /* saved kernel stack pointer while not running */
    uint32_t entry;               /* where it starts in ring 3 */
    uint64_t wake_tick;           /* TASK_SLEEPING: the tick to wake at */
    uint32_t heap_base, heap_end; /* [heap_base, heap_end): the sbrk heap, demand-zero */
    int exit_code;                /* what it passed to exit */
    int killed;                   /* 1 when a fault, an exception or the kernel ended it */
    int kill_code;                /* then why: a vector, or KILLED_* (include/koiz/syscall.h) */
    uint32_t kill_vector, kill_error, kill_cr2, kill_eip;
    char output[256]; /* the first bytes it wrote, for tests */
    uint32_t output_len;
    uint32_t output_total; /* every byte it wrote */
};

/* What a task ended with, collected by task_reap. */
struct task_result {
    int pid;
    int loaded; /* 0: the ELF was refused or memory ran out; see why */
    int exit_code;
    int killed;
    int kill_code; /* KILLED_* or the vector (include/koiz/syscall.h) */
    int status;    /* what wait() would have stored */
    uint32_t kill_vector, kill_error, kill_cr2;
    char why[120];
    char output[256];
    uint32_t output_total;
};

struct sched_stats {
    uint32_t switches; /* task_switch calls into tasks */
    uint32_t forks;
    uint32_t preemptions; /* of them, slices the timer ended */
    uint32_t spawned, exited, killed;
    uint32_t checks;             /* vmm_check passes made for sched_check_invariants */
    uint32_t kernel_preemptions; /* slices ended inside a long system call (sched_preempt_point) */
    uint32_t stopped;            /* tasks ended by the k key or a time limit */
    int last_stop_code;          /* KILLED_BY_KEY or KILLED_TIME_LIMIT: why the last stop */
    uint32_t longest_run_ticks;  /* the longest a task kept the CPU in one go */
};

/* Loads the ELF file into a new address space as a runnable task. Returns its
 * pid, or -1 with the reason in why (a refused ELF, no memory, no slot). */
int task_spawn(const char *name, const unsigned char *elf, uint32_t size, char *why, size_t why_size);
/* Runs tasks until every spawned one has ended. Call from kernel code, not a task. */
void sched_run(void);
/* The same, but every task still alive after limit_ticks timer ticks is stopped
 * (KILLED_TIME_LIMIT); 0: no limit. Returns how many tasks were stopped, by the
 * limit or by the k key (sched_request_stop). */
int sched_run_limited(uint32_t limit_ticks);
/* Asks the scheduler to stop every task (KILLED_BY_KEY) the next time it runs:
 * the k key. Safe from interrupts. */
void sched_request_stop(void);
/* 1 when a stop was asked and nobody took it (the idle loop: no task to stop); clears it. */
int sched_take_stop_request(void);
/* A function the scheduler calls between tasks, where keys that arrive
 * without an interrupt are read (kmain passes keys_poll_serial: a k over
 * COM1 reaches sched_request_stop). NULL for none. */
void sched_set_poll(void (*poll)(void));
/* Inside a long system call, between pieces of work: gives up the CPU when the
 * running task's slice is over, as the timer does to a task in ring 3. */
void sched_preempt_point(void);
/* The result of ended task pid; frees its slot. Returns 0, or -1 when no such ended task. */
int task_reap(int pid, struct task_result *out);
/* task_spawn, sched_run and task_reap in one: runs one program to its end. */
void task_run(const char *name, const unsigned char *elf, uint32_t size, struct task_result *out);
/* The same with sched_run_limited: returns how many tasks were stopped (limit or k key). */
int task_run_limited(const char *name, const unsigned char *elf, uint32_t size, uint32_t limit_ticks,
                     struct task_result *out);

/* The running task, or NULL in the kernel. */
struct task *task_current(void);
/* For the running task: give up the CPU; sleep ticks timer ticks. */
void task_yield(void);
void task_sleep(uint32_t ticks);
/* fork: the running task, copied (pages shared copy-on-write) from its trap
 * frame tf; the child returns 0 from the same system call. The child's pid, or an error. */
int task_fork(struct trapframe *tf);
/* wait: an ended child of the running task: its pid, and its exit code in *code.
 * Sleeps until one ends; E_CHILD when it has none. */
int task_wait(int *code);
/* sbrk: moves the heap's end by delta bytes (page-rounded); the old end, or an error. */
int task_sbrk(int32_t delta);
/* Ends the running task: an exit code. Never returns. */
void task_exit(int code) __attribute__((noreturn));
/* Kills the running task for the exception in tf; for a page fault, f is the
 * fault as vmm and the fault handler decided it (its reason follows: out of
 * memory, stack overflow, a bad access), else NULL. The console says why, in
 * words. Never returns. */
void task_kill(const struct trapframe *tf, const struct vmm_fault *f) __attribute__((noreturn));
/* "out of memory", "general protection fault", ...: a kill code in words. */
const char *kill_code_name(int kill_code);
/* Called on every timer tick with the interrupted frame: ends an expired slice. */
void sched_tick(struct trapframe *tf);
const struct sched_stats *sched_stats(void);
/* Starts measuring longest_run_ticks afresh (a self-test's own measure). */
void sched_reset_longest_run(void);
/* When set, the scheduler checks every address space's invariants (vmm_check)
 * after every 32nd task that ends (every one is too slow under Bochs): for
 * the stress self-test. */
extern int sched_check_invariants;

void syscall_dispatch(struct trapframe *tf);

#endif
