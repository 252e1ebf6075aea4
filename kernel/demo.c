/*
 * demo.c: the demo scenarios. Each runs one user program (user/) whose
 * behaviour is worth watching in koiz-view: a page table filling, a stack
 * running into its guard page, frames shared by fork and split by writes, a
 * task dying of a wild pointer, several tasks churning. Chosen by a boot
 * option (demo=NAME, one menu entry each) or a key in the running kernel.
 */
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include "console.h"
#include "demo.h"
#include "kernel.h"
#include "pit.h"
#include "programs.h"
#include "task.h"
#include "telemetry.h"

struct demo {
    char key;
    const char *name;
    const char *program;    /* NULL: no task at all */
    const char *about;
};

/* Each line of the list below fits an 80-column screen: `about` stays under 68 characters. */
static const struct demo demos[] = {
    { '1', "heap", "heapgrow", "heap growth: a task touches new pages until a page table fills" },
    { '2', "stack", "stackgrow", "stack growth: recursion until the stack hits its guard page" },
    { '3', "fork", "forkdemo", "fork: frames shared copy-on-write, then split as the children write" },
    { '4', "wild", "wild", "a wild pointer: a task writes to the kernel and dies; Koiz goes on" },
    { '5', "churn", "churn", "churn: eight tasks fork, grow, shrink and unmap in loops" },
    { '6', "idle", 0, "kernel only: no tasks, the kernel's own address space" },
};
#define NDEMOS (int)(sizeof demos / sizeof demos[0])

void demo_list(void)
{
    kprintf("Keys: s snapshot, t tour of the demos, and one demo each:\n");
    for (int i = 0; i < NDEMOS; i++)
        kprintf("  %c  %-6s %s\n", demos[i].key, demos[i].name, demos[i].about);
}

static void run_one(const struct demo *d)
{
    const struct user_program *p;
    struct task_result r;
    uint64_t start;
    uint32_t took;

    kprintf_color(VGA_LIGHT_CYAN, "Demo %s: %s\n", d->name, d->about);
    if (!d->program) {
        telemetry_request_round(ROUND_REQUEST);
        telemetry_flush();
        return;
    }
    p = user_program(d->program);
    start = pit_ticks();
    task_run(d->program, p->elf, (uint32_t)p->size, &r);
    took = (uint32_t)(pit_ticks() - start);
    if (!r.loaded)
        kprintf_color(VGA_YELLOW, "Demo %s: %s\n", d->name, r.why);
    else if (r.killed)
        kprintf_color(VGA_LIGHT_CYAN, "Demo %s: the task was killed, as it should be (%u.%02u s)\n", d->name,
                      took / PIT_HZ, took % PIT_HZ);
    else
        kprintf_color(VGA_LIGHT_CYAN, "Demo %s: done (exit %d, %u.%02u s)\n", d->name, r.exit_code, took / PIT_HZ,
                      took % PIT_HZ);
    telemetry_request_round(ROUND_REQUEST);
    telemetry_flush();
}

int demo_run(const char *name)
{
    if (kstrcmp(name, "tour") == 0) {
        kprintf_color(VGA_LIGHT_CYAN, "A tour of the demos, one after another:\n");
        for (int i = 0; i < NDEMOS; i++) {
            run_one(&demos[i]);
            pit_wait(PIT_HZ);       /* a second between scenes */
        }
        return 0;
    }
    for (int i = 0; i < NDEMOS; i++) {
        if (kstrcmp(name, demos[i].name) == 0) {
            run_one(&demos[i]);
            return 0;
        }
    }
    return -1;
}

int demo_key(int key)
{
    if (key == 't')
        return demo_run("tour") == 0;
    for (int i = 0; i < NDEMOS; i++)
        if (demos[i].key == key) {
            run_one(&demos[i]);
            return 1;
        }
    return 0;
}
