"""Reading page tables through QEMU's GDB stub (build/tests/gdb_peek, on
visualizer/gdb_remote.c and gdb_paging.c), on kernels booted in QEMU:

- the test kernel that is not Koiz (tests/anykernel), watched from its first
  instruction: at every quiet step of its schedule, what gdb_peek reads
  equals the layout the kernel printed (accessed and dirty bits aside), or
  is named as not drawn (paging off, PAE);
- Koiz with telemetry=off: gdb_peek finds the kernel's address space where
  the kernel says it put it (its directory, the direct map, the heap tables,
  the physical window) and no user or writable-user page in it;
- Koiz with telemetry on: at an idle moment, gdb_peek's reading equals the
  model koiz-view builds from the stream (`koiz-view --dump`).

QEMU runs with `-gdb tcp:127.0.0.1:PORT` on a free port; its port 0xE9 is
read by a thread, so the guest never waits on us. Accessed and dirty bits
are left out of every comparison: the CPU sets them as it runs.
"""
import os
import re
import socket
import subprocess
import threading
import time

import emulators as emu
import kzproto
from runner import Result

ROOT = emu.ROOT
PEEK = os.path.join(ROOT, 'build', 'tests', 'gdb_peek')
ANYKERNEL = os.path.join(ROOT, 'build', 'anykernel.elf')
KOIZ = os.path.join(ROOT, 'build', 'koiz.elf')
VIEW = os.path.join(ROOT, 'build', 'koiz-view')

ACCESSED_DIRTY = 0x060
PS_OR_PAT = 0x080


class Guest:
    """QEMU with a GDB stub on a free local port; its 0xE9 output gathered by a thread."""

    def __init__(self, name, boot, megs=32, extra=()):
        self.name, self.text, self.lock = name, '', threading.Lock()
        for _ in range(3):
            self.port = _free_port()
            cmd = ['qemu-system-i386', '-m', str(megs), '-display', 'none', '-no-reboot', '-monitor', 'none',
                   '-serial', 'null', '-debugcon', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
                   '-gdb', 'tcp:127.0.0.1:%d' % self.port] + list(boot) + list(extra)
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()
            time.sleep(0.2)
            if self.proc.poll() is None or 'Failed to' not in self.text:
                return
            self.text = ''          # another program took the port between our test and QEMU's bind

    def _read(self):
        while True:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                return
            with self.lock:
                self.text += data.decode('latin-1')

    def output(self):
        with self.lock:
            return self.text

    def wait_for(self, pattern, timeout):
        """The first match of pattern (a regex) in the output, waiting up to timeout s; None then."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.output(), re.M)
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.1)
                return re.search(pattern, self.output(), re.M)
            time.sleep(0.02)
        return None

    def wait_still(self, still=0.3, timeout=5):
        """Waits until no output came for `still` seconds (at most timeout s)."""
        deadline, seen, since = time.time() + timeout, len(self.output()), time.time()
        while time.time() < deadline and time.time() - since < still:
            time.sleep(0.05)
            if len(self.output()) != seen:
                seen, since = len(self.output()), time.time()

    def peek(self, *args, timeout=20):
        """Runs gdb_peek against this guest; (exit status, stdout + stderr)."""
        p = subprocess.run([PEEK, '127.0.0.1:%d' % self.port] + list(args), capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout + p.stderr

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
        self.proc.wait()
        self.reader.join(timeout=5)
        self.proc.stdout.close()


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _fail(name, why, guest=None, peek=''):
    detail = why
    if peek:
        detail += '\n--- gdb_peek ---\n' + peek[-4000:]
    if guest:
        detail += '\n--- the guest (%s) ---\n' % guest.name + guest.output()[-3000:]
    return Result(name, False, detail)


# ---- reading gdb_peek's output and the kernels' ----

_DUMP_RUN = re.compile(r'^0x([0-9a-f]+)-0x([0-9a-f]+)\s+\S+ -> 0x([0-9a-f]+) (4K|4M)\b(.*)$')
_FLAG_WORDS = {'RW': 0x002, 'USR': 0x004, 'PWT': 0x008, 'PCD': 0x010, 'A': 0x020, 'D': 0x040, 'G': 0x100,
               'PAT': 0x080}


def dump_flags(words):
    """The entry bits the words of a dump line stand for (ptdump.h): RW, USR, PWT, ... avl=N."""
    bits = 0x001
    for w in words.split():
        if w.startswith('avl='):
            bits |= int(w[4:], 16) << 9
        elif w != 'ro':
            bits |= _FLAG_WORDS[w]
    return bits


def polls_of(text):
    """gdb_peek's output as a list of polls: {'mode', 'cr0', 'cr3', 'cr4', 'peek', 'runs', 'not_read'}."""
    polls = []
    for line in text.splitlines():
        if line.startswith('poll '):
            polls.append({'runs': [], 'not_read': [], 'peek': None, 'entries': []})
            continue
        if not polls:
            continue
        p = polls[-1]
        if line.startswith('mode '):
            p['mode'] = line[5:]
        elif line.startswith('cr0 '):
            w = line.split()
            p.update({w[i]: int(w[i + 1], 16) for i in range(0, len(w) - 1, 2)})
        elif line.startswith('peek ') and 'unreadable' not in line:
            p['peek'] = int(line.split()[2], 16)
        elif line.startswith('not read ') or line.startswith('not drawn '):
            p['not_read'].append(line)
        elif line.startswith('pde '):
            p['entries'].append(line)
        elif line.startswith('directory '):
            p['directory'] = line
        else:
            m = _DUMP_RUN.match(line)
            if m:
                p['runs'].append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16),
                                  0x400000 if m.group(4) == '4M' else 0x1000, dump_flags(m.group(5))))
    return polls


