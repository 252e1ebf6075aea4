"""Real-hardware conditions, emulated: old CPUs, odd amounts of RAM, firmware
quirks (an overlapping memory map, no PS/2 controller), a UART that keeps to
its baud rate, and the serial cable into koiz-view.

Debian's GRUB legacy is built for the i686 (its stages use cmov), so it
stops on a 486 or a Pentium, in an emulator as on real hardware. The kernel
itself runs there: on QEMU's 486 and Pentium models it is loaded by QEMU's
own multiboot loader (-kernel) instead, the way GRUB would load it.
"""
import os
import signal
import subprocess
import time

import boot_tests as bt
import emulators as emu
import kzproto
from runner import Result

ROOT = emu.ROOT
KERNEL = os.path.join(ROOT, 'build', 'koiz.elf')
VIEW = os.path.join(ROOT, 'build', 'koiz-view')


def _qemu_multiboot(cpu):
    """The kernel's self-test on an old CPU model, loaded by QEMU's multiboot loader."""
    prefix = 'qemu-%s' % cpu.split(',')[0]

    def case():
        # An absolute path: the command line starts with the kernel's file name, as from GRUB.
        run = emu.qemu(prefix, None, until=emu.finished, extra=['-cpu', cpu],
                       drive=['-kernel', KERNEL, '-append', 'selftest'])
        results = bt.selftest_results(prefix, run, 32)
        hello = run.of_type('hello')
        pse, pge = (hello[0].fields[4:6] if hello else ['?', '?'])
        want = {'486,pse=off': ('0', '0'), 'pentium': ('1', '0')}[cpu]
        name = prefix + '/paging-features'
        if (pse, pge) != want:
            results.append(bt._fail(name, run, 'hello says pse=%s pge=%s, expected %s' % (pse, pge, want)))
        elif pge == '0' and 'this CPU has no PGE' not in run.output:
            results.append(bt._fail(name, run, 'the kernel did not say it runs without global pages'))
        else:
            results.append(Result(name, True))
        return results
    case.__name__ = 'qemu_multiboot_%s' % prefix
    return case


def bochs_pentium_ii():
    """Bochs's oldest CPU model that Debian's GRUB legacy runs on (a Pentium II, no SSE),
    with an amount of RAM no machine came with."""
    run = emu.bochs('bochs-p2', bt._selftest_image(), megs=23, cpu='p2_klamath', timeout=120,
                    until=emu.finished)
    return bt.selftest_results('bochs-p2-klamath-23M', run, 23)


def qemu_without_i8042():
    """A PC without a PS/2 controller (QEMU's i8042=off; many newer machines, and old
    ones whose BIOS does not emulate one for USB keyboards): the kernel says its keys
    are off and everything else works."""
    prefix = 'qemu-no-i8042'
    run = emu.qemu(prefix, bt._selftest_image(), until=emu.finished, extra=['-machine', 'pc,i8042=off'])
    results = bt.selftest_results(prefix, run, 32)
    name = prefix + '/keys-off-said'
    if 'Keyboard: no i8042 controller answered; keys are off' not in run.output:
        results.append(bt._fail(name, run, 'expected the kernel to say the keyboard is off'))
    else:
        results.append(Result(name, True))
    return results


def bochs_paced_serial_line():
    """Telemetry on COM1 only, in Bochs, whose UART sends at the speed its divisor sets
    (115,200 baud here) as real hardware does, where QEMU's takes any amount at once.
    The kernel waits for the line, may overflow its queue and drop records (then it
    says so and sends fresh snapshots): every self-test must still pass, and every
    record that crosses the line must be whole."""
    prefix = 'bochs-paced-com1'
    os.makedirs(emu.TMP, exist_ok=True)
    line = os.path.join(emu.TMP, prefix + '.com1')
    if os.path.exists(line):
        os.remove(line)
    image = emu.image_with_menu(prefix, emu.menu_selecting('Koiz self-test', 'telemetry=serial'))

    def received():
        return open(line, 'rb').read().decode('latin-1') if os.path.exists(line) else ''
    # Port 0xE9 carries the console's plain text (no records): the summary line ends the run.
    run = emu.bochs(prefix, image, timeout=240, extra=['com1: enabled=1, mode=file, dev=%s' % line],
                    until=lambda recs: 'Powering off' in received() or 'PANIC' in received())
    wire = emu.Run(prefix, received(), run.timed_out, run.seconds)
    results = bt.selftest_results(prefix, wire, 32)
    name = prefix + '/records-whole'
    marked = [l for l in wire.output.splitlines() if l.startswith('@KZ1 ')]
    damaged = [l for l in marked if kzproto.parse_line(l) is None]
    drops = wire.of_type('drop')
    after_drop = [r.type for r in wire.records[wire.records.index(drops[0]):]] if drops else []
    if damaged or not marked:
        results.append(bt._fail(name, wire, '%d of %d records damaged, e.g. %r' % (len(damaged), len(marked),
                                                                                  damaged[:1])))
    elif drops and 'snap' not in after_drop:
        results.append(bt._fail(name, wire, 'records were dropped and no fresh snapshot followed'))
    else:
        results.append(Result(name, True))
    return results


