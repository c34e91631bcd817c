"""Read sgdsweep result files (docs/FORMAT.md, format_version 3; versions 1 and 2 too).

    import sgdsweep_results as sr
    runs = sr.open_runs("result.h5")     # xarray.Dataset over dim `run`
    grid = sr.open_grid("result.h5")     # xarray.Dataset over the spec's axes (grid sweeps)
    sr.provenance("result.h5")           # dict: root attributes and the spec text
    print(sr.summary("result.h5"))

    python3 analysis/sgdsweep_results.py result.h5 [...]   # prints the summaries

Needs h5py, numpy, xarray and h5netcdf (Debian: python3-h5py python3-numpy
python3-xarray python3-h5netcdf). Datasets are loaded into memory and the
file is closed, so a running sweep can keep replacing it.
"""
import sys

import h5py
import numpy as np
import xarray as xr

FORMAT = "sgdsweep-result"
FORMAT_VERSION = 3
# the versions this reader knows: 2 is 1 plus the probes (docs/FORMAT.md,
# Versioning), so a version 1 file reads the same way, without them
FORMAT_VERSIONS = (1, 2, 3)
STATUS = {0: "pending", 1: "done", 2: "diverged", 3: "failed"}


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


def _check(f, path):
    fmt, ver = _text(f.attrs.get("format", "")), f.attrs.get("format_version")
    if fmt != FORMAT:
        raise ValueError(f"{path}: not an sgdsweep result file (format attribute {fmt!r})")
    if ver not in FORMAT_VERSIONS:
        known = ", ".join(str(v) for v in FORMAT_VERSIONS)
        raise ValueError(f"{path}: format_version {ver}, this reader knows {known}")


def _open(path, group):
    with xr.open_dataset(path, engine="h5netcdf", group=group) as ds:
        return ds.load()


def open_runs(path):
    """The /runs table: one row per run (dim `run`), curves over `checkpoint`."""
    with h5py.File(path, "r") as f:
        _check(f, path)
    return _open(path, "runs")


def open_grid(path):
    """The /grid view of a grid sweep: every metric over the spec's axes."""
    with h5py.File(path, "r") as f:
        _check(f, path)
        method = _text(f.attrs["method"])
        if method != "grid":
            raise ValueError(f"{path}: a {method} sweep has no /grid; use open_runs() and select by settings")
        if "grid" not in f:
            raise ValueError(f"{path}: no /grid (the spec sweeps no setting); use open_runs()")
    return _open(path, "grid")


def provenance(path):
    """Root attributes (who, where, when, with what) and the spec verbatim."""
    with h5py.File(path, "r") as f:
        _check(f, path)
        out = {k: _text(v.item() if isinstance(v, np.generic) else v) for k, v in f.attrs.items()}
        out["spec"] = _text(f["spec"][()])
    return out


def summary(path):
    """A few lines: counts by status and the axes of the sweep."""
    p = provenance(path)
    runs = open_runs(path)
    status = runs["status"].values
    counts = ", ".join(f"{np.count_nonzero(status == c)} {name}" for c, name in STATUS.items())
    lines = [f"{path}: {p['method']} sweep of {p['n_runs']} runs: {counts}",
             f"  sgdsweep {p['program_version']} ({p['git_commit']}), created {p['created']}, "
             f"updated {p['updated']}, {p['mpi_size']} ranks on {p['hosts']}, resumed {p['resumes']}x"]
    with h5py.File(path, "r") as f:
        has_grid = "grid" in f
    if has_grid:
        grid = open_grid(path)
        for d in grid["status"].dims:
            members = [c for c in grid.coords if c != d and grid[c].dims == (d,)]
            show = members or [d]
            vals = "; ".join((f"{c} = " if members else "") + " ".join(str(v) for v in grid[c].values) for c in show)
            lines.append(f"  {d} [{grid.sizes[d]}]: {vals}" + (f"  (zip of {', '.join(members)})" if members else ""))
    else:
        for name, v in runs.data_vars.items():
            role = v.attrs.get("role", "")
            if v.dims == ("run",) and role.startswith("setting") and len(np.unique(v.values)) > 1:
                lines.append(f"  {name}: {len(np.unique(v.values))} values in "
                             f"[{np.min(v.values)}, {np.max(v.values)}]")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: sgdsweep_results.py RESULT.h5 [...]")
    for a in sys.argv[1:]:
        print(summary(a))