def pages(runs):
    """{(va, size): (pa, flags without A and D, and without PS for 4 MiB pages)} for runs of
    (start, end, pa, size, flags); end 0 means 4 GiB."""
    out = {}
    for start, end, pa, size, flags in runs:
        end = end or 1 << 32
        keep = flags & ~ACCESSED_DIRTY & ~(PS_OR_PAT if size == 0x400000 else 0)
        for i, va in enumerate(range(start, end, size)):
            out[(va, size)] = (pa + i * size, keep)
    return out


def page_differences(want, got):
    """Lines naming the pages that differ between two pages() maps, at most 12."""
    lines = []
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            def say(v):
                return 'none' if v is None else '0x%08x flags 0x%03x' % v
            lines.append('0x%08x %s: kernel %s, gdb_peek %s' % (key[0], '4M' if key[1] == 0x400000 else '4K',
                                                               say(want.get(key)), say(got.get(key))))
    return lines[:12] + (['... %d more' % (len(lines) - 12)] if len(lines) > 12 else [])


def kernel_layout(text, step):
    """The anykernel's printout of one step: (header words, runs)."""
    m = re.search(r'^layout %d (.*)\n((?:run .*\n)*)end %d runs (\d+)$' % (step, step), text, re.M)
    if not m:
        return None, None
    runs = []
    for line in m.group(2).splitlines():
        w = line.split()
        runs.append((int(w[1], 16), int(w[2], 16), int(w[3], 16), 0x400000 if w[4] == '4M' else 0x1000,
                     int(w[5], 16)))
    if len(runs) != int(m.group(3)):
        return None, None
    w = m.group(1).split()
    return {'cr0': int(w[1], 16), 'cr3': int(w[3], 16), 'cr4': int(w[5], 16), 'mode': w[6]}, runs


_MODE_WORDS = {'off': 'paging off', '32': '32-bit paging, 4 KiB pages only',
               'pse': '32-bit paging with 4 MiB pages', 'pae': 'PAE paging (CR4.PAE): not drawn yet'}


def _check_step(step, header, want_runs, polls):
    """Why the polls taken while step held still do not match its layout, or None."""
    quiet = [p for p in polls if p['peek'] == step * 2 + 1]
    if len(quiet) < 3:
        return 'fewer than 3 polls saw step %d holding still (state words read: %s)' \
            % (step, [p['peek'] for p in polls])
    for n, p in enumerate(quiet):
        for reg in ('cr0', 'cr3', 'cr4'):
            if p.get(reg) != header[reg]:
                return 'poll %d: %s 0x%x, the kernel says 0x%x' % (n + 1, reg, p.get(reg, -1), header[reg])
        if not p.get('mode', '').startswith(_MODE_WORDS[header['mode']]):
            return 'poll %d: mode "%s", the kernel says %s' % (n + 1, p.get('mode'), header['mode'])
        if p['not_read']:
            return 'poll %d: tables not read: %s' % (n + 1, p['not_read'][:3])
        diff = page_differences(pages(want_runs), pages(p['runs']))
        if diff:
            return 'poll %d differs from the layout the kernel printed:\n' % (n + 1) + '\n'.join(diff)
    return None


