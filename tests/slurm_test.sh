#!/usr/bin/env bash
# slurm_test.sh -- slurm/sweep.sbatch under a private single-node SLURM (docs/SLURM.md).
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/slurm_test.sh
#
# Starts munged, slurmctld and slurmd as root, everything under a temporary
# directory on ports of its own (the machine's own SLURM, if any, is left
# alone), submits jobs of slurm/sweep.sbatch and stops it all on exit. Checks:
#   - a 2-task job: exit 0, every run done on 2 ranks, plain progress lines in
#     the job log, the same science as `mpirun -np 2 sgdsweep run`
#     (analysis/compare.py);
#   - 4 tasks with --overcommit on 2 CPUs, the binary found as build/sgdsweep
#     under the submit directory: the same science;
#   - the time-limit path, with the warning delivered deterministically
#     (`scancel --signal=USR1 --batch`, what `#SBATCH --signal=B:USR1@T`
#     sends): the ranks stop with 75, the script requeues the job, the
#     requeued job resumes from the journal and completes, identical to an
#     uninterrupted run;
#   - SGDSWEEP_REQUEUE=0: 75 and no requeue; TERM (a cancel): 75 and no
#     requeue; a resubmission resumes and completes, identical again;
#   - a bad spec: the job exits 2; usage and a missing binary: exit 1.
# SLURM_TEST_TIMELIMIT=1 adds the real time limit (--time=2
# --signal=B:USR1@110: the warning comes after ~10-40 s), about 2 minutes more.
#
# Needs (Debian): slurmctld slurmd slurm-client munge (--no-install-recommends),
# openmpi-bin, python3-h5py. Missing SLURM packages are a failure, not a skip.
# Environment: SGDSWEEP (the binary; a path containing build-san turns leak
# detection off in the jobs), PYTHON, SLURM_TEST_LIMIT (seconds a job may
# take, default 120), SLURM_TEST_KEEP=1 (keep the temporary directory).
# Ends with the line "slurm: P passed, F failed" and exits nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
export SGDSWEEP   # the jobs find the binary through it
PYTHON=${PYTHON:-/usr/bin/python3}
SW=$HERE/sweeps
JOB=$ROOT/slurm/sweep.sbatch
COMPARE=$ROOT/analysis/compare.py
LIMIT=${SLURM_TEST_LIMIT:-120}

# A SLURM job around this suite must not leak into the private cluster's jobs.
for v in $(compgen -e | grep '^SLURM_' | grep -v '^SLURM_TEST_'); do unset "$v"; done
# mpirun and srun'd ranks refuse root without these; they belong to the test,
# not to slurm/sweep.sbatch. Jobs inherit this environment (--export=ALL).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI itself leaks: no leak detection in processes that start MPI
case $SGDSWEEP in
*build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;;
esac

T=$(mktemp -d /tmp/slurm_test.XXXXXX) || exit 1
chmod 755 "$T"   # munged wants its socket's directory reachable by all
. "$HERE/lib.sh"

JOBS=()      # every job submitted, cancelled on exit if still alive
STARTED=0    # daemons started: stop them on exit
SOCK=$T/munge/munge.socket

