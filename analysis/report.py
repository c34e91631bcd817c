#!/usr/bin/python3
"""report.py -- a first look at a sgdsweep result file.

    /usr/bin/python3 analysis/report.py RESULT.h5 [-o OUTDIR]

Writes OUTDIR/NAME_report.md (provenance, run counts, final metrics averaged
over the `seed` axis) and, for grid sweeps, OUTDIR/NAME_curves.png (mean
training-loss curves for every combination of the other axes). Needs
Debian's python3-h5py, python3-numpy, python3-matplotlib, python3-xarray,
python3-h5netcdf. Exit codes: 0 ok, 2 bad arguments or unreadable file.
"""
import argparse
import os
import sys

import h5py
import numpy as np

STATUS = ["pending", "done", "diverged", "failed"]
METRICS = ["train_loss", "train_acc", "test_loss", "test_acc", "hit_acc_step", "hit_loss_step"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("result")
    ap.add_argument("-o", "--outdir", default=None)
    a = ap.parse_args()
    try:
        f = h5py.File(a.result, "r")
    except OSError as e:
        print(f"report.py: {a.result}: cannot open ({e})", file=sys.stderr)
        return 2
    if f.attrs.get("format") != "sgdsweep-result":
        print(f"report.py: {a.result}: not an sgdsweep result file", file=sys.stderr)
        return 2
    outdir = a.outdir or os.path.dirname(os.path.abspath(a.result))
    name = os.path.splitext(os.path.basename(a.result))[0]
    md = os.path.join(outdir, f"{name}_report.md")
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    status = f["runs/status"][()]
    lines = [f"# {name}", "",
             f"- file: `{a.result}` (format version {attrs['format_version']})",
             f"- spec: `{attrs['spec_path']}` (SHA-256 `{attrs['spec_sha256'][:16]}…`), method {attrs['method']}",
             f"- program: sgdsweep {attrs['program_version']} (git {attrs['git_commit']}), "
             f"{attrs['mpi_size']} MPI ranks on {attrs['hosts']}",
             f"- created {attrs['created']}, updated {attrs['updated']}, "
             f"completed {attrs['completed'] or 'no (resume to finish)'}",
             "- runs: " + ", ".join(f"{STATUS[s]} {int((status == s).sum())}" for s in range(4)), ""]
    png = None
    if "grid" in f:
        import xarray as xr
        g = xr.open_dataset(a.result, engine="h5netcdf", group="grid")
        dims = [d for d in g.status.dims]
        other = [d for d in dims if d != "seed"]
        red = "seed" if "seed" in dims else None
        lines += ["## Final metrics" + (" (mean over seeds)" if red else ""), ""]
        table = {}
        for m in METRICS:
            v = g[m]
            if m.startswith("hit_"):
                v = v.where(v >= 0)  # -1: never reached
            table[m] = v.mean(red) if red else v
        lines.append("| " + " | ".join(other + METRICS) + " |")
        lines.append("|" + "---|" * (len(other) + len(METRICS)))
        for idx in np.ndindex(*[g.sizes[d] for d in other]):
            sel = {d: i for d, i in zip(other, idx)}
            coords = [str(g[d].values[i]) for d, i in zip(other, idx)]
            vals = [table[m].isel(sel).values for m in METRICS]
            lines.append("| " + " | ".join(coords + [f"{float(v):.4g}" for v in vals]) + " |")
        lines.append("")
        lines.append("`hit_*_step`: mean over the seeds that reached the target (NaN: none did).")
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots(figsize=(7, 4.5))
            loss = g.curve_train_loss
            step = g.curve_step
            for idx in np.ndindex(*[g.sizes[d] for d in other]):
                sel = {d: i for d, i in zip(other, idx)}
                y = loss.isel(sel)
                x = step.isel(sel)
                if red:
                    y, x = y.mean(red), x.isel({red: 0})
                ok = x.values > 0  # log axis: step 0 is left out
                label = ", ".join(f"{d}={g[d].values[i]}" for d, i in zip(other, idx))
                ax.plot(x.values[ok], y.values[ok], label=label, lw=1,
                        color=plt.cm.tab20(len(ax.lines) % 20))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("step")
            ax.set_ylabel("train loss" + (" (mean over seeds)" if red else ""))
            if len(ax.lines) <= 16:
                ax.legend(fontsize=6)
            fig.tight_layout()
            png = os.path.join(outdir, f"{name}_curves.png")
            fig.savefig(png, dpi=120)
            lines += ["", f"![training loss]({os.path.basename(png)})"]
        except ImportError:
            lines += ["", "(matplotlib not installed: no figure)"]
    with open(md, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(md)
    if png:
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
