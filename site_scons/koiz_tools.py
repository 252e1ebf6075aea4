"""Helpers shared by Koiz's SConscripts: checking host tools, with the name of
the Debian package that provides each one when it is missing."""
import os
import SCons.Script as S


def _missing(what, package):
    print("koiz: '%s' was not found; install the Debian package '%s' "
          "(tools/install-deps installs everything Koiz needs)" % (what, package))
    S.Exit(2)


def require(env, pairs):
    """pairs: (program, debian_package). Stops the build when one is missing."""
    for prog, package in pairs:
        if not env.WhereIs(prog, path=env['ENV']['PATH'] + ':/usr/sbin:/sbin'):
            _missing(prog, package)


def require_file(path, package):
    if not os.path.exists(path):
        _missing(path, package)


def which(env, prog):
    return env.WhereIs(prog, path=env['ENV']['PATH'] + ':/usr/sbin:/sbin')
