"""Running the Koiz floppy headless in Bochs or QEMU, with a hard timeout.

Every run reads the emulator's output as it comes and stops as soon as the
test has what it needs (`until`), or when the deadline passes: a hung kernel
becomes a failed test with its output shown, never a hung suite. Runs are
judged by what the kernel printed, never by the emulator's exit status.
"""
import os
import selectors
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'site_scons'))
import koiz_image  # noqa: E402
import kzproto  # noqa: E402

TMP = os.path.join(ROOT, 'build', 'tests', 'tmp')
STREAMS = os.path.join(TMP, 'streams')     # every run's output, for the order check (stream_order.py)


class Run:
    def __init__(self, name, output, timed_out, seconds):
        self.name = name
        self.output = output
        self.timed_out = timed_out
        self.seconds = seconds
        self.records = kzproto.records(output)
        os.makedirs(STREAMS, exist_ok=True)
        with open(os.path.join(STREAMS, name + '.txt'), 'w', encoding='latin-1') as f:
            f.write(output)

    def of_type(self, type_):
        return [r for r in self.records if r.type == type_]

    def tail(self, lines=60):
        """The end of the output, without Bochs's startup chatter, for failure reports."""
        keep = [l for l in self.output.splitlines()
                if not l.startswith('00000000000i[') and not l.startswith('ALSA lib')]
        return '\n'.join(keep[-lines:])


def _run(name, cmd, timeout, until, env=None, until_text=None):
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=env, start_new_session=True)
    return _follow(name, proc, start, timeout, until, [], until_text)


