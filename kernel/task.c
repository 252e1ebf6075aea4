/*
 * task.c: running a user program in ring 3.
 *
 * task_spawn checks the ELF file (lib/elf.c), builds a fresh address space
 * from it (every page of every segment a fresh frame, file bytes copied in,
 * the rest zero; each segment a region saying what it holds), gives it a
 * demand-zero stack with a guard page below, and
 * a kernel stack prepared so that the first switch to it "returns" into
 * task_start, which drops to ring 3 at the entry point. From then on the task
 * comes back to the kernel only through traps: a system call, an interrupt,
 * a fault. The scheduler (sched_run) switches between tasks' kernel stacks;
 * when a task has ended, it frees the task's memory from its own stack: the
 * frame counters prove nothing is left behind.
 *
 *   user address space:   0x00000000  (page 0: never mapped)
 *                         0x08048000  program segments
 *                         ...
 *     USER_STACK_TOP - LIMIT - 4 KiB  guard page
 *     USER_STACK_TOP - LIMIT          stack, demand-zero, grows down
 *                   USER_STACK_TOP    (0xBFFFF000)
 */
#include <koiz/elf.h>
#include <koiz/bugs.h>
#include <koiz/klib.h>
#include <koiz/syscall.h>
#include "../vmm/heap.h"
#include "../vmm/pmm.h"
#include "../vmm/vmm.h"
#include "dev/console.h"
#include "fpu.h"
#include "gdt.h"
#include "kernel.h"
#include "dev/pit.h"
#include "programs.h"
#include "task.h"
#include "telemetry.h"
#include "x86.h"

#define KSTACK_SIZE 8192

void enter_user(uint32_t eip, uint32_t esp) __attribute__((noreturn));
void task_switch(uint32_t *save, uint32_t next);
extern char trap_return[]; /* asm/isr.asm: pops a trap frame and returns from the trap */

static struct task tasks[MAX_TASKS];
static struct task *current;
static uint32_t scheduler_esp;
static uint64_t slice_start;
static int next_pid = 1, last_picked;
static struct sched_stats stats;
static void (*poll_between_tasks)(void); /* sched_set_poll */
static volatile int stop_requested;      /* the k key, from the keyboard's interrupt or COM1 */
int sched_check_invariants;
static uint32_t ended_since_check;

struct task *task_current(void)
{
    return current;
}

const struct sched_stats *sched_stats(void)
{
    return &stats;
}

void sched_reset_longest_run(void)
{
    stats.longest_run_ticks = 0;
}

const struct user_program *user_program(const char *name)
{
    for (int i = 0; i < user_program_count; i++)
        if (kstrcmp(user_programs[i].name, name) == 0)
            return &user_programs[i];
    return 0;
}

/* Maps the pages of one segment, copying the file bytes in. VMM_OK or an error. */
static int load_segment(struct address_space *as, const unsigned char *elf, const struct elf_segment *seg)
{
    uint32_t start = seg->vaddr & ~0xFFFu, end = (seg->vaddr + seg->memsz + 0xFFF) & ~0xFFFu;
    uint32_t flags = PTE_U | (seg->writable ? PTE_W : 0);

    for (uint32_t page = start; page < end; page += 4096) {
        uint32_t pa = pmem_alloc_for(FRAME_PROCESS);
        unsigned char *dst;
        int err;
        if (!pa)
            return VMM_ENOMEM;
        dst = P2V(pa);
        kmemset(dst, 0, 4096);
        /* The part of [vaddr, vaddr + filesz) that falls in this page comes from the file. */
        uint32_t from = page > seg->vaddr ? page : seg->vaddr;
        uint32_t to = page + 4096 < seg->vaddr + seg->filesz ? page + 4096 : seg->vaddr + seg->filesz;
        if (from < to)
            kmemcpy(dst + (from - page), elf + seg->offset + (from - seg->vaddr), to - from);
        err = vmm_map(as, page, pa, flags);
        pmem_unref(pa); /* the mapping owns it now (or, on error, nobody: freed) */
        if (err != VMM_OK)
            return err;
    }
    /* A region that says what the pages hold; they are all mapped, so a fault there is bad. */
    return vmm_region_add_for(as, start, end, REGION_LOADED,
                              seg->executable ? REGION_FOR_CODE
                              : seg->writable ? REGION_FOR_DATA
                                              : REGION_FOR_RODATA);
}

/* Where a new task's kernel stack first "returns" to: down to ring 3. */
static void task_start(void)
{
    enter_user(current->entry, USER_STACK_TOP);
}

