#!/usr/bin/env bash
# claims_deeplinear_test.sh -- claim 3 (deep linear networks have no bad local minima):
# planted answers, the references against closed forms, and the pipeline.
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/claims_deeplinear_test.sh
#
# Runs one tiny real sweep with the shape of jobs/claims/deeplinear-*.yaml (a depth-0
# reference, a main family, a bottleneck; seeds; init scales) through `sgdsweep run` and
# analysis/claims/deeplinear.py (the pipeline: a tiny sweep proves nothing about the
# science). Copies of its result file then get planted end states, written with
# analysis/claims/synth.py (edit, set_metric, make_pending, set_spec_name), so the layout
# stays the engine's:
#   every run at the optimum of its data set                  -> "supported"
#   bad local minima in 3 seeds (converged, lambda_min >= 0,
#     loss 20% above L*)                                      -> "not supported"
#   the same runs with lambda_min just inside the tolerance   -> "not supported"
#   the same runs with clear negative curvature (saddles)     -> "supported"
#   the same runs with lambda_min NaN (Lanczos flag 2)        -> "inconclusive"
#   40% of the main family not converged                      -> "inconclusive"
#   only 6 seeds finished                                     -> "inconclusive"
#   10 runs without a result: not classified (not "unconverged") -> "supported"
#   reference runs without a certificate (large gradient)     -> "inconclusive"
#   a main-family run below L* (reference not the optimum)    -> "inconclusive"
#   a file of another claim, an unknown format_version        -> exit 2, one line
# and the references: `sgdsweep train` at depth 0 ends at the least-squares loss, and a
# one-hidden-layer bottleneck of width 2 at the reduced-rank (Baldi & Hornik) loss, both
# computed in numpy from the data it saved.
# Ends with "claims_deeplinear: P passed, F failed"; exit 1 if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export PYTHONWARNINGS=ignore
case $SGDSWEEP in *build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/claims_deeplinear_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"
AN=$ROOT/analysis/claims/deeplinear.py

# the spec's shape at toy size: 12 seeds x 2 init scales x 9 (depth, width) = 216 runs,
# 144 of them in the main family (widths 3 and 6 >= min(d_in 4, outputs 3)), bottleneck width 2
cat >"$T/spec.yaml" <<'EOF'
name: claim-deeplinear-test
method: grid
seeds: 12
parameters:
  data: teacher
  task: regression
  teacher_act: identity
  teacher_depth: 0
  d_in: 4
  classes: 3
  n_train: 32
  n_test: 16
  target_noise: 0.5
  loss: mse
  act: identity
  bias: false
  init: lecun
  init_scale: [0.5, 1.0]
  depth: [0, 1, 2, 3, 1, 2, 3, 1, 2]
  width: [3, 3, 3, 3, 6, 6, 6, 2, 2]
  optimizer: gd
  precision: float64
  lr: 0.05
  steps: 200
  checkpoints: 6
  sharpness_k: 1
  eig_iters: 60
  eig_tol: 1.0e-5
zip:
  - [depth, width]
EOF

# 1. the pipeline: sweep + analysis on the real (toy) result
claim_pipeline deeplinear 300 "Claim 3: deep linear networks have no bad local minima" deeplinear_landscape.png deeplinear_classes.png deeplinear_curves.png

# 2. planted end states in copies of the real file (synth.py's edit / set_metric)
cat >"$T/plant.py" <<EOF
import sys
import numpy as np
sys.path.insert(0, "$ROOT/analysis/claims")
import synth as S


