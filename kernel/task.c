/*
 * task.c: running a user program in ring 3.
 *
 * task_run checks the ELF file (lib/elf.c), builds a fresh address space
 * from it (every page of every segment a fresh frame, file bytes copied in,
 * the rest zero), gives it a demand-zero stack with a guard page below, and
 * drops to ring 3 at the entry point. The task comes back to the kernel
 * only through traps: a system call, an interrupt, a fault. When it exits,
 * or a fault kills it, the kernel jumps back into task_run (a klongjmp to
 * the point saved before entering ring 3), which frees the address space:
 * the frame counters prove nothing is left behind.
 *
 *   user address space:   0x00000000  (page 0: never mapped)
 *                         0x08048000  program segments
 *                         ...
 *     USER_STACK_TOP - LIMIT - 4 KiB  guard page
 *     USER_STACK_TOP - LIMIT          stack, demand-zero, grows down
 *                   USER_STACK_TOP    (0xBFFFF000)
 */
#include <koiz/elf.h>
#include <koiz/klib.h>
#include <koiz/syscall.h>
#include "../vmm/heap.h"
#include "../vmm/pmm.h"
#include "../vmm/vmm.h"
#include "console.h"
#include "gdt.h"
#include "kernel.h"
#include "programs.h"
#include "task.h"
#include "x86.h"

#define KSTACK_SIZE 8192

void enter_user(uint32_t eip, uint32_t esp) __attribute__((noreturn));

static struct task *current;
static int next_pid = 1;

struct task *task_current(void)
{
    return current;
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
        pmem_unref(pa);     /* the mapping owns it now (or, on error, nobody: freed) */
        if (err != VMM_OK)
            return err;
    }
    return VMM_OK;
}

static void finish(struct task *t, struct task_result *out)
{
    vmm_space_switch(vmm_kernel_space());
    if (t->as)
        vmm_space_destroy(t->as);
    if (t->kstack)
        kfree(t->kstack);
    out->exit_code = t->exit_code;
    out->killed = t->killed;
    out->kill_vector = t->kill_vector;
    out->kill_error = t->kill_error;
    out->kill_cr2 = t->kill_cr2;
    kmemcpy(out->output, t->output, sizeof out->output);
    current = 0;
}

void task_run(const char *name, const unsigned char *elf, uint32_t size, struct task_result *out)
{
    static struct task task;    /* one task at a time, until the scheduler comes */
    struct task *t = &task;
    struct elf_image img;
    int err = VMM_OK;

    kmemset(out, 0, sizeof *out);
    kmemset(t, 0, sizeof *t);
    t->pid = out->pid = next_pid++;
    kstrlcpy(t->name, name, sizeof t->name);
    if (elf_check(elf, size, USER_END, &img, out->why, sizeof out->why) < 0) {
        kprintf_color(VGA_YELLOW, "task %s: refused: %s\n", name, out->why);
        return;
    }
    t->as = vmm_space_create();
    t->kstack = kzalloc(KSTACK_SIZE);   /* zeroed, so its pages are present before a trap needs them */
    if (!t->as || !t->kstack)
        err = VMM_ENOMEM;
    for (int i = 0; err == VMM_OK && i < img.nsegments; i++)
        err = load_segment(t->as, elf, &img.segments[i]);
    if (err == VMM_OK)
        err = vmm_region_add(t->as, USER_STACK_TOP - USER_STACK_LIMIT, USER_STACK_TOP, REGION_DEMAND_ZERO);
    if (err == VMM_OK)
        err = vmm_region_add(t->as, USER_STACK_TOP - USER_STACK_LIMIT - 4096, USER_STACK_TOP - USER_STACK_LIMIT,
                             REGION_GUARD);
    if (err != VMM_OK) {
        ksnprintf(out->why, sizeof out->why, "task %s: cannot load: %s", name, vmm_strerror(err));
        kprintf_color(VGA_YELLOW, "%s\n", out->why);
        finish(t, out);
        return;
    }
    out->loaded = 1;
    current = t;
    vmm_space_switch(t->as);
    tss_set_kernel_stack((uint32_t)t->kstack + KSTACK_SIZE);
    if (ksetjmp(&t->back) == 0)
        enter_user(img.entry, USER_STACK_TOP);
    /* Back from the task's end: on our own stack again, interrupts as the trap left them. */
    sti();
    finish(t, out);
}

void task_exit(int code)
{
    struct task *t = current;
    KASSERT(t != 0);
    t->exit_code = code;
    klongjmp(&t->back, 1);
}

void task_kill(struct trapframe *tf)
{
    struct task *t = current;
    char words[96] = "";

    KASSERT(t != 0);
    t->killed = 1;
    t->kill_vector = tf->vector;
    t->kill_error = tf->error;
    t->kill_eip = tf->eip;
    t->kill_cr2 = tf->vector == T_PAGE_FAULT ? read_cr2() : 0;
    if (tf->vector == T_PAGE_FAULT)
        pf_describe(tf->error, words, sizeof words);
    kprintf_color(VGA_LIGHT_RED, "task %d (%s) killed: %s at EIP 0x%08x", t->pid, t->name,
                  exception_name(tf->vector), tf->eip);
    if (tf->vector == T_PAGE_FAULT)
        kprintf_color(VGA_LIGHT_RED, ", address 0x%08x, %s", t->kill_cr2, words);
    kputs("\n");
    t->exit_code = -1;
    klongjmp(&t->back, 1);
}
