"""Boot tests: the very floppy users boot, in Bochs and QEMU, judged by the
kernel's own records on port 0xE9.

Each case boots once and returns a list of runner.Result. A self-test boot
yields one result per in-kernel test plus one for the boot as a whole (the
greeting, the memory record against the RAM the emulator was given, a
summary that agrees with the results, no panic).
"""
import os
import re
import signal
import subprocess
import threading
import time

import emulators as emu
import kzproto
from runner import Result

ROOT = emu.ROOT


def _fail(name, run, why):
    return Result(name, False, '%s\n--- what the kernel printed (%s, %.1f s) ---\n%s'
                  % (why, run.name, run.seconds, run.tail()))


def selftest_results(prefix, run, megs):
    """Turns a self-test run into results; checks the boot-level facts."""
    results = []
    for r in run.of_type('test'):
        name = '%s/%s' % (prefix, r.fields[0] if r.fields else '?')
        ok = len(r.fields) >= 2 and r.fields[1] == 'pass'
        results.append(Result(name, True) if ok else _fail(name, run, 'kernel self-test failed: ' + r.line))

    problems = []
    hello, mem, done = run.of_type('hello'), run.of_type('mem'), run.of_type('tests')
    panics = run.of_type('panic')
    if run.timed_out:
        problems.append('the run did not finish')
    if not hello:
        problems.append('no hello record')
    if panics:
        problems.append('kernel panic: ' + panics[0].line)
    if not done:
        problems.append('no tests summary record')
    else:
        passed, failed = int(done[-1].fields[0]), int(done[-1].fields[1])
        if passed + failed != len(run.of_type('test')) or passed == 0:
            problems.append('summary %d/%d does not match %d test records'
                            % (passed, failed, len(run.of_type('test'))))
    if mem:
        usable_kib, ignored_kib = int(mem[-1].fields[0]), int(mem[-1].fields[4])
        # The BIOS keeps a little below 1 MiB and at the top of RAM for itself (EBDA,
        # ROM, ACPI tables), never more than 2 MiB here; the rest must be usable, or
        # above 4 GiB (QEMU moves RAM past 3 GiB there) and reported as ignored.
        missing = megs * 1024 - usable_kib - ignored_kib
        if not 0 < missing <= 2048:
            problems.append('kernel reports %d KiB usable with %d MiB of RAM' % (usable_kib, megs))
    else:
        problems.append('no mem record')
    name = '%s/boot' % prefix
    results.append(_fail(name, run, '; '.join(problems)) if problems else Result(name, True))
    if done:
        results.append(frames_as_sent('%s/frames-as-the-stream-says' % prefix, run, megs))
    return results


def model_frames(stream):
    """koiz-view's frame map of a stream (build/tests/model_entries): ({fact: value}, [(first, count, owner,
    refs)]), frames by number."""
    out = subprocess.run([os.path.join(ROOT, 'build', 'tests', 'model_entries'), stream], capture_output=True,
                         text=True).stdout
    facts, runs = {}, []
    for line in out.splitlines():
        w = line.split()
        if w[0] == 'frames':
            facts = {'frames': int(w[1]), 'whole': w[2] == 'whole'}
            facts.update({w[i]: int(w[i + 1]) for i in range(3, len(w) - 1, 2)})
        elif w[0] == 'frun':
            runs.append((int(w[1], 16), int(w[2], 16), w[3], int(w[4])))
    return facts, runs


def frames_as_sent(name, run, megs):
    """At the end of a run (after its last round): koiz-view's frame map of the stream is whole, tiles
    the RAM, agrees with every `frames` record it was held against, its free count is the kernel's,
    and no free frame is mapped."""
    facts, runs = model_frames(os.path.join(emu.STREAMS, run.name + '.txt'))
    problems = []
    if not facts or not runs:
        return _fail(name, run, 'no frame map in the stream')
    if not facts['whole']:
        problems.append('the frame map is not whole')
    if facts['checks'] < 1 or facts['mismatches'] or facts['contradictions']:
        problems.append('held against the counters %d times, %d disagreed; %d events did not fit'
                        % (facts['checks'], facts['mismatches'], facts['contradictions']))
    if facts['free'] != facts['counters_free']:
        problems.append('%d frames free in the map, %d in the last frames record' % (facts['free'], facts['counters_free']))
    if facts['free_mapped'] or facts['refs_differ']:
        problems.append('%d free frames mapped, %d with references other than their mappings'
                        % (facts['free_mapped'], facts['refs_differ']))
    at = 0
    for first, count, _, _ in runs:
        if first != at:
            problems.append('the runs leave a gap at frame 0x%x' % at)
            break
        at = first + count
    want = min(megs, 3072) * 256
    if not want - 1024 < facts['frames'] <= want:
        problems.append('%d frames described for %d MiB of RAM' % (facts['frames'], megs))
    return _fail(name, run, '; '.join(problems)) if problems else Result(name, True)


