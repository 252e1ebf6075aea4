"""`scons bench`: boot the kernel's `bench` entry in Bochs (where the TSC
counts emulated ticks, so figures repeat) and print its figures as a table,
with the targets from the issues beside them."""
import sys

import emulators as emu

# name: (target description, test on cycles, or None)
TARGETS = {
    'vmem_get_phys_addr': ('< 40 cycles', lambda c: c < 40),
    'vmm_map': ('< 150 cycles', lambda c: c < 150),
}


def kernel_figures(megs=32):
    image = emu.image_with_menu('bench', emu.menu_selecting('Koiz self-test', 'bench').replace(
        'kernel /boot/koiz.elf selftest bench', 'kernel /boot/koiz.elf bench'))
    run = emu.bochs('bench-%dM' % megs, image, megs=megs, timeout=180,
                    until=lambda recs: any(r.type == 'bench' and r.fields[:1] == ['done'] for r in recs)
                    or any(r.type == 'panic' for r in recs))
    figures = {r.fields[0]: int(r.fields[1]) for r in run.of_type('bench') if r.fields[0] != 'done'}
    return run, figures


def main():
    run, f = kernel_figures()
    if not f:
        print('bench: the kernel printed no figures:\n' + run.tail())
        return 1
    print('Memory manager, Bochs, 32 MiB (TSC cycles per operation; .telemetry: with the stream on):')
    for name, cycles in f.items():
        target = TARGETS.get(name)
        verdict = ''
        if target:
            verdict = '  target %s: %s' % (target[0], 'met' if target[1](cycles) else 'NOT met')
        print('  %-30s %12d%s' % (name, cycles, verdict))
    ours, seed = f.get('paging_on.ours'), f.get('paging_on.seed_identity_4gib')
    if ours and seed:
        print('  paging on: ours is 1/%.0f of the seed\'s identity map (target: under 1/50): %s'
              % (seed / ours, 'met' if ours * 50 < seed else 'NOT met'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
