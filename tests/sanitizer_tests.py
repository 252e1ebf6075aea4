"""The paging sanitizer against the kernel broken on purpose (docs/sanitizer.md).

- Every bug= of koiz/bugs.h, booted in QEMU with a demo that reaches the slip:
  `koiz-view --check` on its stream exits 4 and names that rule and no other,
  at the right record (the unmap left without its invlpg, the free of a frame
  still mapped, the `space destroy` of a space whose frames stay, the map of
  the kernel page at 0x7fff0000, the protect that leaves the parent writable);
  the kernel announced the bug on its own stream. Bochs boots skip-invlpg from
  the floppy's menu entry.
- Every other stream the suite recorded (demos, self-tests, tours, hostile
  programs, in Bochs and QEMU): no warning at all (clean_streams, run after
  the boot tests by the runner); nor the benchmark boot's, nor gen_heavy's.
"""
import os
import re
import subprocess

import emulators as emu
import guest
from runner import Result

VIEW = os.path.join(emu.ROOT, 'build', 'koiz-view')

# bug word, the demo that reaches it, the rule, what the record that caused it is
BUGS = [
    ('skip-invlpg', 'heap', 'stale-tlb', r'^(unmap|protect|remap) '),
    ('cow-writable-parent', 'fork', 'broken-cow', r'^(protect|fork) '),
    ('free-mapped', 'heap', 'freed-mapped', r'^free '),
    ('leak-on-exit', 'stack', 'leak', r'^space \d+ \d+ destroy '),
    ('user-kernel', 'stack', 'kernel-exposed', r'^map \d+ \d+ 7fff0000 '),
]


def _records(path):
    """The records of a stream, in order, without marks and checksums."""
    out = []
    with open(path, 'rb') as f:
        for line in f.read().decode('latin-1').splitlines():
            at = line.find('@KZ1 ')
            if at >= 0:
                out.append(line[at + 5:].rsplit(' *', 1)[0])
    return out


def _check(stream):
    p = subprocess.run([VIEW, '--check', stream], capture_output=True, text=True, timeout=120)
    warnings = [l for l in p.stdout.splitlines() if l.startswith('#')]
    return p, warnings


def _judge(name, stream, word, rule, cause_re, announced):
    p, warnings = _check(stream)
    problems = []
    if not announced:
        problems.append('the kernel did not announce bug=%s on its stream' % word)
    if p.returncode != 4:
        problems.append('koiz-view --check exited %d, not 4' % p.returncode)
    rules = {w.split()[3].rstrip(':') for w in warnings}
    if rules != {rule}:
        problems.append('rules named: %s, want only %s' % (sorted(rules), rule))
    first = next((w for w in warnings if (' %s:' % rule) in w), None)
    if first:
        m = re.search(r' at #(\d+)', first) or re.match(r'#(\d+)', first)
        recs = _records(stream)
        n = int(m.group(1)) if m else 0
        if not 0 < n <= len(recs) or not re.search(cause_re, recs[n - 1]):
            problems.append('the warning points at record #%d, %r, not a %s' % (
                n, recs[n - 1] if 0 < n <= len(recs) else None, cause_re))
    return Result(name, not problems, '\n'.join(problems) + '\n' + p.stdout[:1500])


def _qemu_bug(word, demo, rule, cause_re):
    name = 'sanitizer/qemu-bug-%s' % word
    g = guest.Guest('sanitizer-bug-%s' % word, 'bug=%s demo=%s' % (word, demo))
    try:
        done = g.wait_for(lambda recs: any(r.type == 'log' and ('Demo %s:' % demo) in r.line and
                                           ('done' in r.line or 'killed' in r.line) for r in recs), 60)
    finally:
        g.kill()
    if not done:
        return Result(name, False, 'the %s demo did not end (stream %s)' % (demo, g.stream))
    announced = any(r.type == 'warn' and 'bug=' + word in r.line for r in g.records())
    return _judge(name, g.stream, word, rule, cause_re, announced)


def sanitizer_qemu_bugs():
    return [_qemu_bug(*b) for b in BUGS]


