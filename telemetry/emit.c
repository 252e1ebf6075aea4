/*
 * emit.c: the memory manager's records (see emit.h), made from its hooks
 * and by walking its tables, and sent through send.c.
 *
 * Snapshots follow Linux's ptdump: a walker visits present entries in
 * address order, and a sink extends the current run while the next entry
 * continues it (same flags, next index, next frame) and sends one record
 * when the run breaks. So a 32 MiB direct map is one `pde` record, and an
 * identity map of 4 GiB is 1,024 `pte` records, not a million.
 *
 * Events carry the entry as the CPU will see it, read back from the tables
 * after vmm wrote them, so flags vmm adds itself (global, present) are in.
 *
 * The physical frames are pmm's records told the same way: in a round, every
 * frame from address 0 to the end of RAM as runs of one owner and reference
 * count (`physmap`, `phys`..., `physend`); between rounds, each allocation
 * and release as it happens, consecutive frames of one owner gathered into
 * one `alloc` or `free` record. A gathered run is held back only until the
 * next record of any kind is sent (send.c asks for it first), so the stream
 * keeps the order things happened in.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>
#include <koiz/protocol.h>
#include "../vmm/hooks.h"
#include "../vmm/vmm.h"
#include "emit.h"

static uint32_t snapshot_seq, round_seq, physmap_seq;

/* ---- the physical frames ------------------------------------------------ */

/* The protocol's word for what pmm says a frame holds. */
static const uint8_t owner_of_use[FRAME_USES] = {
    [FRAME_ABSENT] = OWNER_HOLE,        [FRAME_RESERVED] = OWNER_RESERVED,   [FRAME_FREE] = OWNER_FREE,
    [FRAME_KERNEL] = OWNER_HEAP,        [FRAME_PAGE_TABLE] = OWNER_TABLE,    [FRAME_PROCESS] = OWNER_USER,
    [FRAME_PAGE_DIR] = OWNER_DIRECTORY, [FRAME_IMAGE] = OWNER_IMAGE,         [FRAME_BOOT] = OWNER_BOOT,
    [FRAME_RECORDS] = OWNER_RECORDS,    [FRAME_TELEMETRY] = OWNER_TELEMETRY,
};
_Static_assert(FRAME_USES == 11, "a word for every use pmm knows");

enum word_OWNER tel_owner_of(enum frame_use use)
{
    return (unsigned)use < FRAME_USES ? (enum word_OWNER)owner_of_use[use] : OWNER_HOLE;
}

uint32_t tel_run_hash(uint32_t hash, uint32_t pa, uint32_t count, uint32_t owner, uint32_t refs)
{
    uint32_t words[4] = {pa, count, owner, refs};
    for (int w = 0; w < 4; w++)
        for (int b = 0; b < 4; b++) {
            hash ^= (words[w] >> (8 * b)) & 0xFF;
            hash *= 16777619u; /* FNV-1a */
        }
    return hash;
}

static struct tel_physmap_sent physmap_sent;

const struct tel_physmap_sent *tel_physmap_sent(void)
{
    return &physmap_sent;
}

/* A run of frames being gathered for one `phys` record. */
struct prun {
    int active;
    uint32_t first, count, refs; /* frame numbers */
    enum word_OWNER owner;
};

static void prun_flush(struct prun *r)
{
    if (!r->active)
        return;
    tel_send_phys(&(struct rec_phys){
        .pa = r->first << PAGE_SHIFT, .count = r->count, .owner = r->owner, .refs = r->refs});
    physmap_sent.runs++;
    physmap_sent.frames_of[r->owner] += r->count;
    physmap_sent.hash = tel_run_hash(physmap_sent.hash, r->first << PAGE_SHIFT, r->count, r->owner, r->refs);
    r->active = 0;
}

static void prun_add(struct prun *r, uint32_t frame, uint32_t count, enum word_OWNER owner, uint32_t refs)
{
    if (r->active && r->owner == owner && r->refs == refs && r->first + r->count == frame) {
        r->count += count;
        return;
    }
    prun_flush(r);
    *r = (struct prun){1, frame, count, refs, owner};
}

