#!/usr/bin/env bash
# install_test.sh -- `make install` and `make uninstall` (README.md, Installing).
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/install_test.sh
#
# Installs the binary $SGDSWEEP as it is (make -o: nothing is rebuilt, with
# whatever flags) into a temporary PREFIX, then works from another directory
# with only PREFIX/bin on top of PATH: the installed sgdsweep (--version, a
# train, a 1-rank `mpirun -q` sweep), the analysis wrappers sgdsweep-report,
# sgdsweep-compare (same science: 0, different: 1, usage: 2) and
# sgdsweep-claims-report on the result, a wrapper reached through a symlink,
# the man page (`man --warnings -l`, or groff -ww; skipped with a note if
# neither is installed: no warning at all, and `man -w` finds it under
# PREFIX/share/man), the SLURM script (`bash -n`; SGDSWEEP_DRY_RUN shows it
# resolves the installed binary, even submitted from a tree with a
# build/sgdsweep, and that SGDSWEEP still wins). A DESTDIR install must put
# everything under DESTDIR and nothing at PREFIX, with the script pointing at
# PREFIX/bin/sgdsweep. `make uninstall` must remove every file install wrote
# (the MANIFEST is checked against the files present) and nothing else: files
# of the user's own planted in bin/ and share/sgdsweep/ stay.
# Ends with "install: P passed, F failed" and exits nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/install_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

PFX=$T/prefix          # the install tree
W=$T/elsewhere       # where the installed tree is used from
mkdir -p "$W"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI itself leaks: no leak detection in processes that start MPI
case $SGDSWEEP in
*build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;;
esac

# mk TARGET [VAR=VALUE...]: make TARGET in the source tree, with $SGDSWEEP as
# the binary and taken as up to date (-o), so that an install from build-san/
# neither relinks it without sanitizers nor rebuilds anything. The caller's
# make settings (make check's MAKEFLAGS, DESTDIR, PYTHON) do not leak in.
mk() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR -u PYTHON -u PREFIX \
        make -s --no-print-directory -C "$ROOT" -o "$SGDSWEEP" BIN="$SGDSWEEP" "$@" >"$T/make.out" 2>"$T/err"
}

# manifest_matches DIR: the MANIFEST lists exactly the files under DIR
manifest_matches() {
    local m=$1/share/sgdsweep/MANIFEST
    [ -f "$m" ] || { echo "no $m"; return; }
    (cd "$1" && find . -type f | sed 's|^\./||' | sort) >"$T/found"
    sort "$m" | diff - "$T/found" >"$T/mdiff" || echo "MANIFEST vs files present: $(head -c 400 "$T/mdiff")"
}

# ---------------------------------------------------------------- install
mk install PREFIX="$PFX"
rc=$?
why=""
[ $rc -eq 0 ] || why+="exit $rc; "
for f in bin/sgdsweep bin/sgdsweep-report bin/sgdsweep-compare bin/sgdsweep-claims-report \
    share/sgdsweep/slurm/sweep.sbatch share/sgdsweep/analysis/sgdsweep_results.py \
    share/sgdsweep/analysis/report.py share/sgdsweep/analysis/compare.py \
    share/sgdsweep/analysis/claims/common.py share/sgdsweep/analysis/claims/report.py \
    share/sgdsweep/jobs/quickstart.yaml share/sgdsweep/jobs/example.yaml \
    share/sgdsweep/jobs/claims/overparam.criterion.yaml \
    share/doc/sgdsweep/README.md share/doc/sgdsweep/docs/CLI.md share/doc/sgdsweep/docs/SLURM.md \
    share/man/man1/sgdsweep.1; do
    [ -f "$PFX/$f" ] || why+="no $f; "
done
for f in bin/sgdsweep bin/sgdsweep-report bin/sgdsweep-compare bin/sgdsweep-claims-report \
    share/sgdsweep/slurm/sweep.sbatch; do
    [ -x "$PFX/$f" ] || why+="$f not executable; "
done
cmp -s "$SGDSWEEP" "$PFX/bin/sgdsweep" || why+="bin/sgdsweep is not \$SGDSWEEP; "
for n in report compare claims-report; do
    [ "$(head -1 "$PFX/bin/sgdsweep-$n")" = '#!/usr/bin/python3' ] || why+="sgdsweep-$n: shebang '$(head -1 "$PFX/bin/sgdsweep-$n")'; "
