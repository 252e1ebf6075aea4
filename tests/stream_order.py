"""The order check: every recording the tests make (build/tests/tmp/streams/)
must keep the rules docs/protocol.md gives readers, whatever else the test
that made it looked at. A second reader of the format, written apart from
koiz-view's, so the two can disagree.

It fails on: a snapshot run outside its snapshot; an event for a space never
created or snapshotted; any record naming a space after its destroy; an
unmap in a table already freed, or a table freed with pages still in it; a
map onto a present page; an event between `loss` and `drop`; a `drop` not
followed at once by a resync round; a frame map whose runs do not tile its
frames; an `alloc` of a frame not free, a `free` of a frame that held
another owner. Page-level rules are checked only for spaces the checker can
trust (since their creation or last whole snapshot, with no loss since),
frame rules only since a whole frame map with no loss since.
"""
import os

import kzproto

PAGING_EVENTS = {'map', 'remap', 'unmap', 'protect', 'ptab', 'space', 'tlb', 'fault', 'fork', 'alloc', 'free'}
TEXT = {'log', 'warn', 'panic', 'test', 'tests', 'bench', 'frames', 'ring'}  # ring: the channel, not the picture
KERNEL_PDE = 768


class Space:
    def __init__(self, trusted):
        self.trusted = trusted
        self.tables = set()       # user-half directory entries holding a table
        self.pages = {}           # pde -> set of present pte indexes (user half)


