"""saddle.py -- claim 4: noise helps gradient descent escape saddle points.

    /usr/bin/python3 analysis/claims/saddle.py RESULT.h5 [-o OUTDIR]

Reads a result of jobs/claims/saddle-{small,full}.yaml (spec name
claim-saddle-*), applies the pre-registered criterion
jobs/claims/saddle.criterion.yaml and writes OUTDIR/saddle.md with its
figures (saddle_*.png). The claim, the theory and the measured result:
docs/CLAIMS.md, Claim 4.

Per problem (network and data) the runs form an array [seed, optimizer, init
scale c] of escape times T = hit_loss_step (+inf: censored, never escaped in
its budget; NaN: no result). Seeds are paired (the same initial direction and
noise in every cell), so every interval resamples seed indices jointly over
all cells of a problem.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

CLAIM = "saddle"
TITLE = "Claim 4: noise helps escape saddle points"
# the settings that make a problem; every other varying setting is the
# optimizer group, init_scale or seed
PROBLEM_KEYS = ("act", "d_in", "width", "depth", "n_train", "data_seed", "target_noise", "lr", "target_loss",
                "perturb_radius")
OPTIMIZERS = ("gd", "pgd", "langevin", "sgd")       # report order; gd and pgd decide
NOISY = ("pgd", "langevin", "sgd")                  # compared with gd


# ---------------------------------------------------------------- theory

def saxe_time(u0, uf, s, rate):
    """Steps for the mode strength u to grow from u0 to uf (Saxe et al. 2014,
    balanced one-mode linear network, whitened inputs):
    t = ln[uf (s - u0) / (u0 (s - uf))] / (2 rate), rate = lr s (Saxe's
    continuous time) or ln(1 + lr s) (GD's growth per step on the
    linearisation at the saddle). NaN unless 0 < u0 < uf < s."""
    u0, uf, s = np.asarray(u0, float), float(uf), float(s)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.log(uf * (s - u0) / (u0 * (s - uf))) / (2.0 * rate)
    ok = (u0 > 0) & (u0 < uf) & (uf < s)
    return np.where(ok, t, np.nan)


def u_final(loss0, target, s):
    """u at which L0 - s u + u^2/2 (the loss of the one-mode linear network,
    whitened inputs) equals the target: s - sqrt(s^2 - 2 (L0 - target)); NaN
    if the target is below that model's minimum."""
    disc = s * s - 2.0 * (loss0 - target)
    return s - math.sqrt(disc) if disc >= 0 else float("nan")


def u0_gd(c, d, h):
    """Expected u0 = |p|^2/2 of a He start of scale c (var W1 = 2c/d,
    var w2 = 2c/h), p_i = (w2_i + W1_i.v)/sqrt(2) the unstable coordinates:
    c (1 + h/d) / 2."""
    return np.asarray(c, float) * (1.0 + h / d) / 2.0


def u0_pgd(r, d, h):
    """Expected u0 after one perturbation uniform in the ball of radius r in
    P = h (d + 1) dimensions, from the saddle: r^2 h / (2 (P + 2))."""
    return r * r * h / (2.0 * (h * (d + 1) + 2))


# ---------------------------------------------------------------- statistics

def medians(t):
    """t [..., S, K]: escape times (inf censored, NaN missing) -> medians
    over seeds [..., K]; inf where half or more of the finished seeds are
    censored, NaN where no seed finished."""
    with np.errstate(invalid="ignore"), _quiet():
        return np.nanmedian(t, axis=-2)


class _quiet:
    """Silence numpy's all-NaN slice warnings (an empty cell is NaN by design)."""
    def __enter__(self):
        import warnings
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *a):
        self._w.__exit__(*a)


def slopes(m, x, cols):
    """OLS slope of m[..., cols] against x[cols]; NaN where any of them is not finite."""
    if len(cols) < 2:
        return np.full(m.shape[:-1], np.nan)
    y = m[..., cols]
    xx = x[cols] - x[cols].mean()
    with np.errstate(invalid="ignore"):
        b = np.sum((y - y.mean(axis=-1, keepdims=True)) * xx, axis=-1) / np.sum(xx * xx)
    return np.where(np.all(np.isfinite(y), axis=-1), b, np.nan)


