"""A Koiz kernel in QEMU that a test can stop and look inside: its telemetry
stream in a file, QEMU's human monitor on a Unix socket, guest physical
memory read with `pmemsave`, and the kernel's own address-space table read
through its symbols. Used to hold the stream up against the machine.

The kernel is loaded by QEMU's multiboot loader (-kernel), which is quick
and passes the command line as GRUB does.
"""
import os
import re
import signal
import socket
import struct
import subprocess
import time

import emulators as emu
import kzproto

ROOT = emu.ROOT
KERNEL = os.path.join(ROOT, 'build', 'koiz.elf')
ENTRIES = os.path.join(ROOT, 'build', 'tests', 'model_entries')
KERNEL_BASE = 0xC0000000
AD = 0x060                  # accessed and dirty: the CPU's business, never in the stream's events
P, PS = 0x001, 0x080
# pmm's enum frame_use (vmm/pmm.h), in order, as the stream's owner words say each (telemetry/emit.c);
# frames of the two uses that hold references (heap, user) carry their count.
FRAME_OWNERS = ['hole', 'reserved', 'free', 'heap', 'table', 'user', 'directory', 'image', 'boot', 'records',
                'telemetry']
REFERENCED = ('heap', 'user')


def symbols():
    """{name: (address, size)} of build/koiz.elf."""
    out = subprocess.run(['nm', '-S', KERNEL], capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return syms


class Guest:
    def __init__(self, name, append, megs=32, extra=()):
        os.makedirs(emu.STREAMS, exist_ok=True)
        self.name = name
        self.stream = os.path.join(emu.STREAMS, name + '.txt')
        self.monitor_path = os.path.join(emu.TMP, name + '.monitor')
        self.dump_path = os.path.join(emu.TMP, name + '.mem')
        for old in (self.stream, self.monitor_path):
            if os.path.exists(old):
                os.remove(old)
        self.syms = symbols()
        self.proc = subprocess.Popen(
            ['qemu-system-i386', '-kernel', KERNEL, '-append', append, '-m', str(megs), '-display', 'none',
             '-no-reboot', '-serial', 'null', '-debugcon', 'file:' + self.stream,
             '-monitor', 'unix:%s,server,nowait' % self.monitor_path] + list(extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.sock = None
        deadline = time.time() + 10
        while time.time() < deadline and not self.sock:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.monitor_path)
                self.sock = s
            except OSError:
                time.sleep(0.05)
        if not self.sock:
            raise RuntimeError('QEMU monitor did not come up')
        self.sock.settimeout(10)
        self._until_prompt()

    def _until_prompt(self):
        got = b''
        while not got.endswith(b'(qemu) '):
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError('QEMU monitor closed')
            got += data
        return got.decode('latin-1')

    def hmp(self, command):
        """Runs one monitor command; returns what it printed (the echo and prompt removed)."""
        self.sock.sendall(command.encode() + b'\n')
        text = self._until_prompt()
        text = re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', text).replace('\r', '')
        # The monitor echoes the command as it was "typed": everything up to the first newline.
        lines = [l for l in text.split('\n')[1:] if not l.startswith('(qemu)')]
        return '\n'.join(lines).strip()

    def text(self):
        with open(self.stream, encoding='latin-1') as f:
            return f.read()

    def records(self):
        return kzproto.records(self.text())

    def wait_for(self, pred, timeout):
        """Waits until pred(records) is true; False on the deadline or when QEMU ended."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return pred(self.records())
            if pred(self.records()):
                return True
            time.sleep(0.1)
        return False

    def log_seen(self, text):
        return lambda recs: any(r.type == 'log' and text in r.line for r in recs)

    def phys(self, addr, size):
        """size bytes of guest physical memory from addr."""
        if os.path.exists(self.dump_path):
            os.remove(self.dump_path)
        self.hmp('pmemsave 0x%x %d "%s"' % (addr, size, self.dump_path))
        with open(self.dump_path, 'rb') as f:
            return f.read()

    def kvar(self, name):
        """A kernel variable's bytes (its symbol's size), through the direct map."""
        addr, size = self.syms[name]
        return self.phys(addr - KERNEL_BASE, size)

    def halted_in_kernel(self):
        """Is the stopped CPU halted (hlt) in the kernel's own code?"""
        regs = self.hmp('info registers')
        m = re.search(r'EIP=([0-9a-f]{8})', regs)
        return bool(m) and int(m.group(1), 16) >= KERNEL_BASE and 'HLT=1' in regs

    def quiet_stop(self, timeout=20):
        """Stops the guest at a quiet moment: halted in the kernel with the telemetry queue
        empty, so the stream is whole up to now and no table is half changed (the kernel
        halts only in its idle loop and its scheduler). False when no such moment came."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.hmp('stop')
            if self.halted_in_kernel():
                head = struct.unpack('<I', self.kvar('ring_head'))[0]
                tail = struct.unpack('<I', self.kvar('ring_tail'))[0]
                if head == tail:
                    return True
            self.hmp('cont')
            time.sleep(0.02)
        return False

    def user_stop(self, timeout=20):
        """Stops the guest while a task runs in ring 3 and the telemetry queue is empty: the stream is
        whole up to now, no table is half changed, and the live space is the task's. False when no
        such moment came."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.hmp('stop')
            m = re.search(r'CS =([0-9a-f]{4})', self.hmp('info registers'))
            if m and int(m.group(1), 16) & 3 == 3:
                head = struct.unpack('<I', self.kvar('ring_head'))[0]
                tail = struct.unpack('<I', self.kvar('ring_tail'))[0]
                if head == tail:
                    return True
            self.hmp('cont')
            time.sleep(0.01)
        return False

    def cont(self):
        self.hmp('cont')

    def kernel_spaces(self):
        """{asid: cr3} of the kernel's live address spaces (vmm/space.c's table)."""
        data = self.kvar('spaces')
        size = len(data) // 64
        out = {}
        for i in range(64):
            pd_phys, _pd, asid, in_use = struct.unpack_from('<IIiI', data, i * size)
            if in_use:
                out[asid] = pd_phys
        return out

    def model(self, stream=None):
        """koiz-view's model of the stream so far (or of another file): {asid: (cr3, whole,
        {pdi: e}, {(pdi, pti): e})}, stats."""
        out = subprocess.run([ENTRIES, stream or self.stream], capture_output=True, text=True).stdout
        spaces, stats, cur = {}, {}, None
        for line in out.splitlines():
            w = line.split()
            if w[0] == 'space':
                cur = (int(w[2], 16), w[3] == 'whole', {}, {})
                spaces[int(w[1])] = cur
            elif w[0] == 'pde':
                cur[2][int(w[1], 16)] = int(w[2], 16)
            elif w[0] == 'pte':
                cur[3][(int(w[1], 16), int(w[2], 16))] = int(w[3], 16)
            elif w[0] == 'stats':
                stats = {w[i]: int(w[i + 1]) for i in range(1, len(w) - 1, 2)}
        return spaces, stats

    def compare(self, stream=None):
        """Every address space the kernel has against koiz-view's model of the stream (or
        of another file), entry by entry, accessed/dirty aside. Returns a list of
        differences (empty: equal). The guest must be stopped."""
        live = self.kernel_spaces()
        spaces, stats = self.model(stream)
        problems = []
        if stats.get('inconsistent'):
            problems.append('the model met %d contradictions' % stats['inconsistent'])
        if set(spaces) != set(live):
            problems.append('spaces: the kernel has %s, the model %s' % (sorted(live), sorted(spaces)))
        tables = {}
        for asid in sorted(set(spaces) & set(live)):
            cr3, whole, pdes, ptes = spaces[asid]
            if not whole:
                problems.append('space %d is not whole in the model' % asid)
            if cr3 != live[asid]:
                problems.append('space %d: cr3 %x in the model, %x in the kernel' % (asid, cr3, live[asid]))
            directory = struct.unpack('<1024I', self.phys(live[asid], 4096))
            for pdi, e in enumerate(directory):
                mine = pdes.get(pdi, 0)
                if (e & P or mine) and (e & ~AD) != (mine & ~AD):
                    problems.append('space %d PDE %d: %08x in memory, %08x in the model' % (asid, pdi, e, mine))
                if not e & P or e & PS:
                    continue
                frame = e & ~0xFFF
                if frame not in tables:
                    tables[frame] = struct.unpack('<1024I', self.phys(frame, 4096))
                for pti, t in enumerate(tables[frame]):
                    mine = ptes.get((pdi, pti), 0)
                    if (t & P or mine) and (t & ~AD) != (mine & ~AD):
                        problems.append('space %d va %08x: %08x in memory, %08x in the model'
                                        % (asid, pdi << 22 | pti << 12, t, mine))
            if len(problems) > 20:
                break
        return problems[:20]

    def frames(self):
        """pmm's own record of every frame it manages: [(owner word, references)], by frame number."""
        n = struct.unpack('<I', self.kvar('pmm_nframes'))[0]
        records = struct.unpack('<I', self.kvar('pmm_frames'))[0]
        data = self.phys(records - KERNEL_BASE, 4 * n)
        out = []
        for f in range(n):
            use, _mark, refs = struct.unpack_from('<BBH', data, 4 * f)
            owner = FRAME_OWNERS[use] if use < len(FRAME_OWNERS) else 'use-%d' % use
            out.append((owner, refs if owner in REFERENCED else 0))
        return out

    def compare_frames(self, stream=None):
        """Every frame pmm manages against koiz-view's frame map of the stream (or of another file): its owner
        and references, frame by frame; the map whole, agreeing with the counters, no free frame mapped.
        Returns a list of differences (empty: equal). The guest must be stopped."""
        out = subprocess.run([ENTRIES, stream or self.stream], capture_output=True, text=True).stdout
        facts, model = {}, []
        for line in out.splitlines():
            w = line.split()
            if w[0] == 'frames':
                facts = dict(whole=w[2] == 'whole', **{w[i]: int(w[i + 1]) for i in range(3, len(w) - 1, 2)})
            elif w[0] == 'frun':
                model += [(w[3], int(w[4]))] * int(w[2], 16)
        problems = []
        if not facts:
            return ['no frame map in the stream']
        if not facts['whole'] or facts['mismatches'] or facts['contradictions'] or facts['free_mapped']:
            problems.append('the frame map: %s' % facts)
        pmm = self.frames()
        if len(model) < len(pmm):
            problems.append('the frame map has %d frames, pmm %d' % (len(model), len(pmm)))
        for f, (mine, theirs) in enumerate(zip(model, pmm)):
            if mine != theirs:
                problems.append('frame 0x%08x: %s with %d references in the model, %s with %d in pmm'
                                % (f << 12, mine[0], mine[1], theirs[0], theirs[1]))
                if len(problems) > 20:
                    break
        free = sum(1 for owner, _ in pmm if owner == 'free')
        if free != facts['free']:
            problems.append('%d frames free in pmm, %d in the frame map' % (free, facts['free']))
        return problems[:20]

    def tlb(self):
        """The live space's translations as QEMU's `info tlb` gives them: {page: (frame, size)} with 4 MiB
        pages once at their base."""
        out = {}
        for line in self.hmp('info tlb').splitlines():
            m = re.match(r'^([0-9a-f]+): ([0-9a-f]+) ([-A-Z]{9})$', line.strip())
            if m:
                size = 0x400000 if m.group(3)[2] == 'P' else 0x1000
                out[int(m.group(1), 16)] = (int(m.group(2), 16), size)
        return out

    def kill(self):
        if self.sock:
            self.sock.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for old in (self.monitor_path, self.dump_path):
            if os.path.exists(old):
                os.remove(old)
