/*
 * draw_overlay.c: what is drawn over the panels: the tooltip for the cell,
 * page or frame under the mouse (virtual range, physical frame, flags; a
 * frame's owner, references and every page mapping it), and the F1 help
 * with every key.
 */
#include "model_walk.h"
#include "view.h"

#define TIP_LINES 12

/* The lines about frame f: its owner and references, then the pages mapping it. */
static int frame_lines(const struct model *m, uint32_t f, char lines[][120])
{
    const struct frame_mapping *mp;
    char words[96];
    unsigned owner = model_frame_owner(m, f);
    uint32_t n = model_frame_mappings(m, f, &mp), refs = model_frame_refs(m, f);
    int k = 0;
    snprintf(lines[k++], 120, "frame %08x-%08x  (#%u)", f << 12, (f << 12) + 0xfff, f);
    if (owner == FRAME_UNKNOWN)
        snprintf(lines[k++], 120, "owner unknown: no frame map from the kernel%s",
                 m->frame_map->nframes ? " here" : " yet");
    else if (owner == OWNER_USER || owner == OWNER_HEAP)
        snprintf(lines[k++], 120, "%s, %u reference%s", frame_class_name(model_frame_class(m, f)), refs,
                 refs == 1 ? "" : "s");
    else
        snprintf(lines[k++], 120, "%s", frame_class_name(owner));
    if (!n)
        snprintf(lines[k++], 120, "mapped by no page");
    for (uint32_t i = 0; i < n && k < TIP_LINES; i++) {
        if (k == TIP_LINES - 1 && i + 1 < n) {
            snprintf(lines[k++], 120, "... and %u more", n - i);
            break;
        }
        bool direct = (mp[i].va & ~1u) - (f << 12) == KERNEL_BASE;
        snprintf(lines[k++], 120, "%s%s", mapping_words(&mp[i], words, sizeof words),
                 direct ? ": the direct map" : "");
    }
    return k;
}

/* The lines describing the leaf entry for page `page` (va >> 12) of sp. */
static int page_lines(const struct space *sp, uint32_t page, char lines[][120])
{
    uint32_t va = page << 12, pdi = PDX(va), pde = sp->dir[pdi];
    int n = 0;
    snprintf(lines[n++], 120, "va %08x-%08x  (PDE %u, PTE %u)", va, va + 0xfff, pdi, PTX(va));
    if (!(pde & PTE_P)) {
        snprintf(lines[n++], 120, "directory entry not present");
        return n;
    }
    uint32_t leaf = pde & PDE_PS ? pde : space_table(sp, pdi) ? space_table(sp, pdi)[PTX(va)] : 0;
    if (!(leaf & PTE_P)) {
        snprintf(lines[n++], 120, "not mapped");
        return n;
    }
    uint32_t phys = pde & PDE_PS ? (frame_of(pde) & 0xffc00000u) + (va & 0x3ff000u) : frame_of(leaf);
    snprintf(lines[n++], 120, "-> frame %08x%s", phys, pde & PDE_PS ? "  (in a 4 MiB page)" : "");
    snprintf(lines[n++], 120, "%s",
             flag_letters(pde & PDE_PS ? leaf : leaf & (pde | ~(PTE_U | PTE_W)), true));
    return n;
}

/* Puts text into at most max lines of at most width characters, broken at spaces where it
 * can be; returns how many. */
static int wrap_lines(const char *text, char lines[][120], int max, int width)
{
    int n = 0;
    size_t len = strlen(text);
    while (len && n < max) {
        size_t take = len;
        if (take > (size_t)width) {
            take = (size_t)width;
            while (take > (size_t)width / 2 && text[take] != ' ')
                take--;
            if (text[take] != ' ')
                take = (size_t)width;
        }
        snprintf(lines[n++], 120, "%.*s", (int)take, text);
        text += take;
        len -= take;
        while (len && *text == ' ')
            text++, len--;
    }
    return n;
}

