"""`scons bench`, last part (or `python3 tests/bench_gdb.py` after `scons build/bench/gdb_peek
build/anykernel.elf`): what watching a guest through QEMU's GDB stub costs.

- Time per poll split into stopping the guest, reading (registers, directory,
  tables) and resuming it, on tests/anykernel's `bench` layout (32 MiB mapped
  in 4 KiB pages plus 12 sparse tables: 20 tables) and on Koiz at rest;
- the poll rate reachable, polling back to back;
- how much polling slows the guest, in wall-clock time: the anykernel's busy
  loop prints `loops N tsc T` every 2^20 rounds, timed here as the lines
  arrive, alone and polled (at 10 Hz, back to back) in alternating windows.
  QEMU's TSC counts only while the guest runs, so its rate against the wall
  clock is the share of time the guest ran, whatever else the host does;
  the rate of rounds also feels the host's other load. And Koiz's `bench`
  boot, whose churn phase (eight workers forking, growing, unmapping)
  reports context switches per second of its own clock, timed here from the
  records around it.

The guest's clock (QEMU's virtual clock, which drives the PIT) stands still
while the guest is stopped, so a guest measuring itself sees almost nothing
of a poll's cost; the wall clock of the host sees it all. Both are printed.
The pollers: build/bench/gdb_peek (the poll alone), and build/koiz-view --gdb
(the poll, the other spaces it keeps, and the records made of it: the model
update), both -O2 without sanitizers; koiz-view prints its own split of each
poll (stop, reads, resume, model update) when it ends.
"""
import os
import re
import statistics
import sys
import threading
import time

import gdb_tests as gt

PEEK = os.path.join(gt.ROOT, 'build', 'bench', 'gdb_peek')
VIEW = gt.VIEW
_VIEW_SUMMARY = re.compile(r'(\d+) polls in ([\d.]+) s \(([\d.]+) per second\); per poll: stop (\d+) us, reads (\d+) us, '
                           r'resume (\d+) us, model update (\d+) us; mean (\d+) us, max (\d+) us; (\d+) requests, '
                           r'(\d+) KiB; up to (\d+) spaces')
_SUMMARY = re.compile(r'polls (\d+) in ([\d.]+) s: ([\d.]+) per second; mean stop (\d+) us, reads (\d+) us, '
                      r'resume (\d+) us, total (\d+) us; max total (\d+) us')


class TimedGuest(gt.Guest):
    """A Guest that also notes when each line arrives: [(host time, line)]."""

    def __init__(self, *args, **kwargs):
        self.lines, self.partial = [], ''
        super().__init__(*args, **kwargs)

    def _read(self):
        while True:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                return
            now = time.time()
            with self.lock:
                text = data.decode('latin-1')
                self.text += text
                parts = (self.partial + text).split('\n')
                self.partial = parts.pop()
                self.lines += [(now, l) for l in parts]

    def timed(self):
        with self.lock:
            return list(self.lines)


