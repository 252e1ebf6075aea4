"""koiz-view --gdb and --verify, end to end, in QEMU (issue 19). The records
koiz-view makes of its polls are recorded (--record) and replayed up to a
chosen record (--dump --after N), so each moment is looked at with the same
parser and model that draw it:

- the test kernel that is not Koiz (tests/anykernel), started by koiz-view
  (--qemu --gdb --kernel): at every step of its schedule, the picture at the
  end of the step's quiet time equals the layout the kernel printed (its
  lines are in the recording, as log records, just before the polls that
  follow them); paging off and PAE are said, nothing drawn;
- Koiz's fork demo, one boot with telemetry on 0xE9 and the stub: the
  picture koiz-view makes from the stub alone (the telemetry reaches it on
  standard input, and it keeps only the console text) equals the model of
  the telemetry at the same quiet moments: after both forks, and after the
  demo (same pages, frames and flags; accessed and dirty aside);
- the same demo with telemetry=off (another boot: Koiz lays out its frames
  otherwise with and without telemetry, so frames are compared up to a
  renaming that must be one to one): the kernel's space equals the
  telemetry's, and every task's space is gone when the demo is;
- --verify: no divergence on a normal boot with the fork demo; with the
  test-only kernel option test_diverge=1, the divergence is reported with
  the entry, both values and since when, and they are what the kernel says
  it did.

Only spaces koiz-view saw live at some poll are known to it: a task that
never ran during a poll is not in its picture (docs/any-kernel.md). So the
comparisons take the spaces both sides hold, require the kernel's, and
require that no space koiz-view holds is unknown to the telemetry except
Koiz's boot page directory (boot_page_dir), which looks like a directory as
long as the kernel runs.
"""
import os
import re
import shutil
import signal
import subprocess
import time

import emulators as emu
import gdb_tests as gt
import kzproto
from runner import Result

VIEW = gt.VIEW
KERNEL_BASE = 0xC0000000


def _fail(name, why, *texts):
    return Result(name, False, why + ''.join('\n--- %s ---\n%s' % (label, text[-3000:]) for label, text in texts))


def _tmp(name):
    """A fresh path in the tests' scratch directory (a file left by an earlier run is removed)."""
    os.makedirs(emu.TMP, exist_ok=True)
    path = os.path.join(emu.TMP, name)
    if os.path.exists(path):
        os.remove(path)
    return path


def _order_checked(path):
    """Hands a recording to the suite's order check (stream_order.py: a second reader of the rules)."""
    os.makedirs(emu.STREAMS, exist_ok=True)
    if os.path.exists(path):
        shutil.copyfile(path, os.path.join(emu.STREAMS, os.path.basename(path) + '.txt'))


def _records(path):
    with open(path, encoding='latin-1') as f:
        return kzproto.records(f.read())


def _log_text(r):
    """The text of a log record (after its tick) or of a warn record."""
    return ' '.join(r.fields if r.type == 'warn' else r.fields[1:])


def _dump_after(path, count):
    """The model after the first `count` records of a recording: (spaces {cr3: runs}, current cr3, text)."""
    p = subprocess.run([VIEW, '--dump', '--after', str(count), path], capture_output=True, text=True, timeout=60)
    m = re.search(r'^space \d+ cr3 (0x[0-9a-f]+) \S+ current', p.stdout, re.M)
    return gt._dump_spaces(p.stdout), int(m.group(1), 16) if m else None, p.stdout + p.stderr


def _whole(text, cr3):
    return re.search(r'^space \d+ cr3 0x%08x whole' % cr3, text, re.M) is not None


# ---- the test kernel ----