void draw_tooltip(struct view *v, const struct model *m)
{
    const struct space *sp = view_space(v, m);
    char lines[TIP_LINES][120];
    int n = 0, x = v->mouse_x, y = v->mouse_y;
    int cell = grid_cell_at(&v->lay.grid[P_DIR], x, y);
    if (cell >= 0 && sp) {
        uint32_t pde = sp->dir[cell], va = (uint32_t)cell << 22;
        snprintf(lines[n++], 120, "PDE %d  va %08x-%08x", cell, va, va + (LARGE_PAGE_SIZE - 1));
        if (!(pde & PTE_P))
            snprintf(lines[n++], 120, "not present");
        else if (pde & PDE_PS)
            snprintf(lines[n++], 120, "4 MiB page -> frames %08x-%08x", frame_of(pde) & 0xffc00000u,
                     (frame_of(pde) & 0xffc00000u) + (LARGE_PAGE_SIZE - 1));
        else
            snprintf(lines[n++], 120, "page table at %08x, %u of 1024 present", frame_of(pde),
                     space_present(sp, (uint32_t)cell));
        if (pde & PTE_P)
            snprintf(lines[n++], 120, "%s", flag_letters(pde, true));
    } else if ((cell = grid_cell_at(&v->lay.grid[P_TABLE], x, y)) >= 0 && sp) {
        n = page_lines(sp, (uint32_t)view_pde(v, m) * ENTRIES + (uint32_t)cell, lines);
    } else if (sp && !view_regions_shown(v, m) && whole_page_at(&v->lay.grid[P_WHOLE], x, y) >= 0) {
        n = page_lines(sp, (uint32_t)whole_page_at(&v->lay.grid[P_WHOLE], x, y), lines);
    } else if (v->tm.h && rect_has(&v->lay.timeline, x, y)) {
        uint64_t at = track_moment_at(&v->lay.track, v->tm.moments, x);
        snprintf(lines[n++], 120, "#%llu  tick %u  (click or drag: go there)", (unsigned long long)at,
                 history_tick_at(v->tm.h, at));
        const struct mark *mk = history_next_mark(v->tm.h, at ? at - 1 : 0, MARK_KINDS, true);
        if (mk && mk->moment <= at + v->tm.moments / (uint64_t)(v->lay.track.w > 0 ? v->lay.track.w : 1) + 1)
            snprintf(lines[n++], 120, "%s at #%llu, space %u%s", mark_kind_name(mk->kind),
                     (unsigned long long)mk->moment, mk->asid,
                     mk->kind == MARK_FAULT ? fmt(", 0x%08x, %s", mk->va, word_name(WS_OUTCOME, mk->sub))
                                            : "");
    } else if (v->owner && phys_frame_at(&v->pg, x, y) >= 0) {
        n = frame_lines(m, (uint32_t)phys_frame_at(&v->pg, x, y), lines);
    }
    const char *cut = n ? NULL : text_cut_at(&v->font, x, y);
    if (cut) /* a text drawn cut short: all of it, wrapped at spaces */
        n = wrap_lines(cut, lines, TIP_LINES, 72);
    if (!n)
        return;
    int w = 0, lh = v->font.line_h;
    for (int i = 0; i < n; i++) {
        int tw = text_width(&v->font, lines[i]);
        w = tw > w ? tw : w;
    }
    w += 12;
    int h = n * lh + 8;
    int tx = x + 16, ty = y + 18;
    if (tx + w > v->w)
        tx = x - w - 8 > 0 ? x - w - 8 : 0;
    if (ty + h > v->h)
        ty = y - h - 8 > 0 ? y - h - 8 : 0;
    fill(v->r, tx, ty, w, h, 0x0c0d10);
    outline(v->r, tx, ty, w, h, 1, COL_FOCUS);
    for (int i = 0; i < n; i++)
        text_draw(&v->font, v->r, tx + 6, ty + 4 + i * lh, lines[i], i ? COL_TEXT : COL_TITLE, 0);
}

