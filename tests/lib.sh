# lib.sh -- shared by the shell suites (tests/*_test.sh): counters, report, finish.
# Source it after setting T (the suite's temporary directory).

P=0 F=0

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

# suite_end NAME: the suite's one summary line; exit status 1 on any failure
suite_end() {
    echo "$1: $P passed, $F failed"
    [ "$F" -eq 0 ]
}
