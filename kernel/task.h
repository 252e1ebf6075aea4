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
#include "trap.h"

#define MAX_TASKS   32
#define SLICE_TICKS 2       /* 20 ms at 100 Hz */

struct address_space;

enum task_state { TASK_FREE, TASK_RUNNABLE, TASK_RUNNING, TASK_SLEEPING, TASK_WAITING, TASK_ZOMBIE };

/* A task's parent: the kernel (it reaps with task_reap), another task (it
 * reaps with the wait system call), or nobody (the parent ended first: the
 * task is freed as soon as it ends). */
#define PARENT_KERNEL 0
#define PARENT_NONE   (-1)

struct task {
    int pid;
    int parent;                 /* a pid, PARENT_KERNEL or PARENT_NONE */
    enum task_state state;
    char name[16];
    struct address_space *as;
    void *kstack;               /* its ring-0 stack (KSTACK_SIZE bytes) */
    uint32_t esp;               /* saved kernel stack pointer while not running */
    uint32_t entry;             /* where it starts in ring 3 */
    uint64_t wake_tick;         /* TASK_SLEEPING: the tick to wake at */
    uint32_t heap_base, heap_end;   /* [heap_base, heap_end): the sbrk heap, demand-zero */
    int exit_code;
    int killed;                 /* 1 when a fault or exception ended it */
    uint32_t kill_vector, kill_error, kill_cr2, kill_eip;
    char output[256];           /* the first bytes it wrote, for tests */
    uint32_t output_len;
};

/* What a task ended with, collected by task_reap. */
struct task_result {
    int pid;
    int loaded;                 /* 0: the ELF was refused or memory ran out; see why */
    int exit_code;
    int killed;
    uint32_t kill_vector, kill_error, kill_cr2;
    char why[120];
    char output[256];
};

struct sched_stats {
    uint32_t switches;          /* task_switch calls into tasks */
    uint32_t forks;
    uint32_t preemptions;       /* of them, slices the timer ended */
    uint32_t spawned, exited, killed;
    uint32_t checks;            /* vmm_check passes made for sched_check_invariants */
};

/* Loads the ELF file into a new address space as a runnable task. Returns its
 * pid, or -1 with the reason in why (a refused ELF, no memory, no slot). */
int task_spawn(const char *name, const unsigned char *elf, uint32_t size, char *why, size_t why_size);
/* Runs tasks until every spawned one has ended. Call from kernel code, not a task. */
void sched_run(void);
/* The result of ended task pid; frees its slot. Returns 0, or -1 when no such ended task. */
int task_reap(int pid, struct task_result *out);
/* task_spawn, sched_run and task_reap in one: runs one program to its end. */
void task_run(const char *name, const unsigned char *elf, uint32_t size, struct task_result *out);

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
/* Ends the running task: an exit code, or the exception in tf. Never return. */
void task_exit(int code) __attribute__((noreturn));
void task_kill(struct trapframe *tf) __attribute__((noreturn));
/* Called on every timer tick with the interrupted frame: ends an expired slice. */
void sched_tick(struct trapframe *tf);
const struct sched_stats *sched_stats(void);
/* When set, the scheduler checks every address space's invariants (vmm_check)
 * after every 32nd task that ends (every one is too slow under Bochs): for
 * the stress self-test. */
extern int sched_check_invariants;

void syscall_dispatch(struct trapframe *tf);

#endif
