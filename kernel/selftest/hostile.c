/*
 * selftests_hostile.c: user programs that attack the kernel (user/, each
 * says what it tries), run as self-tests. After each the kernel must still
 * be here (it runs the next test), every frame must be back where it was,
 * and what the program was told must be what include/koiz/syscall.h
 * promises. That nothing a task wrote became a record on port 0xE9 is
 * judged outside, by the boot test that reads the stream (tests/boot_tests.py:
 * hostile_suite), against the count the kernel gives at power-off.
 *
 * They take a while in Bochs, so they run only when named: selftest=hostile.
 *
 * Running out of memory is made quick at any RAM size: the test holds back
 * all but a few hundred free frames (pmem_hold_back: they stay free and
 * untouched, the allocator just refuses to go below them), runs the program,
 * and lets them go.
 */
#include <koiz/klib.h>
#include <koiz/syscall.h>
#include "../../vmm/heap.h"
#include "../../vmm/pmm.h"
#include "../../vmm/vmm.h"
#include "../dev/console.h"
#include "../fpu.h"
#include "../kernel.h"
#include "../dev/pit.h"
#include "../programs.h"
#include "selftest.h"
#include "../task.h"
#include "../trap.h"

#define TIME_LIMIT (30 * PIT_HZ) /* no hostile program may hang the run */

struct baseline {
    struct pmm_stats pmm;
    uint32_t spaces;
    size_t heap_extent;
};

static void baseline_take(struct baseline *b)
{
    struct heap_stats hs;
    heap_check(&hs);
    b->pmm = *pmem_stats();
    b->spaces = vmm_stats()->spaces;
    b->heap_extent = hs.extent;
}

/* Every frame, space and heap byte back where it was. */
static void baseline_check(const struct baseline *b, const char *after)
{
    const struct pmm_stats *now = pmem_stats();
    struct heap_stats hs;
    heap_check(&hs);
    selftest_check(now->free == b->pmm.free && now->process == b->pmm.process &&
                       now->page_tables == b->pmm.page_tables && now->kernel == b->pmm.kernel,
                   __FILE__, __LINE__,
                   "after %s: frames free %u (was %u), process %u (%u), tables %u (%u), "
                   "kernel %u (%u)",
                   after, now->free, b->pmm.free, now->process, b->pmm.process, now->page_tables,
                   b->pmm.page_tables, now->kernel, b->pmm.kernel);
    selftest_check(vmm_stats()->spaces == b->spaces && hs.extent == b->heap_extent, __FILE__, __LINE__,
                   "after %s: %u spaces (was %u), heap %u bytes (was %u)", after, vmm_stats()->spaces,
                   b->spaces, (unsigned)hs.extent, (unsigned)b->heap_extent);
}

/* Makes only keep frames allocatable (pmem_hold_back holds back the rest, untouched);
 * keep 0 ends it. */
static void shortage(uint32_t keep)
{
    uint32_t free = pmem_stats()->free;
    pmem_hold_back(keep && free > keep ? free - keep : 0);
}

/* Runs program name to its end (30 s at most), with only keep_free frames free
 * (0: as many as there are). 0 when there is no such program. */
static int run(const char *name, uint32_t keep_free, struct task_result *r)
{
    const struct user_program *p = user_program(name);
    if (!selftest_check(p != 0, __FILE__, __LINE__, "no user program %s", name))
        return 0;
    shortage(keep_free);
    task_run_limited(name, p->elf, (uint32_t)p->size, TIME_LIMIT, r);
    shortage(0);
    return 1;
}

/* Runs name and checks it exited 0, saying what it printed if not. */
static void run_expect_0(const char *name, uint32_t keep_free)
{
    struct task_result r;
    if (!run(name, keep_free, &r))
        return;
    selftest_check(r.loaded && !r.killed && r.exit_code == 0, __FILE__, __LINE__,
                   "%s: loaded %d, killed %d (%s), exit %d; it said: %.60s", name, r.loaded, r.killed,
                   r.killed ? kill_code_name(r.kill_code) : "-", r.exit_code, r.output);
}

SELFTEST_EXPLICIT(hostile_oom_then_fork)
{
    /* oomfork ends with exit 0, or killed for a copy-on-write copy (a write to a
     * present page: only pages a fork shared are such) right after the fork that
     * finally worked (see user/oomfork.c). Either way every answer before was the
     * expected error code, or it would have exited saying which was not. */
    struct baseline b;
    struct task_result r;
    baseline_take(&b);
    if (run("oomfork", 300, &r))
        selftest_check(r.loaded && (r.killed ? r.kill_code == KILLED_OUT_OF_MEMORY && (r.kill_error & PFERR_P)
                                             : r.exit_code == 0),
                       __FILE__, __LINE__, "oomfork: killed %d (%s, error %x), exit %d", r.killed,
                       r.killed ? kill_code_name(r.kill_code) : "-", r.kill_error, r.exit_code);
    baseline_check(&b, "oomfork");
}

