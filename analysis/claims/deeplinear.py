"""deeplinear.py -- claim 3: deep linear networks have no bad local minima.

    /usr/bin/python3 analysis/claims/deeplinear.py RESULT.h5 [-o OUTDIR]

Reads a result of jobs/claims/deeplinear-{small,full}.yaml (spec name
claim-deeplinear-*), applies the pre-registered criterion
jobs/claims/deeplinear.criterion.yaml and writes OUTDIR/deeplinear.md with its
figures (deeplinear_*.png). Definitions and the papers: docs/CLAIMS.md, Claim 3.

Every run is classified against the global optimum of its own data set:
  reference L*    the depth-0 run(s) of the same data seed (least squares,
                  convex), certified by |g|^2 / (2 lambda_min) <= cert_rel L*
  gap             (train_loss - L*) / L*
  (a) global      |gap| <= gap_tol
  (b) saddle      gap > gap_tol, lambda_min < -lambda_tol * lambda_max
  (b') unconverged gap > gap_tol, no negative curvature, |g| > grad_tol (or diverged)
  (c) bad minimum gap > gap_tol, |g| <= grad_tol, lambda_min >= -lambda_tol * lambda_max
  (u) unresolved  gap > gap_tol, |g| <= grad_tol, lambda_min NaN (Lanczos flag 2)
  below           gap < -gap_tol: the reference is not the optimum (reference failure)
Runs without a result (pending, failed: an unfinished sweep) are not classified.
The verdict is decided on the main family (depth >= 1, width >= min(d_in,
outputs)); the bottleneck (width < min(d_in, outputs)) is classified against
the best loss of its seed and width, and reported only.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

CLAIM = "deeplinear"
TITLE = "Claim 3: deep linear networks have no bad local minima"
GLOBAL, SADDLE, UNCONV, BAD, UNRES, BELOW, UNREF, PENDING = "a", "b", "b'", "c", "u", "below", "r", "p"
CLASSES = (GLOBAL, SADDLE, UNCONV, BAD, UNRES, BELOW)
LABELS = {GLOBAL: "(a) global minimum", SADDLE: "(b) saddle (negative curvature)",
          UNCONV: "(b') not converged", BAD: "(c) bad local minimum",
          UNRES: "(u) unresolved (lambda_min NaN)", BELOW: "below the reference (reference failure)",
          UNREF: "(r) no certified reference", PENDING: "no result yet (pending or failed)"}
COLORS = {GLOBAL: "C2", SADDLE: "C0", UNCONV: "C7", BAD: "C3", UNRES: "C1", BELOW: "C4", UNREF: "k", PENDING: "w"}


# ---------------------------------------------------------------- classification

def classify(gap, status, grad, lmin, lmax, tol):
    """Class of each run (arrays over runs) -> array of CLASSES labels, UNREF
    where gap is NaN because the seed has no reference. tol: the criterion's
    tolerances (gap_tol, grad_tol, lambda_tol). A run below the reference by more than
    gap_tol is BELOW (a reference failure), never a bad minimum."""
    gap, grad = np.asarray(gap, float), np.asarray(grad, float)
    lmin, lmax = np.asarray(lmin, float), np.asarray(lmax, float)
    done = np.asarray(status) == 1
    out = np.full(gap.shape, UNCONV, dtype=object)
    with np.errstate(invalid="ignore"):
        neg = np.isfinite(lmin) & np.isfinite(lmax) & (lmin < -tol["lambda_tol"] * np.abs(lmax))
        conv = done & np.isfinite(grad) & (grad <= tol["grad_tol"])
        above = ~(gap <= tol["gap_tol"])                # NaN gap (diverged) counts as above
        out[above & neg] = SADDLE
        out[above & ~neg & conv & np.isfinite(lmin)] = BAD
        out[above & ~neg & conv & ~np.isfinite(lmin)] = UNRES
        out[done & (np.abs(gap) <= tol["gap_tol"])] = GLOBAL
        out[done & (gap < -tol["gap_tol"])] = BELOW
    return out


def references(key, is_ref, status, loss, grad, lmin, cert_rel):
    """Per data set (key), the certified least-squares optimum -> dict key ->
    (L*, certificate bound relative to L*); L* NaN if no depth-0 run of the key
    is certified. The bound: |g|^2 / (2 lambda_min L*) (strong convexity)."""
    out = {}
    for k in np.unique(key):
        sel = np.nonzero((key == k) & is_ref & (status == 1))[0]
        best, best_b = math.nan, math.nan
        for i in sel:
            L, g, lm = float(loss[i]), float(grad[i]), float(lmin[i])
            if not (np.isfinite(L) and L > 0 and np.isfinite(g) and np.isfinite(lm) and lm > 0):
                continue
            b = g * g / (2.0 * lm * L)
            if b <= cert_rel and not (L >= best):
                best, best_b = L, b
        out[k] = (best, best_b)
    return out


class Runs:
    """The result file's runs as plain arrays, with their reference and class."""

    def __init__(self, res, crit):
        r = res.runs
        v = lambda k: r[k].values  # noqa: E731
        self.depth, self.width = v("depth").astype(int), v("width").astype(int)
        self.d_in, self.outputs = v("d_in").astype(int), v("classes").astype(int)
        seed = v("seed").astype(int)
        dseed = v("data_seed").astype(int) if "data_seed" in r else np.full(seed.shape, -1)
        self.dseed = np.where(dseed >= 0, dseed, seed)      # the data set (resampling unit)
        self.init_scale = v("init_scale").astype(float)
        self.status = v("status").astype(int)
        self.loss, self.grad = v("train_loss").astype(float), v("grad_norm").astype(float)
        self.lmin, self.lmax = v("lambda_min").astype(float), v("sharpness").astype(float)
        self.flags = v("probe_flags").astype(int)
        self.steps = v("steps").astype(int) if "steps" in r else np.full(seed.shape, -1)
        self.lr = v("lr").astype(float)
        self.curve_step = v("curve_step") if "curve_step" in r else None
        self.curve_loss = v("curve_train_loss") if "curve_train_loss" in r else None
        tol = crit["tolerances"]
        self.tol = {k: float(tol[k]) for k in ("gap_tol", "grad_tol", "lambda_tol", "cert_rel")}
        self.is_ref = self.depth == 0
        self.bottleneck = (self.depth >= 1) & (self.width < np.minimum(self.d_in, self.outputs))
        self.main = (self.depth >= 1) & ~self.bottleneck
        self.finished = (self.status == 1) | (self.status == 2)
        # the data set: the data seed with the data settings
        dkey = [v(k).astype(str) for k in ("d_in", "classes", "n_train", "target_noise", "data",
                                           "teacher_depth", "teacher_act") if k in r]
        self.key = np.array(["/".join([str(self.dseed[i])] + [a[i] for a in dkey]) for i in range(seed.size)])
        self.refs = references(self.key, self.is_ref, self.status, self.loss, self.grad, self.lmin,
                               self.tol["cert_rel"])
        self.lstar = np.array([self.refs[k][0] for k in self.key])
        with np.errstate(invalid="ignore", divide="ignore"):
            self.gap = (self.loss - self.lstar) / self.lstar
        self.cls = classify(self.gap, self.status, self.grad, self.lmin, self.lmax, self.tol)
        self.cls[~np.isfinite(self.lstar)] = UNREF
        self.cls[~self.finished] = PENDING              # no result: not classified (unfinished sweep)
        # the bottleneck: against the best loss of its data set and width (descriptive)
        self.lbest = np.full(seed.size, np.nan)
        for k in np.unique(self.key):
            for w in np.unique(self.width[self.bottleneck]):
                sel = self.bottleneck & (self.key == k) & (self.width == w) & (self.status == 1)
                if sel.any() and np.any(np.isfinite(self.loss[sel])):
                    self.lbest[sel | (self.bottleneck & (self.key == k) & (self.width == w))] = \
                        np.nanmin(self.loss[sel])
        with np.errstate(invalid="ignore", divide="ignore"):
            self.gap_b = (self.loss - self.lbest) / self.lbest
        self.cls_b = classify(self.gap_b, self.status, self.grad, self.lmin, self.lmax, self.tol)
        self.cls_b[~np.isfinite(self.lbest)] = UNREF
        self.cls_b[~self.finished] = PENDING


