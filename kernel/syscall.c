/*
 * syscall.c: the system calls (include/koiz/syscall.h lists them). A
 * number or argument the kernel does not like is an error code back to the
 * task, never a crash: in particular no pointer from user space is used
 * before every page it covers has been checked to be user memory of the
 * task, and the bytes are then read through the kernel's direct map, so a
 * bad pointer cannot fault inside the kernel. When a page a call must map
 * finds no frame, the call fails with E_NOMEM: the task decides what next.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include <koiz/syscall.h>
#include "../vmm/vmm.h"
#include "dev/console.h"
#include "kernel.h"
#include "memory.h"
#include "task.h"
#include "trap.h"
#include "x86.h"

/* Bytes of a write between preemption points; divides a page. Interrupts are
 * off while one goes out: at most 256 escaped bytes, 22 ms at 115,200 baud. */
#define WRITE_PIECE 64

/* What a fault taken on the task's behalf means for the call: no frame is E_NOMEM. */
static int fault_error(enum fault_outcome outcome)
{
    return outcome == FAULT_OUT_OF_MEMORY ? E_NOMEM : E_FAULT;
}

/*
 * Copies len bytes at user address src of the live task into dst. Pages of a
 * demand-zero region not touched yet are mapped first, as a fault would.
 * Returns 0, E_FAULT when any byte is not readable user memory, or E_NOMEM
 * when a page had to be mapped and no frame was left.
 */
static int copy_from_user(void *dst, uint32_t src, uint32_t len)
{
    struct address_space *as = vmm_current_space();
    unsigned char *out = dst;

    if (len == 0)
        return 0;
    if (src < 0x1000 || src >= USER_END || len > USER_END - src)
        return E_FAULT;
    while (len > 0) {
        struct vmm_translation t;
        uint32_t in_page = 4096 - (src & 0xFFF), n = len < in_page ? len : in_page;
        if (vmm_translate(as, src, &t) != VMM_OK) {
            /* Not mapped: fine only where a fault would map it (a stack page not used yet). */
            const struct vmm_region *r = vmm_region_find(as, src);
            enum fault_outcome o;
            if (!r || r->kind != REGION_DEMAND_ZERO)
                return E_FAULT;
            if ((o = pagefault_touch(as, src, 0)) != FAULT_RESOLVED)
                return fault_error(o);
            if (vmm_translate(as, src, &t) != VMM_OK)
                return E_FAULT;
        }
        if (!(t.flags & PTE_U))
            return E_FAULT;
        kmemcpy(out, P2V(t.pa), n);
        out += n;
        src += n;
        len -= n;
    }
    return 0;
}

/*
 * Copies len bytes from src to user address dst of the live task, page by
 * page, as a write by the task would: a stack or heap page not used yet is
 * mapped, a copy-on-write page is copied first. With src NULL nothing is
 * copied: the pages are only made ready, so that a later copy cannot fail.
 * E_FAULT when any byte is not writable user memory, E_NOMEM when a page
 * needed a frame and none was left.
 */
static int copy_to_user(uint32_t dst, const void *src, uint32_t len)
{
    struct address_space *as = vmm_current_space();
    const unsigned char *in = src;

    if (dst < 0x1000 || dst >= USER_END || len > USER_END - dst)
        return E_FAULT;
    while (len > 0) {
        struct vmm_translation t;
        uint32_t in_page = 4096 - (dst & 0xFFF), n = len < in_page ? len : in_page;
        int present = vmm_translate(as, dst, &t) == VMM_OK;
        if (!present || !(t.flags & PTE_W)) {
            const struct vmm_region *r = vmm_region_find(as, dst);
            enum fault_outcome o;
            if (!present && (!r || r->kind != REGION_DEMAND_ZERO))
                return E_FAULT;
            if (present && !(t.pte & PTE_COW))
                return E_FAULT; /* really read-only */
            o = pagefault_touch(as, dst, 1);
            if (o != FAULT_RESOLVED)
                return fault_error(o);
            if (vmm_translate(as, dst, &t) != VMM_OK || !(t.flags & PTE_W))
                return E_FAULT;
        }
        if (!(t.flags & PTE_U))
            return E_FAULT;
        if (in) {
            kmemcpy(P2V(t.pa), in, n);
            in += n;
        }
        dst += n;
        len -= n;
    }
    return 0;
}

