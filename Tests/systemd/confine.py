#!/usr/bin/env python3
"""Runs a command confined as vigil.service confines Vigil, so that the unit's sandbox is
tested without a systemd to start it (this machine has none as PID 1):

  - the capability bounding set: CapabilityBoundingSet= of the unit (the caller drops the
    rest with setpriv; see check-unit.sh), and no_new_privs (NoNewPrivileges=yes);
  - the system call filter: every SystemCallFilter= line of the unit, expanded with
    `systemd-analyze syscall-filter` exactly as systemd expands the groups, loaded with
    libseccomp (ctypes; Debian's libseccomp2), refused calls failing with EPERM
    (SystemCallErrorNumber=EPERM).

  confine.py UNIT_FILE[:DROP_IN...] COMMAND [ARGS...]    (drop-ins read after the unit)
"""
import ctypes, ctypes.util, errno, os, subprocess, sys

def group(name, seen=None):
    """The system calls of a group, nested groups expanded."""
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        calls |= group(word, seen) if word.startswith("@") else {word}
    return calls

def words(item):
    return group(item) if item.startswith("@") else {item}

def allowed_calls(files):
    allowed, denied = set(), set()
    lines = [line for f in files.split(":") for line in open(f)]
    for line in lines:
        line = line.strip()
        if not line.startswith("SystemCallFilter="):
            continue
        value = line.split("=", 1)[1]
        if value.startswith("~"):
            for item in value[1:].split():
                denied |= words(item)
        else:
            for item in value.split():
                calls = words(item)
                allowed |= calls
                denied -= calls  # a later allow-list line adds back what an earlier ~ took
    return allowed - denied

def main():
    unit, command = sys.argv[1], sys.argv[2:]
    calls = allowed_calls(unit)
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(0x00050000 | errno.EPERM)          # SCMP_ACT_ERRNO(EPERM)
    added = 0
    for name in sorted(calls):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr >= 0 and lib.seccomp_rule_add(ctx, 0x7fff0000, nr, 0) == 0:   # SCMP_ACT_ALLOW
            added += 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:                       # PR_SET_NO_NEW_PRIVS
        sys.exit("prctl(PR_SET_NO_NEW_PRIVS) failed")
    print(f"confine.py: {added} system calls allowed, the rest fail with EPERM", file=sys.stderr, flush=True)
    if lib.seccomp_load(ctx) != 0:
        sys.exit("seccomp_load failed")
    os.execvp(command[0], command)

main()
