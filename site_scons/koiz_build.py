"""koiz_build: the build's flavours, declared once, and its components, each
built once per flavour.

A flavour is a way to compile: for the kernel (freestanding i486), for host
tests (ASan and UBSan), released host programs (-O2, no sanitizers),
coverage (-O0, gcov) and the fuzzer (clang, libFuzzer). A component is a
set of sources that several programs use (lib/, vmm/, telemetry/, the
visualizer's model); it is declared once, in its own SConscript, and built
as one static library per flavour that asks for it, under
build/<folder>/<flavour>/. Programs link components by name:

    build.component('klib', ['string.c', ...], ['kernel', 'host', 'release'])
    env = build.env('host')
    env.Program('test_x', ['test_x.c'] + build.libs('host', 'viewmodel', 'klib'))

libs() lists the libraries in the order given, which must be users before
what they use (the linker reads each library once, left to right)."""
import SCons.Script as S

WARNINGS = ['-Wall', '-Wextra', '-Werror', '-Wmissing-prototypes', '-Wstrict-prototypes', '-Wshadow']
SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all']
FUZZ_COMPILE = ['-fsanitize=fuzzer-no-link,address,undefined', '-fno-sanitize-recover=all']
FUZZ_LINK = ['-fsanitize=fuzzer,address,undefined']


class Build:
    """The flavours' environments and the components built so far."""

    def __init__(self, base, with_fuzz):
        host_common = dict(CPPPATH=['#include'], CPPDEFINES=['KOIZ_HOST'])
        kernel = base.Clone(tools=['default', 'nasm'])
        kernel.Replace(CC='gcc', AS='yasm', ASFLAGS=['-f', 'elf32', '-g', 'dwarf2'])
        kernel.Append(CCFLAGS=['-m32', '-march=i486', '-mtune=generic', '-std=gnu11', '-ffreestanding', '-fno-pic',
                               '-fno-pie', '-fno-stack-protector', '-fno-builtin', '-fno-omit-frame-pointer',
                               '-mgeneral-regs-only', '-mno-red-zone', '-O2', '-g',
                               # keep SELFTEST entries (and so the tests) in source order
                               '-fno-toplevel-reorder',
                               # never turn kmemset's own loop into a call to memset (which calls kmemset)
                               '-fno-tree-loop-distribute-patterns'] + WARNINGS,
                      CPPPATH=['#include'], CPPDEFINES=['KOIZ_KERNEL'],
                      LINKFLAGS=['-m32', '-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none',
                                 '-Wl,-z,noexecstack', '-Wl,--no-warn-rwx-segments'])
        host = base.Clone(CC='gcc')
        host.Append(CCFLAGS=['-std=gnu11', '-O1', '-g', '-fno-omit-frame-pointer'] + WARNINGS + SANITIZE,
                    LINKFLAGS=SANITIZE, **host_common)
        release = base.Clone(CC='gcc')
        release.Append(CCFLAGS=['-std=gnu11', '-O2', '-g'] + WARNINGS, **host_common)
        coverage = base.Clone(CC='gcc')
        coverage.Append(CCFLAGS=['-std=gnu11', '-O0', '-g', '--coverage'] + WARNINGS, LINKFLAGS=['--coverage'],
                        **host_common)
        self.flavours = {'kernel': kernel, 'host': host, 'release': release, 'coverage': coverage}
        if with_fuzz:
            fuzz = base.Clone(CC='clang')
            fuzz.Append(CCFLAGS=['-std=gnu11', '-O1', '-g', '-fno-omit-frame-pointer'] + WARNINGS + FUZZ_COMPILE,
                        LINKFLAGS=FUZZ_LINK, **host_common)
            self.flavours['fuzz'] = fuzz
        self.components = {}

    def env(self, flavour):
        """The environment of a flavour, to clone for a program of one's own."""
        return self.flavours[flavour]

    def has(self, flavour):
        return flavour in self.flavours

    def component(self, name, sources, flavours, setup=None):
        """Builds sources (paths relative to the calling SConscript) as the static
        library `name` once for each flavour in flavours that this build has;
        sources may be a function of the flavour (vmm on the host brings its own
        arch); setup(env), when given, adds what the component needs (include
        paths). Returns {flavour: library}."""
        built = {}
        for flavour in flavours:
            if flavour not in self.flavours:
                continue
            env = self.flavours[flavour].Clone()
            if setup:
                setup(env)
            files = sources(flavour) if callable(sources) else sources
            objs = [env.Object('%s/%s/%s' % (flavour, name, _stem(s)), s) for s in files]
            built[flavour] = env.StaticLibrary('%s/lib%s' % (flavour, name), objs)
        if name in self.components:
            raise S.UserError('koiz_build: component %s declared twice' % name)
        self.components[name] = built
        return built

    def libs(self, flavour, *names):
        """The libraries of components names, built for flavour, in the order given."""
        out = []
        for name in names:
            if flavour not in self.components[name]:
                raise S.UserError('koiz_build: component %s is not built for %s' % (name, flavour))
            out += self.components[name][flavour]
        return out


def _stem(source):
    """'#lib/string.c' or 'tests/host_arch.c' -> 'string' or 'host_arch'."""
    return str(source).split('/')[-1].rsplit('.', 1)[0]
