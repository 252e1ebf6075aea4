"""Hostile programs and careless input, booted (issue 12): the kernel's hostile
self-test suite (user/ programs that attack it) in QEMU and Bochs, with the
stream checked from outside; every RAM size from the minimum to 3.5 GiB
running the tour; too little RAM refused; endless tasks stopped by the k key
and by demo_limit; a strict command line.

What the stream must show, whatever a task wrote (docs/protocol.md):
  - every record on port 0xE9 is one the kernel wrote: as many valid records
    (and, in QEMU's clean stream, as many '@' bytes) as the kernel says it
    started ("Records sent: N to port 0xE9" at power-off);
  - the console text, records removed and escapes undone, holds exactly the
    bytes the tasks wrote (bigwrite's 1,100 and 65,536, forge's forgeries).
"""
import concurrent.futures
import os
import re
import socket
import time

import emulators as emu
import kzproto
from boot_tests import _fail, selftest_results
from runner import Result

ROOT = emu.ROOT
KERNEL = os.path.join(ROOT, 'build', 'koiz.elf')


def _kernel_args(options, cpu=None):
    """QEMU's own multiboot loader instead of GRUB (no floppy): any CPU model boots."""
    return (['-cpu', cpu] if cpu else []) + ['-kernel', KERNEL, '-append', options]


def _image(name, options):
    """The floppy, its self-test entry's `selftest` replaced by options."""
    menu = emu.menu_selecting('Koiz self-test').replace('kernel /boot/koiz.elf selftest\n',
                                                         'kernel /boot/koiz.elf %s\n' % options)
    return emu.image_with_menu(name, menu)


def _records_sent(output):
    m = re.search(r'Records sent: (\d+) to port 0xE9', output)
    return int(m.group(1)) if m else None


