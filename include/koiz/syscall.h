/*
 * syscall.h: the system-call interface between user programs and the
 * kernel, shared by both. A program puts the number in EAX and up to three
 * arguments in EBX, ECX, EDX, executes `int 0x80`, and finds the result in
 * EAX: a value >= 0, or a negative error below.
 */
#ifndef KOIZ_SYSCALL_H
#define KOIZ_SYSCALL_H

#define SYSCALL_VECTOR 0x80

/*
 * The calls, by number:
 *   exit(code)          never returns
 *   write(fd, buf, len) fd 1 is the console; returns bytes written (all of
 *                       them, at most WRITE_MAX); len 0 is 0, whatever buf
 *   getpid()
 *   yield()             let other tasks run
 *   sleep(ticks)        at least that many timer ticks (100 a second)
 *   sbrk(delta)         grow (or shrink) the heap; returns the old end
 *   munmap(addr, len)   unmap the pages of [addr, addr+len) that are mapped
 *   fork()              a copy of the task, pages shared copy-on-write; 0 in
 *                       the child; E_NOMEM without a frame for its tables,
 *                       E_AGAIN without a task slot
 *   wait(&status)       an ended child's pid, how it ended in status (below);
 *                       status may be NULL; a bad pointer is E_FAULT and
 *                       reaps nothing
 */
#define SYS_EXIT   1
#define SYS_WRITE  2
#define SYS_GETPID 3
#define SYS_YIELD  4
#define SYS_SLEEP  5
#define SYS_SBRK   6
#define SYS_MUNMAP 7
#define SYS_FORK   8
#define SYS_WAIT   9
#define SYS_COUNT  10

/* The most one write moves; a longer one writes the first WRITE_MAX bytes. */
#define WRITE_MAX (64 * 1024)

/*
 * The status wait() stores: either the child exited, with exit(code)'s code
 * & 0xFF (as in Unix: exit(-1) reads 255), or it was killed, with bit
 * WAIT_KILLED set and a KILLED_* code in the low byte saying why. The two
 * never look alike.
 */
#define WAIT_KILLED       0x100
#define WAIT_EXITED(s)    (((s)&WAIT_KILLED) == 0)
#define WAIT_EXIT_CODE(s) ((s)&0xFF)
#define WAIT_KILL_CODE(s) ((s)&0xFF)
/* Why a task was killed. 0-31: the CPU exception it caused and the kernel did
 * not resolve (6 invalid opcode, 13 general protection, 14 a page fault at an
 * address it may not touch, 16 an x87 error, ...); from 32, the kernel's reasons. */
#define KILLED_STACK_OVERFLOW 32 /* a page fault in the guard page below the stack */
#define KILLED_OUT_OF_MEMORY  33 /* a page fault that needed a frame when none was left */
#define KILLED_BY_KEY         34 /* the k key (the kernel's keyboard or COM1) */
#define KILLED_TIME_LIMIT     35 /* demo_limit=N seconds were over */

#define E_CHILD (-10) /* no child to wait for */
#define E_AGAIN (-11) /* fork: every task slot is taken; one frees when a task ends */
#define E_NOMEM (-12) /* out of memory: no frame (fork, sbrk's pages, a page a call had to map) */

#define E_FAULT (-14) /* a pointer argument is not readable user memory */
#define E_BADF  (-9)  /* no such file descriptor */
#define E_INVAL (-22) /* an argument out of range */
#define E_NOSYS (-38) /* no such system call */

/* User programs are linked here (the traditional i386 address). */
#define USER_TEXT_BASE 0x08048000u
/* The user stack: its top, how far it may grow, and the guard page below. */
#define USER_STACK_TOP   0xBFFFF000u
#define USER_STACK_LIMIT (256u * 1024)
/* How far a task's heap may grow. */
#define USER_HEAP_LIMIT (64u << 20)
/* Where bug=user-kernel maps a kernel page into every task (koiz/bugs.h). */
#define USER_KERNEL_PAGE 0x7FFF0000u

#endif
