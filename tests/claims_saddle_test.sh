#!/usr/bin/env bash
# claims_saddle_test.sh -- claim 4 (noise helps escape saddles): planted answers and the pipeline.
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/claims_saddle_test.sh
#
# Runs one tiny real sweep with the shape of jobs/claims/saddle-*.yaml (one
# problem, 5 init scales, the four optimizers, 12 seeds) through `sgdsweep run`
# and analysis/claims/saddle.py (the end-to-end pipeline; a tiny sweep proves
# nothing about the science). Then copies of its result file get planted
# escape times (analysis/claims/synth.py's set_metric, so /runs and /grid stay
# one layout):
#   GD's escape time a + b ln(1/c), PGD's constant          -> "supported",
#                                                              b recovered
#   the same with GD censored at the smallest scale (R inf) -> "supported"
#   PGD's escape time growing like GD's                     -> "not supported"
#   PGD never escaping (everything censored)                -> "not supported"
#                                                              (the criterion's precedence)
#   GD censored at all but 1 near-saddle scale              -> "inconclusive"
#   9 finished seeds of 12 in every cell (pending runs)     -> "inconclusive"
#   a target that removes < half the saddle's loss          -> "inconclusive"
#   a file of another claim, a format_version 99 file       -> exit 2, one line
# and the theory helpers (Saxe's time, u0 of a start and of a perturbation)
# against hand-computed values. Ends with "claims_saddle: P passed, F failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export PYTHONWARNINGS=ignore
case $SGDSWEEP in *build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/claims_saddle_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"
AN=$ROOT/analysis/claims/saddle.py
: >"$T/err"

# the spec's shape at toy size: 1 problem x 5 scales x 4 optimizers x 12 seeds = 240 runs
cat >"$T/spec.yaml" <<'EOF'
name: claim-saddle-test
method: grid
seeds: 12
parameters:
  data: linear
  d_in: 4
  width: 4
  act: identity
  n_train: 64
  n_test: 16
  target_noise: 0.1
  data_seed: 3
  depth: 1
  bias: false
  loss: mse
  precision: float64
  init_scale: [1.0, 1.0e-8, 1.0e-16, 1.0e-32, 1.0e-128]
  optimizer: [gd, pgd, langevin, sgd]
  batch: [64, 64, 64, 8]
  langevin_temp: [0.0, 0.0, 1.0e-6, 0.0]
  lr: 0.1
  perturb_radius: 0.01
  perturb_gtol: 1.0e-3
  perturb_wait: 10
  steps: 600
  target_loss: 0.1
  stop_at: loss
  eval_every: 1
  checkpoints: 10
  spacing: log
  sharpness_k: 1
  probe_every: 1000
zip:
  - [optimizer, batch, langevin_temp]
EOF

# 1. the pipeline: sweep + analysis on the real (toy) result
claim_pipeline saddle 120 "Claim 4: noise helps escape saddle points" saddle_escape.png saddle_fraction.png

# 2. planted answers in copies of the real file: planted and analysed in one
# Python process (the analysis' imports cost more than the analysis)
cat >"$T/plant.py" <<EOF
import sys
import numpy as np
sys.path.insert(0, "$ROOT/analysis/claims")
import common as C
import saddle as S
import synth
B_GD = 7.0           # planted GD slope, steps per e-fold of 1/c

