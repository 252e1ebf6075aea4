/*
 * model_walk.c: an address followed through the model's tables as the MMU
 * does, and said in words (model_walk.h).
 *
 *   CR3 -> directory[va >> 22] -- PS --> 4 MiB page + (va & 0x3fffff)
 *                 |
 *                 +-> table[(va >> 12) & 1023] -> frame + (va & 0xfff)
 *
 * Access rights are the two levels' together: a user access needs U in
 * both entries, a write needs W in both (supervisor writes too: Koiz runs
 * with CR0.WP set).
 */
#include <string.h>
#include "model_walk.h"

const char *entry_bits(uint32_t entry, bool dir, char *buf, size_t size)
{
    static const struct {
        uint32_t bit;
        const char *word;
    } bits[] = {{PTE_P, "P"},     {PTE_W, "W"},     {PTE_U, "U"},          {PTE_PWT, "PWT"},
                {PTE_PCD, "PCD"}, {PTE_A, "A"},     {PTE_D, "D"},          {PDE_PS, "PS"},
                {PTE_G, "G"},     {PTE_COW, "COW"}, {PTE_DETACHED, "avl2"}};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if (!(entry & bits[i].bit) || (bits[i].bit == PDE_PS && !dir))
            continue;
        n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s", n ? " " : "", bits[i].word);
    }
    if (!(entry & PTE_P))
        snprintf(buf, size, "not present");
    return buf;
}

/* The error code an access would push, or WALK_NO_FAULT. present: every level was. */
static uint32_t fault_for(bool present, uint32_t rights, int access)
{
    bool user = access == WALK_USER_READ || access == WALK_USER_WRITE;
    bool write = access == WALK_USER_WRITE || access == WALK_KERNEL_WRITE;
    uint32_t code = (user ? PFERR_U : 0) | (write ? PFERR_W : 0);
    if (!present)
        return code;
    if ((user && !(rights & PTE_U)) || (write && !(rights & PTE_W)))
        return code | PFERR_P;
    return WALK_NO_FAULT;
}

enum walk_stop model_walk(const struct model *m, uint32_t asid, uint32_t va, struct walk *w)
{
    const struct space *sp = model_space(m, asid == MODEL_NO_ASID ? m->current_asid : asid);
    uint32_t rights = 0;
    bool present = false;

    memset(w, 0, sizeof *w);
    w->asid = sp ? sp->asid : asid;
    w->va = va;
    w->pdi = PDX(va);
    w->pti = PTX(va);
    for (int a = 0; a < WALK_ACCESSES; a++)
        w->error[a] = WALK_NO_FAULT;
    if (!sp)
        return w->stop = WALK_NO_SPACE;
    w->cr3 = sp->cr3;
    w->whole = sp->whole;
    w->pde = sp->dir[w->pdi];
    w->pde_at = frame_of(sp->cr3) + w->pdi * 4;
    if (!(w->pde & PTE_P)) {
        w->stop = WALK_NO_PDE;
    } else if (w->pde & PDE_PS) {
        w->large = true;
        w->offset = va & (LARGE_PAGE_SIZE - 1);
        w->frame = large_frame_of(w->pde) + (w->offset & ~(PAGE_SIZE - 1));
        w->pa = large_frame_of(w->pde) + w->offset;
        rights = w->pde;
        present = true;
    } else if (!space_table(sp, w->pdi)) {
        w->stop = WALK_NO_TABLE;
    } else {
        w->pte = space_table(sp, w->pdi)[w->pti];
        w->pte_at = frame_of(w->pde) + w->pti * 4;
        if (!(w->pte & PTE_P)) {
            w->stop = WALK_NO_PTE;
        } else {
            w->offset = va & (PAGE_SIZE - 1);
            w->frame = frame_of(w->pte);
            w->pa = w->frame + w->offset;
            rights = w->pde & w->pte;
            present = true;
        }
    }
    if (w->stop != WALK_NO_TABLE)
        for (int a = 0; a < WALK_ACCESSES; a++)
            w->error[a] = fault_for(present, rights, a);
    return w->stop;
}

