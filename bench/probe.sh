#!/usr/bin/env bash
# probe.sh -- make bench: the cost of the loss-landscape probes (probe.h)
# against one gradient evaluation.
#
# Builds nothing: `make bench` builds $BUILD/bench_step first. For each width
# (depth 2, d 32, 10 classes, ce, relu, a probe set of 1000 examples) one
# `bench_step probe` process times, side by side and REPS times, the float64
# gradient over the probe set, one Hessian-vector product and a 20-iteration
# sharpness probe (Lanczos, tol 0: all 20 steps, plus 2 HVPs for residuals),
# and prints medians as a Markdown table (bench/README.md). Target: one HVP
# costs at most 2.5 gradients.
#
# Environment: BUILD (build), BENCH_PROBE_WIDTHS (64 512), BENCH_PROBE_REPS
# (5, odd), BENCH_PROBE_SECONDS (0.2 s per gradient or HVP timing).
# Exit: 0 when every timing ran (target met or not), 1 a timing failed,
# 2 bench_step not built.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
WIDTHS=${BENCH_PROBE_WIDTHS:-64 512}
REPS=${BENCH_PROBE_REPS:-5}
SECS=${BENCH_PROBE_SECONDS:-0.2}
STEP=$BUILD/bench_step
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1   # bench_step also sets it
export LC_ALL=C

[ -x "$STEP" ] || { echo "bench: $STEP not found (make bench builds it)" >&2; exit 2; }
IFS=$'\t' read -r tag _ _ blas < <("$STEP" peak --size 256 --reps 1) && [ "$tag" = peak ] ||
    { echo "bench: $STEP peak failed" >&2; exit 1; }
start=$(date +%s)

echo "## probe cost, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
echo
echo "- machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(getconf _NPROCESSORS_ONLN) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "- BLAS: $blas; 1 thread; probes in float64"
echo "- network: d 32, 10 classes, ce, relu, depth 2, after 100 SGD steps; probe set: 1000 examples"
echo "- times: medians of $REPS repeats in one process; gradient and HVP: mean of the calls in ~${SECS} s,"
echo "  back to back; ratios: medians of per-repeat ratios; sharpness: probe_sharpness k 1, 20 Lanczos"
echo "  steps, tol 0 (22 HVPs with the 2 residual checks); FLOP ratio: matrix products of HVP / gradient"
echo
echo "| width | params | gradient ms | HVP ms | HVP/gradient | FLOP ratio | sharpness ms | sharpness/gradient | gradient GFLOP/s | HVP GFLOP/s | target |"
echo "|------:|-------:|------------:|-------:|-------------:|-----------:|-------------:|-------------------:|-----------------:|------------:|:-------|"
met=0 goals=0 shares=()
for width in $WIDTHS; do
    IFS=$'\t' read -r tag w _ _ P _ g h rh sh rs _ share gfg gfh fr < <("$STEP" probe --width "$width" --depth 2 \
        --reps "$REPS" --seconds "$SECS") || tag=
    [ "$tag" = probe ] || { echo "bench: $STEP probe --width $width failed" >&2; exit 1; }
    goals=$((goals + 1)) shares+=("$share")
    if awk -v r="$rh" 'BEGIN { exit !(r <= 2.5) }'; then target="<=2.5x: met"; met=$((met + 1)); else target="<=2.5x: MISSED"; fi
    printf '| %5d | %6d | %11.2f | %6.2f | %11.2fx | %9.2fx | %12.1f | %17.1fx | %16.1f | %11.1f | %s |\n' \
        "$w" "$P" "$g" "$h" "$rh" "$fr" "$sh" "$rs" "$gfg" "$gfh" "$target"
done
echo
echo "- CPU share of the timings (thread CPU time / wall time; 1 = never descheduled): ${shares[*]}"
low=$(printf '%s\n' "${shares[@]}" | sort -g | head -1)
awk -v s="$low" 'BEGIN { exit !(s < 0.9) }' &&
    echo "- WARNING: the machine was busy (the timings lost the CPU to other processes): rerun on an idle machine"
echo "- targets met: $met of $goals rows; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(( $(date +%s) - start )) s in all"
exit 0
