"""koiz-view sessions as a student has them (README "koiz-view"): a window on a
(virtual) desktop that started the emulator itself.

- Keys where the user types them: `k` pressed in koiz-view's window reaches the
  kernel running in Bochs and in QEMU (through the emulator's COM1), which stops
  the tour's demo and says so in its own stream ("... stopped with the k key").
- The view follows the story: while the tour's heap demo runs in QEMU, the
  window's title names the demo's user space, not the kernel's (asid 0), although
  the demo task sleeps most of the time.
"""
import os
import re
import signal
import subprocess
import time

import emulators as emu
from runner import Result

VIEW = os.path.join(emu.ROOT, 'build', 'koiz-view')


def _title(env, win):
    return subprocess.run(['xdotool', 'getwindowname', win], env=env, capture_output=True, text=True).stdout.strip()


def _window(env):
    ids = subprocess.run(['xdotool', 'search', '--class', 'koiz-view'], env=env, capture_output=True,
                         text=True).stdout.split()
    return ids[0] if ids else None


def _stream_text(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('latin-1')
    except OSError:
        return ''


def _session(name, args, display_base, timeout):
    """Starts koiz-view with args on its own Xvfb; yields control to check(env, win, rec)."""
    display = ':%d' % (display_base + os.getpid() % 100)
    rec = os.path.join(emu.TMP, '%s.stream' % name.replace('/', '-'))
    os.makedirs(emu.TMP, exist_ok=True)
    if os.path.exists(rec):
        os.remove(rec)
    xvfb = subprocess.Popen(['Xvfb', display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    env = dict(os.environ, DISPLAY=display, SDL_AUDIODRIVER='dummy')
    time.sleep(1)
    view = subprocess.Popen([VIEW, '--record', rec, '--size', '1280x800'] + args, cwd=emu.ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return xvfb, view, env, rec


def _end(xvfb, view, env):
    win = _window(env) if view.poll() is None else None
    if win:
        subprocess.run(['xdotool', 'key', '--window', win, 'q'], env=env)
    try:
        view.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(view.pid, signal.SIGKILL)
        view.wait()
    os.killpg(xvfb.pid, signal.SIGTERM)
    xvfb.wait()


def _no_pty():
    """Why this machine has no pseudo-terminals (a chroot without /dev/pts), or None."""
    try:
        master, slave = os.openpty()
        os.close(master)
        os.close(slave)
        return None
    except OSError as e:
        return str(e)


def _key_reaches_kernel(name, args, display_base, timeout):
    why = _no_pty()
    if why:  # koiz-view says so in its window when a key is pressed; nothing to test here
        return [Result(name, None, 'skipped: no pseudo-terminal on this machine (%s)' % why)]
    xvfb, view, env, rec = _session(name, args, display_base, timeout)
    problems = []
    try:
        deadline = time.time() + timeout
        # The tour's first demo has begun: its task is running in the kernel.
        while time.time() < deadline and 'Demo heap: heap growth' not in _stream_text(rec):
            time.sleep(0.5)
        win = _window(env)
        if 'Demo heap: heap growth' not in _stream_text(rec) or not win:
            return [Result(name, False, 'the tour never started its heap demo within %d s (window %r)\n%s'
                           % (timeout, win, _stream_text(rec)[-1500:]))]
        subprocess.run(['xdotool', 'key', '--window', win, 'k'], env=env)
        stop = time.time() + 30
        while time.time() < stop and 'k key' not in _stream_text(rec):
            time.sleep(0.5)
        text = _stream_text(rec)
        said = [l for l in text.splitlines() if 'k key' in l]
        if not said:
            problems.append('k pressed in the window: the kernel never said it stopped (%s)'
                            % [l for l in text.splitlines() if 'Demo' in l][-4:])
        elif 'heap' not in said[0]:
            problems.append('the k key stopped something else: %r' % said[0])
    finally:
        _end(xvfb, view, env)
    return [Result(name, not problems, '\n'.join(problems) + '\n(recording: %s)' % rec)]


def bochs_key_reaches_kernel():
    return _key_reaches_kernel('session/bochs-k-typed-in-koiz-view-stops-the-demo', [], 380, 120)


def qemu_key_reaches_kernel():
    return _key_reaches_kernel('session/qemu-k-typed-in-koiz-view-stops-the-demo', ['--qemu'], 480, 60)


def qemu_view_follows_the_demo():
    """While the heap demo runs (paced: its steps take wall-clock seconds), the title names the
    demo's user space most of the time the kernel's own space is live."""
    name = 'session/qemu-view-follows-the-demos-space'
    xvfb, view, env, rec = _session(name, ['--qemu'], 580, 60)
    problems, titles = [], []
    try:
        deadline = time.time() + 60
        while time.time() < deadline and 'Demo heap: heap growth' not in _stream_text(rec):
            time.sleep(0.5)
        win = _window(env)
        if not win or 'Demo heap: heap growth' not in _stream_text(rec):
            return [Result(name, False, 'the heap demo never started (window %r)' % win)]
        for _ in range(8):
            time.sleep(0.5)
            titles.append(_title(env, win))
        spaces = [re.search(r' · space (\d+) \((\w+)', t) for t in titles]
        user = [m for m in spaces if m and m.group(1) != '0']
        if len(user) < 6:
            problems.append('the title named the demo\'s space in %d of 8 looks: %s' % (len(user), titles))
        if any(m and m.group(2) not in ('following', 'ended') for m in spaces):
            problems.append('the view is not following the story: %s' % titles)
    finally:
        _end(xvfb, view, env)
    return [Result(name, not problems, '\n'.join(problems))]


CASES = [bochs_key_reaches_kernel, qemu_key_reaches_kernel, qemu_view_follows_the_demo]
