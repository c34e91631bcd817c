#!/usr/bin/env bash
# cli_test.sh -- the sgdsweep command line, end to end (docs/CLI.md, docs/SAVE.md).
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/cli_test.sh
#
# Every error path of `sgdsweep train` is triggered on purpose and must give
# its documented exit code, nothing on stdout and ONE line on stderr naming the
# option, the value and what is accepted. Successful runs are checked against
# independent computations: n_params from the layer sizes, the saved network
# rebuilt with numpy (the Python example of docs/SAVE.md, executed here), a
# saved file fed back as data reproducing the run. Ends with the line
# "cli: P passed, F failed" and exits nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/cli_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/lib.sh"

# sg ARGS...: run sgdsweep; stdout -> $T/out, stderr -> $T/err, status -> RC
sg() {
    "$SGDSWEEP" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# metric KEY [FILE]: the value of a `key<TAB>value` line
metric() { awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "${2:-$T/out}"; }

# has PATTERN: the last stderr contains PATTERN; "re:PATTERN" is an ERE
has() {
    case $1 in
    re:*) grep -qE -e "${1#re:}" "$T/err" ;;
    *) grep -qF -e "$1" "$T/err" ;;
    esac
}

# expect_fail NAME CODE ARGS... [:: PATTERN...]
#   sgdsweep ARGS must exit CODE, print nothing on stdout, and print exactly
#   one line on stderr, "sgdsweep: ...", containing every PATTERN.
expect_fail() {
    local name=$1 code=$2 args=() why="" n p
    shift 2
    while [ $# -gt 0 ] && [ "$1" != "::" ]; do
        args+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    sg "${args[@]}"
    # AddressSanitizer's note on a refused huge allocation is not the program's output
    sed -i '/^==[0-9]*==WARNING: AddressSanitizer failed to allocate/d' "$T/err"
    [ "$RC" -eq "$code" ] || why+="exit $RC, want $code; "
    [ -s "$T/out" ] && why+="stdout not empty ($(wc -l <"$T/out") lines: $(head -c 60 "$T/out" | tr '\t\n' ' ')...); "
    n=$(wc -l <"$T/err")
    [ "$n" -eq 1 ] || why+="stderr has $n lines, want 1; "
    grep -q '^sgdsweep: ' "$T/err" || why+="stderr does not start with 'sgdsweep: '; "
    for p in "$@"; do
        has "$p" || why+="message lacks '$p'; "
    done
    report "$name" "$why"
}

# pyrun NAME SCRIPT-ARGS... <<'EOF' ... EOF
#   runs Python from stdin; each line "ok NAME" is a pass, each "FAIL NAME: why"
#   a failure; a script that dies without reporting is one failure.
pyrun() {
    local name=$1 out rc
    shift
    out=$("$PYTHON" - "$@" 2>&1)
    rc=$?
    local np nf
    np=$(grep -c '^ok ' <<<"$out")
    nf=$(grep -c '^FAIL ' <<<"$out")
    P=$((P + np))
    F=$((F + nf))
    grep '^FAIL ' <<<"$out"
    if [ $rc -ne 0 ]; then
        F=$((F + 1))
        printf 'FAIL %s: python exited %d\n%s\n' "$name" $rc "$(tail -5 <<<"$out")"
    fi
}

if [ ! -x "$SGDSWEEP" ]; then
    echo "FAIL setup: $SGDSWEEP is not an executable (build it with make)"
    echo "cli: 0 passed, 1 failed"
    exit 1
fi

# A tiny network: d_in 7, width 8, depth 2, 3 classes. Layer sizes give
# n_params = (7*8+8) + (8*8+8) + (8*3+3) = 64 + 72 + 27 = 163.
TINY=(--width 8 --depth 2 --d-in 7 --classes 3 --n-train 64 --n-test 48 --batch 16 --steps 50)
TINY_NPARAMS=163
# metric keys, in order: n_params, then the metrics table of docs/CLI.md
# shellcheck disable=SC2016  # backquotes are literal markdown
KEYS=$(sed -n '/^<!-- metrics:begin -->/,/^<!-- metrics:end -->/p' "$ROOT/docs/CLI.md" |
    sed -nE 's/^\| `([a-z_]+)` \|.*/\1/p' | tr '\n' ' ')

# ---------------------------------------------------------------- usage errors (exit 2)
expect_fail "unknown flag, with did-you-mean" 2 train "${TINY[@]}" --widht 8 :: "'--widht'" "did you mean --width?"
expect_fail "unknown flag, dashes vs underscores in suggestion" 2 train "${TINY[@]}" --softplus-bta 2 :: \
    "'--softplus-bta'" "did you mean --softplus-beta?"
expect_fail "unknown flag, nothing close" 2 train "${TINY[@]}" --zzzzzzzz 1 :: "'--zzzzzzzz'" "--help"
expect_fail "unknown flag, no value given" 2 train --frobnicate :: "'--frobnicate'"
expect_fail "missing value at the end" 2 train "${TINY[@]}" --lr :: "--lr" "needs a value"
expect_fail "missing value before the next option" 2 train --width --steps 5 :: "--width"
expect_fail "--save without a file name at the end" 2 train "${TINY[@]}" --save :: "--save" "needs a value"
expect_fail "--save with an empty file name" 2 train "${TINY[@]}" --save "" :: "--save" "empty"
expect_fail "negative width" 2 train "${TINY[@]}" --width -3 :: "--width" "'-3'" "accepted: [1 .."
expect_fail "negative width, --name=value form" 2 train "${TINY[@]}" --width=-3 :: "--width" "'-3'" "accepted"
expect_fail "width above its maximum, exact bound shown" 2 train "${TINY[@]}" --width 1048577 :: \
    "--width" "'1048577'" "1048576"
expect_fail "lr = 0" 2 train "${TINY[@]}" --lr 0 :: "--lr" "'0'" "accepted: > 0"
expect_fail "lr = -1" 2 train "${TINY[@]}" --lr -1 :: "--lr" "'-1'" "accepted: > 0"
expect_fail "n_train = 0" 2 train "${TINY[@]}" --n-train 0 :: "--n-train" "'0'" "accepted: [1 .."
expect_fail "checkpoints below 2" 2 train "${TINY[@]}" --checkpoints 1 :: "--checkpoints" "'1'" "[2 .."
expect_fail "label_noise above 1" 2 train "${TINY[@]}" --label-noise 1.5 :: "--label-noise" "'1.5'" "[0 .. 1]"
expect_fail "negative seed" 2 train "${TINY[@]}" --seed -1 :: "--seed" "'-1'" "accepted"
expect_fail "batch larger than the training set" 2 train "${TINY[@]}" --n-train 64 --batch 100 :: \
    "re:(--)?batch" "100" "64"
expect_fail "unknown activation lists the accepted ones" 2 train "${TINY[@]}" --act swish :: \
    "--act" "'swish'" "relu, tanh, sigmoid, softplus, identity, erf, gelu"
expect_fail "unknown enum value, --name=value form" 2 train "${TINY[@]}" --optimizer=adam :: \
    "--optimizer" "'adam'" "sgd, gd, pgd, langevin"
for v in 0.1x abc 1e999 nan inf ""; do
    expect_fail "malformed number '$v'" 2 train "${TINY[@]}" --lr "$v" :: "--lr" "'$v'" "finite number"
done
# the message states the bound that was crossed: the upper one too (1e300 for these reals)
for o in lr init-scale blowup epochs; do
    expect_fail "--$o 1e308: the upper bound is named" 2 train --$o 1e308 :: "--$o" "'1e308'" "<= 1e+300"
done
# a denormal is a finite number: accepted, and range-checked like any other
sg train "${TINY[@]}" --lr 4.9e-324 --quiet
report "--lr 4.9e-324 (a denormal) is accepted" "$([ "$RC" -eq 0 ] || echo "exit $RC: $(head -1 "$T/err")")"
expect_fail "--lr-step-factor 4.9e-324 is a number, checked against the range" 2 train "${TINY[@]}" \
    --lr-step-factor -4.9e-324 :: "--lr-step-factor" "'-4.9e-324'" "(0 .. 1]"
expect_fail "non-integer for an int setting (2.5)" 2 train "${TINY[@]}" --width 2.5 :: "--width" "'2.5'" "integer"
expect_fail "non-integer for a long setting (10.5 steps)" 2 train "${TINY[@]}" --steps 10.5 :: "--steps" "'10.5'" "integer"
expect_fail "integer overflow" 2 train "${TINY[@]}" --width 99999999999999999999 :: "--width" "integer"
expect_fail "bad boolean" 2 train "${TINY[@]}" --bias maybe :: "--bias" "'maybe'" "true, false"
expect_fail "two budgets: steps and epochs" 2 train "${TINY[@]}" --epochs 1 :: "steps" "epochs" "one budget"
expect_fail "two budgets: epochs and sde_time" 2 train --epochs 1 --sde-time 2 :: "epochs" "sde_time" "one budget"
expect_fail "loss ce with regression data" 2 train "${TINY[@]}" --task regression --loss ce :: \
    "'ce'" "regression" "mse"
expect_fail "loss hinge with linear (regression) data" 2 train "${TINY[@]}" --data linear --loss hinge :: \
    "'hinge'" "regression"
expect_fail "mixture with more classes than inputs" 2 train "${TINY[@]}" --data mixture --classes 9 :: \
    "classes" "9" "7"
expect_fail "langevin without a temperature" 2 train "${TINY[@]}" --optimizer langevin :: "re:langevin[-_]temp"
expect_fail "online with full-batch gd" 2 train "${TINY[@]}" --online --optimizer gd :: "online" "gd"
expect_fail "cosine lr_min above lr" 2 train "${TINY[@]}" --lr-schedule cosine --lr-min 0.5 :: "lr_min" "0.5"
expect_fail "--data file without --data-file" 2 train "${TINY[@]}" --data file :: "re:data[-_]file"
expect_fail "--data-file without --data file" 2 train "${TINY[@]}" --data-file "$T/d.h5" :: "re:data[-_]file" "teacher"
expect_fail "--force without --save" 2 train "${TINY[@]}" --force :: "--force" "--save"
expect_fail "--quiet takes no value" 2 train "${TINY[@]}" --quiet=1 :: "--quiet"
expect_fail "positional argument to train" 2 train "${TINY[@]}" foo :: "'foo'"
expect_fail "single-dash option to train" 2 train -w 8 :: "'-w'"
expect_fail "unknown command" 2 frobnicate :: "'frobnicate'" "train" "--version" "--help"

# --save and --curve take a file name: a following option is not one
mkdir "$T/cwd" && cd "$T/cwd" || exit 1
for o in save curve; do
    sg train "${TINY[@]}" --$o --quiet
    why=""
    [ "$RC" -eq 2 ] || why+="exit $RC, want 2 (--$o's value is missing); "
    [ -e "$T/cwd/--quiet" ] && why+="wrote a file named '--quiet'; " && rm -f -- "$T/cwd/--quiet"
    report "--$o followed by an option is a missing value" "$why"
done
cd "$ROOT" || exit 1

# no command at all: usage, exit 2
sg
why=""
[ "$RC" -eq 2 ] || why="exit $RC, want 2"
grep -q 'usage: sgdsweep' "$T/out" "$T/err" || why+=" no usage text"
report "no command: usage and exit 2" "$why"

# ---------------------------------------------------------------- data-file errors (exit 3)
expect_fail "data file that does not exist" 3 train "${TINY[@]}" --data file --data-file "$T/no/such.h5" :: \
    "$T/no/such.h5" "No such file"
printf 'not hdf5\n' >"$T/text.h5"
expect_fail "data file that is not HDF5" 3 train "${TINY[@]}" --data file --data-file "$T/text.h5" :: \
    "$T/text.h5" "HDF5"
"$PYTHON" - "$T/half.h5" <<'EOF' 2>/dev/null
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["train/x"] = np.full((6, 3), 2.385)
    f["train/y"] = np.array([0, 1, 2, 0, 1, 2], dtype=np.int32)
EOF
"$PYTHON" - "$T/biglabel.h5" <<'EOF' 2>/dev/null
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    for s, n in (("train", 6), ("test", 4)):
        f[s + "/x"] = np.full((n, 3), 2.385)
        f[s + "/y"] = np.array([0, 1, 2, 2**63 + 5, 1, 0][:n], dtype=np.uint64)
EOF
expect_fail "uint64 label 2^63+5 is reported exactly" 3 train --width 8 --steps 5 --batch 4 --data file \
    --data-file "$T/biglabel.h5" :: "$T/biglabel.h5" "label 9223372036854775813 at row 3"
expect_fail "data file without /test" 3 train --width 8 --steps 5 --batch 4 --data file --data-file "$T/half.h5" :: \
    "$T/half.h5" "/test/x" "missing"

# ---------------------------------------------------------------- output-file errors (exit 4)
expect_fail "--save into a missing directory" 4 train "${TINY[@]}" --save /nonexistent/dir/x.h5 :: \
    "/nonexistent/dir/x.h5"
expect_fail "--curve into a missing directory" 4 train "${TINY[@]}" --curve /nonexistent/dir/c.tsv :: \
    "/nonexistent/dir/c.tsv"

sg train "${TINY[@]}" --seed 1 --save "$T/keep.h5"
report "--save to a new file" "$([ "$RC" -eq 0 ] && [ -s "$T/keep.h5" ] || echo "exit $RC, file $(ls -l "$T/keep.h5" 2>&1)")"
sum1=$(cksum <"$T/keep.h5")
expect_fail "--save to an existing file without --force" 4 train "${TINY[@]}" --seed 2 --save "$T/keep.h5" :: \
    "$T/keep.h5" "exists" "--force"
report "--save without --force leaves the file unchanged" \
    "$([ "$(cksum <"$T/keep.h5")" = "$sum1" ] || echo "checksum changed")"
left=$(find "$T" -maxdepth 1 -name 'keep.h5.tmp*')
report "--save leaves no temporary file behind" "${left:+left behind: $left}"
sg train "${TINY[@]}" --seed 2 --save "$T/keep.h5" --force
report "--save --force replaces the file" \
    "$([ "$RC" -eq 0 ] && [ "$(cksum <"$T/keep.h5")" != "$sum1" ] || echo "exit $RC or file unchanged")"
pyrun "--force wrote the new run" "$T/keep.h5" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    s = int(f["settings"].attrs["seed"])
    print("ok --force wrote the new run" if s == 2 else "FAIL --force wrote the new run: seed %d, want 2" % s)
EOF

# --save never replaces anything but a regular file (like run -o), --force or not:
# a device node (as root; c 1 7 is /dev/full) and a FIFO stay what they were
mknod "$T/chardev" c 1 7 2>/dev/null || mkfifo "$T/chardev"
mkfifo "$T/fifo"
for node in chardev fifo; do
    kind=$(stat -c %F "$T/$node")
    expect_fail "--save --force onto a $kind: refused" 4 train "${TINY[@]}" --save "$T/$node" --force :: \
        "$T/$node" "not a regular file"
    report "--save --force leaves the $kind as it was" \
        "$([ "$(stat -c %F "$T/$node")" = "$kind" ] || echo "now a $(stat -c %F "$T/$node")")"
done
mkdir "$T/savedir"
expect_fail "--save --force onto a directory: refused" 4 train "${TINY[@]}" --save "$T/savedir" --force :: \
    "$T/savedir" "not a regular file"

# ---------------------------------------------------------------- out of memory (exit 5)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1 \
    expect_fail "network too large for memory" 5 train --width 1048576 --depth 1000 --n-train 64 --n-test 64 :: \
    "out of memory"

# a dataset whose size overflows an int: the message gives the true row count
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1 \
    expect_fail "n_train near INT_MAX: out of memory, exact size" 5 train --n-train 2147483647 --steps 1 :: \
    "out of memory" "2147484647 x 32"

# ---------------------------------------------------------------- --version, --help
sg --version
ver=$(cat "$ROOT/VERSION" 2>/dev/null)
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ "$(wc -l <"$T/out")" -eq 1 ] || why+="want one line; "
line=$(head -1 "$T/out")
[[ $line =~ ^sgdsweep\ ([0-9]+\.[0-9]+\.[0-9]+)\ \(git\ ([0-9a-f]{7,40})(-dirty)?\)$ ]] ||
    why+="'$line' is not 'sgdsweep X.Y.Z (git HASH[-dirty])'; "