/* Gives back what a task had, once it no longer runs (never its own stack in use). */
static void release(struct task *t)
{
    fpu_forget(&t->fpu);
    if (t->as)
        vmm_space_destroy(t->as);
    if (t->kstack)
        kfree(t->kstack);
    t->as = 0;
    t->kstack = 0;
}

int task_spawn(const char *name, const unsigned char *elf, uint32_t size, char *why, size_t why_size)
{
    struct elf_image img;
    struct task *t = 0;
    int err = VMM_OK;

    for (int i = 0; i < MAX_TASKS && !t; i++)
        if (tasks[i].state == TASK_FREE)
            t = &tasks[i];
    if (!t) {
        ksnprintf(why, why_size, "task %s: no free task slot (%d in use)", name, MAX_TASKS);
        return -1;
    }
    if (elf_check(elf, size, USER_END, &img, why, why_size) < 0) {
        kprintf_color(VGA_YELLOW, "task %s: refused: %s\n", name, why);
        return -1;
    }
    /* Every page of every segment gets a frame now: say at once when they cannot all. */
    uint32_t pages = 0;
    for (int i = 0; i < img.nsegments; i++)
        pages +=
            ((img.segments[i].vaddr + img.segments[i].memsz + 0xFFF) >> 12) - (img.segments[i].vaddr >> 12);
    if (pages > pmem_stats()->free) {
        ksnprintf(why, why_size,
                  "task %s: cannot load: out of memory (its segments need %u KiB, %u KiB are free)", name,
                  pages * 4, pmem_stats()->free * 4);
        kprintf_color(VGA_YELLOW, "%s\n", why);
        return -1;
    }
    kmemset(t, 0, sizeof *t);
    kstrlcpy(t->name, name, sizeof t->name);
    fpu_state_init(&t->fpu);
    t->entry = img.entry;
    t->parent = PARENT_KERNEL;
    /* The heap starts on the page after the program's highest byte, empty. */
    for (int i = 0; i < img.nsegments; i++) {
        uint32_t end = (img.segments[i].vaddr + img.segments[i].memsz + 0xFFF) & ~0xFFFu;
        if (end > t->heap_base)
            t->heap_base = end;
    }
    t->heap_end = t->heap_base;
    t->as = vmm_space_create();
    t->kstack = kzalloc(KSTACK_SIZE); /* zeroed, so its pages are present before a trap needs them */
    if (!t->as || !t->kstack)
        err = VMM_ENOMEM;
    for (int i = 0; err == VMM_OK && i < img.nsegments; i++)
        err = load_segment(t->as, elf, &img.segments[i]);
    if (err == VMM_OK)
        err = vmm_region_add_for(t->as, USER_STACK_TOP - USER_STACK_LIMIT, USER_STACK_TOP, REGION_DEMAND_ZERO,
                                 REGION_FOR_STACK);
    if (err == VMM_OK)
        err = vmm_region_add_for(t->as, USER_STACK_TOP - USER_STACK_LIMIT - 4096,
                                 USER_STACK_TOP - USER_STACK_LIMIT, REGION_GUARD, REGION_FOR_GUARD);
    if (err == VMM_OK && (kernel_options.bugs & BUG(USER_KERNEL))) /* the bug: a kernel page, user-readable */
        err = vmm_map(t->as, USER_KERNEL_PAGE, (uint32_t)V2P(&kernel_options) & ~0xFFFu, PTE_U);
    if (err != VMM_OK) {
        ksnprintf(why, why_size, "task %s: cannot load: %s", name, vmm_strerror(err));
        kprintf_color(VGA_YELLOW, "%s\n", why);
        release(t);
        return -1;
    }
    /* The stack task_switch will pop: edi, esi, ebx, ebp, then the return address. */
    uint32_t *sp = (uint32_t *)((char *)t->kstack + KSTACK_SIZE);
    *--sp = (uint32_t)task_start;
    for (int i = 0; i < 4; i++)
        *--sp = 0;
    t->esp = (uint32_t)sp;
    t->pid = next_pid++;
    t->state = TASK_RUNNABLE;
    stats.spawned++;
    return t->pid;
}

/* The next task to run after the last one picked, waking sleepers whose time came. */
static struct task *pick(uint64_t now, int *alive)
{
    *alive = 0;
    for (int n = 1; n <= MAX_TASKS; n++) {
        int i = (last_picked + n) % MAX_TASKS;
        struct task *t = &tasks[i];
        if (t->state == TASK_SLEEPING && now >= t->wake_tick)
            t->state = TASK_RUNNABLE;
        if (t->state == TASK_RUNNABLE || t->state == TASK_SLEEPING || t->state == TASK_WAITING)
            (*alive)++;
    }
    for (int n = 1; n <= MAX_TASKS; n++) {
        int i = (last_picked + n) % MAX_TASKS;
        if (tasks[i].state == TASK_RUNNABLE) {
            last_picked = i;
            return &tasks[i];
        }
    }
    return 0;
}

