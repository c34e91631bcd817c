#!/usr/bin/env bash
# claims_test.sh -- the claim machinery (analysis/claims/) on planted answers.
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/claims_test.sh
#
# Tiny real sweeps in the shape of jobs/claims/overparam-*.yaml (random labels,
# (n_train, width) zipped, a few SGD steps: pipeline only, they prove nothing
# about the science) give files whose layout is what the engine writes;
# analysis/claims/synth.py then overwrites their outcomes with planted
# answers. Checks: the analysis module's n_params equals `sgdsweep train`'s;
# a planted logistic transition at a known N*/(nk) gives "supported" (the
# pre-registered verdict, with the revised one beside it) and is recovered
# (estimates within a grid step; the plain intervals cover it in >= 16 of 24
# plants); N* below the sweep and N* ~ n^1.5 give "not supported" (not
# "inconclusive"); half the seeds never fitting gives "not supported"; too few seeds, too few widths and too few sizes give
# "inconclusive"; the wrong claim's file, a format_version 99 file and a
# missing file are refused with one line and exit 2; an unfinished sweep is
# analysed with its missing count; report.py writes REPORT.md with a summary
# row per file (and one for an absent file); the tiny sweep itself goes through
# `sgdsweep run`, the analysis and the report end to end. Ends with
# "claims: P passed, F failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
case $SGDSWEEP in *build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/claims_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"
A=$ROOT/analysis/claims
: >"$T/err"

if [ ! -x "$SGDSWEEP" ]; then
    echo "FAIL setup: $SGDSWEEP is not an executable (build it with make)"
    echo "claims: 0 passed, 1 failed"
    exit 1
fi

# spec NAME SEEDS N_LIST WIDTH_LIST: a tiny overparam-shaped spec ($T/NAME.yaml)
spec() {
    cat >"$T/$1.yaml" <<YAML
name: claim-overparam-$1
method: grid
seeds: $2
parameters:
  label_noise: {values: [1.0]}
  loss: sqhinge
  lr: 0.2
  n_train: {values: [$3]}
  classes: 2
  depth: 1
  width: {values: [$4]}
  data: teacher
  d_in: 4
  n_test: 32
  param: ntk
  batch: 8
  steps: 3
  stop_at: acc
  checkpoints: 3
zip:
  - [n_train, width]
YAML
}
# sweep NAME: run $T/NAME.yaml on 2 ranks into $T/NAME.h5; status -> RC
sweep() {
    (cd "$T" && timeout 120 mpirun --oversubscribe -np 2 "$SGDSWEEP" run "$1.yaml" -o "$1.h5" --quiet) \
        >"$T/out" 2>"$T/err"
    RC=$?
}
# analyse FILE OUTDIR: the claim CLI; status -> RC, stdout -> $T/out, stderr -> $T/err
analyse() {
    "$PYTHON" "$A/overparam.py" "$1" -o "$2" >"$T/out" 2>"$T/err"
    RC=$?
}
verdict_is() {   # verdict_is NAME WANT: the CLI printed "overparam: WANT:" and exit 0
    local got
    got=$(sed -n 's/^overparam: \([A-Z ]*\): .*/\1/p' "$T/out" | head -1)
    report "$1" "$([ $RC -eq 0 ] || echo "exit $RC")$([ "$got" = "$2" ] || echo " verdict '$got', want '$2'")"
}

# widths giving r = P/(n k) = 0.14 .. 10 in 9 steps for n 32 and 128 (d_in 4, k 2, depth 1: P = 7w + 2)
N9="32, 32, 32, 32, 32, 32, 32, 32, 32, 128, 128, 128, 128, 128, 128, 128, 128, 128"
W9="1, 2, 3, 5, 9, 16, 29, 51, 91, 4, 7, 12, 21, 37, 66, 117, 208, 366"