_image_lock = threading.Lock()
_selftest_img = []


def _selftest_image():
    """The floppy with its self-test entry as the default; made once, shared by the cases."""
    with _image_lock:
        if not _selftest_img:
            _selftest_img.append(emu.image_with_menu('selftest', emu.menu_selecting('Koiz self-test')))
        return _selftest_img[0]


def _bochs_selftest(megs):
    def case():
        run = emu.bochs('bochs-%dM' % megs, _selftest_image(), megs=megs, until=emu.finished)
        return selftest_results('bochs-%dM' % megs, run, megs)
    case.__name__ = 'bochs_selftest_%dM' % megs
    return case


def _qemu_selftest(megs):
    def case():
        run = emu.qemu('qemu-%dM' % megs, _selftest_image(), megs=megs, until=emu.finished)
        return selftest_results('qemu-%dM' % megs, run, megs)
    case.__name__ = 'qemu_selftest_%dM' % megs
    return case


def qemu_default_entry():
    """The unmodified floppy, default entry: the kernel comes up and idles."""
    name = 'qemu/default-entry-boots'
    image = os.path.join(ROOT, 'build', 'floppy.img')
    run = emu.qemu('qemu-default', image, timeout=30,
                   extra=['-snapshot'],
                   until=lambda recs: any(r.type == 'mem' for r in recs))
    text = run.output
    if not run.of_type('hello') or not run.of_type('mem'):
        return [_fail(name, run, 'the default entry did not reach the memory report')]
    if 'selftest' in text.split('Command line:', 1)[-1].split('\n', 1)[0]:
        return [_fail(name, run, 'the default entry is not the normal boot')]
    return [Result(name, True)]


def qemu_no_pse_no_pge():
    """A CPU without 4 MiB pages and global pages (a 486 has neither; QEMU's own 486 and
    pentium models stop inside Debian's GRUB legacy, so the features are masked instead):
    the kernel says so, maps RAM with 4 KiB page tables, and every self-test passes."""
    prefix = 'qemu-nopse'
    run = emu.qemu(prefix, _selftest_image(), until=emu.finished, extra=['-cpu', 'qemu32,pse=off,pge=off'])
    results = selftest_results(prefix, run, 32)
    hello = run.of_type('hello')
    name = prefix + '/no-pse-no-pge-said'
    if not hello or hello[0].fields[4:6] != ['0', '0'] or 'this CPU has no PSE' not in run.output \
            or 'this CPU has no PGE' not in run.output:
        results.append(_fail(name, run, 'expected hello with pse=0 pge=0 and the fallback messages'))
    else:
        results.append(Result(name, True))
    return results


def qemu_serial_only():
    """No port 0xE9 (no debugcon): the kernel must not write it, and the telemetry goes to
    COM1 instead, where the self-test results are read."""
    prefix = 'qemu-serial'
    cmd_extra = ['-serial', 'stdio']
    run = emu.qemu(prefix, _selftest_image(), until=emu.finished, extra=cmd_extra, debugcon=False)
    results = selftest_results(prefix, run, 32)
    name = prefix + '/outputs'
    if 'Outputs: VGA 80x25, COM1;' not in run.output:
        results.append(_fail(name, run, 'expected "Outputs: VGA 80x25, COM1;" (no port 0xE9)'))
    else:
        results.append(Result(name, True))
    return results