/* What end_task leaves for the scheduler: ended, its children orphaned, its waiting
 * parent woken. Interrupts off. */
static void mark_ended(struct task *t)
{
    t->state = TASK_ZOMBIE;
    for (int i = 0; i < MAX_TASKS; i++) {
        struct task *o = &tasks[i];
        if (o->state != TASK_FREE && o->parent == t->pid) {
            o->parent = PARENT_NONE; /* orphans: nobody will wait for them */
            if (o->state == TASK_ZOMBIE)
                o->state = TASK_FREE; /* already released by the scheduler */
        }
        if (o->state == TASK_WAITING && o->pid == t->parent)
            o->state = TASK_RUNNABLE; /* its wait can now find this child */
    }
}

/* An ended task's memory goes back; nobody waiting for it frees its slot. */
static void bury(struct task *t)
{
    release(t);
    if (t->parent == PARENT_NONE)
        t->state = TASK_FREE;
}

/*
 * The k key or a time limit: every task still alive is stopped where it waits
 * (none runs: this is the scheduler, on its own stack), as if killed there,
 * and buried at once, as the scheduler buries a task that ended: a parent
 * stopped after its child then finds a zombie already released.
 */
static int stop_all(int code)
{
    int n = 0;
    for (int i = 0; i < MAX_TASKS; i++) {
        struct task *t = &tasks[i];
        if (t->state != TASK_RUNNABLE && t->state != TASK_SLEEPING && t->state != TASK_WAITING)
            continue;
        kprintf_color(VGA_YELLOW, "task %d (%s) %s\n", t->pid, t->name, kill_code_name(code));
        t->killed = 1;
        t->kill_code = code;
        t->kill_vector = KILL_NO_VECTOR;
        t->exit_code = -1;
        mark_ended(t);
        bury(t);
        stats.killed++;
        stats.stopped++;
        n++;
    }
    return n;
}

void sched_request_stop(void)
{
    stop_requested = 1;
}

int sched_take_stop_request(void)
{
    uint32_t f = irq_save();
    int asked = stop_requested;
    stop_requested = 0;
    irq_restore(f);
    return asked;
}

void sched_set_poll(void (*poll)(void))
{
    poll_between_tasks = poll;
}

int sched_run_limited(uint32_t limit_ticks)
{
    uint64_t deadline = limit_ticks ? pit_ticks() + limit_ticks : 0;
    int stopped = 0;

    KASSERT(current == 0);
    stop_requested = 0; /* a k pressed before these tasks existed was not for them */
    for (;;) {
        int alive;
        struct task *t;
        if (poll_between_tasks)
            poll_between_tasks(); /* a k over COM1 reaches sched_request_stop too */
        cli();
        if (stop_requested || (deadline && pit_ticks() >= deadline)) {
            int code = stop_requested ? KILLED_BY_KEY : KILLED_TIME_LIMIT;
            stop_requested = 0;
            stopped += stop_all(code);
            stats.last_stop_code = code;
        }
        t = pick(pit_ticks(), &alive);
        if (!t) {
            if (!alive)
                break;
            sti(); /* only sleepers left: wait for the timer */
            hlt();
            continue;
        }
        current = t;
        t->state = TASK_RUNNING;
        slice_start = pit_ticks();
        vmm_space_switch(t->as);
        tss_set_kernel_stack((uint32_t)t->kstack + KSTACK_SIZE);
        fpu_switch_to(&t->fpu);
        stats.switches++;
        task_switch(&scheduler_esp, t->esp);
        /* Back on the scheduler's stack: t yielded, slept, or ended. */
        current = 0;
        if (pit_ticks() - slice_start > stats.longest_run_ticks)
            stats.longest_run_ticks = (uint32_t)(pit_ticks() - slice_start);
        vmm_space_switch(vmm_kernel_space());
        telemetry_sched_point();
        if (t->state == TASK_ZOMBIE) {
            bury(t);
            if (sched_check_invariants && ++ended_since_check == 32) {
                ended_since_check = 0;
                /* vmm_check panics, naming what broke, if anything did. */
                for (int i = 0; i < VMM_MAX_SPACES; i++)
                    if (vmm_space_at(i))
                        vmm_check(vmm_space_at(i));
                stats.checks++;
            }
        }
    }
    sti();
    return stopped;
}

