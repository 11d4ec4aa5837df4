#!/usr/bin/env python3
"""Turns policy_bench's JSON output into the README table: our medians
next to OPA's reference figures (shared/bench/README.md, "Reference
numbers": OPA 1.7.1 prepared query in a plain Go loop, and allocs/op).

    policy_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \\
        --benchmark_out=run.json --benchmark_out_format=json
    python3 bench/report.py run.json [--time real|cpu]

Cells are the median time per decision; "x OPA" is OPA's time divided by
ours (above 1 means we are faster). A benchmark that failed its result
check is shown as "wrong result", one whose evaluation returned an error
as "failed"; neither ever gets a time.
"""

import json
import sys

# (row label, our workload label, OPA plain-loop ns, OPA allocs/op)
REFERENCE = [
    ("rbac N=10", "rbac_10", 33_600, 258),
    ("rbac N=1000", "rbac", 42_700, 287),
    ("rbac N=100000", "rbac_100000", 36_700, 266),
    ("http_api 10 rules", "http_api_10", 20_000, 132),
    ("http_api 1000 rules", "http_api", 18_900, 132),
    ("http_api 10000 rules", "http_api_10000", 20_800, 132),
    ("k8s_admission", "k8s_admission", 167_100, 894),
    ("k8s_admission clean", "k8s_admission_clean", 140_300, 702),
    ("terraform_plan (200)", "terraform_plan", 5_100_000, 19_517),
    ("terraform (2000)", "terraform_2000", 61_900_000, 207_054),
    ("abac_builtins", "abac_builtins", 212_700, 1_276),
]
MODES = ["prebuilt", "json", "cached"]
UNIT_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    which = "cpu_time" if "--time" not in argv or argv[argv.index("--time") + 1] == "cpu" else "real_time"
    doc = json.load(open(argv[1]))
    median, errors, allocs = {}, {}, {}
    for b in doc["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("aggregate_name", "median") != "median":
            continue
        median[name] = b[which] * UNIT_NS[b.get("time_unit", "ns")]
        if "allocs" in b:
            allocs[name] = b["allocs"]
    print(f"| workload | OPA plain loop | ours prebuilt | x OPA | ours json | x OPA | ours cached | x OPA "
          f"| OPA allocs/op | our allocs/op |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, ours, opa_ns, opa_allocs in REFERENCE:
        cells, our_allocs = [], set()
        for mode in MODES:
            name = f"eval/{ours}/{mode}"
            if name in median:
                cells += [fmt_ns(median[name]), f"{opa_ns / median[name]:.1f}"]
                if name in allocs:
                    our_allocs.add(f"{allocs[name]:g}")
            elif name in errors:
                cells += ["wrong result" if "wrong result" in errors[name] else "failed", "–"]
            else:
                cells += ["not run", "–"]
        print(f"| {label} | {fmt_ns(opa_ns)} | " + " | ".join(cells) +
              f" | {opa_allocs:,} | {'/'.join(sorted(our_allocs)) or '–'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
