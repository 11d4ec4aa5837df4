#!/usr/bin/env python3
"""`policy eval` on policies that exceed an evaluation limit (at the CLI's
default limits) must print that limit's error code and exit non-zero
promptly, not hang or crash.

    cli_limits.py POLICY_BINARY
"""
import os
import subprocess
import sys
import tempfile
import time

# Each run takes well under a second; the bound leaves room for sanitizer
# builds on a loaded machine while still catching a limit that is ignored
# (the policies below would run for hours or exhaust memory).
MAX_SECONDS = 5.0

# Cases marked fast_build_only need an optimised, uninstrumented binary to
# finish in MAX_SECONDS: spending the default budget of 10^8 instructions
# takes under a second at -O2 but far longer under ASan at -O0.
CASES = [
    # 10^9 iterations that allocate nothing: only the instruction budget
    # (default 10^8) stops them.
    ('instructions', 'eval_instruction_limit', 'data.spin.p', None, True, '''package spin

xs := numbers.range(1, 1000)

p if {
\tsome a in xs
\tsome b in xs
\tsome c in xs
\ta > b
\tb > c
\tc > a
}
'''),
    # A 10^8-element array cannot fit the default 8 MiB arena.
    ('arena', 'eval_arena_limit', 'data.big.p', '{"n": 100000000}', False, '''package big

p := [x | some x in numbers.range(1, input.n)]
'''),
]


def sanitized(binary):
    """Whether the binary was built with a sanitizer runtime."""
    with open(binary, 'rb') as f:
        blob = f.read()
    return any(marker in blob for marker in (b'__asan_init', b'__tsan_init', b'__msan_init'))


def main():
    policy = sys.argv[1]
    slow_build = sanitized(policy)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, code, query, input_json, fast_build_only, src in CASES:
            if fast_build_only and slow_build:
                print(f'skip {name}: sanitizer build')
                continue
            rego = os.path.join(tmp, name + '.rego')
            with open(rego, 'w', encoding='utf-8') as f:
                f.write(src)
            args = [policy, 'eval', '-d', rego]
            if input_json is not None:
                inp = os.path.join(tmp, name + '.json')
                with open(inp, 'w', encoding='utf-8') as f:
                    f.write(input_json)
                args += ['-i', inp]
            args.append(query)
            t0 = time.monotonic()
            try:
                proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                print(f'FAIL {name}: still running after 60 s')
                failed += 1
                continue
            elapsed = time.monotonic() - t0
            out = proc.stdout + proc.stderr
            problems = []
            if proc.returncode != 1:
                problems.append(f'exit status {proc.returncode}, want 1')
            if code not in out:
                problems.append(f'output lacks {code}')
            if elapsed > MAX_SECONDS:
                problems.append(f'took {elapsed:.2f} s (limit {MAX_SECONDS} s)')
            if problems:
                print(f'FAIL {name}: ' + '; '.join(problems) + '\n' + out)
                failed += 1
            else:
                print(f'ok   {name}: {code} in {elapsed:.2f} s')
                passed += 1
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