# ---------------------------------------------------------------- n_params vs the engine
for args in "--width 7 --depth 3 --d-in 5 --classes 3" "--width 9 --depth 1 --d-in 16 --classes 10 --bias false" \
            "--width 4 --depth 0 --d-in 6 --classes 2" "--width 13 --depth 2 --d-in 3 --classes 4 --residual standard"; do
    want=$("$SGDSWEEP" train $args --n-train 16 --n-test 16 --batch 8 --steps 1 2>"$T/err" | sed -n 's/^n_params\t//p')
    got=$("$PYTHON" -c "
import sys; sys.path.insert(0, '$A'); import overparam as O
a = '$args'.split(); d = dict(zip(a[::2], a[1::2]))
print(O.n_params(int(d['--width']), int(d['--depth']), int(d['--d-in']), int(d['--classes']), d.get('--bias', 'true') == 'true'))" 2>&1)
    report "n_params ($args)" "$([ -n "$want" ] && [ "$want" = "$got" ] || echo "engine '$want', analysis '$got'")"
done

# ---------------------------------------------------------------- end to end: a tiny sweep
spec tiny 10 "$N9" "$W9"
sweep tiny
report "tiny sweep runs" "$([ $RC -eq 0 ] && [ -f "$T/tiny.h5" ] || echo "exit $RC")"
analyse "$T/tiny.h5" "$T/e2e"
report "pipeline: analysis of a real sweep" "$([ $RC -eq 0 ] || echo "exit $RC")$(grep -qE '^overparam: (SUPPORTED|NOT SUPPORTED|INCONCLUSIVE): ' "$T/out" || echo ' no verdict line')"
report "pipeline: section and figures" "$(for f in overparam.md overparam_fitted.png overparam_nstar.png overparam_time.png; do
    [ -s "$T/e2e/$f" ] || echo "no $f; "; done)$(grep -q 'SHA-256 `'"$(sha256sum "$ROOT/jobs/claims/overparam.criterion.yaml" | cut -c1-64)" "$T/e2e/overparam.md" 2>/dev/null || echo 'criterion sha256 not quoted')"

# ---------------------------------------------------------------- planted transitions
for nstar in 0.5 1.5; do
    "$PYTHON" "$A/synth.py" "$T/tiny.h5" "$T/plant$nstar.h5" --plant overparam --nstar $nstar --width-dec 0.3 --seed 1 2>"$T/err"
    analyse "$T/plant$nstar.h5" "$T/plant$nstar"
    verdict_is "planted N*/(nk) = $nstar: supported" SUPPORTED
done
report "section: pre-registered verdict first, revised beside it" "$(grep -q 'Pre-registered verdict (the criterion.s plain 95% percentile bootstrap over seeds): \*\*supported\*\*' "$T/plant0.5/overparam.md" || echo 'no pre-registered verdict line; ')$(grep -q 'Post-hoc sensitivity analysis' "$T/plant0.5/overparam.md" || echo 'no sensitivity analysis')"
# coverage of the planted N*/(nk) by the pre-registered (plain percentile bootstrap) interval
# over 6 independent plants x 2 sizes x 2 locations = 24 intervals. A percentile bootstrap
# over 10 seeds of 0/1 outcomes under-covers (measured 19 of 24 here): want >= 16 of 24, and
# every estimate within one grid step (x1.78) of the plant.
: >"$T/cover"
for nstar in 0.5 1.5; do
    for s in 1 2 3 4 5 6; do
        "$PYTHON" "$A/synth.py" "$T/tiny.h5" "$T/cov.h5" --plant overparam --nstar $nstar --width-dec 0.3 --seed $s 2>"$T/err"
        analyse "$T/cov.h5" "$T/cov"
        sed -n "s/^| random | sqhinge | 1 | \([0-9]*\) | 2 | [^|]* | \([0-9.e+-]*\) \[\([0-9.e+-]*\), \([0-9.e+-]*\)\] |.*/$nstar \1 \2 \3 \4/p" "$T/cov/overparam.md" >>"$T/cover"
    done
done
why=$("$PYTHON" - "$T/cover" <<'PY' 2>&1
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
inside = sum(lo <= want <= hi for want, n, est, lo, hi in rows)
far = [(want, n, est) for want, n, est, lo, hi in rows if not 1 / 1.78 <= est / want <= 1.78]
if len(rows) != 24:
    print(f"{len(rows)} intervals, want 24")
if inside < 16:
    print(f"only {inside} of {len(rows)} intervals contain the planted N*/(nk)")
if far:
    print(f"estimates more than a grid step off: {far}")
PY
)
report "planted N*/(nk): estimates within a grid step, plain intervals cover >= 16/24" "$why"

