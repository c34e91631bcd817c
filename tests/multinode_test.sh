#!/usr/bin/env bash
# multinode_test.sh -- sgdsweep run on two "nodes" simulated on this machine
# (docs/SWEEP.md, "Testing more than one node").
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/multinode_test.sh
#
# mpirun gets a hostfile of two host names (sgdnode1, sgdnode2) that are not
# this machine, so it starts one orted daemon per "node" through its rsh
# launcher; the launch agent is tests/fake_ssh.sh, which runs each daemon here
# in a new UTS namespace named after its node (gethostname() there returns
# sgdnode1 or sgdnode2). Ranks are mapped round-robin over the nodes
# (--map-by node: even ranks on sgdnode1, odd on sgdnode2) and talk over TCP
# on loopback only (--mca btl tcp,self): no shared memory between them. What
# is checked:
#   - Open MPI itself sees two nodes: with shared memory as the only
#     transport (btl vader,self) a rank on sgdnode1 cannot reach one on
#     sgdnode2 and the job aborts, naming both hosts;
#   - small.yaml on 2 nodes x 2 ranks over TCP: exit 0, the same science as a
#     1-rank run on this host (analysis/compare.py); the root attribute
#     `hosts` is "sgdnode1,sgdnode2", /runs/host shows both, and each run's
#     host is its rank's node;
#   - slow.yaml on 2 nodes x 1 rank: SIGTERM to both ranks mid-run, and
#     SIGTERM to the rank on the second node only (it must stop rank 0 across
#     TCP): mpirun exits 75, the file is partial, --resume on the two nodes
#     completes it to the same science as a 1-rank run on this host, with
#     both nodes in /runs/host and `hosts`.
# Where new UTS namespaces are not permitted (no root, a container that
# forbids them) the daemons keep this machine's host name: everything runs
# the same, the host-name checks are reported as SKIP lines.
#
# Environment: SGDSWEEP (the binary; a path containing build-san turns leak
# detection off for MPI processes), PYTHON (with h5py, numpy),
# MULTINODE_TEST_LIMIT (seconds before a sweep counts as hung, default 120).
# Ends with "multinode: P passed, F failed[, S skipped]", exit nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
SW=$HERE/sweeps
COMPARE=$ROOT/analysis/compare.py
AGENT=$HERE/fake_ssh.sh
LIMIT=${MULTINODE_TEST_LIMIT:-120}
N1=sgdnode1 N2=sgdnode2

# mpirun refuses root without these; they belong to the test, not the program.
# The daemons and ranks inherit them (and ASAN_OPTIONS) through fake_ssh.sh.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# inside a SLURM job, Open MPI would launch through SLURM and ignore the hostfile
for v in $(compgen -e | grep '^SLURM_'); do unset "$v"; done
# Open MPI itself leaks: no leak detection in processes that start MPI
case $SGDSWEEP in
*build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/multinode_test.XXXXXX") || exit 1
PID=""
cleanup() {
    # a sweep left running by a failed check: its whole tree (mpirun, the
    # agents, the daemons, the ranks), by pid
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        # shellcheck disable=SC2046  # a list of pids
        kill -KILL $(descendants "$PID") "$PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/lib.sh"

# descendants PID: every process below PID
descendants() {
    local c
    for c in $(pgrep -P "$1"); do
        echo "$c"
        descendants "$c"
    done
}

setup_fail() {
    report "setup" "$*"
    suite_end multinode
    exit
}
[ -x "$SGDSWEEP" ] || setup_fail "$SGDSWEEP is not an executable (build it with make)"
command -v mpirun >/dev/null || setup_fail "no mpirun (apt-get install openmpi-bin)"
[ -x "$AGENT" ] || setup_fail "$AGENT is not executable"

# Can the agent give a daemon a host name of its own?
if "$AGENT" "$N2" hostname >"$T/uts" 2>&1 && [ "$(cat "$T/uts")" = "$N2" ]; then
    UTS=1
else
    UTS=0
    export FAKE_SSH_UTS=0 FAKE_SSH_TMPDIR=$T   # (removed on exit)
    NOUTS="new UTS namespaces are not permitted here (unshare --uts + hostname: $(head -c 200 "$T/uts" | tr '\n' ' ')):"
    NOUTS+=" the ranks of both nodes report this machine's host name"
fi
printf '%s slots=2\n%s slots=2\n' "$N1" "$N2" >"$T/hosts"

# two "nodes" over TCP on loopback; Open MPI's own TCP (daemons) on loopback too
MN=(mpirun --mca plm rsh --mca plm_rsh_agent "$AGENT" --hostfile "$T/hosts" --map-by node
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)

# mn NP ARGS...: `sgdsweep run ARGS` on NP ranks over the two nodes, in the
# background -> PID; stdout, stderr -> $T/out, $T/err
mn() {
    local np=$1
    shift
    : >"$T/out"
    : >"$T/err"
    timeout -k 5 "$LIMIT" "${MN[@]}" -q --mca btl tcp,self -np "$np" "$SGDSWEEP" run "$@" >"$T/out" 2>"$T/err" &
    PID=$!
}
# finish: wait for the background sweep -> RC
finish() {
    wait "$PID"
    RC=$?
    PID=""
}

# rank_pids [R]: the sgdsweep processes of the background sweep (only rank R if given)
BIN_REAL=$(readlink -f "$SGDSWEEP")
rank_pids() {
    local p r
    for p in $(descendants "$PID"); do
        [ "$(readlink -f "/proc/$p/exe" 2>/dev/null)" = "$BIN_REAL" ] || continue
        r=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ -n "$r" ] && { [ -z "${1:-}" ] || [ "$r" = "$1" ]; } && echo "$p"
    done
}

