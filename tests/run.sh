#!/usr/bin/env bash
# run.sh -- run every test suite and print one summary line.
# Suites: the Check binaries $BUILD/tests/test_* and the shell suites
# tests/*_test.sh (each prints "NAME: P passed, F failed").
set -u
cd "$(dirname "$0")/.."
# BUILDS: build directories to test, e.g. "build build-san" (sanitizers)
BUILDS=${BUILDS:-${BUILD:-build}}
export PYTHON=${PYTHON:-/usr/bin/python3}
pass=0 fail=0 log=$(mktemp)
for b in $BUILDS; do
for t in "$b"/tests/test_* tests/*_test.sh; do
    [ -x "$t" ] || continue
    export SGDSWEEP=$PWD/$b/sgdsweep
    echo "== $t (binary $b/sgdsweep)"
    start=$(date +%s)
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    line=$(grep -E '^[A-Za-z_0-9.-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -n "$line" ]; then
        p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    else
        p=0 f=1   # crashed before reporting
    fi
    # a nonzero exit with no failure counted is still a failure
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p)) fail=$((fail + f))
    echo "   ($(( $(date +%s) - start )) s, exit $rc)"
done
done
rm -f "$log"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
