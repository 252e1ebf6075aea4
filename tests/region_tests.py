"""Region records from a booted kernel (QEMU, its multiboot loader): the stack demo's
space shows its stack down to its limit with the guard page right below, and the
overflow lands in that guard page; the heap demo's heap region follows its break
as it grows and goes when the heap is given back; a round's `region ... held`
records of a live space (a resync after lost events) are what the events after it fit. koiz-view's --dump at
the moment of the overflow shows the same regions through the parser and model."""
import os
import re
import subprocess

import emulators as emu
import guest
from runner import Result

ROOT = emu.ROOT
VIEW = os.path.join(ROOT, 'build', 'koiz-view')


def _user_layout():
    """USER_STACK_TOP and USER_STACK_LIMIT as include/koiz/syscall.h defines them."""
    text = open(os.path.join(ROOT, 'include', 'koiz', 'syscall.h')).read()
    top = int(re.search(r'#define USER_STACK_TOP\s+(0x[0-9A-Fa-f]+)u', text).group(1), 16)
    limit = re.search(r'#define USER_STACK_LIMIT\s+\((\d+)u \* (\d+)\)', text)
    return top, int(limit.group(1)) * int(limit.group(2))


def _fail(name, g, why):
    tail = '\n'.join(g.text().splitlines()[-30:]) if g else ''
    return Result(name, False, '%s\n--- the stream\'s last lines (%s) ---\n%s' % (why, g.stream if g else '', tail))


def _done(g, text, seconds):
    def done(recs):
        said = next((i for i, r in enumerate(recs) if r.type == 'log' and text in r.line), None)
        return said is not None and any(r.type == 'sync' for r in recs[said:])
    return g.wait_for(done, seconds)


def _follow(recs, asid, problems):
    """The regions of asid after each record, from its `region` events: yields (index,
    record, {start: (end, kind)}); a change that does not fit is a problem."""
    regions = {}
    for i, r in enumerate(recs):
        if r.type == 'region' and len(r.fields) == 6 and r.fields[1] == asid:
            start, end, kind, change = int(r.fields[2], 16), int(r.fields[3], 16), r.fields[4], r.fields[5]
            if change == 'add':
                if any(s < end and start < e for s, (e, _) in regions.items()):
                    problems.append('#%d adds a region over another: %s' % (i, r.line))
                regions[start] = (end, kind)
            elif change == 'resize':
                if start not in regions or regions[start][1] != kind:
                    problems.append('#%d resizes a region not added: %s' % (i, r.line))
                regions[start] = (end, kind)
            elif regions.pop(start, (None,))[0] != end:
                problems.append('#%d removes a region not held: %s' % (i, r.line))
        yield i, r, regions


def _held_then_events(recs, asid, problems):
    """With events lost (telemetry_loss=announce), a reader knows asid's regions again from
    each resync snapshot's `region ... held` records: every region event after it, until the
    next loss, must fit them, and every zero-filled fault of the heap lie in the heap they
    say. Returns how many snapshots of asid held a heap."""
    state, held, heaps = None, None, 0
    for i, r in enumerate(recs):
        if r.type == 'loss':
            state = None
        elif r.type == 'snap' and r.fields[1] == asid:
            held = {}
        elif r.type == 'region' and len(r.fields) == 7 and r.fields[0] == asid and held is not None:
            held[int(r.fields[3], 16)] = (int(r.fields[4], 16), r.fields[5])
        elif r.type == 'end' and r.fields[1] == asid and held is not None:
            state, held = held, None
            heaps += any(kind == 'heap' for _, kind in state.values())
        elif r.type == 'region' and len(r.fields) == 6 and r.fields[1] == asid and state is not None:
            start, end, kind, change = int(r.fields[2], 16), int(r.fields[3], 16), r.fields[4], r.fields[5]
            if change != 'add' and (start not in state or state[start][1] != kind):
                problems.append('#%d: %s does not fit the regions the snapshot held: %s' % (i, r.line, state))
            if change == 'remove':
                state.pop(start, None)
            else:
                state[start] = (end, kind)
        elif r.type == 'fault' and r.fields[1] == asid and r.fields[-1] == 'zero-filled' and state is not None:
            cr2 = int(r.fields[2], 16)
            heap = [(s, e) for s, (e, kind) in state.items() if kind == 'heap']
            if heap and heap[0][0] <= cr2 < 0x40000000 and not cr2 < heap[0][1]:
                problems.append('#%d: fault at %#x above the break the snapshot and events said %s' % (i, cr2, heap))
    return heaps


