/*
 * test_model.c: a randomized model test. Over 120,000 steps, random map,
 * unmap, protect, translate, range, share, switch, clone, copy-on-write
 * fork, write (through the fault handler) and destroy operations run
 * against four address spaces and against a shadow map
 * (what each page should map to); after every step the pages touched, the
 * space's counters and a random probe are compared with the shadow, and
 * every 1,000 steps everything is, invariants and frame references too.
 *
 * The seed comes from KOIZ_SEED or the clock and is printed first, and in
 * every failure message: KOIZ_SEED=<seed> repeats a run exactly.
 *
 *   host_boot's 64 MiB machine (host_arch.h). The 96 pages in play per
 *   space (slots), chosen so tables fill, empty and ranges cross tables:
 *
 *   PDE    0     1     2     300     766     767
 *   PTEs 0..7 and 1016..1023 of each     (0x003FE000 + 0x2000 -> PDE 1, ...)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "host_arch.h"
#include "../pmm.h"
#include "../vmm.h"

#define SPACES      4
#define STEPS       120000
#define NPDE        6
#define SLOTS       (NPDE * 16)
#define DEVICE_BASE 0x80000000u /* physical addresses pmm does not manage */

static const uint32_t pdes[NPDE] = {0, 1, 2, 300, 766, 767};
static struct address_space *space[SPACES];
static uint32_t shadow[SPACES][SLOTS]; /* expected PTE: frame | flags | P, or 0 */
static uint32_t seed, rng;
static unsigned long step;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond))                                                                         \
            fail_msg("seed %u step %lu (%s:%d): %s", seed, step, __FILE__, __LINE__, #cond); \
    } while (0)