[ -n "$ver" ] && [ "${BASH_REMATCH[1]:-}" != "$ver" ] && why+="version '${BASH_REMATCH[1]:-}', VERSION says '$ver'; "
head=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null)
# a stale binary reports the commit it was built from: a build must follow HEAD
if [ -n "$head" ] && [ -n "${BASH_REMATCH[2]:-}" ] && [ "${head#"${BASH_REMATCH[2]}"}" = "$head" ]; then
    why+="commit ${BASH_REMATCH[2]} is not HEAD ${head:0:12}; "
fi
report "--version prints the version and the git commit" "$why"
sg version
report "'version' is --version" "$([ "$RC" -eq 0 ] && [ "$(head -1 "$T/out")" = "$line" ] || echo "exit $RC: $(head -1 "$T/out")")"

sg --help
cp "$T/out" "$T/help"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ -s "$T/err" ] && why+="stderr not empty; "
for o in --lr --width --depth --softplus-beta --sde-time --data-file --init-seed --curve --save --force --quiet --blas-threads; do
    grep -qE -e "^  $o( |$)" "$T/help" || why+="$o missing; "
done
nodef=$(grep -E '^  --[a-z]' "$T/help" | grep -vE '^  --(curve|save|force|quiet|blas-threads) ' | grep -vc '\[default ')
[ "$nodef" -eq 0 ] || why+="$nodef setting lines without [default ...]; "
report "--help lists the settings with defaults" "$why"
sg train --help
report "train --help is --help" "$([ "$RC" -eq 0 ] && cmp -s "$T/out" "$T/help" || echo "exit $RC or different text")"