void sched_run(void)
{
    sched_run_limited(0);
}

/* How t ended, as wait() tells its parent (include/koiz/syscall.h). */
static int wait_status(const struct task *t)
{
    return t->killed ? WAIT_KILLED | (t->kill_code & 0xFF) : t->exit_code & 0xFF;
}

int task_reap(int pid, struct task_result *out)
{
    for (int i = 0; i < MAX_TASKS; i++) {
        struct task *t = &tasks[i];
        if (t->pid != pid || t->state != TASK_ZOMBIE)
            continue;
        kmemset(out, 0, sizeof *out);
        out->pid = pid;
        out->loaded = 1;
        out->exit_code = t->exit_code;
        out->killed = t->killed;
        out->kill_code = t->kill_code;
        out->status = wait_status(t);
        out->output_total = t->output_total;
        out->kill_vector = t->kill_vector;
        out->kill_error = t->kill_error;
        out->kill_cr2 = t->kill_cr2;
        kmemcpy(out->output, t->output, sizeof out->output);
        t->state = TASK_FREE;
        return 0;
    }
    return -1;
}

int task_run_limited(const char *name, const unsigned char *elf, uint32_t size, uint32_t limit_ticks,
                     struct task_result *out)
{
    char why[sizeof out->why];
    int pid = task_spawn(name, elf, size, why, sizeof why), stopped;
    if (pid < 0) {
        kmemset(out, 0, sizeof *out);
        kstrlcpy(out->why, why, sizeof out->why);
        return 0;
    }
    stopped = sched_run_limited(limit_ticks);
    task_reap(pid, out);
    return stopped;
}

void task_run(const char *name, const unsigned char *elf, uint32_t size, struct task_result *out)
{
    task_run_limited(name, elf, size, 0, out);
}

/* From a task: back to the scheduler, which decides who runs next. */
static void to_scheduler(struct task *t)
{
    task_switch(&t->esp, scheduler_esp);
}

void task_yield(void)
{
    struct task *t = current;
    uint32_t f = irq_save();
    t->state = TASK_RUNNABLE;
    to_scheduler(t);
    irq_restore(f);
}

void task_sleep(uint32_t ticks)
{
    struct task *t = current;
    uint32_t f = irq_save();
    t->wake_tick = pit_ticks() + ticks;
    t->state = TASK_SLEEPING;
    to_scheduler(t);
    irq_restore(f);
}

static struct task *free_slot(void)
{
    for (int i = 0; i < MAX_TASKS; i++)
        if (tasks[i].state == TASK_FREE)
            return &tasks[i];
    return 0;
}

int task_fork(struct trapframe *tf)
{
    struct task *p = current, *c = free_slot();
    struct trapframe *ctf;
    uint32_t *sp;

    if (!c)
        return E_AGAIN;
    kmemset(c, 0, sizeof *c);
    /* Either may find no frame left: the fork fails, nothing is left allocated. */
    c->as = vmm_space_fork(p->as);
    c->kstack = c->as ? kzalloc(KSTACK_SIZE) : 0;
    if (!c->as || !c->kstack) {
        release(c);
        return E_NOMEM;
    }
    fpu_state_copy(&c->fpu, &p->fpu);
    kstrlcpy(c->name, p->name, sizeof c->name);
    c->entry = p->entry;
    c->heap_base = p->heap_base;
    c->heap_end = p->heap_end;
    c->parent = p->pid;
    c->pid = next_pid++;
    /* The child's kernel stack: the parent's trap frame, returning 0 this time,
     * under a switch frame whose return address is the way out of a trap. */
    ctf = (struct trapframe *)((char *)c->kstack + KSTACK_SIZE) - 1;
    *ctf = *tf;
    ctf->eax = 0;
    sp = (uint32_t *)ctf;
    *--sp = (uint32_t)trap_return;
    for (int i = 0; i < 4; i++)
        *--sp = 0;
    c->esp = (uint32_t)sp;
    c->state = TASK_RUNNABLE;
    stats.forks++;
    stats.spawned++;
    return c->pid;
}

int task_wait(int *status)
{
    struct task *p = current;
    for (;;) {
        int children = 0;
        uint32_t f;
        for (int i = 0; i < MAX_TASKS; i++) {
            struct task *c = &tasks[i];
            if (c->state == TASK_FREE || c->parent != p->pid)
                continue;
            children++;
            if (c->state == TASK_ZOMBIE) {
                *status = wait_status(c);
                c->state = TASK_FREE;
                return c->pid;
            }
        }
        if (!children)
            return E_CHILD;
        f = irq_save();
        p->state = TASK_WAITING; /* end_task of a child makes it runnable again */
        to_scheduler(p);
        irq_restore(f);
    }
}

