"""The time machine on real streams (docs/protocol.md, README "koiz-view").

- The fork demo in QEMU: koiz-view's difference of a parent and a child
  (--diff-spaces), at the moment before the first child ends, lists exactly the
  pages that a reading of the stream itself (this file's own, small model of the
  user half) says are shared and copied; the history of a page the child wrote
  shows the fork, then the copy with its copy-on-write fault; --diff of two
  moments counts what --at's dumps of the two moments differ by.
- A live QEMU session in a window (Xvfb): the playhead dragged back freezes the
  picture at that moment while the stream goes on, and End returns to live. The
  window's title says where in time it is.
"""
import os
import re
import signal
import subprocess
import time

import emulators as emu
import guest
import kzproto
from runner import Result

VIEW = os.path.join(emu.ROOT, 'build', 'koiz-view')

P, W, A, D, COW = 0x1, 0x2, 0x20, 0x40, 0x200
KERNEL_VA = 0xC0000000


class UserHalves:
    """Every space's user pages ({va: entry}) as the stream says, record by record:
    snapshots replace a space, events change it, a fork copies it copy-on-write."""

    def __init__(self):
        self.spaces, self.stage, self.stage_asid = {}, {}, None
        self.tables = {}  # (asid, pdi) -> True while a table is there

    def apply(self, r):
        t, f = r.type, r.fields
        if t == 'snap':
            self.stage, self.stage_asid = {}, int(f[1])
        elif t == 'pte' and self.stage_asid == int(f[0]):
            asid, pdi, first, count, entry = int(f[0]), int(f[1]), int(f[2]), int(f[3]), int(f[4], 16)
            for i in range(count):
                va = pdi << 22 | (first + i) << 12
                if va < KERNEL_VA:
                    self.stage[va] = entry + i * 0x1000
        elif t == 'end' and self.stage_asid == int(f[1]):
            self.spaces[self.stage_asid] = self.stage
            self.stage_asid = None
        elif t in ('map', 'remap', 'unmap', 'protect') and f[3] == '4k':
            pages = self.spaces.setdefault(int(f[1]), {})
            va, count = int(f[2], 16), int(f[4])
            for i in range(count):
                if va + i * 0x1000 >= KERNEL_VA:
                    continue
                at = va + i * 0x1000
                if t == 'unmap':
                    pages.pop(at, None)
                elif t == 'protect':
                    if at in pages:
                        pages[at] = (pages[at] & ~0xFFF) | int(f[5], 16)
                else:
                    pages[at] = int(f[5], 16) + i * 0x1000
        elif t == 'fork':
            parent, child = int(f[1]), int(f[2])
            src = self.spaces.setdefault(parent, {})
            dst = self.spaces.setdefault(child, {})
            for va, e in src.items():
                if e & W:
                    e = (e & ~W) | COW
                    src[va] = e
                dst[va] = e & ~(A | D)
        elif t == 'space' and f[2] in ('destroy', 'create'):
            self.spaces[int(f[1])] = {}
        elif t == 'hello':
            self.spaces = {}


def _pages_of_lines(text, kind):
    """The pages of koiz-view's difference lines of one kind ('=', '~', '+', '-')."""
    out = set()
    for m in re.finditer(r'^([-+~=]) 0x([0-9a-f]{8})-0x([0-9a-f]{8})', text, re.M):
        if m.group(1) == kind:
            out.update(range(int(m.group(2), 16), int(m.group(3), 16), 0x1000))
    return out


def _dump_pages(text):
    """{(space, va): (frame, flags)} from a --dump (ptdump lines under their space)."""
    pages, space = {}, None
    for line in text.splitlines():
        m = re.match(r'space (\d+) ', line)
        if m:
            space = int(m.group(1))
            continue
        m = re.match(r'0x([0-9a-f]{8})-0x([0-9a-f]{8})\s+\S+ -> 0x([0-9a-f]{8}) (4K|4M) (.*)$', line)
        if m and space is not None:
            start, end, frame = int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16)
            flags = ' '.join(w for w in m.group(5).split() if w not in ('A', 'D'))
            for i, va in enumerate(range(start, end, 0x1000)):
                pages[(space, va)] = (frame + i * 0x1000, flags)
    return pages


def _view(*args):
    return subprocess.run([VIEW] + list(args), capture_output=True, text=True, timeout=120)