done
why+=$(manifest_matches "$PFX")
report "make install PREFIX=T: every file in place, executables executable, MANIFEST exact" "$why"

cd "$W" || exit 1
export PATH="$PFX/bin:$PATH"

# ---------------------------------------------------------------- the program, from elsewhere
want=$("$SGDSWEEP" --version 2>&1)
got=$(sgdsweep --version 2>"$T/err")
report "installed sgdsweep --version (from $W, found on PATH)" \
    "$([ "$(command -v sgdsweep)" = "$PFX/bin/sgdsweep" ] || echo "PATH finds $(command -v sgdsweep)")$([ "$got" = "$want" ] || echo "'$got', want '$want'")"

sgdsweep train --width 8 --d-in 7 --classes 3 --n-train 64 --n-test 48 --batch 16 --steps 50 \
    >"$T/train.out" 2>"$T/err"
rc=$?
report "installed sgdsweep train: exit 0, status done after 50 steps" \
    "$([ $rc -eq 0 ] && grep -qx $'status\tdone' "$T/train.out" && grep -qx $'steps_done\t50' "$T/train.out" ||
        echo "exit $rc: $(head -c 200 "$T/train.out")")"

cat >"$W/tiny.yaml" <<'EOF'
name: tiny
parameters:
  width: {values: [8, 16]}
  lr: {values: [0.05, 0.2]}
  d_in: 5
  classes: 3
  n_train: 48
  n_test: 32
  batch: 8
  steps: 60
  checkpoints: 4
seeds: 2
EOF
sed 's/steps: 60/steps: 61/' "$W/tiny.yaml" >"$W/other.yaml"
timeout -k 5 60 mpirun -q -np 1 sgdsweep run tiny.yaml -o tiny.h5 --quiet >"$T/run.out" 2>"$T/err"
rc=$?
report "installed sgdsweep run under mpirun -q -np 1 (8 runs): exit 0" \
    "$([ $rc -eq 0 ] && [ -s tiny.h5 ] || echo "exit $rc: $(head -c 300 "$T/run.out")")"
timeout -k 5 60 sgdsweep run tiny.yaml -o single.h5 --quiet >"$T/run.out" 2>"$T/err"
rc1=$?
timeout -k 5 60 sgdsweep run other.yaml -o other.h5 --quiet >"$T/run.out" 2>"$T/err"
rc2=$?
report "installed sgdsweep run as an MPI singleton, twice: exit 0" \
    "$([ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || echo "exit $rc1, $rc2")"

# ---------------------------------------------------------------- the analysis wrappers
mkdir -p "$W/rep"
sgdsweep-report tiny.h5 -o rep >"$T/rep.out" 2>"$T/err"
rc=$?
report "sgdsweep-report: exit 0, writes the report and the curves" \
    "$([ $rc -eq 0 ] && [ -s rep/tiny_report.md ] && [ -s rep/tiny_curves.png ] ||
        echo "exit $rc: $(ls rep) $(head -c 200 "$T/rep.out")")"
report "sgdsweep-report: the report names the sweep" \
    "$(grep -q 'tiny' rep/tiny_report.md 2>/dev/null || echo "no 'tiny' in it")"

sgdsweep-compare tiny.h5 single.h5 >"$T/cmp.out" 2>"$T/err"
r0=$?
sgdsweep-compare tiny.h5 other.h5 >"$T/cmp.out" 2>"$T/err"
r1=$?
sgdsweep-compare >/dev/null 2>"$T/err"
r2=$?
report "sgdsweep-compare: same science 0 (mpirun -np 1 vs singleton), different spec 1, usage 2" \
    "$([ "$r0 $r1 $r2" = "0 1 2" ] || echo "exits $r0 $r1 $r2")"

mkdir -p "$T/otherbin"
ln -s "$PFX/bin/sgdsweep-compare" "$T/otherbin/sgdsweep-compare"
"$T/otherbin/sgdsweep-compare" tiny.h5 single.h5 >"$T/cmp.out" 2>"$T/err"
rc=$?
report "sgdsweep-compare through a symlink in another directory: exit 0" "$([ $rc -eq 0 ] || echo "exit $rc")"