# ---------------------------------------------------------------- statistics

def per_seed_counts(keys, cls, sel):
    """-> (unique keys [S], counts [S, len(CLASSES) + 1]: one column per class, then the total)."""
    uk = np.unique(keys[sel])
    out = np.zeros((uk.size, len(CLASSES) + 1))
    for j, k in enumerate(uk):
        m = sel & (keys == k)
        for c, name in enumerate(CLASSES):
            out[j, c] = np.count_nonzero(cls[m] == name)
        out[j, -1] = np.count_nonzero(m)
    return uk, out


def class_fractions(counts):
    """Fraction of runs in each class with its 95% bootstrap interval over seeds -> dict."""
    out = {}
    for c, name in enumerate(CLASSES):
        def stat(x, c=c):
            tot = x[:, -1].sum()
            return x[:, c].sum() / tot if tot > 0 else math.nan
        out[name] = C.bootstrap(counts, stat) if counts.shape[0] else (math.nan,) * 3
    return out


def binomial_upper(n_seeds, level=0.95):
    """Exact one-sided upper bound on a probability when 0 of n independent trials hit:
    1 - (1 - level)^(1/n)."""
    return 1.0 - (1.0 - level) ** (1.0 / n_seeds) if n_seeds > 0 else math.nan


def decide(rn, crit):
    """The criterion on the main family -> dict (verdict, why, statistics)."""
    suff, cf = crit.get("sufficiency", {}), crit.get("converged_fraction", {})
    out = {}
    main = rn.main
    ref_keys = {k for k, (L, _) in rn.refs.items() if np.isfinite(L)}
    out["n_seeds_ref"] = len(ref_keys)
    out["n_seeds"] = len(rn.refs)
    ok = main & ~np.isin(rn.cls, [UNREF, PENDING])
    out["n_main"], out["n_main_ref"] = int(np.count_nonzero(main & (rn.cls != PENDING))), int(ok.sum())
    out["n_unref"] = int(np.count_nonzero(main & (rn.cls == UNREF)))
    out["counts"] = {c: int(np.count_nonzero(rn.cls[ok] == c)) for c in CLASSES}
    out["ref_fail"] = int(np.count_nonzero(main & (rn.gap < -rn.tol["gap_tol"])))
    uk, counts = per_seed_counts(rn.key, rn.cls, ok)
    out["per_seed"] = counts
    out["fractions"] = class_fractions(counts)
    out["seeds_bad"] = int(np.count_nonzero(counts[:, CLASSES.index(BAD)] > 0)) if counts.size else 0
    out["bad_upper"] = binomial_upper(len(uk))
    depths = sorted(set(rn.depth[main].tolist()))
    out["seeds_global_per_depth"] = {
        d: len(set(rn.key[ok & (rn.depth == d) & (rn.cls == GLOBAL)].tolist())) for d in depths}
    reasons = []
    if out["ref_fail"]:
        reasons.append(f"reference failure: {out['ref_fail']} main-family runs end below the depth-0 "
                       f"optimum by more than gap_tol (the reference is not the optimum)")
    if out["counts"][UNRES]:
        reasons.append(f"{out['counts'][UNRES]} converged runs above the optimum have no lambda_min "
                       f"(Lanczos did not converge): they could be bad minima")
    if out["n_seeds_ref"] < int(suff.get("min_seeds", 10)):
        reasons.append(f"only {out['n_seeds_ref']} seeds have a certified reference "
                       f"(need {suff.get('min_seeds', 10)})")
    if out["n_main_ref"] < int(suff.get("min_runs", 100)):
        reasons.append(f"only {out['n_main_ref']} main-family runs with a reference "
                       f"(need {suff.get('min_runs', 100)})")
    few = [d for d in depths if out["seeds_global_per_depth"][d] < int(suff.get("min_seeds_per_depth", 5))]
    if few or not depths:
        reasons.append("too few seeds reach the global minimum at depth " +
                       ", ".join(f"{d} ({out['seeds_global_per_depth'][d]})" for d in few)
                       if few else "no main-family run")
    unref_frac = out["n_unref"] / out["n_main"] if out["n_main"] else 1.0
    if unref_frac > float(suff.get("max_unreferenced_fraction", 0.1)):
        reasons.append(f"{out['n_unref']} of {out['n_main']} main-family runs have no certified "
                       f"reference (more than {suff.get('max_unreferenced_fraction', 0.1):g})")
    fa = out["fractions"].get(GLOBAL, (math.nan,) * 3)
    if not (fa[1] >= float(cf.get("min_lower", 0.75))):
        reasons.append(f"the fraction of main-family runs at the global minimum, {fa[0]:.3f} "
                       f"[{fa[1]:.3f}, {fa[2]:.3f}], has its lower bound below {cf.get('min_lower', 0.75)}")
    if out["counts"][BAD] > 0:
        out["verdict"] = C.NOT_SUPPORTED
        out["why"] = (f"{out['counts'][BAD]} main-family runs (in {out['seeds_bad']} seeds) end at a bad "
                      f"local minimum: converged, no negative curvature, loss above the global optimum")
    elif reasons:
        out["verdict"], out["why"] = C.INCONCLUSIVE, "; ".join(reasons)
    else:
        out["verdict"] = C.SUPPORTED
        out["why"] = "no main-family run ends at a bad local minimum, and most reach the global minimum"
    return out