def fork_demo_through_the_time_machine():
    name = 'travel/qemu-fork'
    g = guest.Guest('travel-fork', 'demo=fork')
    try:
        ok = g.wait_for(lambda recs: any(r.type == 'log' and 'Demo fork: done' in r.line for r in recs), 60)
    finally:
        g.kill()
    if not ok:
        return [Result(name, False, 'the fork demo did not finish (stream %s)' % g.stream)]
    recs = g.records()
    results = []

    # The moment before the first child ends, its parent and it in the stream's own reading.
    forks = [r for r in recs if r.type == 'fork']
    if len(forks) < 2:
        return [Result(name, False, 'the stream holds %d fork records, not 2' % len(forks))]
    parent, child = int(forks[0].fields[1]), int(forks[0].fields[2])
    end = next(i for i, r in enumerate(recs) if r.type == 'space' and r.fields[2] == 'destroy'
               and int(r.fields[1]) == child)
    halves = UserHalves()
    for r in recs[:end]:
        halves.apply(r)
    pa, ch = halves.spaces.get(parent, {}), halves.spaces.get(child, {})
    shared = {va for va in pa.keys() & ch.keys() if pa[va] & ~0xFFF == ch[va] & ~0xFFF}
    copied = {va for va in pa.keys() & ch.keys() if pa[va] & ~0xFFF != ch[va] & ~0xFFF}
    out = _view(g.stream, '--at', '#%d' % end, '--diff-spaces', str(parent), str(child))
    problems = []
    if out.returncode != 0:
        problems.append('koiz-view --diff-spaces failed: %s' % out.stderr)
    got_shared, got_copied = _pages_of_lines(out.stdout, '='), _pages_of_lines(out.stdout, '~')
    if got_shared != shared:
        problems.append('shared: koiz-view says %d pages, the stream %d (%s)' % (
            len(got_shared), len(shared), sorted(hex(v) for v in got_shared ^ shared)[:6]))
    if got_copied != copied:
        problems.append('copied: koiz-view says %d pages, the stream %d (%s)' % (
            len(got_copied), len(copied), sorted(hex(v) for v in got_copied ^ copied)[:6]))
    if len(copied) < 16 or len(shared) < 16:
        problems.append('the demo should have split about half of 64 pages: %d copied, %d shared'
                        % (len(copied), len(shared)))
    results.append(Result(name + '/spaces-difference-is-the-streams', not problems,
                          '\n'.join(problems) + '\n' + out.stdout[:1500]))

    # A page the child copied: its history holds the fork's sharing, then the copy and its fault.
    problems = []
    if copied:
        va = min(copied)
        out = _view(g.stream, '--history', hex(va), '--asid', str(child))
        lines = out.stdout.splitlines()
        kinds = [l.split()[3] for l in lines[1:] if len(l.split()) > 3]
        if 'fork' not in kinds or 'remap' not in kinds or kinds.index('fork') > kinds.index('remap'):
            problems.append('expected a fork, then a remap: %s' % kinds)
        if not any('remap' in l and 'copied' in l for l in lines):
            problems.append('the remap does not name its copy-on-write fault')
        results.append(Result(name + '/history-of-a-copied-page', not problems,
                              '\n'.join(problems) + '\n' + out.stdout[:1500]))

    # --diff of two moments against the two moments' dumps.
    problems = []
    a, b = forks[0], end
    ma = next(i for i, r in enumerate(recs) if r is a) + 1
    da = _dump_pages(_view(g.stream, '--at', '#%d' % ma, '--dump').stdout)
    db = _dump_pages(_view(g.stream, '--at', '#%d' % b, '--dump').stdout)
    out = _view(g.stream, '--diff', '#%d' % ma, '#%d' % b)
    m = re.search(r'(\d+) pages mapped, (\d+) unmapped, (\d+) changed', out.stdout)
    want = (len(db.keys() - da.keys()), len(da.keys() - db.keys()),
            sum(1 for k in da.keys() & db.keys() if da[k] != db[k]))
    if not m or tuple(int(x) for x in m.groups()) != want:
        problems.append('--diff says %s; the dumps differ by %d mapped, %d unmapped, %d changed'
                        % (m.group(0) if m else out.stdout[:200], *want))
    results.append(Result(name + '/diff-is-the-dumps-difference', not problems, '\n'.join(problems)))

    # A moment gone back to (a checkpoint and the records after it) is the stream read up to
    # there: every space, every fault and every frame's owner in --dump alike.
    problems = []
    for n in sorted({ma, end, len(recs) // 3, len(recs) // 2, len(recs) - 5}):
        back = _view(g.stream, '--at', '#%d' % n, '--dump')
        read = _view(g.stream, '--headless', '--after', str(n), '--dump')
        if back.returncode != 0 or read.returncode != 0:
            problems.append('#%d: koiz-view failed: %s %s' % (n, back.stderr[-300:], read.stderr[-300:]))
            continue
        lb, lr = back.stdout.splitlines(), read.stdout.splitlines()
        if 'frames' not in read.stdout:
            problems.append('#%d: the dump names no frames' % n)
        if lb[-len(lr):] != lr:
            only_b = [l for l in lb if l not in lr][:4]
            only_r = [l for l in lr if l not in lb][:4]
            problems.append('#%d: gone back to: %s; read up to: %s' % (n, only_b, only_r))
    results.append(Result(name + '/a-moment-gone-back-to-is-the-stream-read-up-to-it', not problems,
                          '\n'.join(problems)))
    return results


def _title(env, win):
    return subprocess.run(['xdotool', 'getwindowname', win], env=env, capture_output=True, text=True).stdout.strip()


def live_window_goes_back_and_returns():
    name = 'travel/xvfb-qemu-drag-back-and-live-again'
    display = ':%d' % (290 + os.getpid() % 100)
    rec = os.path.join(emu.TMP, 'travel-live.stream')
    if os.path.exists(rec):
        os.remove(rec)
    w, h = 1280, 800
    xvfb = subprocess.Popen(['Xvfb', display, '-screen', '0', '%dx%dx24' % (w, h), '-nolisten', 'tcp'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER='dummy')
    view, problems = None, []

    def title_moments(t):
        m = re.search(r'(live #(\d+)|at #(\d+) of (\d+))$', t)
        if not m:
            return None
        return ('live', int(m.group(2)), int(m.group(2))) if m.group(2) else ('at', int(m.group(3)), int(m.group(4)))

    try:
        time.sleep(1)
        view = subprocess.Popen([VIEW, '--qemu', '--record', rec, '--size', '%dx%d' % (w, h)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        win, state = None, None
        deadline = time.time() + 60
        while time.time() < deadline:
            ids = subprocess.run(['xdotool', 'search', '--class', 'koiz-view'], env=env, capture_output=True,
                                 text=True).stdout.split()
            win = ids[0] if ids else None
            state = title_moments(_title(env, win)) if win else None
            if state and state[0] == 'live' and state[1] > 3000:
                break
            time.sleep(0.5)
        if not state or state[0] != 'live':
            return [Result(name, False, 'the window never said it was live with records (title %r)'
                           % (_title(env, win) if win else None))]
        # the timeline's band: above the status line, whatever the font (layout.c)
        y = h - 60
        subprocess.run(['xdotool', 'mousemove', '--window', win, str(w * 4 // 5), str(y), 'mousedown', '1',
                        'mousemove', '--window', win, str(w // 2), str(y),
                        'mousemove', '--window', win, str(w // 4), str(y), 'mouseup', '1'], env=env)
        time.sleep(1)
        frozen = title_moments(_title(env, win))
        if not frozen or frozen[0] != 'at':
            problems.append('after dragging back the title says %r, not "at #N of M"' % _title(env, win))
        else:
            where = frozen[1] / max(frozen[2], 1)
            if not 0.1 < where < 0.4:
                problems.append('dragged to a quarter of the way, the playhead is at %.2f of the stream' % where)
            # the tour pauses between scenes (tour_pause): wait for its next records
            deadline = time.time() + 20
            later = frozen
            while time.time() < deadline and later and later[0] == 'at' and later[2] <= frozen[2]:
                time.sleep(1)
                later = title_moments(_title(env, win))
            if not later or later[0] != 'at' or later[1] != frozen[1]:
                problems.append('the picture did not stay at #%d: %r' % (frozen[1], _title(env, win)))
            elif later[2] <= frozen[2]:
                problems.append('the stream did not go on while the picture was frozen (%d, then %d records)'
                                % (frozen[2], later[2]))
        subprocess.run(['xdotool', 'key', '--window', win, 'End'], env=env)
        time.sleep(1)
        back = title_moments(_title(env, win))
        if not back or back[0] != 'live':
            problems.append('End did not return to live: %r' % _title(env, win))
        subprocess.run(['xdotool', 'key', '--window', win, 'q'], env=env)
        try:
            view.wait(10)
        except subprocess.TimeoutExpired:
            problems.append('q did not end koiz-view')
    finally:
        for p in (view, xvfb):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return [Result(name, not problems, '\n'.join(problems) + '\n(recording: %s)' % rec)]


CASES = [fork_demo_through_the_time_machine, live_window_goes_back_and_returns]