def sanitizer_staletlb_on_a_correct_kernel():
    """Without the bug, user/staletlb.c dies reading the page it gave back, and no rule is broken."""
    name = 'sanitizer/qemu-staletlb-killed-without-the-bug'
    g = guest.Guest('sanitizer-staletlb', 'demo=staletlb')
    try:
        done = g.wait_for(lambda recs: any(r.type == 'log' and 'Program staletlb: staletlb' in r.line
                                           for r in recs), 30)
    finally:
        g.kill()
    text = g.text()
    problems = []
    if not done or 'staletlb was killed: bad memory access' not in text:
        problems.append('staletlb was not killed for reading a page it gave back:\n' + text[-800:])
    p, warnings = _check(g.stream)
    if p.returncode != 0 or warnings:
        problems.append('koiz-view --check: status %d, %s' % (p.returncode, warnings[:4]))
    return [Result(name, not problems, '\n'.join(problems))]


def sanitizer_bochs_skip_invlpg():
    """The floppy's menu entry for skip-invlpg, in Bochs: user/staletlb.c reads a heap page it gave
    back, through the translation the kernel forgot to drop; the sanitizer names the unmap."""
    prefix = 'sanitizer-bug-bochs'
    image = emu.image_with_menu(prefix, emu.menu_selecting('Koiz broken on purpose: bug=skip-invlpg'))
    run = emu.bochs(prefix, image, timeout=180,
                    until=lambda recs: any(r.type == 'log' and 'Program staletlb: staletlb' in r.line for r in recs))
    stream = os.path.join(emu.TMP, prefix + '.stream')
    with open(stream, 'w', encoding='latin-1') as f:
        f.write(run.output)
    announced = 'bug=skip-invlpg' in run.output
    problems = []
    if 'from a page that is gone: a stale TLB entry' not in run.output:
        problems.append('staletlb did not read its page after it was gone (Bochs flushed the TLB?)')
    return [Result('sanitizer/bochs-staletlb-reads-a-page-that-is-gone', not problems, '\n'.join(problems)),
            _judge('sanitizer/bochs-bug-skip-invlpg', stream, 'skip-invlpg', 'stale-tlb', BUGS[0][3], announced)]


def sanitizer_bench_and_heavy_streams():
    """The benchmark boot's stream (QEMU, `bench`) and gen_heavy's heavy recording: no warning."""
    results = []
    kernel = os.path.join(emu.ROOT, 'build', 'koiz.elf')
    run = emu.qemu('sanitizer-bench', None, timeout=120, drive=['-kernel', kernel, '-append', 'bench'])
    stream = os.path.join(emu.TMP, 'sanitizer-bench.txt')
    with open(stream, 'w', encoding='latin-1') as f:
        f.write(run.output)
    p, warnings = _check(stream)
    bench = sum(1 for r in run.records if r.type == 'bench')
    problems = [] if bench >= 10 else ['the bench boot sent %d figures' % bench]
    if p.returncode != 0 or warnings:
        problems.append('koiz-view --check: status %d, %s' % (p.returncode, warnings[:4]))
    results.append(Result('sanitizer/clean-qemu-bench', not problems, '\n'.join(problems)))
    heavy = os.path.join(emu.TMP, 'sanitizer-heavy.txt')
    gen = subprocess.run([os.path.join(emu.ROOT, 'build', 'tests', 'gen_heavy'), '--spaces', '16', heavy, '200000'],
                         capture_output=True, text=True)
    p, warnings = _check(heavy)
    problems = [] if gen.returncode == 0 else ['gen_heavy failed: ' + gen.stderr[-300:]]
    if p.returncode != 0 or warnings:
        problems.append('koiz-view --check: status %d, %s' % (p.returncode, warnings[:4]))
    results.append(Result('sanitizer/clean-gen-heavy', not problems, '\n'.join(problems)))
    return results


def clean_streams(directory):
    """Every stream of the run but the broken-on-purpose ones: no warning. [(name, problems)]"""
    out = []
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if name.startswith('sanitizer-bug'):
            continue
        p, warnings = _check(os.path.join(directory, name))
        problems = []
        if p.returncode not in (0, 1) or warnings:  # 1: a stream cut short is said elsewhere
            problems.append('koiz-view --check exited %d with %d warnings:\n%s'
                            % (p.returncode, len(warnings), '\n'.join(warnings[:8])))
        out.append((name, problems))
    return out


CASES = [sanitizer_qemu_bugs, sanitizer_staletlb_on_a_correct_kernel, sanitizer_bochs_skip_invlpg,
         sanitizer_bench_and_heavy_streams]