def _odd_ram(megs):
    def case():
        prefix = 'qemu-odd-%dM' % megs
        run = emu.qemu(prefix, bt._selftest_image(), megs=megs, timeout=60, until=emu.finished)
        return bt.selftest_results(prefix, run, megs)
    case.__name__ = 'qemu_odd_ram_%dM' % megs
    return case


def _words(answer):
    """The 32-bit words of a Bochs `x /Nwx` answer, in order."""
    words = []
    for line in answer.splitlines():
        if '>:' in line:
            words += [int(w, 16) for w in line.split('>:', 1)[1].split()]
    return words


OVERLAP_BASE, OVERLAP_LENGTH = 0x01800000, 0x10000


def bochs_overlapping_memory_map():
    """A firmware memory map whose reserved entry lies inside available RAM, as buggy
    BIOSes report: Bochs's debugger stops at _start and moves the map's reserved entry
    just under 640 KiB to 24 MiB. The kernel says so, keeps those frames back (the
    memory_map self-test checks every frame of every non-available entry), and every
    self-test passes."""
    prefix = 'bochs-overlap'
    moved = []

    def rewrite_map(debugger):
        length, addr = _words(debugger('x /2wx ebx+44'))[:2]
        entries = _words(debugger('x /%dwx 0x%x' % (length // 4, addr)))
        # Entries are size (4 bytes, not counting itself), base (8), length (8), type (4).
        at = 0
        while at + 24 <= length:
            i = at // 4
            size, base, kind = entries[i], entries[i + 1], entries[i + 5]
            if kind != 1 and 0x80000 <= base < 0x100000 and entries[i + 2] == 0:
                debugger('setpmem 0x%x 4 0x%x' % (addr + at + 4, OVERLAP_BASE))
                debugger('setpmem 0x%x 4 0x%x' % (addr + at + 12, OVERLAP_LENGTH))
                moved.append(base)
                return
            at += size + 4

    run = emu.bochs_debugging(prefix, bt._selftest_image(), bt._entry_address(), rewrite_map, until=emu.finished)
    results = bt.selftest_results(prefix, run, 32)
    name = prefix + '/said-and-kept-back'
    said = '%010x - %010x is reserved but also listed as available; kept back' % (
        OVERLAP_BASE, OVERLAP_BASE + OVERLAP_LENGTH - 1)
    if not moved:
        results.append(bt._fail(name, run, 'no reserved entry below 1 MiB in the map to move'))
    elif said not in run.output:
        results.append(bt._fail(name, run, 'expected "%s"' % said))
    else:
        results.append(Result(name, True))
    return results


# ---- the serial cable: QEMU's COM1 on a Unix socket, read by koiz-view ----

class _QemuOnLine:
    """QEMU booting image with COM1 on a Unix socket (koiz-view --serial reads one as it
    reads a tty; a pseudo-terminal would need /dev/pts, which a chroot may lack), and
    no port 0xE9 unless debugcon names a file for it. Stopped before the first
    instruction until cont(). QEMU drops what COM1 sends while nobody is connected."""

    def __init__(self, name, image, line, debugcon=None):
        self.monitor = os.path.join(emu.TMP, name + '.monitor')
        for old in (self.monitor, debugcon):
            if old and os.path.exists(old):
                os.remove(old)
        self.proc = subprocess.Popen(
            ['qemu-system-i386', '-snapshot', '-drive', 'file=%s,if=floppy,format=raw' % image,
             '-boot', 'a', '-m', '32', '-display', 'none', '-no-reboot', '-S',
             '-serial', 'unix:%s,server=on,wait=off' % line, '-monitor', 'unix:%s,server,nowait' % self.monitor,
             '-device', 'isa-debug-exit,iobase=0xf4,iosize=4'] +
            (['-debugcon', 'file:' + debugcon] if debugcon else []),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.up = _wait_for(lambda: os.path.exists(self.monitor) and os.path.exists(line), 10)

    def _ask(self, command):
        import socket
        s = socket.socket(socket.AF_UNIX)
        try:
            s.settimeout(5)
            s.connect(self.monitor)
            time.sleep(0.1)
            s.recv(65536)                   # the greeting
            s.sendall(command.encode() + b'\n')
            time.sleep(0.3)
            return s.recv(65536).decode('latin-1')
        except OSError:
            return ''
        finally:
            s.close()

    def connected(self):
        """Has a client (koiz-view) connected to COM1's socket?"""
        return any(l.startswith('serial0: filename=unix:') for l in self._ask('info chardev').splitlines())

    def cont(self):
        self._ask('cont')

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if os.path.exists(self.monitor):
            os.remove(self.monitor)


def _wait_for(what, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if what():
            return True
        time.sleep(0.05)
    return False


def serial_into_koiz_view():
    """A real PC's serial cable, emulated end to end with QEMU's COM1 on a Unix socket.
    The first machine boots with nobody on its COM1 (what it sends is lost);
    koiz-view --serial plugs in late and asks for a snapshot, which comes. That machine
    is switched off (the line goes away, as an unplugged adapter does) and another
    boots the self-test on the same line: koiz-view waits, connects again, stops at the
    self-test summary (--until tests), and its screenshot shows the kernel's mappings."""
    name = 'koiz-view/serial-cable-end-to-end'
    os.makedirs(emu.TMP, exist_ok=True)
    line = os.path.join(emu.TMP, 'com1.sock')
    png, rec = os.path.join(emu.TMP, 'serial.png'), os.path.join(emu.TMP, 'serial.stream')
    e9 = os.path.join(emu.TMP, 'serial-a.e9')
    for old in (line, png, rec):
        if os.path.lexists(old):
            os.remove(old)
    first = _QemuOnLine('serial-a', emu.image_with_menu('serial-a', emu.menu_selecting(
        'Koiz, kernel only', 'telemetry=both')), line, debugcon=e9)
    second = view = None
    problems = []

    def recorded():
        return open(rec, 'rb').read() if os.path.exists(rec) else b''
    try:
        if not first.up:
            return [Result(name, False, 'QEMU did not make its COM1 socket')]
        first.cont()
        # Port 0xE9 tells when the kernel idles, its boot snapshot long gone from COM1.
        if not _wait_for(lambda: os.path.exists(e9) and b'Keys:' in open(e9, 'rb').read(), 30):
            problems.append('the first machine did not come up')
        view = subprocess.Popen([VIEW, '--serial', line, '--headless', '--until', 'tests',
                                 '--screenshot', png, '--record', rec, '--dump'],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, SDL_VIDEODRIVER='offscreen', ASAN_OPTIONS='detect_leaks=0'),
                                start_new_session=True)
        if not _wait_for(first.connected, 10):
            problems.append('koiz-view never connected to %s' % line)
        if not _wait_for(lambda: b'Snapshot requested' in recorded() and b'@KZ1 end ' in recorded(), 15):
            problems.append('plugged in late, koiz-view got no snapshot (it should ask for one)')
        first.kill()      # switched off: the line goes away under koiz-view

        second = _QemuOnLine('serial-b', emu.image_with_menu('serial-b', emu.menu_selecting('Koiz self-test')),
                             line)
        if not second.up:
            return [Result(name, False, 'the second QEMU did not make its COM1 socket')]
        if not _wait_for(second.connected, 10):
            problems.append('koiz-view did not connect again once the line was back')
        second.cont()
        try:
            out, _ = view.communicate(timeout=60)
            out = out.decode('latin-1')
        except subprocess.TimeoutExpired:
            os.killpg(view.pid, signal.SIGKILL)
            out = view.communicate()[0].decode('latin-1')
            problems.append('koiz-view did not stop at the self-test summary within 60 s')
        if view.returncode != 0:
            problems.append('koiz-view exited with %s' % view.returncode)
        stream = recorded().decode('latin-1')
        # One boot: the first machine's went out before koiz-view listened.
        if stream.count('@KZ1 hello ') != 1:
            problems.append('expected one boot in the recording, found %d' % stream.count('@KZ1 hello '))
        if '\nself-tests ' not in out or ' 0 failed' not in out or 'space 0 cr3' not in out:
            problems.append('--dump does not show a finished self-test and the kernel space:\n' + out[-2000:])
        if not problems:
            check = subprocess.run([os.path.join(ROOT, 'build', 'tests', 'png_check'), rec, png],
                                   capture_output=True, text=True,
                                   env=dict(os.environ, ASAN_OPTIONS='detect_leaks=0'))
            if check.returncode != 0:
                problems.append('the screenshot does not show the stream:\n' + check.stdout + check.stderr)
    finally:
        for q in (first, second):
            if q:
                q.kill()
        if view and view.poll() is None:
            os.killpg(view.pid, signal.SIGKILL)
            view.wait()
    return [Result(name, not problems, '\n'.join(problems) + '\n(recording: %s)' % rec)]


def koiz_view_keys_over_serial():
    """In its window, koiz-view reading a serial line passes the kernel's keys down it:
    r asks for a snapshot (the kernel's s), 1 starts the heap demo. Xvfb gives the
    window, xdotool types; the recording shows the kernel answering."""
    name = 'koiz-view/keys-down-the-serial-line'
    display = ':%d' % (190 + os.getpid() % 100)
    line = os.path.join(emu.TMP, 'com1-keys.sock')
    rec = os.path.join(emu.TMP, 'serial-keys.stream')
    for old in (line, rec):
        if os.path.exists(old):
            os.remove(old)
    xvfb = subprocess.Popen(['Xvfb', display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    machine = _QemuOnLine('serial-keys', emu.image_with_menu('serial-keys', emu.menu_selecting('Koiz, kernel only')),
                          line)
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER='dummy')
    view = None
    problems = []

    def count(text):
        return open(rec, 'rb').read().count(text) if os.path.exists(rec) else 0

    def recorded(text):
        return lambda: count(text) > 0

    def press(key, answer, what):
        ids = subprocess.run(['xdotool', 'search', '--class', 'koiz-view'], env=env, capture_output=True,
                             text=True).stdout.split()
        if not ids:
            problems.append('no koiz-view window to type %s into' % key)
            return
        before = count(answer)
        subprocess.run(['xdotool', 'key', '--window', ids[0], key], env=env)
        if not _wait_for(lambda: count(answer) > before, 15):
            problems.append('%s: the kernel never answered (%r)' % (what, answer))

    try:
        if not machine.up:
            return [Result(name, False, 'QEMU did not make its COM1 socket')]
        time.sleep(1)       # Xvfb
        view = subprocess.Popen([VIEW, '--serial', line, '--record', rec], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not _wait_for(machine.connected, 10):
            problems.append('koiz-view never connected to %s' % line)
        machine.cont()
        if not _wait_for(recorded(b'Keys:'), 30):
            problems.append('the kernel did not come up over the line')
        else:
            press('r', b'Snapshot requested', 'r (a snapshot)')
            press('1', b'heapgrow', '1 (the heap demo)')
    finally:
        machine.kill()
        for p in (view, xvfb):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return [Result(name, not problems, '\n'.join(problems) + '\n(recording: %s)' % rec)]


CASES = [
    # the longest first: the runner starts cases in this order
    bochs_paced_serial_line,
    _qemu_multiboot('486,pse=off'), _qemu_multiboot('pentium'), bochs_pentium_ii, qemu_without_i8042,
    _odd_ram(5), _odd_ram(63), _odd_ram(1024), bochs_overlapping_memory_map,
    serial_into_koiz_view, koiz_view_keys_over_serial,
]