void tel_physmap(void)
{
    const struct pmm_span *unused;
    uint32_t f, end = pmm_nframes;
    struct prun run = {0};
    int n;

    if (!tel_has_sink())
        return;
    unused = pmem_unused(&n);
    if (n && unused[n - 1].end > end)
        end = unused[n - 1].end;
    kmemset(&physmap_sent, 0, sizeof physmap_sent);
    physmap_sent.seq = ++physmap_seq;
    physmap_sent.frames = end;
    physmap_sent.hash = TEL_RUN_HASH_START;
    tel_send_physmap(&(struct rec_physmap){.tick = tel_now(), .seq = physmap_sent.seq, .frames = end});
    for (f = 0; f < pmm_nframes; f++) {
        const struct pmm_frame *rec = &pmm_frames[f];
        prun_add(&run, f, 1, tel_owner_of((enum frame_use)rec->use),
                 pmem_use_referenced((enum frame_use)rec->use) ? rec->refs : 0);
    }
    /* Above the top: RAM pmm leaves alone, and the holes between. */
    for (int i = 0; i < n; i++) {
        if (unused[i].end <= f)
            continue;
        if (unused[i].first > f)
            prun_add(&run, f, unused[i].first - f, OWNER_HOLE, 0);
        f = unused[i].first > f ? unused[i].first : f;
        prun_add(&run, f, unused[i].end - f, OWNER_UNUSED, 0);
        f = unused[i].end;
    }
    prun_flush(&run);
    tel_send_physend(&(struct rec_physend){.seq = physmap_sent.seq, .runs = physmap_sent.runs});
}

/* Allocations or releases being gathered into one record, sent before anything else is. */
static struct {
    int active, alloc;
    uint32_t tick, pa, count;
    enum word_OWNER owner;
} held;

static void held_send(void)
{
    if (!held.active)
        return;
    held.active = 0;
    tel_before_next_send(0);
    if (held.alloc)
        tel_send_alloc(
            &(struct rec_alloc){.tick = held.tick, .pa = held.pa, .count = held.count, .owner = held.owner});
    else
        tel_send_free(
            &(struct rec_free){.tick = held.tick, .pa = held.pa, .count = held.count, .owner = held.owner});
}

static void on_frame_use(uint32_t pa, enum frame_use from, enum frame_use to)
{
    int alloc = from == FRAME_FREE;
    enum word_OWNER owner = tel_owner_of(alloc ? to : from);

    if (held.active && held.alloc == alloc && held.owner == owner && pa == held.pa + held.count * PAGE_SIZE) {
        held.count++;
        return;
    }
    held_send();
    tel_before_next_send(held_send); /* it goes out before anything else does */
    held.active = 1;
    held.alloc = alloc;
    held.tick = tel_now();
    held.pa = pa;
    held.count = 1;
    held.owner = owner;
}

/* ---- regions ------------------------------------------------------------ */

/* The protocol's word for what a region holds. */
static const uint8_t holds_of_use[] = {
    [REGION_FOR_OTHER] = HOLDS_OTHER, [REGION_FOR_CODE] = HOLDS_CODE,
    [REGION_FOR_DATA] = HOLDS_DATA,   [REGION_FOR_RODATA] = HOLDS_RODATA,
    [REGION_FOR_HEAP] = HOLDS_HEAP,   [REGION_FOR_STACK] = HOLDS_STACK,
    [REGION_FOR_GUARD] = HOLDS_GUARD, [REGION_FOR_KERNEL_HEAP] = HOLDS_KHEAP,
};
_Static_assert(sizeof holds_of_use == REGION_FOR_KERNEL_HEAP + 1, "a word for every region use vmm knows");

static enum word_HOLDS holds_of(enum region_use use)
{
    return (unsigned)use < sizeof holds_of_use ? (enum word_HOLDS)holds_of_use[use] : HOLDS_OTHER;
}

static void on_region(struct address_space *as, const struct vmm_region *r, enum region_change change)
{
    tel_send_region(&(struct rec_region){.tick = tel_now(),
                                         .asid = (uint32_t)as->id,
                                         .start = r->start,
                                         .end = r->end,
                                         .kind = holds_of(r->use),
                                         .change = change == REGION_ADDED     ? CHANGE_ADD
                                                   : change == REGION_RESIZED ? CHANGE_RESIZE
                                                                              : CHANGE_REMOVE});
}