# ---------------------------------------------------------------- figures

def _save(plt, fig, outdir, name):
    """Lay out, write OUTDIR/NAME (PNG, 90 dpi), close -> the path."""
    fig.tight_layout()
    p = os.path.join(outdir, name)
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p


def fig_landscape(rn, outdir):
    """Where every run ended: relative excess loss against lambda_min / lambda_max."""
    plt = C.setup_matplotlib()
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for a, sel, cls, gap, title in ((ax[0], rn.main, rn.cls, rn.gap, "main family: gap to L* (depth 0)"),
                                    (ax[1], rn.bottleneck, rn.cls_b, rn.gap_b,
                                     "bottleneck: gap to the best run of its seed and width")):
        floor = 1e-17
        with np.errstate(invalid="ignore", divide="ignore"):
            x = rn.lmin / np.abs(rn.lmax)
        for c in CLASSES:
            m = sel & (cls == c) & np.isfinite(x) & np.isfinite(gap)
            if m.any():
                a.scatter(np.clip(x[m], -1, 1), np.maximum(np.abs(gap[m]), floor), s=10, alpha=0.6,
                          color=COLORS[c], label=f"{LABELS[c]} ({int(m.sum())})")
        a.set_yscale("log")
        a.set_xscale("symlog", linthresh=1e-6)
        a.axhline(rn.tol["gap_tol"], color="k", ls="--", lw=0.8)
        a.axvline(-rn.tol["lambda_tol"], color="k", ls=":", lw=0.8)
        a.set_xlabel("lambda_min / lambda_max at the end (symlog)")
        a.set_ylabel(f"|relative excess train loss| (floor {floor:g})")
        a.set_title(title, fontsize=9)
        if a.get_legend_handles_labels()[0]:
            a.legend(fontsize=7)
    return _save(plt, fig, outdir, "deeplinear_landscape.png")