#define CHECK_EQ(a, b)                                                                              \
    do {                                                                                            \
        unsigned long _a = (unsigned long)(a), _b = (unsigned long)(b);                             \
        if (_a != _b)                                                                               \
            fail_msg("seed %u step %lu (%s:%d): %s is 0x%lx, expected 0x%lx", seed, step, __FILE__, \
                     __LINE__, #a, _a, _b);                                                         \
    } while (0)

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static uint32_t slot_va(int slot)
{
    int pti = slot % 16;
    return page_va(pdes[slot / 16], pti < 8 ? (uint32_t)pti : 1016u + (uint32_t)(pti - 8));
}

static int va_slot(uint32_t va)
{
    int i;
    for (i = 0; i < SLOTS; i++)
        if (slot_va(i) == va)
            return i;
    return -1;
}

static uint32_t random_flags(void)
{
    static const uint32_t extra[] = {0, PTE_W, PTE_W, PTE_PCD, PTE_PWT | PTE_W};
    return PTE_U | extra[rnd(5)];
}

static int managed(uint32_t pa)
{
    return pmem_use(pa) == FRAME_PROCESS;
}

/* The page at slot of space s is what the shadow says. */
static void check_slot(int s, int slot)
{
    struct vmm_translation t;
    int err = vmm_translate(space[s], slot_va(slot), &t);
    if (!shadow[s][slot]) {
        CHECK_EQ(err, VMM_ENOENT);
        CHECK_EQ(vmem_get_phys_addr(space[s]->pd, slot_va(slot)), 0);
        return;
    }
    CHECK_EQ(err, VMM_OK);
    CHECK_EQ(t.pa, frame_of(shadow[s][slot]));
    CHECK_EQ(t.flags & ~(PTE_A | PTE_D), shadow[s][slot] & PTE_FLAGS);
    CHECK_EQ(vmem_get_phys_addr(space[s]->pd, slot_va(slot) + 0x7C), frame_of(shadow[s][slot]) + 0x7C);
}

/* The counters of space s match the shadow. */
static void check_counts(int s)
{
    uint32_t pages = 0, tables = 0;
    int p, i;
    for (p = 0; p < NPDE; p++) {
        int used = 0;
        for (i = 0; i < 16; i++)
            used += shadow[s][p * 16 + i] != 0;
        pages += (uint32_t)used;
        tables += used > 0;
    }
    CHECK_EQ(space[s]->pages, pages);
    CHECK_EQ(space[s]->tables, tables);
}

/* Everything: every slot, counters, invariants, and each frame's references
 * equal to the number of mappings holding it. */
static void check_all(void)
{
    int s, slot, s2, slot2;
    for (s = 0; s < SPACES; s++) {
        for (slot = 0; slot < SLOTS; slot++)
            check_slot(s, slot);
        check_counts(s);
        vmm_check(space[s]);
    }
    for (s = 0; s < SPACES; s++) {
        for (slot = 0; slot < SLOTS; slot++) {
            uint32_t pa = frame_of(shadow[s][slot]), n = 0;
            if (!shadow[s][slot] || !managed(pa))
                continue;
            for (s2 = 0; s2 < SPACES; s2++)
                for (slot2 = 0; slot2 < SLOTS; slot2++)
                    n += shadow[s2][slot2] && frame_of(shadow[s2][slot2]) == pa;
            CHECK_EQ(pmem_frame(pa)->refs, n);
        }
    }
}

static void op_map(int s, int slot)
{
    uint32_t flags = random_flags(), pa;
    int invalid = rnd(20) == 0, err;
    if (invalid)
        flags &= ~PTE_U;
    pa = pmem_alloc_for(FRAME_PROCESS);
    CHECK(pa != 0);
    host_ram[pa] = (unsigned char)step;
    err = vmm_map(space[s], slot_va(slot), pa, flags);
    pmem_unref(pa);
    if (invalid)
        CHECK_EQ(err, VMM_EINVAL);
    else if (shadow[s][slot])
        CHECK_EQ(err, VMM_EEXIST);
    else {
        CHECK_EQ(err, VMM_OK);
        shadow[s][slot] = pa | flags | PTE_P;
    }
}

/* Maps a frame space s2 already maps into space s too. */
static void op_share(int s, int slot)
{
    int s2 = (int)rnd(SPACES), slot2 = (int)rnd(SLOTS);
    uint32_t pa = frame_of(shadow[s2][slot2]);
    int err;
    if (!shadow[s2][slot2])
        return;
    err = vmm_map(space[s], slot_va(slot), pa, PTE_U);
    if (shadow[s][slot]) {
        CHECK_EQ(err, VMM_EEXIST);
    } else {
        CHECK_EQ(err, VMM_OK);
        shadow[s][slot] = pa | PTE_U | PTE_P;
    }
}

static void op_unmap(int s, int slot)
{
    uint32_t pa = 0;
    int err = vmm_unmap(space[s], slot_va(slot), &pa);
    if (!shadow[s][slot]) {
        CHECK_EQ(err, VMM_ENOENT);
        return;
    }
    CHECK_EQ(err, VMM_OK);
    CHECK_EQ(pa, frame_of(shadow[s][slot]));
    shadow[s][slot] = 0;
    if (space[s] == vmm_current_space())
        CHECK_EQ(host_log.last_invlpg, slot_va(slot));
}

/* The frame of slot after a protect: a copy-on-write page may have been
 * given a copy, with the same contents. */
static uint32_t frame_after_protect(int s, int slot)
{
    uint32_t old = frame_of(shadow[s][slot]), pa = vmem_get_phys_addr(space[s]->pd, slot_va(slot));
    if (!(shadow[s][slot] & PTE_COW))
        CHECK_EQ(pa, old);
    else if (pa != old)
        CHECK(memcmp(host_ram + pa, host_ram + old, 4096) == 0);
    return pa;
}

static void op_protect(int s, int slot)
{
    uint32_t flags = random_flags();
    int err = vmm_protect(space[s], slot_va(slot), flags);
    if (!shadow[s][slot]) {
        CHECK_EQ(err, VMM_ENOENT);
        return;
    }
    CHECK_EQ(err, VMM_OK);
    shadow[s][slot] = frame_after_protect(s, slot) | flags | PTE_P;
}

/* A write as the CPU makes it: a fault first unless the PTE allows it. A
 * copy-on-write page gets a frame of its own (a copy, or the same frame
 * once it is the last mapping); nothing else here has a region to help. */
static void op_write(int s, int slot)
{
    uint32_t want = shadow[s][slot], va = slot_va(slot), pa;
    enum fault_outcome o;
    if (want & PTE_W) {
        if (managed(frame_of(want))) /* device frames are beyond host_ram */
            host_ram[frame_of(want) + 1] = (unsigned char)step;
        return;
    }
    o = fault_at(space[s], va + rnd(4096), want ? PFERR_P | PFERR_W | PFERR_U : PFERR_W | PFERR_U, 0);
    if (!(want & PTE_COW)) {
        CHECK_EQ(o, FAULT_BAD);
        return;
    }
    CHECK_EQ(o, FAULT_RESOLVED);
    pa = vmem_get_phys_addr(space[s]->pd, va);
    if (pa != frame_of(want))
        CHECK(memcmp(host_ram + pa, host_ram + frame_of(want), 4096) == 0);
    else
        CHECK_EQ(pmem_frame(pa)->refs, 1);
    shadow[s][slot] = pa | (want & PTE_FLAGS & ~PTE_COW) | PTE_W;
    host_ram[pa + 1] = (unsigned char)step;
}

/* A run of n slots with consecutive addresses starting at slot, n >= 1. */
static int run_length(int slot, int want)
{
    int n = 1;
    while (n < want && va_slot(slot_va(slot) + (uint32_t)n * 4096) >= 0)
        n++;
    return n;
}

static void op_range(int s, int slot, int kind)
{
    int n = run_length(slot, 1 + (int)rnd(8)), present = 0, i, err;
    uint32_t va = slot_va(slot), flags = random_flags();
    uint32_t pa = DEVICE_BASE + rnd(0x1000) * 0x10000;
    for (i = 0; i < n; i++)
        present += shadow[s][va_slot(va + (uint32_t)i * 4096)] != 0;
    if (kind == 0) {
        err = vmm_map_range(space[s], va, pa, (uint32_t)n, flags);
        CHECK_EQ(err, present ? VMM_EEXIST : VMM_OK);
        for (i = 0; !present && i < n; i++)
            shadow[s][va_slot(va + (uint32_t)i * 4096)] = (pa + (uint32_t)i * 4096) | flags | PTE_P;
    } else if (kind == 1) {
        err = vmm_unmap_range(space[s], va, (uint32_t)n);
        CHECK_EQ(err, present == n ? VMM_OK : VMM_ENOENT);
        for (i = 0; present == n && i < n; i++)
            shadow[s][va_slot(va + (uint32_t)i * 4096)] = 0;
    } else {
        err = vmm_protect_range(space[s], va, (uint32_t)n, flags);
        CHECK_EQ(err, present == n ? VMM_OK : VMM_ENOENT);
        for (i = 0; present == n && i < n; i++) {
            int k = va_slot(va + (uint32_t)i * 4096);
            shadow[s][k] = frame_after_protect(s, k) | flags | PTE_P;
        }
    }
    for (i = 0; i < n; i++)
        check_slot(s, va_slot(va + (uint32_t)i * 4096));
}

/* Replaces space t by a copy-on-write fork of space s: the same frames;
 * writable RAM becomes read-only + COW on both sides. */
static void op_fork(int s, int t)
{
    int slot;
    space[t] = vmm_space_fork(space[s]);
    CHECK(space[t] != 0);
    for (slot = 0; slot < SLOTS; slot++) {
        uint32_t want = shadow[s][slot];
        if (want && (want & PTE_W) && managed(frame_of(want)))
            shadow[s][slot] = want = (want & ~PTE_W) | PTE_COW;
        shadow[t][slot] = want;
    }
}

/* Replaces space t by a clone of space s (or by a fresh space if s == t);
 * half the time by a fork instead. */
static void op_clone(int s, int t)
{
    struct address_space *old = space[t];
    int slot;
    if (old == vmm_current_space())
        vmm_space_switch(vmm_kernel_space());
    CHECK_EQ(vmm_space_destroy(old), VMM_OK);
    if (s == t) {
        memset(shadow[t], 0, sizeof shadow[t]);
        space[t] = vmm_space_create();
        CHECK(space[t] != 0);
        return;
    }
    if (rnd(2)) {
        op_fork(s, t);
        return;
    }
    space[t] = vmm_space_clone(space[s]);
    CHECK(space[t] != 0);
    for (slot = 0; slot < SLOTS; slot++) {
        uint32_t want = shadow[s][slot], pa;
        if (!want) {
            shadow[t][slot] = 0;
            continue;
        }
        pa = vmem_get_phys_addr(space[t]->pd, slot_va(slot));
        if (managed(frame_of(want))) {
            CHECK(pa != frame_of(want));
            CHECK(memcmp(host_ram + pa, host_ram + frame_of(want), 4096) == 0);
        } else {
            CHECK_EQ(pa, frame_of(want));
        }
        /* A COW page is logically writable: its clone is a writable copy. */
        shadow[t][slot] = pa | (want & PTE_FLAGS & ~PTE_COW) | ((want & PTE_COW) ? PTE_W : 0);
    }
}

static void test_model(void **state)
{
    struct pmm_stats base;
    const char *env = getenv("KOIZ_SEED");
    int s;
    (void)state;
    seed = env ? (uint32_t)strtoul(env, 0, 0) : (uint32_t)time(0);
    rng = seed ? seed : 1;
    printf("test_model: seed %u (KOIZ_SEED=%u repeats this run)\n", seed, seed);
    host_boot(HOST_RAM_SIZE, 1, 1);
    pmem_set_junk_fill(0); /* speed; test_pmm covers junk filling */
    memcpy(&base, pmem_stats(), sizeof base);
    memset(shadow, 0, sizeof shadow);
    for (s = 0; s < SPACES; s++)
        CHECK((space[s] = vmm_space_create()) != 0);

    for (step = 0; step < STEPS; step++) {
        int r = (int)rnd(100), slot = (int)rnd(SLOTS);
        s = (int)rnd(SPACES);
        if (r < 30)
            op_map(s, slot);
        else if (r < 50)
            op_unmap(s, slot);
        else if (r < 60)
            op_protect(s, slot);
        else if (r < 65)
            check_slot(s, slot); /* translate */
        else if (r < 70)
            op_write(s, slot);
        else if (r < 78)
            op_range(s, slot, 0);
        else if (r < 86)
            op_range(s, slot, 1);
        else if (r < 90)
            op_range(s, slot, 2);
        else if (r < 96)
            op_share(s, slot);
        else if (r < 99)
            vmm_space_switch(space[s]);
        else if (rnd(10) == 0)
            op_clone((int)rnd(SPACES), s);
        check_slot(s, slot);
        check_counts(s);
        check_slot((int)rnd(SPACES), (int)rnd(SLOTS));
        if (step % 1000 == 999)
            check_all();
    }
    check_all();

    vmm_space_switch(vmm_kernel_space());
    for (s = 0; s < SPACES; s++)
        CHECK_EQ(vmm_space_destroy(space[s]), VMM_OK);
    CHECK_EQ(pmem_stats()->free, base.free);
    CHECK_EQ(pmem_stats()->process, base.process);
    CHECK_EQ(pmem_stats()->page_tables, base.page_tables);
    CHECK_EQ(vmm_stats()->spaces, 1);
    printf("test_model: %lu steps, %u maps, %u unmaps, %u protects, %u tables made and freed, "
           "%u forks, %u COW copies, %u COW reuses\n",
           step, vmm_stats()->maps, vmm_stats()->unmaps, vmm_stats()->protects,
           vmm_stats()->tables_allocated - 8, vmm_stats()->forks, vmm_stats()->cow_copies,
           vmm_stats()->cow_reuses);
    pmem_set_junk_fill(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
