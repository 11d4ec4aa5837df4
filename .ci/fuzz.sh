#!/bin/bash
# Builds the libFuzzer targets (clang, -Dfuzz=true) and runs each for
# FUZZ_SECONDS (default 60) on a scratch copy of its seed corpus, with the
# Rego dictionary for the policy targets. Any crash, leak, timeout or
# out-of-memory fails the run; the reproducer is left in
# $build/fuzz-artifacts/<target>/ — minimise it (-minimize_crash=1), fix the
# bug, and add the reproducer to fuzz/regressions/<target>/ so the
# fuzz-replay tests keep it fixed.
# Build directory: build-fuzz/ (override with CI_FUZZ_BUILD_DIR).
set -euo pipefail

cd "$(dirname "$0")/.."
build=${CI_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"fuzz_compile fuzz_json fuzz_eval fuzz_bundle fuzz_diff"}
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==> %s\n' "$*"; }

step "libFuzzer build (clang) in $build"
if [ -d "$build" ]; then
    CC=clang meson setup --reconfigure "$build" -Dfuzz=true -Dbuildtype=debugoptimized -Dbench=disabled >/dev/null
else
    CC=clang meson setup "$build" -Dfuzz=true -Dbuildtype=debugoptimized -Dbench=disabled >/dev/null
fi
ninja -C "$build" -j "$jobs"

export ASAN_OPTIONS=detect_leaks=1
# Leaks in OpenSSL's own error paths are suppressed (fuzz/lsan.supp); the
# suppression needs full malloc stacks through libcrypto.
export LSAN_OPTIONS=suppressions=$PWD/fuzz/lsan.supp:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=0
for t in $targets; do
    step "$t for ${seconds}s"
    seeds=fuzz/corpus/$t
    [ "$t" = fuzz_diff ] && seeds=fuzz/corpus/fuzz_eval
    work=$build/fuzz-work/$t
    artifacts=$build/fuzz-artifacts/$t
    mkdir -p "$work" "$artifacts"
    extra=()
    case $t in
    fuzz_compile | fuzz_eval | fuzz_diff) extra+=(-dict=fuzz/rego.dict) ;;
    esac
    regress=()
    [ -d "fuzz/regressions/$t" ] && regress=("fuzz/regressions/$t")
    # New inputs go to the first (scratch) directory; the checked-in seeds
    # and regressions are only read.
    if ! "$build/fuzz/$t-libfuzzer" "${extra[@]}" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$work" "$seeds" "${regress[@]}" >"$build/fuzz-$t.log" 2>&1; then
        tail -n 60 "$build/fuzz-$t.log"
        echo "$t: found a failure; reproducer in $artifacts/" >&2
        failed=1
    else
        grep -E '^#[0-9]+.*(DONE|pulse)' "$build/fuzz-$t.log" | tail -n 1 || true
        grep -E 'stat::number_of_executed_units|stat::new_units_added' "$build/fuzz-$t.log" || true
    fi
done
exit $failed