def _follow(name, proc, start, timeout, until, chunks, until_text=None):
    """Reads proc's output (after what chunks already holds) until `until` says the test
    has what it needs, the output ends, or the deadline; the emulator is then killed.
    until_text, a string, ends the run once the output holds it: cheaper than until
    on long outputs, which parses every record again with each chunk."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    timed_out = False
    try:
        while True:
            left = start + timeout - time.time()
            if left <= 0:
                timed_out = True
                break
            if not sel.select(min(left, 0.5)):
                if proc.poll() is not None:
                    break
                # Asked again without new output too: `until` may wait on a file (COM1).
                if until and until(kzproto.records(b''.join(chunks).decode('latin-1'))):
                    break
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            chunks.append(data)
            # Every chunk holds a byte at least: the last len(until_text) hold the text if it came.
            if until_text and until_text.encode('latin-1') in b''.join(chunks[-len(until_text) - 1:]):
                break
            if until and until(kzproto.records(b''.join(chunks).decode('latin-1'))):
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        sel.close()
        proc.stdout.close()
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass
    output = b''.join(chunks).decode('latin-1')
    if timed_out:
        output += '\n[harness: no result within %d s; the emulator was killed]\n' % timeout
    return Run(name, output, timed_out, time.time() - start)


def image_with_menu(name, menu_text, usb=False):
    """A copy of build/floppy.img (or build/usb.img) whose menu.lst is menu_text
    (kernel and GRUB unchanged)."""
    os.makedirs(TMP, exist_ok=True)
    out = os.path.join(TMP, name + '.img')
    source = os.path.join(ROOT, 'build', 'usb.img' if usb else 'floppy.img')
    koiz_image.replace_menu(source, menu_text, out, koiz_image.USB_PART_AT if usb else '')
    return out


def menu_selecting(entry_title_start, extra_options=''):
    """The floppy's own menu.lst with `default` pointing at the entry whose title starts
    with entry_title_start, no countdown, and extra_options appended to its kernel line."""
    with open(os.path.join(ROOT, 'floppy', 'menu.lst')) as f:
        lines = f.read().splitlines()
    titles = [i for i, l in enumerate(lines) if l.startswith('title ')]
    index = next(n for n, i in enumerate(titles) if lines[i][6:].startswith(entry_title_start))
    out, entry = [], -1
    for line in lines:
        if line.startswith('default '):
            line = 'default %d' % index
        elif line.startswith('timeout '):
            line = 'timeout 0'
        elif line.startswith('title '):
            entry += 1
        elif line.strip().startswith('kernel ') and entry == index and extra_options:
            line = line + ' ' + extra_options
        out.append(line)
    return '\n'.join(out) + '\n'


def bochs(name, image, megs=32, timeout=90, until=None, debugger=('c',), cpu=None, disk=False, extra=()):
    """Boots image in Bochs (the project's bochsrc, SDL2 display on the dummy driver).
    debugger: the commands Bochs's debugger runs first (the last must continue);
    extra: more bochsrc lines."""
    os.makedirs(TMP, exist_ok=True)
    rc = os.path.join(TMP, name + '.rc')
    with open(rc, 'w') as f:
        f.write('\n'.join(debugger) + '\n')
    cmd = ['bochs', '-q', '-f', 'bochsrc', '-rc', rc,
           'megs: %d' % megs,
           ('ata0-master: type=disk, path=%s, mode=flat' % image) if disk else
           'floppya: 1_44=%s, status=inserted' % image,
           'log: %s' % os.path.join(TMP, name + '.log')]
    if cpu:
        cmd.append('cpu: model=%s' % cpu)
    if disk:
        cmd.append('boot: disk')
    cmd += list(extra)
    env = dict(os.environ, SDL_VIDEODRIVER='dummy', SDL_AUDIODRIVER='dummy')
    return _run(name, cmd, timeout, until, env)


class _Debugger:
    """Bochs's debugger over a pipe: each command's answer is the text up to the next prompt."""

    def __init__(self, proc, deadline):
        self.proc, self.deadline, self.prompt, self.log = proc, deadline, 1, []

    def read_until(self, pattern):
        import re
        got = b''
        while time.time() < self.deadline:
            ready = selectors.DefaultSelector()
            ready.register(self.proc.stdout, selectors.EVENT_READ)
            if ready.select(0.5):
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    break
                got += data
                self.log.append(data)
                if re.search(pattern, got):
                    ready.close()
                    return got.decode('latin-1')
            ready.close()
        raise TimeoutError('Bochs gave no %r in time' % pattern)

    def __call__(self, command):
        self.prompt += 1
        self.proc.stdin.write(command.encode() + b'\n')
        self.proc.stdin.flush()
        return self.read_until(rb'<bochs:%d>' % self.prompt)


def bochs_debugging(name, image, at, script, megs=32, timeout=120, until=None):
    """Boots image in Bochs, stops at address `at`, and calls script(debugger) there:
    debugger('x /2wx ebx') runs a command and returns what Bochs answered. Then the
    run continues like bochs() until `until` or the deadline."""
    os.makedirs(TMP, exist_ok=True)
    rc = os.path.join(TMP, name + '.rc')
    with open(rc, 'w') as f:
        f.write('lb 0x%x\nc\n' % at)
    cmd = ['bochs', '-q', '-f', 'bochsrc', '-rc', rc, 'megs: %d' % megs,
           'floppya: 1_44=%s, status=inserted' % image, 'log: %s' % os.path.join(TMP, name + '.log')]
    env = dict(os.environ, SDL_VIDEODRIVER='dummy', SDL_AUDIODRIVER='dummy')
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                            cwd=ROOT, env=env, start_new_session=True)
    debugger = _Debugger(proc, start + timeout)
    try:
        debugger.read_until(rb'Breakpoint 1')
        script(debugger)
        debugger.proc.stdin.write(b'c\n')
        debugger.proc.stdin.flush()
    except (TimeoutError, OSError, ValueError) as e:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        output = b''.join(debugger.log).decode('latin-1')
        return Run(name, output + '\n[harness: %s]\n' % e, True, time.time() - start)
    return _follow(name, proc, start, timeout, until, debugger.log)


def qemu(name, image, megs=32, timeout=30, until=None, extra=(), debugcon=True, exit_device=True, drive=None,
         until_text=None):
    """Boots image in QEMU from floppy, port 0xE9 (debugcon) on stdout (or, with
    debugcon=False, no port 0xE9 at all: pass '-serial stdio' in extra).
    drive: other arguments attaching the image (a disk, a USB stick) instead."""
    boot = drive or ['-drive', 'file=%s,if=floppy,format=raw' % image, '-boot', 'a']
    # -snapshot: several runs may share one image, and none may change it.
    cmd = ['qemu-system-i386', '-snapshot'] + boot + [
           '-m', str(megs), '-display', 'none', '-no-reboot', '-monitor', 'none']
    cmd += ['-debugcon', 'stdio'] if debugcon else []
    cmd += ['-serial', 'null'] if '-serial' not in extra else []
    cmd += ['-device', 'isa-debug-exit,iobase=0xf4,iosize=4'] if exit_device else []
    cmd += list(extra)
    return _run(name, cmd, timeout, until, until_text=until_text)


def finished(records):
    """until= for self-test runs: the summary record (or a panic) has arrived."""
    return any(r.type in ('tests', 'panic') for r in records)
