#!/usr/bin/env bash
# scaling.sh -- parallel efficiency of `sgdsweep run` on a heterogeneous grid.
#
#   bench/scaling.sh [RANKS...]      default: 1 2 4 ... up to the number of cores
#
# Runs bench/scaling.yaml (widths 16 to 1024: run costs differ ~1000x) with
# each rank count in turn, in one invocation, and prints wall times and the
# efficiency T(1) / (N * T(N)). Env: BUILD (default build), SGDSWEEP.
set -eu
cd "$(dirname "$0")/.."
BIN=${SGDSWEEP:-$PWD/${BUILD:-build}/sgdsweep}
SPEC=bench/scaling.yaml
cores=$(nproc)
if [ $# -gt 0 ]; then ranks="$*"; else
    ranks=1; n=2; while [ $n -le "$cores" ]; do ranks="$ranks $n"; n=$((n * 2)); done
fi
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BIN" check "$SPEC" | grep -E '^(runs|cost)'
echo "cores: $cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo
echo "| ranks | wall s | speed-up | efficiency T1/(N TN) | busy: run time / (N x wall) | mean run time s |"
echo "|---|---|---|---|---|---|"
t1=""
for n in $ranks; do
    extra=""; [ "$n" -gt "$cores" ] && extra="--oversubscribe"
    start=$(date +%s.%N)
    mpirun $extra -np "$n" "$BIN" run "$SPEC" -o "$tmp/r$n.h5" --quiet
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    [ -z "$t1" ] && t1=$t
    # busy fraction: how much of the ranks' time went into training runs
    # (separates the engine's scheduling from hardware contention, which
    # slows every run when all cores compute)
    read -r busy mean < <(/usr/bin/python3 -c "
import h5py; w = h5py.File('$tmp/r$n.h5')['runs/wall_time'][()]
print(w.sum(), w.mean())")
    printf '| %d | %.2f | %.2f | %.0f%% | %.0f%% | %.3f |\n' "$n" "$t" "$(echo "$t1 / $t" | bc -l)" \
        "$(echo "100 * $t1 / ($n * $t)" | bc -l)" "$(echo "100 * $busy / ($n * $t)" | bc -l)" "$mean"
done
if command -v /usr/bin/python3 >/dev/null && [ -f analysis/compare.py ]; then
    for n in $ranks; do
        [ "$n" = 1 ] && continue
        /usr/bin/python3 analysis/compare.py "$tmp/r1.h5" "$tmp/r$n.h5" >/dev/null &&
            echo "results with $n ranks: identical to 1 rank" || echo "results with $n ranks: DIFFER from 1 rank"
    done
fi
