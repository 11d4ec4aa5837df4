#!/usr/bin/env python3
"""Regenerates the checked-in seed corpora under fuzz/corpus/ from the OPA
conformance cases and the benchmark workloads.

    fuzz/gen_corpus.py [--bundle-tool BUILD/fuzz/bundle_seeds] [SHARED_DIR]
                                          (SHARED_DIR default: ../shared beside the repo)

With --bundle-tool, also writes fuzz_bundle seeds: saved bundles of every
BUNDLE_STRIDE-th fuzz_eval seed (a sample keeps the checked-in corpus small).

Seeds are named by the SHA-1 of their bytes, as libFuzzer names corpus
files, so re-running is idempotent and merges cleanly with files libFuzzer
adds. Seeds larger than MAX_SEED are skipped: big inputs slow every fuzzing
iteration and the conformance cases already cover the same syntax.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

MAX_SEED = 16 * 1024
BUNDLE_STRIDE = 16
HERE = os.path.dirname(os.path.abspath(__file__))

# Edge cases for the JSON/YAML parsers that the suites do not contain.
JSON_EXTRA = [
    b'{}', b'[]', b'""', b'0', b'-0', b'1e400', b'-1e-400', b'123456789012345678901234567890',
    b'0.1', b'1.5e300', b'9223372036854775807', b'-9223372036854775808', b'9223372036854775808',
    b'"\\u0000\\ud83d\\ude00\\u00e9"', b'"\\ud800"', b'{"a":1,"a":2}', b'[[[[[[[[[[]]]]]]]]]]',
    b'{"k": [1, 2.5, true, false, null, "s", {"n": {}}]}', b'  \t\n{ "a" : [ ] } ',
    b'a: 1\nb: [x, y]\nc: {d: null}\n', b'- 1\n- 2.5\n- ~\n- yes\n- "q"\n', b'&a [1, *a]',
    # The parser's block scans: escapes and UTF-8 across 16-byte blocks, an
    # escaped string past the one-pass buffer, long whitespace runs, and an
    # object past the insertion-sort size, unsorted, with duplicates.
    b'["' + b'a' * 15 + b'\\n' + b'b' * 14 + b'\xc3\xa9' + b'c' * 13 + b'\xe4\xb8\xad\xff\xf0\x9f\x98\x80"]',
    b'"' + b'\\u4e2d' * 100 + b'x\\"' * 20 + b'"',
    b'{\n' + b' ' * 40 + b'"a":\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t[\r\n' + b' ' * 33 + b'1]\n' + b' ' * 17 + b'}',
    b'{' + b','.join(b'"k%02d":%d' % ((i * 37) % 50, i) for i in range(60)) + b'}',
]


def bundle_seeds(tool):
    """Compiles a sample of the fuzz_eval seeds with the bundle_seeds tool."""
    eval_dir = os.path.join(HERE, 'corpus', 'fuzz_eval')
    sample = sorted(os.listdir(eval_dir))[::BUNDLE_STRIDE]
    added = 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, tmp] + [os.path.join(eval_dir, f) for f in sample], check=True,
                       stdout=subprocess.DEVNULL)
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), 'rb') as f:
                added += write_seed('fuzz_bundle', f.read())
    return added


def write_seed(target, blob):
    if len(blob) > MAX_SEED:
        return 0
    folder = os.path.join(HERE, 'corpus', target)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, hashlib.sha1(blob).hexdigest())
    if os.path.exists(path):
        return 0
    with open(path, 'wb') as f:
        f.write(blob)
    return 1


def json_bytes(value):
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False).encode()


def eval_seed(module, input_json, data_json, query):
    """module \\0 input \\0 data \\0 query, as fuzz_eval.c splits it."""
    return b'\0'.join([module.encode(), input_json or b'', data_json or b'', (query or '').encode()])


def from_conformance(root):
    counts = {'fuzz_compile': 0, 'fuzz_json': 0, 'fuzz_eval': 0}
    with open(os.path.join(root, 'conformance', 'opa', 'v1-cases.json'), encoding='utf-8') as f:
        files = json.load(f)
    for entry in files:
        for case in entry['cases']:
            modules = case.get('modules') or []
            for m in modules:
                counts['fuzz_compile'] += write_seed('fuzz_compile', m.encode())
            input_json = json_bytes(case['input']) if 'input' in case else None
            data_json = json_bytes(case['data']) if 'data' in case else None
            for doc in (input_json, data_json):
                if doc:
                    counts['fuzz_json'] += write_seed('fuzz_json', doc)
            # Only the first module: the eval target compiles one.
            if modules and len(modules) == 1:
                counts['fuzz_eval'] += write_seed('fuzz_eval',
                                                  eval_seed(modules[0], input_json, data_json, case.get('query')))
    return counts


def from_bench(root):
    counts = {'fuzz_compile': 0, 'fuzz_json': 0, 'fuzz_eval': 0}
    bench = os.path.join(root, 'bench')
    for name in sorted(os.listdir(bench)):
        folder = os.path.join(bench, name)
        policy = os.path.join(folder, 'policy.rego')
        if not os.path.isfile(policy):
            continue
        with open(policy, encoding='utf-8') as f:
            module = f.read()
        with open(os.path.join(folder, 'query.txt'), encoding='utf-8') as f:
            query = f.read().strip()
        with open(os.path.join(folder, 'data.json'), 'rb') as f:
            data_json = f.read()
        counts['fuzz_compile'] += write_seed('fuzz_compile', module.encode())
        counts['fuzz_json'] += write_seed('fuzz_json', data_json)
        for fn in sorted(os.listdir(folder)):
            if fn.startswith('input') and fn.endswith('.json'):
                with open(os.path.join(folder, fn), 'rb') as f:
                    input_json = f.read()
                counts['fuzz_json'] += write_seed('fuzz_json', input_json)
                counts['fuzz_eval'] += write_seed('fuzz_eval', eval_seed(module, input_json, data_json, query))
    return counts


def main():
    args = sys.argv[1:]
    tool = None
    if len(args) >= 2 and args[0] == '--bundle-tool':
        tool = args[1]
        args = args[2:]
    root = args[0] if args else os.path.join(HERE, '..', '..', 'shared')
    total = {}
    for counts in (from_conformance(root), from_bench(root)):
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    for blob in JSON_EXTRA:
        total['fuzz_json'] += write_seed('fuzz_json', blob)
    if tool:
        total['fuzz_bundle'] = bundle_seeds(tool)
    for k in sorted(total):
        print(f'{k}: {total[k]} new seeds')


if __name__ == '__main__':
    main()
