/*
 * syscall.c: the system calls (include/koiz/syscall.h lists them). A
 * number or argument the kernel does not like is an error code back to the
 * task, never a crash: in particular no pointer from user space is used
 * before every page it covers has been checked to be user memory of the
 * task, and the bytes are then read through the kernel's direct map, so a
 * bad pointer cannot fault inside the kernel.
 */
#include <koiz/klib.h>
#include <koiz/syscall.h>
#include "../vmm/vmm.h"
#include "console.h"
#include "kernel.h"
#include "task.h"
#include "trap.h"
#include "x86.h"

#define WRITE_MAX (64 * 1024)   /* bytes one write may move */

/*
 * Copies len bytes at user address src of the live task into dst. Pages of a
 * demand-zero region not touched yet are mapped first, as a fault would.
 * Returns 0, or E_FAULT when any byte is not readable user memory.
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
            if (!r || r->kind != REGION_DEMAND_ZERO)
                return E_FAULT;
            if (vmm_handle_fault(as, src, PF_USER, 0) != FAULT_RESOLVED || vmm_translate(as, src, &t) != VMM_OK)
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
 * mapped, a copy-on-write page is copied first. E_FAULT when any byte is not
 * writable user memory.
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
            if (!present && (!r || r->kind != REGION_DEMAND_ZERO))
                return E_FAULT;
            if (present && !(t.pte & PTE_COW))
                return E_FAULT;     /* really read-only */
            if (vmm_handle_fault(as, dst, (present ? PF_PRESENT : 0) | PF_WRITE | PF_USER, 0) != FAULT_RESOLVED ||
                vmm_translate(as, dst, &t) != VMM_OK || !(t.flags & PTE_W))
                return E_FAULT;
        }
        if (!(t.flags & PTE_U))
            return E_FAULT;
        kmemcpy(P2V(t.pa), in, n);
        in += n;
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

static int sys_write(struct task *t, uint32_t fd, uint32_t buf, uint32_t len)
{
    static char chunk[512];
    uint32_t done = 0;

    if (fd != 1)
        return E_BADF;
    if (len > WRITE_MAX || buf < 0x1000 || buf >= USER_END || len > USER_END - buf)
        return E_FAULT;
    while (done < len) {
        uint32_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        if (copy_from_user(chunk, buf + done, n) < 0)
            return done ? (int)done : E_FAULT;
        kprintf("%.*s", (int)n, chunk);
        for (uint32_t i = 0; i < n && t->output_len < sizeof t->output - 1; i++)
            t->output[t->output_len++] = chunk[i];
        done += n;
    }
    return (int)done;
}

void syscall_dispatch(struct trapframe *tf)
{
    struct task *t = task_current();
    int ret;

    if (!t || (tf->cs & 3) != 3) {
        tf->eax = (uint32_t)E_NOSYS;    /* only tasks make system calls */
        return;
    }
    sti();      /* a long write must not hold up the timer */
    switch (tf->eax) {
    case SYS_EXIT:
        task_exit((int)tf->ebx);
    case SYS_WRITE:
        ret = sys_write(t, tf->ebx, tf->ecx, tf->edx);
        break;
    case SYS_GETPID:
        ret = t->pid;
        break;
    case SYS_YIELD:
        task_yield();
        ret = 0;
        break;
    case SYS_SBRK:
        ret = task_sbrk((int32_t)tf->ebx);
        break;
    case SYS_MUNMAP:
        ret = sys_munmap(tf->ebx, tf->ecx);
        break;
    case SYS_FORK:
        ret = task_fork(tf);
        break;
    case SYS_WAIT: {
        int code = 0;
        ret = task_wait(&code);
        if (ret > 0 && tf->ebx && copy_to_user(tf->ebx, &code, sizeof code) < 0)
            ret = E_FAULT;
        break;
    }
    case SYS_SLEEP:
        if (tf->ebx > 100 * 3600) {
            ret = E_INVAL;      /* an hour at most: a typo should not hang a task for ages */
            break;
        }
        task_sleep(tf->ebx);
        ret = 0;
        break;
    default:
        ret = E_NOSYS;
        break;
    }
    tf->eax = (uint32_t)ret;
}
