#!/usr/bin/env bash
# spec_test.sh -- sweep specs through the command line (docs/SPEC.md): what
# check and run refuse and how fast, and W&B sweep configs in check / list.
#
#   SGDSWEEP=build/sgdsweep tests/spec_test.sh
#
# Checked: 100,000 nested '[' refused in well under a second with
# SPEC:LINE:COL (libyaml took 26-79 s); a spec over 4 MiB refused unread in
# one line; the largest spec allowed checked in bounded memory (peak RSS by
# /usr/bin/time when present); the derived lr = temperature * batch refused
# by check and by run like train --lr; W&B configs of tests/specs/wandb/:
# runs, axes and values as check and list print them.
# Ends with "spec: P passed, F failed" and exits nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SGDSWEEP=${SGDSWEEP:-$HERE/../build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d "${TMPDIR:-/tmp}/spec_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"
cd "$T" || exit 1

sg() { "$SGDSWEEP" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
# one CODE TEXT...: exit CODE and stderr one line holding every TEXT
one() {
    local code=$1 w=""
    shift
    [ "$RC" -eq "$code" ] || w+="exit $RC, want $code; "
    [ "$(wc -l <"$T/err")" -eq 1 ] || w+="$(wc -l <"$T/err") lines on stderr; "
    for t in "$@"; do grep -qF -e "$t" "$T/err" || w+="no '$t'; "; done
    echo "$w"
}
ms() { date +%s%N | cut -c1-13; }

# ---- nesting: 100,000 '[' (defect 2)
/usr/bin/python3 -c "import sys; sys.stdout.write('parameters: ' + '['*100000 + ']'*100000 + '\n')" >deep.yaml \
    2>/dev/null || { printf 'parameters: ' >deep.yaml; head -c 100000 /dev/zero | tr '\0' '[' >>deep.yaml; echo >>deep.yaml; }
t0=$(ms); sg check deep.yaml; dt=$(( $(ms) - t0 ))
why=$(one 2 "deep.yaml:1:76: YAML nesting deeper than 64 levels")
[ "$dt" -lt 2000 ] || why+="took $dt ms; "
report "100,000 nested '[': check refuses in $dt ms (< 2 s; was 26-79 s) with SPEC:LINE:COL" "$why"

# ---- size (defect 4): one byte over 4 MiB, refused before it is read
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >big.yaml
t0=$(ms); sg check big.yaml; dt=$(( $(ms) - t0 ))
why=$(one 2 "big.yaml: larger than 4194304 bytes (the limit of a spec, docs/SPEC.md)")
[ "$dt" -lt 1000 ] || why+="took $dt ms; "
report "spec of 4 MiB + 1 byte: one line, exit 2, in $dt ms" "$why"
# the largest list allowed (262144 YAML nodes): peak memory of check
{ printf 'parameters:\n  width: ['
  /usr/bin/python3 -c "import sys; sys.stdout.write(','.join(['1']*(262144-5)))"; printf ']\n'; } >nodes.yaml
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o rss "$SGDSWEEP" check nodes.yaml >"$T/out" 2>"$T/err"
    RC=$?
    kb=$(tail -1 rss)
    why=$(one 2 "nodes.yaml:2:13: width: value '1' is already in the list (item 1)")
    case $SGDSWEEP in *build-san*) lim=400000 ;; *) lim=120000 ;; esac
    [ "$kb" -lt "$lim" ] || why+="peak RSS $kb KB (limit $lim); "
    report "262144-node spec ($(wc -c <nodes.yaml) bytes): checked in $((kb / 1024)) MB peak" "$why"
fi
{ printf 'parameters:\n  width: ['; /usr/bin/python3 -c "import sys; sys.stdout.write(','.join(['1']*(262144-4)))"; printf ']\n'; } >nodes1.yaml
sg check nodes1.yaml
report "262145 nodes: refused at the node past the limit" \
    "$(one 2 "nodes1.yaml:2:524289: more than 262144 YAML nodes (the limit of a spec, docs/SPEC.md)")"

# ---- derived lr (defect 5): check and run refuse what train --lr refuses
printf 'parameters:\n  temperature: [1e300, 1e-3]\n  batch: 8\n  steps: 10\n' >hot.yaml
sg check hot.yaml
report "check: lr = temperature * batch 8e300 refused at temperature" \
    "$(one 2 "hot.yaml:2:3: lr = temperature * batch: value '8e+300' out of range" "(run 0)")"
sg run hot.yaml -o hot.h5
why=$(one 2 "hot.yaml:2:3: lr = temperature * batch: value '8e+300' out of range")
[ -e hot.h5 ] || [ -e hot.h5.journal ] && why+="wrote an output; "
report "run: the same refusal, nothing written" "$why"
sg train --lr 8e300 --steps 1
report "train --lr 8e300 is refused the same way" "$(one 2 "--lr: value '8e300' out of range")"

