"""The runner behind `scons test`: host unit-test programs and boot tests.

Every result is one line, PASS or FAIL and a name; a failure is followed by
what explains it (the test program's output, or the kernel's). The last line
is the summary, `N passed, N failed`.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# A case's verdict: `[       OK ] name`. cmocka repeats failed and skipped names in its
# summary, and says `[  FAILED  ] 1 test(s), listed below:`; neither is a new case.
_CMOCKA = re.compile(r'^\[\s+(OK|FAILED|SKIPPED)\s+\] (\w+)$')


class Result:
    """ok: True (passed), False (failed) or None (skipped: this machine cannot run the
    test, and detail says why; counted in neither total)."""

    def __init__(self, name, ok, detail=''):
        self.name, self.ok, self.detail = name, ok, detail


def run_host_program(name, path, timeout=300):
    """Runs one cmocka program; each of its test cases is one result."""
    try:
        p = subprocess.run([path], capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, ASAN_OPTIONS='detect_leaks=1',
                                    UBSAN_OPTIONS='print_stacktrace=1'))
        out, code = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'').decode() if isinstance(e.stdout, bytes) else (e.stdout or '')
        return [Result(name, False, out + '\n[runner: killed after %d s]' % timeout)]
    except OSError as e:
        return [Result(name, False, 'cannot run %s: %s' % (path, e))]
    results, seen = [], set()
    for line in out.splitlines():
        m = _CMOCKA.match(line)
        if m and m.group(2) not in seen:
            seen.add(m.group(2))
            verdict = {'OK': True, 'FAILED': False, 'SKIPPED': None}[m.group(1)]
            detail = out if verdict is False else ''
            if verdict is None:
                detail = next((l for l in out.splitlines() if 'skipped' in l), 'skipped')
            results.append(Result('%s/%s' % (name, m.group(2)), verdict, detail))
    if not results or (code != 0 and all(r.ok is not False for r in results)):
        # A crash (a sanitizer report, a signal) outside any counted case still fails.
        results.append(Result(name, False, out + '\n[runner: exit status %d]' % code))
    return results


def _run_case(case):
    """A case that raises (a harness bug, a missing tool) is one failed result, not a dead run."""
    try:
        return case()
    except Exception:
        return [Result(case.__name__, False, traceback.format_exc())]


def report(results, stream=sys.stdout):
    for r in results:
        if r.ok is None:
            print('SKIP %s: %s' % (r.name, r.detail), file=stream)
            continue
        print('%s %s' % ('PASS' if r.ok else 'FAIL', r.name), file=stream)
        if not r.ok and r.detail:
            for line in r.detail.rstrip().splitlines()[-80:]:
                print('    | ' + line, file=stream)
    stream.flush()


def fuzz_case(name, path, seeds, seconds=30):
    """A bounded libFuzzer run from the committed seeds, in a fresh corpus: a crash, a
    sanitizer report or a leak fails it, with the fuzzer's report and the input saved."""
    def case():
        work = os.path.join(os.path.dirname(path), 'fuzz-test-corpus')
        os.makedirs(work, exist_ok=True)
        cmd = [path, '-max_total_time=%d' % seconds, '-rss_limit_mb=1024', '-max_len=16384',
               '-artifact_prefix=%s/fuzz-test-' % os.path.dirname(path), work, seeds]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
            out, code = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired:
            return [Result(name, False, 'the fuzzer did not stop after %d s' % seconds)]
        runs = re.findall(r'Done (\d+) runs', out)
        ok = code == 0 and bool(runs)
        detail = '' if ok else out
        return [Result('%s (%s runs in %d s)' % (name, runs[0] if runs else '?', seconds), ok, detail)]
    case.__name__ = name
    return case


def main(host_programs, only='', jobs=2, fuzzers=()):
    """host_programs: [(name, path)]; fuzzers: [(name, path, seeds)]. Returns (passed,
    failed); the caller prints the summary line (`scons test` does so last of all)."""
    import boot_tests
    import emulators
    import gdb_tests
    import gdb_view_tests
    import hardware_tests
    import hostile_tests
    import sanitizer_tests
    import session_tests
    import shared_ring_tests
    import region_tests
    import static_checks
    import stream_order
    import travel_tests
    import trust_tests
    start = time.time()
    shutil.rmtree(emulators.STREAMS, ignore_errors=True)     # the order check reads this run's streams only
    results = []
    for name, path in host_programs:
        if only and only not in name:
            continue
        r = run_host_program(name, path)
        report(r)
        results += r
    for case in static_checks.CASES:
        if not only or only in case.__name__:
            r = _run_case(case)
            report(r)
            results += r
    cases = [fuzz_case(*f) for f in fuzzers] + trust_tests.CASES + hostile_tests.CASES + hardware_tests.CASES + \
        boot_tests.CASES + gdb_tests.CASES + gdb_view_tests.CASES + travel_tests.CASES + session_tests.CASES + \
        region_tests.CASES + sanitizer_tests.CASES + shared_ring_tests.CASES
    cases = [c for c in cases if not only or only in c.__name__]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for r in pool.map(_run_case, cases):
            report(r)
            results += r
    # Every recording the boot tests made keeps the rules readers rely on.
    for name, problems in stream_order.check_dir(emulators.STREAMS):
        r = [Result('stream-order/' + name, not problems, '\n'.join(problems))]
        report(r)
        results += r
    # ... and the paging sanitizer finds no fault in any of them (the broken-on-purpose ones aside).
    if not only or 'sanitizer' in only or 'stream' in only:
        for name, problems in sanitizer_tests.clean_streams(emulators.STREAMS):
            r = [Result('sanitizer/clean-' + name, not problems, '\n'.join(problems))]
            report(r)
            results += r
    passed = sum(1 for r in results if r.ok is True)
    failed = sum(1 for r in results if r.ok is False)
    skipped = [r.name for r in results if r.ok is None]
    if skipped:
        print('(skipped on this machine: %s)' % ', '.join(skipped))
    print('(%.0f s)' % (time.time() - start))
    sys.stdout.flush()
    return passed, failed


def summary(passed, failed):
    """The last line of a run."""
    return '%d passed, %d failed' % (passed, failed)
