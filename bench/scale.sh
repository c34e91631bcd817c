#!/usr/bin/env bash
# scale.sh -- how `sgdsweep run` copes with very many trivial runs (issue: "a million runs").
#
#   bench/scale.sh [N...]        default N: $BENCH_SCALE_RUNS, else 1000000
#
# For each N, writes a spec of N runs that take microseconds (`seeds: N`, depth 0, d_in 4, 8
# training examples, 2 steps, 2 checkpoints: every setting but `seed` constant), runs it on 2 ranks
#   mpirun -q -np 2 sgdsweep run SPEC -o OUT --flush-every S --progress-every 0.1
# and prints one Markdown row: wall time, steady runs/s, rank-0 peak RSS, result-file and journal
# bytes per run, the result-file writes and the share of wall time they took; then, with h5py,
# where the file's bytes go. A 100-run sweep first gives the fixed part of rank 0's RSS (MPI,
# libraries) and the start-up time, which the per-run figures leave out. Not part of
# `make check`; `make bench BENCH_SCALE=1` runs it after the other benches.
#
# How each figure is measured (no strace; the program's own report for the writes):
# - steady runs/s: rank 0's progress lines (every 0.1 s), stamped on arrival; the slope from the
#   first line at >= 10% done to the last at <= 90%.
# - rank-0 peak RSS: rank 0 runs under /usr/bin/time (a wrapper picks OMPI_COMM_WORLD_RANK 0):
#   its ru_maxrss. "KB/run during runs": the largest VmRSS of rank 0 sampled (every 20 ms)
#   between the first file and the end of the runs, when no file is being built.
# - writes and writing s: the program's last line, "done: ... -> FILE (W writes, X s)": every
#   write of the result file timed by rank 0 from the journal's sync to the rename, so X is
#   all the time spent writing (first, periodic and final). Writing % of wall: X over the wall
#   time. Cross-checks from outside: each write renames a new FILE.tmp onto FILE, so each new
#   inode of FILE seen by the 20 ms poll is one write; "set-up s" is the time to the first
#   file less the 100-run sweep's (spec, columns and first write, which grow with N); "final
#   write s (outside)" runs from the end of the runs (the last progress line before it,
#   extrapolated at the steady rate) to the last rename, wrap-up included.
# - resume s (cross-check): one process resumes the finished sweep (`run --resume`): it reads
#   the journal, rebuilds the columns and writes the file twice (set-up and end), so about
#   twice the final write.
# Env: BENCH_SCALE_RUNS (1000000), BENCH_SCALE_FLUSH (10: the program's default --flush-every),
# BENCH_SCALE_TIMEOUT (seconds per sweep, 900; a sweep past it is stopped and reported as such),
# BENCH_SCALE_DIR (scratch; default a new directory under /tmp, removed at the end; a million
# runs need ~1 GB there and ~1 GB of memory), BENCH_SCALE_RESUME (1: the cross-check;
# 0 skips it), BUILD (build), SGDSWEEP, PYTHON (/usr/bin/python3, with h5py: the byte
# breakdown of the file; skipped without it).
set -eu
cd "$(dirname "$0")/.."
BIN=${SGDSWEEP:-$PWD/${BUILD:-build}/sgdsweep}
PY=${PYTHON:-/usr/bin/python3}
FLUSH=${BENCH_SCALE_FLUSH:-10}
TMO=${BENCH_SCALE_TIMEOUT:-900}
if [ $# -gt 0 ]; then sizes="$*"; else sizes=${BENCH_SCALE_RUNS:-1000000}; fi
[ -x "$BIN" ] || { echo "scale.sh: $BIN not built (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scale.sh: needs /usr/bin/time (Debian: time)" >&2; exit 1; }
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# one BLAS thread already: no re-execution (docs/SWEEP.md), rank 0's pid is the wrapper's
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ -n "${BENCH_SCALE_DIR:-}" ]; then tmp=$BENCH_SCALE_DIR; mkdir -p "$tmp"; else
    tmp=$(mktemp -d /tmp/sgdscale.XXXXXX); trap 'rm -rf "$tmp"' EXIT; fi

cat >"$tmp/rank0.sh" <<'EOF'
#!/bin/sh
# rank 0 under /usr/bin/time (ru_maxrss of rank 0 alone); the other ranks as they are
if [ "${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}" = 0 ]; then
    echo $$ >"$SCALE_TMP/time.pid"
    exec /usr/bin/time -f '%M %e' -o "$SCALE_TMP/rank0.time" "$@"
fi
exec "$@"
EOF
chmod +x "$tmp/rank0.sh"

spec() { # N -> spec on stdout
    cat <<EOF
# bench/scale.sh: $1 trivial runs (microseconds each)
name: scale
parameters:
  depth: 0
  d_in: 4
  classes: 2
  n_train: 8
  n_test: 8
  batch: 8
  steps: 2
  checkpoints: 2
seeds: $1
EOF
}