# N* below the sweep (every width fits): outside the window, not supported (not inconclusive)
"$PYTHON" "$A/synth.py" "$T/tiny.h5" "$T/low.h5" --plant overparam --nstar 0.05 2>"$T/err"
analyse "$T/low.h5" "$T/low"
verdict_is "planted N*/(nk) = 0.05 (below the sweep): not supported" "NOT SUPPORTED"
report "N* below the sweep: the reason is named" "$(grep -q 'below the sweep' "$T/low/overparam.md" || echo 'no "below the sweep" reason')"

# N* proportional to n^1.5 (N*/(nk) ~ n^0.5: 0.25, 0.5, 1 at n = 32, 128, 512, all inside the
# window): alpha's interval is disjoint from [0.7, 1.3], not supported (not inconclusive)
spec wide 10 "32, 32, 32, 32, 32, 32, 32, 32, 32, 128, 128, 128, 128, 128, 128, 128, 128, 128, 512, 512, 512, 512, 512, 512, 512, 512, 512" \
    "1, 2, 3, 5, 9, 16, 29, 51, 91, 4, 7, 12, 21, 37, 66, 117, 208, 366, 20, 35, 59, 101, 173, 295, 503, 858, 1463"
sweep wide
"$PYTHON" "$A/synth.py" "$T/wide.h5" "$T/alpha.h5" --plant overparam --nstar 0.25 --alpha 1.5 --width-dec 0.3 --seed 1 2>"$T/err"
analyse "$T/alpha.h5" "$T/alpha"
verdict_is "planted alpha = 1.5: not supported" "NOT SUPPORTED"
report "alpha = 1.5: the reason is alpha, not N*" "$(grep -q '^- random labels, sqhinge, depth 1, k 2: alpha = 1.[4-6][0-9]* \[.*\] disjoint from \[0.7, 1.3\]' "$T/alpha/overparam.md" || echo 'no "alpha ... disjoint" reason; ')$(sed -n '/^Every reason for the pre-registered/,/^$/p;/^Every reason for the pre-registered/,/^Revised/p' "$T/alpha/overparam.md" | grep -qE 'outside \[0.1, 3\]|did not fit' && echo 'another not-supported reason too')"

# half the seeds never fit, even at the largest width: not supported
"$PYTHON" "$A/synth.py" "$T/tiny.h5" "$T/fail.h5" --plant overparam --nstar 0.5 --fail-seeds 5 2>"$T/err"
analyse "$T/fail.h5" "$T/fail"
verdict_is "half the seeds never fit: not supported" "NOT SUPPORTED"
report "not supported names the unfitted runs" "$(grep -q 'did not fit' "$T/fail/overparam.md" || echo 'no reason given')"

# a transition above the sweep's largest width: not supported (does not fit at r >= c)
"$PYTHON" "$A/synth.py" "$T/tiny.h5" "$T/high.h5" --plant overparam --nstar 30 2>"$T/err"
analyse "$T/high.h5" "$T/high"
verdict_is "transition above the sweep: not supported" "NOT SUPPORTED"

# too few seeds / widths / sizes: inconclusive, whatever the outcomes
spec few 3 "$N9" "$W9"
sweep few
"$PYTHON" "$A/synth.py" "$T/few.h5" "$T/few_p.h5" --plant overparam --nstar 0.5 2>"$T/err"
analyse "$T/few_p.h5" "$T/few"
verdict_is "3 seeds: inconclusive" INCONCLUSIVE
report "inconclusive says why (seeds)" "$(grep -q 'finished seeds' "$T/out" "$T/few/overparam.md" || echo 'no reason')"
spec narrow 10 "32, 32, 32, 128, 128, 128" "3, 9, 29, 12, 37, 117"
sweep narrow
"$PYTHON" "$A/synth.py" "$T/narrow.h5" "$T/narrow_p.h5" --plant overparam --nstar 0.5 2>"$T/err"
analyse "$T/narrow_p.h5" "$T/narrow"
verdict_is "3 widths per group: inconclusive" INCONCLUSIVE
spec onen 10 "128, 128, 128, 128, 128, 128, 128, 128, 128" "4, 7, 12, 21, 37, 66, 117, 208, 366"
sweep onen
"$PYTHON" "$A/synth.py" "$T/onen.h5" "$T/onen_p.h5" --plant overparam --nstar 0.5 2>"$T/err"
analyse "$T/onen_p.h5" "$T/onen"
verdict_is "one training-set size: inconclusive" INCONCLUSIVE

