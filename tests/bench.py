"""`scons bench`: boot the kernel's `bench` entry in Bochs (where the TSC
counts emulated ticks, so figures repeat) and print its figures as a table,
with the targets from the issues beside them."""
import os
import re
import subprocess
import sys
import time

import bench_picture
import emulators as emu
import guest
import kzproto

# name: (target description, test on cycles, or None)
TARGETS = {
    'vmem_get_phys_addr': ('< 40 cycles', lambda c: c < 40),
    'vmm_map': ('< 150 cycles', lambda c: c < 150),
}

# Issue 17: what an operation may cost with the stream on (TSC cycles under Bochs).
TELEMETRY_TARGETS = {'vmm_map': 1200, 'vmm_protect': 1200, 'vmm_unmap': 1200, 'vmm_space_switch': 1000}


def kernel_figures(megs=32):
    image = emu.image_with_menu('bench', emu.menu_selecting('Koiz self-test', 'bench').replace(
        'kernel /boot/koiz.elf selftest bench', 'kernel /boot/koiz.elf bench'))
    seen = {}

    def until(recs):
        # Arrival times of the markers around the 0xE9 blast, for its throughput.
        for r in recs:
            if r.type == 'bench' and r.fields[0].startswith('e9_blast') and r.fields[0] not in seen:
                seen[r.fields[0]] = time.time()
        return any(r.type == 'bench' and r.fields[:1] == ['done'] for r in recs) \
            or any(r.type == 'panic' for r in recs)

    run = emu.bochs('bench-%dM' % megs, image, megs=megs, timeout=240, until=until)
    figures = {r.fields[0]: int(r.fields[1]) for r in run.of_type('bench')
               if r.fields[0] not in ('done', 'e9_blast_start', 'e9_blast_end')}
    if 'e9_blast_start' in seen and 'e9_blast_end' in seen:
        blast = [r for r in run.of_type('bench') if r.fields[0] == 'e9_blast_end'][0]
        figures['e9_ceiling_mb_per_s'] = int(blast.fields[2]) / 1e6 / (seen['e9_blast_end'] - seen['e9_blast_start'])
    return run, figures


def print_telemetry_cost(f):
    """Each operation with the stream on against paused (hooks installed, events counted
    as muted), both from the same boot."""
    print('Telemetry on against paused (the same boot; TSC cycles per operation under Bochs):')
    for op in ('vmm_map', 'vmm_protect', 'vmm_unmap', 'vmm_space_create', 'vmm_space_switch', 'vmm_space_destroy'):
        off, on = f.get(op), f.get(op + '.telemetry')
        if off is None or on is None:
            continue
        goal = TELEMETRY_TARGETS.get(op)
        verdict = '  target at most %d: %s' % (goal, 'met' if on <= goal else 'NOT met') if goal else ''
        print('  %-20s paused %8d  on %8d  (%5.1fx)%s' % (op, off, on, on / max(off, 1), verdict))


TASK_FIGURE = re.compile(r'^\s+(tasks\.\S+)\s+(\d+) cycles/op', re.M)


def qemu_task_figures(cpu=None, port_e9='pipe'):
    """The kernel's `bench` figures for tasks, from QEMU, where the PIT keeps real time.
    port_e9: 'pipe', the stream read from QEMU's standard output as koiz-view --qemu
    reads it; 'null', QEMU throws port 0xE9's bytes away (what the kernel itself pays for
    the stream), the figures read from the console's copy on COM1."""
    if port_e9 == 'shared':
        return shared_task_figures()
    image = emu.image_with_menu('bench-qemu', emu.menu_selecting('Koiz self-test', 'bench').replace(
        'kernel /boot/koiz.elf selftest bench', 'kernel /boot/koiz.elf bench'))
    extra = ['-cpu', cpu] if cpu else []
    if port_e9 == 'null':
        run = emu.qemu('bench-qemu-null', image, timeout=240, debugcon=False,
                       extra=extra + ['-debugcon', 'null', '-serial', 'stdio'])
        return {m.group(1): int(m.group(2)) for m in TASK_FIGURE.finditer(run.output)}
    run = emu.qemu('bench-qemu', image, timeout=240, extra=extra,
                   until=lambda recs: any(r.type == 'bench' and r.fields[:1] == ['done'] for r in recs))
    return {r.fields[0]: int(r.fields[1]) for r in run.of_type('bench') if r.fields[0].startswith('tasks.')}