def planter(mode):
    def fn(f):
        r = f["runs"]
        opt = r["optimizer"].asstr()[()]
        c = r["init_scale"][()]
        n = opt.size
        rng = np.random.default_rng(11)
        jit = rng.normal(0, 2.0, n)                         # a few steps of noise per run
        x = np.log(1e-8 / np.minimum(c, 1e-8))              # e-folds below 1e-8
        gd_like = 120 + B_GD * x + jit
        t = np.where(np.isin(opt, ["gd", "sgd"]), gd_like, 80 + jit)
        if mode == "same":                                  # PGD no better than GD
            t = gd_like
        t = np.where(c >= 1.0, 5 + np.abs(jit), t)          # far from the saddle: fast
        hit = np.round(t).astype(np.int64)
        budget = 100000
        if mode == "gdcens":                                # GD censored at the smallest scale only
            hit[(opt == "gd") & (c == c.min())] = -1
        if mode == "allcens":                               # nothing ever escapes
            hit[:] = -1
        if mode == "fewscales":                             # GD censored below 1e-8
            hit[(opt == "gd") & (c < 1e-8)] = -1
        synth.set_metric(f, "status", np.ones(n, np.int8))
        synth.set_metric(f, "hit_loss_step", hit)
        synth.set_metric(f, "stopped_step", hit)
        synth.set_metric(f, "steps_done", np.where(hit >= 0, hit + 1, budget).astype(np.int64))
        synth.set_metric(f, "steps", np.full(n, budget, np.int64))
        synth.set_metric(f, "n_perturb", np.where(opt == "pgd", 1, 0).astype(np.int64))
        cl, lam = r["curve_train_loss"][()], r["curve_lambda_min"][()]
        cl[:, 0] = 0.15 if mode == "target" else 0.3        # the saddle's loss at step 0
        lam[:, 0] = -0.8
        r["curve_train_loss"][...] = cl
        r["curve_lambda_min"][...] = lam
        synth.set_counts(f)
        if mode == "pending":                               # the last 3 seeds (runs are seed-major)
            synth.make_pending(f, 3 * n // 12)
    return fn

src, tmp = sys.argv[1], sys.argv[2]
for mode in sys.argv[3:]:
    dst = f"{tmp}/{mode}.h5"
    synth.edit(src, dst, planter(mode))
    try:
        sec = S.analyze(dst, f"{tmp}/{mode}")
        C.write_section(sec, f"{tmp}/{mode}")
        print(f"{mode}\t{sec.verdict.upper()}\t{sec.statement[:500]}")
    except Exception as e:
        print(f"{mode}\terror\t{type(e).__name__}: {e}")
EOF
MODES="noise gdcens same allcens fewscales pending target"
"$PYTHON" "$T/plant.py" "$T/real.h5" "$T" $MODES >"$T/plants" 2>"$T/err"
report "planting and analysing: no error" "$([ $? -eq 0 ] || echo "exit $?")"
plant() {   # plant MODE EXPECTED-VERDICT
    local got why=""
    got=$(awk -F'\t' -v m="$1" '$1 == m {print $2}' "$T/plants")
    [ "$got" = "$2" ] || why="verdict '$got', want '$2' ($(awk -F'\t' -v m="$1" '$1 == m {print $3}' "$T/plants"))"
    report "planted $1 -> $2" "$why"
}
named() {   # named MODE TEXT: the section gives the reason
    grep -q -- "$2" "$T/$1/saddle.md" 2>/dev/null
    report "$1: the reason is named ('$2')" "$([ $? -eq 0 ] || echo "no '$2' in the section")"
}
plant noise "SUPPORTED"
# the planted slope is recovered: b_GD = 7 steps per e-fold (noise 2 steps per run)
why=$("$PYTHON" - "$T/noise/saddle.md" <<'PY' 2>&1
import re, sys
m = re.search(r"b_GD = (\S+) \[(\S+), (\S+)\]", open(sys.argv[1]).read())
e, lo, hi = map(float, m.groups())
if not (abs(e - 7.0) < 0.1 and lo <= 7.0 + 0.02 and hi >= 7.0 - 0.02):
    print(f"b_GD = {e} [{lo}, {hi}], planted 7")
PY
)
report "planted GD slope recovered (7 steps per e-fold)" "$why"
plant gdcens "SUPPORTED"
grep -q 'R = inf \[inf, inf\]' "$T/gdcens/saddle.md" 2>/dev/null
report "GD censored at the smallest scale: R = inf, not dropped" "$([ $? -eq 0 ] || echo 'no R = inf [inf, inf]')"
plant same "NOT SUPPORTED"
named same "rho's 95% CI lies above 0.5"
plant allcens "NOT SUPPORTED"
named allcens "PGD escapes in only 0% of seeds"
plant fewscales "INCONCLUSIVE"
named fewscales "near-saddle scales with a finite GD median"
plant pending "INCONCLUSIVE"
named pending "fewer than 10 finished seeds"
plant target "INCONCLUSIVE"
named target "not a real escape"

# 3. files the analysis must refuse with one line, exit 2
refuse() {   # refuse NAME SYNTH-OPTIONS...
    local name=$1 why=""
    shift
    "$PYTHON" "$ROOT/analysis/claims/synth.py" "$T/real.h5" "$T/$name.h5" "$@" >/dev/null 2>&1
    "$PYTHON" "$AN" "$T/$name.h5" -o "$T/$name" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc -eq 2 ] || why="exit $rc, want 2"
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^saddle: ' "$T/err" || why="$why; stderr: $(head -c 300 "$T/err")"
    report "$name: exit 2, one line" "$why"
}
refuse otherclaim --spec-name claim-overparam-test
refuse format99 --format-version 99

# 4. the theory helpers against hand-computed values
"$PYTHON" - >"$T/out" 2>"$T/err" <<EOF
import math, sys
sys.path.insert(0, "$ROOT/analysis/claims")
import saddle as S
# Saxe: s 0.8, u0 1e-6, uf 0.3, lr 0.1: ln(0.3 * 0.799999 / (1e-6 * 0.5)) / (2 * 0.08) = 81.760
t = float(S.saxe_time(1e-6, 0.3, 0.8, 0.1 * 0.8))
assert abs(t - math.log(0.3 * 0.799999 / (1e-6 * 0.5)) / 0.16) < 1e-9 and abs(t - 81.7596) < 1e-3, t
assert math.isnan(float(S.saxe_time(0.5, 0.3, 0.8, 0.08)))         # u0 above uf: no escape to time
# u_f: L0 0.3, target 0.1, s 0.8: 0.8 - sqrt(0.64 - 0.4) = 0.310102
assert abs(S.u_final(0.3, 0.1, 0.8) - (0.8 - math.sqrt(0.24))) < 1e-12
assert math.isnan(S.u_final(0.5, 0.1, 0.8))                        # target below the model's minimum
# u0: He start of scale 2.5e-9, d 4, h 8: c (1 + h/d)/2 = 3.75e-9; ball r 0.01, d 4, h 8: P 40
assert abs(float(S.u0_gd(2.5e-9, 4, 8)) - 3.75e-9) < 1e-20
assert abs(S.u0_pgd(0.01, 4, 8) - 1e-4 * 8 / (2 * 42)) < 1e-15
print("ok")
EOF
report "theory helpers: hand values" "$(grep -q '^ok' "$T/out" || tail -3 "$T/err")"

suite_end claims_saddle
