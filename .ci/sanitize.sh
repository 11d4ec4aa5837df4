#!/bin/bash
# Sanitizer builds:
#   1. gcc with AddressSanitizer + UndefinedBehaviorSanitizer, running the
#      whole meson test suite (leak detection on, any UB report fatal);
#   2. clang with ThreadSanitizer, running the tests in suite `threads`
#      (passes when that suite is empty).
# Usage: .ci/sanitize.sh [--asan-only | --tsan-only]   (default: both)
# Build directories: build-asan/ and build-tsan/ (override with
# CI_ASAN_BUILD_DIR / CI_TSAN_BUILD_DIR). Exits non-zero on the first
# failure.
set -euo pipefail

cd "$(dirname "$0")/.."
asan_build=${CI_ASAN_BUILD_DIR:-build-asan}
tsan_build=${CI_TSAN_BUILD_DIR:-build-tsan}
jobs=$(nproc 2>/dev/null || echo 2)
do_asan=1
do_tsan=1
case ${1:-} in
--asan-only) do_tsan=0 ;;
--tsan-only) do_asan=0 ;;
"") ;;
*) echo "usage: $0 [--asan-only | --tsan-only]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

# setup DIR CC OPTIONS...: configure (or reconfigure) a build directory.
setup() {
    local dir=$1 cc=$2
    shift 2
    if [ -d "$dir" ]; then
        CC=$cc meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        CC=$cc meson setup "$dir" "$@" >/dev/null
    fi
}

# run_tests DIR [meson test args...]: prints the summary, or the whole log
# when something failed.
run_tests() {
    local dir=$1 log
    shift
    log=$(mktemp)
    if meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" >"$log" 2>&1; then
        if grep -q '^Ok:' "$log"; then
            sed -n '/^Ok:/,/^Timeout:/p' "$log"
        else
            cat "$log" # e.g. "No suitable tests defined."
        fi
        rm -f "$log"
    else
        cat "$log"
        rm -f "$log"
        echo "tests failed in $dir" >&2
        return 1
    fi
}

# The benchmarks (-Dbench) only measure; instrumented they are just slow.
if [ "$do_asan" = 1 ]; then
    step "ASan+UBSan build (gcc) in $asan_build"
    setup "$asan_build" gcc -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled
    ninja -C "$asan_build" -j "$jobs"

    step "all tests under ASan+UBSan"
    # abort_on_error gives a stack for crashes in child processes too (the
    # CLI tests run the instrumented binary).
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        run_tests "$asan_build" --timeout-multiplier 4
fi

if [ "$do_tsan" = 1 ]; then
    if ! command -v clang >/dev/null 2>&1; then
        echo "clang not found: cannot run the ThreadSanitizer step" >&2
        exit 1
    fi
    step "ThreadSanitizer build (clang) in $tsan_build"
    setup "$tsan_build" clang -Dbuildtype=debug -Db_sanitize=thread -Db_lundef=false -Dbench=disabled
    ninja -C "$tsan_build" -j "$jobs"

    step "suite 'threads' under ThreadSanitizer"
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 run_tests "$tsan_build" --suite threads --timeout-multiplier 4
fi

step "sanitizer checks passed"