def _symbol(elf, name):
    out = subprocess.run(['nm', elf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        w = line.split()
        if len(w) == 3 and w[2] == name:
            return int(w[0], 16)
    raise RuntimeError('no %s in %s' % (name, elf))


def gdb_anykernel_schedule():
    """tests/anykernel, started stopped (-S) and watched from its first instruction by one gdb_peek
    polling at 20 Hz: every poll taken while a step held still (the kernel's state word, read in the
    same stop, says which) equals the layout the kernel printed for that step; paging off and PAE are
    named, nothing drawn; when the kernel ends QEMU, gdb_peek says so and stops."""
    prefix = 'anykernel'
    state = _symbol(ANYKERNEL, 'state')
    guest = Guest(prefix, ['-S', '-kernel', ANYKERNEL, '-append', 'hold=700'])
    results = []
    try:
        try:
            code, out = guest.peek('--polls', '2000', '--interval-ms', '50', '--peek', '0x%x' % state,
                                   '--entries', '--until-gone', timeout=60)
        except subprocess.TimeoutExpired as e:
            return [_fail(prefix + '/watched', 'gdb_peek still ran after 60 s', guest, str(e.stdout))]
        text = guest.output()
        if code != 0 or 'end: ' not in out:
            return [_fail(prefix + '/watched', 'gdb_peek failed (status %d) or did not see QEMU go' % code,
                          guest, out)]
        said = re.search(r'^state (0x[0-9a-f]{8})$', text, re.M)
        if not said or int(said.group(1), 16) != state:
            results.append(_fail(prefix + '/state-word', 'the kernel says its state word is at %s, nm says 0x%x'
                                 % (said and said.group(1), state), guest))
        polls = polls_of(out)
        for step in range(1, 9):
            header, runs = kernel_layout(text, step)
            name = '%s/step-%d-%s' % (prefix, step, header['mode'] if header else '?')
            if header is None:
                results.append(_fail(name, 'no complete layout %d in the kernel\'s output' % step, guest))
                continue
            why = _check_step(step, header, runs, polls)
            results.append(_fail(name, why, guest, out) if why else Result(name, True))
        name = prefix + '/done-and-exits'
        results.append(Result(name, True) if re.search(r'^done$', text, re.M) and guest.proc.wait(timeout=10) == 1
                       else _fail(name, 'no "done", or QEMU did not exit through isa-debug-exit', guest))
    finally:
        guest.stop()
    return results


def _koiz_idle(guest, marker, timeout=30):
    """Waits until Koiz idles: the "Keys:" line (console text or a log record), then a moment."""
    ok = guest.wait_for(marker, timeout)
    time.sleep(0.5)
    return ok


def gdb_koiz_telemetry_off():
    """Koiz with telemetry=off, watched through the stub only: its directory where it says, RAM
    direct-mapped at 0xC0000000 in 4 MiB pages (global, supervisor), the heap's eight tables at
    0xF0000000 and the physical window's table in PDE 1023, and nothing user-accessible."""
    name = 'koiz-gdb/telemetry-off-layout'
    guest = Guest('koiz-teloff', ['-kernel', KOIZ, '-append', 'telemetry=off'])
    try:
        if not _koiz_idle(guest, r'^Keys:'):
            return [_fail(name, 'Koiz did not come up', guest)]
        code, out = guest.peek('--polls', '2', '--interval-ms', '50', '--entries')
        if code != 0:
            return [_fail(name, 'gdb_peek failed (status %d)' % code, guest, out)]
        said = re.search(r'Paging: directory at (0x[0-9a-f]+); RAM direct-mapped at 0xc0000000 \((\d+) MiB',
                         guest.output())
        problems = []
        for p in polls_of(out):
            if not said:
                problems.append('Koiz did not print where its directory is')
                break
            if p.get('cr3', 0) & ~0xFFF != int(said.group(1), 16):
                problems.append('cr3 0x%x, Koiz says its directory is at %s' % (p.get('cr3', 0), said.group(1)))
            if not p.get('mode', '').startswith('32-bit paging with 4 MiB pages'):
                problems.append('mode: %s' % p.get('mode'))
            got = pages(p['runs'])
            direct = [(va, v) for (va, size), v in got.items()
                      if size == 0x400000 and 0xC0000000 <= va < 0xF0000000]
            if not direct or any(pa != va - 0xC0000000 or v & 0x106 != 0x102 for va, (pa, v) in direct):
                problems.append('the direct map is not 4 MiB pages 0xc0000000+p -> p, RW, supervisor, global: %s'
                                % direct[:4])
            mapped = sum(size for (va, size) in got if 0xC0000000 <= va < 0xF0000000)
            if abs(mapped - int(said.group(2)) * 2 ** 20) >= 2 ** 20:
                problems.append('%d MiB direct-mapped, Koiz says %s MiB' % (mapped >> 20, said.group(2)))
            heap = [e for e in p['entries'] if re.match(r'pde 9(6[0-7]) 0xf[01]', e) and '-> table' in e]
            if len(heap) != 8:
                problems.append('expected the heap\'s 8 tables in PDEs 960-967: %s' % heap)
            if not any(e.startswith('pde 1023 ') and '-> table' in e for e in p['entries']):
                problems.append('no table in PDE 1023 (the physical window)')
            low = [e for e in p['entries'] if int(e.split()[1]) < 768]
            if low:
                problems.append('entries below 0xC0000000 in the kernel\'s own space: %s' % low[:3])
            user = [k for k, (pa, v) in got.items() if v & 0x004]
            if user:
                problems.append('user-accessible pages in the kernel\'s space: %s' % user[:3])
        return [_fail(name, '; '.join(problems[:6]), guest, out) if problems else Result(name, True)]
    finally:
        guest.stop()


def _dump_spaces(text):
    """koiz-view --dump output: {cr3: [runs]} per space."""
    spaces, runs = {}, None
    for line in text.splitlines():
        m = re.match(r'^space \d+ cr3 (0x[0-9a-f]+) ', line)
        if m:
            runs = spaces.setdefault(int(m.group(1), 16), [])
            continue
        m = _DUMP_RUN.match(line)
        if m and runs is not None:
            runs.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16),
                         0x400000 if m.group(4) == '4M' else 0x1000, dump_flags(m.group(5))))
    return spaces