void draw_help(struct view *v)
{
    static const char *lines[] = {
        "koiz-view: the paging of a running Koiz kernel",
        "",
        "Tab / Shift+Tab    move the keyboard between panels",
        "arrows             move the selection in that panel:",
        "                   directory entry, table entry, page,",
        "                   address space, fault, log lines",
        "mouse              hover for details, click to select;",
        "                   a frame's pages light up in yellow",
        "w                  the walk of the selected address",
        "v                  a user space's regions (code, data, heap",
        "                   and its break, stack and its limit, the",
        "                   guard page; gaps collapsed; bars: pages",
        "                   present) or its 4 GiB picture",
        "g                  type an address (hex), Enter: select",
        "                   and walk it (then h: its history)",
        "space              pause and go on (a replay: play)",
        "+ / -              replay faster / slower",
        "",
        "The time machine (the strip at the bottom):",
        "click, drag        go to that moment; End: back to live",
        ", / .              one record back / forward",
        "[ / ]              previous / next fault",
        "{ / }              previous / next mark of a kind",
        "m                  the kind { and } go to",
        "Home               the first moment",
        "a                  mark moment A: every panel shows what",
        "                   changed since (+ mapped, x unmapped,",
        "                   dotted frame: changed); a again: off",
        "x                  mark the shown space X, then show",
        "                   another: shared, copied, only in one",
        "h / f              history of the selected entry / frame",
        "c                  the sanitizer's warnings (rules the",
        "                   kernel's paging broke; docs/sanitizer.md)",
        "Enter, Esc         in a list: go there; back to the log",
        "Ctrl+S             keep the live stream's file at exit",
        "p                  pin the space shown (or click one)",
        "l                  follow the story again: the user space",
        "                   of the latest event; one that ended",
        "                   stays until the next one starts",
        "s                  save a PNG screenshot here",
        "Delete             with --gdb: forget the space shown",
        "t, 1-6, k, r       the kernel's keys (--serial, or the",
        "                   emulator koiz-view started): the tour,",
        "                   a demo, stop tasks, a snapshot (its s)",
        "F1 or Escape       close this help",
        "q                  quit",
        "",
        "What the colours and marks say:",
        "Blue is kernel, orange user; hollow cells are read-only,",
        "hollow with a green centre copy-on-write (green in the",
        "4 GiB picture); a framed cell is a 4 MiB page; a darker",
        "table holds fewer entries (\"few entries\"); a light top",
        "bar: global; corner marks: accessed (white), dirty",
        "(black). Faults flash white on the cell they hit.",
        "Fault rows: white handled (zero-filled, copied), grey",
        "expected by the demo, vermillion fatal (task killed).",
        "Hatched \"untrusted since tick N\": records were lost or",
        "a snapshot came cut short; its next snapshot mends it.",
        "\"ended\": a space the kernel destroyed, kept on screen",
        "until the next one starts. Physical frames by owner, as",
        "the kernel's allocator says (legend); green frames are",
        "shared by several pages. Text ending in ... : hover it.",
    };
    int n = (int)(sizeof lines / sizeof lines[0]), lh = v->font.line_h;
    int cols = n * lh + 24 > v->h ? 2 : 1; /* a short window: two columns */
    int per = (n + cols - 1) / cols;
    int colw = 62 * v->font.char_w, w = cols * colw, h = per * lh + 24;
    if (w > v->w - 20)
        w = v->w - 20;
    if (h > v->h)
        h = v->h;
    int x = (v->w - w) / 2, y = (v->h - h) / 2 > 0 ? (v->h - h) / 2 : 0;
    fill(v->r, x, y, w, h, 0x0c0d10);
    outline(v->r, x, y, w, h, 2, COL_FOCUS);
    struct rect rc = {x, y, w, h};
    clip(v->r, &rc);
    for (int i = 0; i < n; i++)
        text_draw(i ? &v->font : &v->bold, v->r, x + 14 + (i / per) * colw, y + 12 + (i % per) * lh, lines[i],
                  i ? COL_TEXT : COL_TITLE, colw - 28);
    SDL_RenderSetClipRect(v->r, NULL);
}