# the settings reference of docs/CLI.md is --help's (name, type, default)
why=""
while IFS= read -r l; do
    name=$(awk '{print $1}' <<<"$l")
    def=$(sed -E 's/.*\[default (.*)\]$/\1/' <<<"$l")
    grep -qF -e "| \`$name\` |" "$ROOT/docs/CLI.md" || { why+="$name not in docs/CLI.md; "; continue; }
    grep -F -e "| \`$name\` |" "$ROOT/docs/CLI.md" | grep -qF -e "| $def |" ||
        why+="$name: docs/CLI.md default differs from --help's '$def'; "
done < <(grep -E '^  --[a-z].*\[default ' "$T/help")
report "docs/CLI.md settings table matches --help" "$why"

# ---------------------------------------------------------------- a successful tiny run
sg train "${TINY[@]}"
cp "$T/out" "$T/m1"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ -s "$T/err" ] && why+="stderr not empty; "
bad=$(grep -cvE $'^[a-z_]+\t[^\t]+$' "$T/m1")
[ "$bad" -eq 0 ] || why+="$bad lines are not key<TAB>value; "
got=$(cut -f1 "$T/m1" | tr '\n' ' ')
[ "$got" = "$KEYS" ] || why+="keys '$got' differ from docs/CLI.md '$KEYS'; "
report "tiny run: exit 0, key<TAB>value lines, the documented keys" "$why"
why=""
[ "$(metric status)" = "done" ] || why+="status '$(metric status)'; "
[ "$(metric n_params)" = $TINY_NPARAMS ] || why+="n_params $(metric n_params), want $TINY_NPARAMS; "
[ "$(metric steps_done)" = 50 ] || why+="steps $(metric steps_done), want 50; "
[ "$(metric examples)" = $((50 * 16)) ] || why+="examples $(metric examples), want 800 (50 steps x batch 16); "
[ "$(metric diverged_step)" = -1 ] || why+="diverged_step $(metric diverged_step); "
[ "$(metric final_lr)" = 0.1 ] || why+="final_lr $(metric final_lr), want the default 0.1; "
awk -F'\t' '$1 ~ /_(loss|acc)$/ && !($2 + 0 >= 0 && $2 ~ /^[0-9.e+-]+$/) { exit 1 }
            $1 ~ /_acc$/ && $2 + 0 > 1 { exit 1 }' "$T/m1" || why+="a loss/accuracy is negative, non-finite or acc > 1; "