const char *mapping_words(const struct frame_mapping *mp, char *buf, size_t size)
{
    uint32_t va = mp->va & ~1u;
    const char *large = (mp->va & 1) ? " (4 MiB page)" : "";
    if (mp->asid == MODEL_NO_ASID)
        snprintf(buf, size, "kernel half va 0x%08x%s", va, large);
    else
        snprintf(buf, size, "asid %u va 0x%08x%s", mp->asid, va, large);
    return buf;
}

/* The frame's owner and references in words: "shared, 3 references". */
static void owner_words(const struct model *m, uint32_t frame, char *buf, size_t size)
{
    uint32_t f = frame >> PAGE_SHIFT;
    unsigned cls = model_frame_class(m, f), owner = model_frame_owner(m, f);
    const struct frame_map *fm = m->frame_map;
    if (owner == FRAME_UNKNOWN) {
        snprintf(buf, size, "%s",
                 !fm->nframes ? "owner unknown (no frame map yet)" : "beyond the RAM the kernel described");
        return;
    }
    int n = snprintf(buf, size, "%s", frame_class_name(cls));
    if (owner == OWNER_USER || owner == OWNER_HEAP) {
        uint32_t refs = model_frame_refs(m, f);
        n += snprintf(buf + n, (size_t)n < size ? size - (size_t)n : 0, ", %u reference%s", refs,
                      refs == 1 ? "" : "s");
    }
    if (!fm->whole && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " (frame map untrusted: %s)", frames_untrusted_name(fm->why));
}

/* "ok" or "fault 0x7: protection-violation write user". */
static const char *access_words(const struct walk *w, int a, char *buf, size_t size)
{
    char words[64];
    if (w->error[a] == WALK_NO_FAULT)
        snprintf(buf, size, "ok");
    else
        snprintf(buf, size, "fault 0x%x: %s", w->error[a], pf_error_words(w->error[a], words, sizeof words));
    return buf;
}

/* The pages other than the walked one that map its frame, as one line. */
static void other_mappings(const struct model *m, const struct walk *w, char *buf, size_t size)
{
    const struct frame_mapping *mp;
    uint32_t k = model_frame_mappings(m, w->frame >> PAGE_SHIFT, &mp), shown = 0, others = 0;
    size_t used = 0;
    char one[48];
    buf[0] = '\0';
    for (uint32_t i = 0; i < k; i++) {
        bool self = (mp[i].va & ~1u) == (w->va & ~(PAGE_SIZE - 1)) &&
                    (mp[i].asid == w->asid || (mp[i].asid == MODEL_NO_ASID && w->pdi >= KERNEL_PDE_FIRST));
        if (self)
            continue;
        others++;
        if (mp[i].asid == MODEL_NO_ASID)
            snprintf(one, sizeof one, "kernel 0x%08x%s", mp[i].va & ~1u, (mp[i].va & 1) ? " (4M)" : "");
        else
            snprintf(one, sizeof one, "asid %u 0x%08x%s", mp[i].asid, mp[i].va & ~1u,
                     (mp[i].va & 1) ? " (4M)" : "");
        if (used + strlen(one) + 16 < size) {
            used += (size_t)snprintf(buf + used, size - used, "%s%s", shown ? ", " : "", one);
            shown++;
        }
    }
    if (!others)
        snprintf(buf, size, "no other page maps it");
    else if (shown < others)
        snprintf(buf + used, size - used, ", +%u more", others - shown);
}