/* The regions of as, in a snapshot: `region asid i n ... held`, i from 0 to n-1. */
static void snapshot_regions(const struct address_space *as)
{
    for (int i = 0; i < as->nregions; i++)
        tel_send_region_held(&(struct rec_region_held){.asid = (uint32_t)as->id,
                                                       .index = (uint32_t)i,
                                                       .count = (uint32_t)as->nregions,
                                                       .start = as->regions[i].start,
                                                       .end = as->regions[i].end,
                                                       .kind = holds_of(as->regions[i].use)});
}

/* ---- snapshots ---------------------------------------------------------- */

struct run {
    int active;
    uint32_t pdi, first, count, entry; /* entry of the run's first slot */
    uint32_t step;                     /* frame distance between neighbours */
};

struct snapshot {
    uint32_t asid;
    struct run pde, pte;
    uint32_t pdes, ptes, records;
};

static void run_flush(struct snapshot *s, struct run *r, int is_pde)
{
    if (!r->active)
        return;
    if (is_pde)
        tel_send_pde(
            &(struct rec_pde){.asid = s->asid, .first = r->first, .count = r->count, .entry = r->entry});
    else
        tel_send_pte(&(struct rec_pte){
            .asid = s->asid, .pde = r->pdi, .first = r->first, .count = r->count, .entry = r->entry});
    s->records++;
    r->active = 0;
}

/* Extends r with the entry at (pdi, index), or sends r and starts anew. */
static void run_add(struct snapshot *s, struct run *r, int is_pde, uint32_t pdi, uint32_t index,
                    uint32_t entry, uint32_t step)
{
    if (r->active && r->pdi == pdi && r->first + r->count == index && r->step == step &&
        (r->entry & PTE_FLAGS) == (entry & PTE_FLAGS) &&
        frame_of(entry) == frame_of(r->entry) + r->count * step) {
        r->count++;
        return;
    }
    run_flush(s, r, is_pde);
    r->active = 1;
    r->pdi = pdi;
    r->first = index;
    r->count = 1;
    r->entry = entry;
    r->step = step;
}

/* Two passes over the walk, so every `pde` record comes before the `pte`
 * records of its table: a reader never sees entries of a table it does not know. */
static int snapshot_visit_directory(void *ctx, const struct vmm_entry *e)
{
    struct snapshot *s = ctx;
    if (e->level != VMM_WALK_PAGE) {
        s->pdes++;
        run_add(s, &s->pde, 1, 0, e->pdi, e->entry, e->level == VMM_WALK_LARGE ? LARGE_PAGE_SIZE : PAGE_SIZE);
    }
    return 0;
}

static int snapshot_visit_tables(void *ctx, const struct vmm_entry *e)
{
    struct snapshot *s = ctx;
    if (e->level == VMM_WALK_PAGE) {
        s->ptes++;
        run_add(s, &s->pte, 0, e->pdi, e->pti, e->entry, PAGE_SIZE);
    }
    return 0;
}

void tel_snapshot(const struct address_space *as)
{
    struct snapshot s;
    uint32_t seq = ++snapshot_seq;

    if (!tel_has_sink() || !as)
        return;
    kmemset(&s, 0, sizeof s);
    s.asid = (uint32_t)as->id;
    tel_send_snap(&(struct rec_snap){.seq = seq, .asid = s.asid, .cr3 = as->pd_phys, .tick = tel_now()});
    vmm_walk(as, VMM_WALK_USER | VMM_WALK_KERNEL, snapshot_visit_directory, &s);
    run_flush(&s, &s.pde, 1);
    vmm_walk(as, VMM_WALK_USER | VMM_WALK_KERNEL, snapshot_visit_tables, &s);
    run_flush(&s, &s.pte, 0);
    snapshot_regions(as);
    tel_send_end(
        &(struct rec_end){.seq = seq, .asid = s.asid, .pdes = s.pdes, .ptes = s.ptes, .records = s.records});
    tel_count_snapshot();
}

void tel_round(enum word_ROUND reason)
{
    const struct address_space *cur = vmm_current_space();
    uint32_t seq = ++round_seq, spaces = 0;

    if (!tel_has_sink())
        return;
    for (int slot = 0; slot < VMM_MAX_SPACES; slot++)
        spaces += vmm_space_at(slot) != 0;
    tel_send_round(&(struct rec_round){.tick = tel_now(), .seq = seq, .spaces = spaces, .reason = reason});
    /* The live one last, so a reader's "current" view is the freshest. */
    for (int slot = 0; slot < VMM_MAX_SPACES; slot++) {
        const struct address_space *as = vmm_space_at(slot);
        if (as && as != cur)
            tel_snapshot(as);
    }
    if (cur)
        tel_snapshot(cur);
    tel_physmap();
    tel_send_sync(&(struct rec_sync){.tick = tel_now(), .seq = seq, .spaces = spaces});
    tel_count_round();
}

