#!/usr/bin/env python3
"""`policy bench` (issue 3, item 6): runs the CLI on the rbac workload and
checks what it promises: exactly --count evaluations, a positive ns/op,
zero allocator calls per evaluation for a workload the allocation test
covers, the decision cache reporting hits, and usage errors exiting 2.

Usage: check_cli_bench.py POLICY_EXE CORPUS_DIR
"""

import json
import os
import subprocess
import sys

failures = 0


def check(cond, what):
    global failures
    if cond:
        print(f"ok   {what}")
    else:
        failures += 1
        print(f"FAIL {what}")


def run(exe, *args):
    p = subprocess.run([exe, "bench", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def main(argv):
    exe, corpus = argv[1], argv[2]
    rbac = os.path.join(corpus, "rbac")
    common = ["-d", os.path.join(rbac, "policy.rego"), "-d", os.path.join(rbac, "data.json"),
              "-i", os.path.join(rbac, "input.json")]
    for mode in ("json", "value"):
        rc, out, err = run(exe, *common, "--count", "200", "--input-mode", mode, "-f", "json", "data.rbac.allow")
        check(rc == 0, f"{mode}: exit 0 (stderr: {err.strip()[:200]})")
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        check(doc.get("evaluations") == 200, f"{mode}: exactly 200 evaluations")
        check(isinstance(doc.get("ns_per_op"), (int, float)) and doc["ns_per_op"] > 0, f"{mode}: ns_per_op > 0")
        check(doc.get("allocs_per_op") in (0, None), f"{mode}: allocs_per_op is 0 (or null in sanitizer builds)")
        check(doc.get("input_mode") == mode, f"{mode}: input_mode reported")
    rc, out, _ = run(exe, *common, "--count", "50", "--cache", "-f", "json", "data.rbac.allow")
    doc = json.loads(out) if rc == 0 else {}
    # One untimed warm-up evaluation misses, every timed one hits.
    check(doc.get("cache_hits") == 50 and doc.get("cache_misses") == 1, "--cache: 50 hits, 1 miss")
    rc, out, _ = run(exe, *common, "--benchtime", "0.05", "data.rbac.allow")
    check(rc == 0 and "ns/op" in out and "allocs/op" in out, "pretty output names ns/op and allocs/op")
    rc, _, err = run(exe, "--count", "0", "data.rbac.allow")
    check(rc == 2 and "--count" in err, "--count 0 is a usage error (exit 2)")
    rc, _, _ = run(exe, *common)
    check(rc == 2, "missing query is a usage error (exit 2)")
    rc, _, err = run(exe, "-d", os.path.join(rbac, "missing.rego"), "data.rbac.allow")
    check(rc == 1 and "io_error" in err, "unreadable -d path fails with io_error (exit 1)")
    print(f"{failures} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
