"""Checks of the build's products and of the build itself, without booting."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import emulators as emu
from runner import Result

ROOT = emu.ROOT


def _constants(path, pattern):
    with open(path) as f:
        return {m.group(1): int(m.group(2), 0) for m in re.finditer(pattern, f.read(), re.M)}


def layout_constants_agree():
    """asm/layout.inc repeats numbers from include/koiz/layout.h: they must be equal."""
    name = 'build/layout-constants-agree'
    asm = _constants(os.path.join(ROOT, 'asm', 'layout.inc'), r'^(\w+)\s+equ\s+(0x[0-9A-Fa-f]+|\d+)')
    c = _constants(os.path.join(ROOT, 'include', 'koiz', 'layout.h'),
                   r'^#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+)u?\b')
    bad = ['%s: asm %#x, C %s' % (k, v, hex(c[k]) if k in c else 'missing') for k, v in asm.items()
           if c.get(k) != v]
    return [Result(name, not bad and len(asm) >= 5, '\n'.join(bad) or 'too few constants: %r' % asm)]


def kernel_is_multiboot():
    name = 'build/mbchk-accepts-kernel'
    p = subprocess.run(['mbchk', os.path.join(ROOT, 'build', 'koiz.elf')], capture_output=True, text=True)
    ok = p.returncode == 0 and 'All checks passed' in p.stdout + p.stderr
    return [Result(name, ok, p.stdout + p.stderr)]


# Instructions a 486 lacks (P6 conditional moves, Pentium and later additions). The kernel
# runs on a 486 only if the compiler never emits them; the boot test on QEMU's 486 reaches
# only the paths it runs, this check reads every instruction. (`pause` is allowed: it is
# `rep nop`, which older CPUs run as a plain nop.)
_NOT_ON_A_486 = re.compile(r'\t(cmov\w+|fcmov\w+|f?u?comip?|sysenter|sysexit|rdpmc|cmpxchg8b|movbe|'
                           r'rdrand|popcnt|lzcnt|tzcnt|ud2|nop[wl]|endbr32|xmm)\b')


# The FPU state instructions of later CPUs (and any MMX or SSE register): in the kernel
# only in kernel/fpu.c's functions, which use them after CPUID said the CPU has them.
_FPU_STATE = re.compile(r'\t(fxsave|fxrstor|ldmxcsr|stmxcsr|emms)\b|%x?mm\d')
_FPU_FUNCTIONS = {'save', 'restore', 'on_device_not_available', 'fpu_init', 'fpu_state_copy'}


def kernel_fits_a_486():
    """No instruction newer than the 486 in the kernel or its user programs, outside the
    few that run only after CPUID said the CPU has them (rdtsc, cpuid; FXSAVE, FXRSTOR and
    LDMXCSR in kernel/fpu.c). User programs may use MMX and SSE after asking CPUID
    themselves (user/fpuiso.c); the kernel, built -mgeneral-regs-only, never does."""
    name = 'build/kernel-fits-a-486'
    kernel = os.path.join(ROOT, 'build', 'koiz.elf')
    elfs = [kernel]
    user = os.path.join(ROOT, 'build', 'user')
    elfs += sorted(os.path.join(user, f) for f in os.listdir(user) if f.endswith('.elf'))
    bad, problems = [], []
    for elf in elfs:
        p = subprocess.run(['objdump', '-d', '--no-show-raw-insn', elf], capture_output=True, text=True)
        if p.returncode != 0 or 'ret' not in p.stdout:
            problems.append('objdump could not read %s: %s' % (elf, p.stderr))
        function = '?'
        for line in p.stdout.splitlines():
            m = re.match(r'^[0-9a-f]+ <([^>]+)>:$', line)
            if m:
                function = m.group(1)
            if _NOT_ON_A_486.search(line) or (elf == kernel and _FPU_STATE.search(line)
                                               and function not in _FPU_FUNCTIONS):
                bad.append('%s: %s: %s' % (os.path.basename(elf), function, line.strip()))
    return [Result(name, not bad and not problems and len(elfs) > 5, '\n'.join(problems + bad[:20]))]


def _loads(elf):
    """What a multiboot loader takes from an ELF file's bytes: its entry point and each
    PT_LOAD segment's addresses, sizes and bytes (the rest, symbols and debug
    information, it need not read)."""
    import struct
    if elf[:4] != b'\x7fELF' or elf[4] != 1:
        return None
    entry, phoff = struct.unpack_from('<II', elf, 24)
    phentsize, phnum = struct.unpack_from('<HH', elf, 42)
    segments = []
    for i in range(phnum):
        kind, off, vaddr, paddr, filesz, memsz, flags, _ = struct.unpack_from('<8I', elf, phoff + i * phentsize)
        if kind == 1:
            segments.append((vaddr, paddr, filesz, memsz, flags, elf[off:off + filesz]))
    return entry, segments


def _kernel_on_image(mtools_image):
    """Problems with /boot/koiz.elf on an image: it must be build/koiz.elf.gz, whose gzip
    inflates to an ELF that loads exactly what build/koiz.elf loads and that mbchk takes."""
    import gzip
    problems = []
    inside = subprocess.run(['mtype', '-i', mtools_image, '::/boot/koiz.elf'], capture_output=True).stdout
    with open(os.path.join(ROOT, 'build', 'koiz.elf.gz'), 'rb') as f:
        if inside != f.read():
            problems.append('the kernel on the image differs from build/koiz.elf.gz')
    try:
        elf = gzip.decompress(inside)
    except (OSError, EOFError) as e:
        return problems + ['the kernel on the image is not gzip: %s' % e]
    with open(os.path.join(ROOT, 'build', 'koiz.elf'), 'rb') as f:
        whole = f.read()
    if _loads(elf) is None or _loads(elf) != _loads(whole):
        problems.append('the kernel on the image does not load what build/koiz.elf loads')
    with tempfile.NamedTemporaryFile(suffix='.elf') as t:
        t.write(elf)
        t.flush()
        p = subprocess.run(['mbchk', t.name], capture_output=True, text=True)
        if p.returncode != 0 or 'All checks passed' not in p.stdout + p.stderr:
            problems.append('mbchk refuses the inflated kernel: ' + p.stdout + p.stderr)
    return problems


def floppy_image_shape():
    """Exactly 1,474,560 bytes of FAT12, GRUB's stage1 in the boot sector, our files inside,
    the kernel compressed."""
    name = 'build/floppy-image'
    image = os.path.join(ROOT, 'build', 'floppy.img')
    problems = []
    if os.path.getsize(image) != 1474560:
        problems.append('size %d' % os.path.getsize(image))
    with open(image, 'rb') as f:
        boot = f.read(512)
    if boot[510:512] != b'\x55\xaa':
        problems.append('no boot signature')
    if boot[54:62] != b'FAT12   ':
        problems.append('not FAT12: %r' % boot[54:62])
    listing = subprocess.run(['mdir', '-b', '-i', image, '::/boot/grub', '::/boot'],
                             capture_output=True, text=True).stdout
    for want in ('stage1', 'stage2', 'menu.lst', 'koiz.elf'):
        if want not in listing:
            problems.append('missing ' + want)
    problems += _kernel_on_image(image)
    return [Result(name, not problems, '; '.join(problems))]


def usb_image_shape():
    """A 16 MiB disk: an MBR with one bootable FAT16 partition from 1 MiB, GRUB's stage1
    in the MBR and stage1.5 in the gap after it, our files in the partition."""
    import koiz_image
    name = 'build/usb-image'
    image = os.path.join(ROOT, 'build', 'usb.img')
    problems = []
    with open(image, 'rb') as f:
        head = f.read(512 * 40)
    if os.path.getsize(image) != koiz_image.USB_BYTES:
        problems.append('size %d' % os.path.getsize(image))
    if head[510:512] != b'\x55\xaa':
        problems.append('no MBR signature')
    entry = head[446:462]
    if entry[0] != 0x80 or entry[4] != 6 or int.from_bytes(entry[8:12], 'little') != koiz_image.USB_PART_START:
        problems.append('partition entry %s' % entry.hex())
    if head[512:1024] == bytes(512):
        problems.append('nothing after the MBR: no stage1.5 embedded')
    listing = subprocess.run(['mdir', '-b', '-i', image + koiz_image.USB_PART_AT, '::/boot/grub', '::/boot'],
                             capture_output=True, text=True).stdout
    for want in ('stage2', 'fat_stage1_5', 'menu.lst', 'koiz.elf'):
        if want not in listing:
            problems.append('missing ' + want)
    problems += _kernel_on_image(image + koiz_image.USB_PART_AT)
    return [Result(name, not problems, '; '.join(problems))]


def missing_tools_named():
    """With yasm (or GRUB) missing, the build stops and names the Debian package."""
    results = []
    with tempfile.TemporaryDirectory() as bindir:
        for tool in ('python3', 'gcc', 'ld', 'scons', 'mkfs.fat', 'mcopy', 'mmd'):
            path = shutil.which(tool, path=os.environ['PATH'] + ':/usr/sbin')
            if path:
                os.symlink(path, os.path.join(bindir, tool))
        env = dict(os.environ, PATH=bindir)
        # scons starts with #!/usr/bin/python3, so it runs without PATH.
        p = subprocess.run([shutil.which('scons'), '-Q', '-n', 'build/koiz.elf'],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        out = p.stdout + p.stderr
        ok = p.returncode != 0 and "install the Debian package 'yasm'" in out
        results.append(Result('build/missing-yasm-named', ok, out))

        sys.path.insert(0, os.path.join(ROOT, 'site_scons'))
        import koiz_image
        msg = koiz_image.check_tools(search_path=bindir) or ''
        results.append(Result('build/missing-grub-named', "'grub-legacy'" in msg, msg))
    return results


def _enums(text):
    """{sentinel: enumerators before it} for every enum in text whose last member is a count."""
    out = {}
    for body in re.findall(r'\benum\s+\w*\s*\{([^}]*)\}', text):
        body = re.sub(r'/\*.*?\*/', '', body, flags=re.S)
        names = [n.split('=')[0].strip() for n in body.split(',') if n.strip()]
        if names:
            out[names[-1]] = names[:-1]
    return out


def name_tables_agree():
    """A table of names sized by an enum's count (`names[FRAME_USES] = {...}`) holds one
    name for each member: C would fill a missing one with NULL, silently. The tables of
    the protocol's kinds and words are made from records.def and cannot disagree."""
    name = 'build/name-tables-agree'
    sources, enums = {}, {}
    for top in ('include', 'kernel', 'lib', 'vmm', 'telemetry', 'visualizer', 'user'):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    with open(os.path.join(d, f), encoding='utf-8', errors='replace') as fh:
                        sources[os.path.join(d, f)] = fh.read()
    for text in sources.values():
        enums.update(_enums(text))
    bad, seen = [], 0
    table = re.compile(r'const\s+char\s*\*\s*const\s+(\w+)\[(\w+)\]\s*=\s*\{(.*?)\};', re.S)
    for path, text in sources.items():
        for m in table.finditer(text):
            if m.group(2) not in enums:
                continue
            seen += 1
            entries = len(re.findall(r'"(?:[^"\\]|\\.)*"\s*(?:,|$)', re.sub(r'/\*.*?\*/', '', m.group(3), flags=re.S).strip()))
            want = len(enums[m.group(2)])
            if entries != want:
                bad.append('%s: %s[%s] has %d names for %d members' % (os.path.relpath(path, ROOT), m.group(1),
                                                                      m.group(2), entries, want))
    return [Result(name, not bad and seen >= 3, '\n'.join(bad) or 'only %d tables found' % seen)]


