"""Trust under load: the picture koiz-view builds from the stream equals the
machine, under load too, and where it cannot (records lost) it says so.

QEMU runs the demos with the kernel loaded by its multiboot loader; at quiet
moments (the CPU halted in the kernel, the telemetry queue empty) the test
stops the guest and holds koiz-view's model of the stream so far
(build/tests/model_entries) up against every address space in the guest's
memory, entry by entry, accessed/dirty aside (tests/guest.py).
"""
import os
import random
import re
import subprocess
import time

import emulators as emu
import guest
import kzproto
from runner import Result

ROOT = emu.ROOT
VIEW = os.path.join(ROOT, 'build', 'koiz-view')

# What ends each demo, and how long it may take in QEMU at full speed.
DONE = {'churn': ('Demo churn: done', 120), 'fork': ('Demo fork: done', 60), 'heap': ('Demo heap: done', 60),
        'tour': ('Demo idle: kernel only', 150)}


def _fail(name, g, why):
    tail = '\n'.join(g.text().splitlines()[-30:]) if g else ''
    return Result(name, False, '%s\n--- the stream\'s last lines (%s) ---\n%s'
                  % (why, g.stream if g else '', tail))


def _wait_done(g, demo):
    """Waits for the demo's last words and the round the kernel sends after them."""
    text, seconds = DONE[demo]

    def done(recs):
        said = next((i for i, r in enumerate(recs) if r.type == 'log' and text in r.line), None)
        return said is not None and any(r.type == 'sync' for r in recs[said:])
    return g.wait_for(done, seconds)


_DUMP_SPACE = re.compile(r'^space (\d+) cr3 0x([0-9a-f]+) ')
_DUMP_RUN = re.compile(r'^0x([0-9a-f]+)-0x([0-9a-f]+)\s+\S+ -> 0x([0-9a-f]+) (4K|4M)\b')
_RESULT = re.compile(r'^result 0x([0-9a-f]{8}) -> (?:0x([0-9a-f]{8})|none)')


def _translate(runs, va):
    """The physical address va has in a dump's runs [(start, end, pa)], or None."""
    for start, end, pa in runs:
        if start <= va < end:
            return pa + va - start
    return None


def _walked(asid, addresses, stream):
    """koiz-view --walk of each address in space asid: {va: pa or None}."""
    args = [VIEW, '--asid', str(asid)]
    for va in addresses:
        args += ['--walk', '%x' % va]
    out = subprocess.run(args + [stream], capture_output=True, text=True, timeout=60).stdout
    return {int(m.group(1), 16): int(m.group(2), 16) if m.group(2) else None
            for m in map(_RESULT.match, out.splitlines()) if m}