/* munmap: every mapped 4 KiB page of [addr, addr+len) is unmapped; holes are fine. */
static int sys_munmap(uint32_t addr, uint32_t len)
{
    struct address_space *as = vmm_current_space();
    if ((addr & 0xFFF) || len == 0 || addr < 0x1000 || addr >= USER_END || len > USER_END - addr)
        return E_INVAL;
    for (uint32_t va = addr; va - addr < len; va += 4096) {
        struct vmm_translation t;
        if (vmm_translate(as, va, &t) == VMM_OK && !t.large)
            vmm_unmap(as, va, 0);
    }
    return 0;
}

/*
 * write: every byte, in pieces that never cross a page, each copied then
 * written out whole (kputn: exact, escaped), with a preemption point after
 * each so that a long write shares the CPU like a loop in ring 3 would. A
 * bad page after some bytes were written ends the write there: the count
 * says exactly how many went out.
 */
static int sys_write(struct task *t, uint32_t fd, uint32_t buf, uint32_t len)
{
    char piece[WRITE_PIECE];
    uint32_t done = 0;

    if (fd != 1)
        return E_BADF;
    if (len == 0)
        return 0; /* whatever buf is: nothing is read */
    if (buf >= USER_END || len > USER_END - buf)
        return E_FAULT;
    if (len > WRITE_MAX)
        len = WRITE_MAX;
    while (done < len) {
        uint32_t at = buf + done, n = WRITE_PIECE - at % WRITE_PIECE;
        int err;
        if (n > len - done)
            n = len - done;
        if ((err = copy_from_user(piece, at, n)) < 0)
            return done ? (int)done : err;
        kputn(piece, n);
        for (uint32_t i = 0; i < n && t->output_len < sizeof t->output - 1; i++)
            t->output[t->output_len++] = piece[i];
        t->output_total += n;
        done += n;
        sched_preempt_point();
    }
    return (int)done;
}

/* wait: the status pointer is made ready first, so a bad one reaps nothing. */
static int sys_wait(uint32_t status_ptr)
{
    int status = 0, pid, err;
    if (status_ptr && (err = copy_to_user(status_ptr, 0, sizeof status)) < 0)
        return err;
    pid = task_wait(&status);
    if (pid > 0 && status_ptr && copy_to_user(status_ptr, &status, sizeof status) < 0)
        panic("sys_wait: status pointer 0x%08x was ready, then not", status_ptr);
    return pid;
}

void syscall_dispatch(struct trapframe *tf)
{
    struct task *t = task_current();
    int ret;

    if (!t || (tf->cs & 3) != 3) {
        tf->eax = (uint32_t)E_NOSYS; /* only tasks make system calls */
        return;
    }
    sti(); /* a long write must not hold up the timer */
    switch (tf->eax) {
    case SYS_EXIT: task_exit((int)tf->ebx);
    case SYS_WRITE: ret = sys_write(t, tf->ebx, tf->ecx, tf->edx); break;
    case SYS_GETPID: ret = t->pid; break;
    case SYS_YIELD:
        task_yield();
        ret = 0;
        break;
    case SYS_SBRK: ret = task_sbrk((int32_t)tf->ebx); break;
    case SYS_MUNMAP: ret = sys_munmap(tf->ebx, tf->ecx); break;
    case SYS_FORK: ret = task_fork(tf); break;
    case SYS_WAIT: ret = sys_wait(tf->ebx); break;
    case SYS_SLEEP:
        if (tf->ebx > 100 * 3600) {
            ret = E_INVAL; /* an hour at most: a typo should not hang a task for ages */
            break;
        }
        task_sleep(tf->ebx);
        ret = 0;
        break;
    default: ret = E_NOSYS; break;
    }
    tf->eax = (uint32_t)ret;
}
