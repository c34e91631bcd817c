#!/usr/bin/env bash
# sweep_test.sh -- sgdsweep run / check / list end to end (docs/SWEEP.md).
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/sweep_test.sh
#
# The specs are in tests/sweeps/. What is checked:
#   - the same sweep on 1, 2 and 4 ranks and as an MPI singleton gives the same
#     science (analysis/compare.py), and that science is not trivial;
#   - SIGKILL at several moments (before any run finished, early, midway, near
#     the end; rank 0 alone or every rank; twice in a row), then --resume until
#     done: the same science as the uninterrupted sweep;
#   - SIGTERM / SIGUSR1 to the sgdsweep processes (never to mpirun): exit 75, a
#     readable file with pending runs whose finished runs are already right,
#     `completed` empty; --resume completes it to the same science; the same
#     when only rank 0 or only a worker gets it; SIGTERM to a singleton: 75. Signals go to this suite's own ranks,
#     found as the children of its own mpirun, never by name (pkill -x
#     sgdsweep would also hit other sweeps running on the machine);
#   - results are on disk while the sweep runs (--flush-every);
#   - refusals: existing output, nothing to resume, another spec, --resume with
#     --force, an output path that cannot be created; --force replaces;
#   - failure isolation: a missing data file fails its runs only, a huge
#     learning rate diverges, and --resume retries the failed runs;
#   - check / list output, a malformed spec, progress lines, --quiet;
#   - the labelled view through xarray, and compare.py itself.
# Kills and signals land at points set by the sweep's own progress lines (N
# of 24 runs reported done), not by the clock, so they fall before, during and
# near the end of the sweep however fast the build (sanitizers) or the machine.
#
# Environment: SGDSWEEP (the binary; a path containing build-san turns leak
# detection off for the processes that start MPI), PYTHON (with h5py, numpy,
# xarray, h5netcdf), SWEEP_TEST_TIMES=1 (print where the time goes),
# SWEEP_TEST_LIMIT (seconds before a sweep counts as hung, default 180).
# Ends with the line "sweep: P passed, F failed" and exits nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
SW=$HERE/sweeps
COMPARE=$ROOT/analysis/compare.py
LIMIT=${SWEEP_TEST_LIMIT:-180}   # seconds any one sweep may take before it counts as hung

