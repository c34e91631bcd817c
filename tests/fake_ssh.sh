#!/bin/sh
# fake_ssh.sh -- an Open MPI launch agent that starts the "remote" daemons on
# this machine, each under the host name it was asked to reach, so that one
# machine plays a cluster of several nodes (tests/multinode_test.sh,
# docs/SWEEP.md "Testing more than one node"):
#
#   mpirun --mca plm rsh --mca plm_rsh_agent tests/fake_ssh.sh \
#          --hostfile HOSTS --map-by node --mca btl tcp,self ... -np N PROGRAM
#
# Open MPI calls it as it would call ssh: fake_ssh.sh [OPTIONS] HOST COMMAND...
# where COMMAND (its words joined by blanks) is a shell command line, the
# orted daemon with its arguments. It runs that command line here, in a new
# UTS namespace whose host name is HOST (unshare --uts; needs root or
# CAP_SYS_ADMIN), so gethostname() in the daemon and in the ranks it starts
# returns HOST, as on a real node. Network, files and processes stay shared:
# the daemons and ranks talk over loopback TCP.
#
# FAKE_SSH_UTS=0: no namespace; the daemon keeps this machine's host name
# (Open MPI still treats HOST as a node of its own) and gets TMPDIR
# $FAKE_SSH_TMPDIR/fake_ssh.HOST (default ${TMPDIR:-/tmp}/fake_ssh.HOST, left
# for the caller to remove).
# Exit status: the command's; 255 (ssh's) for a bad call or a host name that
# cannot be set; unshare's (1) where new namespaces are not permitted.

# skip ssh-style options (Open MPI passes none unless plm_rsh_args says so)
while [ $# -gt 0 ]; do
    case $1 in
    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
    -*) shift ;;
    *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "fake_ssh.sh: usage: fake_ssh.sh [ssh options] HOST COMMAND..." >&2
    exit 255
fi
host=$1
shift
if [ "${FAKE_SSH_UTS:-1}" = 0 ]; then
    # Open MPI names its session directory after the host name; daemons that
    # share one race to create and remove it (ORTE_ERROR_LOG in session_dir.c,
    # seen on a second job): give each node a temporary directory of its own
    TMPDIR=${FAKE_SSH_TMPDIR:-${TMPDIR:-/tmp}}/fake_ssh.$host
    export TMPDIR
    mkdir -p "$TMPDIR" || exit 255
    exec sh -c "$*"
fi
# $0 of the inner shell is HOST, "$*" the command line, as ssh would join it
exec unshare --uts sh -c 'hostname "$0" || exit 255; exec sh -c "$*"' "$host" "$@"
