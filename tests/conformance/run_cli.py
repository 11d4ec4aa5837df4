#!/usr/bin/python3
"""The OPA conformance suite through the `policy` CLI.

    run_cli.py POLICY_BINARY [CASES.json] [--filter SUBSTR] [--verbose] [--jobs N]

For every case: writes its modules (test-<i>.rego), data (data.json) and
input (input.json) to a temporary directory and runs
`policy eval --format json --test-builtins -d ... [-i input.json] [--strict-builtin-errors] QUERY`
there, then compares the JSON envelope with the case as the conformance
README describes (sets of binding rows, 1 == 1.0, sort_bindings,
ignore_generated_vars, want_error substring, want_error_code). Prints a
per-folder table, the total and the largest failure groups; always exits 0
(the ratchet lives in the C runner).
"""
import collections
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile

DEFAULT_CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                             "conformance", "opa", "v1-cases.json")
CASE_TIMEOUT_S = 60


def sort_key(v):
    """A total order over JSON values (Rego's type order first)."""
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, (int, float)):
        return (2, v)
    if isinstance(v, str):
        return (3, v)
    if isinstance(v, list):
        return (4, tuple(sort_key(x) for x in v))
    return (5, tuple(sorted((sort_key(k), sort_key(x)) for k, x in v.items())))


def canon(v):
    """Hashable form in which numbers compare by value (1 == 1.0)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return ("a", tuple(canon(x) for x in v))
    if isinstance(v, dict):
        return ("o", tuple(sorted((k, canon(x)) for k, x in v.items())))
    return v


def row_set(rows, sort_bindings, ignore_generated):
    out = set()
    for row in rows:
        r = {}
        for k, v in row.items():
            if ignore_generated and k.startswith("__localq"):
                continue
            if sort_bindings and isinstance(v, list):
                v = sorted(v, key=sort_key)
            r[k] = v
        out.add(canon(r))
    return out


def query_with_input(query, term):
    parts = [p.strip() for p in query.replace(";", "\n").split("\n")]
    return "; ".join(f"{p} with input as {term}" for p in parts if p)


def run_case(job):
    policy, case_id, case = job
    with tempfile.TemporaryDirectory(prefix="policy-conf-") as d:
        args = [policy, "eval", "--format", "json", "--test-builtins"]
        for i, m in enumerate(case.get("modules") or []):
            name = f"test-{i}.rego"
            with open(os.path.join(d, name), "w") as f:
                f.write(m)
            args += ["-d", name]
        if "data" in case:
            with open(os.path.join(d, "data.json"), "w") as f:
                json.dump(case["data"], f)
            args += ["-d", "data.json"]
        query = case["query"]
        if "input_term" in case:
            query = query_with_input(query, case["input_term"])
        elif "input" in case:
            with open(os.path.join(d, "input.json"), "w") as f:
                json.dump(case["input"], f)
            args += ["-i", "input.json"]
        if case.get("strict_error"):
            args.append("--strict-builtin-errors")
        args += ["--", query]
        try:
            p = subprocess.run(args, cwd=d, capture_output=True, text=True, timeout=CASE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return case_id, False, "timeout", f"no answer within {CASE_TIMEOUT_S}s"
    if p.returncode < 0 or p.returncode > 1:
        return case_id, False, f"crash (exit {p.returncode})", p.stderr[-500:]
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return case_id, False, "unparsable output", p.stdout[:300] + p.stderr[:300]

    errors = doc.get("errors") or []
    want_error, want_code = case.get("want_error"), case.get("want_error_code")
    if errors:
        e = errors[0]
        code, msg = e.get("code", ""), e.get("message", "")
        loc = e.get("location") or {}
        bare = f"{code}: {msg}"
        full = f"{loc['file']}:{loc.get('row')}: {bare}" if loc.get("file") else bare
        if not (want_error or want_code):
            return case_id, False, bare.split("\n")[0][:150], f"unexpected error: {full}"
        if want_code and want_code != code:
            return case_id, False, f"wrong error code: want {want_code}, got {code}", full
        if want_error and want_error not in full and want_error not in bare:
            return case_id, False, f"wrong error message ({code})", f"want {want_error!r}\n  got {full!r}"
        return case_id, True, "", ""
    if want_error or want_code:
        return case_id, False, "expected an error, got a result", p.stdout[:300]
    rows = [r.get("bindings", {}) for r in doc.get("result", [])]
    sb, ig = bool(case.get("sort_bindings")), bool(case.get("ignore_generated_vars"))
    if row_set(rows, sb, ig) != row_set(case.get("want_result") or [], sb, ig):
        return case_id, False, "wrong result", f"want {json.dumps(case.get('want_result'))[:400]}\n  got  {json.dumps(rows)[:400]}"
    return case_id, True, "", ""


def main():
    argv = sys.argv[1:]
    filt, verbose, jobs = None, False, 2
    positional = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--filter" and i + 1 < len(argv):
            filt = argv[i + 1]
            i += 1
        elif a == "--verbose":
            verbose = True
        elif a == "--jobs" and i + 1 < len(argv):
            jobs = int(argv[i + 1])
            i += 1
        else:
            positional.append(a)
        i += 1
    if not positional:
        print(__doc__)
        return 2
    policy = os.path.abspath(positional[0])
    cases_path = positional[1] if len(positional) > 1 else DEFAULT_CASES
    suite = json.load(open(cases_path))

    work = []
    for entry in suite:
        for idx, case in enumerate(entry["cases"]):
            case_id = f"{entry['file']}#{idx}"
            if filt and filt not in case_id and filt not in case.get("note", ""):
                continue
            work.append((policy, case_id, case))

    per_folder = collections.defaultdict(lambda: [0, 0])
    groups = collections.Counter()
    example = {}
    with multiprocessing.Pool(jobs) as pool:
        for case_id, ok, group, detail in pool.imap_unordered(run_case, work, chunksize=8):
            folder = case_id.split("/")[1] if case_id.startswith("v1/") else case_id.split("/")[0]
            per_folder[folder][1] += 1
            if ok:
                per_folder[folder][0] += 1
            else:
                groups[group] += 1
                example.setdefault(group, case_id)
                if verbose:
                    print(f"FAIL {case_id}: {group}\n  {detail}")

    print(f"{'folder':40} pass/total")
    for folder in sorted(per_folder):
        p, t = per_folder[folder]
        print(f"{folder:40} {p:4}/{t:<4}{'' if p == t else '  *'}")
    passed = sum(p for p, _ in per_folder.values())
    total = sum(t for _, t in per_folder.values())
    print(f"\nTOTAL {passed}/{total} passed ({100.0 * passed / total if total else 0:.1f}%) via the CLI")
    if groups:
        print("\nlargest failure groups:")
        for g, n in groups.most_common(25):
            print(f"{n:5}  {g}  (e.g. {example[g]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