# mpirun refuses root without these; they belong to the test, not the program
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI itself leaks: no leak detection in processes that start MPI
# (check and list, which do not, keep it)
MPIENV=()
case $SGDSWEEP in
*build-san*) MPIENV=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0") ;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/sweep_test.XXXXXX") || exit 1
BG=() # background sweeps still to be waited for (their pids)
cleanup() {
    local p
    for p in "${BG[@]}"; do
        if alive "$p"; then
            pkill -KILL -P "$p" 2>/dev/null
            kill -KILL "$p" 2>/dev/null
        fi
    done
    umount "$T/full" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

# sg ARGS...: sgdsweep without MPI (check, list); stdout -> $T/out, stderr -> $T/err, status -> RC
sg() {
    "$SGDSWEEP" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# launch NP ARGS...: the command line of `sgdsweep run ARGS` on NP ranks (NP 0:
# no mpirun, an MPI singleton) -> CMD
launch() {
    local np=$1
    shift
    CMD=("${MPIENV[@]}")
    if [ "$np" -eq 0 ]; then
        CMD+=("$SGDSWEEP" run "$@")
    elif [ "$np" -le 2 ]; then
        CMD+=(mpirun -q -np "$np" "$SGDSWEEP" run "$@")
    else
        CMD+=(mpirun -q --oversubscribe -np "$np" "$SGDSWEEP" run "$@")
    fi
}

# sweep NP ARGS...: run a sweep to its end; stdout -> $T/out, stderr -> $T/err, status -> RC
sweep() {
    launch "$@"
    timeout -k 5 "$LIMIT" "${CMD[@]}" >"$T/out" 2>"$T/err"
    RC=$?
}

# start NP ARGS...: a sweep in the background; its pid (mpirun's, or the
# singleton's) -> PID, its rank count -> NP
start() {
    NP=$1
    launch "$@"
    # emptied here, not only by the child's redirection: a poll that runs
    # before the child opens them must not read the last sweep's progress
    : >"$T/out"
    : >"$T/err"
    "${CMD[@]}" >"$T/out" 2>"$T/err" &
    PID=$!
    BG+=("$PID")
}

# finish: wait for the background sweep; status -> RC
finish() {
    local keep=() p
    wait "$PID"
    RC=$?
    for p in "${BG[@]}"; do
        [ "$p" != "$PID" ] && keep+=("$p")
    done
    BG=("${keep[@]}")
}

# rank_pids [R]: the sgdsweep processes of the background sweep (only rank R if given)
rank_pids() {
    local want=${1:-} p r
    if [ "$NP" -eq 0 ]; then
        echo "$PID"
        return
    fi
    for p in $(pgrep -P "$PID"); do
        r=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ -n "$r" ] && { [ -z "$want" ] || [ "$r" = "$want" ]; } && echo "$p"
    done
}

# same NAME A B: compare.py says A and B hold the same science
same() {
    local out rc
    out=$("$PYTHON" "$COMPARE" "$2" "$3" 2>&1)
    rc=$?
    report "$1" "$([ $rc -eq 0 ] || printf 'compare.py exit %d: %s' $rc "$(head -3 <<<"$out" | tr '\n' ';')")"
}

# pyrun NAME ARGS... <<'EOF' ... EOF
#   runs Python from stdin; each line "ok NAME" is a pass, each "FAIL NAME: why"
#   a failure; a script that dies is one more failure.
pyrun() {
    local name=$1 out rc np nf
    shift
    out=$("$PYTHON" - "$@" 2>&1)
    rc=$?
    np=$(grep -c '^ok ' <<<"$out")
    nf=$(grep -c '^FAIL ' <<<"$out")
    P=$((P + np))
    F=$((F + nf))
    grep '^FAIL ' <<<"$out"
    if [ $rc -ne 0 ] || [ $((np + nf)) -eq 0 ]; then
        F=$((F + 1))
        printf 'FAIL %s: python exited %d\n%s\n' "$name" $rc "$(tail -5 <<<"$out")"
    fi
}

# one_line CODE PATTERN...: the last command exited CODE, printed nothing on
# stdout and one line "sgdsweep: ..." on stderr containing every PATTERN -> WHY
one_line() {
    local code=$1 n p
    shift
    WHY=""
    [ "$RC" -eq "$code" ] || WHY+="exit $RC, want $code; "
    [ -s "$T/out" ] && WHY+="stdout not empty; "
    n=$(wc -l <"$T/err")
    [ "$n" -eq 1 ] || WHY+="stderr has $n lines, want 1; "
    grep -q '^sgdsweep: ' "$T/err" || WHY+="stderr does not start with 'sgdsweep: '; "
    for p in "$@"; do
        grep -qF -e "$p" "$T/err" || WHY+="message lacks '$p'; "
    done
}

sums() { cksum "$@" 2>&1; }

# section NAME: with SWEEP_TEST_TIMES set, print the seconds so far (where the time goes)
section() { [ -z "${SWEEP_TEST_TIMES:-}" ] || printf '%4d s  %s\n' $SECONDS "$1"; }

# attr FILE NAME: a root attribute of a result file
attr() {
    "$PYTHON" -c 'import sys, h5py
v = h5py.File(sys.argv[1], "r").attrs[sys.argv[2]]
print(v.decode() if isinstance(v, bytes) else v)' "$1" "$2" 2>&1
}

if [ ! -x "$SGDSWEEP" ]; then
    echo "FAIL setup: $SGDSWEEP is not an executable (build it with make)"
    echo "sweep: 0 passed, 1 failed"
    exit 1
fi
if ! command -v mpirun >/dev/null; then
    echo "FAIL setup: no mpirun (apt-get install openmpi-bin)"
    echo "sweep: 0 passed, 1 failed"
    exit 1
fi
cd "$T" || exit 1
cp "$SW"/*.yaml "$T"/
N_SMALL=12 N_SLOW=24

# ---------------------------------------------------------------- check and list
section "check and list"
sg check small.yaml
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
sha=$(sha256sum small.yaml | cut -d' ' -f1)
for l in "small.yaml: ok" "$(printf 'runs\t12')" "$(printf 'sha256\t%s' "$sha")" \
    "$(printf 'axis\twidth\t2 values: 8 24')" "$(printf 'axis\tlr\t3 values: 0.025 0.085 0.29')" \
    "$(printf 'axis\tseed\t2 values: 0 1')" "$(printf 'dim\twidth\t2')" "$(printf 'dim\tlr\t3')" \
    "$(printf 'dim\tseed\t2')" "$(printf 'steps\t3600')"; do
    grep -qxF -e "$l" "$T/out" || why+="no line '$l'; "
done
report "check: runs, sha256 (= sha256sum), axes, dims, total steps" "$why"

sg list small.yaml
cp "$T/out" "$T/list"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
# expected: the Cartesian product in spec order, the last axis (seeds) fastest
{
    printf 'run\twidth\tlr\tseed\tsteps\n'
    i=0
    for w in 8 24; do for lr in 0.025 0.085 0.29; do for s in 0 1; do
        printf '%d\t%s\t%s\t%s\t300\n' $i $w $lr $s
        i=$((i + 1))
    done; done; done
} >"$T/list_want"
cmp -s "$T/list" "$T/list_want" || why+="table differs: $(diff "$T/list_want" "$T/list" | head -4 | tr '\n\t' '  ')"
report "list: header plus one row per run, row-major with seed fastest" "$why"

for c in check list run; do
    mkdir -p "$T/mal_$c"
    (cd "$T/mal_$c" && "$SGDSWEEP" "$c" ../malformed.yaml >"$T/out" 2>"$T/err")
    RC=$?
    one_line 2 "../malformed.yaml:6:8:" "valeus"
    [ -z "$(find "$T/mal_$c" -mindepth 1)" ] || WHY+="wrote $(find "$T/mal_$c" -mindepth 1 | tr '\n' ' '); "
    report "malformed spec: $c exits 2 with SPEC:LINE:COL:, writes nothing" "$WHY"
done
"${MPIENV[@]}" "$SGDSWEEP" run malformed.yaml -o "$T/mal.h5" >"$T/out" 2>"$T/err"
RC=$?
one_line 2 "malformed.yaml:6:8:"
[ -e "$T/mal.h5" ] || [ -e "$T/mal.h5.journal" ] && WHY+="an output file was written; "
report "malformed spec: run -o FILE exits 2 and writes no FILE or journal" "$WHY"

# make run's mpirun command (make -n prints it), failing: one line on the screen,
# not Open MPI's 11-line abort banner around it
mrun=$(make -n --no-print-directory -C "$ROOT" run BUILD="$(dirname "$SGDSWEEP")" RUN_SPEC="$T/malformed.yaml" \
    RUN_OUT="$T/mr.h5" NP=2 2>/dev/null | grep -E '(^| )mpirun ' | head -1)
(cd "$ROOT" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 eval "$mrun") >"$T/out" 2>"$T/err"
RC=$?
one_line 2 "malformed.yaml:6:8:"
[ -n "$mrun" ] || WHY+="no mpirun line in make -n run; "
report "make run's mpirun, failing: one line on the screen (no Open MPI banner)" "$WHY"

# ---------------------------------------------------------------- same science on 1, 2, 4 ranks
section "same science on 1, 2, 4 ranks"
sweep 1 small.yaml -o np1.h5 --quiet
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ -s "$T/err" ] && why+="stderr not empty; "
report "mpirun -np 1 --quiet: exit 0, nothing on stderr" "$why"
sweep 2 small.yaml -o np2.h5 --quiet
report "mpirun -np 2: exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
sweep 4 small.yaml -o np4.h5 --quiet
report "mpirun --oversubscribe -np 4: exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
sweep 0 small.yaml -o np0.h5 --progress-every 0.05
cp "$T/err" "$T/progress"
report "singleton (no mpirun): exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
for pair in "np1 np2" "np1 np4" "np1 np0" "np2 np4" "np2 np0" "np4 np0"; do
    read -r a b <<<"$pair"
    same "same science: $a vs $b" "$a.h5" "$b.h5"
done

# --compress L: the curves and probe arrays shuffled and deflated, the same
# science; a level outside 0-9 is a usage error before anything is written
sweep 2 small.yaml -o npz.h5 --compress 6 --quiet
report "--compress 6: exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
same "same science: np2 vs --compress 6" np2.h5 npz.h5
"$PYTHON" - "$T/npz.h5" "$T/np2.h5" >"$T/out" 2>&1 <<'PY'
import sys, h5py
z, p = h5py.File(sys.argv[1], "r")["runs"], h5py.File(sys.argv[2], "r")["runs"]
rows = [k for k in z if (k.startswith("curve_") or z[k].ndim == 2) and z[k].id.get_storage_size() > 0]
bad = [k for k in rows if z[k].compression != "gzip" or z[k].compression_opts != 6 or not z[k].shuffle]
bad += [k for k in rows if p[k].compression is not None]
print("ok" if rows and not bad else f"stored row datasets {rows}; wrong filters {bad}")
PY
report "--compress 6: curves and probe arrays gzip 6 + shuffle (default: none)" "$(grep -qx ok "$T/out" || head -c 300 "$T/out")"
for bad in 10 -1 x 1.5; do
    "$SGDSWEEP" run small.yaml -o "$T/npbad.h5" --compress "$bad" >"$T/out" 2>"$T/err"
    RC=$?
    report "--compress $bad: exit 2, one line, no file" "$([ "$RC" -eq 2 ] || echo "exit $RC; ")$(
        [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "--compress: value '$bad'" "$T/err" || echo "stderr: $(head -c 200 "$T/err"); ")$(
        [ ! -e "$T/npbad.h5" ] || echo "file written")"
done

# OpenBLAS threads: OpenBLAS would start one per core a process may run on
# (with ranks not bound to a core: needs 2 cores); each rank re-executes itself
# with OPENBLAS_NUM_THREADS=1 instead, so there is nothing to note, whatever
# the environment says (rank 0 notes extra threads only if that failed)
if [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
    env -u OPENBLAS_NUM_THREADS -u GOTO_NUM_THREADS OMP_NUM_THREADS=2 timeout -k 5 "$LIMIT" "${MPIENV[@]}" \
        mpirun --bind-to none -np 2 "$SGDSWEEP" run small.yaml -o blas_many.h5 >"$T/out" 2>"$T/err"
    RC=$?
    why=""
    [ "$RC" -eq 0 ] || why+="exit $RC; "
    grep -q 'OpenBLAS started' "$T/err" && why+="noted OpenBLAS threads: $(grep 'OpenBLAS started' "$T/err" | head -1); "
    report "OPENBLAS_NUM_THREADS unset, OMP_NUM_THREADS=2, 2 unbound ranks: one BLAS thread per rank, no note" "$why"
    same "same science whatever the BLAS environment: np2 vs blas_many" np2.h5 blas_many.h5
    timeout -k 5 "$LIMIT" "${MPIENV[@]}" mpirun --bind-to none -np 2 "$SGDSWEEP" run small.yaml -o blas_two.h5 \
        --blas-threads 2 --quiet >"$T/out" 2>"$T/err"
    RC=$?
    # (not compared bit for bit: with 2 threads BLAS may sum in another order;
    # the float64 probes then differ in the last bit)
    report "run --blas-threads 2: exit 0, every run done" \
        "$([ "$RC" -eq 0 ] && [ "$(attr blas_two.h5 n_done)" = 12 ] || echo "exit $RC: $(head -1 "$T/err")")"
    OPENBLAS_NUM_THREADS=1 timeout -k 5 "$LIMIT" "${MPIENV[@]}" \
        mpirun --bind-to none -np 2 "$SGDSWEEP" run small.yaml -o blas_one.h5 >"$T/out" 2>"$T/err"
    RC=$?
    why=""
    [ "$RC" -eq 0 ] || why+="exit $RC; "
    grep -q 'OpenBLAS started' "$T/err" && why+="noted OpenBLAS threads although OPENBLAS_NUM_THREADS=1; "
    report "OPENBLAS_NUM_THREADS=1, 2 unbound ranks: no note" "$why"
fi

# progress with stderr not a terminal: plain lines, counts and an ETA
why=""
grep -q $'\r' "$T/progress" && why+="carriage returns (a terminal bar) in a file; "
grep -qvE '^sgdsweep: ' "$T/progress" && why+="a line without 'sgdsweep: '; "
grep -qE '^sgdsweep: [0-9]+/12 runs .*ETA ' "$T/progress" || why+="no 'N/12 runs ... ETA' line; "
grep -qE '^sgdsweep: 12/12 runs ' "$T/progress" || why+="no final '12/12 runs' line; "
grep -qE '^sgdsweep: done: 12 runs' "$T/progress" || why+="no 'done: 12 runs' line; "
report "progress lines on a non-terminal: runs, ETA, final count" "$why"

pyrun "results are not trivial" "$T" "$N_SMALL" <<'EOF'
import sys, h5py, numpy as np
T, n = sys.argv[1], int(sys.argv[2])
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(T + "/np1.h5", "r") as f:
    st = f["runs/status"][()]
    check("np1: every run done", st.tolist() == [1] * n, str(st.tolist()))
    a = f.attrs
    check("np1: n_runs, n_done, n_diverged, n_failed attributes",
          (a["n_runs"], a["n_done"], a["n_diverged"], a["n_failed"]) == (n, n, 0, 0),
          str((a["n_runs"], a["n_done"], a["n_diverged"], a["n_failed"])))
    check("np1: completed is a time", text(a["completed"]).endswith("Z"), repr(a["completed"]))
    tl = f["grid/train_loss"][()]                          # [width, lr, seed]
    ok = tl.shape == (2, 3, 2) and all(len(set(tl[w, :, s].tolist())) == 3 for w in range(2) for s in range(2))
    check("np1: train_loss differs along the lr axis", ok, str(tl.tolist()))
    check("np1: train losses finite and below the initial loss",
          np.isfinite(tl).all() and (f["runs/train_loss"][()] < f["runs/curve_train_loss"][:, 0]).all())
    check("np1: runs/lr is the spec's lr for each run",
          f["runs/lr"][()].tolist() == [lr for w in (8, 24) for lr in (0.025, 0.085, 0.29) for s in (0, 1)],
          str(f["runs/lr"][()].tolist()))
    check("np1: /spec is the spec file, spec_sha256 its SHA-256",
          text(f["spec"][()]) == open(T + "/small.yaml").read()
          and text(a["spec_sha256"]) == __import__("hashlib").sha256(open(T + "/small.yaml", "rb").read()).hexdigest())
for tag, size in (("np1", 1), ("np2", 2), ("np4", 4), ("np0", 1)):
    with h5py.File("%s/%s.h5" % (T, tag), "r") as f:
        ranks = sorted(set(f["runs/rank"][()].tolist()))
        check("%s: mpi_size %d, ranks used within it" % (tag, size),
              f.attrs["mpi_size"] == size and ranks[0] >= 0 and ranks[-1] < size, "%s %s" % (f.attrs["mpi_size"], ranks))
        if size > 1:
            check("%s: the work was spread over more than one rank" % tag, len(ranks) > 1, str(ranks))
EOF

# ---------------------------------------------------------------- the labelled view (xarray)
section "the labelled view (xarray)"
pyrun "xarray view" "$T" "$N_SMALL" <<'EOF'
import sys
T, n = sys.argv[1], int(sys.argv[2])
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
import numpy as np, xarray as xr
path = T + "/np2.h5"
rows = [l.rstrip("\n").split("\t") for l in open(T + "/list")][1:]
with xr.open_dataset(path, engine="h5netcdf", group="runs") as r, \
     xr.open_dataset(path, engine="h5netcdf", group="grid") as g:
    check("xarray: group runs has dim run of n_runs", r.sizes.get("run") == n and r.train_loss.dims == ("run",),
          "%s %s" % (dict(r.sizes), r.train_loss.dims))
    # docs/FORMAT.md: K is the largest checkpoints setting (5 here); a run
    # records at most that many points, from step 0 to its budget (300)
    K = 5
    steps = r.curve_step.values[0]
    valid = steps[steps >= 0]
    want = {"width": 2, "lr": 3, "seed": 2, "checkpoint": K}
    # and the dimensions of the probe arrays the spec switches on (docs/FORMAT.md, Probes)
    probe_dims = {"eig_index": 2, "alpha": 5, "bin": 64, "slq": 2 * 6, "layer": 3}
    check("xarray: grid dims width, lr, seed, checkpoint (and the probes') with the right sizes",
          dict(g.sizes) == dict(want, **probe_dims) and g.train_loss.dims == ("width", "lr", "seed")
          and g.curve_train_loss.dims == ("width", "lr", "seed", "checkpoint"),
          "%s %s" % (dict(g.sizes), g.curve_train_loss.dims))
    check("xarray: a curve runs from step 0 to step 300, then padding",
          1 < len(valid) <= 5 and valid[0] == 0 and valid[-1] == 300 and (steps[len(valid):] == -1).all(), str(steps))
    check("xarray: coordinates are the spec's values",
          g.width.values.tolist() == [8, 24] and g.lr.values.tolist() == [0.025, 0.085, 0.29]
          and g.seed.values.tolist() == [0, 1] and g.checkpoint.values.tolist() == list(range(K)),
          "%s %s %s" % (g.width.values, g.lr.values, g.seed.values))
    # each run of `list` sits at its coordinates in the grid
    bad = []
    for row in rows:
        i, w, lr, s = int(row[0]), int(row[1]), float(row[2]), int(row[3])
        cell = g.sel(width=w, lr=lr, seed=s)
        if not (cell.train_loss.values == r.train_loss.values[i]
                and np.array_equal(cell.curve_train_loss.values, r.curve_train_loss.values[i], equal_nan=True)
                and cell.status.values == r.status.values[i]):
            bad.append(i)
    check("xarray: grid.sel(width, lr, seed) is the run `list` puts there", not bad and len(rows) == n,
          "runs %s" % bad)
EOF

# ---------------------------------------------------------------- compare.py itself
section "compare.py itself"
pyrun "compare.py" "$T" "$COMPARE" <<'EOF'
import contextlib, io, shutil, sys
import h5py, numpy as np
T, script = sys.argv[1], sys.argv[2]
sys.path.insert(0, script.rsplit("/", 1)[0])
import compare
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def run(a, b):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = compare.main(["compare.py", a, b])
    return rc, out.getvalue().splitlines()
ref = T + "/np1.h5"
def variant(tag, edit):
    p = "%s/cmp_%s.h5" % (T, tag)
    shutil.copy(ref, p)
    with h5py.File(p, "r+") as f:
        edit(f)
    return run(ref, p)
def setv(path, idx, val):
    def e(f):
        d = f[path][()]
        d[idx] = val
        f[path][...] = d
    return e
def seta(obj, name, val):
    def e(f):
        f[obj].attrs[name] = val
    return e
def regrid(name, src):
    # /grid/NAME made a view of another /runs dataset (same element count)
    def e(f):
        g = f["grid"]
        shape, dtype = g[name].shape, g[name].dtype
        del g[name]
        vs, ss = h5py.h5s.create_simple(shape), h5py.h5s.create_simple((int(np.prod(shape)),))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_virtual(vs, b".", src.encode(), ss)
        h5py.h5d.create(g.id, name.encode(), h5py.h5t.py_create(dtype), vs, dcpl=dcpl).close()
    return e
def both(*es):
    def e(f):
        for x in es:
            x(f)
    return e
tl = h5py.File(ref, "r")["runs/train_loss"][()]
# what must not count
for tag, ed in [("wall_time", both(setv("runs/wall_time", 3, 99.5), setv("grid/wall_time", (0, 1, 1), 99.5))),
                ("rank_host", both(setv("runs/rank", 0, 7), setv("runs/host", 2, "elsewhere"))),
                ("provenance", both(*[seta("/", k, "x") for k in ("created", "updated", "completed", "hosts",
                                        "command_line", "git_commit", "mpi_version", "hdf5_version",
                                        "blas_version", "program_version")],
                                    seta("/", "mpi_size", np.int32(64)), seta("/", "resumes", np.int64(3))))]:
    rc, out = variant(tag, ed)
    check("compare: a different %s is the same science" % tag, rc == 0 and not out, "exit %d %s" % (rc, out))
# what must count, each reported on one line naming it
for tag, ed, want in [
        ("one ulp", setv("runs/train_loss", 5, np.nextafter(tl[5], np.inf)), "/runs/train_loss"),
        # /grid is a view of /runs (docs/FORMAT.md, Storage): the edit lands in the source
        ("grid curve", setv("grid/curve_test_acc", (1, 2, 0, 3), 0.5), "/runs/curve_test_acc"),
        # (re-made by hand: its attributes are gone too, reported after it)
        ("grid view's source", regrid("train_loss", "/runs/test_loss"), "/grid/train_loss: a view of"),
        ("-0.0 for 0.0", setv("runs/label_noise", 0, -0.0), "/runs/label_noise"),
        ("NaN for a number", setv("runs/test_loss", 0, np.nan), "/runs/test_loss"),
        ("status", setv("runs/status", 11, 0), "/runs/status"),
        ("string setting", setv("runs/act", 4, "tanh"), "/runs/act"),
        ("dataset attribute", seta("runs/train_loss", "description", "changed"), "/runs/train_loss: attribute description"),
        ("root n_done", seta("/", "n_done", np.int64(11)), "attribute n_done"),
        ("spec_sha256", seta("/", "spec_sha256", "0" * 64), "attribute spec_sha256"),
        ("spec text", lambda f: (f.__delitem__("spec"), f.create_dataset("spec", data="method: grid\n")), "/spec"),
        ("extra root attribute", seta("/", "note", "x"), "attribute note only in B")]:
    rc, out = variant(tag.replace(" ", "_").replace("-", "m").replace(".", ""), ed)
    check("compare: %s is a difference, one line naming it" % tag,
          rc == 1 and (len(out) == 1 or tag == "grid view's source") and want in out[0], "exit %d, %s" % (rc, out))
# a deleted dataset (the dimension scales' back-references to it differ too)
rc, out = variant("missing", lambda f: f.__delitem__("grid/test_acc"))
check("compare: a missing dataset is a difference naming it",
      rc == 1 and "/grid/test_acc: dataset only in A" in out, "exit %d, %s" % (rc, out))
# NaN equals NaN whatever its bits (pending runs, metrics without a value)
def nan_payload(f):
    d = f["runs/train_loss"][()]
    d[[0, 1]] = np.nan
    d.view(np.uint64)[1] |= np.uint64(0x1234)
    f["runs/train_loss"][...] = d
a, b = T + "/cmp_nan_a.h5", T + "/cmp_nan_b.h5"
shutil.copy(ref, a)
shutil.copy(ref, b)
with h5py.File(a, "r+") as f:
    d = f["runs/train_loss"][()]
    d[[0, 1]] = np.nan
    f["runs/train_loss"][...] = d
with h5py.File(b, "r+") as f:
    nan_payload(f)
rc, out = run(a, b)
check("compare: NaN equals NaN, whatever its payload", rc == 0 and not out, "exit %d %s" % (rc, out))
rc, out = run(ref, ref)
check("compare: a file is the same science as itself", rc == 0 and not out, "exit %d %s" % (rc, out))
EOF
why=""
"$PYTHON" "$COMPARE" np1.h5 >/dev/null 2>"$T/err" && why+="one argument accepted; "
[ -s "$T/err" ] || why+="no usage message; "
"$PYTHON" "$COMPARE" np1.h5 "$T/none.h5" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || why+="missing file: exit $rc, want 2; "
"$PYTHON" "$COMPARE" np1.h5 small.yaml >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || why+="not HDF5: exit $rc, want 2; "
"$PYTHON" "$COMPARE" np1.h5 np2.h5 a b >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || why+="three arguments: exit $rc, want 2; "
"$PYTHON" "$COMPARE" np1.h5 "$T/cmp_status.h5" >"$T/out" 2>&1
rc=$?
{ [ $rc -eq 1 ] && [ "$(wc -l <"$T/out")" -eq 1 ]; } || why+="a difference: exit $rc and $(wc -l <"$T/out") lines, want 1 and 1; "
report "compare.py command line: exit 2 on usage and file errors, 1 on a difference" "$why"

# ---------------------------------------------------------------- refusals
section "refusals"
sums np1.h5 np1.h5.journal >"$T/sum_before"
unchanged() { sums np1.h5 np1.h5.journal | cmp -s - "$T/sum_before" || WHY+="np1.h5 or its journal changed; "; }

"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o np1.h5 >"$T/out" 2>"$T/err"
RC=$?
one_line 4 "np1.h5" "exists" "--resume" "--force"
unchanged
report "existing result without --resume/--force: exit 4, one line, file untouched" "$WHY"

"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o np1.h5 --resume --force >"$T/out" 2>"$T/err"
RC=$?
one_line 2 "--resume" "--force"
unchanged
report "--resume with --force: exit 2, one line, file untouched" "$WHY"

# --resume with neither result nor journal (a start killed before its journal
# existed, a requeued job, a wrapper that always resumes): a new sweep, with a note
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o fresh.h5 --resume --quiet >"$T/out" 2>"$T/err"
RC=$?
WHY=""
[ "$RC" -eq 0 ] || WHY+="exit $RC, want 0; "
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^sgdsweep: note: nothing to resume.*fresh.h5.*from the beginning' "$T/err" ||
    WHY+="not one note line (even under --quiet): $(head -c 200 "$T/err"); "
[ "$(attr fresh.h5 resumes)" = 0 ] || WHY+="resumes $(attr fresh.h5 resumes), want 0; "
report "--resume with nothing there: a new sweep, exit 0, one note line" "$WHY"
same "--resume with nothing there: the sweep's science" np1.h5 fresh.h5
# an empty journal (killed inside its creation, before the header): resumed as a new sweep
: >empty.h5.journal
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o empty.h5 --resume --quiet >"$T/out" 2>"$T/err"
RC=$?
report "--resume with an empty journal: starts afresh, exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC: $(head -1 "$T/err")")"
same "--resume with an empty journal: the sweep's science" np1.h5 empty.h5
printf 'not a journal' >junk.h5.journal
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o junk.h5 --resume >"$T/out" 2>"$T/err"
RC=$?
one_line 4 "junk.h5.journal" "not an sgdsweep journal"
[ "$(cat junk.h5.journal)" = "not a journal" ] || WHY+="the file was changed; "
report "--resume with a short file that is no journal: exit 4, file untouched" "$WHY"

cp np1.h5 nojournal.h5
s0=$(sums nojournal.h5)
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o nojournal.h5 --resume >"$T/out" 2>"$T/err"
RC=$?
one_line 4 "nojournal.h5" "journal"
[ "$(sums nojournal.h5)" = "$s0" ] || WHY+="nojournal.h5 changed; "
report "--resume of a result without its journal: exit 4, file untouched" "$WHY"

cp np1.h5.journal orphan.h5.journal
s0=$(sums orphan.h5.journal)
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o orphan.h5 >"$T/out" 2>"$T/err"
RC=$?
one_line 4 "orphan.h5" "journal"
[ "$(sums orphan.h5.journal)" = "$s0" ] || WHY+="the journal changed; "
[ -e orphan.h5 ] && WHY+="orphan.h5 written; "
report "a journal without its result, no --resume: exit 4, journal untouched" "$WHY"

sed 's/^  steps: 300$/  steps: 301/' small.yaml >edited.yaml
report "setup: edited.yaml differs from small.yaml in one value" \
    "$([ "$(diff small.yaml edited.yaml | grep -c '^[<>]')" -eq 2 ] || echo "sed did not edit steps: 300")"
"${MPIENV[@]}" "$SGDSWEEP" run edited.yaml -o np1.h5 --resume >"$T/out" 2>"$T/err"
RC=$?
one_line 2 "spec" "SHA-256"
unchanged
left=$(ls np1.h5.tmp 2>/dev/null)
[ -z "$left" ] || WHY+="left $left; "
report "--resume with an edited spec: exit 2, names the spec's SHA-256, file and journal untouched" "$WHY"

"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o /dev/null/x.h5 >"$T/out" 2>"$T/err"
RC=$?
one_line 4 "/dev/null/x.h5"
report "an output path that cannot be created (/dev/null/x.h5): exit 4, one line naming it" "$WHY"

mkdir adir
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o adir >"$T/out" 2>"$T/err"
RC=$?
one_line 4 "adir" "not a regular file"
grep -q -- "--force replaces" "$T/err" && WHY+="offers --force for a directory; "
report "a directory as the output: exit 4, 'not a regular file', no --force advice" "$WHY"
"${MPIENV[@]}" "$SGDSWEEP" run small.yaml -o adir --force --quiet >"$T/out" 2>"$T/err"
RC=$?
WHY=""
[ "$RC" -ne 0 ] || WHY+="exit 0; "
grep -q 'adir' "$T/err" || WHY+="the message does not name adir; "
[ -d adir ] && [ -z "$(ls -A adir)" ] || WHY+="the directory was changed; "
report "a directory as the output, even with --force: an error naming it, directory intact" "$WHY"

cp np1.h5 forced.h5
cp np1.h5.journal forced.h5.journal
s0=$(sums forced.h5)
sweep 0 edited.yaml -o forced.h5 --force --quiet
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ -s "$T/err" ] && why+="stderr not empty under --quiet; "
[ "$(sums forced.h5)" != "$s0" ] || why+="file unchanged; "
[ "$(attr forced.h5 spec_sha256)" = "$(sha256sum edited.yaml | cut -d' ' -f1)" ] || why+="spec_sha256 is not the new spec's; "
[ "$(attr forced.h5 n_done)" = 12 ] || why+="n_done $(attr forced.h5 n_done); "
report "--force replaces result and journal with the new sweep (--quiet: silent)" "$why"
sweep 0 edited.yaml -o forced.h5 --resume --quiet
report "... and that sweep's journal resumes (nothing left to do)" "$([ "$RC" -eq 0 ] || echo "exit $RC")"

# ---------------------------------------------------------------- file systems without locks
section "file systems without locks"
# tests/nolock.c (LD_PRELOAD) makes flock fail as on Lustre without -o flock
# (ENOLCK, ENOSYS, EOPNOTSUPP), and with NOLOCK_FCNTL=1 fcntl's locks too.
# sgdsweep falls back to fcntl locks, and without those runs unlocked with one
# warning line. (ASan must come first among the libraries unless told.)
NOLOCK=()
if cc -shared -fPIC -o "$T/nolock.so" "$HERE/nolock.c" -ldl 2>"$T/err"; then
    NOLOCK=(env "LD_PRELOAD=$T/nolock.so" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0")
    for en in ENOLCK ENOSYS EOPNOTSUPP; do
        rm -f nl.h5 nl.h5.journal
        NOLOCK_ERRNO=$en "${NOLOCK[@]}" "$SGDSWEEP" run small.yaml -o nl.h5 --quiet >"$T/out" 2>"$T/err"
        RC=$?
        why=""
        [ "$RC" -eq 0 ] || why+="exit $RC; "
        [ -s "$T/err" ] && why+="stderr: $(head -c 200 "$T/err"); "
        report "flock fails with $en: fcntl locks instead, exit 0, silent" "$why"
    done
    same "flock failing: the sweep's science" np1.h5 nl.h5
    # the fcntl lock still keeps a second sgdsweep out
    rm -f nl2.h5 nl2.h5.journal
    NOLOCK_ERRNO=ENOSYS "${NOLOCK[@]}" "$SGDSWEEP" run slow.yaml -o nl2.h5 --quiet >/dev/null 2>&1 &
    PID=$! NP=0
    PID0=$PID
    BG+=("$PID")
    wait_for '[ -e nl2.h5 ]'
    NOLOCK_ERRNO=ENOSYS "${NOLOCK[@]}" "$SGDSWEEP" run slow.yaml -o nl2.h5 --resume >"$T/out" 2>"$T/err"
    RC=$?
    one_line 4 "nl2.h5.journal" "in use by another sgdsweep"
    report "flock failing: the fcntl lock refuses a second sgdsweep on the same result (exit 4)" "$WHY"
    kill -TERM "$PID0" 2>/dev/null
    finish
    rm -f nl.h5 nl.h5.journal
    NOLOCK_FCNTL=1 "${NOLOCK[@]}" "$SGDSWEEP" run small.yaml -o nl.h5 --quiet >"$T/out" 2>"$T/err"
    RC=$?
    why=""
    [ "$RC" -eq 0 ] || why+="exit $RC; "
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^sgdsweep: warning: nl.h5.journal: .*no file locks.*unlocked' "$T/err" ||
        why+="not one warning line (even under --quiet): $(head -c 300 "$T/err"); "
    report "no flock, no fcntl locks: runs unlocked with one warning line, exit 0" "$why"
    same "no locks at all: the sweep's science" np1.h5 nl.h5
else
    report "build tests/nolock.c (cc -shared)" "$(head -c 200 "$T/err")"
fi

# ---------------------------------------------------------------- failure isolation
section "failure isolation"
mkdir fail && cp failures.yaml fail/ && cd fail || exit 1
# no data file at all yet: every run fails (the first run of the process too,
# before any curve buffer exists), and the sweep is still complete
sweep 0 failures.yaml -o none.h5 --quiet
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
n=$("$PYTHON" -c 'import sys, h5py
f = h5py.File("none.h5", "r")
print(f["runs/status"][()].tolist(), f.attrs["n_failed"], sum(b"good.h5" in e or b"missing.h5" in e for e in f["runs/error"][()]))' 2>&1)
[ "$n" = "[3, 3, 3, 3] 4 4" ] || why+="status, n_failed, errors naming the file: $n, want [3, 3, 3, 3] 4 4; "
report "every run failing (no data files): exit 0, all status 3, each error names its file" "$why"
"$SGDSWEEP" train --width 8 --depth 2 --d-in 6 --classes 3 --n-train 64 --n-test 48 --batch 16 --steps 5 \
    --save good.h5 --quiet >"$T/out" 2>"$T/err"
RC=$?
report "setup: train --save good.h5 (a loadable data file)" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
sweep 2 failures.yaml -o fail.h5 --quiet
report "failures.yaml: a missing data file and a diverging lr, sweep exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
pyrun "failure isolation" fail.h5 <<'EOF'
import sys, h5py, numpy as np
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(sys.argv[1], "r") as f:
    r = f["runs"]
    st, df, lr = r["status"][()].tolist(), [text(x) for x in r["data_file"][()]], r["lr"][()].tolist()
    err = [text(x) for x in r["error"][()]]
    want = [1 if d == "good.h5" and l < 1 else 2 if d == "good.h5" else 3 for d, l in zip(df, lr)]
    check("failures: missing.h5 runs failed (3), lr 1e6 diverged (2), the rest done (1)", st == want,
          "status %s for %s" % (st, list(zip(df, lr))))
    check("failures: /runs/error names the missing path, empty for the others",
          all(("missing.h5" in e) == (s == 3) and (e != "") == (s == 3) for e, s in zip(err, st)), str(err))
    ds = r["diverged_step"][()]
    check("failures: the diverged run records where it diverged",
          all((d >= 0) == (s == 2) for d, s in zip(ds.tolist(), st)), str(ds.tolist()))
    check("failures: the done run has finite losses",
          all(np.isfinite(r["train_loss"][i]) for i, s in enumerate(st) if s == 1))
    a = f.attrs
    check("failures: n_failed 2, n_diverged 1, n_done 1 (status 1 only), completed set",
          (a["n_failed"], a["n_diverged"], a["n_done"]) == (2, 1, 1) and text(a["completed"]) != "",
          str((a["n_failed"], a["n_diverged"], a["n_done"], a["completed"])))
EOF
cp good.h5 missing.h5
sweep 2 failures.yaml -o fail.h5 --resume
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
grep -q "2 to go" "$T/err" || why+="resume did not queue the 2 failed runs ($(grep -m1 'to go' "$T/err")); "
st=$("$PYTHON" -c 'import h5py; print(h5py.File("fail.h5", "r")["runs/status"][()].tolist())' 2>&1)
[ "$st" = "[1, 2, 1, 2]" ] || why+="status $st, want [1, 2, 1, 2]; "
report "--resume retries failed runs once the data file exists" "$why"
cd "$T" || exit 1

# ---------------------------------------------------------------- the uninterrupted reference
section "the uninterrupted reference"
sweep 2 slow.yaml -o ref.h5 --quiet
report "slow.yaml on 2 ranks: exit 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"

# resumed_from: "DONE TO_GO" from the last --resume's stderr line
resumed_from() { sed -nE 's/^sgdsweep: ([0-9]+) runs already done, ([0-9]+) to go$/\1 \2/p' "$T/err" | head -1; }

# ---------------------------------------------------------------- SIGKILL, then --resume
section "SIGKILL, then --resume"
# kill_resume NAME RESUME_NP STAGE...: run slow.yaml on 2 ranks; each STAGE
# "WHO@AT" SIGKILLs WHO ("all" ranks or rank "0") once rank 0 has reported AT
# runs done (AT 0: as soon as the result file exists) -- the first stage on a
# fresh sweep, later ones on a --resume of it; then --resume on RESUME_NP ranks
# to the end. Nothing reported done may be lost, and the result must be the
# reference's science.
INTERRUPTED=0
kill_resume() {
    local name=$1 rnp=$2 stage who at k=0 victims all p why="" seen=0 r rdone rtogo
    shift 2
    rm -f k.h5 k.h5.journal k.h5.tmp
    for stage in "$@"; do
        who=${stage%@*} at=${stage#*@}
        if [ $k -eq 0 ]; then
            start 2 slow.yaml -o k.h5 --progress-every 0.01
        else
            start 2 slow.yaml -o k.h5 --resume --progress-every 0.01
        fi
        k=$((k + 1))
        if [ "$at" -eq 0 ]; then
            wait_for '[ -e k.h5 ]'
        else
            wait_for "[ \$(reported) -ge $at ]"
        fi
        all=$(rank_pids)
        [ "$who" = all ] && victims=$all || victims=$(rank_pids "$who")
        [ "$(wc -w <<<"$all")" -eq 2 ] || why+="stage $stage: found $(wc -w <<<"$all") ranks; "
        # shellcheck disable=SC2086  # a list of pids
        [ -n "$victims" ] && kill -KILL $victims
        finish
        [ "$RC" -ne 0 ] || why+="stage $stage: the sweep ended (exit 0) before the kill; "
        r=$(reported)
        [ "$r" -gt "$seen" ] && seen=$r
        # mpirun may return while the ranks it killed are still exiting: allow 5 s
        for p in $all; do
            for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
            alive "$p" && why+="stage $stage: rank pid $p outlived mpirun by 5 s; "
        done
    done
    sweep "$rnp" slow.yaml -o k.h5 --resume
    [ "$RC" -eq 0 ] || why+="final --resume: exit $RC; "
    read -r rdone rtogo <<<"$(resumed_from)"
    if [ -z "$rtogo" ]; then
        why+="no 'N runs already done, M to go' line; "
    else
        [ "$rtogo" -gt 0 ] && INTERRUPTED=$((INTERRUPTED + 1))
        section "  $name: $seen reported done; --resume found $rdone done, $rtogo to go"
        [ $((rdone + rtogo)) -eq "$N_SLOW" ] || why+="resume: $rdone done + $rtogo to go is not $N_SLOW; "
        [ "$rdone" -ge "$seen" ] || why+="resume found $rdone runs done, but $seen had been reported done; "
    fi
    [ -e k.h5.tmp ] && why+="k.h5.tmp left behind; "
    [ "$(attr k.h5 resumes)" = "$k" ] || why+="resumes attribute $(attr k.h5 resumes), want $k; "
    report "$name: killed, resumed on $rnp ranks, nothing reported done was lost" "$why"
    same "$name: same science as the uninterrupted sweep" ref.h5 k.h5
}
# mpirun's clean-up of the other ranks after a death waits 1 s before its own
# SIGKILL (odls_base_sigkill_timeout); the result is the same without the wait
export OMPI_MCA_odls_base_sigkill_timeout=0
kill_resume "SIGKILL every rank before any run finished" 2 all@0
kill_resume "SIGKILL rank 0 early (6 of 24)" 1 0@6
kill_resume "SIGKILL every rank midway (13 of 24)" 4 all@13
kill_resume "SIGKILL twice (every rank at 4, then rank 0 of the resume near the end, at 21)" 2 all@4 0@21
unset OMPI_MCA_odls_base_sigkill_timeout
report "at least one SIGKILL interrupted the sweep (runs left to do at --resume)" \
    "$([ $INTERRUPTED -gt 0 ] || echo "every sweep had finished before its kill")"

# ---------------------------------------------------------------- SIGTERM / SIGUSR1, then --resume
section "SIGTERM / SIGUSR1, then --resume"
# partial NAME FILE [REF]: a stopped sweep's file is readable and incomplete,
# and its finished runs are bit-identical to REF's
partial() {
    pyrun "$1" "$2" "${3:-}" <<'EOF'
import sys, h5py, numpy as np
path, ref = sys.argv[1], sys.argv[2]
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(path, "r") as f:
    st = f["runs/status"][()]
    n = len(st)
    fin = st != 0
    check("%s: opens, has pending and finished runs" % path, 0 < fin.sum() < n, str(st.tolist()))
    check("%s: root attribute completed is empty" % path, text(f.attrs["completed"]) == "", repr(f.attrs["completed"]))
    check("%s: n_done counts the done runs" % path, f.attrs["n_done"] == (st == 1).sum(),
          "%s vs %d" % (f.attrs["n_done"], (st == 1).sum()))
    check("%s: pending runs have NaN metrics" % path, np.isnan(f["runs/train_loss"][()][~fin]).all())
    if ref:
        with h5py.File(ref, "r") as g:
            bad = []
            for k, d in g["runs"].items():
                if k in ("wall_time", "host", "rank") or k.startswith("time_") or d.shape[:1] != (n,):
                    continue
                a, b = f["runs"][k][()][fin], d[()][fin]
                if a.dtype.kind == "f":
                    same = (a.view(np.uint64) == b.view(np.uint64)) | (np.isnan(a) & np.isnan(b))
                else:
                    same = a == b
                if not np.all(same):
                    bad.append(k)
            check("%s: its finished runs are bit-identical to %s's" % (path, ref), not bad, " ".join(bad))
EOF
}

# signal_resume NAME SIG WHO AT: SIG to WHO ("all" ranks, or one rank) of a
# 2-rank sweep once rank 0 has reported AT runs done
signal_resume() {
    local name=$1 sig=$2 who=$3 at=$4 why="" victims
    rm -f s.h5 s.h5.journal
    start 2 slow.yaml -o s.h5 --progress-every 0.01
    wait_for "[ \$(reported) -ge $at ]"
    [ "$who" = all ] && victims=$(rank_pids) || victims=$(rank_pids "$who")
    # shellcheck disable=SC2086  # a list of pids
    [ -n "$victims" ] && kill "-$sig" $victims
    finish
    [ "$RC" -eq 75 ] || why+="mpirun exit $RC, want 75; "
    grep -q "^sgdsweep: stopped.* continue with --resume" "$T/err" || why+="no 'stopped ... continue with --resume' line; "
    report "$name: mpirun exits 75" "$why"
    partial "$name" s.h5 ref.h5
    sweep 2 slow.yaml -o s.h5 --resume --quiet
    report "$name: --resume exits 0" "$([ "$RC" -eq 0 ] || echo "exit $RC")"
    same "$name: same science after --resume" ref.h5 s.h5
}
signal_resume "SIGTERM to every rank" TERM all 6
signal_resume "SIGUSR1 to rank 0 only (it tells the worker to abandon its run)" USR1 0 10
signal_resume "SIGTERM to a worker only (it stops the whole sweep)" TERM 1 8

# ---------------------------------------------------------------- signals in the first moments
section "signals in the first moments"
# A signal at any moment after the program started (0, 0.05, 0.1, 0.2 s) ends
# the sweep with 75 and the same command with --resume completes it. Delay 0
# is counted from the moment the process catches or blocks SIGTERM
# (/proc/PID/status: the first instruction of main), the others from the exec
# of the binary (the dynamic loader takes a few ms; no program can catch a
# signal before its main).
BIN_REAL=$(readlink -f "$SGDSWEEP")
execd() { [ "$(readlink -f "/proc/$1/exe" 2>/dev/null)" = "$BIN_REAL" ]; }
catches_term() {
    local c b
    c=$(sed -n 's/^SigCgt:\t*//p' "/proc/$1/status" 2>/dev/null)
    b=$(sed -n 's/^SigBlk:\t*//p' "/proc/$1/status" 2>/dev/null)
    [ -n "$c" ] && [ $(((0x$c | 0x$b) >> 14 & 1)) -eq 1 ]
}
# early NP SIG DELAY: SIG to every rank of a sweep of small.yaml DELAY s after start
early() {
    local np=$1 sig=$2 d=$3 why="" victims="" p t0
    rm -f e.h5 e.h5.journal
    start "$np" small.yaml -o e.h5 --quiet
    t0=$SECONDS
    until [ "$(wc -w <<<"$victims")" -eq "$((np > 0 ? np : 1))" ] || [ $((SECONDS - t0)) -gt 20 ]; do
        victims=""
        for p in $(rank_pids); do
            execd "$p" && { [ "$d" != 0 ] || catches_term "$p"; } && victims+=" $p"
        done
    done
    [ "$d" != 0 ] && sleep "$d"
    # shellcheck disable=SC2086  # a list of pids
    [ -n "$victims" ] && kill "-$sig" $victims
    finish
    [ "$RC" -eq 75 ] || why+="exit $RC, want 75; "
    [ -n "$victims" ] || why+="found no rank to signal; "
    report "SIG$sig ${d}s after start ($np ranks): exit 75" "$why"
    sweep "$np" small.yaml -o e.h5 --resume --quiet
    report "SIG$sig ${d}s after start ($np ranks): --resume completes it" "$([ "$RC" -eq 0 ] || echo "exit $RC: $(head -1 "$T/err")")"
    same "SIG$sig ${d}s after start ($np ranks): same science" np1.h5 e.h5
}
early 0 TERM 0
early 0 INT 0.05
early 0 USR1 0.1
early 0 TERM 0.2
early 2 TERM 0
early 2 USR1 0.1