# stop: cancel our jobs, shut the daemons down, remove $T
stop() {
    local i pf p
    if [ $STARTED -eq 1 ]; then
        if [ ${#JOBS[@]} -gt 0 ] && [ -n "$(squeue -h -j "$(IFS=,; echo "${JOBS[*]}")" 2>/dev/null)" ]; then
            timeout 10 scancel "${JOBS[@]}" 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                [ -z "$(squeue -h 2>/dev/null)" ] && break
                sleep 0.2
            done
        fi
        timeout 10 scontrol shutdown >/dev/null 2>&1
        for ((i = 0; i < 50; i++)); do
            alive_pidfile "$T/run/slurmctld.pid" || alive_pidfile "$T/run/slurmd.pid" || break
            sleep 0.1
        done
        munged -s --socket="$SOCK" >/dev/null 2>&1
        for pf in "$T/run/slurmctld.pid" "$T/run/slurmd.pid" "$T/munge/munged.pid"; do
            alive_pidfile "$pf" || continue
            p=$(cat "$pf")
            kill -TERM "$p" 2>/dev/null
            sleep 0.5
            kill -KILL "$p" 2>/dev/null
        done
    fi
    if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then
        echo "kept $T" >&2
    else
        rm -rf "$T"
    fi
}
trap stop EXIT

# alive_pidfile FILE: the process named in FILE is running
alive_pidfile() {
    local p
    [ -s "$1" ] || return 1
    p=$(cat "$1" 2>/dev/null)
    [[ $p =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null
}

# setup_fail WHY: the cluster cannot be used; one failure, the suite ends
setup_fail() {
    report "setup" "$*"
    suite_end slurm
    exit
}

# port_free N: nothing listens on 127.0.0.1:N
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# show_log FILE: the last lines of a job log (or daemon log), indented
show_log() {
    [ -s "$1" ] || { echo "     ($1: empty or missing)"; return; }
    echo "     --- tail of ${1#"$T"/}:"
    tail -n "${2:-25}" "$1" | sed 's/^/     | /'
}

# ---------------------------------------------------------------- the private cluster
missing=""
for c in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client srun:slurm-client scontrol:slurm-client \
    munged:munge mungekey:munge; do
    command -v "${c%%:*}" >/dev/null || PATH=$PATH:/usr/sbin:/sbin command -v "${c%%:*}" >/dev/null ||
        missing+=" ${c%%:*} (${c#*:})"
done
[ -z "$missing" ] || setup_fail "SLURM is not installed, missing:$missing;" \
    "install with: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"
PATH=$PATH:/usr/sbin:/sbin
command -v mpirun >/dev/null || setup_fail "no mpirun (apt-get install openmpi-bin)"
[ "$(id -u)" -eq 0 ] || setup_fail "the private SLURM runs its daemons as root: run this suite as root"
[ -x "$SGDSWEEP" ] || setup_fail "no binary $SGDSWEEP (make)"

mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/run" "$T/log" "$T/etc"
chmod 755 "$T/munge"
mungekey --create --keyfile="$T/munge/munge.key" >"$T/log/mungekey.log" 2>&1 ||
    setup_fail "mungekey failed: $(head -c 300 "$T/log/mungekey.log")"
chmod 600 "$T/munge/munge.key"
munged --socket="$SOCK" --key-file="$T/munge/munge.key" --pid-file="$T/munge/munged.pid" \
    --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" >"$T/log/munged.out" 2>&1 ||
    setup_fail "munged did not start: $(tail -c 300 "$T/munge/munged.log" "$T/log/munged.out" 2>/dev/null)"
STARTED=1

# Two free ports (6817/6818 may belong to the machine's own SLURM)
CPORT="" DPORT=""
for ((i = 0; i < 50; i++)); do
    p=$((20000 + RANDOM % 20000 * 2))
    if port_free $p && port_free $((p + 1)); then
        CPORT=$p DPORT=$((p + 1))
        break
    fi
done
[ -n "$CPORT" ] || setup_fail "no two free TCP ports found"

# The node line as slurmd sees this machine (CPUs, sockets, cores, threads),
# without RealMemory: a node that later measures a little less is drained.
node=$(env -u SLURM_CONF slurmd -C 2>/dev/null | head -1 |
    sed -E 's/^NodeName=[^ ]+/NodeName=localhost NodeAddr=127.0.0.1/; s/ RealMemory=[0-9]+//')
[[ $node == NodeName=localhost*CPUs=* ]] || setup_fail "slurmd -C gave no node line: '$node'"
NCPU=$(sed -E 's/.*CPUs=([0-9]+).*/\1/' <<<"$node")
cat >"$T/etc/slurm.conf" <<EOF
ClusterName=sgdtest
SlurmctldHost=localhost
SlurmctldPort=$CPORT
SlurmdPort=$DPORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK,cred_expire=10
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/log/jobcomp.log
MpiDefault=pmix
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
EnforcePartLimits=ALL
$node
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
echo "CgroupPlugin=cgroup/v1" >"$T/etc/cgroup.conf"
# before any client call: a SLURM_CONF naming a missing file hangs clients 60 s
export SLURM_CONF=$T/etc/slurm.conf

slurmctld >"$T/log/slurmctld.out" 2>&1 ||
    { show_log "$T/log/slurmctld.log"; setup_fail "slurmctld did not start"; }
slurmd -N localhost >"$T/log/slurmd.out" 2>&1 ||
    { show_log "$T/log/slurmd.log"; setup_fail "slurmd did not start"; }
state=""
for ((i = 0; i < 150; i++)); do
    state=$(timeout 5 sinfo -h -N -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    sleep 0.2
done
if [ "$state" != idle ]; then
    show_log "$T/log/slurmctld.log"
    show_log "$T/log/slurmd.log"
    setup_fail "the node is '$state' 30 s after start, not idle"
fi

# ---------------------------------------------------------------- helpers
# field J NAME: NAME=value of `scontrol show job J` (JobState, ExitCode, Restarts...)
field() {
    timeout 10 scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# submit NAME SBATCH-ARGS... : sbatch with the log at $T/NAME.log -> J
submit() {
    local name=$1
    shift
    J=$(sbatch --parsable --output="$T/$name.log" "$@" 2>"$T/$name.sbatch.err")
    J=${J%%;*}
    if [[ $J =~ ^[0-9]+$ ]]; then
        JOBS+=("$J")
    else
        echo "     sbatch failed: $(head -c 400 "$T/$name.sbatch.err")"
        J=""
    fi
}

# wait_state J REGEX [SECONDS]: poll until JobState matches ^(REGEX)$ -> STATE; 1 on timeout
wait_state() {
    local end=$((SECONDS + ${3:-$LIMIT}))
    STATE=""
    [ -n "$1" ] || return 1
    while [ $SECONDS -le $end ]; do
        STATE=$(field "$1" JobState)
        [[ $STATE =~ ^($2)$ ]] && return 0
        sleep 0.2
    done
    return 1
}
ENDED='COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED'

# wait_end J: until the job has ended -> STATE, EXIT (its ExitCode, "75:0")
wait_end() {
    EXIT=""
    wait_state "$1" "$ENDED" || return 1
    EXIT=$(field "$1" ExitCode)
}

# wait_done LOG N J: until the job log says at least N runs are done (a
# progress line "sgdsweep: K/TOTAL runs"); 1 if the job ends first or on timeout
wait_done() {
    local end=$((SECONDS + LIMIT)) k
    while [ $SECONDS -le $end ]; do
        k=$(grep -oE '^sgdsweep: [0-9]+/[0-9]+ runs' "$1" 2>/dev/null | tail -1 | sed -E 's/^sgdsweep: ([0-9]+).*/\1/')
        [ -n "$k" ] && [ "$k" -ge "$2" ] && return 0
        [[ $(field "$3" JobState) =~ ^($ENDED)$ ]] && return 1
        sleep 0.2
    done
    return 1
}

# h5state FILE: "RUNS PENDING DONE OTHER COMPLETED MPI_SIZE RESUMES" (COMPLETED yes/no)
h5state() {
    "$PYTHON" - "$1" <<'EOF' 2>&1 | tail -1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    s, a = f["runs/status"][()], f.attrs
    c = a["completed"]
    c = c.decode() if isinstance(c, bytes) else str(c)
    print(len(s), int((s == 0).sum()), int((s == 1).sum()), int((s >= 2).sum()),
          "yes" if c else "no", int(a["mpi_size"]), int(a["resumes"]))
EOF
}

# same A B: compare.py's verdict, "" when A and B hold the same science
same() {
    local out rc
    out=$("$PYTHON" "$COMPARE" "$1" "$2" 2>&1)
    rc=$?
    [ $rc -eq 0 ] || printf 'compare.py %s %s: exit %d: %s; ' "${1#"$T"/}" "${2#"$T"/}" $rc "$(head -3 <<<"$out" | tr '\n' ';')"
}

# check NAME WHY LOG: report, and on failure show the job log
check() {
    report "$1" "$2"
    [ -z "$2" ] || show_log "$3"
}

# reference NAME SPEC: the uninterrupted sweep by `mpirun -np 2` -> $T/NAME.h5
reference() {
    timeout -k 5 "$LIMIT" mpirun -np 2 "$SGDSWEEP" run "$2" -o "$T/$1.h5" --quiet >"$T/$1.out" 2>&1
    local rc=$?
    check "reference $1: mpirun -np 2 exits 0" "$([ $rc -eq 0 ] || echo "exit $rc")" "$T/$1.out"
}

cd "$T" || exit 1
SMALL=$SW/small.yaml
REQ=$SW/slurm_requeue.yaml

# ---------------------------------------------------------------- the script on its own
bash "$JOB" >"$T/usage.out" 2>&1
rc=$?
report "no arguments: exit 1 and a usage line" \
    "$([ $rc -eq 1 ] && grep -q '^sweep.sbatch: .*usage: sbatch' "$T/usage.out" || echo "exit $rc: $(head -c 200 "$T/usage.out")")"
mkdir -p "$T/nobin/bin"   # a PATH with date (for the log lines) and no sgdsweep
ln -s "$(command -v date)" "$T/nobin/bin/date"
env -u SGDSWEEP PATH="$T/nobin/bin" SLURM_SUBMIT_DIR="$T/nobin" "$BASH" "$JOB" "$SMALL" "$T/nobin.h5" >"$T/nobin.out" 2>&1
rc=$?
report "no binary anywhere: exit 1 naming SGDSWEEP, build/sgdsweep and PATH" \
    "$([ $rc -eq 1 ] && grep -q 'no sgdsweep binary: set SGDSWEEP' "$T/nobin.out" && [ ! -e "$T/nobin.h5" ] ||
        echo "exit $rc: $(head -c 200 "$T/nobin.out")")"

reference ref_small "$SMALL"

# ---------------------------------------------------------------- (a) 2 tasks
t0=$SECONDS
submit a --ntasks=2 "$JOB" "$SMALL" "$T/a.h5"
why=""
if ! wait_end "$J"; then
    why+="job ${J:-?} not ended after ${LIMIT}s (state '$STATE'); "
else
    [ "$STATE" = COMPLETED ] && [ "$EXIT" = 0:0 ] || why+="state $STATE exit $EXIT, want COMPLETED 0:0; "
    st=$(h5state "$T/a.h5")
    [ "$st" = "12 0 12 0 yes 2 0" ] || why+="file state '$st', want 12 runs all done, completed, mpi_size 2, resumes 0; "
    why+=$(same "$T/ref_small.h5" "$T/a.h5")
    grep -q '^sweep.sbatch: .* sweep complete' "$T/a.log" || why+="no 'sweep complete' line in the log; "
    grep -q -- '--resume' "$T/a.log" && why+="--resume on a first start; "
    grep -q '^sgdsweep: done: 12 runs' "$T/a.log" || why+="no progress/done line from sgdsweep in the log; "
    grep -q $'\r' "$T/a.log" && why+="carriage returns in the log (a live bar, not plain lines); "
fi
check "2 tasks: exit 0, all done on 2 ranks, same science as mpirun -np 2 ($((SECONDS - t0)) s)" "$why" "$T/a.log"

# ---------------------------------------------------------------- (c) 4 tasks, --overcommit, binary from the submit dir
t0=$SECONDS
mkdir -p "$T/repo/build"
ln -s "$SGDSWEEP" "$T/repo/build/sgdsweep"
J=$(cd "$T/repo" && env -u SGDSWEEP sbatch --parsable --output="$T/c.log" --ntasks=4 --overcommit \
    "$JOB" "$SMALL" "$T/c.h5" 2>"$T/c.sbatch.err")
J=${J%%;*}
[[ $J =~ ^[0-9]+$ ]] && JOBS+=("$J") || echo "     sbatch failed: $(head -c 400 "$T/c.sbatch.err")"
why=""
if ! wait_end "$J"; then
    why+="job ${J:-?} not ended after ${LIMIT}s (state '$STATE'); "
else
    [ "$STATE" = COMPLETED ] && [ "$EXIT" = 0:0 ] || why+="state $STATE exit $EXIT, want COMPLETED 0:0; "
    st=$(h5state "$T/c.h5")
    [ "$st" = "12 0 12 0 yes 4 0" ] || why+="file state '$st', want 12 done, completed, mpi_size 4, resumes 0; "
    why+=$(same "$T/ref_small.h5" "$T/c.h5")
    grep -qF "$T/repo/build/sgdsweep run" "$T/c.log" || why+="the binary was not \$SLURM_SUBMIT_DIR/build/sgdsweep; "
fi
check "4 tasks --overcommit on $NCPU CPUs, binary from the submit dir: same science ($((SECONDS - t0)) s)" "$why" "$T/c.log"

# ---------------------------------------------------------------- (b) time-limit warning -> 75 -> requeue -> resume
reference ref_req "$REQ"
t0=$SECONDS
submit b --ntasks=2 "$JOB" "$REQ" "$T/b.h5" --progress-every 0.2
why="" requeued=0
if ! wait_done "$T/b.log" 3 "$J"; then
    why+="job ${J:-?} never reported 3 runs done while running (state '$(field "$J" JobState)'); "
elif ! scancel --signal=USR1 --batch "$J" 2>"$T/b.scancel.err"; then
    why+="scancel --signal=USR1 --batch failed: $(head -c 200 "$T/b.scancel.err"); "
else
    # the script requeues: the job comes back PENDING (Reason BeginTime) with Restarts=1
    end=$((SECONDS + 30))
    while [ $SECONDS -le $end ]; do
        STATE=$(field "$J" JobState)
        [ "$STATE" = PENDING ] && [ "$(field "$J" Restarts)" = 1 ] && break
        [[ $STATE =~ ^($ENDED)$ ]] && break
        sleep 0.2
    done
    if [ "$STATE" != PENDING ]; then
        why+="not requeued: state $STATE, exit $(field "$J" ExitCode), restarts $(field "$J" Restarts); "
    else
        requeued=1
        grep -q '^sweep.sbatch: .*got SIGUSR1' "$T/b.log" || why+="no 'got SIGUSR1' line; "
        grep -q '^sgdsweep: stopped by a signal' "$T/b.log" || why+="sgdsweep did not say it stopped by a signal; "
        grep -q '^sweep.sbatch: .*(exit 75): requeueing job' "$T/b.log" || why+="no '(exit 75): requeueing job' line; "
        st=$(h5state "$T/b.h5")
        read -r n pend ndone other comp _ <<<"$st"
        [ "${n:-}" = 48 ] && [ "${pend:-0}" -gt 0 ] && [ "${ndone:-0}" -ge 3 ] && [ "${other:-}" = 0 ] && [ "${comp:-}" = no ] ||
            why+="after the stop the file is '$st', want 48 runs, some pending, >= 3 done, completed empty; "
        [ -s "$T/b.h5.journal" ] || why+="no journal after the stop; "
    fi
fi
check "time-limit warning (USR1 to the batch shell): exit 75, the job requeues itself, partial file ($((SECONDS - t0)) s)" \
    "$why" "$T/b.log"
t0=$SECONDS
why=""
if [ $requeued -eq 0 ]; then
    why="no requeued job to follow (above)"
elif ! sleep 2 || ! timeout 10 scontrol update JobId="$J" StartTime=now; then
    # A requeued job waits cred_expire (10 s here) plus a scheduler pass
    # (up to 60 s): start it now. Not at once: slurmd refuses a job whose
    # credential dates from the second its last start was revoked in ("Job
    # credential revoked", the job FAILS), so let that second pass first.
    why+="scontrol update JobId=$J StartTime=now failed; "
elif ! wait_end "$J"; then
    why+="requeued job $J not ended after ${LIMIT}s (state '$STATE'); "
else
    [ "$STATE" = COMPLETED ] && [ "$EXIT" = 0:0 ] || why+="state $STATE exit $EXIT, want COMPLETED 0:0; "
    [ "$(field "$J" Restarts)" = 1 ] || why+="Restarts=$(field "$J" Restarts), want 1; "
    grep -q '^sweep.sbatch: .*(start 2).*--resume' "$T/b.log" || why+="the second start did not add --resume; "
    st=$(h5state "$T/b.h5")
    [ "$st" = "48 0 48 0 yes 2 1" ] || why+="file state '$st', want 48 done, completed, mpi_size 2, resumes 1; "
    why+=$(same "$T/ref_req.h5" "$T/b.h5")
fi
check "requeued job resumes from the journal: exit 0, same science as uninterrupted ($((SECONDS - t0)) s)" "$why" "$T/b.log"

# ---------------------------------------------------------------- no requeue: SGDSWEEP_REQUEUE=0, TERM; resubmission resumes
# stop NAME SIGNAL [ENV...]: submit the requeue spec into $T/d.h5, signal the
# batch shell once 3 more runs are done; expect exit 75, no requeue
stop_once() {
    local name=$1 sig=$2 why="" t0=$SECONDS before
    shift 2
    before=0
    [ -e "$T/d.h5" ] && before=$(h5state "$T/d.h5" | awk '{ print $3 }')
    [[ $before =~ ^[0-9]+$ ]] || why+="cannot read the runs done so far in d.h5: '$before'; "
    J=""
    J=$(env "$@" sbatch --parsable --output="$T/d.log" --ntasks=2 "$JOB" "$REQ" "$T/d.h5" --progress-every 0.2 \
        2>"$T/d.sbatch.err")
    J=${J%%;*}
    [[ $J =~ ^[0-9]+$ ]] && JOBS+=("$J") || why+="sbatch failed: $(head -c 300 "$T/d.sbatch.err"); "
    if [ -z "$why" ] && ! wait_done "$T/d.log" $((before + 3)) "$J"; then
        why+="job $J never reported $((before + 3)) runs done (state '$(field "$J" JobState)'); "
    elif [ -z "$why" ]; then
        scancel --signal="$sig" --batch "$J" || why+="scancel --signal=$sig --batch failed; "
        if ! wait_end "$J"; then
            why+="not ended after ${LIMIT}s (state '$STATE'); "
        else
            [ "$STATE" = FAILED ] && [ "$EXIT" = 75:0 ] || why+="state $STATE exit $EXIT, want FAILED 75:0; "
            [ "$(field "$J" Restarts)" = 0 ] || why+="requeued (Restarts=$(field "$J" Restarts)); "
            grep -q "^sweep.sbatch: .*stopped (exit 75): incomplete; submit the same command again" "$T/d.log" ||
                why+="no 'stopped (exit 75): incomplete; submit ... again' line; "
            read -r n pend ndone _ comp _ <<<"$(h5state "$T/d.h5")"
            [ "${n:-}" = 48 ] && [ "${pend:-0}" -gt 0 ] && [ "${ndone:-0}" -ge $((before + 3)) ] && [ "${comp:-}" = no ] ||
                why+="file has ${ndone:-?} done, ${pend:-?} pending, completed '${comp:-?}'; "
        fi
    fi
    check "$name: exit 75, not requeued, partial file ($((SECONDS - t0)) s)" "$why" "$T/d.log"
}
stop_once "USR1 with SGDSWEEP_REQUEUE=0" USR1 SGDSWEEP_REQUEUE=0
stop_once "TERM (a cancel, not the time limit)" TERM
t0=$SECONDS
submit d --ntasks=2 "$JOB" "$REQ" "$T/d.h5"
why=""
if ! wait_end "$J"; then
    why+="job ${J:-?} not ended after ${LIMIT}s (state '$STATE'); "
else
    [ "$STATE" = COMPLETED ] && [ "$EXIT" = 0:0 ] || why+="state $STATE exit $EXIT, want COMPLETED 0:0; "
    [ "$(grep -c '^sweep.sbatch: .*sgdsweep run .* --resume' "$T/d.log")" = 2 ] || why+="not exactly the last 2 of 3 starts resumed; "
    st=$(h5state "$T/d.h5")
    [ "$st" = "48 0 48 0 yes 2 2" ] || why+="file state '$st', want 48 done, completed, mpi_size 2, resumes 2; "
    why+=$(same "$T/ref_req.h5" "$T/d.h5")
fi
check "resubmitted twice: resumes, completes, same science as uninterrupted ($((SECONDS - t0)) s)" "$why" "$T/d.log"

# ---------------------------------------------------------------- a bad spec: sgdsweep's exit code is the job's
submit bad --ntasks=2 "$JOB" "$SW/malformed.yaml" "$T/bad.h5"
why=""
if ! wait_end "$J"; then
    why+="job ${J:-?} not ended after ${LIMIT}s (state '$STATE'); "
else
    [ "$STATE" = FAILED ] && [ "$EXIT" = 2:0 ] || why+="state $STATE exit $EXIT, want FAILED 2:0; "
    grep -q 'malformed.yaml:6:8:' "$T/bad.log" || why+="sgdsweep's error line is not in the log; "
    grep -q '^sweep.sbatch: .*sgdsweep exited 2' "$T/bad.log" || why+="no 'sgdsweep exited 2' line; "
    [ -e "$T/bad.h5" ] && why+="a result file was written; "
fi
check "bad spec: the job exits 2 with sgdsweep's error in the log" "$why" "$T/bad.log"

# ---------------------------------------------------------------- optional: the real time limit
if [ "${SLURM_TEST_TIMELIMIT:-0}" = 1 ]; then
    t0=$SECONDS
    # a long sweep: the requeue spec with 20x the seeds, written next to the result
    sed 's/^seeds: 6$/seeds: 120/; s/^name: slurm_requeue$/name: slurm_timelimit/' "$REQ" >"$T/long.yaml"
    submit tl --ntasks=2 --time=2 --signal=B:USR1@110 "$JOB" "$T/long.yaml" "$T/tl.h5" --progress-every 5
    why=""
    end=$((SECONDS + 90))
    while [ $SECONDS -le $end ]; do
        STATE=$(field "$J" JobState)
        [ "$STATE" = PENDING ] && [ "$(field "$J" Restarts)" = 1 ] && break
        [[ $STATE =~ ^($ENDED)$ ]] && break
        sleep 0.5
    done
    if [ "$STATE" != PENDING ]; then
        why+="not requeued within 90 s: state $STATE, exit $(field "$J" ExitCode); "
    else
        echo "     (time-limit warning after $((SECONDS - t0)) s; nominal 10 s)"
        # the second start gets a fresh --time=2: give it room, or it is warned again
        timeout 10 scontrol update JobId="$J" TimeLimit=10
        sleep 2
        timeout 10 scontrol update JobId="$J" StartTime=now
        if ! wait_end "$J"; then
            why+="requeued job not ended (state $STATE); "
        else
            [ "$STATE" = COMPLETED ] && [ "$EXIT" = 0:0 ] || why+="state $STATE exit $EXIT; "
            st=$(h5state "$T/tl.h5")
            [ "$st" = "960 0 960 0 yes 2 1" ] || why+="file state '$st'; "
        fi
    fi
    check "real time limit (--time=2 --signal=B:USR1@110): warned, requeued, completed ($((SECONDS - t0)) s)" "$why" "$T/tl.log"
fi

suite_end slurm