def plant(f, mode):
    col = lambda k: S.column(f, k)
    depth, width, seed = col("depth").astype(int), col("width").astype(int), col("seed").astype(int)
    n = depth.size
    rng = np.random.default_rng(11)
    lstar = 0.3 + 0.01 * seed                      # each data set its own optimum
    ref, bott = depth == 0, (depth >= 1) & (width < 3)
    main = (depth >= 1) & ~bott
    loss = lstar * (1 + 1e-12 * rng.random(n))     # at the optimum, up to rounding
    loss[bott] = 1.4 * lstar[bott]                 # the rank-2 optimum, above L*
    grad = np.full(n, 1e-13)
    grad[ref] = 1e-14
    lmin = np.where(ref, 0.5, 1e-9 * rng.random(n))
    lmax = np.where(ref, 1.5, 10.0)
    status = np.ones(n, np.int8)
    flags = np.zeros(n, np.int64)
    # the runs that end away from the optimum: one main run in each of seeds 1, 4, 7
    odd = main & np.isin(seed, [1, 4, 7]) & (depth == 2) & (width == 6) & (col("init_scale") == 1.0)
    if mode in ("bad", "edge", "saddle", "unresolved"):
        loss[odd] = 1.2 * lstar[odd]
        grad[odd] = 1e-12
        lmin[odd] = {"bad": 1e-6, "edge": -5e-4, "saddle": -0.05, "unresolved": np.nan}[mode]
        if mode == "unresolved":
            flags[odd] = 2
    if mode == "unconverged":                       # 40% of the main family still descending
        slow = main & (rng.random(n) < 0.4)
        loss[slow] = 1.1 * lstar[slow]
        grad[slow] = 1e-3
        lmin[slow] = 1e-4
    if mode == "uncertified":                       # the depth-0 runs did not converge
        grad[ref] = 1e-2
    if mode == "below":                             # a run better than the "optimum"
        i = np.nonzero(main & (seed == 5))[0][0]
        loss[i] = lstar[i] * (1 - 1e-3)
    S.set_metric(f, "status", status)
    S.set_metric(f, "train_loss", loss)
    S.set_metric(f, "grad_norm", grad)
    S.set_metric(f, "lambda_min", lmin)
    S.set_metric(f, "sharpness", lmax)
    S.set_metric(f, "probe_flags", flags)
    S.set_counts(f)
    if mode == "fewseeds":                          # seeds 6..11 pending (seed varies slowest)
        S.make_pending(f, int(np.count_nonzero(seed >= 6)))
    if mode == "somepending":                       # the last 10 runs (seed 11): 6 of the main family
        S.make_pending(f, 10)
    if mode == "otherclaim":
        S.set_spec_name(f, "claim-overparam-test")
    if mode == "format":
        f.attrs["format_version"] = np.int32(99)


if __name__ == "__main__":
    src, dst, mode = sys.argv[1:4]
    S.edit(src, dst, lambda f: plant(f, mode))
EOF
# every planted file analysed in one process (the CLI is exercised above and below), each
# case: the verdict and a piece of the statement or statistic that names the reason
"$PYTHON" - "$T" "$ROOT" >"$T/out" 2>"$T/err" <<'EOF'
import os, sys
T, ROOT = sys.argv[1:3]
sys.path.insert(0, os.path.join(ROOT, "analysis", "claims"))
sys.path.insert(0, T)
import deeplinear as D
import plant as P
import synth as S
cases = [
    ("global", "supported", "bad local minima 0 of 144 runs"),
    ("bad", "not supported", "3 main-family runs (in 3 seeds) end at a bad local minimum"),
    ("edge", "not supported", "3 main-family runs (in 3 seeds) end at a bad local minimum"),
    ("saddle", "supported", "(b) saddle (negative curvature) 3 "),
    ("unresolved", "inconclusive", "3 converged runs above the optimum have no lambda_min"),
    ("unconverged", "inconclusive", "has its lower bound below 0.75"),
    ("fewseeds", "inconclusive", "6 seeds have a certified reference (need 10)"),
    ("somepending", "supported", "138 runs with a certified reference"),
    ("uncertified", "inconclusive", "have no certified reference"),
    ("below", "inconclusive", "1 main-family runs end below the depth-0 optimum"),
]
for mode, want, text in cases:
    dst = os.path.join(T, mode + ".h5")
    try:
        S.edit(os.path.join(T, "real.h5"), dst, lambda f: P.plant(f, mode))
    except Exception as e:
        print(f"{mode}|plant failed: {type(e).__name__}: {e}")
        continue
    try:
        sec = D.analyze(dst, os.path.join(T, mode), figures=False)   # figures: the pipeline's
    except Exception as e:
        print(f"{mode}|analysis failed: {type(e).__name__}: {e}")
        continue
    why = []
    if sec.verdict != want:
        why.append(f"verdict {sec.verdict!r}, want {want!r} ({sec.statement[:300]})")
    if text not in sec.statement + " " + sec.statistic:
        why.append(f"no {text!r} in the statement or statistic ({sec.statistic})")
    if mode == "unconverged":     # the fraction at the optimum: about 0.6, with an interval around it
        e, lo, hi = sec.decision["fractions"]["a"]
        if not (0.5 < e < 0.7 and lo < e < hi and hi - lo < 0.3):
            why.append(f"fraction at the global minimum {e:.3f} [{lo:.3f}, {hi:.3f}], want ~0.6 inside a CI")
    print(f"{mode} -> {want}|" + "; ".join(why))