/* ---- events (the vmm hooks) --------------------------------------------- */

/* The entry of the page at va as the CPU sees it: PTE, or PDE for a 4 MiB page. */
static uint32_t live_entry(const struct address_space *as, uint32_t va, int *large)
{
    struct vmm_translation t;
    if (vmm_translate(as, va, &t) != VMM_OK) {
        *large = 0;
        return 0;
    }
    *large = t.large;
    return t.large ? t.pde : t.pte;
}

static void on_map(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags)
{
    if (!tel_event_wanted())
        return;
    int large;
    uint32_t entry = live_entry(as, va, &large);
    (void)flags;
    if (!entry)
        return;
    /* Accessed/dirty are the CPU's business; a fresh mapping starts without them. */
    entry = frame_of(pa) | (entry & PTE_FLAGS & ~(uint32_t)(PTE_A | PTE_D));
    tel_send_map(&(struct rec_map){.tick = tel_now(),
                                   .asid = (uint32_t)as->id,
                                   .va = va,
                                   .size = large ? SIZE_4M : SIZE_4K,
                                   .count = bytes / (large ? LARGE_PAGE_SIZE : PAGE_SIZE),
                                   .entry = entry});
}

static void on_remap(struct address_space *as, uint32_t va, uint32_t pa, uint32_t bytes, uint32_t flags)
{
    if (!tel_event_wanted())
        return;
    int large;
    uint32_t entry = live_entry(as, va, &large);
    (void)flags;
    entry = frame_of(pa) | (entry & PTE_FLAGS & ~(uint32_t)(PTE_A | PTE_D));
    tel_send_remap(&(struct rec_remap){.tick = tel_now(),
                                       .asid = (uint32_t)as->id,
                                       .va = va,
                                       .size = SIZE_4K,
                                       .count = bytes / PAGE_SIZE,
                                       .entry = entry});
}

static void on_unmap(struct address_space *as, uint32_t va, uint32_t bytes, int large)
{
    if (!tel_event_wanted())
        return;
    tel_send_unmap(&(struct rec_unmap){.tick = tel_now(),
                                       .asid = (uint32_t)as->id,
                                       .va = va,
                                       .size = large ? SIZE_4M : SIZE_4K,
                                       .count = bytes / (large ? LARGE_PAGE_SIZE : PAGE_SIZE)});
}

static void on_protect(struct address_space *as, uint32_t va, uint32_t bytes, uint32_t flags)
{
    if (!tel_event_wanted())
        return;
    int large;
    uint32_t entry = live_entry(as, va, &large);
    (void)flags;
    tel_send_protect(&(struct rec_protect){.tick = tel_now(),
                                           .asid = (uint32_t)as->id,
                                           .va = va,
                                           .size = SIZE_4K,
                                           .count = bytes / PAGE_SIZE,
                                           .flags = entry & PTE_FLAGS & ~(uint32_t)(PTE_A | PTE_D)});
}

static void on_table_alloc(struct address_space *as, uint32_t pdi, uint32_t table_pa)
{
    if (!tel_event_wanted())
        return;
    (void)table_pa;
    tel_send_ptab_alloc(&(struct rec_ptab_alloc){
        .tick = tel_now(), .asid = (uint32_t)as->id, .pde = pdi, .entry = as->pd[pdi]});
}

static void on_table_free(struct address_space *as, uint32_t pdi, uint32_t table_pa)
{
    if (!tel_event_wanted())
        return;
    (void)table_pa;
    tel_send_ptab_free(&(struct rec_ptab_free){.tick = tel_now(), .asid = (uint32_t)as->id, .pde = pdi});
}

static void on_space_create(struct address_space *as)
{
    if (!tel_event_wanted())
        return;
    /* No snapshot: a new space is its empty user half and the kernel half
     * every space shares, which a reader has already (docs/protocol.md). */
    tel_send_space_create(
        &(struct rec_space_create){.tick = tel_now(), .asid = (uint32_t)as->id, .cr3 = as->pd_phys});
}