# ---- W&B sweep configs (defect 12)
W=$HERE/specs/wandb
sg check "$W/random_docs.yaml"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
for l in "$(printf 'method\trandom')" "$(printf 'runs\t40')" "$(printf 'axis\tlr\tlog_uniform_values [0.0001, 0.1]')" \
    "$(printf 'axis\tbatch\tq_log_uniform_values [32, 256], q 8')" "$(printf 'axis\tdepth\tint_uniform [1, 4]')" \
    "$(printf 'axis\tact\t3 values: relu tanh gelu')" \
    "$(printf "note\tprogram: ignored (W&B's training script; every run here is sgdsweep train with the settings under parameters)")" \
    "$(printf 'note\tmetric: test_loss, minimize (kept with the spec; the sweep itself runs every run in full)')"; do
    grep -qxF -e "$l" "$T/out" || why+="no line '$l'; "
done
report "W&B random (docs example): run_cap 40 runs, axes by their W&B distribution, notes for ignored keys" "$why"
sg list "$W/random_docs.yaml"
why=$(awk -F'\t' 'NR == 1 { if ($0 != "run\tlr\tbatch\tdepth\tact\tsteps") print "header " $0; next }
    { n++; if ($2 < 1e-4 || $2 > 0.1) print "lr " $2; if ($3 % 8 || $3 < 32 || $3 > 256) print "batch " $3
      if ($4 < 1 || $4 > 4 || $4 != int($4)) print "depth " $4; d[$4]++; a[$5]++ }
    END { if (n != 40) print n " rows"; for (k = 1; k <= 4; k++) if (!d[k]) print "no depth " k
          if (length(a) != 3) print length(a) " activations" }' "$T/out" | head -3 | tr '\n' ' ')
report "W&B random: list draws lr in [1e-4, 0.1], batch multiples of 8 in [32, 256], depth 1..4, 3 activations" "$why"
sg check "$W/grid_docs.yaml"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
for l in "$(printf 'runs\t48')" "$(printf 'axis\tdepth\t4 values: 1 2 3 4')" \
    "$(printf 'axis\tmomentum\t4 values: 0 0.2 0.4 0.6000000000000001')" "$(printf 'dim\tact\t3')"; do
    grep -qxF -e "$l" "$T/out" || why+="no line '$l'; "
done
report "W&B grid: int_uniform and q_uniform enumerated as W&B (numpy.arange), 48 runs" "$why"
sg check "$W/random_all.yaml"
report "W&B random, every distribution: run_cap 60 with seeds: 3" \
    "$([ "$RC" -eq 0 ] && grep -qxF "$(printf 'runs\t60')" "$T/out" || echo "exit $RC or runs")"
printf 'method: bayes\nparameters:\n  lr: {min: 0.001, max: 0.1}\n' >bayes.yaml
sg check bayes.yaml
report "method: bayes refused in one line that says what to use" "$(one 2 "bayes.yaml:1:9: method: bayes is not supported" "use method: random with run_cap")"

# ---- check --measure N: N runs drawn at random, trained, their CPU time;
# the projection is n_runs x their mean (printed to 3 digits), with an
# interval around it; every run when N >= n_runs; a fixed sampler
cat >meas.yaml <<'EOF'
parameters:
  depth: 1
  width: 16
  d_in: 8
  classes: 3
  n_train: 64
  n_test: 32
  batch: 16
  steps: {values: [50, 400]}
seeds: 10
EOF
sg check meas.yaml --measure 5
why=$(awk -F'\t' '$1 == "measured" { m = $2; sub(/.*mean /, "", m); sub(/ s,.*/, "", m); mean = m + 0
        if ($2 !~ /^5 runs drawn at random, CPU time: mean /) print "measured line: " $2 }
    $1 == "estimate_measured" { e = $2; sub(/ core-hours.*/, "", e); est = e + 0
        iv = $2; sub(/.*interval /, "", iv); sub(/,.*/, "", iv); split(iv, b, " to ")
        if (!(b[1] + 0 <= est && est <= b[2] + 0)) print "interval " iv " around " est }
    END { if (!(mean > 0)) print "no mean"; want = 20 * mean / 3600
          if (est < 0.99 * want || est > 1.01 * want) print "estimate " est " is not 20 x mean " mean " / 3600" }' "$T/out")
[ "$RC" -eq 0 ] || why+="exit $RC; "
report "check --measure 5: 5 runs timed, estimate = n_runs x mean with an interval around it" "$why"
sg check --measure 100 meas.yaml
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
grep -q $'^measured\t20 runs drawn' "$T/out" || why+="not every run measured; "
grep -q $'^estimate_measured\t.*(every run measured)$' "$T/out" || why+="no 'every run measured'; "
report "check --measure 100 of 20 runs: every run, no interval" "$why"
for bad in 0 -3 x 100001; do
    sg check meas.yaml --measure "$bad"
    report "check --measure $bad: exit 2, one line" "$(one 2 "--measure: value '$bad' out of range")"
done

suite_end spec
