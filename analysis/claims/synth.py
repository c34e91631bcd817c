#!/usr/bin/python3
"""synth.py -- result files with planted answers, for the claim tests.

    /usr/bin/python3 analysis/claims/synth.py SRC.h5 DST.h5 [options]

Copies a real result file SRC (a tiny sweep of the claim's spec shape, so the
layout is exactly what the engine writes) to DST and overwrites what the
options say, in /runs and in the /grid view alike (docs/FORMAT.md):

  --plant overparam --nstar R [--width-dec W] [--fail-seeds F] [--seed S]
        every run done; run i fits (hit_acc_step, stopped_step = budget/4,
        train_acc 1) with probability sigmoid(b1 log(r / R)), r = P/(n k),
        b1 = 2 ln 9 / (W ln 10) (a transition W decades wide from 10% to
        90%), drawn from a stream seeded by S; with --fail-seeds F the first
        F seeds (by value) never fit at any size. With --alpha A the
        transition moves with n: N*/(nk) = R (n / n_min)^(A - 1), i.e. N* in
        parameters proportional to n^A (A = 1: the --nstar of every n).
  --pending K      the last K runs become pending (no result: status 0,
                   metrics -2/NaN), the root counts and `completed` follow
  --spec-name N    /spec gets `name: N` (and spec_sha256 its new hash)
  --format-version V   the root attribute format_version becomes V

Library use: `edit(src, dst, fn)` copies and calls fn(h5py.File) on DST;
`set_metric(f, name, values)` writes a /runs column and its /grid variable.
"""
import argparse
import hashlib
import math
import os
import re
import shutil
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def edit(src, dst, fn):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        fn(f)


def _grid_view(f, name, values):
    if "grid" in f and name in f["grid"]:
        g = f["grid"][name]
        v = np.asarray(values, float).copy()
        if np.asarray(values).dtype.kind in "iu":
            v[np.asarray(values) == -2] = np.nan     # /grid: a missing integer is NaN
        g[...] = v.reshape(g.shape)


def set_metric(f, name, values):
    """Overwrite /runs/<name> (and /grid/<name>, reshaped, -2 -> NaN)."""
    d = f["runs"][name]
    values = np.asarray(values).astype(d.dtype)
    d[...] = values
    _grid_view(f, name, values)


def column(f, name):
    v = f["runs"][name][()]
    return np.array([x.decode() for x in v]) if v.dtype.kind in "OS" else v


def set_counts(f):
    st = f["runs"]["status"][()]
    for code, attr in ((0, "n_pending"), (1, "n_done"), (2, "n_diverged"), (3, "n_failed")):
        f.attrs[attr] = np.int64(np.count_nonzero(st == code))
    f.attrs["completed"] = f.attrs["updated"] if not np.any((st == 0) | (st == 3)) else ""


def plant_overparam(f, nstar, width_dec=0.3, fail_seeds=0, seed=0, alpha=1.0):
    import overparam as O
    n, k = column(f, "n_train").astype(int), column(f, "classes").astype(int)
    width, depth, d_in = column(f, "width").astype(int), column(f, "depth").astype(int), column(f, "d_in").astype(int)
    bias, sd = column(f, "bias").astype(int), column(f, "seed").astype(int)
    N = n.size
    r = np.array([O.n_params(width[i], depth[i], d_in[i], k[i], bool(bias[i])) / (n[i] * k[i]) for i in range(N)])
    b1 = 2 * math.log(9) / (width_dec * math.log(10))
    rstar = nstar * (n / n.min()) ** (alpha - 1.0)
    p = 1 / (1 + np.exp(-b1 * np.log(r / rstar)))
    rng = np.random.default_rng(seed)
    fit = rng.random(N) < p
    bad = sorted(set(sd.tolist()))[:fail_seeds]
    fit &= ~np.isin(sd, bad)
    steps = column(f, "steps").astype(int)
    budget = np.where(steps > 0, steps, 1000) * 40          # pretend a long budget
    hit = np.where(fit, budget // 4, -1).astype(np.int64)
    set_metric(f, "status", np.ones(N, np.int8))
    set_metric(f, "hit_acc_step", hit)
    set_metric(f, "hit_loss_step", hit)
    set_metric(f, "stopped_step", hit)
    set_metric(f, "steps_done", np.where(fit, budget // 4, budget).astype(np.int64))
    set_metric(f, "diverged_step", np.full(N, -1, np.int64))
    set_metric(f, "train_acc", np.where(fit, 1.0, 0.8))
    set_metric(f, "train_loss", np.where(fit, 0.005, 0.3))
    set_metric(f, "test_acc", 0.5 + 0.1 * rng.random(N))
    set_metric(f, "wall_time", np.full(N, 0.01))
    if "steps" in f["runs"]:
        set_metric(f, "steps", budget.astype(np.int64))
    set_counts(f)


def make_pending(f, count):
    st = f["runs"]["status"][()]
    N = st.size
    idx = np.arange(N - count, N)
    st[idx] = 0
    set_metric(f, "status", st)
    for name, d in f["runs"].items():
        if not isinstance(d, h5py.Dataset) or d.attrs.get("description") is None or d.ndim != 1 \
                or d.shape[0] != N:                  # not a per-run column (e.g. eig_index)
            continue
        if name in ("status",) or d.attrs.get("role") is not None:
            continue
        v = d[()]
        if v.dtype.kind == "f":
            v[idx] = np.nan
        elif v.dtype.kind == "i":
            v[idx] = -2
        else:
            continue
        set_metric(f, name, v)
    set_counts(f)


def set_spec_name(f, name):
    text = f["spec"][()]
    text = text.decode() if isinstance(text, bytes) else text
    text, n = re.subn(r"(?m)^name:.*$", f"name: {name}", text)
    if n == 0:
        text = f"name: {name}\n" + text
    del f["spec"]
    f.create_dataset("spec", data=text, dtype=h5py.string_dtype("utf-8"))
    f.attrs["spec_sha256"] = hashlib.sha256(text.encode()).hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--plant", choices=["overparam"])
    ap.add_argument("--nstar", type=float, default=0.5)
    ap.add_argument("--width-dec", type=float, default=0.3)
    ap.add_argument("--fail-seeds", type=int, default=0)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pending", type=int, default=0)
    ap.add_argument("--spec-name")
    ap.add_argument("--format-version", type=int)
    a = ap.parse_args(argv)

    def fn(f):
        if a.plant == "overparam":
            plant_overparam(f, a.nstar, a.width_dec, a.fail_seeds, a.seed, a.alpha)
        if a.pending:
            make_pending(f, a.pending)
        if a.spec_name:
            set_spec_name(f, a.spec_name)
        if a.format_version is not None:
            f.attrs["format_version"] = np.int32(a.format_version)
    edit(a.src, a.dst, fn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