def gdb_koiz_stub_equals_telemetry():
    """Koiz with its telemetry on 0xE9, idle after boot: the space gdb_peek reads through the stub
    equals the model koiz-view builds from the stream up to then (A and D aside)."""
    name = 'koiz-gdb/stub-equals-telemetry'
    guest = Guest('koiz-telon', ['-kernel', KOIZ])
    try:
        if not _koiz_idle(guest, r'@KZ1 log \d+ Keys:'):
            return [_fail(name, 'Koiz did not come up', guest)]
        code, out = guest.peek('--polls', '1')
        guest.wait_still()   # what the kernel queued before the stop goes out
        stream = os.path.join(emu.TMP, 'koiz-telon.stream')
        os.makedirs(emu.TMP, exist_ok=True)
        with open(stream, 'w', encoding='latin-1') as f:
            f.write(guest.output())
        if code != 0:
            return [_fail(name, 'gdb_peek failed (status %d)' % code, guest, out)]
        view = subprocess.run([VIEW, '--dump', stream], capture_output=True, text=True, timeout=60)
        polls = polls_of(out)
        spaces = _dump_spaces(view.stdout)
        cr3 = polls[0].get('cr3', 0) & ~0xFFF if polls else None
        if view.returncode != 0 or cr3 not in spaces:
            return [_fail(name, 'koiz-view --dump has no space with cr3 %s (status %d):\n%s'
                          % (cr3 and hex(cr3), view.returncode, view.stdout[:2000] + view.stderr[:500]),
                          guest, out)]
        whole = re.search(r'^space \d+ cr3 0x%08x whole' % cr3, view.stdout, re.M)
        diff = page_differences(pages(spaces[cr3]), pages(polls[0]['runs']))
        if not whole or diff:
            why = 'the model of space 0x%x is not whole' % cr3 if not whole else \
                'the telemetry model (left) and the stub (right) differ:\n' + '\n'.join(diff)
            return [_fail(name, why.replace('kernel ', 'telemetry '), guest, out)]
        return [Result(name, True)]
    finally:
        guest.stop()


CASES = [gdb_anykernel_schedule, gdb_koiz_telemetry_off, gdb_koiz_stub_equals_telemetry]