report "tiny run: status done, n_params, steps, examples" "$why"

sg train "${TINY[@]}" --quiet
report "--quiet prints nothing" "$([ "$RC" -eq 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] || echo "exit $RC, $(wc -c <"$T/out") bytes")"

# --curve -: metrics, then the TSV
sg train "${TINY[@]}" --curve -
cp "$T/out" "$T/mc"
nm=$(wc -l <"$T/m1")
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
head -n "$nm" "$T/mc" | grep -v '^wall_time' >"$T/a"
grep -v '^wall_time' "$T/m1" >"$T/b"
cmp -s "$T/a" "$T/b" || why+="metrics before the curve differ from a run without --curve; "
tail -n +"$((nm + 1))" "$T/mc" >"$T/curve"
[ "$(head -1 "$T/curve")" = $'step\tlr\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc' ] ||
    why+="header '$(head -1 "$T/curve")'; "
rows=$(($(wc -l <"$T/curve") - 1))
[ "$rows" -ge 2 ] && [ "$rows" -le 20 ] || why+="$rows checkpoints, want 2..20 (--checkpoints 20); "
awk -F'\t' 'NR > 1 && (NF != 6 || $1 !~ /^[0-9]+$/ || (NR > 2 && $1 <= prev)) { exit 1 } NR > 1 { prev = $1 + 0 }' \
    "$T/curve" || why+="rows are not 6 columns with strictly increasing steps; "
[ "$(awk 'NR == 2 { print $1 }' "$T/curve")" = 0 ] || why+="first step is not 0; "
[ "$(tail -1 "$T/curve" | cut -f1)" = 50 ] || why+="last step $(tail -1 "$T/curve" | cut -f1), want 50; "
[ "$(awk -F'\t' 'NR > 1 && $2 != "0.1"' "$T/curve")" = "" ] || why+="lr column is not 0.1 throughout; "
[ "$(tail -1 "$T/curve" | cut -f3)" = "$(metric train_loss "$T/m1")" ] || why+="last train_loss differs from the metric; "
[ "$(tail -1 "$T/curve" | cut -f6)" = "$(metric test_acc "$T/m1")" ] || why+="last test_acc differs from the metric; "
report "--curve -: TSV after the metrics, steps 0..50" "$why"

sg train "${TINY[@]}" --curve "$T/c.tsv"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
cmp -s "$T/c.tsv" "$T/curve" || why+="file differs from the --curve - output; "
[ "$(wc -l <"$T/out")" -eq "$nm" ] || why+="stdout has $(wc -l <"$T/out") lines, want the $nm metric lines; "
report "--curve FILE writes the TSV to the file" "$why"

sg train "${TINY[@]}" --quiet --curve -
report "--quiet --curve -: only the curve" "$([ "$RC" -eq 0 ] && cmp -s "$T/out" "$T/curve" || echo "exit $RC or stdout is not the curve")"

