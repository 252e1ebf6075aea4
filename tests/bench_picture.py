"""How long from starting the emulator to koiz-view's first complete picture
(issue 17), part of `scons bench` (`KOIZ_BENCH_ONLY=picture python3
tests/bench.py` for this part alone).

Each figure is wall-clock time, the median of three runs of

    build/koiz-view --headless --until end --screenshot FILE [--qemu]

which starts Bochs (or QEMU) on build/floppy.img itself and ends at the
first `end` record: the boot snapshot of the kernel's space, drawn. GRUB's
menu counts down its 3 seconds in every run, as it does for someone who
types `./koiz run`. The baseline is measured in the same run, interleaved
with the figure it is compared with, from a copy of the tree's files made
the way they were before issue 17 (build/bench/picture-before/): the whole
ELF on the floppy and the BIOS's boot-menu wait. The machine's load average
is printed beside every run: other programs on the CPUs slow Bochs down.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

import emulators as emu

sys.path.insert(0, os.path.join(emu.ROOT, 'site_scons'))
import koiz_image  # noqa: E402

BUILD = os.path.join(emu.ROOT, 'build')
WORK = os.path.join(BUILD, 'bench', 'picture')
RUNS = 3
GOAL_BOCHS, GOAL_QEMU, GOAL_SHARE = 6.0, 3.3, 0.40


def _tree(name, kernel, bochsrc_text, menu_text=None):
    """A directory koiz-view can be pointed at (KOIZ_ROOT): bochsrc, the rc file and a
    floppy made by the image builder from kernel (and menu_text, else floppy/menu.lst)."""
    root = os.path.join(WORK, name)
    os.makedirs(os.path.join(root, 'build'), exist_ok=True)
    os.makedirs(os.path.join(root, 'tools'), exist_ok=True)
    shutil.copy(os.path.join(emu.ROOT, 'tools', 'bochs-continue.rc'), os.path.join(root, 'tools'))
    with open(os.path.join(root, 'bochsrc'), 'w') as f:
        f.write(bochsrc_text)
    menu = os.path.join(emu.ROOT, 'floppy', 'menu.lst')
    if menu_text is not None:
        menu = os.path.join(root, 'menu.lst')
        with open(menu, 'w') as f:
            f.write(menu_text)

    class Node:  # what an SCons action gets: str() is the path
        def __init__(self, path):
            self.path = path

        def __str__(self):
            return self.path
    if koiz_image.build_floppy([Node(os.path.join(root, 'build', 'floppy.img'))], [Node(kernel), Node(menu)],
                               None) != 0:
        raise RuntimeError('bench_picture: could not make the floppy of ' + name)
    return root


def trees():
    """{label: KOIZ_ROOT}: the tree as it is, the tree as before issue 17, and the tree
    with GRUB's menu at no countdown (what the menu itself costs)."""
    with open(os.path.join(emu.ROOT, 'bochsrc')) as f:
        bochsrc = f.read()
    with open(os.path.join(emu.ROOT, 'floppy', 'menu.lst')) as f:
        menu = f.read()
    # before issue 17: the whole ELF, the BIOS's boot-menu wait, and an emulated second of 50
    # million instructions (which this host needs about twice as long to run)
    before = bochsrc.replace('BIOS-bochs-latest, options=fastboot', 'BIOS-bochs-latest').replace(
        'ips=25000000', 'ips=50000000')
    return {'now': emu.ROOT,
            'before': _tree('before', os.path.join(BUILD, 'koiz.elf'), before),
            'no-menu': _tree('no-menu', os.path.join(BUILD, 'koiz.elf.gz'), bochsrc,
                             menu.replace('\ntimeout 3\n', '\ntimeout 0\n'))}


def first_picture(root, qemu=False):
    """(seconds to koiz-view's first complete picture, load average at the start), or
    (None, load) when koiz-view failed."""
    png = os.path.join(WORK, 'shot.png')
    if os.path.exists(png):
        os.remove(png)
    cmd = [os.path.join(BUILD, 'koiz-view'), '--headless', '--until', 'end', '--screenshot', png]
    load = os.getloadavg()[0]
    start = time.time()
    p = subprocess.run(cmd + (['--qemu'] if qemu else []), capture_output=True, text=True, timeout=180,
                       env=dict(os.environ, KOIZ_ROOT=root))
    seconds = time.time() - start
    if p.returncode != 0 or not os.path.exists(png):
        print('  koiz-view failed (%d): %s' % (p.returncode, p.stderr.strip()[-300:]))
        return None, load
    return seconds, load


def measure():
    """{label: [(seconds, load), ...]}: RUNS rounds, each running every configuration once."""
    roots = trees()
    configs = [('bochs-before', roots['before'], False), ('bochs', roots['now'], False),
               ('bochs-no-menu', roots['no-menu'], False), ('qemu', roots['now'], True)]
    runs = {label: [] for label, _, _ in configs}
    for _ in range(RUNS):
        for label, root, qemu in configs:
            runs[label].append(first_picture(root, qemu))
    return runs


def _median(samples):
    good = [s for s, _ in samples if s is not None]
    return statistics.median(good) if len(good) == len(samples) else None


def _line(label, samples, note=''):
    m = _median(samples)
    runs = ' '.join('%.2f' % s if s is not None else 'failed' for s, _ in samples)
    loads = ' '.join('%.1f' % l for _, l in samples)
    print('  %-44s %s  (runs %s s; load %s)%s' % (label, '%6.2f s' % m if m is not None else ' failed',
                                                runs, loads, note))
    return m


def main():
    cpus = os.cpu_count() or 1
    print('First complete picture: koiz-view --headless --until end, from starting the emulator (wall clock, '
          'median of %d, GRUB\'s menu counting down 3 s; load average of the %d CPUs beside each run):'
          % (RUNS, cpus))
    runs = measure()
    kib = os.path.getsize(os.path.join(BUILD, 'koiz.elf')) / 1024
    gz = os.path.getsize(os.path.join(BUILD, 'koiz.elf.gz')) / 1024
    before = _line('Bochs, before (the whole ELF, %.0f KiB, ips 50 M)' % kib, runs['bochs-before'])
    now = _line('Bochs, now (stripped and compressed, %.0f KiB)' % gz, runs['bochs'])
    if now is not None:
        print('    target at most %.1f s: %s' % (GOAL_BOCHS, 'met' if now <= GOAL_BOCHS else 'NOT met'))
    if now is not None and before:
        print('    %.0f%% of before (target at most %.0f%%): %s'
              % (100 * now / before, 100 * GOAL_SHARE, 'met' if now <= GOAL_SHARE * before else 'NOT met'))
    quick = _line('Bochs, now, with GRUB\'s menu at timeout 0', runs['bochs-no-menu'])
    if now is not None and quick is not None:
        print('    so GRUB\'s 3-second menu takes %.2f s of wall time in Bochs here' % (now - quick))
    q = _line('QEMU, now', runs['qemu'])
    if q is not None:
        print('    target at most %.1f s: %s' % (GOAL_QEMU, 'met' if q <= GOAL_QEMU else 'NOT met'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