def ratio(num, den):
    """num / den for medians: inf / finite = inf; NaN where den is not finite or 0."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    return np.where(np.isfinite(den) & (den > 0) & ~np.isnan(num), r, np.nan)


def interval(vals, level=0.95):
    """Percentile interval of bootstrap values [n_boot, ...] as order statistics
    (no interpolation, so +inf is a value like any other); NaN dropped, and
    (NaN, NaN) where more than half of them are NaN."""
    v = np.asarray(vals, float)
    n = v.shape[0]
    flat = v.reshape(n, -1)
    lo = np.full(flat.shape[1], np.nan)
    hi = np.full(flat.shape[1], np.nan)
    a = (1 - level) / 2
    for k in range(flat.shape[1]):
        x = flat[:, k][~np.isnan(flat[:, k])]
        if x.size and x.size >= n / 2:
            lo[k], hi[k] = np.quantile(x, [a, 1 - a], method="inverted_cdf")
    return lo.reshape(v.shape[1:]), hi.reshape(v.shape[1:])


# ---------------------------------------------------------------- data

class Problem:
    """One problem's runs as arrays [seed, optimizer, scale].

    name, settings (dict), seeds, opts (optimizer names present), scales
    (init scales, descending), T (escape times: inf censored, NaN no
    result), status, n_perturb, loss0 (train loss at step 0), lam0
    (lambda_min at step 0), budget (steps)."""

    def __init__(self, runs, mask, settings):
        self.settings = settings
        idx = np.nonzero(mask)[0]
        opt = runs["optimizer"].values.astype(str)[idx]
        scale = runs["init_scale"].values.astype(float)[idx]
        seed = runs["seed"].values.astype(int)[idx]
        self.opts = [o for o in OPTIMIZERS if o in set(opt)] + sorted(set(opt) - set(OPTIMIZERS))
        self.scales = np.array(sorted(set(scale.tolist()), reverse=True))
        self.seeds = np.array(sorted(set(seed.tolist())))
        shape = (len(self.seeds), len(self.opts), len(self.scales))
        self.T = np.full(shape, np.nan)
        self.status = np.zeros(shape, dtype=int)
        self.n_perturb = np.full(shape, np.nan)
        self.loss0 = np.full(shape, np.nan)
        self.lam0 = np.full(shape, np.nan)
        self.budget = np.full(shape, np.nan)
        hit = runs["hit_loss_step"].values[idx]
        st = runs["status"].values[idx]
        npert = runs["n_perturb"].values[idx] if "n_perturb" in runs else np.full(idx.size, -2)
        steps = runs["steps"].values[idx] if "steps" in runs else np.full(idx.size, np.nan)
        cstep = runs["curve_step"].values[idx] if "curve_step" in runs else None
        closs = runs["curve_train_loss"].values[idx] if "curve_train_loss" in runs else None
        clam = runs["curve_lambda_min"].values[idx] if "curve_lambda_min" in runs else None
        for j in range(idx.size):
            k = (np.searchsorted(self.seeds, seed[j]), self.opts.index(opt[j]),
                 int(np.nonzero(self.scales == scale[j])[0][0]))
            self.status[k] = st[j]
            self.budget[k] = steps[j]
            if st[j] in (1, 2):                  # done or diverged: a result
                self.T[k] = float(hit[j]) if hit[j] >= 0 else math.inf
                self.n_perturb[k] = npert[j] if npert[j] >= 0 else np.nan
            if cstep is not None:
                at0 = np.nonzero(cstep[j] == 0)[0]
                if at0.size:
                    self.loss0[k] = closs[j, at0[0]] if closs is not None else np.nan
                    self.lam0[k] = clam[j, at0[0]] if clam is not None else np.nan
        s = settings
        self.name = f"{s.get('act')} d{s.get('d_in')} h{s.get('width')}"

    def n_params(self):
        return int(self.settings["width"]) * (int(self.settings["d_in"]) + 1)


def problems_of(res):
    runs = res.runs
    keys = [k for k in PROBLEM_KEYS if k in runs]
    cols = {k: runs[k].values for k in keys}
    tags = [tuple((v.decode() if isinstance(v, bytes) else v) for v in row) for row in zip(*cols.values())]
    out = []
    for tag in sorted(set(tags), key=lambda t: tuple(str(x) for x in t)):
        mask = np.array([t == tag for t in tags])
        settings = {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(keys, tag)}
        out.append(Problem(runs, mask, settings))
    return out


# ---------------------------------------------------------------- analysis of one problem

def _fmt(x, f="{:.3g}"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f.format(x)


def _ci(t, f="{:.3g}"):
    return f"{_fmt(t[0], f)} [{_fmt(t[1], f)}, {_fmt(t[2], f)}]"


def analyze_problem(p, crit):
    """Everything the report says about one problem -> dict (verdict, why, stats)."""
    near_max = float(crit.get("near_saddle", {}).get("max_init_scale", 1e-8))
    bt = crit.get("bootstrap", {})
    n_boot, level, bseed = int(bt.get("n_boot", 2000)), float(bt.get("level", 0.95)), int(bt.get("seed", 0))
    out = {"problem": p, "name": p.name}
    S = len(p.seeds)
    finished = np.sum(~np.isnan(p.T), axis=0)                           # [O, K]
    escaped = np.sum(np.isfinite(p.T), axis=0)
    diverged = np.sum(p.status == 2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(finished > 0, escaped / np.maximum(finished, 1), np.nan)
        div_frac = np.where(finished > 0, diverged / np.maximum(finished, 1), np.nan)
    out.update(finished=finished, escaped=escaped, diverged=diverged, frac=frac)
    near = (p.scales > 0) & (p.scales <= near_max)
    x = np.log(1.0 / p.scales)                                          # ln(1/c)
    kmin = int(np.argmin(p.scales))
    out["near"], out["x"], out["kmin"] = near, x, kmin

    # the saddle: its loss and lambda_min at step 0, from the near-saddle starts
    with _quiet():
        loss0 = float(np.nanmedian(p.loss0[:, :, near])) if near.any() else float("nan")
        s = -float(np.nanmedian(p.lam0[:, :, near])) if near.any() else float("nan")
    target = float(p.settings.get("target_loss", float("nan")))
    lr = float(p.settings.get("lr", float("nan")))
    out.update(loss0=loss0, s=s, target=target, lr=lr)

    # medians per cell with intervals; statistics per resample
    m = medians(p.T.transpose(1, 0, 2))                                 # [O, S, K] -> [O, K]
    idx = C.bootstrap_indices(S, n_boot=n_boot, seed=bseed)
    mb = medians(p.T[idx].transpose(0, 2, 1, 3))                        # [B, O, S, K] -> [B, O, K]
    out["median"] = m
    out["median_ci"] = interval(mb, level)
    oi = {o: i for i, o in enumerate(p.opts)}
    have = "gd" in oi and "pgd" in oi
    stats = {}
    for o in p.opts:
        cols = np.nonzero(near & np.isfinite(m[oi[o]]))[0]
        b = slopes(m[oi[o]], x, cols)
        bb = slopes(mb[:, oi[o]], x, cols)
        stats[o] = {"cols": cols, "b": (float(b), *interval(bb, level))}
        stats[o]["_bb"] = bb
    for o in NOISY:
        if o not in oi or "gd" not in oi:
            continue
        r = ratio(stats[o]["_bb"], stats["gd"]["_bb"])
        stats[o]["rho"] = (float(ratio(stats[o]["b"][0], stats["gd"]["b"][0])), *interval(r, level))
        R = ratio(mb[:, oi["gd"], kmin], mb[:, oi[o], kmin])
        stats[o]["R"] = (float(ratio(m[oi["gd"], kmin], m[oi[o], kmin])), *interval(R, level))
        stats[o]["min_frac"] = float(np.nanmin(frac[oi[o]]))
        stats[o]["min_frac_near"] = float(np.nanmin(frac[oi[o]][near])) if near.any() else float("nan")
    out["stats"] = stats

    # theory (reported): the slope against the linearisation, escape times against Saxe
    if "gd" in oi and np.isfinite(s) and s > 0:
        bg = stats["gd"]["b"]
        out["kappa_discrete"] = tuple(v * 2 * math.log1p(lr * s) for v in bg)
        out["kappa_saxe"] = tuple(v * 2 * lr * s for v in bg)
        d, h = int(p.settings["d_in"]), int(p.settings["width"])
        uf = u_final(loss0, target, s)
        out["uf"] = uf
        out["pred_gd_saxe"] = saxe_time(u0_gd(p.scales, d, h), uf, s, lr * s)
        out["pred_gd_disc"] = saxe_time(u0_gd(p.scales, d, h), uf, s, math.log1p(lr * s))
        rad = p.settings.get("perturb_radius")
        out["pred_pgd_disc"] = float(saxe_time(u0_pgd(float(rad), d, h), uf, s, math.log1p(lr * s))) \
            if rad is not None else float("nan")

    # the decision (criterion, with its precedence)
    out["verdict"], out["why"] = decide(out, crit, p, have, S, finished, div_frac)
    return out


def decide(out, crit, p, have, S, finished, div_frac):
    """Verdict of one problem by the criterion's precedence (1)-(5)."""
    pe = crit.get("pgd_escape", {})
    rc, qc, suff = crit.get("rho", {}), crit.get("ratio", {}), crit.get("sufficiency", {})
    if not have:
        return C.INCONCLUSIVE, "gd or pgd runs missing"
    # (1) data insufficient
    min_seeds = int(suff.get("min_seeds", 10))
    reasons = []
    if int(np.min(finished)) < min_seeds:
        reasons.append(f"fewer than {min_seeds} finished seeds in some cell (least: {int(np.min(finished))})")
    maxdiv = float(suff.get("max_diverged_fraction", 0.1))
    if np.nanmax(div_frac) > maxdiv:
        reasons.append(f"more than {maxdiv:.0%} of a cell diverged (most: {np.nanmax(div_frac):.0%})")
    tfrac = float(crit.get("target", {}).get("max_fraction_of_L0", 0.5))
    if not (np.isfinite(out["loss0"]) and out["target"] <= tfrac * out["loss0"]):
        reasons.append(f"target_loss {out['target']:g} is not a real escape from the saddle's loss "
                       f"L0 = {_fmt(out['loss0'])} (needs <= {tfrac:g} L0)")
    if reasons:
        return C.INCONCLUSIVE, "; ".join(reasons)
    st = out["stats"]["pgd"]
    rho, R = st["rho"], st["R"]
    # (2) not supported
    nots = []
    if st["min_frac_near"] < float(pe.get("min_fraction_not", 0.5)):
        nots.append(f"PGD escapes in only {st['min_frac_near']:.0%} of seeds in a near-saddle cell "
                    f"(< {float(pe.get('min_fraction_not', 0.5)):.0%})")
    if rho[1] > float(rc.get("min_not", 0.5)):
        nots.append(f"rho's 95% CI lies above {rc.get('min_not', 0.5)} (PGD slowed like GD): {_ci(rho)}")
    if R[2] < float(qc.get("max_not", 1.0)):
        nots.append(f"R's 95% CI lies below {qc.get('max_not', 1.0)} (GD no slower): {_ci(R)}")
    if nots:
        return C.NOT_SUPPORTED, "; ".join(nots)
    # (3) censoring, undefined intervals
    min_scales = int(suff.get("min_scales", 3))
    for o in ("gd", "pgd"):
        n = len(out["stats"][o]["cols"])
        if n < min_scales:
            reasons.append(f"only {n} near-saddle scales with a finite {o.upper()} median "
                           f"(need {min_scales}; the budget censors the rest)")
    kmin = out["kmin"]
    pgd_m = out["median"][p.opts.index("pgd"), kmin]
    if not np.isfinite(pgd_m):
        reasons.append("PGD's median is infinite at the smallest init scale")
    b_gd = out["stats"]["gd"]["b"]
    for nm, t in (("b_GD", b_gd), ("rho", rho), ("R", R)):
        if not (np.isfinite(t[1]) or np.isinf(t[1])) or np.isnan(t[2]):
            reasons.append(f"{nm}'s interval is undefined")
    if reasons:
        return C.INCONCLUSIVE, "; ".join(reasons)
    # (4) supported
    fails = []
    if st["min_frac"] < float(pe.get("min_fraction", 0.9)):
        fails.append(f"(a) PGD escapes in only {st['min_frac']:.0%} of seeds in some cell")
    if not b_gd[1] > 0:
        fails.append(f"(b) b_GD's CI reaches 0: {_ci(b_gd)}")
    if not rho[2] < float(rc.get("max_supported", 0.2)):
        fails.append(f"(c) rho's CI reaches {rc.get('max_supported', 0.2)}: {_ci(rho)}")
    if not R[1] > float(qc.get("min_supported", 2.0)):
        fails.append(f"(d) R's CI reaches down to {qc.get('min_supported', 2.0)}: {_ci(R)}")
    if not fails:
        return C.SUPPORTED, (f"(a)-(d) hold: PGD escapes in >= {st['min_frac']:.0%} of seeds everywhere, "
                             f"b_GD = {_ci(b_gd)} steps per e-fold, rho = {_ci(rho)}, R = {_ci(R)}")
    # (5)
    return C.INCONCLUSIVE, "; ".join(fails)