def peek(guest, *args, timeout=120):
    import subprocess
    p = subprocess.run([PEEK, '127.0.0.1:%d' % guest.port] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    out = p.stdout + p.stderr
    m = _SUMMARY.search(out)
    if not m:
        raise RuntimeError('gdb_peek gave no summary (status %d):\n%s' % (p.returncode, out[-2000:]))
    per = [tuple(int(x) for x in re.match(r'time stop (\d+) us, reads (\d+) us, resume (\d+) us, total (\d+) us '
                                         r'\((\d+) requests, (\d+) bytes\)', l).groups())
           for l in out.splitlines() if l.startswith('time stop ')]
    tables = [int(x) for x in re.findall(r'(\d+) tables read', out)]
    return {'polls': int(m.group(1)), 'span': float(m.group(2)), 'rate': float(m.group(3)),
            'stop': int(m.group(4)), 'reads': int(m.group(5)), 'resume': int(m.group(6)), 'total': int(m.group(7)),
            'max': int(m.group(8)), 'requests': statistics.mean(p[4] for p in per) if per else 0,
            'bytes': statistics.mean(p[5] for p in per) if per else 0,
            'tables': statistics.mean(tables) if tables else 0,
            'p95': sorted(p[3] for p in per)[int(len(per) * 0.95)] if per else 0}


def view_summary(text):
    """koiz-view's summary of its polls (stderr), as a dict like peek()'s."""
    m = _VIEW_SUMMARY.search(text)
    if not m:
        raise RuntimeError('koiz-view gave no summary of its polls:\n' + text[-2000:])
    keys = ('polls', 'span', 'rate', 'stop', 'reads', 'resume', 'update', 'total', 'max', 'requests', 'kib', 'spaces')
    return {k: float(v) for k, v in zip(keys, m.groups())}


def view(guest, *args, timeout=120):
    """koiz-view --gdb polling guest headless until --polls are done; its summary."""
    import subprocess
    p = subprocess.run([VIEW, '--gdb', '127.0.0.1:%d' % guest.port, '--headless', '--dump'] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return view_summary(p.stderr)


def loop_rate(guest, t0, t1):
    """(busy-loop rounds, guest TSC ticks) per wall second between host times t0 and t1."""
    pts = []
    for t, l in guest.timed():
        w = l.split()
        if l.startswith('loops ') and len(w) == 5 and t0 <= t <= t1:
            pts.append((t, int(w[1]), int(w[3], 16) << 32 | int(w[4], 16)))
    if len(pts) < 3:
        return None, None
    wall = pts[-1][0] - pts[0][0]
    return (pts[-1][1] - pts[0][1]) * 2 ** 20 / wall, (pts[-1][2] - pts[0][2]) / wall


def anykernel_figures(pairs=5, poller=None):
    """Busy-loop speed alone and polled (by gdb_peek, or by koiz-view with poller='view'), in
    alternating windows (the host is shared: its load drifts, and a window next to its pair sees
    nearly the same); the slowdown of each pair."""
    guest = TimedGuest('bench-anykernel', ['-kernel', gt.ANYKERNEL, '-append', 'bench'])
    try:
        if not guest.wait_for(r'^bench: counting$', 30):
            raise RuntimeError('the anykernel bench did not start:\n' + guest.output()[-2000:])
        time.sleep(1)

        def pair(*args):
            t0 = time.time()
            time.sleep(2.5)
            alone = loop_rate(guest, t0, time.time())
            t0 = time.time()
            f = view(guest, *args) if poller == 'view' else peek(guest, *args)
            polled = loop_rate(guest, t0, time.time())
            return alone, polled, f

        if poller == 'view':
            at10 = [pair('--rate', '10', '--polls', '25') for _ in range(pairs)]
            fast = [pair('--rate', '1000', '--polls', '400') for _ in range(3)]
        else:
            at10 = [pair('--polls', '25', '--interval-ms', '100', '--no-runs') for _ in range(pairs)]
            fast = [pair('--polls', '400', '--interval-ms', '0', '--no-runs') for _ in range(3)]
        return {'at10': at10, 'fast': fast}
    finally:
        guest.stop()


def koiz_idle_figures():
    guest = gt.Guest('bench-koiz-idle', ['-kernel', gt.KOIZ, '-append', 'telemetry=off'])
    try:
        if not guest.wait_for(r'^Keys:', 30):
            raise RuntimeError('Koiz did not come up:\n' + guest.output()[-2000:])
        time.sleep(0.5)
        return peek(guest, '--polls', '50', '--interval-ms', '100', '--no-runs')
    finally:
        guest.stop()


def koiz_churn(poll):
    """One `bench` boot of Koiz (telemetry on 0xE9, which its bench needs): churn's context switches
    per second of the guest's clock, and the churn phase's wall time; polled at 10 Hz if poll (by
    gdb_peek, or by koiz-view --gdb when poll is 'view': it keeps every space it saw live)."""
    import signal
    import subprocess
    guest = TimedGuest('bench-koiz-churn', ['-kernel', gt.KOIZ, '-append', 'bench'])
    poller, result, watcher = None, {}, None
    try:
        if poll == 'view':
            watcher = subprocess.Popen([VIEW, '--gdb', '127.0.0.1:%d' % guest.port, '--rate', '10', '--headless',
                                        '--dump'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elif poll:
            def run():
                try:
                    result['peek'] = peek(guest, '--polls', '100000', '--interval-ms', '100', '--no-runs',
                                          '--until-gone', timeout=300)
                except Exception as e:     # noqa: BLE001 (reported below)
                    result['error'] = str(e)
            poller = threading.Thread(target=run)
            poller.start()
        if not guest.wait_for(r'@KZ1 bench done ', 240):
            raise RuntimeError('the Koiz bench did not finish:\n' + guest.output()[-2000:])
        lines = guest.timed()

        def arrival(name):
            return next(t for t, l in lines if '@KZ1 bench %s ' % name in l)

        switches = int(re.search(r'@KZ1 bench tasks.context_switches_per_s (\d+)', guest.output()).group(1))
        wall = arrival('tasks.context_switches_per_s') - arrival('telemetry.bytes_for_workload')
        if watcher:
            watcher.send_signal(signal.SIGTERM)
            result['peek'] = view_summary(watcher.communicate(timeout=30)[1])
    finally:
        guest.stop()
        if poller:
            poller.join(timeout=60)
        if watcher and watcher.poll() is None:
            watcher.kill()
    if poll and 'peek' not in result:
        raise RuntimeError('the poller failed: %s' % result.get('error'))
    return switches, wall, result.get('peek')


def _mean_polls(figures):
    return {key: statistics.mean(f[key] for f in figures) for key in figures[0]}


def _slowdowns(pairs, which):
    """Per pair: 1 - polled / alone, in percent, of the loop rate (which=0) or of the TSC rate (which=1)."""
    return [100 * (1 - polled[which] / alone[which]) for alone, polled, _ in pairs
            if alone[which] and polled[which]]


def main():
    for need in (PEEK, VIEW, gt.ANYKERNEL, gt.KOIZ):
        if not os.path.exists(need):
            print('bench_gdb: %s is missing (scons build/bench/gdb_peek build/anykernel.elf build/koiz.elf)' % need)
            return 1
    load = os.getloadavg()[0]
    a = anykernel_figures()
    k = koiz_idle_figures()
    churn = []
    for _ in range(5):
        churn.append((koiz_churn(False), koiz_churn(True)))
    v = anykernel_figures(poller='view')
    vchurn = [(koiz_churn(False), koiz_churn('view')) for _ in range(3)]
    load = max(load, os.getloadavg()[0])

    print('Watching a guest through QEMU\'s GDB stub (build/bench/gdb_peek; QEMU %s; load up to %.1f on %d '
          'CPUs):' % (_qemu_version(), load, os.cpu_count()))

    def poll_line(label, f):
        print('  %-32s stop %5d us, reads %5d us, resume %4d us: %5d us mean, %5d p95, %6d max '
              '(%.0f tables, %.0f requests, %.0f KiB)'
              % (label, f['stop'], f['reads'], f['resume'], f['total'], f['p95'], f['max'], f['tables'],
                 f['requests'], f['bytes'] / 1024))
    poll_line('anykernel bench, 10 Hz:', _mean_polls([f for _, _, f in a['at10']]))
    poll_line('anykernel bench, back to back:', _mean_polls([f for _, _, f in a['fast']]))
    poll_line('Koiz at rest, 10 Hz:', k)
    per = [p for _, (_, _, p) in churn if p]
    if per:
        poll_line('Koiz bench boot (churn), 10 Hz:', _mean_polls(per))
    print('  poll rate back to back: %s per second' % ', '.join('%.0f' % f['rate'] for _, _, f in a['fast']))
    for label, which in (('wall time the guest stood stopped (its TSC)', 1), ('busy-loop slowdown (wall clock)', 0)):
        s10, sfast = _slowdowns(a['at10'], which), _slowdowns(a['fast'], which)
        print('  anykernel %s: at 10 Hz median %.1f%% (pairs: %s); back to back median %.0f%% (%s)'
              % (label, statistics.median(s10), ', '.join('%.1f' % x for x in s10), statistics.median(sfast),
                 ', '.join('%.0f' % x for x in sfast)))
    print('  anykernel busy loop alone: %s M rounds per second'
          % ', '.join('%.0f' % (alone[0] / 1e6) for alone, _, _ in a['at10'] + a['fast'] if alone[0]))
    walls = [100 * (polled[1] / alone[1] - 1) for alone, polled in churn]
    print('  Koiz churn phase wall time, alone / polled at 10 Hz: %s s; median change %+.1f%%'
          % (', '.join('%.2f/%.2f' % (alone[1], polled[1]) for alone, polled in churn), statistics.median(walls)))
    print('  Koiz churn context switches per guest second, alone / polled: %s; medians %d / %d'
          % (', '.join('%d/%d' % (alone[0], polled[0]) for alone, polled in churn),
             statistics.median(alone[0] for alone, _ in churn),
             statistics.median(polled[0] for _, polled in churn)))
    print_view_figures(v, vchurn)
    return 0


def print_view_figures(v, churn):
    """What koiz-view --gdb costs: its polls (with the model update) and the guest's slowdown."""
    print('koiz-view --gdb (build/koiz-view, the records made of each poll included):')

    def poll_line(label, figures):
        f = _mean_polls(figures)
        print('  %-32s stop %5.0f us, reads %5.0f us, resume %4.0f us, model update %4.0f us: %5.0f us mean, '
              '%6.0f max (%.0f requests, %.0f KiB, up to %.0f spaces)'
              % (label, f['stop'], f['reads'], f['resume'], f['update'], f['total'], f['max'], f['requests'],
                 f['kib'], f['spaces']))
    poll_line('anykernel bench, 10 Hz:', [f for _, _, f in v['at10']])
    poll_line('anykernel bench, back to back:', [f for _, _, f in v['fast']])
    poll_line('Koiz bench boot (churn), 10 Hz:', [p for _, (_, _, p) in churn])
    print('  poll rate back to back: %s per second' % ', '.join('%.0f' % f['rate'] for _, _, f in v['fast']))
    for label, which in (('wall time the guest stood stopped (its TSC)', 1), ('busy-loop slowdown (wall clock)', 0)):
        s10, sfast = _slowdowns(v['at10'], which), _slowdowns(v['fast'], which)
        print('  anykernel %s: at 10 Hz median %.1f%% (pairs: %s); back to back median %.0f%% (%s)'
              % (label, statistics.median(s10), ', '.join('%.1f' % x for x in s10), statistics.median(sfast),
                 ', '.join('%.0f' % x for x in sfast)))
    walls = [100 * (polled[1] / alone[1] - 1) for alone, polled in churn]
    print('  Koiz churn phase wall time, alone / koiz-view at 10 Hz: %s s; median change %+.1f%%'
          % (', '.join('%.2f/%.2f' % (alone[1], polled[1]) for alone, polled in churn), statistics.median(walls)))
    print('  Koiz churn context switches per guest second, alone / koiz-view at 10 Hz: %s; medians %d / %d'
          % (', '.join('%d/%d' % (alone[0], polled[0]) for alone, polled in churn),
             statistics.median(alone[0] for alone, _ in churn),
             statistics.median(polled[0] for _, polled in churn)))


def _qemu_version():
    import subprocess
    out = subprocess.run(['qemu-system-i386', '--version'], capture_output=True, text=True).stdout
    m = re.search(r'version (\S+)', out)
    return m.group(1) if m else '?'


if __name__ == '__main__':
    sys.exit(main())
