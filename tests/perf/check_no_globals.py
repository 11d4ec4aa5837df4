#!/usr/bin/env python3
"""No mutable global state (STYLE.md rule 2, issue 3 item 1).

Runs `nm` on a library and fails on writable data symbols (nm types
B, b, D, d) that our objects define. Two kinds of B/D/b/d symbols are not
mutable state and are accepted:

* symbols in RELRO sections (.data.rel.ro*, .dynamic, .got*, .init_array,
  .fini_array): `static const char *const names[] = {...}` lands in
  .data.rel.ro in a PIC library because its pointers need relocating, and
  nm reports it as `d` although the loader makes it read-only before any
  of our code runs;
* the toolchain's own CRT symbols (__dso_handle, completed.0, ...).

Everything nm reports is printed, so a failure shows what to fix.

Usage: check_no_globals.py LIBRARY [--expect SYM,SYM,...]
With --expect the check passes only if exactly those symbols are flagged
(used to test this script on a fixture library). Names are compared
without the compiler's decoration of function-static variables (gcc's
"calls.0", clang's "fixture_touch.calls" both compare as "calls").
"""

import re
import subprocess
import sys

WRITABLE_TYPES = set("BbDd")
RELRO_SECTION = re.compile(r"^\.(data\.rel\.ro.*|dynamic|got.*|init_array|fini_array)$")
TOOLCHAIN = re.compile(
    r"^(__bss_start|_edata|_end|__data_start|data_start|__dso_handle|__TMC_END__|_DYNAMIC"
    r"|_GLOBAL_OFFSET_TABLE_|completed\.\d+|__do_global_dtors_aux_fini_array_entry"
    r"|__frame_dummy_init_array_entry|__init_array_(start|end)|__fini_array_(start|end))$"
)


def writable_symbols(lib):
    """(name, type, section) of every defined B/b/D/d symbol."""
    out = subprocess.run(
        ["nm", "--format=sysv", "--defined-only", lib],
        check=True, capture_output=True, text=True,
    ).stdout
    seen = []
    for line in out.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) < 7 or fields[2] not in WRITABLE_TYPES:
            continue
        seen.append((fields[0], fields[2], fields[6]))
    return sorted(set(seen))


def plain_name(name):
    """Drops gcc's ".N" suffix and clang's "function." prefix."""
    name = re.sub(r"\.\d+$", "", name)
    return name.rsplit(".", 1)[-1]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    lib = argv[1]
    expect = None
    if len(argv) == 4 and argv[2] == "--expect":
        expect = set(s for s in argv[3].split(",") if s)
    flagged = set()
    print(f"writable-type symbols nm reports in {lib}:")
    for name, typ, section in writable_symbols(lib):
        if TOOLCHAIN.match(name):
            verdict = "ok (toolchain)"
        elif RELRO_SECTION.match(section):
            verdict = "ok (read-only after relocation)"
        else:
            verdict = "MUTABLE GLOBAL"
            flagged.add(plain_name(name) if expect is not None else name)
        print(f"  {typ} {section:<16} {name:<48} {verdict}")
    if expect is not None:
        if flagged != expect:
            print(f"FAIL: flagged {sorted(flagged)}, expected {sorted(expect)}")
            return 1
        print(f"OK: flagged exactly {sorted(expect)}")
        return 0
    if flagged:
        print(f"FAIL: {len(flagged)} mutable global(s): {', '.join(sorted(flagged))}")
        return 1
    print("OK: no mutable globals")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