def overall_verdict(results):
    vs = [r["verdict"] for r in results]
    if not results:
        return C.INCONCLUSIVE, "no problem in the file"
    if any(v == C.NOT_SUPPORTED for v in vs):
        return C.NOT_SUPPORTED, "not supported in " + ", ".join(r["name"] for r in results
                                                              if r["verdict"] == C.NOT_SUPPORTED)
    if all(v == C.SUPPORTED for v in vs):
        return C.SUPPORTED, f"supported in all {len(results)} problems"
    return C.INCONCLUSIVE, "inconclusive in " + ", ".join(f"{r['name']} ({r['why']})" for r in results
                                                          if r["verdict"] == C.INCONCLUSIVE)


# ---------------------------------------------------------------- figures

COLORS = {"gd": "C0", "pgd": "C3", "langevin": "C2", "sgd": "C1"}


def _panels(plt, n):
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    return fig, axes.ravel()


def _save(plt, fig, unused, outdir, name):
    """Blank the unused panels, write outdir/name, close -> its path."""
    for ax in unused:
        ax.axis("off")
    fig.tight_layout()
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _figure(results):
    """One panel per problem -> plt, fig, axes, [(ax, result, problem, log10(1/c))]."""
    plt = C.setup_matplotlib()
    fig, axes = _panels(plt, len(results))
    return plt, fig, axes, [(ax, r, r["problem"], np.log10(1.0 / r["problem"].scales))
                            for ax, r in zip(axes, results)]