# settings by --name=value, underscores, bare booleans
sg train --width=8 --depth=2 --d_in 7 --classes=3 --n-train 64 --n_test 48 --batch=16 --steps=50 --bias --curve=-
report "--name=value, snake_case names and bare booleans are the same run" \
    "$([ "$RC" -eq 0 ] && diff <(grep -v wall_time "$T/out") <(grep -v wall_time "$T/mc") >/dev/null ||
        echo "exit $RC or output differs")"

# ---------------------------------------------------------------- BLAS threads
# sgdsweep picks its BLAS threads itself: one by default whatever OPENBLAS_NUM_THREADS /
# OMP_NUM_THREADS say, --blas-threads N for more. OpenBLAS creates its pool when it is
# loaded, so this counts the threads (/proc/PID/task) of a running train.
# threads ENV... -- ARGS...: the thread count of `env ENV... sgdsweep train ARGS` -> NT
threads() {
    local envs=() pid t0
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$SGDSWEEP" train --width 32 --d-in 16 --n-train 256 --n-test 64 --steps 1e7 --quiet "$@" \
        >/dev/null 2>"$T/err" &
    pid=$!
    sleep 1 # past the start (and a re-exec): the pool is made at load time and then stays
    NT=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
}
threads -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS --
report "BLAS: one thread with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS unset" "$([ "$NT" = 1 ] || echo "$NT threads")"
threads OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 --
report "BLAS: one thread whatever the environment says (2)" "$([ "$NT" = 1 ] || echo "$NT threads")"
if [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
    threads -u OPENBLAS_NUM_THREADS -- --blas-threads 2
    report "BLAS: --blas-threads 2 gives a pool of 2" "$([ "$NT" = 2 ] || echo "$NT threads")"
fi
expect_fail "--blas-threads 0" 2 train "${TINY[@]}" --blas-threads 0 :: "--blas-threads" "'0'" "[1 .."
expect_fail "--blas-threads x" 2 train "${TINY[@]}" --blas-threads x :: "--blas-threads" "'x'"
# the environment no longer changes results (a size OpenBLAS would split across threads)
BIG=(--width 256 --d-in 64 --n-train 512 --n-test 64 --batch 128 --steps 30 --precision float32)
env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS "$SGDSWEEP" train "${BIG[@]}" 2>&1 | grep -v '^wall_time' >"$T/b_def"
OPENBLAS_NUM_THREADS=1 "$SGDSWEEP" train "${BIG[@]}" 2>&1 | grep -v '^wall_time' >"$T/b_one"
OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 "$SGDSWEEP" train "${BIG[@]}" 2>&1 | grep -v '^wall_time' >"$T/b_two"
report "BLAS: identical metrics with the variables unset, =1 and =2" \
    "$(cmp -s "$T/b_def" "$T/b_one" && cmp -s "$T/b_def" "$T/b_two" && grep -q '^train_loss' "$T/b_def" ||
        echo "outputs differ: $(diff "$T/b_def" "$T/b_two" | head -3 | tr '\n\t' '  ')")"

# ---------------------------------------------------------------- determinism
sg train "${TINY[@]}" --curve -
report "same command twice: identical output except wall_time" \
    "$([ "$RC" -eq 0 ] && diff <(grep -v '^wall_time' "$T/out") <(grep -v '^wall_time' "$T/mc") >/dev/null ||
        echo "exit $RC or outputs differ: $(diff <(grep -v '^wall_time' "$T/out") <(grep -v '^wall_time' "$T/mc") | head -3 | tr '\n' ' ')")"
sg train "${TINY[@]}" --seed 2
report "another seed gives another run" \
    "$([ "$RC" -eq 0 ] && [ "$(metric train_loss)" != "$(metric train_loss "$T/m1")" ] || echo "exit $RC or same train_loss")"

# ---------------------------------------------------------------- divergence is a result
for opt in sgd gd; do
    sg train "${TINY[@]}" --optimizer $opt --lr 1e6 --loss mse --curve -
    why=""
    [ "$RC" -eq 0 ] || why+="exit $RC; "
    [ -s "$T/err" ] && why+="stderr not empty; "
    head -n "$nm" "$T/out" >"$T/dm"
    [ "$(metric status "$T/dm")" = diverged ] || why+="status '$(metric status "$T/dm")'; "
    ds=$(metric diverged_step "$T/dm")
    st=$(metric steps_done "$T/dm")
    [[ $ds =~ ^[0-9]+$ ]] || why+="diverged_step '$ds'; "
    [[ $ds =~ ^[0-9]+$ ]] && [[ $st =~ ^[0-9]+$ ]] && { [ "$ds" -le "$st" ] && [ "$st" -le 50 ] || why+="diverged_step $ds, steps $st; "; }
    nonnum=$(cut -f2- "$T/out" | tr '\t' '\n' | grep -vxE -e '-?[0-9]+(\.[0-9]+)?(e[-+][0-9]+)?|nan|done|diverged|step|lr|train_loss|train_acc|test_loss|test_acc')
    [ -z "$nonnum" ] || why+="values neither finite nor nan: $(head -3 <<<"$nonnum" | tr '\n' ' '); "
    [ "$(tail -1 "$T/out" | cut -f1)" = 50 ] || why+="curve does not run to step 50; "
    report "divergence ($opt, lr 1e6): exit 0, status diverged, finite-or-nan values" "$why"
done