class Checker:
    def __init__(self):
        self.problems = []
        self.reset()

    def reset(self):
        self.spaces = {}          # asid -> Space
        self.dead = set()
        self.snap = None          # (asid, staging Space) between snap and end
        self.loss = False         # between loss and drop
        self.want_round = False   # after drop, until round
        self.round = None         # (seq, count, named asids) between round and sync
        self.frames = None        # {frame: owner} since a whole frame map with no loss since, else None
        self.physmap = None       # [seq, frames, next frame, runs, {frame: owner}] between physmap and physend

    def fail(self, n, rec, why):
        if len(self.problems) < 20:
            self.problems.append('record %d (%s): %s' % (n, rec.line, why))

    def check(self, n, rec):
        t, f = rec.type, rec.fields
        if t == 'hello':
            self.reset()
            return
        if t in TEXT:
            return
        if self.want_round and t != 'round':
            self.fail(n, rec, 'a drop is not followed at once by a resync round')
        self.want_round = False
        if self.loss and t in PAGING_EVENTS:
            self.fail(n, rec, 'an event between loss and drop')
        if t == 'loss':
            self.loss = True
            self.frames = None
            for sp in self.spaces.values():
                sp.trusted = False
        elif t == 'drop':
            if not self.loss and len(f) > 2:
                self.fail(n, rec, 'a drop without its loss')
            self.loss = False
            self.want_round = True
            for sp in self.spaces.values():
                sp.trusted = False
        elif t == 'round':
            self.round = (f[1], int(f[2]), set())
        elif t == 'sync':
            if self.round and self.round[0] == f[1] and len(self.round[2]) == int(f[2]) == self.round[1]:
                for asid in [a for a in self.spaces if a not in self.round[2]]:
                    del self.spaces[asid]     # destroyed while records were lost
            self.round = None
        elif t == 'physmap':     # tick seq frames
            self.physmap = [f[1], int(f[2]), 0, 0, {}]
        elif t == 'phys':        # pa count owner refs
            first, count = int(f[0], 16) >> 12, int(f[1])
            if not self.physmap:
                self.fail(n, rec, 'a frame run outside its frame map')
                return
            pm = self.physmap
            pm[3] += 1
            if first != pm[2] or first + count > pm[1]:
                self.fail(n, rec, 'a frame run that does not follow the one before (frame 0x%x expected)' % pm[2])
            pm[2] = first + count
            if f[2] != 'free':         # only what events can change: all the rest
                for frame in range(first, first + count):
                    pm[4][frame] = f[2]
        elif t == 'physend':     # seq runs
            pm, self.physmap = self.physmap, None
            if not pm or pm[0] != f[0] or pm[3] != int(f[1]) or pm[2] != pm[1]:
                self.fail(n, rec, 'a frame map that does not end as it began (runs, frames, seq)')
            elif not self.loss:
                self.frames = pm[4]
        elif t == 'snap':
            asid = int(f[1])
            if asid in self.dead:
                self.fail(n, rec, 'a snapshot of space %d after its destroy' % asid)
            self.snap = (asid, Space(True))
        elif t in ('pde', 'pte'):
            asid = int(f[0])
            if not self.snap or self.snap[0] != asid:
                self.fail(n, rec, 'a run outside its snapshot')
                return
            st = self.snap[1]
            if t == 'pde':
                first, count, entry = int(f[1]), int(f[2]), int(f[3], 16)
                for pdi in range(first, first + count):
                    if pdi < KERNEL_PDE and not entry & 0x80:
                        st.tables.add(pdi)
            else:
                pdi, first, count = int(f[1]), int(f[2]), int(f[3])
                if pdi < KERNEL_PDE:
                    st.pages.setdefault(pdi, set()).update(range(first, first + count))
        elif t == 'end':
            asid = int(f[1])
            if self.snap and self.snap[0] == asid:
                self.spaces[asid] = self.snap[1]
                if self.round:
                    self.round[2].add(asid)
            self.snap = None
        elif t in PAGING_EVENTS:
            self.event(n, rec)

    def event(self, n, rec):
        t, f = rec.type, rec.fields
        if t == 'tlb':
            return
        if t in ('alloc', 'free'):      # tick pa count owner; frames not in the dict are free
            first, count, owner = int(f[1], 16) >> 12, int(f[2]), f[3]
            for frame in range(first, first + count):
                held = self.frames.get(frame, 'free') if self.frames is not None else None
                if held is not None and held != ('free' if t == 'alloc' else owner):
                    self.fail(n, rec, '%s of frame 0x%x, which held %s' % (t, frame, held))
                    self.frames = None
                    return
                if self.frames is not None:
                    if t == 'alloc':
                        self.frames[frame] = owner
                    else:
                        self.frames.pop(frame, None)
            return
        if t == 'fork':     # tick parent child
            parent, child = self.spaces.get(int(f[1])), self.spaces.get(int(f[2]))
            if int(f[1]) in self.dead or int(f[2]) in self.dead or not parent or not child:
                self.fail(n, rec, 'a fork naming a space that does not exist')
                return
            if child.trusted and any(child.pages.values()):
                self.fail(n, rec, 'a fork into space %s, which already has pages' % f[2])
            if child.trusted and parent.trusted and set(parent.pages) - child.tables:
                self.fail(n, rec, 'a fork before the child has a table for each of the parent\'s')
            child.pages = {pdi: set(ptis) for pdi, ptis in parent.pages.items()}
            child.trusted = child.trusted and parent.trusted
            return
        asid = int(f[1])
        if asid in self.dead:
            self.fail(n, rec, 'an event for space %d after its destroy' % asid)
            return
        if t == 'space' and f[2] == 'create':
            if asid in self.spaces:
                self.fail(n, rec, 'space %d created twice' % asid)
            self.spaces[asid] = Space(0 in self.spaces and self.spaces[0].trusted)
            return
        sp = self.spaces.get(asid)
        if sp is None:
            if t != 'fault':
                self.fail(n, rec, 'an event for space %d, which no create or snapshot named' % asid)
            return
        if t == 'space' and f[2] == 'destroy':
            del self.spaces[asid]
            self.dead.add(asid)
            return
        if t == 'ptab':
            pdi = int(f[2])
            if pdi >= KERNEL_PDE:
                return
            if f[-1] == 'alloc':
                sp.tables.add(pdi)
            else:
                if sp.trusted and sp.pages.get(pdi):
                    self.fail(n, rec, 'table %d of space %d freed with %d pages still in it'
                              % (pdi, asid, len(sp.pages[pdi])))
                sp.tables.discard(pdi)
                sp.pages.pop(pdi, None)
            return
        if t in ('map', 'remap', 'unmap', 'protect') and f[3] == '4k':
            va, count = int(f[2], 16), int(f[4])
            for page in range(va >> 12, (va >> 12) + count):
                pdi, pti = page >> 10, page & 0x3FF
                if pdi >= KERNEL_PDE:
                    continue
                present = pti in sp.pages.get(pdi, ())
                if sp.trusted and pdi not in sp.tables:
                    self.fail(n, rec, '%s of %08x in space %d, whose table is not there (freed?)'
                              % (t, page << 12, asid))
                    return
                if sp.trusted and t == 'map' and present:
                    self.fail(n, rec, 'a map onto the present page %08x of space %d' % (page << 12, asid))
                if sp.trusted and t in ('remap', 'protect') and not present:
                    self.fail(n, rec, 'a %s of the absent page %08x of space %d' % (t, page << 12, asid))
                if t in ('map', 'remap'):
                    sp.pages.setdefault(pdi, set()).add(pti)
                elif t == 'unmap':
                    sp.pages.get(pdi, set()).discard(pti)


def check_text(text):
    """The problems found in one recording (empty: none)."""
    c = Checker()
    for n, rec in enumerate(kzproto.records(text)):
        c.check(n, rec)
    return c.problems


def check_dir(directory):
    """[(name, problems)] for every recording in directory."""
    out = []
    if not os.path.isdir(directory):
        return out
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), encoding='latin-1') as f:
            out.append((name[:-4] if name.endswith('.txt') else name, check_text(f.read())))
    return out
