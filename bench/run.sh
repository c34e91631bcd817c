#!/usr/bin/env bash
# run.sh -- make bench: SGD step time of sgdsweep's trainer against PyTorch.
#
# Builds nothing: `make bench` builds $BUILD/bench_step first and sets BUILD
# and PYTHON. For every configuration (d 32, 10 classes, ce, relu; widths 16 64
# 256 1024, depth 2 4, batch 32 256) it times our step (bench_step) and torch's
# (torch_step.py, one process serving all requests) alternately, REPS times
# each, and prints medians as a Markdown table (bench/README.md). bench_step
# measures the single-core sgemm peak (1024^3, best of 3) just before and just
# after each of its timings, so that "% of peak" compares with what the machine
# gave at that moment (the other core may be busy). speed-up and % of peak are
# medians of per-repeat ratios of back-to-back measurements.
#
# Environment: BUILD (build), PYTHON (/usr/bin/python3), BENCH_REPS (7, odd),
# BENCH_SECONDS (0.3 s per timing), BENCH_WIDTHS / BENCH_DEPTHS / BENCH_BATCHES
# (a subset of the table, e.g. BENCH_WIDTHS=64 BENCH_BATCHES=32). OPENBLAS_CORETYPE is reported, never set.
# Exit: 0 when every timing ran (targets missed or not), 1 torch missing or a
# side failed, 2 bench_step not built.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
REPS=${BENCH_REPS:-7}
SECS=${BENCH_SECONDS:-0.3}
WIDTHS=${BENCH_WIDTHS:-16 64 256 1024} DEPTHS=${BENCH_DEPTHS:-2 4} BATCHES=${BENCH_BATCHES:-32 256}
STEP=$BUILD/bench_step
# one core per side: BLAS and OpenMP on one thread (the trainer also sets it)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$STEP" ] || { echo "bench: $STEP not found (make bench builds it)" >&2; exit 2; }
"$PYTHON" -c 'import torch' 2>/dev/null ||
    die "PyTorch is missing: '$PYTHON -c \"import torch\"' failed. Install it with 'scripts/deps.sh bench' (Debian package python3-torch)."

ok() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }   # a >= b, as numbers
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- machine and peak -------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
start=$(date +%s)
IFS=$'\t' read -r tag _ pk blas < <("$STEP" peak --size 1024 --reps 5) && [ "$tag" = peak ] || die "$STEP peak failed"
allpk=("$pk")
coproc TORCH { "$PYTHON" bench/torch_step.py --serve --seconds "$SECS"; }
tout=${TORCH[0]} tin=${TORCH[1]} # kept: bash unsets TORCH when the process ends
IFS=$'\t' read -r -t 120 -u "$tout" tag tver || tag=
[ "$tag" = ready ] || die "bench/torch_step.py did not start"

echo "## sgdsweep bench, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
echo
echo "- machine: $cpu, $(getconf _NPROCESSORS_ONLN) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "- BLAS: $blas; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}"
echo "- torch $tver ($PYTHON), 1 thread; ours: $STEP, float32, 1 thread"
echo "- sgemm peak (float32, 1 thread, 1024^3, best of 5): $pk GFLOP/s at start"
echo "- times: medians of $REPS timings of ~${SECS} s per side, ours and torch alternating;"
echo "  speed-up: median over repeats of torch/ours (back-to-back pairs); % sgemm peak: median over"
echo "  repeats of ours GFLOP/s / the mean of the sgemm peaks measured just before and after that timing"
echo
echo "| width | depth | batch | ours µs/step | torch µs/step | speed-up | ours GFLOP/s | % sgemm peak | target |"
echo "|------:|------:|------:|-------------:|--------------:|---------:|-------------:|-------------:|:-------|"

met=0 goals=0 osh=() tsh=()
for width in $WIDTHS; do
    for depth in $DEPTHS; do
        for batch in $BATCHES; do
            ous=() ogf=() tus=() pcts=() rats=()
            for ((r = 0; r < REPS; r++)); do
                for side in $( ((r % 2)) && echo torch ours || echo ours torch); do
                    if [ $side = ours ]; then
                        IFS=$'\t' read -r tag _ _ _ _ us gf sh p0 p1 < <("$STEP" step --seconds "$SECS" --peak 1024 \
                            --width $width --depth $depth --batch $batch) || tag=
                        [ "$tag" = ours ] || die "$STEP step --width $width --depth $depth --batch $batch failed"
                        ous+=("$us") ogf+=("$gf") allpk+=("$p0" "$p1") osh+=("$sh")
                        pcts+=("$(awk -v g="$gf" -v a="$p0" -v b="$p1" 'BEGIN { print 200 * g / (a + b) }')")
                    else
                        echo "$width $depth $batch" >&"$tin"
                        IFS=$'\t' read -r -t 300 -u "$tout" tag _ _ _ _ us sh || tag=
                        [ "$tag" = torch ] || die "bench/torch_step.py failed at width $width depth $depth batch $batch"
                        tus+=("$us") tsh+=("$sh")
                    fi
                done
                rats+=("$(awk -v t="${tus[r]}" -v o="${ous[r]}" 'BEGIN { print t / o }')")
            done
            o=$(median "${ous[@]}") t=$(median "${tus[@]}") g=$(median "${ogf[@]}")
            speedup=$(printf '%.2f' "$(median "${rats[@]}")") pct=$(printf '%.1f' "$(median "${pcts[@]}")")
            target=-
            if [ $batch = 32 ] && { [ $width = 16 ] || [ $width = 64 ]; }; then
                need=$([ $width = 16 ] && echo 20 || echo 10)
                goals=$((goals + 1))
                if ok "$speedup" $need; then target=">=${need}x: met"; met=$((met + 1)); else target=">=${need}x: MISSED"; fi
            elif [ $batch = 256 ] && { [ $width = 256 ] || [ $width = 1024 ]; }; then
                goals=$((goals + 1))
                a=$(ok "$speedup" 1.2 && echo met || echo MISSED) b=$(ok "$pct" 85 && echo met || echo MISSED)
                target=">=1.2x: $a, >=85% peak: $b"
                [ $a = met ] && [ $b = met ] && met=$((met + 1))
            fi
            printf '| %5d | %5d | %5d | %12.1f | %13.1f | %7.2fx | %12.1f | %11.1f%% | %s |\n' \
                $width $depth $batch "$o" "$t" "$speedup" "$g" "$pct" "$target"
        done
    done
done
echo quit >&"$tin"
wait

echo
lo=$(printf '%s\n' "${allpk[@]}" | sort -g | head -1) hi=$(printf '%s\n' "${allpk[@]}" | sort -g | tail -1)
echo "- sgemm peak over the run: median $(median "${allpk[@]}"), range $lo .. $hi GFLOP/s (${#allpk[@]} measurements)"
os=$(printf "%.2f" "$(median "${osh[@]}")") ts=$(printf "%.2f" "$(median "${tsh[@]}")")
echo "- CPU share of the timings (thread CPU time / wall time; 1 = never descheduled): median ours $os, torch $ts"
ok "$os" 0.9 && ok "$ts" 0.9 ||
    echo "- WARNING: the machine was busy (the timings lost the CPU to other processes): times are inflated and noisy; rerun on an idle machine"
echo "- targets met: $met of $goals rows; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(( $(date +%s) - start )) s in all"
exit 0