EOF
[ -s "$T/out" ] || report "planted answers" "no output: $(tail -2 "$T/err")"
while IFS='|' read -r name why; do
    report "planted $name" "$why"
done <"$T/out"

# 3. refusals: another claim's file, an unknown format version: exit 2, one line
for mode in otherclaim format; do
    "$PYTHON" "$T/plant.py" "$T/real.h5" "$T/$mode.h5" "$mode" >/dev/null 2>&1
    "$PYTHON" "$AN" "$T/$mode.h5" -o "$T/$mode" >"$T/out" 2>"$T/err"
    rc=$?
    why=""
    [ $rc -eq 2 ] || why="exit $rc, want 2"
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -Eq '^deeplinear: .*(claim-deeplinear|format_version 99)' "$T/err" \
        || why="$why; stderr: $(head -c 300 "$T/err")"
    report "$mode file refused: exit 2, one line" "$why"
done

# 4. the references against closed forms, from the data sgdsweep saved: depth 0 ends at the
# least-squares loss, a width-2 bottleneck (one hidden layer) at the reduced-rank loss
#   L_r = L_ls + 1/(2n) sum_{j>r} s_j(X W_ls)^2     (Baldi & Hornik 1989)
set -- --data teacher --task regression --teacher-act identity --teacher-depth 0 --d-in 8 --classes 4 \
    --n-train 128 --n-test 16 --target-noise 0.5 --loss mse --act identity --bias false --init lecun \
    --optimizer gd --precision float64 --lr 0.02 --steps 20000 --seed 3 --quiet
"$SGDSWEEP" train "$@" --depth 0 --save "$T/ls.h5" >"$T/out" 2>"$T/err" &&
    "$SGDSWEEP" train "$@" --depth 1 --width 2 --save "$T/rr.h5" >"$T/out" 2>"$T/err"
rc=$?
"$PYTHON" - "$T/ls.h5" "$T/rr.h5" >"$T/out" 2>"$T/err" <<'EOF'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    X, Y = f["train/x"][()], f["train/y"][()]
    L0 = float(f["metrics"].attrs["train_loss"])
with h5py.File(sys.argv[2], "r") as f:
    L1 = float(f["metrics"].attrs["train_loss"])
n = X.shape[0]
W, *_ = np.linalg.lstsq(X, Y, rcond=None)
Yhat = X @ W
lls = 0.5 * np.sum((Y - Yhat) ** 2) / n
s = np.linalg.svd(Yhat, compute_uv=False)
lr2 = lls + 0.5 * np.sum(s[2:] ** 2) / n
assert abs(L0 / lls - 1) < 1e-10, (L0, lls)
assert abs(L1 / lr2 - 1) < 1e-8, (L1, lr2)
assert lr2 > lls * 1.05, (lr2, lls)             # the bottleneck costs something here
print("ok", L0, lls, L1, lr2)
EOF
report "references: depth 0 = least squares, width-2 bottleneck = reduced rank (closed forms)" \
    "$([ $rc -eq 0 ] && grep -q '^ok' "$T/out" || echo "train exit $rc; $(tail -2 "$T/err")")"

suite_end claims_deeplinear