# sweep N OUTPREFIX: run it, print "key value" lines (the monitor's findings) to OUTPREFIX.res
sweep() {
    local n=$1 p=$2
    spec "$n" >"$p.yaml"
    rm -f "$p.h5" "$p.h5.journal" "$tmp/rank0.time" "$tmp/time.pid"
    SCALE_TMP=$tmp SCALE_N=$n SCALE_FLUSH=$FLUSH SCALE_TMO=$TMO "$PY" - "$p" \
        mpirun -q -np 2 "$tmp/rank0.sh" "$BIN" run "$p.yaml" -o "$p.h5" \
        --flush-every "$FLUSH" --progress-every 0.1 <<'EOF'
import os, re, subprocess, sys, threading, time
p, cmd = sys.argv[1], sys.argv[2:]
tmp, n, S, tmo = os.environ["SCALE_TMP"], int(os.environ["SCALE_N"]), float(os.environ["SCALE_FLUSH"]), float(os.environ["SCALE_TMO"])
out = p + ".h5"
t0 = time.monotonic()
proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)
lines = []  # (time, done)
err = []
def reader():
    for ln in proc.stderr:
        m = re.match(r"sgdsweep: (\d+)/(\d+) runs", ln)
        w = re.search(r"\((\d+) writes?, ([0-9.]+) s\)$", ln.rstrip())
        if ln.startswith("sgdsweep: done: ") and w:
            err.append("WRITES %s %s" % (w.group(1), w.group(2)))
        elif m:
            lines.append((time.monotonic() - t0, int(m.group(1))))
        elif not ln.startswith("sgdsweep: ") or "error" in ln or "warning" in ln:
            err.append(ln.rstrip())
threading.Thread(target=reader, daemon=True).start()
pid0, ino, renames, rss = None, None, [], []  # renames: end times of writes; rss: (t, VmRSS kB)
timed_out = False
while proc.poll() is None:
    t = time.monotonic() - t0
    if t > tmo and not timed_out:
        timed_out = True
        os.killpg(proc.pid, 15)
    try:
        i = os.stat(out).st_ino
        if i != ino:
            ino = i
            renames.append(t)
    except FileNotFoundError:
        pass
    if pid0 is None:
        try:  # the sgdsweep of rank 0: the child of /usr/bin/time
            tp = open(tmp + "/time.pid").read().strip()
            kids = open(f"/proc/{tp}/task/{tp}/children").read().split()
            pid0 = kids[0] if kids else None
        except (OSError, IndexError):
            pass
    if pid0:
        try:
            for ln in open(f"/proc/{pid0}/status"):
                if ln.startswith("VmRSS:"):
                    rss.append((t, int(ln.split()[1])))
        except OSError:
            pass
    time.sleep(0.02)
wall = time.monotonic() - t0
try:  # the final write's rename, if the poll missed it
    if os.stat(out).st_ino != ino:
        renames.append(wall)
except FileNotFoundError:
    pass
time.sleep(0.2)
print("rc", proc.returncode, "timed_out", int(timed_out))
print("wall", wall)
done = lines[-1][1] if lines else 0
print("done", done)
mid = [x for x in lines if 0.1 * n <= x[1] <= 0.9 * n]
r = None
if len(mid) >= 2 and mid[-1][0] > mid[0][0]:
    r = (mid[-1][1] - mid[0][1]) / (mid[-1][0] - mid[0][0])
    print("steady", "%.0f" % r)
print("writes", len(renames))
if renames:
    print("first_s", "%.2f" % renames[0])
# the final write: from the end of the runs (extrapolated from the last progress line
# before it at the steady rate) to the final rename
before = [x for x in lines if x[1] < n]
if r and before and len(renames) >= 2 and not timed_out:
    t_end = before[-1][0] + (n - before[-1][1]) / r
    print("runs_s", "%.2f" % (t_end - renames[0]))
    print("write_s", "%.3f" % (renames[-1] - t_end))
    during = [v for t, v in rss if renames[0] + 0.1 < t < t_end - 0.05]
    if during:
        print("rss_runs_kb", max(during))
if rss:
    print("rss_sampled_max_kb", max(r for _, r in rss))
try:
    m, e = open(tmp + "/rank0.time").read().split()[-2:]
    print("rss0_kb", m)
except (OSError, ValueError):
    pass
for e in err:
    if e.startswith("WRITES "):
        print("prog_writes", e.split()[1])
        print("prog_write_s", e.split()[2])
for e in [e for e in err if not e.startswith("WRITES ")][-5:]:
    print("msg", e)
EOF
}

get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }

echo "sgdsweep scale bench, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git rev-parse --short=12 HEAD 2>/dev/null || echo '?')"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(getconf _NPROCESSORS_ONLN) cores," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); 2 ranks;" \
    "runs: depth 0, d_in 4, n_train 8, 2 steps, 2 checkpoints; --flush-every $FLUSH"
