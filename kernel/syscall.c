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