static void on_space_fork(struct address_space *src, struct address_space *dst)
{
    if (!tel_event_wanted())
        return;
    tel_send_fork(
        &(struct rec_fork){.tick = tel_now(), .parent = (uint32_t)src->id, .asid = (uint32_t)dst->id});
}

static void on_space_destroy(struct address_space *as)
{
    if (!tel_event_wanted())
        return;
    tel_send_space_destroy(
        &(struct rec_space_destroy){.tick = tel_now(), .asid = (uint32_t)as->id, .cr3 = as->pd_phys});
}

static void on_space_switch(struct address_space *from, struct address_space *to)
{
    if (!tel_event_wanted())
        return;
    (void)from;
    tel_send_space_switch(
        &(struct rec_space_switch){.tick = tel_now(), .asid = (uint32_t)to->id, .cr3 = to->pd_phys});
}

static void on_tlb_flush(uint32_t va, int all)
{
    if (!tel_event_wanted())
        return;
    if (all)
        tel_send_tlb_all(&(struct rec_tlb_all){.tick = tel_now()});
    else
        tel_send_tlb_page(&(struct rec_tlb_page){.tick = tel_now(), .va = va});
}

/* The wire's word for a fault: what vmm made of it, and for one it did not
 * resolve, what the kernel did (its verdict). */
static enum word_OUTCOME outcome_word(const struct vmm_fault *f)
{
    switch (f->outcome) {
    case FAULT_RESOLVED: return f->copy_on_write ? OUTCOME_COPIED : OUTCOME_ZERO_FILLED;
    case FAULT_STACK_OVERFLOW: return OUTCOME_STACK_OVERFLOW;
    case FAULT_OUT_OF_MEMORY: return OUTCOME_OUT_OF_MEMORY;
    default:
        return f->verdict == VERDICT_KILLS      ? OUTCOME_KILLED
               : f->verdict == VERDICT_EXPECTED ? OUTCOME_EXPECTED
                                                : OUTCOME_FATAL;
    }
}

static void on_fault(const struct vmm_fault *f)
{
    if (!tel_event_wanted())
        return;
    /* The space that was live: for a kernel address vmm decides by the kernel's
     * regions (f->space), but it is the live task's access that faulted. */
    const struct address_space *live = vmm_current_space();
    tel_send_fault(&(struct rec_fault){.tick = tel_now(),
                                       .asid = (uint32_t)(live       ? live->id
                                                          : f->space ? f->space->id
                                                                     : 0),
                                       .cr2 = f->cr2,
                                       .eip = f->eip,
                                       .error = f->error,
                                       .outcome = outcome_word(f)});
}

/* Counters change with nearly every operation; they go out at most once per
 * tel_send_counters call (the kernel calls it between tasks, at most once a
 * tick, and in every round), when changed. */
static struct pmm_stats sent;

void tel_send_counters(int force)
{
    const struct pmm_stats *p = pmem_stats();
    held_send(); /* the counters count what it tells */
    if (!force && p->free == sent.free && p->page_tables == sent.page_tables && p->kernel == sent.kernel &&
        p->process == sent.process && p->total == sent.total)
        return;
    sent = *p;
    tel_send_frames(&(struct rec_frames){.tick = tel_now(),
                                         .total = p->total,
                                         .free = p->free,
                                         .tables = p->page_tables,
                                         .kernel = p->kernel,
                                         .process = p->process});
}

void tel_hooks(int on)
{
    static const struct vmm_hooks hooks = {
        .map_range = on_map,
        .remap_range = on_remap,
        .unmap_range = on_unmap,
        .protect_range = on_protect,
        .table_alloc = on_table_alloc,
        .table_free = on_table_free,
        .space_create = on_space_create,
        .space_destroy = on_space_destroy,
        .space_fork = on_space_fork,
        .space_switch = on_space_switch,
        .tlb_flush = on_tlb_flush,
        .fault = on_fault,
        .frame_use = on_frame_use,
        .region = on_region,
    };
    held_send();
    vmm_set_hooks(on ? &hooks : 0);
}

void tel_emit_start(const struct tel_sink *s)
{
    tel_set_sink(s);
    tel_hooks(s != 0);
}