def _view_qemu(append, megs, recording):
    """The command line of koiz-view starting QEMU with build/koiz.elf and its options append,
    headless, the records through the shared-memory channel and into recording."""
    build = os.path.join(emu.ROOT, 'build')
    return [os.path.join(build, 'koiz-view'), '--qemu', '--kernel', os.path.join(build, 'koiz.elf'), '--append', append,
            '--megs', str(megs), '--headless', '--dump', '--record', recording]


def shared_task_figures():
    """The same figures with koiz-view reading: `koiz-view --qemu` starts QEMU with the `bench` boot
    (--kernel, --append) and takes the records through the shared-memory channel; they are read
    back from its recording."""
    recording = os.path.join(emu.TMP, 'bench-qemu-shared.txt')
    os.makedirs(emu.TMP, exist_ok=True)
    subprocess.run(_view_qemu('bench', 32, recording), capture_output=True, timeout=300)
    with open(recording, encoding='latin-1') as f:
        recs = kzproto.records(f.read())
    if not any(r.type == 'ring' and r.fields[1] == 'start' for r in recs):
        print('bench: koiz-view --qemu did not read the bench boot through shared memory')
    return {r.fields[0]: int(r.fields[1]) for r in recs if r.type == 'bench' and r.fields[0].startswith('tasks.')}


def print_task_cost(label, f, goal=False):
    """Churn with the stream on against paused, both from the same boot. goal: the row issue 17's
    target (at most 2x) is for, the way koiz-view --qemu reads; the others are for comparison."""
    for name in ('tasks.context_switches_per_s', 'tasks.cow_faults_per_s'):
        off, on = f.get(name), f.get(name + '.telemetry')
        if off and on:
            verdict = ('goal at most 2x: %s' % ('met' if off <= 2 * on else 'NOT met')) if goal else 'for comparison'
            print('  %-30s %-31s paused %7d  on %7d  (%4.1fx slower; %s)'
                  % (name, label, off, on, off / on, verdict))


def stream_figures():
    """Snapshot sizes and parser throughput from build/bench_stream (host, -O2)."""
    tool = os.path.join(emu.ROOT, 'build', 'bench_stream')
    data = os.path.join(emu.ROOT, 'visualizer', 'tests', 'data', 'bochs-selftest.txt')
    out = subprocess.run([tool, data], capture_output=True, text=True).stdout
    return {l.split()[0]: float(l.split()[1]) for l in out.splitlines() if len(l.split()) == 2}


def _view_figures(flag, recording):
    """koiz-view's `name value` figures for one of its benchmarks (--bench, --bench-travel) on a
    recording, off-screen; None (said) when it failed."""
    out = subprocess.run([os.path.join(emu.ROOT, 'build', 'koiz-view'), flag, recording], capture_output=True,
                         text=True, env=dict(os.environ, SDL_VIDEODRIVER='offscreen'))
    if out.returncode != 0:
        print('bench: koiz-view %s failed:\n%s' % (flag, out.stderr))
        return None
    figures = {}
    for line in out.stdout.splitlines():
        name, _, value = line.partition(' ')
        try:
            figures[name] = float(value)
        except ValueError:
            figures[name] = value
    return figures


def view_figures():
    """koiz-view --bench on the heavy recording (made once by build/tests/gen_heavy)."""
    build = os.path.join(emu.ROOT, 'build')
    heavy = os.path.join(build, 'bench', 'heavy.txt')
    gen = os.path.join(build, 'tests', 'gen_heavy')
    if not os.path.exists(heavy) or os.path.getmtime(heavy) < os.path.getmtime(gen):
        os.makedirs(os.path.dirname(heavy), exist_ok=True)
        subprocess.run([gen, heavy + '.part'], check=True)
        os.replace(heavy + '.part', heavy)
    return _view_figures('--bench', heavy)