sgdsweep-claims-report claims tiny.h5 claim-overparam-small.h5 >"$T/claims.out" 2>"$T/err"
rc=$?
why=""
[ $rc -eq 0 ] || why+="exit $rc; "
[ -s claims/REPORT.md ] || why+="no claims/REPORT.md; "
grep -q 'refused' claims/REPORT.md 2>/dev/null || why+="tiny.h5 (not a claim sweep) not refused; "
grep -q 'no result' claims/REPORT.md 2>/dev/null || why+="the missing claim result has no 'no result' row; "
report "sgdsweep-claims-report: imports its modules and criteria, writes REPORT.md" "$why"

# ---------------------------------------------------------------- the man page
MAN=$PFX/share/man/man1/sgdsweep.1
if command -v man >/dev/null; then
    MANWIDTH=80 man --warnings -l "$MAN" >"$T/man.out" 2>"$T/man.err"
    rc=$?
    why=""
    [ $rc -eq 0 ] || why+="exit $rc; "
    [ -s "$T/man.err" ] && why+="warnings: $(head -c 300 "$T/man.err"); "
    for s in SYNOPSIS COMMANDS OPTIONS 'EXIT STATUS' ENVIRONMENT FILES 'SEE ALSO' OPENBLAS_NUM_THREADS; do
        grep -q "$s" "$T/man.out" || why+="no '$s'; "
    done
    report "man -l renders sgdsweep.1 without warnings" "$why"
    found=$(MANPATH=$PFX/share/man man -w sgdsweep 2>&1)
    report "man finds sgdsweep(1) under PREFIX/share/man" "$([ "$found" = "$MAN" ] || echo "man -w: '$found'")"
elif command -v groff >/dev/null; then
    groff -man -Tutf8 -ww -z "$MAN" >/dev/null 2>"$T/man.err"
    report "groff -man -ww renders sgdsweep.1 without warnings" \
        "$([ -s "$T/man.err" ] && echo "warnings: $(head -c 300 "$T/man.err")")"
else
    echo "note: neither man nor groff is installed: the man page is not rendered (apt-get install man-db)"
fi
# the page's version is the program's
v=$(sed -n 's/^\.TH SGDSWEEP 1 "[^"]*" "sgdsweep \([^"]*\)".*/\1/p' "$MAN")
report "the man page's version is sgdsweep --version's" \
    "$(case $want in "sgdsweep $v "*) ;; *) echo "page '$v', program '$want'" ;; esac)"

# ---------------------------------------------------------------- the SLURM script
JOB=$PFX/share/sgdsweep/slurm/sweep.sbatch
report "installed sweep.sbatch: bash -n" "$(bash -n "$JOB" 2>"$T/err" || echo "syntax error")"
# submitted from a tree with its own build/sgdsweep, PATH without PREFIX/bin:
# the installed script still runs the installed binary
mkdir -p "$T/submit/build" "$T/nobin"
ln -s "$SGDSWEEP" "$T/submit/build/sgdsweep"
ln -s "$(command -v date)" "$T/nobin/date"
env -u SGDSWEEP PATH="$T/nobin" SLURM_SUBMIT_DIR="$T/submit" SGDSWEEP_DRY_RUN=1 \
    /bin/bash "$JOB" tiny.yaml dry.h5 --quiet >"$T/dry.out" 2>&1
rc=$?
report "installed sweep.sbatch (dry run) resolves PREFIX/bin/sgdsweep, runs nothing" \
    "$([ $rc -eq 0 ] && grep -qF "srun --mpi=pmix $PFX/bin/sgdsweep run tiny.yaml -o dry.h5 --quiet" "$T/dry.out" &&
        [ ! -e dry.h5 ] && [ ! -e dry.h5.journal ] || echo "exit $rc: $(head -c 300 "$T/dry.out")")"
env SGDSWEEP="$T/submit/build/sgdsweep" PATH="$T/nobin" SGDSWEEP_DRY_RUN=1 \
    /bin/bash "$JOB" tiny.yaml dry.h5 >"$T/dry.out" 2>&1