def qemu_acpi_power_off():
    """Without QEMU's exit device, power-off must work through ACPI (S5): the emulator
    ends by itself after the self-tests."""
    name = 'qemu/acpi-power-off'
    run = emu.qemu('qemu-acpi', _selftest_image(), timeout=30, exit_device=False)
    if not run.of_type('tests'):
        return [_fail(name, run, 'the self-tests did not finish')]
    if run.timed_out:
        return [_fail(name, run, 'QEMU was still running: ACPI power-off did not work')]
    return [Result(name, True)]


def _normal_image(name, options):
    """The floppy with its normal entry booting with extra kernel options."""
    return emu.image_with_menu(name, emu.menu_selecting('Koiz, kernel only', options))


def qemu_snapshot_key_and_period():
    """The normal boot idles; `snapshot=1` sends a snapshot of the kernel's space every
    second, and the `s` key (typed through QEMU's monitor) asks for one at once."""
    name = 'qemu/snapshots-periodic-and-on-key'
    monitor = os.path.join(emu.TMP, 'qemu-monitor.sock')
    if os.path.exists(monitor):
        os.remove(monitor)
    image = _normal_image('snapkey', 'snapshot=1')
    typed = []

    def until(recs):
        # Type only once the kernel listens: it lists its keys just before idling.
        ready = any(r.type == 'log' and 'Keys:' in r.line for r in recs)
        if ready and not typed and os.path.exists(monitor):
            typed.append(time.time())
            import socket
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(monitor)
                s.sendall(b'sendkey s\n')
                time.sleep(0.2)
            finally:
                s.close()
        logs = [r for r in recs if r.type == 'log' and 'Snapshot requested' in r.line]
        return len([r for r in recs if r.type == 'end']) >= 4 and logs

    run = emu.qemu('qemu-snapkey', image, timeout=30, until=until,
                   extra=['-monitor', 'unix:%s,server,nowait' % monitor])
    if os.path.exists(monitor):
        os.remove(monitor)      # a socket `scons -c` would not remove
    snaps = run.of_type('snap')
    ends = [r for r in run.of_type('end') if r.fields[1] == '0']
    if not any('Snapshot requested' in r.line for r in run.of_type('log')):
        return [_fail(name, run, 'the s key did not reach the kernel (no "Snapshot requested")')]
    if len(snaps) < 4 or len(ends) < 4:
        return [_fail(name, run, 'expected at least 4 snapshots (boot, key, every second), got %d' % len(snaps))]
    return [Result(name, True)]


def qemu_telemetry_targets():
    """telemetry=off: no records anywhere, the plain console text still there;
    telemetry=both: the same records on port 0xE9 and on COM1."""
    results = []
    name = 'qemu/telemetry-off'
    image = emu.image_with_menu('teloff', emu.menu_selecting('Koiz self-test', 'telemetry=off'))
    run = emu.qemu('qemu-teloff', image, timeout=30,
                   until=lambda recs: False)     # runs to power-off
    if run.records:
        results.append(_fail(name, run, 'records were sent: %s' % run.records[0].line))
    elif 'Self-tests:' not in run.output or 'Telemetry: off' not in run.output:
        results.append(_fail(name, run, 'expected the console text, "Telemetry: off" and the self-test summary'))
    else:
        results.append(Result(name, True))

    name = 'qemu/telemetry-both'
    serial = os.path.join(emu.TMP, 'both-serial.txt')
    image = emu.image_with_menu('telboth', emu.menu_selecting('Koiz self-test', 'telemetry=both'))
    run = emu.qemu('qemu-telboth', image, timeout=30, until=lambda recs: False,
                   extra=['-serial', 'file:' + serial])
    with open(serial, encoding='latin-1') as f:
        on_serial = [r.line for r in kzproto.records(f.read())]
    on_e9 = [r.line for r in run.records]
    if not on_e9 or on_serial != on_e9:
        results.append(_fail(name, run, '%d records on 0xE9, %d on COM1, not the same'
                             % (len(on_e9), len(on_serial))))
    else:
        results.append(Result(name, True))
    return results