def fig_escape(results, outdir):
    plt, fig, axes, panels = _figure(results)
    for ax, r, p, xs in panels:
        lo, hi = r["median_ci"]
        budget = np.nanmax(p.budget) if np.any(np.isfinite(p.budget)) else np.nan
        for i, o in enumerate(p.opts):
            m = r["median"][i]
            fin = np.isfinite(m)
            with np.errstate(invalid="ignore"):       # inf - inf where a median is censored
                top = np.minimum(hi[i], 10 * np.nanmax(m[fin]) if fin.any() else 1.0)
                yerr = np.array([m - lo[i], top - m])
            yerr = np.where(np.isfinite(yerr), np.maximum(yerr, 0), 0)
            ax.errorbar(xs[fin], m[fin], yerr=yerr[:, fin], marker="o", ms=4, color=COLORS.get(o),
                        label=o, capsize=2, lw=1.2, ls="--" if o == "sgd" else "-",
                        mfc="none" if o == "sgd" else None, zorder=3 if o == "gd" else 2)
            cens = np.isinf(m)
            if cens.any() and np.isfinite(budget):
                ax.plot(xs[cens], np.full(cens.sum(), budget), "^", color=COLORS.get(o), ms=8, mfc="none")
        if "pred_gd_disc" in r:
            ax.plot(xs, r["pred_gd_disc"], "--", color="k", lw=0.9, label="GD theory, ln(1+lr s)")
            ax.plot(xs, r["pred_gd_saxe"], ":", color="k", lw=0.9, label="Saxe (continuous)")
            if np.isfinite(r.get("pred_pgd_disc", np.nan)):
                ax.axhline(r["pred_pgd_disc"], color=COLORS["pgd"], ls="--", lw=0.8)
        if np.isfinite(budget):
            ax.axhline(budget, color="0.6", lw=0.6)
        ax.set_xlabel("log10(1 / init_scale)")
        ax.set_ylabel("median escape step")
        ax.set_title(f"{p.name}: {r['verdict']}", fontsize=9)
        ax.legend(fontsize=6)
    fig.suptitle("Escape time against the distance to the saddle (95% CI over seeds; "
                 "triangles: median censored at the budget; red dashed: PGD theory)", fontsize=8)
    return _save(plt, fig, axes[len(results):], outdir, "saddle_escape.png")


