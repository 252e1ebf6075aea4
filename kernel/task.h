/*
 * task.h: user tasks. A task is a user program running in ring 3 in its own
 * address space: the kernel half shared, the user half private. For now the
 * kernel runs one task at a time, to completion (task_run); a scheduler on
 * the timer comes next (issue 6).
 */
#ifndef KOIZ_TASK_H
#define KOIZ_TASK_H

#include <stdint.h>
#include "trap.h"

struct address_space;

struct task {
    int pid;
    char name[16];
    struct address_space *as;
    void *kstack;               /* the ring-0 stack traps from this task use */
    struct kjmp back;           /* where task_run continues when the task ends */
    int exit_code;
    int killed;                 /* 1 when a fault or exception ended it */
    uint32_t kill_vector, kill_error, kill_cr2, kill_eip;
    char output[256];           /* the first bytes it wrote, for tests */
    uint32_t output_len;
};

/* What a task_run ended with. */
struct task_result {
    int pid;
    int loaded;                 /* 0: the ELF was refused or memory ran out; see why */
    int exit_code;
    int killed;
    uint32_t kill_vector, kill_error, kill_cr2;
    char why[120];
    char output[256];
};

/* Loads the ELF file (elf, size) into a new address space and runs it in ring 3
 * until it exits or is killed; then frees everything it had. */
void task_run(const char *name, const unsigned char *elf, uint32_t size, struct task_result *out);
/* The running task, or NULL in the kernel. */
struct task *task_current(void);
/* Ends the running task because of the exception in tf (never returns). */
void task_kill(struct trapframe *tf) __attribute__((noreturn));
/* Ends the running task with an exit code (the exit system call; never returns). */
void task_exit(int code) __attribute__((noreturn));

void syscall_dispatch(struct trapframe *tf);

#endif