sweep 100 "$tmp/base" >"$tmp/base.res"
base_kb=$(get rss0_kb "$tmp/base.res"); base_first=$(get first_s "$tmp/base.res")
echo "a 100-run sweep: rank-0 RSS $((base_kb / 1024)) MiB (the fixed part), its file after $base_first s (start-up)"
echo
echo "| runs | wall s | set-up s | steady runs/s | rank-0 peak RSS MiB | rank-0 KB/run at peak | KB/run during runs | file B/run | journal B/run | writes | writing s | writing % of wall | final write s (outside) | resume s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
status=0
for n in $sizes; do
    p=$tmp/s$n
    sweep "$n" "$p" >"$p.res" || true
    rc=$(get rc "$p.res" | cut -d' ' -f1)
    if [ "$(get rc "$p.res" | cut -d' ' -f3)" = 1 ]; then
        echo "| $n | stopped after ${TMO} s ($(get "done" "$p.res") runs done) ||||||||||||"; status=1; continue
    fi
    if [ "$rc" != 0 ]; then
        echo "| $n | FAILED (exit $rc): $(get msg "$p.res") ||||||||||||"; status=1; continue
    fi
    wall=$(get wall "$p.res"); steady=$(get steady "$p.res"); rss=$(get rss0_kb "$p.res")
    during=$(get rss_runs_kb "$p.res"); writes=$(get writes "$p.res"); ws=$(get write_s "$p.res")
    fb=$(stat -c %s "$p.h5"); jb=$(stat -c %s "$p.h5.journal")
    resume="-"
    if [ "${BENCH_SCALE_RESUME:-1}" = 1 ]; then
        t0=$(date +%s.%N)
        "$BIN" run "$p.yaml" -o "$p.h5" --resume --quiet
        resume=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc -l)")
    fi
    # writing: the program's own count and time of its writes (first, periodic, final)
    first=$(get first_s "$p.res"); pw=$(get prog_writes "$p.res"); pws=$(get prog_write_s "$p.res"); share="-"
    [ -n "$pws" ] && share=$(printf '%.1f%%' "$(echo "100 * $pws / $wall" | bc -l)")
    [ "$pw" = "$writes" ] || pw="$pw ($writes seen)"
    setup=$(printf '%.2f' "$(echo "$first - $base_first" | bc -l)")
    kb() { printf '%.2f' "$(echo "($1 - $base_kb) * 1.024 / $n" | bc -l)"; }
    printf '| %d | %.1f | %s | %s | %d | %s | %s | %d | %d | %s | %s | %s | %s | %s |\n' "$n" "$wall" \
        "$setup" "$steady" $((rss / 1024)) "$(kb "$rss")" "${during:+$(kb "$during")}" \
        $((fb / n)) $((jb / n)) "$pw" "$pws" "$share" "$ws" "$resume"
    # where the file's bytes go (h5py: allocated storage per dataset; the rest is HDF5's
    # metadata, chunk indices and the global heap of the variable-length strings)
    "$PY" - "$p.h5" "$n" >>"$tmp/bytes.txt" 2>/dev/null <<'EOF' || true
import os, sys, h5py
path, n = sys.argv[1], int(sys.argv[2])
f = h5py.File(path, "r")
cat = {}
def add(k, b): cat[k] = cat.get(k, 0) + b
for gname in ("runs", "grid"):
    if gname not in f:
        continue
    g = f[gname]
    for k, d in g.items():
        b = d.id.get_storage_size()
        role = d.attrs.get("role")
        if role is not None:
            kind = "settings, strings (16 B refs)" if d.dtype.kind == "O" else "settings, numbers"
        elif k in ("host", "error"):
            kind = "host, error (16 B refs)"
        elif k.startswith("curve_"):
            kind = "curves"
        elif d.ndim == 1 and d.shape[0] == n:
            kind = "metrics, status, rank, lr_run"
        else:
            kind = "scales"
        add(f"/{gname} {kind}", b)
total = os.path.getsize(path)
add("rest: metadata, chunk indices, string heap", total - sum(cat.values()))
uniform = sum(1 for gname in ("runs", "grid") if gname in f for d in f[gname].values()
              if d.id.get_storage_size() == 0 and not d.is_virtual)
views = sum(1 for d in f["grid"].values() if d.is_virtual) if "grid" in f else 0
cat[f"(datasets stored as a fill value: {uniform}; /grid views of /runs: {views})"] = 0
print(f"{n} runs, {total / n:.0f} B/run:", "; ".join(f"{k} {v / n:.0f}" for k, v in sorted(cat.items(), key=lambda kv: -kv[1])))
EOF
done
if [ -s "$tmp/bytes.txt" ]; then
    echo; echo "file bytes per run by dataset kind (h5py storage sizes):"; sed 's/^/- /' "$tmp/bytes.txt"
fi
exit $status