SELFTEST_EXPLICIT(hostile_oom_kills_say_out_of_memory)
{
    struct baseline b;
    struct task_result r;
    baseline_take(&b);
    run_expect_0("oomcow", 300); /* its child's copy-on-write copy: killed, out of memory */
    if (run("oomstack", 300, &r)) {
        CHECK(r.killed);
        CHECK_EQ(r.kill_code, KILLED_OUT_OF_MEMORY);
        CHECK_EQ(r.kill_vector, T_PAGE_FAULT);
        CHECK_EQ(r.status, WAIT_KILLED | KILLED_OUT_OF_MEMORY);
    }
    baseline_check(&b, "oomcow, oomstack");
}

SELFTEST_EXPLICIT(hostile_exec_too_big)
{
    /* bigexec's 256 KiB of bss are 64 frames, and its code, stack, tables and kernel
     * stack a few more: with 20 free it is refused at once; with 64 to 82 free the
     * load runs out somewhere in the middle, at every step in turn. */
    struct baseline b;
    struct task_result r;
    const struct user_program *p = user_program("bigexec");
    int refused = 0;
    baseline_take(&b);
    if (!CHECK(p != 0))
        return;
    if (run("bigexec", 20, &r)) {
        CHECK(!r.loaded);
        CHECK(kstrstr(r.why, "out of memory") != 0);
    }
    /* One frame more each time. */
    for (uint32_t keep = 64; keep <= 82; keep++) {
        shortage(keep);
        task_run_limited("bigexec", p->elf, (uint32_t)p->size, TIME_LIMIT, &r);
        shortage(0);
        if (!r.loaded) {
            refused++;
            CHECK(kstrstr(r.why, "out of memory") != 0);
        } else {
            CHECK(!r.killed || r.kill_code == KILLED_OUT_OF_MEMORY);
        }
    }
    baseline_check(&b, "bigexec");
    CHECK(refused > 0);
    run_expect_0("bigexec", 0);
    baseline_check(&b, "bigexec");
}

SELFTEST_EXPLICIT(hostile_heap_and_stack_limits)
{
    struct baseline b;
    baseline_take(&b);
    run_expect_0("limits", 0);
    baseline_check(&b, "limits");
}

SELFTEST_EXPLICIT(hostile_fork_bomb)
{
    struct baseline b;
    uint32_t forks = sched_stats()->forks;
    baseline_take(&b);
    run_expect_0("forkbomb", 0);
    CHECK(sched_stats()->forks >= forks + MAX_TASKS - 1);
    baseline_check(&b, "forkbomb");
    /* And with memory short, where fork fails for frames before slots. */
    run_expect_0("forkbomb", 60);
    baseline_check(&b, "forkbomb with 60 frames");
}

SELFTEST_EXPLICIT(hostile_fpu_isolation)
{
    struct baseline b;
    uint32_t traps = fpu_stats()->traps;
    baseline_take(&b);
    run_expect_0("fpuiso", 0);
    /* Lazy switching happened: tasks took #NM and got their own registers. */
    CHECK(fpu_stats()->traps > traps);
    baseline_check(&b, "fpuiso");
}

SELFTEST_EXPLICIT(hostile_forged_records)
{
    struct task_result r;
    if (!run("forge", 0, &r))
        return;
    CHECK(!r.killed && r.exit_code == 0);
    CHECK(kstrstr(r.output, "@KZ1 tests 99 0") != 0); /* it did write them */
}

SELFTEST_EXPLICIT(hostile_write_exact_and_preemptible)
{
    struct task_result r;
    sched_reset_longest_run();
    if (!run("bigwrite", 0, &r))
        return;
    CHECK(!r.killed);
    CHECK_EQ(r.exit_code, 0);
    CHECK(r.output_total >= 1100 + 65536 + 300);
    /* The long writes shared the CPU: no task kept it much past a slice. */
    selftest_check(sched_stats()->longest_run_ticks <= SLICE_TICKS + 1, __FILE__, __LINE__,
                   "a task kept the CPU %u ticks in one go", sched_stats()->longest_run_ticks);
}

SELFTEST_EXPLICIT(hostile_bad_pointers)
{
    struct baseline b;
    baseline_take(&b);
    run_expect_0("badptrs", 0);
    run_expect_0("badcalls", 0);
    baseline_check(&b, "badptrs");
}

SELFTEST_EXPLICIT(hostile_exit_or_killed)
{
    run_expect_0("exitcodes", 0);
}

SELFTEST_EXPLICIT(hostile_endless_tasks_stopped)
{
    struct baseline b;
    struct task_result r;
    const struct user_program *p = user_program("spin");
    uint32_t stopped = sched_stats()->stopped;
    uint64_t start = pit_ticks();
    baseline_take(&b);
    if (!CHECK(p != 0))
        return;
    CHECK_EQ(task_run_limited("spin", p->elf, (uint32_t)p->size, PIT_HZ / 2, &r), 3);
    CHECK(r.killed);
    CHECK_EQ(r.kill_code, KILLED_TIME_LIMIT);
    CHECK_EQ(r.status, WAIT_KILLED | KILLED_TIME_LIMIT);
    CHECK_EQ(sched_stats()->stopped, stopped + 3);
    CHECK(pit_ticks() - start < 2 * PIT_HZ);
    baseline_check(&b, "spin");
}