def _tarjan(graph):
    """The strongly connected components of graph ({node: set(nodes)}) with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def kernel_files_call_no_circle():
    """No two C files of the kernel depend on each other in a circle: the objects the
    linker took (build/koiz.map), joined by the symbols one defines and another uses
    (nm). Layers below call up only through functions registered with them (panic_notify,
    pit_on_tick, kprintf_set_log_sink, tel_set_sink, irq_register...). The assembly
    stubs are left out: boot.asm calls kmain and isr.asm calls trap_dispatch by nature."""
    name = 'build/kernel-files-call-no-circle'
    with open(os.path.join(ROOT, 'build', 'koiz.map')) as f:
        loaded = [l.split()[1] for l in f if l.startswith('LOAD ') and not l.split()[1].startswith('build/asm/')]
    defines, uses = {}, {}
    symbol = re.compile(r'^(\S+?\.[oa](?::[^:\s]+\.o)?):[0-9a-f]*\s+([A-Za-z])\s+(\S+)$')
    for path in loaded:
        out = subprocess.run(['nm', '-A', path], capture_output=True, text=True, cwd=ROOT).stdout
        for line in out.splitlines():
            m = symbol.match(line)
            if not m:
                continue
            node, kind, sym = m.groups()
            if kind in 'TDBRC':
                defines[sym] = node
            elif kind == 'U':
                uses.setdefault(node, set()).add(sym)
    graph = {}
    for node, syms in uses.items():
        graph[node] = {defines[s] for s in syms if defines.get(s) and defines[s] != node}
    circles = _tarjan(graph)
    detail = []
    for comp in circles:
        members = set(comp)
        detail.append('a circle of %d files:' % len(comp))
        for a in comp:
            for b in sorted(graph[a] & members):
                detail.append('  %s -> %s (%s)' % (a, b, ', '.join(sorted(s for s in uses[a] if defines.get(s) == b))))
    if not detail:
        detail = ['%d files read, no circle' % len(uses) if len(uses) >= 30 else 'only %d files read' % len(uses)]
    return [Result(name, not circles and len(uses) >= 30, '\n'.join(detail))]


def c_files_follow_clang_format():
    """Every .c and .h file git knows follows .clang-format (clang-format from Debian):
    `clang-format -i FILE` fixes one."""
    name = 'build/c-files-follow-clang-format'
    tool = shutil.which('clang-format')
    if not tool:
        return [Result(name, False, "clang-format not found: install the Debian package 'clang-format'")]
    files = subprocess.run(['git', 'ls-files', '*.c', '*.h'], capture_output=True, text=True,
                           cwd=ROOT).stdout.split()
    if not files:     # not a git checkout: every C file under the tree's folders
        files = [os.path.relpath(os.path.join(d, f), ROOT) for top in ('include', 'kernel', 'lib', 'vmm', 'telemetry',
                                                                         'visualizer', 'user', 'tests')
                 for d, _, fs in os.walk(os.path.join(ROOT, top)) for f in fs if f.endswith(('.c', '.h'))]
    p = subprocess.run([tool, '--dry-run', '--Werror', '--ferror-limit=3'] + files, capture_output=True, text=True,
                       cwd=ROOT)
    bad = sorted({l.split(':')[0] for l in p.stderr.splitlines() if 'clang-format-violations' in l})
    detail = ('%d of %d files differ from .clang-format (clang-format -i FILE):\n  ' % (len(bad), len(files)) +
              '\n  '.join(bad)) if bad else '%d files' % len(files)
    return [Result(name, p.returncode == 0 and not bad and len(files) > 50, detail)]


CASES = [c_files_follow_clang_format, kernel_files_call_no_circle, name_tables_agree, layout_constants_agree, kernel_is_multiboot, kernel_fits_a_486, floppy_image_shape, usb_image_shape, missing_tools_named]