def _walks(g, name, count=1000, user_live=False):
    """koiz-view --walk of `count` addresses (half in pages a space maps, half anywhere, over every
    space) equals the translation the --dump of the same stream gives, and, in the live space,
    QEMU's own `info tlb`; with user_live, the live space must be a user space, and some of its user
    pages walked. The guest must be stopped."""
    rng = random.Random(15)
    dump = subprocess.run([VIEW, '--dump', g.stream], capture_output=True, text=True, timeout=60).stdout
    spaces, runs = {}, None
    for line in dump.splitlines():
        m = _DUMP_SPACE.match(line)
        if m:
            runs = spaces.setdefault(int(m.group(1)), (int(m.group(2), 16), []))[1]
        elif _DUMP_RUN.match(line) and runs is not None:
            m = _DUMP_RUN.match(line)
            runs.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16)))
    cr3 = int(re.search(r'CR3=([0-9a-f]{8})', g.hmp('info registers')).group(1), 16) & ~0xFFF
    live = [asid for asid, (c, _) in spaces.items() if c == cr3]
    tlb = g.tlb()
    problems, walked, live_mapped, live_user = [], 0, 0, 0
    if not live:
        problems.append('no space in the dump has the live CR3 %08x' % cr3)
    for asid, (_, runs) in sorted(spaces.items()):
        n = count // 2 if live and asid == live[0] else count // 2 // max(1, len(spaces) - 1)
        mapped = [s + rng.randrange(e - s) for s, e, _ in rng.choices(runs, k=n // 2)] if runs else []
        addresses = mapped + [rng.randrange(1 << 32) for _ in range(n - len(mapped))]
        got = _walked(asid, addresses, g.stream)
        for va in addresses:
            walked += 1
            want = _translate(runs, va)
            if va not in got or got[va] != want:
                problems.append('asid %d va %08x: --walk says %s, the dump %s' % (asid, va, got.get(va, 'nothing'), want))
            if live and asid == live[0]:
                page = tlb.get(va & ~0xFFF)
                large = tlb.get(va & ~0x3FFFFF)
                cpu = page[0] + (va & 0xFFF) if page and page[1] == 0x1000 else \
                    large[0] + (va & 0x3FFFFF) if large and large[1] == 0x400000 else None
                if got.get(va) != cpu:
                    problems.append('asid %d va %08x: --walk says %s, QEMU\'s info tlb %s' % (asid, va, got.get(va), cpu))
                live_mapped += cpu is not None
                live_user += cpu is not None and va < 0xC0000000
            if len(problems) > 20:
                break
    if walked < count * 9 // 10:
        problems.append('only %d addresses walked' % walked)
    if live_mapped < count // 8 or (user_live and live_user < count // 16):
        problems.append('only %d addresses mapped in the live space, %d of them user pages' % (live_mapped, live_user))
    return Result('%s (%d addresses; in the live space %d mapped, %d user)' % (name, walked, live_mapped, live_user),
                  not problems, '\n'.join(problems[:20]))


def _compare_at_quiet(g, name, prove=False, walks=False):
    """The comparison at the next quiet moment: every space's entries, every frame's owner and
    references. With prove, also that it would notice one record gone: the stream without its
    last user-space map must not compare equal. With walks, --walk against the dump and the CPU."""
    if not g.quiet_stop():
        return [_fail(name, g, 'the kernel never came to a quiet moment')]
    problems = g.compare()
    results = [_fail(name, g, '\n'.join(problems)) if problems else Result(name, True)]
    problems = g.compare_frames()
    results.append(_fail(name + '-frames', g, '\n'.join(problems)) if problems else Result(name + '-frames', True))
    if walks:
        results.append(_walks(g, name.replace('-equals-memory', '') + '-walks-equal-dump-and-tlb'))
    if prove:
        lines = g.text().split('\n')
        last = max(i for i, l in enumerate(lines) if l.startswith('@KZ1 map ') and l.split()[3] != '0')
        damaged = os.path.join(emu.TMP, g.name + '.damaged')
        with open(damaged, 'w', encoding='latin-1') as f:
            f.write('\n'.join(lines[:last] + lines[last + 1:]))
        noticed = g.compare(damaged)
        os.remove(damaged)
        results.append(Result(name + '-would-notice-a-lost-record', bool(noticed),
                              'a stream without %r compared equal' % lines[last]))
    g.cont()
    return results


def qemu_walks_in_a_live_user_space():
    """The live space a task's: user/spin.c's tasks loop in ring 3 (forked: frames shared), and the guest
    is stopped there with the telemetry queue empty. koiz-view --walk of 1,000 addresses equals QEMU's
    `info tlb` in that space and the --dump's translation in every space."""
    name = 'trust/qemu-walks-in-a-live-user-space-equal-info-tlb'
    g = guest.Guest('trust-walk-spin', 'demo=spin demo_limit=30', megs=32)
    try:
        if not g.wait_for(lambda recs: sum(1 for r in recs if r.type == 'fork') >= 3, 20):
            return [_fail(name, g, 'spin did not fork its tasks')]
        if not g.user_stop():
            return [_fail(name, g, 'no moment with a task in ring 3 and the queue empty')]
        result = _walks(g, name, user_live=True)
        g.cont()
        return [result]
    finally:
        g.kill()


def _tour_picture(g, name):
    """The tour's physical panel, drawn by koiz-view --headless at the first `frames` record after the
    fork scene's children share their pages: every frame's cell in its owner's colour, as many free
    cells as the status line says, heap, tables, image and shared frames in their own colours
    (build/tests/png_check --phys)."""
    recs = g.records()
    shared = [i for i, r in enumerate(recs) if r.type == 'log' and 'forkdemo: child' in r.line]
    after = next((i + 1 for i, r in enumerate(recs) if r.type == 'frames' and shared and i > shared[-1]), None)
    if not after:
        return _fail(name, g, 'no frames record after the fork scene shared its pages')
    png = os.path.join(emu.TMP, g.name + '-phys.png')
    view = subprocess.run([VIEW, '--headless', '--size', '1280x800', '--screenshot', png, '--after', str(after),
                           g.stream], capture_output=True, text=True, timeout=60)
    if view.returncode != 0:
        return _fail(name, g, 'koiz-view failed: ' + view.stderr)
    check = subprocess.run([os.path.join(ROOT, 'build', 'tests', 'png_check'), '--phys', g.stream, png, str(after)],
                           capture_output=True, text=True, env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'))
    return Result(name, check.returncode == 0, check.stdout + check.stderr + '\n(picture: %s)' % png)


def _losses(g):
    return [r for r in g.records() if r.type in ('loss', 'drop')]


def _lossless(demo, megs):
    """The default settings: no record lost, and the stream equals the machine, every
    address space, at quiet moments during the demo and at its end."""
    prefix = 'trust/qemu-%dM-%s' % (megs, demo)

    def case():
        results = []
        g = guest.Guest('trust-%dM-%s' % (megs, demo), 'demo=' + demo, megs=megs)
        try:
            if demo == 'fork':
                # The children sleep before they write, and between writes: quiet moments
                # with four spaces alive, frames shared and half split.
                if not g.wait_for(g.log_seen('forkdemo: child'), 30):
                    return [_fail(prefix + '/mid-demo', g, 'the fork demo did not start')]
                for i in range(3):
                    time.sleep(0.4)
                    results += _compare_at_quiet(g, '%s/mid-demo-%d-equals-memory' % (prefix, i + 1), prove=i == 0,
                                                 walks=i == 0)
            if not _wait_done(g, demo):
                return results + [_fail(prefix + '/finished', g, 'the demo did not finish')]
            time.sleep(0.3)
            results += _compare_at_quiet(g, prefix + '/end-equals-memory')
            if demo == 'tour' and megs < 100:
                results.append(_tour_picture(g, prefix + '/physical-panel-pixels'))
            lost = _losses(g)
            results.append(_fail(prefix + '/no-loss', g, 'records were lost: %s' % lost[0].line) if lost
                           else Result(prefix + '/no-loss', True))
        finally:
            g.kill()
        return results
    case.__name__ = 'trust_qemu_%dM_%s' % (megs, demo)
    return case


def _prefix_spaces(g, text, upto):
    """koiz-view's verdict on each space after the first `upto` characters of the stream."""
    cut = os.path.join(emu.TMP, g.name + '.prefix')
    with open(cut, 'w', encoding='latin-1') as f:
        f.write(text[:upto])
    out = subprocess.run([guest.ENTRIES, cut], capture_output=True, text=True).stdout
    os.remove(cut)
    return {int(l.split()[1]): l.split()[3] for l in out.splitlines() if l.startswith('space ')}


def _announced(demo):
    """telemetry_loss=announce with the smallest queue: losses happen, each is announced
    before any later event (the order check holds every recording to that), koiz-view
    marks every space untrusted from the `loss` on and whole after the resync round, and
    at the end every space equals the machine and no destroyed space is listed."""
    prefix = 'trust/qemu-announce-%s' % demo

    def case():
        results = []
        g = guest.Guest('trust-announce-' + demo, 'demo=%s telemetry_loss=announce telemetry_queue=1024' % demo,
                        megs=63)
        try:
            if not _wait_done(g, demo):
                return [_fail(prefix + '/finished', g, 'the demo did not finish')]
            time.sleep(0.3)
            results += _compare_at_quiet(g, prefix + '/end-equals-memory')
            text = g.text()
            losses = [i for i in range(len(text)) if text.startswith('@KZ1 loss ', i)][:4]
            name = prefix + '/losses-marked'
            if not losses:
                results.append(_fail(name, g, 'a 1 KiB queue lost nothing: the test proves nothing'))
                return results
            problems = []
            for at in losses:
                after_loss = text.index('\n', at) + 1
                marked = _prefix_spaces(g, text, after_loss)
                if any(v != 'untrusted' for v in marked.values()):
                    problems.append('after the loss at byte %d: %s' % (at, marked))
                sync = text.find('@KZ1 sync ', after_loss)
                if sync > 0:
                    marked = _prefix_spaces(g, text, text.index('\n', sync) + 1)
                    if not marked or any(v != 'whole' for v in marked.values()):
                        problems.append('after the resync at byte %d: %s' % (sync, marked))
            results.append(_fail(name, g, '\n'.join(problems)) if problems else Result(name, True))
        finally:
            g.kill()
        return results
    case.__name__ = 'trust_qemu_announce_%s' % demo
    return case


def heap_gives_back():
    """The heap demo's heap goes back whole: its page tables are freed (the stream says
    `ptab free` for each before the space's destroy) and the frame counters after the demo
    are those of before."""
    name = 'trust/qemu-heap/tables-freed'
    g = guest.Guest('trust-heap', 'demo=heap', megs=63)
    try:
        if not _wait_done(g, 'heap'):
            return [_fail(name, g, 'the demo did not finish')]
        recs = g.records()
        frames = [r for r in recs if r.type == 'frames']
        create = next((r for r in recs if r.type == 'space' and r.fields[2] == 'create'), None)
        if not create or not frames:
            return [_fail(name, g, 'no space create or no frames record')]
        asid = create.fields[1]
        # The heap starts after the program in directory entry 32 (whose table the program
        # keeps) and runs past 0x08400000: every table of its own, from entry 33 up.
        alloc = {r.fields[2] for r in recs if r.type == 'ptab' and r.fields[1] == asid and r.fields[-1] == 'alloc'
                 and 33 <= int(r.fields[2]) < 700}
        freed, destroyed = set(), False
        for r in recs:
            if r.type == 'ptab' and r.fields[1] == asid and r.fields[-1] == 'free' and not destroyed:
                freed.add(r.fields[2])
            if r.type == 'space' and r.fields[1] == asid and r.fields[2] == 'destroy':
                destroyed = True
        # frames: tick total free tables kernel process, sent right after each round's sync:
        # the boot round's, and the one at the demo's end.
        after_sync = [recs[i + 1].fields for i in range(len(recs) - 1)
                      if recs[i].type == 'sync' and recs[i + 1].type == 'frames']
        if len(after_sync) < 2:
            return [_fail(name, g, 'expected the counters after the boot round and the demo\'s')]
        before, after = after_sync[0], after_sync[-1]
        problems = []
        if not alloc:
            problems.append('the heap took no table of its own (1,100 pages should spill into entry 33)')
        if alloc - freed:
            problems.append('heap tables %s not freed before the destroy' % sorted(alloc - freed))
        if not destroyed:
            problems.append('the space was not destroyed')
        # total free tables kernel process: page tables and user frames back to where they
        # were (the kernel heap keeps the pages it grew by for the task's structures).
        if (after[3], after[5]) != (before[3], before[5]):
            problems.append('frames before %s, after %s: tables or user frames not back' % (before, after))
        if 'heapgrow: the heap did not shrink' in g.text():
            problems.append('heapgrow says its heap did not shrink')
        return [_fail(name, g, '; '.join(problems)) if problems else Result(name, True)]
    finally:
        g.kill()


def peak_rss(cmd, timeout=120):
    """Runs cmd under build/tests/peak_rss; returns (peak RSS in KiB, exit status, stdout,
    stderr without the measurement)."""
    tool = os.path.join(ROOT, 'build', 'tests', 'peak_rss')
    p = subprocess.run([tool] + cmd, capture_output=True, text=True, timeout=timeout)
    lines = p.stderr.splitlines()
    rss = [int(l.split()[1]) for l in lines if l.startswith('peak_rss_kib ')]
    err = '\n'.join(l for l in lines if not l.startswith('peak_rss_kib '))
    return (rss[-1] if rss else -1), p.returncode, p.stdout, err


def _many_spaces_stream(path, n=5000):
    """A boot, then n spaces created, given a page, made live, and destroyed one after the
    other (asids up to 4,000,000,000), one whose destroy is lost (a loss, then a resync
    round that does not name it), and one created late and left alive."""
    rec = kzproto.record
    with open(path, 'w', encoding='latin-1') as f:
        f.write(rec('hello', 1, 'many', 32768, 4096, 1, 1))
        f.write(rec('round', 0, 1, 1, 'boot'))
        f.write(rec('snap', 1, 0, '100000', 0))
        f.write(rec('pde', 0, 768, 8, '183'))
        f.write(rec('end', 1, 0, 8, 0, 1))
        f.write(rec('sync', 0, 1, 1))
        tick = 1
        for i in range(n):
            asid = 1 + i * 800000
            cr3 = '%x' % (0x200000 + (i % 1000) * 0x1000)
            f.write(rec('space', tick, asid, 'create', cr3))
            f.write(rec('ptab', tick, asid, 32, '%x' % (0x600007 + (i % 100) * 0x1000), 'alloc'))
            f.write(rec('map', tick, asid, '8000000', '4k', 1, '700007'))
            f.write(rec('space', tick, asid, 'switch', cr3))
            f.write(rec('space', tick, 0, 'switch', '100000'))
            if i == n // 2:
                lost = asid      # its destroy is lost
                f.write(rec('loss', tick, 'full'))
                f.write(rec('drop', tick + 1, 3, tick, tick + 1))
                tick += 1
                f.write(rec('round', tick, 2, 1, 'loss'))
                f.write(rec('snap', 2, 0, '100000', tick))
                f.write(rec('pde', 0, 768, 8, '183'))
                f.write(rec('end', 2, 0, 8, 0, 1))
                f.write(rec('sync', tick, 2, 1))
            else:
                f.write(rec('unmap', tick, asid, '8000000', '4k', 1))
                f.write(rec('ptab', tick, asid, 32, 'free'))
                f.write(rec('space', tick, asid, 'destroy', cr3))
            tick += 1
        f.write(rec('space', tick, 4000000000, 'create', '300000'))
        f.write(rec('ptab', tick, 4000000000, 767, '702007', 'alloc'))
        f.write(rec('map', tick, 4000000000, 'bfffe000', '4k', 1, '701007'))
    return lost


def koiz_view_many_spaces():
    """koiz-view over a recording of 5,000 spaces created and destroyed: the list holds
    only the live ones (a space absent from a complete round is gone), the late one is
    shown, and memory stays bounded."""
    name = 'trust/koiz-view-5000-spaces'
    os.makedirs(emu.TMP, exist_ok=True)
    path = os.path.join(emu.TMP, 'many-spaces.txt')
    lost = _many_spaces_stream(path)
    rss_kib, code, out, err = peak_rss([VIEW, '--dump', path])
    spaces = [l.split()[1] for l in out.splitlines() if l.startswith('space ')]
    problems = []
    if code != 0:
        problems.append('exit status %d: %s' % (code, err[-500:]))
    if spaces != ['0', '4000000000']:
        problems.append('spaces listed: %s (expected 0 and 4000000000; %d was destroyed during a loss)'
                        % (spaces[:10], lost))
    if '0xbfffe000-0xbffff000' not in out:
        problems.append('the late space\'s page is not in the dump')
    if rss_kib > 64 * 1024:
        problems.append('peak RSS %d KiB (bound: 64 MiB)' % rss_kib)
    return [Result(name, not problems, '; '.join(problems) + '\n(peak RSS %d KiB)' % rss_kib)]


CASES = [
    _lossless('fork', 63), _lossless('churn', 63), _lossless('tour', 63),
    _lossless('fork', 1024), _lossless('churn', 1024), _lossless('tour', 1024),
    _announced('fork'), _announced('churn'), heap_gives_back, koiz_view_many_spaces, qemu_walks_in_a_live_user_space,
]