def print_view_figures(v):
    def verdict(ok):
        return 'met' if ok else 'NOT met'

    print('koiz-view, replaying build/bench/heavy.txt (%.1f MB, %d records, %d events), SDL %s renderer %s, '
          'pinned to one CPU:' % (v['file_mb'], v['records'], v['events'], v['renderer'], v['size']))
    print('  the model at the end: %d spaces, %d whole, %d user pages in %d page tables, model_check %s'
          % (v['spaces'], v['spaces_whole'], v['user_pages'], v['user_tables'], v['model_check']))
    print('  frames per second         %8.1f   target at least 60: %s' % (v['fps'], verdict(v['fps'] >= 60)))
    print('  frame time p99 (ms)       %8.2f   target under 16: %s'
          % (v['frame_p99_ms'], verdict(v['frame_p99_ms'] < 16)))
    print('  frame time mean/p50/max   %8.2f / %.2f / %.2f ms (%d frames of %d records: ingest + drawing)'
          % (v['frame_mean_ms'], v['frame_p50_ms'], v['frame_max_ms'], v['frames'], v['records_per_frame']))
    print('  replay ingest (MB/s)      %8.1f   target at least 100: %s'
          % (v['ingest_mb_per_s'], verdict(v['ingest_mb_per_s'] >= 100)))
    print('  peak RSS (MB)             %8.1f   target under 128: %s'
          % (v['peak_rss_mb'], verdict(v['peak_rss_mb'] < 128)))
    print('  CPU time of a frame       %8.2f ms mean, %.2f p99, %.2f max (%.0f frames per CPU-second); '
          'ingest %.1f MB per CPU-second'
          % (v['frame_cpu_mean_ms'], v['frame_cpu_p99_ms'], v['frame_cpu_max_ms'], 1e3 / v['frame_cpu_mean_ms'],
             v['ingest_cpu_mb_per_s']))
    print('  drawing by panel (CPU ms) ' + ', '.join('%s %.2f' % (p, v['draw_%s_mean_ms' % p]) for p in
                                                  ('dir', 'table', 'whole', 'phys', 'spaces', 'faults', 'log',
                                                   'status')))
    if v.get('loadavg', 0) > v.get('cpus', 1) - 1:
        print('  note: the machine was busy (load %.1f on %d CPUs): the wall-clock figures above include other '
              'programs\' turns on our CPU; the CPU-time ones do not' % (v['loadavg'], v['cpus']))


def travel_figures():
    """koiz-view --bench-travel on the time machine's recording: 10 million events over 64
    spaces at once, 1,674 processes over the run (gen_heavy --spaces 64 --life 3000
    --new-asids), made once into build/bench/travel.txt (1.2 GB)."""
    build = os.path.join(emu.ROOT, 'build')
    rec = os.path.join(build, 'bench', 'travel.txt')
    gen = os.path.join(build, 'tests', 'gen_heavy')
    if not os.path.exists(rec) or os.path.getmtime(rec) < os.path.getmtime(gen):
        os.makedirs(os.path.dirname(rec), exist_ok=True)
        subprocess.run([gen, '--spaces', '64', '--life', '3000', '--new-asids', rec + '.part', '10000000'],
                       check=True)
        os.replace(rec + '.part', rec)
    v = _view_figures('--bench-travel', rec)
    if v is None:
        return

    def verdict(ok):
        return 'met' if ok else 'NOT met'

    print('Time machine, build/bench/travel.txt (%.0f MB, %d records, %d marks), SDL software renderer, one CPU '
          '(load %.2f on %d CPUs):' % (v['file_mb'], v['records'], v['marks'], v['loadavg'], v['cpus']))
    print('  index/open (MB/s)         %8.1f   target at least 300: %s (%.1f MB per CPU-second)'
          % (v['index_mb_per_s'], verdict(v['index_mb_per_s'] >= 300), v['index_cpu_mb_per_s']))
    print('  checkpoints and changes   %8.1f MB/s (%.1f s: after it, every moment is a checkpoint away); '
          'temporary files %.0f MB of checkpoints, %.0f MB of changes'
          % (v['build_mb_per_s'], v['build_s'], v['checkpoint_mb'], v['changes_mb']))
    print('  seek + draw p50 / p99 (ms) %7.2f / %.2f   targets 20 / 50: %s / %s'
          % (v['seek_p50_ms'], v['seek_p99_ms'], verdict(v['seek_p50_ms'] <= 20), verdict(v['seek_p99_ms'] <= 50)))
    print('  drag: frames per second   %8.1f   target at least 60: %s' % (v['drag_fps'], verdict(v['drag_fps'] >= 60)))
    print('  drag: frame p99 (ms)      %8.2f   target 16: %s (of which seeking p99 %.2f, drawing p99 %.2f)'
          % (v['drag_p99_ms'], verdict(v['drag_p99_ms'] <= 16), v['drag_seek_p99_ms'], v['drag_draw_p99_ms']))
    print('  CPU time: seek + draw p50 / p99 %.2f / %.2f ms, drag frame p99 %.2f ms (other programs\' turns left out)'
          % (v['seek_cpu_p50_ms'], v['seek_cpu_p99_ms'], v['drag_cpu_p99_ms']))
    print('  entry history (ms)        %8.2f max of %d entries   target 100: %s'
          % (v['history_max_ms'], v['history_entries'], verdict(v['history_max_ms'] <= 100)))
    print('  peak RSS (MB)             %8.1f   target 256: %s' % (v['peak_rss_mb'], verdict(v['peak_rss_mb'] <= 256)))