# ---------------------------------------------------------------- durability, and SIGTERM to a singleton
section "durability, and SIGTERM to a singleton"
# One process on durable.yaml, rewriting the file every 0.5 s: while it runs,
# h5py must read finished and pending runs from it; then SIGTERM -> 75, and
# --resume on 2 ranks completes it without touching the finished runs.
rm -f d.h5 d.h5.journal
start 0 durable.yaml -o d.h5 --flush-every 0.5 --quiet
pyrun "durability" d.h5 "$PID" "$LIMIT" <<'EOF'
import os, signal, sys, time
import h5py
path, pid, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def alive():
    try:
        return open("/proc/%d/stat" % pid).read().split(") ")[1][0] != "Z"
    except OSError:
        return False
seen, t0 = [], time.time()
while alive() and time.time() - t0 < limit:
    if os.path.exists(path):
        try:
            with h5py.File(path, "r") as f:
                st = f["runs/status"][()]
            seen.append(((st != 0).sum(), (st == 0).sum()))
            if seen[-1][0] > 0 and seen[-1][1] > 0:
                break
        except Exception as e:
            seen.append(str(e)[:60])
    time.sleep(0.05)
mid = seen and isinstance(seen[-1], tuple) and seen[-1][0] > 0 and seen[-1][1] > 0
errs = [s for s in seen if not isinstance(s, tuple)]
print(("ok " if mid else "FAIL ") + "durability: the file shows finished and pending runs while the sweep runs"
      + ("" if mid else ": saw (finished, pending) %s" % seen[-6:]))
