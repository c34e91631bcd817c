#!/usr/bin/env bash
# format_test.sh -- a real sweep's result file against docs/FORMAT.md.
#
#   SGDSWEEP=build/sgdsweep PYTHON=/usr/bin/python3 tests/format_test.sh
#
# Runs the example spec of docs/FORMAT.md (16 runs, under a second) with
# `mpirun -np 2`, then reads the file with h5py and xarray and checks it
# against the document itself: the root attribute table and the metrics table
# are parsed out of docs/FORMAT.md, the settings out of `sgdsweep --help`, so
# doc, program and file cannot drift apart. Also: /grid equals /runs reshaped,
# the journal decodes by the documented layout, the scientific content does
# not depend on the number of ranks nor on a resume after a torn journal,
# a random search has no /grid, analysis/sgdsweep_results.py works, and the
# Python examples of docs/FORMAT.md run. A second sweep switches probes on for
# part of a grid: its probe curves and arrays (the tables of *Probes* in
# docs/FORMAT.md) have the documented shapes, dimensions and scales in h5py
# and xarray, NaN exactly where a probe is off, finite values where it is on,
# equal the journal's records and do not depend on the number of ranks. Ends
# with "format: P passed, F failed" and exits nonzero if F > 0.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SGDSWEEP=${SGDSWEEP:-$ROOT/build/sgdsweep}
case $SGDSWEEP in /*) ;; *) SGDSWEEP=$PWD/$SGDSWEEP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's own allocations are not ours to fix
case $SGDSWEEP in *build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/format_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/lib.sh"
# sweep NP SPEC OUT [ARGS...]: run a sweep; status -> RC
sweep() {
    local np=$1 spec=$2 out=$3
    shift 3
    (cd "$T" && timeout 300 mpirun --oversubscribe -np "$np" "$SGDSWEEP" run "$spec" -o "$out" --quiet "$@") \
        >"$T/out" 2>"$T/err"
    RC=$?
}

# the example spec of docs/FORMAT.md (the only yaml block there)
awk '/^```yaml/ { f = 1; next } /^```/ { f = 0 } f' "$ROOT/docs/FORMAT.md" >"$T/spec.yaml"
[ -s "$T/spec.yaml" ] || report "doc spec" "no yaml block in docs/FORMAT.md"
# its Python examples, in order
awk '/^```python/ { f = 1; next } /^```/ { f = 0 } f' "$ROOT/docs/FORMAT.md" >"$T/examples.py"
"$SGDSWEEP" --help >"$T/help.txt" 2>&1

sweep 2 spec.yaml result.h5
report "sweep -np 2" "$([ $RC -eq 0 ] || echo "exit $RC")"
report "files" "$([ -f "$T/result.h5" ] && [ -f "$T/result.h5.journal" ] && [ ! -e "$T/result.h5.tmp" ] ||
    echo "expected result.h5 and result.h5.journal, no result.h5.tmp: $(ls "$T")")"
cp "$T/result.h5" "$T/np2.h5"
cp "$T/result.h5.journal" "$T/np2.journal"

# the same sweep on one rank
sweep 1 spec.yaml np1.h5
report "sweep -np 1" "$([ $RC -eq 0 ] || echo "exit $RC")"

# resume a complete sweep: nothing to do, the file is rewritten
sweep 2 spec.yaml result.h5 --resume
report "resume complete" "$([ $RC -eq 0 ] || echo "exit $RC")"
cp "$T/result.h5" "$T/resumed.h5"

# a torn journal: cut into the last record, resume re-runs that run
size=$(stat -c %s "$T/result.h5.journal")
truncate -s $((size - 10)) "$T/result.h5.journal"
sweep 2 spec.yaml result.h5 --resume
report "resume torn" "$([ $RC -eq 0 ] || echo "exit $RC")"
report "resume torn: journal whole again" \
    "$([ "$(stat -c %s "$T/result.h5.journal")" = "$size" ] || echo "journal $(stat -c %s "$T/result.h5.journal") bytes, was $size")"
cp "$T/result.h5" "$T/torn.h5"

# a random search
cat >"$T/random.yaml" <<'EOF'
method: random
run_count: 3
sampling_seed: 11
seeds: 2
parameters:
  data: teacher
  n_train: 64
  n_test: 64
  d_in: 4
  classes: 2
  steps: 60
  checkpoints: 4
  lr: {min: 0.01, max: 0.2, scale: log}
  width: {values: [8, 12]}
EOF
sweep 2 random.yaml random.h5
report "sweep random" "$([ $RC -eq 0 ] || echo "exit $RC")"

# probes on for part of a grid: sharpness_k 0 (off) and 2 with curves every
# other checkpoint, gradient noise, MLI and lazy on every run; no trace or
# density (their datasets must be absent)
cat >"$T/probes.yaml" <<'EOF'
name: format-probes
method: grid
parameters:
  data: teacher
  n_train: 64
  n_test: 64
  d_in: 6
  classes: 3
  width: 8
  depth: 2
  steps: 60
  checkpoints: 6
  probe_every: 2
  grad_noise: true
  mli: true
  mli_points: 5
  lazy: true
  sharpness_k: {values: [0, 2]}
  lr: {values: [0.05, 0.1]}
EOF
sweep 2 probes.yaml probes.h5
report "sweep probes -np 2" "$([ $RC -eq 0 ] || echo "exit $RC: $(tail -2 "$T/err")")"
sweep 1 probes.yaml probes1.h5
report "sweep probes -np 1" "$([ $RC -eq 0 ] || echo "exit $RC: $(tail -2 "$T/err")")"

# ---- the file against the document, from Python -------------------------
cat >"$T/check.py" <<'PYEOF'
import hashlib, re, struct, sys, zlib
import h5py, numpy as np, xarray as xr

T, ROOT = sys.argv[1], sys.argv[2]
sys.path.insert(0, ROOT + "/analysis")
import sgdsweep_results as sr

doc = open(ROOT + "/docs/FORMAT.md", encoding="utf-8").read()
n_pass = n_fail = 0


def check(name, cond, why=""):
    global n_pass, n_fail
    if cond:
        n_pass += 1
    else:
        n_fail += 1
        print(f"FAIL {name}: {why}")


def table(text):
    """(name, type) of the rows `| `name` | type | ...` of a markdown table"""
    return [(m.group(1), m.group(2).strip()) for m in re.finditer(r"^\| `([a-z0-9_]+)` \| ([^|]+)\|", text, re.M)]


def section(title):
    i = doc.index(title)
    j = doc.find("\n## ", i + 1)
    return doc[i:j if j > 0 else len(doc)]


DOC_METRICS = table(doc[doc.index("<!-- metrics:begin -->"):doc.index("<!-- metrics:end -->")])
DOC_ROOT = table(section("## Root attributes"))
check("doc tables", len(DOC_METRICS) >= 15 and len(DOC_ROOT) >= 15, f"{len(DOC_METRICS)} metrics, {len(DOC_ROOT)} attrs")
METRICS = dict(DOC_METRICS)

# settings, from --help: "  --name  TYPE ..." after the Settings header
help_text = open(T + "/help.txt").read()
SETTINGS = {}
for line in help_text[help_text.index("Settings"):].splitlines():
    m = re.match(r"^\s+--([a-z0-9-]+)\s+(\S+)", line)
    if m:
        kind = m.group(2).rstrip(",")
        SETTINGS[m.group(1).replace("-", "_")] = (
            "float64" if kind == "real" else "int64" if kind in ("int", "bool") else "string")
check("settings from --help", len(SETTINGS) >= 40, f"{len(SETTINGS)} settings parsed")

FIXED = {"run": "int64", "checkpoint": "int64", "status": "int8", "temperature": "float64", "host": "string",
         "rank": "int32", "error": "string", "curve_step": "int64", "curve_lr": "float64",
         "curve_train_loss": "float64", "curve_train_acc": "float64", "curve_test_loss": "float64",
         "curve_test_acc": "float64"}
CURVES = [k for k in FIXED if k.startswith("curve_")]
for k in FIXED:
    check(f"/runs/{k} documented", f"`{k}`" in section("## `/runs`"), "not named in the /runs section")


def kind(ds):
    if h5py.check_string_dtype(ds.dtype):
        return "string"
    return str(ds.dtype)


def storage_of(ds):
    return (f"layout {ds.id.get_create_plist().get_layout()}, chunks {ds.chunks}, {ds.compression}, "
            f"stored {ds.id.get_storage_size()} B, virtual {ds.is_virtual}")


def stored_ok(ds, width, grid):
    """docs/FORMAT.md, Storage: a uniform dataset is a fill value (contiguous,
    nothing stored); else /runs rows are chunked over whole runs, [r x width],
    uncompressed; /grid is a virtual view of /runs/NAME in this file"""
    if ds.id.get_storage_size() == 0 and not ds.is_virtual and ds.chunks is None:
        return True
    if grid:
        src = ds.virtual_sources() if ds.is_virtual else []
        return len(src) == 1 and src[0].file_name == "." and src[0].dset_name == "/runs/" + ds.name.split("/")[-1]
    return ds.chunks is not None and ds.chunks[-1] == width and ds.compression is None


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return a.shape == b.shape and np.array_equal(a.astype(float), b.astype(float), equal_nan=True)
    return a.shape == b.shape and np.array_equal(a, b)


spec_bytes = open(T + "/spec.yaml", "rb").read()
F = T + "/np2.h5"
f = h5py.File(F, "r")
n = 16
ck = re.search(r"checkpoints: (\d+)", spec_bytes.decode()).group(1)
K = int(ck)  # FORMAT.md: the largest checkpoints setting
steps_budget = int(re.search(r"steps: (\d+)", spec_bytes.decode()).group(1))

# ---- root attributes
attrs = dict(f.attrs)
check("root attrs: exactly the documented ones", set(attrs) == {k for k, _ in DOC_ROOT},
      f"undocumented {set(attrs) - {k for k, _ in DOC_ROOT}}, missing {({k for k, _ in DOC_ROOT}) - set(attrs)}")
for k, t in DOC_ROOT:
    if k not in attrs:
        continue
    a = f.attrs.get_id(k)
    got = "string" if h5py.check_string_dtype(a.dtype) else str(a.dtype)
    check(f"root attr {k} type", got == t and a.shape == (), f"{got} {a.shape}, documented {t}")
check("format", attrs["format"] == "sgdsweep-result", attrs["format"])
check("format_version", attrs["format_version"] == 3, attrs["format_version"])
check("method", attrs["method"] == "grid", attrs["method"])
check("n_runs", attrs["n_runs"] == n and attrs["n_done"] == n and attrs["n_failed"] == 0, str(attrs))
check("spec verbatim", f["spec"][()] == spec_bytes and f["spec"].shape == (), "/spec differs from the spec file")
check("spec_sha256", attrs["spec_sha256"] == hashlib.sha256(spec_bytes).hexdigest(), attrs["spec_sha256"])
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
check("times", iso.match(attrs["created"]) and iso.match(attrs["updated"]) and attrs["completed"] == attrs["updated"],
      f"{attrs['created']} {attrs['updated']} {attrs['completed']}")
check("mpi_size", attrs["mpi_size"] == 2 and attrs["hosts"] and attrs["resumes"] == 0, str(attrs))
check("root members", set(f) == {"spec", "runs", "grid"}, str(set(f)))

# ---- /runs
runs = f["runs"]
names = set(runs)
want = set(FIXED) | set(METRICS) | set(SETTINGS)
check("/runs: exactly the documented datasets", names == want,
      f"undocumented {sorted(names - want)}, missing {sorted(want - names)}")
for k in sorted(names & want):
    ds = runs[k]
    t = FIXED.get(k) or METRICS.get(k) or SETTINGS.get(k)
    check(f"/runs/{k} type", kind(ds) == t, f"{kind(ds)}, documented {t}")
    if k == "checkpoint":
        check("/runs/checkpoint", ds.shape == (K,) and same(ds[:], np.arange(K)), f"{ds.shape}, K = {K}")
        continue
    check(f"/runs/{k} length", ds.shape[0] == n, f"shape {ds.shape}")
    if k == "run":
        continue
    check(f"/runs/{k} run scale", ds.dims[0][0].name == "/runs/run", f"dim 0: {[d.name for d in ds.dims[0].values()]}")
    if k in SETTINGS:
        check(f"/runs/{k} role", ds.attrs.get("role") == "setting", str(ds.attrs.get("role")))
    if k in METRICS:
        check(f"/runs/{k} description", len(ds.attrs.get("description", "")) > 3, "no description")
for k in CURVES:
    ds = runs[k]
    check(f"/runs/{k} shape", ds.shape == (n, K) and ds.dims[1][0].name == "/runs/checkpoint", f"{ds.shape}")
    check(f"/runs/{k} storage", stored_ok(ds, K, False), storage_of(ds))
check("scales", h5py.h5ds.is_scale(runs["run"].id) and h5py.h5ds.is_scale(runs["checkpoint"].id) and same(runs["run"][:], np.arange(n)), "")
status = runs["status"][:]
check("status values", set(status.tolist()) <= {0, 1, 2, 3} and (status == 1).all(), str(status))
check("status meaning", runs["status"].attrs["meaning"] == "0: pending, 1: done, 2: diverged, 3: failed", "")
check("temperature = lr / batch", same(runs["temperature"][:], runs["lr"][:] / runs["batch"][:]), "")
step = runs["curve_step"][:]
pad = step < 0
check("curve padding", (step[pad] == -1).all() and all(np.isnan(runs[c][:][pad]).all() for c in CURVES[1:]), "")
check("curve ends", (step[:, 0] == 0).all() and all(s[s >= 0][-1] == steps_budget for s in step), str(step[:2]))
check("curve within K", (~pad).sum(1).max() <= K, f"{(~pad).sum(1)}")
check("no -2 in done runs", all((runs[m][:] != -2).all() for m, t in DOC_METRICS if t == "int64"), "")
check("steps_done", (runs["steps_done"][:] == steps_budget).all(), str(runs["steps_done"][:]))
check("host, rank, error", all(h for h in runs["host"].asstr()[:]) and set(runs["rank"][:].tolist()) <= {0, 1}
      and not any(runs["error"].asstr()[:]), "")

# ---- xarray: /runs
xr_runs = xr.open_dataset(F, engine="h5netcdf", group="runs")
check("xarray runs dims", dict(xr_runs.sizes) == {"run": n, "checkpoint": K}, str(dict(xr_runs.sizes)))
check("xarray runs coords", "run" in xr_runs.coords and "checkpoint" in xr_runs.coords, str(list(xr_runs.coords)))

# ---- /grid
DIMS = ["seed", "width", "act", "batch_temperature"]
SIZES = [2, 2, 2, 2]
grid = xr.open_dataset(F, engine="h5netcdf", group="grid")
check("grid dims", dict(grid.sizes) == dict(zip(DIMS, SIZES), checkpoint=K), str(dict(grid.sizes)))
check("grid dim order", grid["status"].dims == tuple(DIMS) and grid["curve_step"].dims == tuple(DIMS) + ("checkpoint",),
      str(grid["status"].dims))
check("grid coords", same(grid["seed"], [0, 1]) and same(grid["width"], [8, 16]) and list(grid["act"].values) == [
    "relu", "tanh"] and same(grid["batch_temperature"], [0, 1]), str(grid.coords))
check("zip members are coords", all(c in grid.coords and grid[c].dims == ("batch_temperature",)
                                    for c in ("batch", "temperature")), str(grid.coords))
check("zip member values", same(grid["batch"], [8, 32]) and same(grid["temperature"], [0.005, 0.0025]),
      f"{grid['batch'].values} {grid['temperature'].values}")
gvars = set(grid.data_vars)
want = {"status", "lr_run"} | set(METRICS) | set(CURVES)
check("grid: exactly the documented variables", gvars == want,
      f"undocumented {sorted(gvars - want)}, missing {sorted(want - gvars)}")
g = f["grid"]
for k in sorted(gvars & want):
    t = "int8" if k == "status" else "int64" if k == "curve_step" else "float64"
    check(f"/grid/{k} type", kind(g[k]) == t, f"{kind(g[k])}, documented {t}")
    check(f"/grid/{k} coordinates attr", g[k].attrs.get("coordinates") == "batch temperature",
          str(g[k].attrs.get("coordinates")))
    if k.startswith("curve_"):
        check(f"/grid/{k} storage", stored_ok(g[k], K, True), storage_of(g[k]))
# /grid is /runs reshaped, row-major
for k in sorted(gvars & want):
    gv = grid[k].values
    rv = xr_runs["lr" if k == "lr_run" else k].values
    if METRICS.get(k) == "int64":
        rv = np.where(rv == -2, np.nan, rv.astype(float))
    check(f"/grid/{k} = /runs reshaped", same(gv.reshape((n, K) if k.startswith("curve_") else (n,)), rv), "")
idx = np.array(np.unravel_index(np.arange(n), SIZES)).T  # run -> grid index, C order
ok = True
for i, (s, w, a, bt) in enumerate(idx):
    ok &= xr_runs["seed"].values[i] == grid["seed"].values[s] and xr_runs["width"].values[i] == grid["width"].values[w]
    ok &= xr_runs["act"].values[i] == grid["act"].values[a] and xr_runs["batch"].values[i] == grid["batch"].values[bt]
    ok &= xr_runs["temperature"].values[i] == grid["temperature"].values[bt]
check("coordinates at each run's index = its settings", ok, "")
# the metrics of the document, checked against the grid too
check("grid metrics are float64", all(grid[m].dtype == np.float64 for m in METRICS), "")

# ---- the journal, decoded by the documented layout
M = 1 + len(DOC_METRICS)  # status, then the table's order
metric_names = ["status"] + [k for k, _ in DOC_METRICS]
PROBES_DOC = section("### Probes")
DOC_PCURVES = [k[len("curve_"):] for k, _ in table(PROBES_DOC[:PROBES_DOC.index("**Probe arrays**")])]
DOC_PARRAYS = table(PROBES_DOC[PROBES_DOC.index("**Probe arrays**"):])  # (name, `dimension`)
DOC_PARRAYS = [(k, d.strip("` ")) for k, d in DOC_PARRAYS]
check("doc probe tables", len(DOC_PCURVES) == 5 and len(DOC_PARRAYS) == 9, f"{DOC_PCURVES} {DOC_PARRAYS}")


def read_journal(path, h5):
    """Decode a journal by the documented layout and compare every record
    with the result file h5; returns (ok, why, runs seen)."""
    J = open(path, "rb").read()
    lay = struct.unpack("<q", J[96:104])[0]
    Q, P = (lay >> 32) & 0xFF, (lay >> 40) & 0xFF
    if J[:8] != b"SGDJRNL1" or lay >> 48 != 2 or lay & 0xFFFFFFFF != M or Q != len(DOC_PCURVES) or P != len(DOC_PARRAYS):
        return False, f"header: layout {lay:#x}, M {M}, {len(DOC_PCURVES)} curves, {len(DOC_PARRAYS)} arrays", set()
    A = (4 * P + 7) // 8 * 8
    r, st_all, step_all = h5["runs"], h5["runs/status"][:], h5["runs/curve_step"][:]
    pos, seen = 104, set()
    while pos < len(J):
        length, crc = struct.unpack("<II", J[pos:pos + 8])
        p = J[pos + 8:pos + 8 + length]
        run, st, C, rank, L = struct.unpack("<qiiii", p[:24])
        o = 24 + 8 * M + 48 * C + 8 * Q * C
        lens = struct.unpack(f"<{P}i", p[o:o + 4 * P])
        V = sum(lens)
        want_len = 88 + 8 * M + 48 * C + 8 * Q * C + A + 8 * V + L
        if zlib.crc32(p) != crc or length != want_len or any(p[o + 4 * P:o + A]):
            return False, f"record at {pos}: crc, padding or length ({length} vs {want_len})", seen
        met = struct.unpack(f"<{M}d", p[24:24 + 8 * M])
        for name, v in zip(metric_names, met):
            want_v = st_all[run] if name == "status" else r[name][run]
            if name != "wall_time" and not name.startswith("time_") and not same(v, want_v):
                return False, f"run {run} metric {name}: journal {v}, file {want_v}", seen
        steps_j = struct.unpack(f"<{C}q", p[24 + 8 * M:24 + 8 * M + 8 * C])
        if not same(steps_j, step_all[run][:C]) or (C < len(step_all[run]) and step_all[run][C] != -1):
            return False, f"run {run} steps", seen
        for q, name in enumerate(DOC_PCURVES):
            c0 = 24 + 8 * M + 48 * C + 8 * q * C
            vals = struct.unpack(f"<{C}d", p[c0:c0 + 8 * C])
            ds = r.get("curve_" + name)
            if (ds is None and not np.isnan(vals).all()) or (ds is not None and not same(vals, ds[run][:C])):
                return False, f"run {run} probe curve {name}", seen
        a = o + A
        for (name, _), n_a in zip(DOC_PARRAYS, lens):
            vals = struct.unpack(f"<{n_a}d", p[a:a + 8 * n_a])
            a += 8 * n_a
            ds = r.get(name)
            if (ds is None and n_a) or (ds is not None and not (same(vals, ds[run][:n_a]) and np.isnan(ds[run][n_a:]).all())):
                return False, f"run {run} probe array {name} ({n_a} values)", seen
        host = p[a:a + 64].rstrip(b"\0").decode()
        if host != r["host"].asstr()[run] or rank != r["rank"][run]:
            return False, f"run {run} host/rank", seen
        seen.add(run)
        pos += 8 + length
    return True, "", seen


J = open(T + "/np2.journal", "rb").read()
check("journal header", J[:8] == b"SGDJRNL1" and J[8:72].decode() == attrs["spec_sha256"]
      and struct.unpack("<q", J[72:80])[0] == n and struct.unpack("<q", J[88:96])[0] == 0
      and struct.unpack("<q", J[96:104])[0] == (2 << 48) | (len(DOC_PARRAYS) << 40) | (len(DOC_PCURVES) << 32) | M,
      repr(J[:16]))
ok, why, seen = read_journal(T + "/np2.journal", f)
check("journal records by the documented layout", ok and seen == set(range(n)), why or f"runs {sorted(seen)}")

# ---- scientific content: independent of ranks, resume, torn journal
PROV = {"wall_time", "host", "rank"}


def content(path):
    with h5py.File(path, "r") as h:
        out = {f"runs/{k}": h["runs"][k][()] for k in h["runs"] if k not in PROV and not k.startswith("time_")}
        if "grid" in h:
            out.update({f"grid/{k}": h["grid"][k][()] for k in h["grid"]
                        if k != "wall_time" and not k.startswith("time_")})
        out["spec"] = h["spec"][()]
        for a in ("format", "format_version", "method", "spec_sha256", "n_runs", "n_done", "n_diverged", "n_failed"):
            out[a] = h.attrs[a]
        return out


base = content(F)
for other in ("np1.h5", "resumed.h5", "torn.h5"):
    c = content(T + "/" + other)
    diff = [k for k in base if k not in c or not same(base[k], c[k])] + [k for k in c if k not in base]
    check(f"scientific content of {other} = -np 2", not diff, f"differs in {diff[:6]}")
with h5py.File(T + "/resumed.h5", "r") as h:
    check("resume counted", h.attrs["resumes"] == 1 and h.attrs["created"] == attrs["created"],
          f"{h.attrs['resumes']} {h.attrs['created']}")
with h5py.File(T + "/torn.h5", "r") as h:
    check("torn resume complete", h.attrs["resumes"] == 2 and h.attrs["n_done"] == n and h.attrs["completed"] != "",
          str(dict(h.attrs)))
with h5py.File(T + "/np1.h5", "r") as h:
    check("np1 ran on rank 0", (h["runs/rank"][:] == 0).all() and h.attrs["mpi_size"] == 1, "")

# ---- random search: no /grid
R = T + "/random.h5"
with h5py.File(R, "r") as h:
    check("random: no /grid", h.attrs["method"] == "random" and "grid" not in h and h.attrs["n_runs"] == 6,
          str(set(h)))
    check("random: seeds fastest", same(h["runs/seed"][:], [0, 1] * 3), str(h["runs/seed"][:]))
    lr = h["runs/lr"][:]
    check("random: lr pairs", same(lr[0::2], lr[1::2]) and (lr >= 0.01).all() and (lr <= 0.2).all(), str(lr))
try:
    sr.open_grid(R)
    check("open_grid(random) raises", False, "no error")
except ValueError as e:
    check("open_grid(random) raises", "random" in str(e) and "open_runs" in str(e), str(e))
check("open_runs(random)", dict(sr.open_runs(R).sizes) == {"run": 6, "checkpoint": 4}, str(sr.open_runs(R).sizes))

# ---- analysis/sgdsweep_results.py
r2 = sr.open_runs(F)
check("open_runs", same(r2["test_acc"], xr_runs["test_acc"]) and dict(r2.sizes) == dict(xr_runs.sizes), "")
g2 = sr.open_grid(F)
check("open_grid", dict(g2.sizes) == dict(grid.sizes) and same(g2["test_loss"], grid["test_loss"]), "")
pv = sr.provenance(F)
check("provenance", pv["spec"] == spec_bytes.decode() and pv["format_version"] == 3 and pv["hosts"] == attrs["hosts"],
      str(pv)[:200])
s = sr.summary(F)
check("summary", "16 done" in s and "0 failed" in s and all(d in s for d in DIMS) and "zip of batch, temperature" in s,
      s)
try:
    sr.open_runs(T + "/spec.yaml")
    check("not a result file", False, "no error")
except Exception as e:
    check("not a result file", True)

# ---- probes: a sweep with probes on for part of its grid
PF = T + "/probes.h5"
pf = h5py.File(PF, "r")
pr = pf["runs"]
pn, PK, SK, LRS = 4, 6, [0, 2], [0.05, 0.1]
sk = pr["sharpness_k"][:]
check("probes: runs, format", pf.attrs["format_version"] == 3 and pf.attrs["n_done"] == pn and same(sk, [0, 0, 2, 2]),
      f"{dict(pf.attrs)}")
# what the spec switches on: by the "present when" column of the doc tables
ON_CURVES = {"sharpness", "lambda_min", "noise_trace", "noise_scale"}
ARR_LEN = {"eig": 2, "eig_resid": 2, "mli_alpha": 5, "mli_loss": 5, "mli_acc": 5, "lazy_layer": 3}
DIM_LEN = {"eig_index": 2, "alpha": 5, "layer": 3}
check("probes: doc tables name what the spec has", ON_CURVES <= set(DOC_PCURVES) and set(ARR_LEN) <= dict(DOC_PARRAYS).keys()
      and {dict(DOC_PARRAYS)[a] for a in ARR_LEN} == set(DIM_LEN), f"{DOC_PCURVES} {DOC_PARRAYS}")
names = set(pr)
want = set(FIXED) | set(METRICS) | set(SETTINGS) | {"curve_" + c for c in ON_CURVES} | set(ARR_LEN) | set(DIM_LEN)
check("probes /runs: exactly the documented datasets, only the probes some run has", names == want,
      f"undocumented {sorted(names - want)}, missing {sorted(want - names)}")
for d, L in DIM_LEN.items():
    ds = pr[d]
    vals = np.linspace(0, 1, L) if d == "alpha" else np.arange(L)
    check(f"probes /runs/{d} scale", h5py.h5ds.is_scale(ds.id) and ds.shape == (L,) and
          kind(ds) == ("float64" if d == "alpha" else "int64") and same(ds[:], vals), f"{ds.shape} {kind(ds)} {ds[:]}")
for c in ON_CURVES:
    ds = pr["curve_" + c]
    check(f"probes /runs/curve_{c}", ds.shape == (pn, PK) and kind(ds) == "float64" and stored_ok(ds, PK, False)
          and ds.dims[0][0].name == "/runs/run" and ds.dims[1][0].name == "/runs/checkpoint"
          and len(ds.attrs.get("description", "")) > 3, f"{ds.shape} {ds.chunks}")
for a, L in ARR_LEN.items():
    ds = pr[a]
    dim = dict(DOC_PARRAYS)[a]
    check(f"probes /runs/{a}", ds.shape == (pn, L) and kind(ds) == "float64" and stored_ok(ds, L, False)
          and ds.dims[0][0].name == "/runs/run" and ds.dims[1][0].name == f"/runs/{dim}"
          and len(ds.attrs.get("description", "")) > 3, f"{ds.shape} {ds.chunks} {[x.name for x in ds.dims[1].values()]}")
# NaN exactly where a probe is off, finite where it is on
pstep = pr["curve_step"][:]
flags = pr["probe_flags"][:]
for c in ON_CURVES:
    v = pr["curve_" + c][:]
    on = sk > 0 if c in ("sharpness", "lambda_min") else np.ones(pn, bool)
    last = [int(np.flatnonzero(s >= 0)[-1]) for s in pstep]
    ok = all(np.isnan(v[i]).all() for i in range(pn) if not on[i])
    ok &= all(np.isnan(v[i][pstep[i] < 0]).all() for i in range(pn))
    # on: measured at the first and the last checkpoint (the last is the final metric), NaN-free unless flagged
    ok &= all(np.isfinite(v[i][[0, last[i]]]).all() and same(v[i][last[i]], pr[c][i]) for i in range(pn)
              if on[i] and not flags[i] & 7)
    check(f"probes: curve_{c} NaN where off, finite where on, last point = the metric", ok, f"{v} {pr[c][:]}")
    mid = [v[i][1:last[i]] for i in range(pn) if on[i]]
    check(f"probes: curve_{c} measured at some checkpoints only (probe_every 2)",
          all(np.isnan(m).any() and np.isfinite(m).any() for m in mid), str(mid))
for a, L in ARR_LEN.items():
    v = pr[a][:]
    on = sk > 0 if a.startswith("eig") else np.ones(pn, bool)
    ok = all(np.isnan(v[i]).all() for i in range(pn) if not on[i])
    ok &= all(np.isfinite(v[i]).all() for i in range(pn) if on[i] and not flags[i] & 7)
    check(f"probes: {a} NaN where off, finite where on", ok, str(v))
for m in ("sharpness", "lambda_min", "eig_iters_used"):
    v = pr[m][:]
    off = v[sk == 0]
    check(f"probes: metric {m} off / on", (off == -1).all() if m == "eig_iters_used" else np.isnan(off).all(), str(v))
eig = pr["eig"][:]
check("probes: eig descending, eig[0] = sharpness", all(eig[i][0] >= eig[i][1] and eig[i][0] == pr["sharpness"][i]
                                                          for i in range(pn) if sk[i] > 0 and not flags[i] & 7), str(eig))
check("probes: mli_alpha = the alpha scale", all(same(pr["mli_alpha"][i], pr["alpha"][:]) for i in range(pn)), "")
# xarray: labelled variables in /runs and /grid
xr_pr = xr.open_dataset(PF, engine="h5netcdf", group="runs")
check("probes xarray /runs dims", dict(xr_pr.sizes) == dict(run=pn, checkpoint=PK, **DIM_LEN), str(dict(xr_pr.sizes)))
check("probes xarray /runs variables", all(xr_pr[a].dims == ("run", dict(DOC_PARRAYS)[a]) for a in ARR_LEN)
      and all(xr_pr["curve_" + c].dims == ("run", "checkpoint") for c in ON_CURVES)
      and all(d in xr_pr.coords for d in DIM_LEN), str({a: xr_pr[a].dims for a in ARR_LEN}))
# by alpha: the path starts at theta0 (the first checkpoint's train loss) and
# ends at the final theta (the final train loss); float32 training: rtol 1e-4
l0, l1 = xr_pr.mli_loss.sel(alpha=0.0).values, xr_pr.mli_loss.sel(alpha=1.0).values
check("probes xarray: mli_loss by alpha, from the first to the final train loss",
      np.allclose(l0, xr_pr.curve_train_loss.isel(checkpoint=0).values, rtol=1e-4)
      and np.allclose(l1, xr_pr.train_loss.values, rtol=1e-4), f"{l0} {l1}")
pg = xr.open_dataset(PF, engine="h5netcdf", group="grid")
check("probes xarray /grid dims", dict(pg.sizes) == dict(sharpness_k=2, lr=2, checkpoint=PK, **DIM_LEN), str(dict(pg.sizes)))
ok, why = True, ""
for k in sorted({"curve_" + c for c in ON_CURVES} | set(ARR_LEN)):
    last_dim = "checkpoint" if k.startswith("curve_") else dict(DOC_PARRAYS)[k]
    if pg[k].dims != ("sharpness_k", "lr", last_dim):
        ok, why = False, f"{k} dims {pg[k].dims}"
    elif not same(pg[k].values.reshape(pn, -1), xr_pr[k].values):
        ok, why = False, f"{k}: /grid is not /runs reshaped"
    elif len(pf["grid"][k].attrs.get("description", "")) < 4 or not stored_ok(pf["grid"][k], pg.sizes[last_dim], True):
        ok, why = False, f"{k}: description or storage {storage_of(pf['grid'][k])}"
check("probes /grid: probe variables over the grid axes and their own, = /runs reshaped", ok, why)
check("probes /grid: no variable for a probe no run has", not any(k in pg for k in ("curve_hess_trace", "density", "slq_node", "bin", "slq")),
      str(sorted(pg.data_vars)))
check("probes: sgdsweep_results.open_grid", dict(sr.open_grid(PF).sizes) == dict(pg.sizes), "")
# the journal carries them, and the number of ranks changes nothing
ok, why, seen = read_journal(PF + ".journal", pf)
check("probes: journal records by the documented layout, arrays included", ok and seen == set(range(pn)), why or str(seen))
c1, c2 = content(T + "/probes1.h5"), content(PF)
diff = [k for k in c2 if k not in c1 or not same(c1[k], c2[k])] + [k for k in c1 if k not in c2]
check("probes: scientific content of -np 1 = -np 2", not diff, f"differs in {diff[:6]}")
# a sweep without probes has none of these datasets
check("no probes: no probe datasets in the example", not any(k in f["runs"] or k in f["grid"] for k in
      ["curve_" + c for c in DOC_PCURVES] + [a for a, _ in DOC_PARRAYS] + list(DIM_LEN) + ["bin", "slq"]), "")

print(f"PY {n_pass} {n_fail}")
PYEOF
out=$("$PYTHON" "$T/check.py" "$T" "$ROOT" 2>"$T/err")
rc=$?
printf '%s\n' "$out" | grep '^FAIL'
line=$(printf '%s\n' "$out" | grep '^PY ' | tail -1)
if [ -n "$line" ] && [ $rc -eq 0 ]; then
    read -r _ p f <<<"$line"
    P=$((P + p)) F=$((F + f))
else
    report "check.py" "crashed (exit $rc): $(tail -3 "$T/err")"
fi

# ---- the Python examples of docs/FORMAT.md, on the example's file
cat >"$T/run_examples.py" <<'PYEOF'
import sys, types
try:
    import matplotlib
    matplotlib.use("Agg")
except ImportError:  # the plotting line needs no display and no matplotlib
    m, p = types.ModuleType("matplotlib"), types.ModuleType("matplotlib.pyplot")
    p.semilogx = p.loglog = p.plot = lambda *a, **k: None
    m.pyplot = p
    sys.modules["matplotlib"], sys.modules["matplotlib.pyplot"] = m, p
exec(compile(open(sys.argv[1]).read(), "docs/FORMAT.md examples", "exec"))
assert acc.sizes == {"batch_temperature": 2}, acc.sizes
assert dict(hot.sizes)["batch_temperature"] == 1
assert int(steps[0]) == 0 and curve.sizes == {"checkpoint": steps.size}
assert by_width.sizes == {"width": 2}
PYEOF
cp "$T/np2.h5" "$T/result.h5"
(cd "$T" && "$PYTHON" run_examples.py examples.py) >"$T/out" 2>"$T/err"
report "docs/FORMAT.md examples run" "$([ $? -eq 0 ] || tail -3 "$T/err")"
: >"$T/err"
"$PYTHON" "$ROOT/analysis/sgdsweep_results.py" "$T/np2.h5" >"$T/out" 2>"$T/err"
report "sgdsweep_results.py as a script" "$(grep -q '16 done' "$T/out" || echo "$(cat "$T/out")")"

# analysis/report.py (what make run ends with): a markdown report with one
# table row per combination of the non-seed axes, the run counts, and a figure
mkdir -p "$T/rep"
"$PYTHON" "$HERE/../analysis/report.py" "$T/result.h5" -o "$T/rep" >"$T/out" 2>"$T/err"
rc=$?
WHY=""
[ $rc -eq 0 ] || WHY+="exit $rc; "
md=$T/rep/result_report.md
[ -s "$md" ] && [ -s "$T/rep/result_curves.png" ] || WHY+="no report or no figure: $(ls "$T/rep"); "
grep -q "pending 0, done 16, diverged 0, failed 0" "$md" 2>/dev/null || WHY+="run counts missing; "
rows=$(grep -c '^| [0-9]' "$md" 2>/dev/null)
[ "$rows" = 8 ] || WHY+="$rows table rows, want 8 (width x act x batch_temperature); "
"$PYTHON" "$HERE/../analysis/report.py" "$T/nonexistent.h5" >/dev/null 2>&1
[ $? -eq 2 ] || WHY+="a missing file does not exit 2; "
report "analysis/report.py: report, counts, one row per axis combination, figure" "$WHY"

suite_end format
