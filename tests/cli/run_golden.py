#!/usr/bin/python3
"""Golden tests for the `policy` CLI.

    run_golden.py POLICY_BINARY BENCH_DIR FIXTURES_DIR

(a) every workload of BENCH_DIR evaluates to its expected*.json with
    `--format raw`;
(b) error goldens: code and file:row:col as OPA reports them;
(c) `--help` mentions every flag; usage errors exit 2;
(d) json / raw / pretty output of a tiny policy, in opa eval's format;
(e) `policy build` and `policy eval --bundle`: every workload built into a
    bundle file evaluates to its expected*.json; bad bundles and queries
    fail with the loader's or the CLI's message.

Prints one line per failure and "N passed, N failed"; exits 1 on failure.
"""
import json
import os
import subprocess
import sys
import tempfile

POLICY, BENCH, FIX = (os.path.abspath(p) for p in sys.argv[1:4])
passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""))


def run(*args, stdin=None, cwd=FIX):
    p = subprocess.run([POLICY, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def norm(v):
    """JSON value in a form where 1 == 1.0 and object key order is irrelevant."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, list):
        return [norm(x) for x in v]
    return {k: norm(x) for k, x in v.items()}


def parse_json(text):
    try:
        return json.loads(text), None
    except ValueError as e:
        return None, str(e)


# ---- (a) benchmark workloads ---------------------------------------------

def bench_goldens():
    workloads = sorted(d for d in os.listdir(BENCH) if os.path.isfile(os.path.join(BENCH, d, "query.txt")))
    check(len(workloads) >= 5, "bench: found the workloads", f"{workloads}")
    for w in workloads:
        d = os.path.join(BENCH, w)
        query = open(os.path.join(d, "query.txt")).read().strip()
        for name in sorted(os.listdir(d)):
            if not (name.startswith("input") and name.endswith(".json")):
                continue
            expected_name = "expected" + name[len("input"):]
            want = json.load(open(os.path.join(d, expected_name)))
            rc, out, err = run("eval", "--format", "raw", "-d", "policy.rego", "-d", "data.json",
                               "-i", name, query, cwd=d)
            what = f"bench {w}/{name}"
            if rc != 0:
                check(False, what, f"exit {rc}: {err.strip()[:300]}")
                continue
            if isinstance(want, str):  # raw prints strings unquoted
                check(out == want + "\n", what, f"got {out!r}")
                continue
            got, perr = parse_json(out)
            check(perr is None and norm(got) == norm(want), what,
                  perr or f"got {out[:300]!r}, want {json.dumps(want)[:300]}")


# ---- (b) error goldens ---------------------------------------------------

# (description, args, code, file, row, col, message substring)
ERRORS = [
    # The v1 form of OPA's own parser test (TestNoMatchError): "//" is not a
    # comment, and the second "/" is where no term can start.
    ("parse error", ["-d", "parse_error.rego", "data.fixtures.parse.allow"],
     "rego_parse_error", "parse_error.rego", 3, 18, None),
    # OPA reports an unsafe var at the var's own position.
    ("unsafe variable", ["-d", "unsafe_var.rego", "data.fixtures.unsafe.allow"],
     "rego_unsafe_var_error", "unsafe_var.rego", 5, 2, "var x is unsafe"),
    # The recursion error sits on the rule that depends on itself.
    ("recursive rule", ["-d", "recursion.rego", "data.fixtures.recursion.p"],
     "rego_recursion_error", "recursion.rego", 3, 1, "is recursive"),
    # An unknown function is a type error at the call.
    ("unknown builtin", ["-d", "unknown_builtin.rego", "data.fixtures.unknown.allow"],
     "rego_type_error", "unknown_builtin.rego", 4, 2, "undefined function no_such_builtin"),
    # JSON errors point at the offending byte: the "]" after a trailing comma.
    ("invalid JSON data", ["-d", "bad_data.json", "data"],
     "json_parse_error", "bad_data.json", 2, 18, None),
    # ... and at the string where the ":" should be.
    ("invalid JSON input", ["-d", "tiny.rego", "-i", "bad_input.json", "data.tiny.allow"],
     "json_parse_error", "bad_input.json", 2, 10, None),
    ("missing file", ["-d", "nosuch.rego", "data"],
     "io_error", None, None, None, "nosuch.rego"),
    ("unknown file type", ["-d", "dirdata/notes.txt", "data"],
     "invalid_argument", None, None, None, "notes.txt"),
]


def error_goldens():
    for desc, args, code, file, row, col, msg in ERRORS:
        what = f"error {desc} (json)"
        rc, out, err = run("eval", "--format", "json", *args)
        doc, perr = parse_json(out)
        if rc == 0 or perr or not isinstance(doc, dict) or not doc.get("errors"):
            check(False, what, f"exit {rc}, stdout {out[:300]!r}, stderr {err[:200]!r}")
        else:
            e = doc["errors"][0]
            loc = e.get("location") or {}
            ok = e.get("code") == code
            if row is not None:
                ok = ok and loc.get("file") == file and loc.get("row") == row and loc.get("col") == col
            if msg:
                ok = ok and msg in e.get("message", "")
            check(ok, what, f"got {json.dumps(e)}; want {code} at {file}:{row}:{col} ({msg})")

        what = f"error {desc} (raw)"
        rc, out, err = run("eval", "--format", "raw", *args)
        prefix = f"{file}:{row}:{col}: {code}: " if row is not None else f"{code}: "
        line = err.strip().split("\n")[0] if err.strip() else ""
        ok = rc == 1 and out == "" and line.startswith(prefix) and (not msg or msg in line)
        check(ok, what, f"exit {rc}, stdout {out[:100]!r}, stderr {err[:300]!r}; want prefix {prefix!r}")

    rc, out, err = run("check", "parse_error.rego")
    check(rc == 1 and err.startswith("parse_error.rego:3:18: rego_parse_error: "), "check reports a parse error",
          f"exit {rc}: {err[:200]!r}")
    rc, out, err = run("check", "tiny.rego", "dirdata")
    check(rc == 0 and out == "" and err == "", "check passes clean policies", f"exit {rc}: {err[:200]!r}")


# ---- (c) help and usage --------------------------------------------------

EVAL_FLAGS = ["-d", "--data", "-i", "--input", "-I", "--stdin-input", "-f", "--format", "json", "raw", "pretty",
              "--strict-builtin-errors", "--fail", "--fail-defined", "-b", "--bundle", "-h", "--help", "QUERY"]


def help_and_usage():
    rc, out, _ = run("eval", "--help")
    check(rc == 0, "eval --help exits 0")
    for flag in EVAL_FLAGS:
        check(flag in out, f"eval --help mentions {flag}")
    rc, out, _ = run("--help")
    check(rc == 0 and all(c in out for c in ("eval", "check", "version")), "policy --help lists the commands")
    rc, out, _ = run("check", "--help")
    check(rc == 0 and "--format" in out, "check --help")
    rc, out, _ = run("version")
    check(rc == 0 and out.startswith("policy "), "version", out)
    for args in (["eval", "--no-such-flag", "1"], ["frobnicate"], [], ["eval"], ["eval", "-f", "yaml", "1"],
                 ["eval", "1", "2"], ["eval", "-d"], ["check"]):
        rc, out, err = run(*args)
        check(rc == 2 and "Usage:" in err, f"usage error for {args}", f"exit {rc}, stderr {err[:200]!r}")
    rc, out, _ = run("--help")
    check(rc == 0 and "build" in out, "policy --help lists build")
    rc, out, _ = run("build", "--help")
    check(rc == 0 and all(f in out for f in ("-o", "--output", "-e", "--entrypoint", "--disasm")), "build --help",
          out)
    for args in (["build"], ["build", "-e", "data.x", "tiny.rego"], ["build", "-o", "x.polb", "tiny.rego"],
                 ["build", "-o", "x.polb", "-e", "data.x"], ["build", "--frob", "-o", "x.polb"],
                 ["eval", "-b", "x.polb", "-d", "tiny.rego", "data.tiny.allow"]):
        rc, out, err = run(*args)
        check(rc == 2 and "Usage:" in err, f"usage error for {args}", f"exit {rc}, stderr {err[:200]!r}")


# ---- (d) output formats on a tiny policy -----------------------------------

def formats():
    t = ["-d", "tiny.rego"]
    # json: opa's envelope, pretty-printed with 2 spaces.
    rc, out, _ = run("eval", *t, "data.tiny.greeting")
    doc, perr = parse_json(out)
    want = {"result": [{"expressions": [{"value": "hello", "text": "data.tiny.greeting",
                                         "location": {"row": 1, "col": 1}}]}]}
    check(rc == 0 and perr is None and norm(doc) == want, "json: result envelope", out)
    check(out.startswith('{\n  "result": [\n    {\n      "expressions": [\n'), "json: two-space indentation",
          repr(out[:80]))
    rc, out, _ = run("eval", *t, "x := data.tiny.numbers[1]")
    doc, perr = parse_json(out)
    want = {"result": [{"expressions": [{"value": True, "text": "x := data.tiny.numbers[1]",
                                         "location": {"row": 1, "col": 1}}], "bindings": {"x": 2}}]}
    check(rc == 0 and perr is None and norm(doc) == want, "json: bindings", out)
    rc, out, _ = run("eval", *t, "data.tiny.nothing")
    check(rc == 0 and out == "{}\n", "json: undefined prints {}", repr(out))

    # raw: strings unquoted, other values compact JSON, one line per row,
    # a row's expressions separated by spaces, nothing when undefined.
    cases = [
        ("data.tiny.greeting", "hello\n"),
        ("data.tiny.numbers", "[1,2,3]\n"),
        ("data.tiny.nothing", ""),
        ("x := data.tiny.numbers[_]", "true\ntrue\ntrue\n"),
        ("data.tiny.greeting; data.tiny.numbers", "hello [1,2,3]\n"),
        ('{"b": {1, 2}, "a": null}', '{"a":null,"b":[1,2]}\n'),
    ]
    for query, want in cases:
        rc, out, err = run("eval", "--format", "raw", *t, query)
        check(rc == 0 and out == want, f"raw: {query}", f"exit {rc}, got {out!r}, want {want!r} {err[:200]}")

    # pretty: one value as indented JSON, "undefined", else a table.
    cases = [
        ("data.tiny.numbers", "[\n  1,\n  2,\n  3\n]\n"),
        ("data.tiny.greeting", '"hello"\n'),
        ("data.tiny.nothing", "undefined\n"),
    ]
    for query, want in cases:
        rc, out, err = run("eval", "-f", "pretty", *t, query)
        check(rc == 0 and out == want, f"pretty: {query}", f"exit {rc}, got {out!r}, want {want!r} {err[:200]}")
    rc, out, _ = run("eval", "-f", "pretty", *t, "x := data.tiny.numbers[_]")
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 7 and "| x " in lines[1] and "| 3 " in lines[5], "pretty: bindings table", out)

    # input, stdin input, --fail, --fail-defined, strict builtin errors
    rc, out, _ = run("eval", "-f", "raw", *t, "-i", "input_alice.json", "data.tiny.allow")
    check(rc == 0 and out == "true\n", "input from a file", repr(out))
    rc, out, _ = run("eval", "-f", "raw", *t, "-I", "data.tiny.allow", stdin='{"user": "bob"}')
    check(rc == 0 and out == "", "input from stdin (allow undefined for bob)", repr(out))
    rc, out, _ = run("eval", "-f", "raw", *t, "--stdin-input", "input.user", stdin='{"user": "bob"}')
    check(rc == 0 and out == "bob\n", "--stdin-input", repr(out))
    rc, out, _ = run("eval", "-f", "raw", *t, "input")
    check(rc == 0 and out == "", "no input: input is undefined", repr(out))
    rc, _, _ = run("eval", *t, "--fail", "data.tiny.nothing")
    check(rc == 1, "--fail on undefined exits 1")
    rc, _, _ = run("eval", *t, "--fail", "data.tiny.greeting")
    check(rc == 0, "--fail on defined exits 0")
    rc, _, _ = run("eval", *t, "--fail-defined", "data.tiny.greeting")
    check(rc == 1, "--fail-defined on defined exits 1")
    rc, _, _ = run("eval", *t, "--fail-defined", "data.tiny.nothing")
    check(rc == 0, "--fail-defined on undefined exits 0")
    rc, out, _ = run("eval", "-f", "raw", "x := 1 / 0")
    check(rc == 0 and out == "", "builtin error without strict mode is undefined", repr(out))
    rc, out, _ = run("eval", "--strict-builtin-errors", "x := 1 / 0")
    doc, _ = parse_json(out)
    check(rc == 1 and doc and doc["errors"][0]["code"] == "eval_builtin_error"
          and "div: divide by zero" in doc["errors"][0]["message"], "--strict-builtin-errors", out)

    # directories: data files land at their directory's path, .rego files are
    # modules, unknown extensions are skipped.
    rc, out, err = run("eval", "-f", "raw", "-d", "dirdata", "[data.a.b.c, data.top, data.y.k, data.dirpolicy.sum_c]")
    check(rc == 0 and out == '[1,true,"v",3]\n', "directory loading", f"exit {rc} {out!r} {err[:200]}")
    rc, out, err = run("eval", "-f", "raw", "--data=dirdata", "--format=json", "--format", "raw", "data.y.list")
    check(rc == 0 and out == "[1,2]\n", "--flag=value spelling and YAML data", f"{out!r} {err[:200]}")


# ---- (e) bundle files -----------------------------------------------------

def bundles():
    tmp = tempfile.mkdtemp(prefix="policy-golden-")
    workloads = sorted(d for d in os.listdir(BENCH) if os.path.isfile(os.path.join(BENCH, d, "query.txt")))
    for w in workloads:
        d = os.path.join(BENCH, w)
        query = open(os.path.join(d, "query.txt")).read().strip()
        out_file = os.path.join(tmp, w + ".polb")
        rc, _, err = run("build", "-o", out_file, "-e", query, "policy.rego", "data.json", cwd=d)
        check(rc == 0 and os.path.isfile(out_file) and not os.path.exists(out_file + ".tmp"), f"build {w}",
              err[:300])
        if rc != 0:
            continue
        with open(out_file, "rb") as f:
            check(f.read(4) == b"POLB", f"build {w}: bundle magic")
        for name in sorted(os.listdir(d)):
            if not (name.startswith("input") and name.endswith(".json")):
                continue
            want = json.load(open(os.path.join(d, "expected" + name[len("input"):])))
            # the entrypoint given as a/b names the same document
            q = query if name == "input.json" else query[len("data."):].replace(".", "/")
            rc, out, err = run("eval", "--format", "raw", "-b", out_file, "-i", name, q, cwd=d)
            what = f"eval --bundle {w}/{name}"
            if rc != 0:
                check(False, what, f"exit {rc}: {err.strip()[:300]}")
            elif isinstance(want, str):
                check(out == want + "\n", what, f"got {out!r}")
            else:
                got, perr = parse_json(out)
                check(perr is None and norm(got) == norm(want), what, perr or f"got {out[:300]!r}")
    # json output: the same envelope as a compiled query
    tiny = os.path.join(tmp, "tiny.polb")
    rc, _, err = run("build", "-o", tiny, "-e", "data.tiny.greeting", "-e", "tiny/allow", "tiny.rego")
    check(rc == 0, "build tiny", err)
    rc, out, _ = run("eval", "-b", tiny, "data.tiny.greeting")
    doc, perr = parse_json(out)
    want = {"result": [{"expressions": [{"value": "hello", "text": "data.tiny.greeting",
                                         "location": {"row": 1, "col": 1}}]}]}
    check(rc == 0 and perr is None and norm(doc) == want, "eval --bundle: json envelope", out)
    rc, out, _ = run("eval", "-b", tiny, "data.tiny.greeting")
    rc2, out2, _ = run("eval", "-d", "tiny.rego", "data.tiny.greeting")
    check(rc == rc2 == 0 and out == out2, "eval --bundle prints what eval -d prints", f"{out!r} vs {out2!r}")
    # a query that is not an entrypoint: the error lists the entrypoints
    rc, out, _ = run("eval", "-b", tiny, "data.tiny.nope")
    doc, _ = parse_json(out)
    msg = doc["errors"][0]["message"] if doc and doc.get("errors") else ""
    check(rc == 1 and "data.tiny.nope" in msg and "data.tiny.greeting" in msg and "data.tiny.allow" in msg,
          "eval --bundle: query not an entrypoint", out)
    # damaged and missing files
    with open(tiny, "rb") as f:
        data = bytearray(f.read())
    data[-1] ^= 1
    bad = os.path.join(tmp, "bad.polb")
    with open(bad, "wb") as f:
        f.write(data)
    rc, out, _ = run("eval", "-b", bad, "data.tiny.greeting")
    doc, _ = parse_json(out)
    check(rc == 1 and doc and doc["errors"][0]["code"] == "bundle_error" and
          doc["errors"][0]["message"] == "bundle: checksum mismatch", "eval --bundle: corrupt file", out)
    with open(bad, "wb") as f:
        f.write(b"not a bundle")
    rc, _, err = run("eval", "-f", "pretty", "-b", bad, "data.tiny.greeting")
    check(rc == 1 and "bundle_error: bundle: bad magic (not a policy bundle)" in err, "eval --bundle: not a bundle",
          err)
    rc, out, _ = run("eval", "-b", os.path.join(tmp, "nosuch.polb"), "data.tiny.greeting")
    doc, _ = parse_json(out)
    check(rc == 1 and doc and doc["errors"][0]["code"] == "io_error", "eval --bundle: missing file", out)
    # build errors: compile errors keep their position; --disasm lists code
    rc, _, err = run("build", "-o", os.path.join(tmp, "x.polb"), "-e", "data.x", "parse_error.rego")
    check(rc == 1 and "parse_error.rego:3:18: rego_parse_error" in err, "build: parse error position", err)
    rc, out, _ = run("build", "-o", os.path.join(tmp, "y.polb"), "-e", "data.tiny.allow", "--disasm", "tiny.rego")
    check(rc == 0 and "proc 0" in out and "RET" in out, "build --disasm", out[:200])
    for name in os.listdir(tmp):
        os.remove(os.path.join(tmp, name))
    os.rmdir(tmp)


bench_goldens()
error_goldens()
help_and_usage()
formats()
bundles()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