print(("ok " if not errs else "FAIL ") + "durability: the file always opened" + ("" if not errs else ": %s" % errs[:2]))
if mid:
    os.kill(pid, signal.SIGTERM)
EOF
finish
why=""
[ "$RC" -eq 75 ] || why+="exit $RC; "
grep -q "^sgdsweep: stopped by a signal" "$T/err" && why+="printed 'stopped' under --quiet; "
report "SIGTERM to a singleton sweep: exit 75" "$why"
cp d.h5 d_stopped.h5
sweep 2 durable.yaml -o d.h5 --resume --quiet
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ "$(attr d.h5 n_done)" = 12 ] || why+="n_done $(attr d.h5 n_done), want 12; "
[ -n "$(attr d.h5 completed)" ] || why+="completed is empty; "
report "singleton stopped, resumed on 2 ranks: exit 0, every run done" "$why"
partial "SIGTERM to a singleton" d_stopped.h5 d.h5

section "full disk"
# a full disk: a clear error (exit 4), and the file written before stays whole
# and readable (needs root's mount; this suite runs as root in CI). The
# filesystem holds the journal (22 KiB) and one result file (about 190 KiB
# for slow.yaml with its probes), not a second one beside it (RESULT.h5.tmp).
FULL=$T/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=300k tmpfs "$FULL" 2>/dev/null; then
    sweep 2 slow.yaml -o "$FULL/r.h5" --flush-every 0.2 --quiet
    WHY=""
    [ "$RC" -eq 4 ] || WHY+="exit $RC, want 4; "
    grep -q "No space left on device" "$T/err" || WHY+="no 'No space left' message; "
    [ "$(grep -cv '^-*$\|^ *$\|mpirun\|Primary job\|Process name\|Exit code\|aborted\|non-zero\|first process' "$T/err")" -eq 1 ] ||
        WHY+="not one line from sgdsweep; "
    "$PYTHON" -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r"); assert len(f["runs/status"]) == 24' \
        "$FULL/r.h5" 2>/dev/null || WHY+="the result file does not open whole; "
    [ ! -e "$FULL/r.h5.tmp" ] || WHY+="r.h5.tmp left behind; "
    report "full disk: exit 4, one clear line, previous file whole" "$WHY"
    umount "$FULL"
else
    report "full disk (tmpfs mount as root)" "cannot mount a 300 KiB tmpfs to fill: run as root"
fi

section "end"
suite_end sweep