# same A B: "" when compare.py says A and B hold the same science, else why
same() {
    local out rc
    out=$("$PYTHON" "$COMPARE" "$1" "$2" 2>&1)
    rc=$?
    [ $rc -eq 0 ] || printf 'compare.py %s %s: exit %d: %s; ' "$1" "$2" $rc "$(head -3 <<<"$out" | tr '\n' ';')"
}

# hosts FILE NP: how FILE's provenance places the runs on the nodes -> "" if
# right, else why: `hosts` "N1,N2", /runs/host holds both node names (and no
# other), each finished run's host is the node of its rank (rank r on node r
# mod 2: --map-by node), mpi_size NP
hosts() {
    "$PYTHON" - "$1" "$2" "$N1" "$N2" <<'EOF' 2>&1 | tail -1
import sys, h5py
path, np_, n1, n2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
why = []
with h5py.File(path, "r") as f:
    a, r = f.attrs, f["runs"]
    if text(a["hosts"]) != n1 + "," + n2:
        why.append("hosts %r, want %r" % (text(a["hosts"]), n1 + "," + n2))
    if int(a["mpi_size"]) != np_:
        why.append("mpi_size %d, want %d" % (int(a["mpi_size"]), np_))
    st, host, rank = r["status"][()], [text(h) for h in r["host"][()]], r["rank"][()]
    seen = {host[i] for i in range(len(st)) if st[i] != 0}
    if seen != {n1, n2}:
        why.append("/runs/host of the finished runs is %s, want both nodes" % sorted(seen))
    bad = [(int(rank[i]), host[i]) for i in range(len(st)) if st[i] != 0 and host[i] != (n1, n2)[rank[i] % 2]]
    if bad:
        why.append("runs on the wrong node for their rank (rank, host): %s" % bad[:4])
print("; ".join(why))
EOF
}

# h5state FILE: "RUNS PENDING FINISHED COMPLETED RESUMES" (COMPLETED yes/no)
h5state() {
    "$PYTHON" - "$1" <<'EOF' 2>&1 | tail -1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    s, a = f["runs/status"][()], f.attrs
    c = a["completed"]
    c = c.decode() if isinstance(c, bytes) else str(c)
    print(len(s), int((s == 0).sum()), int((s != 0).sum()), "yes" if c else "no", int(a["resumes"]))
EOF
}

# provenance NAME WHY: report NAME with the host checks' WHY, or SKIP it
# where the daemons cannot have host names of their own
provenance() {
    if [ $UTS -eq 1 ]; then
        report "$1" "$2"
    else
        skip "$1" "$NOUTS"
    fi
}

cd "$T" || exit 1

# ---------------------------------------------------------------- the references: 1 rank, this host
for s in small slow; do
    t0=$SECONDS
    timeout -k 5 "$LIMIT" mpirun -q -np 1 "$SGDSWEEP" run "$SW/$s.yaml" -o "ref_$s.h5" --quiet >"$T/out" 2>"$T/err"
    RC=$?
    report "reference: $s.yaml on 1 rank on this host, exit 0 ($((SECONDS - t0)) s)" "$([ $RC -eq 0 ] || echo "exit $RC")"
done

