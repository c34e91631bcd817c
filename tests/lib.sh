# lib.sh -- shared by the shell suites (tests/*_test.sh): counters, report, finish.
# Source it after setting T (the suite's temporary directory).

P=0 F=0 S=0

# report NAME WHY: pass if WHY is empty, else print the failure (and the
# last command's stderr, $T/err, without mpirun's ---- rulers)
report() {
    if [ -z "$2" ]; then
        P=$((P + 1))
    else
        F=$((F + 1))
        printf 'FAIL %s: %s\n' "$1" "$2"
        [ -s "$T/err" ] && printf '     stderr: %s\n' "$(grep -v '^-*$' "$T/err" | head -c 600)"
    fi
}

# skip NAME WHY: a check this machine cannot make (a missing capability);
# neither a pass nor a failure, but printed and counted in the summary
skip() {
    S=$((S + 1))
    printf 'SKIP %s: %s\n' "$1" "$2"
}

# suite_end NAME: the suite's one summary line ("NAME: P passed, F failed",
# then ", S skipped" if any); exit status 1 on any failure
suite_end() {
    echo "$1: $P passed, $F failed$([ "$S" -eq 0 ] || echo ", $S skipped")"
    [ "$F" -eq 0 ]
}