CHURN_DONE = re.compile(r'Demo churn: done \(churn exited with \d+, (\d+)\.(\d+) s\)')


def _churn_seconds(text):
    """(seconds the churn demo took by the kernel's clock, events lost, records) from a stream."""
    m = CHURN_DONE.search(text)
    recs = kzproto.records(text)
    lost = sum(int(r.fields[1]) for r in recs if r.type == 'drop')
    return (int(m.group(1)) + int(m.group(2)) / 100 if m else None), lost, len(recs)


def qemu_churn(options):
    """The churn demo in QEMU (port 0xE9 into a file, as `koiz-view --qemu` reads it): seconds, lost, records."""
    g = guest.Guest('bench-churn', ('demo=churn ' + options).strip(), megs=63)
    try:
        g.wait_for(g.log_seen('Demo churn: done'), 240)
        time.sleep(0.5)
        return _churn_seconds(g.text())
    finally:
        g.kill()


def shared_churn(options):
    """The churn demo in QEMU started by koiz-view, the records through the shared-memory channel
    (docs/protocol.md), read back from koiz-view's recording: seconds, lost, records."""
    recording = os.path.join(emu.TMP, 'bench-churn-shared.txt')
    os.makedirs(emu.TMP, exist_ok=True)
    if os.path.exists(recording):
        os.remove(recording)
    view = subprocess.Popen(_view_qemu(('demo=churn ' + options).strip(), 63, recording),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not (os.path.exists(recording) and
                                              CHURN_DONE.search(open(recording, encoding='latin-1').read())):
            time.sleep(0.5)
        time.sleep(0.5)
        return _churn_seconds(open(recording, encoding='latin-1').read())
    finally:
        view.terminate()
        view.wait(30)


def bochs_churn(options, serial=False):
    """The churn demo in Bochs from the floppy; with serial, the stream on COM1 at 115,200 baud
    (Bochs's UART keeps to it) and 0xE9 carrying only the console's text."""
    name = 'bench-bochs-churn%s' % ('-com1' if serial else '')
    image = emu.image_with_menu(name, emu.menu_selecting('Koiz, kernel only', 'demo=churn ' + options))
    line = os.path.join(emu.TMP, name + '.com1')
    if os.path.exists(line):
        os.remove(line)

    def text(run_output):
        return open(line, encoding='latin-1').read() if serial and os.path.exists(line) else run_output
    start = time.time()
    extra = ['com1: enabled=1, mode=file, dev=%s' % line] if serial else []
    run = emu.bochs(name, image, timeout=900, extra=extra,
                    until=lambda recs: CHURN_DONE.search(text('')) if serial else
                    any(r.type == 'log' and CHURN_DONE.search(r.line) for r in recs))
    wall = time.time() - start
    seconds, lost, records = _churn_seconds(text(run.output))
    return seconds, lost, records, wall


FRAME_KINDS = ('alloc', 'free', 'physmap', 'phys', 'physend')


def frame_figures():
    """What telling the frames costs the stream: the churn demo in QEMU (port 0xE9 into a file), the bytes
    and records of frame kinds among all (docs/benchmarks.md, issue 15)."""
    g = guest.Guest('bench-churn-frames', 'demo=churn', megs=63)
    try:
        g.wait_for(g.log_seen('Demo churn: done'), 240)
        time.sleep(0.5)
        text = g.text()
    finally:
        g.kill()
    sec, _, _ = _churn_seconds(text)
    recs = kzproto.records(text)
    total = sum(len(r.line) + 1 for r in recs)
    frames = [r for r in recs if r.type in FRAME_KINDS]
    frame_bytes = sum(len(r.line) + 1 for r in frames)
    counts = ', '.join('%d %s' % (sum(1 for r in frames if r.type == k), k) for k in FRAME_KINDS)
    print('Frame ownership in the stream (churn in QEMU, %.2f s by the kernel\'s clock):' % (sec or -1))
    print('  %d of %d records (%s), %d of %d bytes: %.0f%% of the stream'
          % (len(frames), len(recs), counts, frame_bytes, total, 100.0 * frame_bytes / max(1, total)))


def trust_figures():
    """Events lost and the cost of back-pressure (issue 11)."""
    print('Trust under load (the churn demo: eight tasks forking, growing and unmapping; seconds by the '
          'kernel\'s clock):')
    never, announce, off = qemu_churn(''), qemu_churn('telemetry_loss=announce'), qemu_churn('telemetry=off')
    for label, (sec, lost, recs) in (('never (the default)', never), ('announce', announce), ('telemetry off', off)):
        print('  QEMU, 0xE9, %-20s %6.2f s, %7d events lost, %7d records' % (label, sec or -1, lost, recs))
    if never[0] and announce[0] and off[0]:
        print('  QEMU: back-pressure against dropping: %.1fx (goal: at most 2x): %s; against telemetry off: %.1fx'
              % (never[0] / announce[0], 'met' if never[0] <= 2 * announce[0] else 'NOT met', never[0] / off[0]))
    print('  QEMU: events lost by default: %d (goal: 0): %s' % (never[1], 'met' if never[1] == 0 else 'NOT met'))
    shared = shared_churn('')
    print('  QEMU, koiz-view, shared memory, never %6.2f s, %7d events lost, %7d records; %.1fx telemetry off'
          % (shared[0] or -1, shared[1], shared[2], (shared[0] or 0) / (off[0] or 1)))
    b_never, b_announce = bochs_churn(''), bochs_churn('telemetry_loss=announce')
    for label, (sec, lost, recs, wall) in (('never (the default)', b_never), ('announce', b_announce)):
        print('  Bochs, 0xE9, %-19s %6.2f s emulated (%5.1f s wall), %7d events lost, %7d records'
              % (label, sec or -1, wall, lost, recs))
    if b_never[0] and b_announce[0]:
        print('  Bochs: back-pressure against dropping: %.1fx; events lost by default: %d (goal: 0): %s'
              % (b_never[0] / b_announce[0], b_never[1], 'met' if b_never[1] == 0 else 'NOT met'))
    for label, opts in (('announce (the default)', 'telemetry=serial'),
                        ('never', 'telemetry=serial telemetry_loss=never')):
        sec, lost, recs, wall = bochs_churn(opts, serial=True)
        if sec:
            print('  Bochs, COM1 at 115,200 baud, %-22s %6.2f s emulated (%5.1f s wall), %7d events lost, '
                  '%6d records carried, %.0f records per emulated second; %.1fx the churn of 0xE9'
                  % (label, sec, wall, lost, recs, recs / sec, sec / b_never[0] if b_never[0] else 0))
        else:
            print('  Bochs, COM1 at 115,200 baud, %s: the demo did not finish in time' % label)


def main():
    # KOIZ_BENCH_ONLY=trust|travel|picture|kernel|tasks: only that part (kernel: the Bochs boot's figures;
    # tasks: churn with the stream on against paused, in QEMU only).
    only = os.environ.get('KOIZ_BENCH_ONLY')
    if only == 'trust':
        trust_figures()
        return 0
    if only == 'travel':
        travel_figures()
        return 0
    if only == 'picture':
        return bench_picture.main()
    if only == 'tasks':
        q, null, shared = qemu_task_figures(), qemu_task_figures(port_e9='null'), qemu_task_figures(port_e9='shared')
        print('Tasks with the stream on against paused (churn three times each, the same boot):')
        print_task_cost('QEMU, 0xE9 into a pipe', q)
        print_task_cost('QEMU, 0xE9 thrown away', null)
        print_task_cost('QEMU, koiz-view, shared memory', shared, goal=True)
        return 0
    run, f = kernel_figures()
    if not f:
        print('bench: the kernel printed no figures:\n' + run.tail())
        return 1
    ceiling = f.pop('e9_ceiling_mb_per_s', None)
    bochs_tasks = {k: f.pop(k) for k in list(f) if k.startswith('tasks.')}
    print('Memory manager, Bochs, 32 MiB (TSC cycles per operation; .telemetry: with the stream on):')
    for name, cycles in f.items():
        target = TARGETS.get(name)
        verdict = ''
        if target:
            verdict = '  target %s: %s' % (target[0], 'met' if target[1](cycles) else 'NOT met')
        print('  %-30s %12d%s' % (name, cycles, verdict))
    ours, seed = f.get('paging_on.ours'), f.get('paging_on.seed_identity_4gib')
    if ours and seed:
        print('  paging on: ours is 1/%.0f of the seed\'s identity map (target: under 1/50): %s'
              % (seed / ours, 'met' if ours * 50 < seed else 'NOT met'))
    print_telemetry_cost(f)
    if only == 'kernel':
        print('Tasks with the stream on against paused (churn three times each, the same boot):')
        print_task_cost('Bochs (emulated time)', bochs_tasks)
        return 0
    q = qemu_task_figures()
    nopge = qemu_task_figures('qemu32,pge=off')
    null = qemu_task_figures(port_e9='null')
    shared = qemu_task_figures(port_e9='shared')
    print('Tasks (churn: eight workers forking, growing, unmapping; three runs, stream paused):')
    for name in ('tasks.context_switches_per_s', 'tasks.cow_faults_per_s'):
        print('  %-30s QEMU %8s  QEMU without global pages %8s  Bochs (emulated time) %8s'
              % (name, q.get(name, '?'), nopge.get(name, '?'), bochs_tasks.get(name, '?')))
    print('Tasks with the stream on (three more runs in the same boot, every event sent and written):')
    print_task_cost('QEMU, 0xE9 into a pipe', q)
    print_task_cost('QEMU, 0xE9 thrown away', null)
    print_task_cost('QEMU, koiz-view, shared memory', shared, goal=True)
    print_task_cost('Bochs (emulated time)', bochs_tasks)
    bench_picture.main()

    s = stream_figures()
    print('Telemetry stream (host, build/bench_stream):')
    for space in ('boot_space', 'seed_identity_4gib'):
        snap, naive = s.get('snapshot_bytes.' + space), s.get('naive_bytes.' + space)
        if snap and naive:
            print('  snapshot of %-20s %10d bytes; one record per entry: %10d bytes (%.0fx smaller)'
                  % (space, snap, naive, naive / snap))
    smaller = s.get('naive_bytes.seed_identity_4gib', 0) / max(1, s.get('snapshot_bytes.seed_identity_4gib', 1))
    print('  seed identity map: %.0fx smaller than naive (target: at least 100x): %s'
          % (smaller, 'met' if smaller >= 100 else 'NOT met'))
    parser = s.get('parser_mb_per_s')
    if parser:
        print('  parser: %.1f MB/s over %.0f MB of recording' % (parser, s.get('parser_bytes', 0) / 1e6))
    if ceiling:
        print('  port 0xE9 under Bochs, measured now: %.2f MB/s' % ceiling)
    if parser and ceiling:
        print('  parser / 0xE9 ceiling: %.0fx (target: at least 50x): %s'
              % (parser / ceiling, 'met' if parser >= 50 * ceiling else 'NOT met'))

    frame_figures()
    v = view_figures()
    if v:
        print_view_figures(v)
    trust_figures()
    travel_figures()

    import bench_gdb      # watching a guest through QEMU's GDB stub (docs/benchmarks.md)
    return bench_gdb.main()


if __name__ == '__main__':
    sys.exit(main())