# ---------------------------------------------------------------- refusals: one line, exit 2
"$PYTHON" "$A/synth.py" "$T/plant0.5.h5" "$T/wrong.h5" --spec-name claim-temperature-tiny 2>"$T/err"
analyse "$T/wrong.h5" "$T/wrong"
report "wrong claim refused" "$([ $RC -eq 2 ] || echo "exit $RC")$([ "$(wc -l <"$T/err")" -eq 1 ] || echo " stderr has $(wc -l <"$T/err") lines")$(grep -q "^overparam: .*claim-temperature-tiny.*wrong claim" "$T/err" || echo " message: $(head -c 200 "$T/err")")"
"$PYTHON" "$A/synth.py" "$T/plant0.5.h5" "$T/v99.h5" --format-version 99 2>"$T/err"
analyse "$T/v99.h5" "$T/v99"
report "format_version 99 refused" "$([ $RC -eq 2 ] || echo "exit $RC")$([ "$(wc -l <"$T/err")" -eq 1 ] || echo " stderr has $(wc -l <"$T/err") lines")$(grep -q '^overparam: .*format_version 99' "$T/err" || echo " message: $(head -c 200 "$T/err")")"
analyse "$T/nonexistent.h5" "$T/none"
report "missing file refused" "$([ $RC -eq 2 ] || echo "exit $RC")$(grep -q '^overparam: .*no such file' "$T/err" || echo " message: $(head -c 200 "$T/err")")"
echo "not hdf5" >"$T/text.h5"
analyse "$T/text.h5" "$T/text"
report "non-HDF5 file refused" "$([ $RC -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] || echo "exit $RC, $(head -c 200 "$T/err")")"
analyse "$T/tiny.yaml" "$T/x"
report "a spec instead of a result refused" "$([ $RC -eq 2 ] || echo "exit $RC")"
"$PYTHON" "$A/overparam.py" >"$T/out" 2>"$T/err"
report "usage error: exit 2" "$([ $? -eq 2 ] || echo "exit $?")"

# ---------------------------------------------------------------- unfinished sweep
"$PYTHON" "$A/synth.py" "$T/tiny.h5" "$T/unfin.h5" --plant overparam --nstar 0.5 --pending 17 2>"$T/err"
analyse "$T/unfin.h5" "$T/unfin"
report "unfinished sweep analysed" "$([ $RC -eq 0 ] || echo "exit $RC")"
report "unfinished sweep: missing count reported" "$(grep -q '17 of 180 runs have no result' "$T/unfin/overparam.md" || echo 'no "17 of 180 runs have no result" in the section')"

# ---------------------------------------------------------------- the report over several files
"$PYTHON" "$A/report.py" "$T/rep" "$T/plant0.5.h5" "$T/unfin.h5" "$T/claim-temperature-small.h5" "$T/v99.h5" >"$T/out" 2>"$T/err"
RC=$?
report "report.py writes REPORT.md" "$([ $RC -eq 0 ] && [ -s "$T/rep/REPORT.md" ] || echo "exit $RC")"
report "report: summary rows" "$(grep -q '^| overparam | \*\*supported\*\* | fitted at P>=3nk: ' "$T/rep/REPORT.md" || echo 'no supported row; ')$(grep -q '17 of 180 runs missing' "$T/rep/REPORT.md" || echo 'no missing count; ')$(grep -q '^| temperature | \*\*no result\*\*' "$T/rep/REPORT.md" || echo 'no row for the absent file; ')$(grep -q 'format_version 99' "$T/rep/REPORT.md" || echo 'v99 file not reported')"
report "report: sections and figures" "$([ "$(grep -c '^## Claim 1' "$T/rep/REPORT.md")" -eq 2 ] || echo "want 2 claim-1 sections; ")$([ -s "$T/rep/overparam_fitted.png" ] || echo 'no figure')"
"$PYTHON" "$A/report.py" "$T/rep2" "$T/tiny.h5" >"$T/out" 2>"$T/err"
report "pipeline: report.py on the real tiny sweep" "$([ $? -eq 0 ] && grep -q '^| overparam | ' "$T/rep2/REPORT.md" || echo 'no report')"

suite_end claims