# ---------------------------------------------------------------- Open MPI sees two nodes
# With shared memory as the only transport between processes, ranks on
# different nodes cannot reach each other: the job aborts and says where
# they were. (Without -q, so that Open MPI says it.)
t0=$SECONDS
timeout -k 5 "$LIMIT" "${MN[@]}" --mca btl vader,self -np 2 "$SGDSWEEP" run "$SW/small.yaml" -o shm.h5 --quiet \
    >"$T/out" 2>&1
RC=$?
why=""
[ $RC -ne 0 ] || why+="exit 0: shared memory reached the other node; "
grep -q 'unable to reach each other' "$T/out" || why+="no 'unable to reach each other' from Open MPI; "
[ -e shm.h5 ] && why+="shm.h5 was written; "
report "two nodes to Open MPI: shared memory alone cannot connect them, the job aborts ($((SECONDS - t0)) s)" \
    "$why$([ -z "$why" ] || echo "output: $(grep -v '^-*$' "$T/out" | head -c 400 | tr '\n' ' ')")"
provenance "two nodes to Open MPI: its message places the ranks on $N1 and $N2" \
    "$(grep -qE "on host: $N1\$" "$T/out" && grep -qE "on host: $N2\$" "$T/out" ||
        echo "not both named: $(grep 'on host:' "$T/out" | tr '\n' ' ')")"

# ---------------------------------------------------------------- a sweep across the nodes
t0=$SECONDS
mn 4 "$SW/small.yaml" -o two.h5 --quiet
finish
why=""
[ $RC -eq 0 ] || why+="exit $RC; "
[ -s "$T/err" ] && why+="stderr: $(grep -v '^-*$' "$T/err" | head -c 300 | tr '\n' ' '); "
why+=$(same ref_small.h5 two.h5)
report "small.yaml on 2 nodes x 2 ranks over TCP: exit 0, same science as 1 rank on this host ($((SECONDS - t0)) s)" "$why"
provenance "small.yaml on 2 nodes: hosts '$N1,$N2', each run on its rank's node" "$(hosts two.h5 4)"

# ---------------------------------------------------------------- SIGTERM across the nodes, then --resume
# stop_resume NAME WHO: slow.yaml on 2 nodes x 1 rank; once rank 0 has
# reported 6 of 24 runs, SIGTERM to WHO ("all" ranks, or rank 1: the one on
# the second node); then --resume on the two nodes to the end
stop_resume() {
    local name=$1 who=$2 why="" victims st n pend fin comp t0=$SECONDS
    rm -f s.h5 s.h5.journal
    mn 2 "$SW/slow.yaml" -o s.h5 --progress-every 0.01
    wait_for '[ "$(reported)" -ge 6 ]' || why+="never saw 6 runs reported done (the sweep ended or hung); "
    [ "$who" = all ] && victims=$(rank_pids) || victims=$(rank_pids "$who")
    [ "$(wc -w <<<"$victims")" -eq "$([ "$who" = all ] && echo 2 || echo 1)" ] ||
        why+="found ranks '$(tr '\n' ' ' <<<"$victims")'; "
    # shellcheck disable=SC2086  # a list of pids
    [ -n "$victims" ] && kill -TERM $victims
    finish
    [ $RC -eq 75 ] || why+="mpirun exit $RC, want 75; "
    grep -q '^sgdsweep: stopped.* continue with --resume' "$T/err" || why+="no 'stopped ... continue with --resume' line; "
    st=$(h5state s.h5)
    read -r n pend fin comp _ <<<"$st"
    [ "${n:-}" = 24 ] && [ "${pend:-0}" -gt 0 ] && [ "${fin:-0}" -ge 6 ] && [ "${comp:-}" = no ] ||
        why+="after the stop the file is '$st', want 24 runs, some pending, >= 6 finished, completed empty; "
    report "$name: mpirun exits 75, partial file ($((SECONDS - t0)) s)" "$why"
    t0=$SECONDS
    why=""
    mn 2 "$SW/slow.yaml" -o s.h5 --resume --quiet
    finish
    [ $RC -eq 0 ] || why+="--resume exit $RC; "
    st=$(h5state s.h5)
    [ "$st" = "24 0 24 yes 1" ] || why+="file '$st', want 24 runs finished, completed, resumes 1; "
    why+=$(same ref_slow.h5 s.h5)
    report "$name: --resume on the two nodes completes it, same science as 1 rank on this host ($((SECONDS - t0)) s)" "$why"
    provenance "$name: after --resume, hosts '$N1,$N2', each run on its rank's node" "$(hosts s.h5 2)"
}
stop_resume "SIGTERM to both ranks (one per node)" all
stop_resume "SIGTERM to the rank on the second node only" 1

suite_end multinode