# ---------------------------------------------------------------- --save round trip
SAVE_ARGS=("${TINY[@]}" --lr=0.07 --seed 3)
sg train "${SAVE_ARGS[@]}" --save "$T/run.h5" --curve -
cp "$T/out" "$T/ms"
report "--save: exit 0, file written" "$([ "$RC" -eq 0 ] && [ -s "$T/run.h5" ] || echo "exit $RC")"
head -n "$nm" "$T/ms" >"$T/ms_metrics"
tail -n +"$((nm + 1))" "$T/ms" >"$T/ms_curve"
pyrun "save round trip" "$T/run.h5" "$T/ms_metrics" "$T/ms_curve" "$T/help" "$line" <<'EOF'
import re, sys
import h5py, numpy as np
path, mpath, cpath, hpath, version_line = sys.argv[1:6]
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
printed = dict(l.rstrip("\n").split("\t") for l in open(mpath))
n_params = int(printed["n_params"])
f = h5py.File(path, "r")
s, m = f["settings"].attrs, f["metrics"].attrs
check("save: format version 3", f.attrs["save_format_version"] == 3, str(f.attrs.get("save_format_version")))
prog = text(f.attrs["program"])
mv = re.match(r"sgdsweep (\S+) \(git (\S+)\)", version_line)
check("save: program attribute names version and commit",
      mv and prog.startswith("sgdsweep " + mv.group(1)) and mv.group(2) in prog, prog)
check("save: command_line attribute", "--save" in text(f.attrs["command_line"]), text(f.attrs["command_line"]))
x, y = f["train/x"], f["train/y"]
check("save: /train/x is [n_train x d_in] float64", x.shape == (64, 7) and x.dtype == np.float64, "%s %s" % (x.shape, x.dtype))
check("save: /train/y is [n_train] integer labels in 0..classes-1",
      y.shape == (64,) and y.dtype.kind == "i" and y[()].min() >= 0 and y[()].max() < 3, "%s %s" % (y.shape, y.dtype))
check("save: /test is [n_test x d_in], [n_test]", f["test/x"].shape == (48, 7) and f["test/y"].shape == (48,),
      "%s %s" % (f["test/x"].shape, f["test/y"].shape))
p0, p1 = f["params/init"][()], f["params/final"][()]
check("save: /params/init and /params/final have n_params entries",
      p0.shape == (n_params,) and p1.shape == (n_params,) and p0.dtype == np.float64, "%s %s vs %d" % (p0.shape, p1.shape, n_params))
check("save: training moved the parameters", np.linalg.norm(p1 - p0) > 0)
check("save: dist_init metric is |final - init|",
      abs(np.linalg.norm(p1 - p0) - m["dist_init"]) <= 1e-6 * m["dist_init"], "%g vs %g" % (np.linalg.norm(p1 - p0), m["dist_init"]))
lay = f["params/layout"][()]
check("save: /params/layout is [depth+1 x 6]", lay.shape == (3, 6), str(lay.shape))
want = [[7, 8, 0, 56, 0, 0], [8, 8, 64, 128, 0, 0], [8, 3, 136, 160, 4, 0]]
check("save: layout rows fan_in, fan_out, w_offset, b_offset, act, residual", lay.tolist() == want, str(lay.tolist()))
check("save: /params/wmul is 1 for standard parameterisation", f["params/wmul"][()].tolist() == [1.0] * 3,
      str(f["params/wmul"][()]))
check("save: settings lr is the value given (--lr=0.07)", s["lr"] == 0.07, str(s["lr"]))
check("save: settings width, seed, act", s["width"] == 8 and s["seed"] == 3 and text(s["act"]) == "relu",
      "%s %s %s" % (s["width"], s["seed"], s["act"]))
# every setting of --help is an attribute, and unset ones hold --help's default
given = {"width", "depth", "d_in", "classes", "n_train", "n_test", "batch", "steps", "lr", "seed"}
names, bad = [], []
for l in open(hpath):
    mh = re.match(r"^  --([a-z][a-z-]*) .*\[default (.*)\]$", l.rstrip("\n"))
    if not mh:
        continue
    k, d = mh.group(1).replace("-", "_"), mh.group(2)
    names.append(k)
    if k not in s:
        bad.append(k + " missing")
    elif k not in given:
        v = s[k]
        if isinstance(v, (bytes, str)):
            ok = text(v) == d or (d == "none" and text(v) == "")
        else:
            ok = float(v) == float(d)
        if not ok:
            bad.append("%s=%r, --help says %s" % (k, v, d))
check("save: every --help setting saved, defaults as --help says", names and not bad and len(names) == len(s),
      "; ".join(bad) or "%d in --help, %d saved" % (len(names), len(s)))
# metrics attributes equal the printed ones
def fmt(v):
    if isinstance(v, (bytes, str)):
        return text(v)
    if isinstance(v, (np.integer, int)):
        return str(int(v))
    return "nan" if np.isnan(v) else "%.9g" % v
diff = [k for k in printed if k != "n_params" and (k not in m or fmt(m[k]) != printed[k])]
check("save: /metrics attributes equal the printed metrics", not diff and len(m) == len(printed) - 1,
      ", ".join("%s: %s vs %s" % (k, fmt(m[k]) if k in m else "-", printed[k]) for k in diff) or "%d attrs" % len(m))
rows = [l.rstrip("\n").split("\t") for l in open(cpath)][1:]
cs = f["curve/step"][()]
check("save: /curve equals the --curve TSV", cs.tolist() == [int(r[0]) for r in rows] and
      all(fmt(f["curve/" + c][i]) == r[j] for i, r in enumerate(rows)
          for j, c in enumerate(["lr", "train_loss", "train_acc", "test_loss", "test_acc"], 1)),
      "%d vs %d rows" % (len(cs), len(rows)))
EOF

# the saved file, fed back as data, reproduces the run
sg train "${SAVE_ARGS[@]}" --data file --data-file "$T/run.h5"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ "$(metric n_params)" = "$(metric n_params "$T/ms_metrics")" ] ||
    why+="n_params $(metric n_params) vs $(metric n_params "$T/ms_metrics") (a class missing from the saved labels?); "
diff <(grep -v '^wall_time' "$T/out") <(grep -v '^wall_time' "$T/ms_metrics") >/dev/null ||
    why+="metrics differ from the generating run: $(diff <(grep -v '^wall_time' "$T/out") <(grep -v '^wall_time' "$T/ms_metrics") | grep '^<' | head -3 | tr '\n\t' '  ')"