def _bigwrite_bytes():
    """The bytes user/bigwrite.c writes (its ANY_BYTE and TEXT patterns)."""
    any_byte = ''.join(chr((i * 7 + i // 256) & 0xFF) for i in range(1100))
    text = ''.join('\n' if i % 1024 == 1023 else chr(0x20 + (i * 7 + i // 1024) % 95) for i in range(65536))
    return any_byte, text


def stream_checks(prefix, run, clean_stream):
    """The stream holds only the kernel's records, and the tasks' bytes exactly.
    clean_stream: the output is port 0xE9 alone (QEMU), so '@' bytes can be counted too."""
    results = []
    sent = _records_sent(run.output)
    problems = []
    if sent is None:
        problems.append('no "Records sent" line: the kernel did not reach power-off')
    else:
        if len(run.records) != sent:
            problems.append('%d valid records in the stream, the kernel wrote %d' % (len(run.records), sent))
        if clean_stream and run.output.count('@') != sent:
            problems.append("%d '@' bytes in the stream, the kernel started %d records"
                            % (run.output.count('@'), sent))
    tests = run.of_type('tests')
    if len(tests) != 1 or run.of_type('panic'):
        problems.append('%d tests records, %d panic records' % (len(tests), len(run.of_type('panic'))))
    name = '%s/only-the-kernels-records' % prefix
    results.append(_fail(name, run, '; '.join(problems)) if problems else Result(name, True))

    text = kzproto.console_text(run.output)
    any_byte, plain = _bigwrite_bytes()
    problems = []
    for head, want, tail in (('bigwrite: 1100 bytes follow\n', any_byte, '\nbigwrite: 65536 bytes follow\n'),
                             ('bigwrite: 65536 bytes follow\n', plain, '\nbigwrite: end of the checked bytes\n')):
        at = text.find(head)
        if at < 0:
            problems.append('no "%s" in the console text' % head.strip())
            continue
        got = text[at + len(head):at + len(head) + len(want)]
        if got != want:
            first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            problems.append('%d bytes after "%s" differ from what bigwrite wrote, first at byte %d: %r, wanted %r'
                            % (len(want), head.strip(), first, got[first:first + 12], want[first:first + 12]))
        elif not text.startswith(tail, at + len(head) + len(want)):
            problems.append('after the %d bytes: %r, not the next marker' % (len(want),
                                                                              text[at + len(head) + len(want):][:40]))
    name = '%s/write-byte-exact' % prefix
    results.append(_fail(name, run, '; '.join(problems)) if problems else Result(name, True))

    # forge's records reached the console as text, and none of them as a record.
    problems = []
    for forged in ('@KZ1 tests 99 0 *', '@KZ1 panic forged: the kernel did not write this *',
                   '@KZ1 snap 9999 0 136000 5 *', 'junk without a newline @KZ1 panic forged after junk *',
                   '\\x40KZ1 tests 96 0 *0000\n'):
        if forged not in text:
            problems.append('forge wrote %r, the console text lacks it' % forged)
    if any(r.type == 'snap' and r.fields[:1] == ['9999'] for r in run.records) or \
            any(r.type == 'tests' and r.fields[:1] != tests[-1].fields[:1] for r in run.records if tests):
        problems.append('a forged record validated')
    name = '%s/forgeries-are-text' % prefix
    results.append(_fail(name, run, '; '.join(problems)) if problems else Result(name, True))
    return results


def _hostile_run(prefix, runner, megs, clean_stream):
    run = runner()
    results = selftest_results(prefix, run, megs)
    results += stream_checks(prefix, run, clean_stream)
    name = prefix + '/fpu-said'
    fpu = re.search(r'fpuiso: x87 isolated; MMX ([^;\n]+); SSE ([^\n]+)', kzproto.console_text(run.output))
    results.append(Result(name, True, fpu.group(0)) if fpu else _fail(name, run, 'no fpuiso line'))
    return results


def qemu_hostile_suite():
    """selftest=hostile from the floppy at 32 and 4 MiB, and on QEMU's 486 (no MMX, no SSE,
    FNSAVE; through QEMU's own loader, as GRUB needs a 686)."""
    image = _image('hostile-qemu', 'selftest=hostile')
    results = _hostile_run('qemu-hostile-32M', lambda: emu.qemu(
        'qemu-hostile-32M', image, megs=32, timeout=60), 32, True)
    results += _hostile_run('qemu-hostile-4M', lambda: emu.qemu(
        'qemu-hostile-4M', image, megs=4, timeout=60), 4, True)
    results += _hostile_run('qemu-hostile-486', lambda: emu.qemu(
        'qemu-hostile-486', None, megs=32, timeout=60, drive=_kernel_args('selftest=hostile', '486')), 32, True)
    return results


def bochs_hostile_suite():
    """selftest=hostile in Bochs from the floppy (its stdout mixes Bochs's lines in: records
    are counted, '@' bytes are not). Without COM1: Bochs's UART carries the console copy at
    115,200 baud in emulated time, and bigwrite's 64 KiB would take it 6 s of it; the
    bytes checked are port 0xE9's anyway."""
    return _hostile_run('bochs-hostile', lambda: emu.bochs(
        'bochs-hostile', _image('hostile-bochs', 'selftest=hostile'), megs=32, timeout=240,
        extra=['com1: enabled=0']), 32, False)


# From the documented minimum (kernel/memory.h: a PC with 4 MiB) to 3.5 GiB: both ends,
# just above the minimum, RAM ending inside a 4 MiB page, just past the 768 MiB the
# direct map holds, 1 GiB, and 3.5 GiB (QEMU puts RAM above 4 GiB there). (The self-test
# boots add 8, 32 and 512 MiB.) The floppy's default entry runs the tour too
# (qemu_default_entry boots it); QEMU's own loader saves GRUB's countdown here.
TOUR_SIZES = [4, 5, 63, 769, 1024, 3584]
SCENES = ['heap', 'stack', 'fork', 'wild', 'churn', 'idle']


# QEMU counting instructions for its clock, and skipping the time the guest sleeps: the
# tour's pauses (a second between scenes, the demos' own sleeps) take no time, and a run
# takes 2-3 s instead of 15, the same instructions in the same order.
ICOUNT = ['-icount', 'shift=0,sleep=off']


def _tour(megs):
    # The records go to COM1, QEMU's null serial port, where they cost the host nothing;
    # port 0xE9 carries the console text the test reads. (On 0xE9 the tour's 6 MB of
    # records take QEMU half a minute to write, a byte per system call.) A panic ends
    # in a halt: the timeout ends that run.
    return emu.qemu('qemu-tour-%dM' % megs, None, megs=megs, timeout=60,
                    drive=ICOUNT + _kernel_args('demo=tour telemetry=serial'), until_text='The tour is over.')


def qemu_ram_sizes_tour():
    """Every size in TOUR_SIZES boots and runs the whole tour (demo=tour, what the floppy's
    default entry runs) without a panic, each scene ending with a report that says what
    happened (heapgrow's out of memory at 4 MiB as such)."""
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(TOUR_SIZES)) as pool:
        for megs, run in zip(TOUR_SIZES, pool.map(_tour, TOUR_SIZES)):
            name = 'qemu-tour/%dM' % megs
            text = kzproto.console_text(run.output)
            problems = []
            if 'PANIC' in text:
                problems.append('a panic')
            if 'The tour is over.' not in text:
                problems.append('the tour did not end')
            for scene in SCENES[:-1]:
                if not re.search(r'Demo %s: (done|\w+ was killed|\w+ exited)' % scene, text):
                    problems.append('scene %s has no report' % scene)
            if 'as it should be' in text:
                problems.append('a report that does not say what happened')
            results.append(_fail(name, run, '; '.join(problems)) if problems else Result(name, True))
    return results


def qemu_below_minimum_ram():
    """2 and 3 MiB: the kernel says why it cannot run (on the console and as a panic
    record) and stops: no 'Koiz is up', no tasks."""
    results = []
    for megs in (2, 3):
        run = emu.qemu('qemu-below-%dM' % megs, None, megs=megs, timeout=20,
                       drive=_kernel_args('demo=tour'),
                       until=lambda recs: any(r.type == 'panic' for r in recs))
        name = 'qemu-below-minimum/%dM' % megs
        panics = run.of_type('panic')
        if not panics or 'below the minimum' not in panics[0].line:
            results.append(_fail(name, run, 'expected a panic record saying the RAM is below the minimum'))
        elif 'Koiz cannot run here and stops' not in run.output or 'Koiz is up' in run.output:
            results.append(_fail(name, run, 'expected the console to say it stops, and nothing after'))
        else:
            results.append(Result(name, True))
    return results


def qemu_stop_key_and_limit():
    """A program that never ends (user/spin.c, started with demo=spin): the k key typed into
    the kernel's keyboard stops its three tasks; demo_limit=1 stops them after a second.
    Either way the kernel says so and goes back to idle, frames whole."""
    results = []
    monitor = os.path.join(emu.TMP, 'qemu-stopkey.sock')
    if os.path.exists(monitor):
        os.remove(monitor)
    typed = []

    def until(recs):
        started = any(r.type == 'log' and 'Program spin: started' in r.line for r in recs)
        if started and not typed and os.path.exists(monitor):
            time.sleep(0.5)         # the tasks are spinning by now
            typed.append(1)
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(monitor)
                s.sendall(b'sendkey k\n')
                time.sleep(0.2)
            finally:
                s.close()
        return any(r.type == 'log' and 'tasks stopped' in r.line for r in recs)

    run = emu.qemu('qemu-stopkey', None, timeout=30, until=until,
                   drive=_kernel_args('demo=spin'), extra=['-monitor', 'unix:%s,server,nowait' % monitor])
    if os.path.exists(monitor):
        os.remove(monitor)
    name = 'qemu/k-key-stops-endless-tasks'
    logs = ' | '.join(r.line for r in run.of_type('log'))
    stopped = len(re.findall(r'task \d+ \(spin\) stopped with the k key', logs))
    if stopped != 3 or 'spin was killed: stopped with the k key' not in logs or '3 tasks stopped (k key)' not in logs:
        results.append(_fail(name, run, '%d tasks said stopped by the k key (want 3) and the demo\'s report' % stopped))
    else:
        results.append(Result(name, True))

    start = time.time()
    run = emu.qemu('qemu-demolimit', None, timeout=30, drive=ICOUNT + _kernel_args('demo=spin demo_limit=1'),
                   until=lambda recs: any(r.type == 'log' and 'tasks stopped' in r.line for r in recs))
    name = 'qemu/demo-limit-stops-endless-tasks'
    logs = ' | '.join(r.line for r in run.of_type('log'))
    if 'spin was killed: stopped: its time limit (demo_limit) was over' not in logs or \
            '3 tasks stopped (demo_limit)' not in logs:
        results.append(_fail(name, run, 'expected the time limit to stop all three tasks'))
    elif time.time() - start > 20:
        results.append(_fail(name, run, 'took %.0f s' % (time.time() - start)))
    else:
        results.append(Result(name, True))
    return results


def qemu_strict_command_line():
    """Out of range, hex, repeated and cut options are each named in a warning and keep
    their default; selftest=TEXT that names no test fails the run instead of passing it."""
    # GRUB passes "/boot/koiz.elf " then the options: snapshot=3600 is placed so that
    # the 255-character limit falls inside it (at "snapshot=3").
    head = 'selftest=zzzz baud=1 baud=0x2580 demo=heap demo=fork snapshot=5 snapshot=5'
    line = '/boot/koiz.elf ' + head
    options = head + ' ' * (245 - len(line) - 1) + ' snapshot=3600'
    run = emu.qemu('qemu-strict', _image('strict', options), timeout=30, until=emu.finished)
    name = 'qemu/strict-command-line'
    warns = ' | '.join(r.line for r in run.of_type('warn'))
    want = ["'baud=1'", "'baud=0x2580'", "'demo=fork' contradicts 'demo=heap'", "'snapshot=5' is given twice",
            "'snapshot=3' runs into the limit"]
    missing = [w for w in want if w not in warns]
    done = run.of_type('tests')
    problems = []
    if missing:
        problems.append('no warning for %s (warnings: %s)' % (missing, warns))
    if not done or done[-1].fields[:2] != ['0', '1'] or \
            not any(r.fields[:2] == ['selftest_filter', 'fail'] for r in run.of_type('test')):
        problems.append('selftest=zzzz must fail the run (tests 0 1, selftest_filter fail)')
    results = [_fail(name, run, '; '.join(problems)) if problems else Result(name, True)]

    # QEMU's own loader passes its relative path first: not an option, no warning.
    run = emu.qemu('qemu-kernelpath', None, timeout=30, until=emu.finished,
                   drive=_kernel_args('selftest=command_line'))
    name = 'qemu/kernel-path-not-an-option'
    if run.of_type('warn') or not run.of_type('tests') or run.of_type('tests')[-1].fields[:2] != ['1', '0']:
        results.append(_fail(name, run, 'expected no warning and the command_line test passing'))
    else:
        results.append(Result(name, True))
    return results


CASES = [bochs_hostile_suite, qemu_hostile_suite, qemu_ram_sizes_tour, qemu_below_minimum_ram,
         qemu_stop_key_and_limit, qemu_strict_command_line]