int task_sbrk(int32_t delta)
{
    struct task *t = current;
    int64_t want = (int64_t)t->heap_end + delta;
    uint32_t old = t->heap_end, end;
    int err;

    if (want < t->heap_base || want > (int64_t)t->heap_base + USER_HEAP_LIMIT)
        return E_INVAL;
    end = (uint32_t)((want + 0xFFF) & ~0xFFFll);
    if (end == old)
        return (int)old;
    if (old == t->heap_base)
        err = vmm_region_add_for(t->as, t->heap_base, end, REGION_DEMAND_ZERO, REGION_FOR_HEAP);
    else
        err = vmm_region_resize(t->as, t->heap_base, end);
    if (err != VMM_OK)
        return err == VMM_ENOMEM ? E_NOMEM : E_INVAL;
    t->heap_end = end;
    return (int)old;
}

void sched_tick(struct trapframe *tf)
{
    /* Only a task interrupted in ring 3 is preempted: kernel code on its
     * behalf (a system call) runs on until it ends or reaches a preemption
     * point (sched_preempt_point), so no lock is ever held here. */
    if (current && (tf->cs & 3) == 3 && pit_ticks() - slice_start >= SLICE_TICKS) {
        stats.preemptions++;
        task_yield();
    }
}

void sched_preempt_point(void)
{
    if (current && pit_ticks() - slice_start >= SLICE_TICKS) {
        stats.kernel_preemptions++;
        task_yield();
    }
}

/* The end of the running task: the scheduler frees its memory from its own stack. */
static void end_task(struct task *t, int code) __attribute__((noreturn));
static void end_task(struct task *t, int code)
{
    cli();
    t->exit_code = code;
    mark_ended(t);
    to_scheduler(t);
    panic("end_task: task %d ran again after it ended", t->pid);
}

void task_exit(int code)
{
    KASSERT(current != 0);
    stats.exited++;
    end_task(current, code);
}

const char *kill_code_name(int code)
{
    switch (code) {
    case KILLED_STACK_OVERFLOW: return "stack overflow";
    case KILLED_OUT_OF_MEMORY: return "out of memory";
    case KILLED_BY_KEY: return "stopped with the k key";
    case KILLED_TIME_LIMIT: return "stopped: its time limit (demo_limit) was over";
    case T_PAGE_FAULT: return "bad memory access (page fault)";
    default: return code >= 0 && code < 32 ? exception_name((uint32_t)code) : "killed";
    }
}

void task_kill(const struct trapframe *tf, const struct vmm_fault *f)
{
    struct task *t = current;
    int code = !f                                   ? (int)tf->vector
               : f->outcome == FAULT_OUT_OF_MEMORY  ? KILLED_OUT_OF_MEMORY
               : f->outcome == FAULT_STACK_OVERFLOW ? KILLED_STACK_OVERFLOW
                                                    : T_PAGE_FAULT;
    char words[64];

    KASSERT(t != 0);
    t->killed = 1;
    t->kill_code = code;
    t->kill_vector = tf->vector;
    t->kill_error = tf->error;
    t->kill_eip = tf->eip;
    t->kill_cr2 = f ? f->cr2 : 0;
    kprintf_color(VGA_LIGHT_RED, "task %d (%s) killed: ", t->pid, t->name);
    if (f) {
        if (code == KILLED_OUT_OF_MEMORY)
            /* Not the task's mistake: the access was allowed, the machine had no frame. */
            kprintf_color(VGA_LIGHT_RED, "out of memory: no free frame for %s at 0x%08x (EIP 0x%08x)",
                          f->copy_on_write ? "its own copy of the copy-on-write page"
                                           : "the demand-zero page",
                          f->cr2, f->eip);
        else if (code == KILLED_STACK_OVERFLOW)
            kprintf_color(VGA_LIGHT_RED,
                          "stack overflow: the guard page below the stack, address 0x%08x "
                          "(EIP 0x%08x)",
                          f->cr2, f->eip);
        else
            kprintf_color(VGA_LIGHT_RED, "bad memory access: page fault at EIP 0x%08x, address 0x%08x, %s",
                          f->eip, f->cr2, pf_error_words(f->error, words, sizeof words));
    } else {
        kprintf_color(VGA_LIGHT_RED, "%s at EIP 0x%08x%s", exception_name(tf->vector), tf->eip,
                      tf->vector == T_DEVICE_NA ? " (this CPU has no FPU)" : "");
    }
    kputs("\n");
    stats.killed++;
    end_task(t, -1);
}
