/*
 * demo.c: the demo scenarios. Each runs one user program (user/) whose
 * behaviour is worth watching in koiz-view: a page table filling, a stack
 * running into its guard page, frames shared by fork and split by writes, a
 * task dying of a wild pointer, several tasks churning. Chosen by a boot
 * option (demo=NAME, one menu entry each) or a key in the running kernel.
 * demo=NAME also runs any user program built into the kernel by its own
 * name when NAME is not a scenario's (demo=hello), so a program added to
 * user/ can be tried at once.
 *
 * Each scenario knows how its program should end (exit 0, or killed by a
 * particular fault), and the report says what really happened: "as the
 * demo intends" only when it did. The k key stops a demo's tasks at any
 * time; demo_limit=N stops them after N seconds.
 */
#include <koiz/klib.h>
#include <koiz/protocol.h>
#include <koiz/syscall.h>
#include "dev/console.h"
#include "demo.h"
#include "kernel.h"
#include "dev/pit.h"
#include "programs.h"
#include "task.h"
#include "telemetry.h"
#include "trap.h"

#define ENDS_WITH_EXIT_0 (-1) /* `dies_of` of a demo whose program should exit 0 */

struct demo {
    char key;
    const char *name;
    const char *program; /* NULL: no task at all */
    int dies_of;         /* the kill code its program should end with, or ENDS_WITH_EXIT_0 */
    const char *about;
};

/* Each line of the list below fits an 80-column screen: `about` stays under 68 characters. */
static const struct demo demos[] = {
    {'1', "heap", "heapgrow", ENDS_WITH_EXIT_0,
     "heap growth: a task touches new pages until a page table fills"},
    {'2', "stack", "stackgrow", KILLED_STACK_OVERFLOW,
     "stack growth: recursion until the stack hits its guard page"},
    {'3', "fork", "forkdemo", ENDS_WITH_EXIT_0,
     "fork: frames shared copy-on-write, then split as the children write"},
    {'4', "wild", "wild", T_PAGE_FAULT, "a wild pointer: a task writes to the kernel and dies; Koiz goes on"},
    {'5', "churn", "churn", ENDS_WITH_EXIT_0, "churn: eight tasks fork, grow, shrink and unmap in loops"},
    {'6', "idle", 0, ENDS_WITH_EXIT_0, "kernel only: no tasks, the kernel's own address space"},
};
#define NDEMOS (int)(sizeof demos / sizeof demos[0])

void demo_list(void)
{
    kprintf("Keys: s snapshot, t tour of the demos, k stops running tasks, and one demo each:\n");
    for (int i = 0; i < NDEMOS; i++)
        kprintf("  %c  %-6s %s\n", demos[i].key, demos[i].name, demos[i].about);
}

/* Runs a program to its end (or to the time limit, or the k key); says how it ended.
 * label: "Demo heap" or "Program hello". Returns 1 when the k key stopped it. */
static int run_program(const char *label, const struct user_program *p, int dies_of)
{
    struct task_result r;
    uint32_t limit = kernel_options.demo_limit_seconds * PIT_HZ;
    uint64_t start = pit_ticks();
    int stopped = task_run_limited(p->name, p->elf, (uint32_t)p->size, limit, &r);
    uint32_t took = (uint32_t)(pit_ticks() - start);

    if (!r.loaded) {
        kprintf_color(VGA_YELLOW, "%s: %s\n", label, r.why);
    } else if (r.killed && r.kill_code == dies_of) {
        kprintf_color(VGA_LIGHT_CYAN, "%s: %s was killed: %s, as the demo intends (%u.%02u s)\n", label,
                      p->name, kill_code_name(r.kill_code), took / PIT_HZ, took % PIT_HZ);
    } else if (r.killed) {
        kprintf_color(
            VGA_YELLOW, "%s: %s was killed: %s%s\n", label, p->name, kill_code_name(r.kill_code),
            r.kill_code == KILLED_OUT_OF_MEMORY ? " (this machine has too little free memory for it)" : "");
    } else if (dies_of != ENDS_WITH_EXIT_0) {
        kprintf_color(VGA_YELLOW, "%s: %s exited with %d, but it should have died of %s\n", label, p->name,
                      r.exit_code, kill_code_name(dies_of));
    } else if (r.exit_code == 0) {
        kprintf_color(VGA_LIGHT_CYAN, "%s: done (%s exited with 0, %u.%02u s)\n", label, p->name,
                      took / PIT_HZ, took % PIT_HZ);
    } else {
        kprintf_color(VGA_YELLOW, "%s: %s exited with %d: it says above what went wrong\n", label, p->name,
                      r.exit_code);
    }
    if (stopped)
        kprintf_color(VGA_YELLOW, "%s: %d task%s stopped (%s)\n", label, stopped, stopped == 1 ? "" : "s",
                      sched_stats()->last_stop_code == KILLED_TIME_LIMIT ? "demo_limit" : "k key");
    telemetry_request_round(ROUND_REQUEST);
    telemetry_flush();
    return r.killed && r.kill_code == KILLED_BY_KEY;
}

/* One scenario; 1 when the k key stopped it. */
static int run_one(const struct demo *d)
{
    char label[24];
    const struct user_program *p;

    kprintf_color(VGA_LIGHT_CYAN, "Demo %s: %s\n", d->name, d->about);
    if (!d->program) {
        telemetry_request_round(ROUND_REQUEST);
        telemetry_flush();
        return 0;
    }
    p = user_program(d->program);
    if (!p) {
        kprintf_color(VGA_YELLOW, "Demo %s: its program %s is not in this kernel\n", d->name, d->program);
        return 0;
    }
    ksnprintf(label, sizeof label, "Demo %s", d->name);
    return run_program(label, p, d->dies_of);
}

int demo_run(const char *name)
{
    const struct user_program *p;
    char label[32];

    if (kstrcmp(name, "tour") == 0) {
        kprintf_color(VGA_LIGHT_CYAN, "A tour of the demos, one after another:\n");
        for (int i = 0; i < NDEMOS; i++) {
            if (run_one(&demos[i])) {
                kprintf_color(VGA_YELLOW, "The tour stops here (k).\n");
                return 0;
            }
            if (i + 1 < NDEMOS) /* time to look at the scene before the next (tour_pause) */
                pit_wait(kernel_options.tour_pause_seconds * PIT_HZ);
        }
        kprintf_color(VGA_LIGHT_CYAN, "The tour is over.\n");
        return 0;
    }
    for (int i = 0; i < NDEMOS; i++) {
        if (kstrcmp(name, demos[i].name) == 0) {
            run_one(&demos[i]);
            return 0;
        }
    }
    if ((p = user_program(name)) == 0)
        return -1;
    kprintf_color(VGA_LIGHT_CYAN, "Program %s: started by demo=%s\n", p->name, name);
    ksnprintf(label, sizeof label, "Program %s", p->name);
    run_program(label, p, ENDS_WITH_EXIT_0);
    return 0;
}

void demo_unknown(const char *name)
{
    char names[400];
    size_t used = 0;
    for (int i = 0; i < user_program_count && used + 20 < sizeof names; i++)
        used += (size_t)ksnprintf(names + used, sizeof names - used, " %s", user_programs[i].name);
    kprintf_color(VGA_YELLOW,
                  "koiz: demo=%s: no such demo (tour, heap, stack, fork, wild, churn, idle) "
                  "or program (%s )\n",
                  name, names);
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