report "saved file fed back with --data file reproduces the run" "$why"

# ---------------------------------------------------------------- probes: arrays after the metrics, curve columns, --save
PROBE_ARGS=("${TINY[@]}" --sharpness-k 2 --mli --mli-points 4 --lazy --grad-noise --probe-every 2)
sg train "${PROBE_ARGS[@]}" --save "$T/probe.h5" --curve -
cp "$T/out" "$T/mp"
why=""
[ "$RC" -eq 0 ] || why+="exit $RC; "
[ -s "$T/err" ] && why+="stderr: $(head -1 "$T/err"); "
got=$(head -n "$nm" "$T/mp" | cut -f1 | tr '\n' ' ')
[ "$got" = "$KEYS" ] || why+="metric keys '$got' differ from docs/CLI.md; "
sed -n "$((nm + 1)),$((nm + 6))p" "$T/mp" >"$T/mp_arrays"
arr=$(cut -f1 "$T/mp_arrays" | tr '\n' ' ')
[ "$arr" = "eig eig_resid mli_alpha mli_loss mli_acc lazy_layer " ] || why+="array lines '$arr'; "
bad=$(grep -cvE $'^[a-z_]+\t[^\t,]+(,[^\t,]+)*$' "$T/mp_arrays")
[ "$bad" -eq 0 ] || why+="$bad array lines are not name<TAB>v1,v2,...; "
counts=$(awk -F'\t' '{ print split($2, a, ",") }' "$T/mp_arrays" | tr '\n' ' ')
[ "$counts" = "2 2 4 4 4 3 " ] || why+="array lengths '$counts', want sharpness_k 2, mli_points 4, depth + 1 = 3; "
[ "$(sed -n "$((nm + 3))p" "$T/mp")" = $'mli_alpha\t0,0.333333333,0.666666667,1' ] ||
    why+="mli_alpha '$(sed -n "$((nm + 3))p" "$T/mp")'; "
report "probes: one line per measured array after the metrics" "$why"
tail -n +"$((nm + 7))" "$T/mp" >"$T/mp_curve"
why=""
[ "$(head -1 "$T/mp_curve")" = $'step\tlr\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc\tsharpness\tlambda_min\tnoise_trace\tnoise_scale' ] ||
    why+="header '$(head -1 "$T/mp_curve")'; "
awk -F'\t' 'NR > 1 && NF != 10 { exit 1 }' "$T/mp_curve" || why+="rows are not 10 columns; "
# measured at checkpoint 0, every 2nd, and the last; nan between
[ "$(awk -F'\t' 'NR > 1 && $7 != "nan" { n++ } NR > 1 && $7 == "nan" { m++ } END { print (n > 1 && m > 0) }' "$T/mp_curve")" = 1 ] ||
    why+="sharpness column is not measured at some checkpoints only; "
[ "$(tail -1 "$T/mp_curve" | cut -f7)" = "$(metric sharpness "$T/mp")" ] || why+="last sharpness differs from the metric; "
[ "$(awk -F'\t' 'NR > 1 && ($7 == "nan") != ($9 == "nan") { print "x" }' "$T/mp_curve")" = "" ] ||
    why+="sharpness and noise_trace measured at different checkpoints; "
report "probes: --curve has one column per probe curve" "$why"
sg train "${TINY[@]}" --mli --lazy --curve -
report "probes without --probe-every: arrays but no probe columns" \
    "$([ "$RC" -eq 0 ] && grep -q $'^mli_loss\t' "$T/out" && grep -qx $'step\tlr\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc' "$T/out" ||
        echo "exit $RC or output $(grep -E '^(mli|step)' "$T/out" | head -2 | tr '\n\t' '  ')")"
sed -n '/^```python$/,/^```$/p' "$ROOT/docs/SAVE.md" | sed '1d;$d' >"$T/save_example.py"
pyrun "probes in --save" "$T" <<'EOF'
import importlib.util, sys
import h5py, numpy as np
T = sys.argv[1]
spec = importlib.util.spec_from_file_location("save_example", T + "/save_example.py")
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def fmt(v):
    return "nan" if np.isnan(v) else "%.9g" % v
arrays = dict(l.rstrip("\n").split("\t") for l in open(T + "/mp_arrays"))
rows = [l.rstrip("\n").split("\t") for l in open(T + "/mp_curve")]
head, rows = rows[0], rows[1:]
with h5py.File(T + "/probe.h5", "r") as f:
    check("probes save: format version 3", f.attrs["save_format_version"] == 3, str(f.attrs["save_format_version"]))
    p = f["probes"]
    check("probes save: /probes holds the measured arrays", sorted(p) == sorted(arrays), "%s vs %s" % (sorted(p), sorted(arrays)))
    check("probes save: /probes equal the printed arrays", all(",".join(fmt(x) for x in p[k][()]) == v for k, v in arrays.items()),
          str({k: p[k][()] for k in p}))
    check("probes save: /probes descriptions", all(len(p[k].attrs.get("description", "")) > 3 for k in p), "")
    names = head[6:]
    check("probes save: /curve has the probe curves of the TSV", all(k in f["curve"] for k in names) and
          "hess_trace" not in f["curve"] and all(fmt(f["curve/" + k][i]) == r[6 + j]
                                                   for j, k in enumerate(names) for i, r in enumerate(rows)), str(list(f["curve"])))
    mli, lazy, m = p["mli_loss"][()], p["lazy_layer"][()], f["metrics"].attrs
    theta0, theta1, lay = f["params/init"][()], f["params/final"][()], f["params/layout"][()]
# independent: the path's ends are the initial and final networks, rebuilt in numpy
l0, _ = ex.recompute(T + "/probe.h5", "train", "init")
l1, _ = ex.recompute(T + "/probe.h5", "train", "final")
check("probes save: mli_loss[0] = loss of /params/init, mli_loss[-1] = of /params/final",
      abs(mli[0] - l0) <= 1e-9 * l0 and abs(mli[-1] - l1) <= 1e-9 * l1, "%r %r vs %r %r" % (mli[0], mli[-1], l0, l1))