def fig_classes(rn, outdir):
    """Fraction of runs per class for each (width, depth, init_scale)."""
    plt = C.setup_matplotlib()
    sel = (rn.depth >= 1) & ~np.isin(rn.cls, [UNREF, PENDING])
    combos = sorted({(int(rn.width[i]), int(rn.depth[i]), float(rn.init_scale[i])) for i in np.nonzero(sel)[0]})
    fig, ax = plt.subplots(figsize=(max(6, 0.32 * len(combos) + 4), 4))
    bottom = np.zeros(len(combos))
    for c in CLASSES:
        frac = []
        for w, d, s in combos:
            m = sel & (rn.width == w) & (rn.depth == d) & (rn.init_scale == s)
            cl = np.where(rn.bottleneck[m], rn.cls_b[m], rn.cls[m])
            frac.append(np.count_nonzero(cl == c) / max(1, m.sum()))
        frac = np.array(frac)
        ax.bar(range(len(combos)), frac, bottom=bottom, color=COLORS[c], label=LABELS[c])
        bottom += frac
    ax.set_xticks(range(len(combos)))
    ax.set_xticklabels([f"w{w} d{d} s{s:g}" for w, d, s in combos], rotation=90, fontsize=6)
    ax.set_ylabel("fraction of seeds")
    ax.set_title("end state per (width, depth, init_scale); bottleneck widths against their best run",
                 fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(plt, fig, outdir, "deeplinear_classes.png")


def fig_curves(rn, outdir):
    """Learning curves (train loss - L*) / L* of the main family, coloured by end class."""
    plt = C.setup_matplotlib()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    if rn.curve_loss is not None:
        for c in CLASSES:
            idx = np.nonzero(rn.main & (rn.cls == c))[0]
            for j, i in enumerate(idx[:60] if c == GLOBAL else idx):
                st, lo = rn.curve_step[i], rn.curve_loss[i]
                m = (st > 0) & np.isfinite(lo)
                with np.errstate(invalid="ignore", divide="ignore"):
                    g = np.maximum((lo[m] - rn.lstar[i]) / rn.lstar[i], 1e-17)
                ax.plot(st[m], g, color=COLORS[c], lw=0.7, alpha=0.5, label=LABELS[c] if j == 0 else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("GD step")
    ax.set_ylabel("relative excess train loss (floor 1e-17)")
    ax.set_title("main family (global: first 60 runs; every other class in full)", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return _save(plt, fig, outdir, "deeplinear_curves.png")


# ---------------------------------------------------------------- report

def _ci(v, f="{:.3f}"):
    e, lo, hi = v
    return "n/a" if not np.isfinite(e) else f"{f.format(e)} [{f.format(lo)}, {f.format(hi)}]"


def analyze(path, outdir, figures=True):
    """The section of one result file (figures=False: no PNGs, for the planted-answer tests)."""
    res = C.load(path, CLAIM)
    crit = C.criterion(CLAIM)
    os.makedirs(outdir, exist_ok=True)
    if res.n_done == 0:
        raise C.ClaimError(f"{path}: no finished run yet ({res.n_pending} pending, {res.n_failed} failed)")
    for need in ("depth", "width", "seed", "init_scale", "train_loss", "grad_norm", "lambda_min", "sharpness"):
        if need not in res.runs:
            raise C.ClaimError(f"{path}: no /runs/{need}; not a deeplinear-claim sweep")
    rn = Runs(res, crit)
    dec = decide(rn, crit)
    figs = [os.path.basename(p) for p in (fig_landscape(rn, outdir), fig_classes(rn, outdir),
                                          fig_curves(rn, outdir))] if figures else []
    fr = dec["fractions"]
    n = dec["n_main_ref"]
    cnt = dec["counts"]
    stat = (f"bad local minima {cnt[BAD]} of {n} runs ({dec['seeds_bad']} of {len(dec['per_seed'])} seeds); "
            f"at the global minimum {_ci(fr[GLOBAL])}")
    statement = (f"{dec['why'][0].upper() + dec['why'][1:]}. Main family (depth >= 1, width >= min(d_in, "
                 f"outputs)), {n} runs with a certified reference in {dec['n_seeds_ref']} seeds: "
                 + "; ".join(f"{LABELS[c]} {cnt[c]} ({_ci(fr[c])})" for c in CLASSES) + ". ")
    if cnt[BAD] == 0 and len(dec["per_seed"]):
        statement += (f"With no bad minimum in {len(dec['per_seed'])} seeds, the exact binomial 95% upper "
                      f"bound on the probability that a seed has one is {dec['bad_upper']:.3f} (not decisive; "
                      f"the bootstrap interval of zero events has zero width). ")
    # the bottleneck (descriptive)
    bsel = rn.bottleneck & ~np.isin(rn.cls_b, [UNREF, PENDING])
    if bsel.any():
        bc = {c: int(np.count_nonzero(rn.cls_b[bsel] == c)) for c in CLASSES}
        with np.errstate(invalid="ignore"):
            rel = (rn.lbest[bsel] - rn.lstar[bsel]) / rn.lstar[bsel]
        statement += (f"Bottleneck (descriptive, not in the verdict; reference: the best loss of the seed and "
                      f"width over its depths and inits): {int(bsel.sum())} runs, "
                      + ", ".join(f"{LABELS[c]} {bc[c]}" for c in CLASSES)
                      + (f"; its best loss lies {np.nanmedian(rel):.3g} (median; range {np.nanmin(rel):.3g}"
                         f"..{np.nanmax(rel):.3g}) above L*, the price of rank < min(d_in, outputs)."
                         if np.any(np.isfinite(rel)) else "."))
    unfinished = res.unfinished_note()
    if unfinished:
        statement += " " + unfinished[0].upper() + unfinished[1:] + "."

    fin = rn.is_ref & (rn.status == 1)
    certs = [b for (L, b) in rn.refs.values() if np.isfinite(L)]
    budgets = sorted({(int(s), float(l)) for s, l in zip(rn.steps[rn.depth >= 0], rn.lr[rn.depth >= 0])})
    cond = [f"{res.n_runs} runs: {res.n_done} done, {res.n_diverged} diverged, {res.n_failed} failed, "
            f"{res.n_pending} pending; {dec['n_seeds']} data seeds ({dec['n_seeds_ref']} with a certified "
            f"reference)",
            f"sweep wall time {res.wall_seconds():.0f} s on {res.provenance.get('mpi_size', '?')} ranks "
            f"({res.core_seconds():.0f} core-seconds of training), sgdsweep "
            f"{res.provenance.get('program_version', '?')} ({res.provenance.get('git_commit', '?')})",
            "budget: full-batch GD, " + ", ".join(f"{s} steps at lr {l:g}" for s, l in budgets),
            f"data: d_in {', '.join(map(str, sorted(set(rn.d_in.tolist()))))}, outputs "
            f"{', '.join(map(str, sorted(set(rn.outputs.tolist()))))}; depths "
            f"{', '.join(map(str, sorted(set(rn.depth.tolist()))))}; widths "
            f"{', '.join(map(str, sorted(set(rn.width[rn.depth >= 1].tolist()))))} (bottleneck: "
            f"{', '.join(map(str, sorted(set(rn.width[rn.bottleneck].tolist())))) or 'none'}); init scales "
            f"{', '.join(f'{s:g}' for s in sorted(set(rn.init_scale.tolist())))}",
            f"reference: {int(fin.sum())} finished depth-0 runs; certificate |g|^2/(2 lambda_min L*) at most "
            f"{max(certs) if certs else float('nan'):.2g} (criterion: <= {rn.tol['cert_rel']:g})",
            f"tolerances: gap {rn.tol['gap_tol']:g} (relative), |grad| {rn.tol['grad_tol']:g}, lambda_min < "
            f"-{rn.tol['lambda_tol']:g} lambda_max is negative curvature",
            "intervals: 95% percentile bootstrap over data seeds (2000 resamples, seed 0)"]
    det = ["Main family per (depth, width): runs in each class (every init scale and seed).", "",
           "| depth | width | runs | " + " | ".join(LABELS[c] for c in CLASSES) + " | median gap of (a) |",
           "|---|---|---|" + "---|" * len(CLASSES) + "---|"]
    for sel_fam, cls, gap, name in ((rn.main, rn.cls, rn.gap, "main"), (rn.bottleneck, rn.cls_b, rn.gap_b,
                                                                          "bottleneck")):
        if name == "bottleneck" and sel_fam.any():
            det += ["", "Bottleneck (against the best run of its seed and width; descriptive):", "",
                    "| depth | width | runs | " + " | ".join(LABELS[c] for c in CLASSES) + " | median gap of (a) |",
                    "|---|---|---|" + "---|" * len(CLASSES) + "---|"]
        for d, w in sorted({(int(a), int(b)) for a, b in zip(rn.depth[sel_fam], rn.width[sel_fam])}):
            m = sel_fam & (rn.depth == d) & (rn.width == w) & ~np.isin(cls, [UNREF, PENDING])
            ga = gap[m & (cls == GLOBAL)]
            det.append(f"| {d} | {w} | {int(m.sum())} | " +
                       " | ".join(str(int(np.count_nonzero(cls[m] == c))) for c in CLASSES) +
                       f" | {np.median(np.abs(ga)):.2g} |" if ga.size else
                       f"| {d} | {w} | {int(m.sum())} | " +
                       " | ".join(str(int(np.count_nonzero(cls[m] == c))) for c in CLASSES) + " | n/a |")
    odd = np.nonzero((rn.depth >= 1) & np.isin(np.where(rn.bottleneck, rn.cls_b, rn.cls),
                                               [SADDLE, UNCONV, BAD, UNRES]))[0]
    if odd.size:
        det += ["", "Every run not at its global minimum:", "",
                "| family | depth | width | init_scale | seed | status | class | gap | abs(grad) | lambda_min | "
                "lambda_max | flags |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for i in odd[:200]:
            b = rn.bottleneck[i]
            det.append(f"| {'bottleneck' if b else 'main'} | {rn.depth[i]} | {rn.width[i]} | "
                       f"{rn.init_scale[i]:g} | {rn.dseed[i]} | {rn.status[i]} | "
                       f"{rn.cls_b[i] if b else rn.cls[i]} | {(rn.gap_b if b else rn.gap)[i]:.3g} | "
                       f"{rn.grad[i]:.2g} | {rn.lmin[i]:.3g} | {rn.lmax[i]:.3g} | {rn.flags[i]} |")
        if odd.size > 200:
            det.append(f"| ... {odd.size - 200} more | | | | | | | | | | | |")
    sec = C.Section(claim=CLAIM, title=TITLE, verdict=dec["verdict"], statement=statement,
                    criterion_text=crit["_text"], conditions=cond, figures=figs, details="\n".join(det),
                    statistic=stat, criterion_sha256=crit["_sha256"], criterion_path=crit.get("_path", ""),
                    seeds=str(dec["n_seeds"]), wall=f"{res.wall_seconds():.0f} s",
                    budget=", ".join(f"{s} GD steps" for s, _ in budgets), source=os.path.basename(path))
    sec.decision = dec
    return sec


if __name__ == "__main__":
    sys.exit(C.main_cli(CLAIM, analyze))
