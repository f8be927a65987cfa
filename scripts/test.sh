#!/bin/sh
# `make test`: builds twice (plain with warnings as errors, and with ASan + UBSan), runs every
# unit and integration test executable in both builds, and ends with one line
# "N passed, N failed". Exits non-zero when anything failed or did not build.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
status=0

build() {
    dir=$1
    shift
    if ! cmake -S . -B "$dir" -DISX_WERROR=ON "$@" >"$dir/configure.log" 2>&1; then
        cat "$dir/configure.log"
        return 1
    fi
    cmake --build "$dir" -j 2 >"$dir/build.log" 2>&1 || { tail -n 60 "$dir/build.log"; return 1; }
}

run_suite() {
    dir=$1
    label=$2
    for t in "$dir"/tests/unit/unit_test_* "$dir"/tests/integration/integ_test_*; do
        [ -x "$t" ] || continue
        name="$label/$(basename "$t")"
        out=$("$t" 2>&1)
        rc=$?
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        p=${p:-0}
        f=${f:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1 # crashed, or a sanitizer stopped it, before cmocka could count
        fi
        if [ "$f" -ne 0 ]; then
            printf '%s\n' "$out" | tail -n 40
            echo "FAIL $name ($p passed, $f failed)"
        else
            echo "ok   $name ($p passed)"
        fi
        passed=$((passed + p))
        failed=$((failed + f))
    done
}

mkdir -p build build-asan
if build build -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
    run_suite build plain
else
    echo "FAIL build (plain)"
    failed=$((failed + 1))
fi
if build build-asan -DCMAKE_BUILD_TYPE=Debug -DISX_SANITIZE=ON; then
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
    run_suite build-asan asan
else
    echo "FAIL build (asan)"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
