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

# ---- background sweeps: helpers for suites that start one in the
# background with stderr in $T/err and its pid in $PID (LIMIT: seconds)

# alive PID: the process exists and is not a zombie
alive() {
    local s
    s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]
}

# reported: the last "N/TOTAL runs" count the background sweep printed
# (rank 0 prints a run only once it has appended it to the journal); -1
# before the first line
reported() {
    local l
    l=$(grep -oE '^sgdsweep: [0-9]+/[0-9]+ runs' "$T/err" 2>/dev/null | tail -1)
    l=${l#sgdsweep: }
    echo "${l%%/*}" | grep -E '^[0-9]+$' || echo -1
}

# wait_for TEST: poll (10 ms) until the shell test TEST holds; 1 if the
# background sweep ended first or LIMIT passed
wait_for() {
    local deadline=$((SECONDS + LIMIT))
    until eval "$1"; do
        alive "$PID" || return 1
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.01
    done
}

# claim_pipeline CLAIM LIMIT TITLE FIGURE...: a claim test's pipeline. The tiny
# sweep $T/spec.yaml on 2 ranks (at most LIMIT s) into $T/real.h5, then
# analysis/claims/CLAIM.py on it into $T/real; reports that the sweep ran and
# that the analysis printed a verdict line and wrote CLAIM.md (headed
# "# TITLE", quoting its criterion) and every FIGURE. Needs T, SGDSWEEP,
# PYTHON and ROOT.
claim_pipeline() {
    local claim=$1 limit=$2 title=$3 start rc why="" f
    shift 3
    start=$(date +%s)
    (cd "$T" && timeout "$limit" mpirun --oversubscribe -np 2 "$SGDSWEEP" run spec.yaml -o real.h5 --quiet) \
        >"$T/out" 2>"$T/err"
    rc=$?
    report "tiny sweep runs" "$([ $rc -eq 0 ] || echo "exit $rc")"
    "$PYTHON" "$ROOT/analysis/claims/$claim.py" "$T/real.h5" -o "$T/real" >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc -eq 0 ] || why="exit $rc"
    grep -Eq "^$claim: (SUPPORTED|NOT SUPPORTED|INCONCLUSIVE): " "$T/out" || why="$why; no verdict line"
    for f in "$claim.md" "$@"; do
        [ -s "$T/real/$f" ] || why="$why; no $f"
    done
    grep -qF -x "# $title" "$T/real/$claim.md" || why="$why; no section title"
    grep -q 'Pre-registered criterion' "$T/real/$claim.md" || why="$why; criterion not quoted"
    report "pipeline: analysis writes the section and figures" "$why"
    echo "   (pipeline $(( $(date +%s) - start )) s)"
}
