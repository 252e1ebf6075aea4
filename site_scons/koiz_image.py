"""Builders for Koiz's boot images.

A floppy image is a 1.44 MB FAT12 file system holding GRUB legacy's stage1 and
stage2, menu.lst and the kernel; `grub --batch` then writes stage1 to the boot
sector and points it at stage2. All of it works on a plain file: mtools
instead of a mount, GRUB's `device` command instead of a real drive.

The images carry the kernel stripped and gzip-compressed (compress_kernel):
GRUB legacy reads every section of an ELF kernel from the disk, debug
information included, and inflates a gzip file by itself as it reads it.
A floppy gives a track (9 KiB) per turn, 200 ms, so bytes are what booting
costs (docs/boot.md has the figures). For the same reason the files go onto
the disk in the order GRUB reads them: menu.lst and the kernel in the first
tracks, next to the FAT and the directories, stage2 (which stage1 reads by
its sector list) after them.
"""
import gzip
import os
import shutil
import subprocess

GRUB_DIR = '/usr/lib/grub/x86_64-pc'
FLOPPY_BYTES = 1474560
TOOLS = [('mkfs.fat', 'dosfstools'), ('mcopy', 'mtools'), ('mmd', 'mtools'), ('grub', 'grub-legacy'),
         ('sfdisk', 'fdisk'), ('strip', 'binutils')]

# The USB stick image: an MBR, GRUB's stage1.5 in the gap after it, and one
# FAT16 partition from 1 MiB holding stage2, menu.lst and the kernel.
USB_BYTES = 16 << 20
USB_PART_START = 2048           # sectors: 1 MiB, the usual alignment
USB_PART_AT = '@@%d' % (USB_PART_START * 512)


def _which(prog, search_path=None):
    # grub and mkfs.fat live in /usr/sbin, which a normal user's PATH lacks.
    return shutil.which(prog, path=search_path or os.environ.get('PATH', '') + ':/usr/sbin:/sbin')


def _run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError('%s failed (%d):\n%s%s' % (' '.join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout + p.stderr


def check_tools(search_path=None):
    """Returns a message naming the Debian package for the first missing tool, or None."""
    for prog, package in TOOLS:
        if not _which(prog, search_path):
            return "'%s' was not found; install the Debian package '%s' (or run tools/install-deps)" % (prog, package)
    for stage in ('stage1', 'stage2'):
        if not os.path.exists(os.path.join(GRUB_DIR, stage)):
            return "%s/%s is missing; install the Debian package 'grub-legacy'" % (GRUB_DIR, stage)
    return None


def install_grub(image, device):
    """Runs GRUB legacy's shell in batch mode on an image file. device: '(fd0)' or '(hd0)'."""
    root = '(fd0)' if device == '(fd0)' else '(hd0,0)'
    script = 'device %s %s\nroot %s\nsetup %s\nquit\n' % (device, image, root, device)
    out = _run([_which('grub'), '--batch', '--device-map=/dev/null', '--no-floppy'], input=script)
    # grub exits 0 even when setup fails; its own words tell.
    if 'succeeded' not in out or 'Error' in out:
        raise RuntimeError('grub setup did not succeed:\n' + out)


def compress_kernel(target, source, env):
    """source: [build/koiz.elf]; target: [the kernel as the images carry it]: the same ELF
    with its symbols and debug information stripped (what GRUB loads is unchanged, byte
    for byte), gzip-compressed at level 9 with no name and no time in its header, so the
    same kernel always gives the same file."""
    out = str(target[0])
    stripped = out + '.elf.tmp'
    try:
        _run([_which('strip'), '--strip-all', '-o', stripped, str(source[0])])
        with open(stripped, 'rb') as f:
            data = f.read()
        with open(out + '.tmp', 'wb') as f:
            f.write(gzip.compress(data, compresslevel=9, mtime=0))
        os.replace(out + '.tmp', out)
    except RuntimeError as e:
        print('koiz: compressing the kernel failed: %s' % e)
        return 1
    finally:
        if os.path.exists(stripped):
            os.remove(stripped)
    return 0


def _fill(mtools_image, kernel, menu, stages):
    """Writes the boot files into the FAT file system at mtools_image (a path, with
    @@offset for a partition) in the order GRUB reads them: directories, menu.lst and
    the kernel in the first clusters, GRUB's stages after them."""
    mt = ['-i', mtools_image]
    _run([_which('mmd')] + mt + ['::/boot', '::/boot/grub'])
    _run([_which('mcopy')] + mt + [menu, '::/boot/grub/menu.lst'])
    _run([_which('mcopy')] + mt + [kernel, '::/boot/koiz.elf'])
    _run([_which('mcopy')] + mt + [os.path.join(GRUB_DIR, s) for s in stages] + ['::/boot/grub/'])


def build_floppy(target, source, env):
    """source: [compressed kernel, menu.lst]; target: [floppy image]."""
    problem = check_tools()
    if problem:
        print('koiz: ' + problem)
        return 1
    image = str(target[0])
    kernel, menu = str(source[0]), str(source[1])
    tmp = image + '.tmp'
    if os.path.exists(tmp):
        os.remove(tmp)
    try:
        _run([_which('mkfs.fat'), '-C', '-F', '12', '-n', 'KOIZ', tmp, '1440'])
        _fill(tmp, kernel, menu, ['stage1', 'stage2'])
        install_grub(tmp, '(fd0)')
        if os.path.getsize(tmp) != FLOPPY_BYTES:
            raise RuntimeError('floppy image is %d bytes, not %d' % (os.path.getsize(tmp), FLOPPY_BYTES))
        os.replace(tmp, image)
    except RuntimeError as e:
        print('koiz: building %s failed: %s' % (image, e))
        if os.path.exists(tmp):
            os.remove(tmp)
        return 1
    return 0


def build_usb(target, source, env):
    """source: [compressed kernel, menu.lst]; target: [disk image]."""
    problem = check_tools()
    if problem:
        print('koiz: ' + problem)
        return 1
    image = str(target[0])
    kernel, menu = str(source[0]), str(source[1])
    tmp = image + '.tmp'
    part_kib = (USB_BYTES - USB_PART_START * 512) // 1024
    try:
        with open(tmp, 'wb') as f:
            f.truncate(USB_BYTES)
        # One bootable FAT16 partition (type 6) from sector 2048 to the end.
        _run([_which('sfdisk'), '--quiet', tmp], input='label: dos\nstart=%d, type=6, bootable\n' % USB_PART_START)
        _run([_which('mkfs.fat'), '-F', '16', '-n', 'KOIZ', '--offset', str(USB_PART_START), tmp, str(part_kib)])
        _fill(tmp + USB_PART_AT, kernel, menu, ['stage1', 'stage2', 'fat_stage1_5'])
        install_grub(tmp, '(hd0)')
        os.replace(tmp, image)
    except RuntimeError as e:
        print('koiz: building %s failed: %s' % (image, e))
        if os.path.exists(tmp):
            os.remove(tmp)
        return 1
    return 0


def replace_menu(image, menu_text, out, at=''):
    """Copies an image and swaps its menu.lst (tests use this to pick an entry).
    at: mtools' @@offset of the file system (USB_PART_AT for the USB image)."""
    shutil.copyfile(image, out)
    menu = out + '.menu.lst'
    with open(menu, 'w') as f:
        f.write(menu_text)
    _run([_which('mcopy'), '-o', '-i', out + at, menu, '::/boot/grub/menu.lst'])
    os.remove(menu)