def qemu_regions_stack_demo():
    name = 'regions/qemu-stack-guard-page'
    top, limit = _user_layout()
    g = guest.Guest('regions-stack', 'demo=stack', megs=32)
    try:
        if not _done(g, 'Demo stack: stackgrow was killed: stack overflow', 60):
            return [_fail(name, g, 'the demo did not finish')]
        recs = g.records()
        create = next((r for r in recs if r.type == 'space' and r.fields[2] == 'create'), None)
        fault = next((i for i, r in enumerate(recs) if r.type == 'fault' and r.fields[-1] == 'stack-overflow'), None)
        if not create or fault is None:
            return [_fail(name, g, 'no space create, or no stack-overflow fault')]
        asid, problems, at_fault = create.fields[1], [], None
        for i, r, regions in _follow(recs, asid, problems):
            if i == fault:
                at_fault = dict(regions)
        kinds = {kind: (start, end) for start, (end, kind) in (at_fault or {}).items()}
        if kinds.get('stack') != (top - limit, top):
            problems.append('stack region %s, expected [%#x, %#x)' % (kinds.get('stack'), top - limit, top))
        if kinds.get('guard') != (top - limit - 4096, top - limit):
            problems.append('guard region %s, expected the page below the stack\'s limit' % (kinds.get('guard'),))
        if 'code' not in kinds:
            problems.append('no code region (the program\'s text)')
        cr2 = int(recs[fault].fields[2], 16)
        if not (top - limit - 4096 <= cr2 < top - limit):
            problems.append('the overflow at %#x is not in the guard page' % cr2)
        # The same through koiz-view's parser and model, at the moment of the fault.
        out = subprocess.run([VIEW, g.stream, '--at', '#%d' % (fault + 1), '--dump'], capture_output=True,
                             text=True, timeout=60).stdout
        want = ['region 0x%08x-0x%08x     4K guard  0/1 present' % (top - limit - 4096, top - limit),
                'region 0x%08x-0x%08x   %dK stack  %d/%d present' % (top - limit, top, limit // 1024,
                                                                     limit // 4096, limit // 4096)]
        for line in want:
            if line not in out:
                problems.append('koiz-view --dump at the fault lacks %r' % line)
        return [_fail(name, g, '; '.join(problems)) if problems else Result(name, True)]
    finally:
        g.kill()


def qemu_regions_heap_demo():
    name = 'regions/qemu-heap-follows-break'
    g = guest.Guest('regions-heap', 'demo=heap', megs=63)
    try:
        if not _done(g, 'Demo heap: done', 60):
            return [_fail(name, g, 'the demo did not finish')]
        recs = g.records()
        create = next((r for r in recs if r.type == 'space' and r.fields[2] == 'create'), None)
        if not create:
            return [_fail(name, g, 'no space create')]
        asid, problems = create.fields[1], []
        heap_start, biggest, faults, said, removed = None, 0, 0, 0, False
        for i, r, regions in _follow(recs, asid, problems):
            heap = [(s, e) for s, (e, kind) in regions.items() if kind == 'heap']
            if r.type == 'region' and r.fields[1] == asid and r.fields[4] == 'heap':
                heap_start = heap_start or int(r.fields[2], 16)
                removed = r.fields[5] == 'remove'
            if heap:
                biggest = max(biggest, heap[0][1] - heap[0][0])
            # Every zero-filled fault above the program lies below the break of that moment.
            if r.type == 'fault' and r.fields[1] == asid and r.fields[-1] == 'zero-filled' and heap_start:
                cr2 = int(r.fields[2], 16)
                if heap_start <= cr2 < 0x40000000:
                    faults += 1
                    if not heap or not heap[0][0] <= cr2 < heap[0][1]:
                        problems.append('#%d: fault at %#x outside the heap %s' % (i, cr2, heap))
            # "heapgrow: N pages": the break is at least N pages above the heap's start.
            m = re.search(r'heapgrow: (\d+) pages', r.line) if r.type == 'log' else None
            if m and int(m.group(1)):
                said += 1
                if not heap or heap[0][1] - heap[0][0] < int(m.group(1)) * 4096:
                    problems.append('#%d: %s pages said, heap region %s' % (i, m.group(1), heap))
        if biggest < 1024 * 4096:
            problems.append('the heap region grew to %d KiB only' % (biggest // 1024))
        if faults < 1024 or said < 4:
            problems.append('%d heap faults and %d progress lines (expected >= 1024 and >= 4)' % (faults, said))
        if not removed:
            problems.append('the heap region was not removed when the heap was given back')
        return [_fail(name, g, '; '.join(problems[:8])) if problems else
                Result('%s (heap up to %d KiB)' % (name, biggest // 1024), True)]
    finally:
        g.kill()


def qemu_regions_heap_resync():
    name = 'regions/qemu-heap-resync-holds-regions'
    # A small queue that drops events: the resync rounds snapshot the demo's space while it lives.
    g = guest.Guest('regions-heap-resync', 'demo=heap telemetry_loss=announce telemetry_queue=1024', megs=63)
    try:
        if not _done(g, 'Demo heap: done', 60):
            return [_fail(name, g, 'the demo did not finish')]
        recs = g.records()
        # Its `space create` may be among the lost events: its snapshots name it too.
        asid = next((r.fields[1] for r in recs if r.type == 'snap' and r.fields[1] != '0'), None)
        if not asid:
            return [_fail(name, g, 'no snapshot of the demo\'s space')]
        problems = []
        heaps = _held_then_events(recs, asid, problems)
        if not heaps:
            problems.append('no resync snapshot of the demo\'s space held its heap')
        return [_fail(name, g, '; '.join(problems[:8])) if problems else
                Result('%s (%d snapshots with a heap)' % (name, heaps), True)]
    finally:
        g.kill()


CASES = [qemu_regions_stack_demo, qemu_regions_heap_demo, qemu_regions_heap_resync]