rc=$?
report "installed sweep.sbatch: SGDSWEEP still wins" \
    "$([ $rc -eq 0 ] && grep -qF "srun --mpi=pmix $T/submit/build/sgdsweep run" "$T/dry.out" ||
        echo "exit $rc: $(head -c 300 "$T/dry.out")")"
env -u SGDSWEEP PATH="$T/nobin" SLURM_SUBMIT_DIR="$T/submit" SGDSWEEP_DRY_RUN=1 \
    /bin/bash "$ROOT/slurm/sweep.sbatch" tiny.yaml dry.h5 >"$T/dry.out" 2>&1
rc=$?
report "source-tree sweep.sbatch (dry run) still resolves build/sgdsweep in the submit directory" \
    "$([ $rc -eq 0 ] && grep -qF "srun --mpi=pmix $T/submit/build/sgdsweep run" "$T/dry.out" ||
        echo "exit $rc: $(head -c 300 "$T/dry.out")")"

# ---------------------------------------------------------------- DESTDIR
D=$T/stage
DP=/nonexistent-sgdsweep-prefix-$$
mk install DESTDIR="$D" PREFIX="$DP"
rc=$?
why=""
[ $rc -eq 0 ] || why+="exit $rc; "
[ -x "$D$DP/bin/sgdsweep" ] || why+="no $D$DP/bin/sgdsweep; "
[ -e "$DP" ] && why+="$DP was created; "
grep -qx "installed_bin='$DP/bin/sgdsweep'" "$D$DP/share/sgdsweep/slurm/sweep.sbatch" 2>/dev/null ||
    why+="the staged script does not name $DP/bin/sgdsweep; "
why+=$(manifest_matches "$D$DP")
report "make install DESTDIR=S PREFIX=/p: all under S/p, the script names /p/bin/sgdsweep" "$why"
env -u SGDSWEEP PATH="$T/nobin" SGDSWEEP_DRY_RUN=1 \
    /bin/bash "$D$DP/share/sgdsweep/slurm/sweep.sbatch" tiny.yaml dry.h5 >"$T/dry.out" 2>&1
rc=$?
report "staged sweep.sbatch, its binary not at PREFIX yet: exit 1 naming it" \
    "$([ $rc -eq 1 ] && grep -qF "no sgdsweep binary: $DP/bin/sgdsweep (installed with this script) is missing" "$T/dry.out" ||
        echo "exit $rc: $(head -c 300 "$T/dry.out")")"
mk uninstall DESTDIR="$D" PREFIX="$DP"
rc=$?
left=$(find "$D" -type f | head -5)
report "make uninstall DESTDIR=S PREFIX=/p: no file left under S" \
    "$([ $rc -eq 0 ] && [ -z "$left" ] || echo "exit $rc; left: $left")"

# ---------------------------------------------------------------- uninstall
# files of the user's own, in our directories and beside ours: they stay
echo "name: mine" >"$PFX/share/sgdsweep/jobs/mine.yaml"
echo mine >"$PFX/bin/other-tool"
cd "$T" || exit 1
mk uninstall PREFIX="$PFX"
rc=$?
left=$(cd "$PFX" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
why=""
[ $rc -eq 0 ] || why+="exit $rc; "
[ "$left" = "bin/other-tool share/sgdsweep/jobs/mine.yaml " ] || why+="files left: '$left', want only the two planted; "
[ -e "$PFX/share/doc/sgdsweep" ] && why+="share/doc/sgdsweep still there; "
[ -e "$PFX/share/sgdsweep/analysis" ] && why+="share/sgdsweep/analysis still there; "
report "make uninstall PREFIX=T: every installed file gone, the user's two files kept" "$why"
rm -f "$PFX/share/sgdsweep/jobs/mine.yaml" "$PFX/bin/other-tool"
mk uninstall PREFIX="$PFX"
rc=$?
report "make uninstall again (no MANIFEST): exit 0, says so" \
    "$([ $rc -eq 0 ] && grep -q 'no .*MANIFEST' "$T/make.out" || echo "exit $rc: $(head -c 200 "$T/make.out")")"
left=$(find "$PFX" -type f | head -5)
report "the prefix holds no file after uninstall" "$([ -z "$left" ] || echo "left: $left")"

suite_end install