def gdb_view_anykernel():
    """tests/anykernel watched by koiz-view --qemu --gdb from its first instruction: at the end of each
    step's quiet time the live space equals the layout the kernel printed; paging off and PAE are said
    (a warn record) and nothing is drawn; QEMU's exit ends the run."""
    prefix = 'gdb-view/anykernel'
    rec = _tmp('anykernel-view.rec')
    try:
        p = subprocess.run([VIEW, '--qemu', '--gdb', '--kernel', gt.ANYKERNEL, '--append', 'hold=700', '--headless',
                            '--dump', '--record', rec], capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired as e:
        return [_fail(prefix, 'koiz-view still ran after 90 s', ('koiz-view', str(e.stderr)))]
    if p.returncode != 0 or not os.path.exists(rec):
        return [_fail(prefix, 'koiz-view failed (status %d)' % p.returncode, ('koiz-view', p.stderr))]
    _order_checked(rec)
    recs = _records(rec)
    logs = [(i, _log_text(r)) for i, r in enumerate(recs) if r.type == 'log']
    console = '\n'.join(t for _, t in logs) + '\n'
    results = []
    for step in range(1, 9):
        header, runs = gt.kernel_layout(console, step)
        name = '%s/step-%d-%s' % (prefix, step, header['mode'] if header else '?')
        if header is None:
            results.append(_fail(name, 'no complete layout %d among the log records' % step, ('console', console)))
            continue
        began = next(i for i, t in logs if t.startswith('step %d ' % step))
        ends = next((i for i, t in logs if t.startswith('step %d ' % (step + 1)) or t == 'done'), len(recs))
        spaces, current, text = _dump_after(rec, ends)
        if header['mode'] in ('off', 'pae'):
            words = gt._MODE_WORDS[header['mode']]
            said = any(r.type == 'warn' and _log_text(r).startswith(words) for i, r in enumerate(recs[:ends])
                       if header['mode'] == 'off' or i > began)
            why = None if said and not spaces else \
                'nothing may be drawn and "%s" must be said; spaces drawn: %s' % (words, sorted(map(hex, spaces)))
        elif current != header['cr3']:
            why = 'the live space is cr3 %s, the kernel says 0x%x' % (current and hex(current), header['cr3'])
        elif not _whole(text, current):
            why = 'the live space is not whole'
        else:
            diff = gt.page_differences(gt.pages(runs), gt.pages(spaces[current]))
            why = 'the picture differs from the layout the kernel printed:\n' + '\n'.join(diff) if diff else None
        results.append(_fail(name, why, ('dump after %d records' % ends, text)) if why else Result(name, True))
    return results


# ---- Koiz's fork demo ----

class TeeGuest(gt.Guest):
    """A Guest whose port 0xE9 bytes also go to a sink (koiz-view's standard input), once set."""

    sink = None

    def _read(self):
        while True:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                if self.sink:
                    self.sink.close()
                return
            with self.lock:
                self.text += data.decode('latin-1')
            if self.sink:
                try:
                    self.sink.write(data)
                    self.sink.flush()
                except (BrokenPipeError, ValueError):
                    self.sink = None


def _watch_until_done(view, guest_text, timeout=60):
    """Waits for the fork demo's end in the guest's output (a function giving it), a moment more,
    then stops koiz-view with SIGTERM. Returns koiz-view's stderr, or None on a timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline and not re.search(r'Demo fork: done', guest_text()):
        if view.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(1.0)
    if view.poll() is None:
        view.send_signal(signal.SIGTERM)
    try:
        _, err = view.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        view.kill()
        return None
    return err.decode('latin-1') if isinstance(err, bytes) else err


def _ticks(recs):
    """Each record's tick: its own field, or (pde, pte, end, hello...) the last one before it."""
    ticks, tick = [], 0
    for r in recs:
        if r.type == 'snap':
            tick = int(r.fields[3])
        elif r.type in ('log', 'round', 'sync', 'map', 'remap', 'unmap', 'protect', 'ptab', 'space'):
            tick = int(r.fields[0])
        ticks.append(tick)
    return ticks


def _moments_gdb(recs):
    """In a recording of koiz-view --gdb: (after both forks, after the demo) as record counts: the
    first is every record up to 0.2 s after the second 'shares all 64 pages' line (the children
    sleep 0.5 s after their fork), the second the whole recording."""
    shares = [r for r in recs if r.type == 'log' and 'shares all 64 pages' in _log_text(r)]
    if len(shares) < 2:
        return None, None
    t = int(shares[1].fields[0]) + 20
    return sum(1 for tick in _ticks(recs) if tick <= t), len(recs)


def _moments_telemetry(recs):
    """In Koiz's telemetry: right after the second 'shares' line (the forks are sent before it), and
    the end (the demo over, the kernel idle)."""
    shares = [i for i, r in enumerate(recs) if r.type == 'log' and 'shares all 64 pages' in _log_text(r)]
    return (shares[1] + 1 if len(shares) > 1 else None), len(recs)


def _compare_spaces(view_spaces, tel_spaces, kernel_cr3, boot_dir, rename=False):
    """Why the spaces koiz-view built from the stub differ from the telemetry's, or None."""
    if kernel_cr3 not in view_spaces:
        return 'koiz-view has no space with the kernel\'s cr3 0x%x (it has %s)' % (
            kernel_cr3, sorted(map(hex, view_spaces)))
    problems = []
    for cr3, runs in sorted(view_spaces.items()):
        if cr3 == boot_dir:
            continue
        if cr3 not in tel_spaces and not rename:
            problems.append('cr3 0x%x: a space the telemetry does not hold' % cr3)
            continue
        if rename and cr3 != kernel_cr3:
            problems.append('cr3 0x%x: a task\'s space, when only the kernel\'s should be left' % cr3)
            continue
        want, got = gt.pages(tel_spaces[cr3] if cr3 in tel_spaces else tel_spaces[kernel_cr3]), gt.pages(runs)
        if rename:
            problems += _renamed_differences(want, got)
        else:
            problems += ['cr3 0x%x %s' % (cr3, d) for d in gt.page_differences(want, got)]
    return '\n'.join(problems[:12]) or None


def _renamed_differences(want, got):
    """Pages and flags equal, frames equal up to a one-to-one renaming (4 KiB frames)."""
    problems, there, back = [], {}, {}
    for key in sorted(set(want) | set(got)):
        a, b = want.get(key), got.get(key)
        if a is None or b is None or a[1] != b[1]:
            problems.append('0x%08x: telemetry %s, koiz-view %s' % (key[0], a, b))
            continue
        for off in range(0, key[1], 0x1000):
            fa, fb = a[0] + off, b[0] + off
            if there.setdefault(fa, fb) != fb or back.setdefault(fb, fa) != fa:
                problems.append('0x%08x: frame 0x%x is renamed two ways' % (key[0] + off, fa))
                break
    return problems


def gdb_view_koiz_fork():
    """Koiz's fork demo, one boot: the telemetry on 0xE9, and koiz-view --gdb reading the stub (and the
    guest's output on standard input, for the console text only). At the quiet moment after both forks
    and after the demo, every space koiz-view holds equals the telemetry's space of the same cr3, the
    kernel's among them (A and D aside); after the demo no task's space is left."""
    prefix = 'gdb-view/koiz-fork'
    rec, stream = _tmp('koiz-fork-view.rec'), _tmp('koiz-fork-telemetry.txt')
    boot_dir = gt._symbol(gt.KOIZ, 'boot_page_dir') - KERNEL_BASE
    guest = TeeGuest('koiz-fork-gdb', ['-S', '-kernel', gt.KOIZ, '-append', 'demo=fork'])
    try:
        view = subprocess.Popen([VIEW, '--gdb', '127.0.0.1:%d' % guest.port, '-', '--rate', '100', '--headless', '--dump', '--record',
                                 rec], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        guest.sink = view.stdin
        err = _watch_until_done(view, guest.output)
        with open(stream, 'w', encoding='latin-1') as f:
            f.write(guest.output())
    finally:
        guest.stop()
    if err is None or view.returncode not in (0, 128 + signal.SIGTERM):
        return [_fail(prefix, 'koiz-view did not end well (status %s)' % view.returncode, ('koiz-view', err or ''),
                      ('the guest', guest.output()))]
    _order_checked(rec)
    results = []
    tel, got = _moments_telemetry(_records(stream)), _moments_gdb(_records(rec))
    for k, moment in enumerate(('after-forks', 'after-demo')):
        name = '%s/%s' % (prefix, moment)
        if tel[k] is None or got[k] is None:
            results.append(_fail(name, 'the demo did not run as expected', ('the guest', guest.output())))
            continue
        tel_spaces, tel_cur, tel_text = _dump_after(stream, tel[k])
        view_spaces, _, view_text = _dump_after(rec, got[k])
        kernel = next((int(m, 16) for m in re.findall(r'^space 0 cr3 (0x[0-9a-f]+)', tel_text, re.M)), None)
        why = _compare_spaces(view_spaces, tel_spaces, kernel, boot_dir)
        if not why and moment == 'after-demo' and set(view_spaces) - {kernel, boot_dir}:
            why = 'spaces left after the demo: %s' % sorted(map(hex, set(view_spaces) - {kernel, boot_dir}))
        results.append(_fail(name, why, ('telemetry', tel_text), ('koiz-view --gdb', view_text))
                       if why else Result(name, True))
    # Kept for the next case (telemetry=off), which compares with this boot's telemetry.
    return results


def gdb_view_koiz_fork_telemetry_off():
    """The fork demo again, Koiz booted with telemetry=off and watched by koiz-view --qemu --gdb alone
    (the kernel sends no record; its console text becomes the log): after both forks and after the demo
    the kernel's space equals the telemetry's of a boot with telemetry (gdb-view/koiz-fork's, run again
    here), pages and flags equal and frames up to a one-to-one renaming; after the demo no task's space
    is left (each went when its directory was freed)."""
    prefix = 'gdb-view/koiz-fork-telemetry-off'
    rec, stream = _tmp('koiz-teloff-view.rec'), _tmp('koiz-fork-telemetry-for-teloff.txt')
    boot_dir = gt._symbol(gt.KOIZ, 'boot_page_dir') - KERNEL_BASE
    guest = gt.Guest('koiz-fork-tel', ['-kernel', gt.KOIZ, '-append', 'demo=fork'])
    try:
        done = guest.wait_for(r'Demo fork: done', 60)
        time.sleep(0.5)
        with open(stream, 'w', encoding='latin-1') as f:
            f.write(guest.output())
    finally:
        guest.stop()
    if not done:
        return [_fail(prefix, 'the telemetry boot did not finish the demo', ('the guest', guest.output()))]
    view = subprocess.Popen([VIEW, '--qemu', '--gdb', '--kernel', gt.KOIZ, '--append', 'telemetry=off demo=fork',
                             '--headless', '--dump', '--record', rec], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def seen():
        try:
            with open(rec, encoding='latin-1') as f:
                return f.read()
        except OSError:
            return ''
    err = _watch_until_done(view, seen)
    if err is None or view.returncode not in (0, 128 + signal.SIGTERM):
        return [_fail(prefix, 'koiz-view did not end well (status %s)' % view.returncode, ('koiz-view', err or ''))]
    _order_checked(rec)
    recs = _records(rec)
    if not any(r.type == 'log' and 'Telemetry: off' in _log_text(r) for r in recs):
        return [_fail(prefix, 'the kernel did not say its telemetry is off', ('koiz-view', seen()))]
    results = []
    tel, got = _moments_telemetry(_records(stream)), _moments_gdb(recs)
    for k, moment in enumerate(('after-forks', 'after-demo')):
        name = '%s/%s' % (prefix, moment)
        if tel[k] is None or got[k] is None:
            results.append(_fail(name, 'the demo did not run as expected', ('koiz-view', seen())))
            continue
        tel_spaces, _, tel_text = _dump_after(stream, tel[k])
        view_spaces, view_cur, view_text = _dump_after(rec, got[k])
        kernel = next((int(m, 16) for m in re.findall(r'^space 0 cr3 (0x[0-9a-f]+)', tel_text, re.M)), None)
        live = [cr3 for cr3 in view_spaces if cr3 not in (boot_dir,)]
        # The kernel's directory is the live one at these moments (every task sleeps, or is gone).
        why = None if view_cur == kernel else 'the live space is %s, the telemetry boot\'s kernel space 0x%x' % (
            view_cur and hex(view_cur), kernel)
        if not why and moment == 'after-demo' and live != [kernel]:
            why = 'spaces other than the kernel\'s after the demo: %s' % sorted(map(hex, live))
        if not why:
            why = _compare_spaces({kernel: view_spaces[kernel]}, tel_spaces, kernel, boot_dir, rename=True)
        results.append(_fail(name, why, ('telemetry', tel_text), ('koiz-view --gdb', view_text))
                       if why else Result(name, True))
    return results


# ---- --verify ----

_DIVERGENCE = re.compile(r'divergence: space (\d+) \(cr3 (0x[0-9a-f]+)\) va (0x[0-9a-f]+) (directory|table) entry: '
                         r'telemetry (0x[0-9a-f]+), memory (0x[0-9a-f]+), since tick (\d+)')
_VERIFIED = re.compile(r'--verify: (\d+) comparisons \((\d+) spaces\), (\d+) polls not at a quiet moment, (\d+) '
                       r'divergence')


def gdb_verify():
    """koiz-view --qemu --verify on Koiz: with the fork demo, comparisons at quiet moments (tasks' spaces
    among them) find no divergence and the exit status is 0; with test_diverge=1 the divergence is the
    entry the kernel says it changed, with both values and a tick from 1 s on, and the status is 3."""
    results = []
    for name, append, polls in (('gdb-verify/no-divergence', 'demo=fork', '24'),
                                ('gdb-verify/corruption-found', 'test_diverge=1', '12')):
        rec = _tmp(name.replace('/', '-') + '.rec')
        try:
            p = subprocess.run([VIEW, '--qemu', '--verify', '--kernel', gt.KOIZ, '--append', append, '--polls', polls,
                                '--headless', '--dump', '--record', rec], capture_output=True, text=True, timeout=90)
        except subprocess.TimeoutExpired as e:
            results.append(_fail(name, 'koiz-view still ran after 90 s', ('koiz-view', str(e.stderr))))
            continue
        _order_checked(rec)
        verified = _VERIFIED.search(p.stderr)
        found = _DIVERGENCE.findall(p.stderr)
        if not verified:
            results.append(_fail(name, 'no --verify summary (status %d)' % p.returncode, ('koiz-view', p.stderr)))
            continue
        checks, spaces = int(verified.group(1)), int(verified.group(2))
        if 'no-divergence' in name:
            why = None
            if p.returncode != 0 or found:
                why = 'status %d, divergences: %s' % (p.returncode, found)
            elif checks < 5 or spaces <= checks:
                why = '%d comparisons of %d spaces: too few, or never a task\'s space' % (checks, spaces)
        else:
            console = '\n'.join(_log_text(r) for r in _records(rec) if r.type == 'log')
            said = re.search(r"test_diverge: the kernel's directory entry for (0x[0-9a-f]+) is now (0x[0-9a-f]+)",
                             console)
            why = None
            if p.returncode != 3 or len(found) != 1 or not said:
                why = 'status %d (3 expected), divergences %s, the kernel said: %s' % (
                    p.returncode, found, said and said.group(0))
            else:
                asid, _, va, level, tel, mem, since = found[0]
                tel, mem = int(tel, 16), int(mem, 16)
                if (asid, va, level) != ('0', said.group(1), 'directory') or \
                        (mem ^ int(said.group(2), 16)) & ~0x60 or (tel ^ mem) & ~0x60 != 0x10 or int(since) < 100:
                    why = 'the divergence reported is not the one made: %s; the kernel said %s' % (
                        found[0], said.group(0))
        results.append(_fail(name, why, ('koiz-view', p.stderr)) if why else Result(name, True))
    return results


CASES = [gdb_view_anykernel, gdb_view_koiz_fork, gdb_view_koiz_fork_telemetry_off, gdb_verify]