def _entry_address():
    out = subprocess.run(['nm', os.path.join(ROOT, 'build', 'koiz.elf')], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == '_start':
            return int(parts[0], 16)
    raise RuntimeError('no _start in build/koiz.elf')


def bochs_bad_magic():
    """Entered with a wrong magic in EAX (set by Bochs's debugger at _start): a clear
    message and a halt, on the stream too; no triple fault, no reboot."""
    name = 'bochs/bad-multiboot-magic'
    run = emu.bochs('bochs-badmagic', _selftest_image(), timeout=60,
                    debugger=('lb 0x%x' % _entry_address(), 'c', 'set eax = 0x12345678', 'c'),
                    until=lambda recs: any(r.type == 'panic' for r in recs))
    panics = run.of_type('panic')
    if not panics or '0x12345678' not in panics[0].line:
        return [_fail(name, run, 'expected a panic record naming the bad magic 0x12345678')]
    if 'not started by a multiboot loader' not in run.output:
        return [_fail(name, run, 'expected the console message about the loader')]
    if run.of_type('tests') or 'Running self-tests' in run.output:
        return [_fail(name, run, 'the kernel went on booting after a bad magic')]
    return [Result(name, True)]


def bochs_no_memory_map():
    """GRUB's info block with only mem_lower/mem_upper and the command line
    (flags 0x7, written by the debugger at _start): the kernel says so, builds
    its map from the two numbers, and the self-tests still pass."""
    prefix = 'bochs-nommap'
    run = emu.bochs(prefix, _selftest_image(), timeout=90,
                    debugger=('lb 0x%x' % _entry_address(), 'c', 'setpmem ebx 4 0x7', 'c'),
                    until=emu.finished)
    results = selftest_results(prefix, run, 32)
    name = prefix + '/warned'
    if 'gave no memory map' not in run.output:
        results.append(_fail(name, run, 'expected the "no memory map" message'))
    else:
        results.append(Result(name, True))
    return results


def qemu_bad_options():
    """Unknown and malformed options each get a message (and a warn record);
    the boot goes on with the defaults and the self-tests still pass."""
    prefix = 'qemu-badopts'
    bad = 'bogus baud=12ab telemetry=loud telemetry= caf\xe9'
    image = emu.image_with_menu('badopts', emu.menu_selecting('Koiz self-test', bad))
    run = emu.qemu(prefix, image, until=emu.finished)
    results = selftest_results(prefix, run, 32)
    warns = ' | '.join(r.line for r in run.of_type('warn'))
    expect = ["unknown option 'bogus'", "'baud=12ab'", "'telemetry=loud'", "'telemetry='", 'unprintable']
    missing = [e for e in expect if e not in warns]
    name = prefix + '/each-reported'
    results.append(_fail(name, run, 'no warning for: %s (warnings: %s)' % (missing, warns))
                   if missing else Result(name, True))
    return results


def qemu_crash_reports():
    """crash=pagefault in self-test mode: the unhandled fault is reported in full
    (decoded error code, registers, control registers), the kernel panics with
    file:line, reports a failed run and powers off: the emulator exits by itself."""
    name = 'qemu/unhandled-page-fault-report'
    image = emu.image_with_menu('crash', emu.menu_selecting('Koiz self-test', 'crash=pagefault'))
    run = emu.qemu('qemu-crash', image, timeout=30)
    text = run.output
    want = ['Exception 14: page fault, error code 0x2', 'page fault at 0x00c00000: not-present write supervisor',
            'EAX=', 'ESI=', 'CR0=', 'CR2=00c00000', 'CR3=', 'PANIC at kernel/', 'Powering off (failure)']
    missing = [w for w in want if w not in text]
    done = run.of_type('tests')
    if missing:
        return [_fail(name, run, 'the report lacks: %s' % missing)]
    if not run.of_type('panic') or not done or int(done[-1].fields[1]) < 1:
        return [_fail(name, run, 'expected a panic record and a failed tests record')]
    if run.timed_out:
        return [_fail(name, run, 'the kernel did not power off after the panic')]
    # The kernel on the image is stripped; its report's EIP is read against build/koiz.elf,
    # which loads the same bytes (docs/boot.md): it must name the line that wrote to 12 MiB.
    eip = re.search(r'EIP=([0-9a-f]{8})', text)
    where = subprocess.run(['addr2line', '-f', '-i', '-e', os.path.join(ROOT, 'build', 'koiz.elf'),
                            '0x' + eip.group(1)], capture_output=True, text=True).stdout if eip else ''
    if 'crash_on_purpose' not in where or 'kernel/kmain.c' not in where:
        return [_fail(name, run, 'the panic\'s EIP (%s) does not resolve to crash_on_purpose in build/koiz.elf: %r'
                      % (eip.group(1) if eip else 'none', where))]
    return [Result(name, True)]


def _symbol(name):
    out = subprocess.run(['nm', os.path.join(ROOT, 'build', 'koiz.elf')], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise RuntimeError('no %s in build/koiz.elf' % name)


def _info_tab(text):
    """Bochs's `info tab` lines after a breakpoint: (cr3, ['0x...-0x... -> 0x...-0x...'])."""
    cr3, ranges = None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('cr3:'):
            cr3 = int(line.split()[1], 16)
        elif line.startswith('0x') and '->' in line:
            v, p = [part.strip() for part in line.split('->')]
            v0, v1 = [int(x, 16) for x in v.split('-')]
            p0, p1 = [int(x, 16) for x in p.split('-')]
            ranges.append('0x%08x-0x%08x -> 0x%08x-0x%08x' % (v0, v1, p0, p1))
        elif ranges and (line.startswith('(0)') or line.startswith('Next at')):
            break
    return cr3, ranges


def bochs_telemetry_proof():
    """The model a reader builds from the stream equals what the CPU walks: at the end of
    the boot snapshot, and after a burst of events with no snapshot in between. Bochs's
    debugger stops at tel_snapshot_done / tel_events_done and prints `info tab`; the
    stream up to that point goes through koiz-view's parser and model (model_ranges)."""
    prefix = 'bochs-proof'
    image = emu.image_with_menu('proof', emu.menu_selecting('Koiz self-test').replace(
        'kernel /boot/koiz.elf selftest', 'kernel /boot/koiz.elf selftest=telemetry_event_burst'))
    snap, burst = _symbol('tel_snapshot_done'), _symbol('tel_events_done')
    run = emu.bochs(prefix, image, timeout=120, until=emu.finished,
                    debugger=('lb 0x%x' % snap, 'lb 0x%x' % burst, 'c', 'info tab', 'c', 'info tab',
                              'd 1', 'd 2', 'c'))
    results = []
    stops = run.output.split('Breakpoint ')
    names = {1: 'snapshot', 2: 'event-burst'}
    seen = set()
    tool = os.path.join(ROOT, 'build', 'tests', 'model_ranges')
    for i, after in enumerate(stops[1:], start=1):
        which = int(after.split(',', 1)[0])
        name = '%s/%s-equals-cpu' % (prefix, names.get(which, '?'))
        seen.add(which)
        cr3, cpu = _info_tab(after)
        stream = os.path.join(emu.TMP, '%s-%d.stream' % (prefix, i))
        with open(stream, 'w', encoding='latin-1') as f:
            f.write('Breakpoint '.join(stops[:i]))
        p = subprocess.run([tool, stream, '%x' % (cr3 or 0)], capture_output=True, text=True)
        lines = p.stdout.splitlines()
        model = lines[1:]
        if p.returncode != 0 or not lines or not cpu:
            results.append(_fail(name, run, 'no comparison possible: cr3=%s, info tab %d lines, model: %s%s'
                                 % (cr3, len(cpu), p.stdout[:300], p.stderr[:300])))
        elif model != cpu or ' whole 1' not in lines[0]:
            diff = [l for l in cpu if l not in model][:10], [l for l in model if l not in cpu][:10]
            results.append(_fail(name, run, '%s\nonly in Bochs: %s\nonly in the model: %s'
                                 % (lines[0], diff[0], diff[1])))
        else:
            results.append(Result(name, True))
    for which, what in names.items():
        if which not in seen:
            results.append(_fail('%s/%s-equals-cpu' % (prefix, what), run, 'the breakpoint was never hit'))
    return results + selftest_results(prefix, run, 32)


def bochs_into_koiz_view():
    """Bochs headless boots the self-test entry; its stdout goes straight into
    `koiz-view --headless --screenshot`; the PNG it writes must show the kernel's
    mapped region in the directory grid (build/tests/png_check judges it)."""
    name = 'koiz-view/bochs-stream-to-png'
    os.makedirs(emu.TMP, exist_ok=True)
    png, stream = os.path.join(emu.TMP, 'e2e.png'), os.path.join(emu.TMP, 'e2e.stream')
    rc = os.path.join(emu.TMP, 'e2e.rc')
    with open(rc, 'w') as f:
        f.write('c\n')
    for old in (png, stream):
        if os.path.exists(old):
            os.remove(old)
    cmd = ('bochs -q -f bochsrc -rc %s "floppya: 1_44=%s, status=inserted" "log: %s/e2e.log" 2>/dev/null '
           '| tee %s | %s --headless --screenshot %s -'
           % (rc, _selftest_image(), emu.TMP, stream, os.path.join(ROOT, 'build', 'koiz-view'), png))
    env = dict(os.environ, SDL_VIDEODRIVER='dummy', SDL_AUDIODRIVER='dummy')
    try:
        p = subprocess.run(['bash', '-o', 'pipefail', '-c', cmd], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120, start_new_session=True)
        out = p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        subprocess.run(['pkill', '-f', 'e2e.rc'])
        return [Result(name, False, 'the pipeline did not end within 120 s')]
    if not os.path.exists(png):
        return [Result(name, False, 'koiz-view wrote no PNG:\n' + out[-3000:])]
    # SDL keeps some of its own allocations to the end; those are not ours to report.
    check = subprocess.run([os.path.join(ROOT, 'build', 'tests', 'png_check'), stream, png],
                           capture_output=True, text=True, env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'))
    return [Result(name, check.returncode == 0, check.stdout + check.stderr)]


def _x_windows(display):
    """{name: (x, y, w, h)} of the top-level windows on an X display (xwininfo)."""
    out = subprocess.run(['xwininfo', '-root', '-tree'], capture_output=True, text=True,
                         env=dict(os.environ, DISPLAY=display)).stdout
    wins = {}
    for line in out.splitlines():
        m = re.search(r'"([^"]*)": \([^)]*\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)', line)
        if m:
            wins[m.group(1)] = (int(m.group(4)), int(m.group(5)), int(m.group(2)), int(m.group(3)))
    return wins


def xvfb_desktop():
    """`scons run` on a real (virtual) desktop: koiz-view starts Bochs, both windows open
    side by side without overlapping, both draw, a whole-desktop screenshot is taken
    (build/tests/desktop.png), and `q` in koiz-view ends both."""
    name = 'koiz-view/xvfb-desktop-side-by-side'
    display = ':%d' % (90 + os.getpid() % 100)
    shot = os.path.join(ROOT, 'build', 'tests', 'desktop.png')
    xvfb = subprocess.Popen(['Xvfb', display, '-screen', '0', '2100x900x24', '-nolisten', 'tcp'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER='dummy')
    view = None
    try:
        time.sleep(1)
        view = subprocess.Popen([os.path.join(ROOT, 'build', 'koiz-view')], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        bochs = kv = None
        deadline = time.time() + 60
        while time.time() < deadline:
            wins = _x_windows(display)
            bochs = next((g for n, g in wins.items() if n.startswith('Bochs')), None)
            kv = next((g for n, g in wins.items() if n.startswith('koiz-view')), None)
            if bochs and kv and bochs[:2] == (0, 0):
                break
            time.sleep(1)
        if not (bochs and kv):
            return [Result(name, False, 'windows seen: %r' % _x_windows(display))]
        def colours(geometry):
            x, y, w, h = geometry
            out = subprocess.run(['convert', shot, '-crop', '%dx%d+%d+%d' % (w, h, x, y), '-format', '%k',
                                  'info:'], capture_output=True, text=True).stdout.strip()
            return int(out) if out.isdigit() else 0

        def kernel_blue(geometry):
            """The share of a window's pixels in the palette's kernel blue (#0072b2)."""
            x, y, w, h = geometry
            out = subprocess.run(['convert', shot, '-crop', '%dx%d+%d+%d' % (w, h, x, y), '+repage',
                                  '-fill', 'black', '+opaque', '#0072b2', '-fill', 'white', '-opaque', '#0072b2',
                                  '-format', '%[fx:mean]', 'info:'], capture_output=True, text=True).stdout
            try:
                return float(out)
            except ValueError:
                return 0.0

        def live_title():
            """koiz-view's title once records came: 'koiz-view · Bochs · space N (...) · live #M'."""
            names = _x_windows(display)
            m = next((re.search(r' · live #(\d+)', n) for n in names if n.startswith('koiz-view')), None)
            return m is not None and int(m.group(1)) > 0

        # Until the kernel is up and koiz-view has drawn its first snapshot: the kernel's
        # mappings are drawn in kernel blue in every space (the directory's kernel half, the
        # kernel's frames), more while its own space is shown (Bochs and GRUB take a while to
        # read the floppy, longer on a busy machine).
        while True:
            subprocess.run(['import', '-window', 'root', shot], env=env, timeout=30)
            if (kernel_blue(kv) > 0.003 and live_title()) or time.time() > deadline + 60:
                break
            time.sleep(3)
        problems = []
        if bochs[0] + bochs[2] > kv[0] and kv[0] + kv[2] > bochs[0] and \
                bochs[1] + bochs[3] > kv[1] and kv[1] + kv[3] > bochs[1]:
            problems.append('the windows overlap: Bochs %r, koiz-view %r' % (bochs, kv))
        for label, geometry, least in (('Bochs', bochs, 4), ('koiz-view', kv, 12)):
            if colours(geometry) < least:
                problems.append('%s window looks blank (%d colours)' % (label, colours(geometry)))
        if kernel_blue(kv) <= 0.003:
            problems.append("koiz-view never drew the kernel's mappings (%.3f of it kernel blue)" % kernel_blue(kv))
        if not live_title():
            problems.append("koiz-view's title never said it was live with records: %r" % list(_x_windows(display)))
        kv_id = subprocess.run(['xdotool', 'search', '--class', 'koiz-view'], env=env, capture_output=True,
                               text=True).stdout.split()
        if kv_id:
            subprocess.run(['xdotool', 'key', '--window', kv_id[0], 'q'], env=env)
        try:
            view.wait(timeout=15)
        except subprocess.TimeoutExpired:
            problems.append('koiz-view did not quit on q')
        if any(n.startswith('Bochs') for n in _x_windows(display)):
            problems.append('Bochs is still running after koiz-view quit')
        return [Result(name, not problems, '; '.join(problems) + '\n(screenshot: %s)' % shot)]
    finally:
        for p in (view, xvfb):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


_usb_lock = threading.Lock()
_usb_img = []


def _usb_selftest_image():
    """build/usb.img with its self-test entry as the default; made once."""
    with _usb_lock:
        if not _usb_img:
            _usb_img.append(emu.image_with_menu('usb-selftest', emu.menu_selecting('Koiz self-test'), usb=True))
        return _usb_img[0]


def usb_image_boots():
    """build/usb.img, the USB-stick image, boots its self-test entry as a USB mass-storage
    device (EHCI) and as an IDE disk in QEMU, and as an ATA disk in Bochs."""
    image = _usb_selftest_image()
    results = []
    stick = ['-drive', 'file=%s,format=raw,if=none,id=stick' % image, '-device', 'usb-ehci,id=ehci',
             '-device', 'usb-storage,bus=ehci.0,drive=stick']
    run = emu.qemu('usb-stick', image, timeout=60, until=emu.finished, drive=stick)
    results += selftest_results('qemu-usb-stick', run, 32)
    run = emu.qemu('usb-ide', image, timeout=60, until=emu.finished,
                   drive=['-drive', 'file=%s,format=raw,if=ide' % image, '-boot', 'c'])
    results += selftest_results('qemu-usb-ide', run, 32)
    run = emu.bochs('usb-ata', image, timeout=120, until=emu.finished, disk=True)
    results += selftest_results('bochs-usb-ata', run, 32)
    return results


CASES = [
    _bochs_selftest(8), _bochs_selftest(32), _bochs_selftest(512),
    _qemu_selftest(4), _qemu_selftest(32), _qemu_selftest(3584),
    qemu_default_entry, qemu_bad_options, qemu_crash_reports, qemu_no_pse_no_pge, qemu_serial_only,
    qemu_acpi_power_off, qemu_snapshot_key_and_period, qemu_telemetry_targets,
    bochs_bad_magic, bochs_no_memory_map, bochs_telemetry_proof, bochs_into_koiz_view, xvfb_desktop,
    usb_image_boots,
]
