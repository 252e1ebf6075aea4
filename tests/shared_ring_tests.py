"""The shared-memory channel (docs/protocol.md, "Through shared memory"), end to
end: koiz-view starts QEMU with the guest's RAM shared, the kernel's records
come through it, and nothing is lost, doubled or reordered on the way.

- The self-test boot (`selftest`, which powers off) through koiz-view --qemu
  --kernel: the kernel offers the area, koiz-view takes it up, `ring start`
  comes once, after the offer; the kernel's own count at power-off ("Records
  sent: A to port 0xE9, 0 to COM1, B through shared memory") equals the valid
  records in the recording, B being most of them; every self-test passes and
  koiz-view's dump says the same. The recording goes to the streams the order
  check and the sanitizer read, like every boot test's.
- The same boot with --port-only: no offer, nothing through shared memory,
  and the records all arrive through the port as before.
"""
import os
import re
import subprocess

import emulators as emu
import kzproto
from runner import Result

VIEW = os.path.join(emu.ROOT, 'build', 'koiz-view')
KERNEL = os.path.join(emu.ROOT, 'build', 'koiz.elf')
SENT = re.compile(r'Records sent: (\d+) to port 0xE9, (\d+) to COM1, (\d+) through shared memory\.')


def _selftest_through_view(name, extra):
    """Runs the self-test boot under koiz-view --qemu. Returns (problems, records, sent), sent
    being the kernel's (to port 0xE9, through shared memory) or None without its count."""
    os.makedirs(emu.STREAMS, exist_ok=True)
    recording = os.path.join(emu.STREAMS, name + '.txt')
    try:
        p = subprocess.run([VIEW, '--qemu', '--kernel', KERNEL, '--append', 'selftest', '--headless', '--dump',
                            '--record', recording] + extra, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        return ['koiz-view --qemu did not end within 180 s'], [], None
    problems = [] if p.returncode == 0 else ['koiz-view exited with %d: %s' % (p.returncode, p.stderr[-500:])]
    with open(recording, encoding='latin-1') as f:
        text = f.read()
    recs = kzproto.records(text)
    # Console text comes through the port, records through the ring, each as it arrives: a console
    # line may be cut by records (docs/protocol.md), and console_text puts it back together.
    m = SENT.search(kzproto.console_text(text))
    if not m:
        return problems + ['no "Records sent" line: the kernel did not reach power-off'], recs, None
    port, com1, shared = (int(g) for g in m.groups())
    if com1 or port + shared != len(recs):
        problems.append('the kernel sent %d records to port 0xE9, %d to COM1 and %d through shared memory; '
                        'the recording holds %d valid ones' % (port, com1, shared, len(recs)))
    tests = [r for r in recs if r.type == 'tests']
    if not tests or tests[-1].fields[1] != '0' or int(tests[-1].fields[0]) < 10:
        problems.append('the self-tests did not all pass: %s' % (tests[-1].line if tests else 'no tests record'))
    elif 'self-tests %s passed, 0 failed' % tests[-1].fields[0] not in p.stdout:
        problems.append("koiz-view's dump does not say the self-tests passed:\n" + p.stdout[:400])
    return problems, recs, (port, shared)


def shared_ring_selftest():
    problems, recs, sent = _selftest_through_view('shared-ring-selftest', [])
    if sent:
        port, shared = sent
        kinds = [(i, r.fields[1]) for i, r in enumerate(recs) if r.type == 'ring']
        if [k for _, k in kinds] != ['offer', 'start']:
            problems.append('the channel records are %s, not one offer then one start' % [k for _, k in kinds])
        elif shared < len(recs) * 9 // 10:
            problems.append('only %d of %d records came through shared memory' % (shared, len(recs)))
        elif port != kinds[1][0] + 1:
            problems.append('%d records went to port 0xE9, but `ring start` is record %d: records after it came '
                            'through the port, or records before it were lost' % (port, kinds[1][0] + 1))
    return [Result('shared-ring/selftest-records-all-arrive-through-shared-memory', not problems,
                   '\n'.join(problems))]


def shared_ring_port_only():
    problems, recs, sent = _selftest_through_view('shared-ring-port-only', ['--port-only'])
    if sent and (sent[1] or any(r.type == 'ring' for r in recs)):
        problems.append('--port-only: %d records through shared memory, %d channel records' %
                        (sent[1], sum(r.type == 'ring' for r in recs)))
    return [Result('shared-ring/port-only-keeps-every-record-on-port-0xE9', not problems, '\n'.join(problems))]


CASES = [shared_ring_selftest, shared_ring_port_only]