rel = []
for fan_in, fan_out, w, b, act, res in lay:
    idx = np.r_[w:w + fan_in * fan_out, b:b + fan_out] if b >= 0 else np.r_[w:w + fan_in * fan_out]
    rel.append(np.linalg.norm(theta1[idx] - theta0[idx]) / np.linalg.norm(theta0[idx]))
check("probes save: lazy_layer = |theta_l - theta0_l| / |theta0_l| per layer", np.allclose(lazy, rel, rtol=1e-9), "%s vs %s" % (lazy, rel))
with h5py.File(T + "/run.h5", "r") as f:
    check("no probes: empty /probes, no probe curves", len(f["probes"]) == 0 and
          sorted(f["curve"]) == ["lr", "step", "test_acc", "test_loss", "train_acc", "train_loss"], str(list(f["curve"])))
EOF

# docs/TRAINING.md: with --train-last, param_norm and dist_init are over the last layer only
sg train "${TINY[@]}" --train-last true --save "$T/tl.h5"
cp "$T/out" "$T/tl.txt"
pyrun "train_last norms" "$T/tl.h5" "$T/tl.txt" <<'EOF'
import sys, h5py, numpy as np
m = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.count("\t") == 1)
with h5py.File(sys.argv[1], "r") as f:
    p, p0, lay = f["params/final"][()], f["params/init"][()], f["params/layout"][()]
fi, fo, w, b = lay[-1][:4]
idx = np.r_[w:w + fi * fo, b:b + fo]
pn, di = float(m["param_norm"]), float(m["dist_init"])
ok = abs(pn - np.linalg.norm(p[idx])) <= 1e-6 * pn and abs(di - np.linalg.norm(p[idx] - p0[idx])) <= 1e-6 * di
print(("ok" if ok and abs(np.linalg.norm(p) - pn) > 0.1 else "FAIL") + " --train-last: param_norm, dist_init are the last layer's"
      + ("" if ok else ": %g %g vs %g %g (whole %g)" % (pn, di, np.linalg.norm(p[idx]), np.linalg.norm(p[idx] - p0[idx]), np.linalg.norm(p))))
EOF

# ---------------------------------------------------------------- docs/SAVE.md example, against the CLI
# shellcheck disable=SC2016
sed -n '/^```python$/,/^```$/p' "$ROOT/docs/SAVE.md" | sed '1d;$d' >"$T/save_example.py"
report "docs/SAVE.md has a python example" "$([ -s "$T/save_example.py" ] || echo "no \`\`\`python block")"
# (a) relu, mse, float32; (b) relu, ce, float64; (c) tanh, ntk, residual, no bias,
#     standardised regression, float64: exercises wmul, b_offset -1 and residual.
sg train "${TINY[@]}" --loss mse --lr 0.3 --save "$T/r_mse.h5"
cp "$T/out" "$T/r_mse.txt"
sg train "${TINY[@]}" --loss ce --precision float64 --momentum 0.5 --save "$T/r_ce.h5"
cp "$T/out" "$T/r_ce.txt"
sg train --width 6 --depth 3 --d-in 5 --classes 2 --n-train 40 --n-test 24 --batch 8 --steps 40 --task regression \
    --loss mse --act tanh --param ntk --residual standard --bias false --standardize --precision float64 \
    --lr 0.05 --save "$T/r_res.h5"
cp "$T/out" "$T/r_res.txt"
pyrun "docs/SAVE.md example" "$T" <<'EOF'
import importlib.util, math, sys
import h5py, numpy as np
T = sys.argv[1]
spec = importlib.util.spec_from_file_location("save_example", T + "/save_example.py")
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)
def check(name, cond, why=""):
    print(("ok %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def close(a, b, rtol):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= rtol * max(abs(b), 1e-300)
for tag, rtol in [("r_mse", 1e-4), ("r_ce", 1e-9), ("r_res", 1e-9)]:
    path = "%s/%s.h5" % (T, tag)
    printed = dict(l.rstrip("\n").split("\t") for l in open("%s/%s.txt" % (T, tag)))
    with h5py.File(path, "r") as f:
        m, c0 = dict(f["metrics"].attrs), f["curve/train_loss"][0]
        if tag == "r_res":
            lay = f["params/layout"][()]
            check("%s: layout has no biases and residual hidden layers" % tag,
                  (lay[:, 3] == -1).all() and lay[:, 5].tolist() == [0, 1, 1, 0] and (f["params/wmul"][()] != 1).all(),
                  str(lay.tolist()))
            check("%s: bare --standardize standardised the saved inputs" % tag,
                  np.abs(f["train/x"][()].mean(axis=0)).max() < 1e-12)
    tl, ta = ex.recompute(path, "train", "final")
    check("%s: recomputed final train loss = train_loss (rtol %g)" % (tag, rtol),
          close(tl, float(printed["train_loss"]), max(rtol, 1e-8)), "%.12g vs %s" % (tl, printed["train_loss"]))
    check("%s: ... and = the saved metric" % tag, close(tl, m["train_loss"], rtol), "%.12g vs %.12g" % (tl, m["train_loss"]))
    vl, va = ex.recompute(path, "test", "final")
    check("%s: recomputed test loss = test_loss" % tag, close(vl, m["test_loss"], rtol), "%.12g vs %.12g" % (vl, m["test_loss"]))
    il, _ = ex.recompute(path, "train", "init")
    check("%s: initial parameters give /curve/train_loss[0]" % tag, close(il, c0, rtol), "%.12g vs %.12g" % (il, c0))
    if tag == "r_ce":
        check("%s: recomputed accuracy = train_acc" % tag, ta == m["train_acc"], "%g vs %g" % (ta, m["train_acc"]))
EOF

suite_end cli