def fig_fraction(results, outdir):
    plt, fig, axes, panels = _figure(results)
    for ax, r, p, xs in panels:
        for i, o in enumerate(p.opts):
            ax.plot(xs, r["frac"][i], "o-", color=COLORS.get(o), label=o, ms=4)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("log10(1 / init_scale)")
        ax.set_ylabel("fraction of seeds that escaped")
        ax.set_title(p.name, fontsize=9)
        ax.legend(fontsize=6)
    return _save(plt, fig, axes[len(results):], outdir, "saddle_fraction.png")


# ---------------------------------------------------------------- the section

def analyze(path, outdir):
    res = C.load(path, CLAIM)
    crit = C.criterion(CLAIM)
    os.makedirs(outdir, exist_ok=True)
    if res.n_done + res.n_diverged == 0:
        raise C.ClaimError(f"{path}: no finished run yet ({res.n_pending} pending, {res.n_failed} failed)")
    for need in ("optimizer", "init_scale", "seed", "hit_loss_step", "act", "d_in", "width"):
        if need not in res.runs:
            raise C.ClaimError(f"{path}: no /runs/{need}; not a saddle-claim sweep")
    results = [analyze_problem(p, crit) for p in problems_of(res)]
    verdict, why = overall_verdict(results)
    figs = [os.path.basename(fig_escape(results, outdir)), os.path.basename(fig_fraction(results, outdir))]

    parts, stat_parts = [], []
    for r in results:
        st = r["stats"]
        if "pgd" not in st or "rho" not in st.get("pgd", {}):
            parts.append(f"{r['name']}: {r['verdict']} ({r['why']})")
            continue
        g, q = st["gd"], st["pgd"]
        c_min = r["problem"].scales[r["kmin"]]
        parts.append(f"{r['name']}: {r['verdict']} -- GD's median escape time grows by b_GD = {_ci(g['b'])} "
                     f"steps per e-fold of 1/c, PGD's by {_ci(q['b'])} (rho = {_ci(q['rho'])}); at c = "
                     f"{c_min:g} GD/PGD = R = {_ci(q['R'])}; PGD's lowest escape fraction in a cell "
                     f"{q['min_frac']:.0%}, GD's at c = {c_min:g} {r['frac'][r['problem'].opts.index('gd'), r['kmin']]:.0%} "
                     f"({r['why']})")
        stat_parts.append(f"{r['name']} R = {_ci(q['R'], '{:.3g}')}, rho = {_ci(q['rho'], '{:.2g}')}")
    statement = f"Overall {verdict} ({why}). " + "; ".join(parts) + "."
    # theory and the other optimizers (reported, not decisive)
    theory = []
    for r in results:
        if "kappa_discrete" in r:
            theory.append(f"{r['name']}: s = {r['s']:.4g}, kappa_discrete = {_ci(r['kappa_discrete'], '{:.3f}')}, "
                          f"kappa_saxe = {_ci(r['kappa_saxe'], '{:.3f}')}")
    if theory:
        statement += (" Theory check (reported, not decisive): b_GD against the linearisation at the saddle, "
                      "kappa = b_GD * 2 ln(1 + lr s) (1 predicted) and Saxe's continuous time b_GD * 2 lr s: "
                      + "; ".join(theory) + ".")
    others = []
    for o in ("langevin", "sgd"):
        for r in results:
            st = r["stats"].get(o)
            if st and "rho" in st:
                others.append(f"{o} {r['name']}: rho = {_ci(st['rho'], '{:.2g}')}, R = {_ci(st['R'])}, "
                              f"escapes in >= {st['min_frac']:.0%}")
    if others:
        statement += (" Other optimizers against GD (reported, not decisive; predicted: langevin like PGD, "
                      "sgd like GD because its noise vanishes at the saddle): " + "; ".join(others) + ".")
    unfinished = res.unfinished_note()
    if unfinished:
        statement += " " + unfinished[0].upper() + unfinished[1:] + "."

    seeds = sorted({len(r["problem"].seeds) for r in results})
    budgets = sorted({int(b) for r in results for b in r["problem"].budget.ravel() if np.isfinite(b)})
    budget = ", ".join(f"{b} steps" for b in budgets) + " (runs stop at train loss < target_loss)"
    cond = res.run_lines(seeds) + [f"budget {budget}; escape time = hit_loss_step (train loss below "
                                   f"target_loss, evaluated every step)"]
    for r in results:
        p = r["problem"]
        s = p.settings
        cond.append(f"{p.name}: {p.n_params()} parameters, lr {s.get('lr')}, target_loss {s.get('target_loss')}, "
                    f"loss at the saddle L0 = {_fmt(r['loss0'], '{:.4g}')}, lambda_min there -s = "
                    f"{_fmt(-r['s'], '{:.4g}')}; init scales {', '.join(f'{c:g}' for c in p.scales)}; "
                    f"optimizers {', '.join(p.opts)}; verdict {r['verdict']}: {r['why']}")
    cond.append("intervals: 95% percentile bootstrap over seeds (2000 resamples, seed indices resampled jointly "
                "over all cells of a problem; order statistics, so a censored (infinite) median is a value)")

    det = ["Per cell: finished / escaped / diverged seeds, the escape fraction, the median escape step "
           "with its 95% CI (inf: half or more censored), the GD theory (Saxe's logistic with u0 = c (1 + h/d)/2; "
           "rate ln(1 + lr s) per step, and lr s as in Saxe's continuous time) and the median number of "
           "perturbations (pgd).", "",
           "| problem | optimizer | init_scale | fin/esc/div | escaped | median [95% CI] | theory ln(1+lr s) | "
           "Saxe | n_perturb |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        p = r["problem"]
        lo, hi = r["median_ci"]
        for i, o in enumerate(p.opts):
            for k, c in enumerate(p.scales):
                pd_ = r.get("pred_gd_disc", np.full(len(p.scales), np.nan))[k] if o == "gd" else \
                    (r.get("pred_pgd_disc", np.nan) if (o == "pgd" and r["near"][k]) else np.nan)
                ps = r.get("pred_gd_saxe", np.full(len(p.scales), np.nan))[k] if o == "gd" else np.nan
                with _quiet():
                    npt = np.nanmedian(p.n_perturb[:, i, k]) if o == "pgd" else np.nan
                det.append(f"| {p.name} | {o} | {c:g} | {r['finished'][i, k]}/{r['escaped'][i, k]}/"
                           f"{r['diverged'][i, k]} | {_fmt(r['frac'][i, k], '{:.0%}')} | "
                           f"{_ci((r['median'][i, k], lo[i, k], hi[i, k]), '{:.0f}')} | {_fmt(pd_, '{:.0f}')} | "
                           f"{_fmt(ps, '{:.0f}')} | {_fmt(npt, '{:.0f}')} |")
    det += ["", "Per problem and noisy optimizer X against GD: b_X (slope of the median escape step against "
            "ln(1/c), near-saddle cells), rho = b_X / b_GD, R = median_GD / median_X at the smallest init scale, "
            "the lowest escape fraction of X.", "",
            "| problem | X | b_X | b_GD | rho | R | lowest escape fraction |", "|---|---|---|---|---|---|---|"]
    for r in results:
        for o in NOISY:
            st = r["stats"].get(o)
            if not st or "rho" not in st:
                continue
            det.append(f"| {r['name']} | {o} | {_ci(st['b'])} | {_ci(r['stats']['gd']['b'])} | {_ci(st['rho'])} | "
                       f"{_ci(st['R'])} | {st['min_frac']:.0%} |")
    for r in results:      # drop the bootstrap arrays (large) from what callers keep
        for st in r["stats"].values():
            st.pop("_bb", None)
    sec = C.Section(claim=CLAIM, title=TITLE, verdict=verdict, statement=statement,
                    criterion_text=crit["_text"], conditions=cond, figures=figs, details="\n".join(det),
                    statistic="; ".join(stat_parts), criterion_sha256=crit["_sha256"],
                    criterion_path=crit.get("_path", ""), seeds=", ".join(map(str, seeds)),
                    wall=f"{res.wall_seconds():.0f} s", budget=budget, source=os.path.basename(path))
    sec.results = results
    return sec


if __name__ == "__main__":
    sys.exit(C.main_cli(CLAIM, analyze))