int walk_lines(const struct model *m, const struct walk *w, char lines[][WALK_LINE], int max)
{
    static const char *const access_names[WALK_ACCESSES] = {"user read", "user write", "kernel read",
                                                            "kernel write"};
    char bits[64], words[96], list[WALK_LINE - 16];
    int n = 0;
#define LINE(...) (n < max ? snprintf(lines[n++], WALK_LINE, __VA_ARGS__) : 0)
    if (w->stop == WALK_NO_SPACE) {
        LINE("walk 0x%08x: no address space %s in the model", w->va,
             w->asid == MODEL_NO_ASID ? "is live" : "with that asid");
        return n;
    }
    LINE("walk 0x%08x in asid %u%s", w->va, w->asid,
         w->whole ? "" : " (untrusted: may differ from the machine)");
    LINE("CR3  0x%08x  the page directory", w->cr3);
    LINE("PDE  %-4u @0x%08x = 0x%08x  %s", w->pdi, w->pde_at, w->pde,
         entry_bits(w->pde, true, bits, sizeof bits));
    if (w->stop == WALK_NO_PDE) {
        LINE("     -> no translation: the directory entry is missing");
    } else if (w->large) {
        LINE("     -> 4 MiB page 0x%08x + offset 0x%06x = 0x%08x", large_frame_of(w->pde), w->offset, w->pa);
    } else if (w->stop == WALK_NO_TABLE) {
        LINE("     -> table 0x%08x, which koiz-view does not hold", frame_of(w->pde));
        return n;
    } else {
        LINE("     -> page table 0x%08x", frame_of(w->pde));
        LINE("PTE  %-4u @0x%08x = 0x%08x  %s", w->pti, w->pte_at, w->pte,
             entry_bits(w->pte, false, bits, sizeof bits));
        if (w->stop == WALK_NO_PTE)
            LINE("     -> no translation: the table entry is missing");
        else
            LINE("     -> frame 0x%08x + offset 0x%03x = 0x%08x", w->frame, w->offset, w->pa);
    }
    if (w->stop == WALK_MAPPED) {
        owner_words(m, w->frame, words, sizeof words);
        LINE("frame 0x%08x: %s", w->frame, words);
        other_mappings(m, w, list, sizeof list);
        LINE("also: %s", list);
    }
    for (int a = 0; a < WALK_ACCESSES; a++)
        LINE("%-13s%s", access_names[a], access_words(w, a, words, sizeof words));
    if (!w->large && (w->pte & (PTE_P | PTE_COW)) == (PTE_P | PTE_COW))
        LINE("copy-on-write: a write fault gives the writer its own copy");
#undef LINE
    return n;
}

void walk_print(const struct model *m, const struct walk *w, FILE *f)
{
    char lines[WALK_LINES][WALK_LINE];
    int n = walk_lines(m, w, lines, WALK_LINES);
    static const char *const level[] = {"", "space", "PDE", "table", "PTE"};
    for (int i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    if (w->stop == WALK_MAPPED)
        fprintf(f, "result 0x%08x -> 0x%08x\n", w->va, w->pa);
    else
        fprintf(f, "result 0x%08x -> none (%s)\n", w->va, level[w->stop]);
}

void frame_print(const struct model *m, uint32_t pa, FILE *f)
{
    const struct frame_mapping *mp;
    char words[128];
    uint32_t frame = pa & ~(PAGE_SIZE - 1), n = model_frame_mappings(m, frame >> PAGE_SHIFT, &mp);
    owner_words(m, frame, words, sizeof words);
    fprintf(f, "frame 0x%08x (#%u): %s\n", frame, frame >> PAGE_SHIFT, words);
    if (frame >> PAGE_SHIFT >= model_frames_span(m))
        fprintf(f, "  (beyond the frames koiz-view indexes: its mappings are not listed)\n");
    else if (!n)
        fprintf(f, "  mapped by no page\n");
    for (uint32_t i = 0; i < n; i++) {
        bool direct = (mp[i].va & ~1u) - frame == KERNEL_BASE;
        fprintf(f, "  %s%s\n", mapping_words(&mp[i], words, sizeof words), direct ? ": the direct map" : "");
    }
}
