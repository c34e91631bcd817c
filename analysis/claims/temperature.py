"""temperature.py -- claim 2: SGD is a diffusion whose temperature is lr/batch.

    /usr/bin/python3 analysis/claims/temperature.py RESULT.h5 [-o OUTDIR]

Reads a result of jobs/claims/temperature-{small,full}.yaml (spec name
claim-temperature-*), applies the pre-registered criterion
jobs/claims/temperature.criterion.yaml and writes OUTDIR/temperature.md with
its figures (temperature_*.png). Definitions and the linear-regression theory:
docs/CLAIMS.md, Claim 2.

Per task (linear baseline, mse network, ce network) and cell (T = lr/B, B):
seeds are paired (same data in every cell), so every interval is a bootstrap
that resamples seed indices jointly over all cells of a task.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

CLAIM = "temperature"
TITLE = "Claim 2: SGD temperature lr/B"
METRICS = [  # (name, label): reported per temperature; the first is the primary
    ("tail_loss_mean", "stationary train loss"),
    ("test_loss", "test loss"),
    ("grad_norm", "|grad L| (train set)"),
    ("sharpness", "lambda_max"),
    ("noise_scale", "B_noise"),
]


# ---------------------------------------------------------------- theory

def linear_excess_first_order(temperature, sigma, lam):
    """First-order SDE stationary excess loss of online SGD on
    L = 1/2 E (x.theta - y)^2, x ~ N(0, diag(lam)), noise sigma:
    lr sigma^2 tr(Lambda) / (4 B) = T sigma^2 sum(lam) / 4."""
    return temperature * sigma ** 2 * float(np.sum(lam)) / 4.0


def linear_excess_exact(lr, batch, sigma, lam):
    """Exact stationary excess loss of the same SGD (Gaussian x, fresh batches
    of B, constant lr): sigma^2 A / (2 (1 - A)) with
    A = (lr/B) sum_j lam_j / (2 - lr lam_j (1 + 1/B)); inf where unstable."""
    lam = np.asarray(lam, dtype=float)
    den = 2.0 - lr * lam * (1.0 + 1.0 / batch)
    if np.any(den <= 0):
        return math.inf
    a = (lr / batch) * float(np.sum(lam / den))
    if a >= 1:
        return math.inf
    return sigma ** 2 * a / (2.0 * (1.0 - a))


def linear_lambdas(d, cov_decay):
    """Our generator's input covariance: lambda_j = j^-cov_decay, j = 1..d (docs/DATA.md)."""
    return np.arange(1, d + 1, dtype=float) ** (-float(cov_decay))


# ---------------------------------------------------------------- statistics

def _ols_slope(y, X):
    """Least squares y[..., C] ~ X[C, p] -> coefficients [..., p] (vectorised over resamples)."""
    return np.asarray(y) @ np.linalg.pinv(X).T


def _dummies(idx):
    u = np.unique(idx)
    return (np.asarray(idx)[:, None] == u[None, :]).astype(float)


def rho_design(t_idx, b_idx, log2t, log2b):
    """Design matrices for c (slope in log2 B, free mean per T) and b (slope in
    log2 T, free mean per B). Returns (Xc, Xb); the slope is the last column."""
    Xc = np.column_stack([_dummies(t_idx), log2b])
    Xb = np.column_stack([_dummies(b_idx), log2t])
    return Xc, Xb


def rho_stats(y, t_idx, b_idx, log2t, log2b):
    """y [..., C]: log cell values. -> (c, b, rho) arrays over the leading dims."""
    Xc, Xb = rho_design(t_idx, b_idx, log2t, log2b)
    c = _ols_slope(y, Xc)[..., -1]
    b = _ols_slope(y, Xb)[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return c, b, c / b


def r2(y, X):
    """R^2 of y [..., C] ~ [1, X] (X [C, p])."""
    X1 = np.column_stack([np.ones(X.shape[0]), X])
    coef = _ols_slope(y, X1)
    res = y - coef @ X1.T
    tot = y - np.mean(y, axis=-1, keepdims=True)
    sst = np.sum(tot ** 2, axis=-1)
    scale = np.sum(y ** 2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - np.sum(res ** 2, axis=-1) / sst
        # a metric that does not vary across cells (e.g. lambda_max of a fixed linear
        # problem) has no variance to explain
        return np.where(sst > 1e-20 * np.maximum(scale, 1e-300), out, np.nan)


def cell_log_means(samples, offset=0.0):
    """samples [..., S, C] -> log(mean over seeds - offset) [..., C]; NaN where <= 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.nanmean(samples, axis=-2) - offset
        return np.where(m > 0, np.log(np.where(m > 0, m, 1.0)), np.nan)


def boot_cells(samples, fn, n_boot=2000, seed=0, level=0.95):
    """Vectorised percentile bootstrap over seeds (axis 0 of samples [S, C]), the
    same resampling as common.bootstrap. fn(samples [..., S, C]) -> array [..., K].
    -> (est [K], lo [K], hi [K])."""
    x = np.asarray(samples, dtype=float)
    est = np.asarray(fn(x), dtype=float)
    idx = C.bootstrap_indices(x.shape[0], n_boot=n_boot, seed=seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = np.asarray(fn(x[idx]), dtype=float)       # [n_boot, K]
    a = (1 - level) / 2
    lo = np.full(est.shape, np.nan)
    hi = np.full(est.shape, np.nan)
    vals = vals.reshape(n_boot, -1)
    for k in range(vals.shape[1]):
        v = vals[:, k][np.isfinite(vals[:, k])]
        if v.size >= n_boot / 2:
            lo.flat[k], hi.flat[k] = np.quantile(v, [a, 1 - a])
    return est, lo, hi


def classify_rho(lo, hi, b_lo, b_hi, tol):
    """Verdict of one task from the CIs of rho and b (criterion: rho)."""
    if not (np.isfinite(b_lo) and np.isfinite(b_hi)) or (b_lo <= 0 <= b_hi):
        return C.INCONCLUSIVE, "the temperature effect b is not resolved (its 95% CI includes 0)"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return C.INCONCLUSIVE, "rho's interval is undefined"
    if -tol <= lo and hi <= tol:
        return C.SUPPORTED, f"rho's 95% CI lies inside [-{tol:g}, {tol:g}]"
    if lo > tol or hi < -tol:
        return C.NOT_SUPPORTED, f"rho's 95% CI lies wholly outside [-{tol:g}, {tol:g}]"
    return C.INCONCLUSIVE, f"rho's 95% CI straddles the tolerance +-{tol:g}"


# ---------------------------------------------------------------- data

def _v(runs, name):
    return runs[name].values if name in runs else None


def task_name(data, loss):
    if data == "linear":
        return "linear"
    return {"mse": "mse", "ce": "ce"}.get(loss, f"{data}-{loss}")


class Task:
    """One problem's runs as [seed x cell] arrays (NaN: no result / diverged)."""

    def __init__(self, name, runs, sel):
        self.name = name
        r = {k: runs[k].values[sel] for k in runs.data_vars if runs[k].dims == ("run",)}
        self.settings = {k: r[k][0] for k in ("data", "loss", "d_in", "cov_decay", "target_noise",
                                               "label_noise", "weight_decay", "width", "depth",
                                               "n_train", "sde_time", "tail", "classes") if k in r}
        T, B, seed = r["temperature"].astype(float), r["batch"].astype(int), r["seed"].astype(int)
        self.temps, self.batches, self.seeds = np.unique(T), np.unique(B), np.unique(seed)
        cells = sorted(set(zip(T.tolist(), B.tolist())))
        self.cells = cells
        self.T = np.array([c[0] for c in cells])
        self.B = np.array([c[1] for c in cells])
        self.lr = self.T * self.B
        self.t_idx = np.searchsorted(self.temps, self.T)
        self.b_idx = np.searchsorted(self.batches, self.B)
        S, NC = len(self.seeds), len(cells)
        ci = {c: i for i, c in enumerate(cells)}
        si = {s: i for i, s in enumerate(self.seeds)}
        rows = np.array([si[s] for s in seed])
        cols = np.array([ci[(t, b)] for t, b in zip(T.tolist(), B.tolist())])
        status = r["status"].astype(int)
        self.status = np.zeros((S, NC), dtype=int)
        self.status[rows, cols] = status
        self.arr = {}
        done = status == 1
        names = [m for m, _ in METRICS] + ["tail_loss_tau", "tail_points", "steps_done", "lr",
                                           "noise_trace", "noise_sgd"]
        for m in names:
            if m not in r:
                continue
            a = np.full((S, NC), np.nan)
            v = r[m].astype(float)
            a[rows[done], cols[done]] = v[done]
            self.arr[m] = a
        # floor subtracted from the primary metric: sigma^2/2 for the linear baseline
        self.floor = 0.0
        if name == "linear":
            self.floor = 0.5 * float(self.settings.get("target_noise", 0.0)) ** 2
        # diagnostic floor (not in the criterion): the regression network's noise floor
        # sigma^2/2 (loss 1/2 (f - y)^2, docs/TRAINING.md), to look at its excess loss too
        self.diag_floor = self.floor
        if name == "mse":
            self.diag_floor = 0.5 * float(self.settings.get("target_noise", 0.0)) ** 2
        # drift over the tail from the learning curve, per run: the criterion's D is in
        # the units of y, so log train loss for the networks and log EXCESS loss for the
        # linear task (log of the mean excess over the last third minus over the first
        # third: single evaluations of the excess can fall below the floor). drift_excess:
        # the same on the excess over diag_floor (a diagnostic for the mse network).
        d = np.full((S, NC), np.nan)
        dx = np.full((S, NC), np.nan)
        cs, cl = runs["curve_step"].values[sel], runs["curve_train_loss"].values[sel]
        tail = float(self.settings.get("tail", 0.5))

        def log_excess_drift(v, fl):
            third = v.size // 3
            a, b = v[:third].mean() - fl, v[-third:].mean() - fl
            return math.log(b / a) if a > 0 and b > 0 else np.nan
        for k in np.nonzero(done)[0]:
            steps = r["steps_done"][k]
            span = math.floor(tail * steps)
            m = (cs[k] >= steps - span) & np.isfinite(cl[k]) & (cl[k] > 0)
            if m.sum() < 6:
                continue
            v = cl[k][m]
            if self.floor > 0:
                d[rows[k], cols[k]] = log_excess_drift(v, self.floor)
            else:
                pts = np.log(v)
                third = pts.size // 3
                d[rows[k], cols[k]] = pts[-third:].mean() - pts[:third].mean()
            if self.diag_floor > 0:
                dx[rows[k], cols[k]] = log_excess_drift(v, self.diag_floor)
        self.arr["drift"] = d
        self.arr["drift_excess"] = dx
        span = np.floor(tail * self.arr["steps_done"])
        with np.errstate(invalid="ignore", divide="ignore"):
            self.arr["tau_frac"] = self.arr["tail_loss_tau"] / span
        self.n_done = (self.status == 1).sum(axis=0)
        self.n_div = (self.status == 2).sum(axis=0)

    def primary(self):
        return self.arr["tail_loss_mean"]

    def lr_lambda(self):
        with np.errstate(invalid="ignore"):
            return np.nanmedian(self.lr[None, :] * self.arr["sharpness"], axis=0) \
                if np.any(np.isfinite(self.arr["sharpness"])) else np.full(len(self.cells), np.nan)

    def b_noise_ratio(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.B / np.nanmedian(self.arr["noise_scale"], axis=0)


def tasks_of(res):
    runs = res.runs
    data = runs["data"].values.astype(str)
    loss = runs["loss"].values.astype(str)
    names = np.array([task_name(d, l) for d, l in zip(data, loss)])
    order = [n for n in ("linear", "mse", "ce") if n in names] + \
        sorted(set(names) - {"linear", "mse", "ce"})
    return [Task(n, runs, names == n) for n in order]


# ---------------------------------------------------------------- analysis of one task

def analyze_task(t, crit):
    """Everything the report says about one task -> dict."""
    out = {"task": t, "name": t.name}
    reg = crit.get("regime", {})
    suff = crit.get("sufficiency", {})
    stat = crit.get("stationarity", {})
    tol = float(crit.get("rho", {}).get("tolerance", 0.2))
    dev_thr = float(crit.get("breakdown", {}).get("deviation", 0.1))
    with np.errstate(invalid="ignore"):
        lrl = t.lr_lambda()
    out["lr_lambda"] = lrl
    out["b_noise_ratio"] = t.b_noise_ratio()
    # the criterion: every seed finished (status done: none pending, failed or diverged)
    regime = (t.n_done == len(t.seeds)) & np.all(t.status == 1, axis=0) & np.isfinite(lrl) & \
        (lrl <= float(reg.get("max_lr_lambda", 0.5)))
    out["regime"] = regime
    y_all = t.primary()
    reasons = []
    min_seeds = int(suff.get("min_seeds", 5))
    # small-lr cells (by the median over the seeds that have a sharpness) that miss the
    # regime because a seed has no result or diverged; and the seed count
    small = np.isfinite(lrl) & (lrl <= float(reg.get("max_lr_lambda", 0.5)))
    unfinished = small & ~regime
    out["unfinished_small"] = int(unfinished.sum())
    if unfinished.any():
        reasons_note = (f"{int(unfinished.sum())} small-lr cells are outside the regime because not every "
                        f"seed finished there (pending, failed or diverged)")
        out["unfinished_note"] = reasons_note
    few = small & (t.n_done < min_seeds)
    out["min_seeds_regime"] = int(t.n_done[regime].min()) if regime.any() else 0
    if few.any() or len(t.seeds) < min_seeds:
        reasons.append(f"{max(int(few.sum()), int(small.sum()) if len(t.seeds) < min_seeds else 0)} small-lr "
                       f"cells have fewer than {min_seeds} finished seeds "
                       f"(least: {int(t.n_done[small].min()) if small.any() else 0})")
    cells = np.nonzero(regime)[0]
    out["cells"] = cells
    temps_multi = [ti for ti in np.unique(t.t_idx[cells]) if np.sum(t.t_idx[cells] == ti) >= 2]
    if len(cells) < int(suff.get("min_cells", 6)):
        reasons.append(f"only {len(cells)} cells in the small-lr regime (need {suff.get('min_cells', 6)})"
                       + (f": {out['unfinished_note']}" if "unfinished_note" in out else ""))
    if len(temps_multi) < int(suff.get("min_temperatures", 2)):
        reasons.append(f"only {len(temps_multi)} temperatures with >= 2 batch sizes in the regime")
    out["rho"] = out["c"] = out["b"] = (np.nan, np.nan, np.nan)
    out["r2"] = {}
    out["metric_rho"] = {}
    ok_design = len(cells) >= 3 and len(np.unique(t.t_idx[cells])) >= 2 and \
        len(np.unique(t.b_idx[cells])) >= 2
    if ok_design:
        ti, bi = t.t_idx[cells], t.b_idx[cells]
        l2t, l2b = np.log2(t.T[cells]), np.log2(t.B[cells])
        lt, llr, lb = np.log(t.T[cells]), np.log(t.lr[cells]), np.log(t.B[cells])

        def per_metric(samples, floor):
            def fn(x):
                y = cell_log_means(x, floor)
                c, b, rho = rho_stats(y, ti, bi, l2t, l2b)
                r2t = r2(y, lt[:, None])
                r2lb = r2(y, np.column_stack([llr, lb]))
                return np.stack([rho, c, b, r2t, r2lb, r2lb - r2t], axis=-1)
            return boot_cells(samples[:, cells], fn)

        for m, _ in METRICS:
            if m not in t.arr or not np.any(np.isfinite(t.arr[m][:, cells])):
                continue
            floor = t.floor if m == "tail_loss_mean" else 0.0
            est, lo, hi = per_metric(t.arr[m], floor)
            out["metric_rho"][m] = (est, lo, hi)
        if "tail_loss_mean" in out["metric_rho"]:
            est, lo, hi = out["metric_rho"]["tail_loss_mean"]
            out["rho"] = (est[0], lo[0], hi[0])
            out["c"] = (est[1], lo[1], hi[1])
            out["b"] = (est[2], lo[2], hi[2])
            out["r2"] = {"T": (est[3], lo[3], hi[3]), "lrB": (est[4], lo[4], hi[4]),
                         "diff": (est[5], lo[5], hi[5])}
        if t.diag_floor != t.floor and "tail_loss_mean" in t.arr:
            # diagnostic (not in the criterion): rho on the excess over the noise floor
            est, lo, hi = per_metric(t.arr["tail_loss_mean"], t.diag_floor)
            out["rho_excess"] = (est[0], lo[0], hi[0])
    elif not reasons:
        reasons.append("the regime's cells do not span 2 temperatures and 2 batch sizes")
    # stationarity
    tau_frac = np.nanmedian(t.arr["tau_frac"], axis=0) if np.any(np.isfinite(t.arr["tau_frac"])) \
        else np.full(len(t.cells), np.nan)
    drift = t.arr["drift"]
    with np.errstate(invalid="ignore", divide="ignore"):
        nd = np.sum(np.isfinite(drift), axis=0)
        dmean = np.nanmean(drift, axis=0)
        dse = np.nanstd(drift, axis=0, ddof=1) / np.sqrt(nd)
    bmag = abs(out["b"][0]) if np.isfinite(out["b"][0]) else 0.0
    # an undefined drift or s.e. (fewer than 2 seeds with a drift) cannot show
    # stationarity: the cell fails (NaN comparisons are False)
    tol_drift = np.maximum(float(stat.get("max_drift_fraction", 0.25)) * bmag, 2 * dse)
    stat_ok = (tau_frac <= float(stat.get("max_tau_fraction", 0.1))) & (np.abs(dmean) <= tol_drift) & \
        np.isfinite(dse) & np.isfinite(dmean)
    out["drift_tol_b"] = float(stat.get("max_drift_fraction", 0.25)) * bmag
    out["tau_frac"], out["drift"], out["drift_se"], out["stationary"] = tau_frac, dmean, dse, stat_ok
    frac_stat = float(np.mean(stat_ok[cells])) if len(cells) else 0.0
    out["frac_stationary"] = frac_stat
    if len(cells) and frac_stat < float(stat.get("min_fraction_cells", 0.75)):
        reasons.append(f"not stationary: only {np.sum(stat_ok[cells])} of {len(cells)} regime cells "
                       f"pass (median tau/span <= {stat.get('max_tau_fraction', 0.1)}, drift)")
    # verdict of this task
    if reasons:
        out["verdict"], out["why"] = C.INCONCLUSIVE, "; ".join(reasons)
    else:
        _, lo, hi = out["rho"]
        out["verdict"], out["why"] = classify_rho(lo, hi, out["b"][1], out["b"][2], tol)
    # where the collapse breaks: deviation from the smallest batch at each T
    ref = np.array([np.nonzero((t.t_idx == t.t_idx[k]))[0][np.argmin(t.B[t.t_idx == t.t_idx[k]])]
                    for k in range(len(t.cells))])

    def dev_fn(x):
        y = cell_log_means(x, t.floor)
        return y - y[..., ref]
    if np.any(np.isfinite(y_all)):
        est, lo, hi = boot_cells(y_all, dev_fn)
    else:
        est = lo = hi = np.full(len(t.cells), np.nan)
    out["dev"] = (est, lo, hi)
    brk = np.isfinite(est) & (np.abs(est) > dev_thr) & ((lo > 0) | (hi < 0))
    out["breaks"] = brk
    out["break_lr_lambda"] = float(np.nanmin(lrl[brk])) if brk.any() and np.any(np.isfinite(lrl[brk])) \
        else np.nan
    out["break_bnoise"] = float(np.nanmin(out["b_noise_ratio"][brk])) if brk.any() else np.nan
    # diagnostic (not in the criterion): the same deviations on the excess over the
    # noise floor (mse network: sigma^2/2), where a batch effect is not diluted by the floor
    if t.diag_floor != t.floor and np.any(np.isfinite(y_all)):
        def dev_x(x):
            y = cell_log_means(x, t.diag_floor)
            return y - y[..., ref]
        ex, exlo, exhi = boot_cells(y_all, dev_x)
        out["dev_excess"] = (ex, exlo, exhi)
        bx = np.isfinite(ex) & (np.abs(ex) > dev_thr) & ((exlo > 0) | (exhi < 0))
        out["breaks_excess"] = bx
        out["break_excess_lr_lambda"] = float(np.nanmin(lrl[bx])) if bx.any() else np.nan
        out["break_excess_regime"] = int(np.sum(bx & regime))
        with np.errstate(invalid="ignore"):
            out["excess_mean"] = np.nanmean(y_all, axis=0) - t.diag_floor
    # stationarity diagnostics (disclosed beside the verdict): sign and size of the drift
    # over the regime's cells, the drift pooled over them (paired bootstrap over seeds),
    # and the excess loss's fall over the tail at the lowest temperature
    if len(cells):
        dc = drift[:, cells]
        out["drift_neg"] = (int(np.sum(dmean[cells] < 0)), int(np.sum(np.isfinite(dmean[cells]))))
        out["drift_regime_mean"] = float(np.nanmean(dmean[cells]))
        out["drift_pooled"] = tuple(float(v[0]) for v in boot_cells(
            dc, lambda x: np.nanmean(np.nanmean(x, axis=-2), axis=-1)[..., None]))
        if t.diag_floor > 0:
            low = cells[t.T[cells] == t.T[cells].min()]
            with np.errstate(invalid="ignore"):
                out["excess_drift_lowT"] = (float(t.T[cells].min()),
                                            float(np.nanmean(np.nanmean(t.arr["drift_excess"][:, low], axis=0))))
    # largest regime cell
    out["regime_max_lr_lambda"] = float(np.nanmax(lrl[cells])) if len(cells) else np.nan
    # linear-regression theory
    if t.name == "linear":
        lam = linear_lambdas(int(t.settings["d_in"]), float(t.settings["cov_decay"]))
        sig = float(t.settings["target_noise"])
        out["lam"] = lam
        out["pred1"] = np.array([linear_excess_first_order(T, sig, lam) for T in t.T])
        out["predx"] = np.array([linear_excess_exact(lr, B, sig, lam) for lr, B in zip(t.lr, t.B)])

        def ex_fn(x):
            with np.errstate(invalid="ignore"):
                return np.nanmean(x, axis=-2) - t.floor
        out["excess"] = boot_cells(y_all, ex_fn)
        # diagnostic (not in the criterion): the floor sigma^2/2 is known only up to the
        # train set's own noise, an offset common to every cell of a seed; fitted as one
        # constant over the regime's cells, and the exact theory's CI coverage per cell
        e, lo, hi = out["excess"]
        fin = regime & np.isfinite(e) & np.isfinite(out["predx"])
        out["in_ci_exact"] = (int(np.sum(fin & (lo <= out["predx"]) & (out["predx"] <= hi))), int(fin.sum()))
        out["in_ci_first"] = (int(np.sum(fin & (lo <= out["pred1"]) & (out["pred1"] <= hi))), int(fin.sum()))

        def off_fn(x):
            with np.errstate(invalid="ignore"):
                ex = np.nanmean(x, axis=-2) - t.floor
            return np.nanmean((ex - out["predx"])[..., fin], axis=-1)[..., None]
        oe, olo, ohi = boot_cells(y_all, off_fn)
        out["offset"] = (oe[0], olo[0], ohi[0])
        out["offset_sd_expected"] = 0.5 * float(t.settings.get("target_noise", 0)) ** 2 * \
            math.sqrt(2.0 / float(t.settings.get("n_train", 1))) / math.sqrt(max(1, len(t.seeds)))
        with np.errstate(invalid="ignore", divide="ignore"):
            q = (e - oe[0]) / out["predx"]
        out["ratio_exact_offset"] = (float(np.nanmin(q[fin])), float(np.nanmax(q[fin]))) if fin.any() \
            else (np.nan, np.nan)
    return out


# ---------------------------------------------------------------- figures

def _colors(n):
    plt = C.setup_matplotlib()
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(1, n - 1)) for i in range(n)]


def _log_axes(a, x=True, y=False):
    """Log scales only where the axis holds positive data (partial files, all-NaN cells)."""
    a.relim()
    lim = a.dataLim
    if not a.has_data() or not np.all(np.isfinite([lim.x0, lim.x1, lim.y0, lim.y1])):
        return
    if x and lim.x1 > 0 and lim.x0 > 0:
        from matplotlib.ticker import NullFormatter
        a.set_xscale("log")
        a.xaxis.set_minor_formatter(NullFormatter())
    if y and lim.y1 > 0 and lim.y0 > 0:
        a.set_yscale("log")


def _cell_means(t, m, floor=0.0):
    a = t.arr[m]
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(a, axis=0) - floor
        n = np.sum(np.isfinite(a), axis=0)
        se = np.nanstd(a, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1))
    return mean, se


def fig_collapse(results, outdir):
    plt = C.setup_matplotlib()
    n = len(results)
    fig, ax = plt.subplots(n, 2, figsize=(10, 3.2 * n), squeeze=False)
    for row, r in enumerate(results):
        t = r["task"]
        mean, se = _cell_means(t, "tail_loss_mean", t.floor)
        cols = _colors(len(t.batches))
        for j, B in enumerate(t.batches):
            k = np.nonzero(t.B == B)[0]
            k = k[np.argsort(t.T[k])]
            for col, x in ((0, t.T[k]), (1, t.lr[k])):
                a = ax[row, col]
                a.errorbar(x, mean[k], yerr=se[k], color=cols[j], marker="o", ms=4, lw=1,
                           capsize=2, label=f"B={B}")
                hollow = k[~r["regime"][k]]
                xh = t.T[hollow] if col == 0 else t.lr[hollow]
                a.plot(xh, mean[hollow], "o", ms=8, mfc="none", mec="red", lw=0)
        ylab = "stationary excess loss" if t.name == "linear" else "stationary train loss"
        for col, xl in ((0, "temperature T = lr/B"), (1, "learning rate lr")):
            a = ax[row, col]
            _log_axes(a, True, t.name == "linear")
            a.set_xlabel(xl)
            a.set_ylabel(ylab)
            a.set_title(f"{t.name}: " + ("collapse (vs T)" if col == 0 else "contrast (vs lr)"))
        if t.name == "linear":
            ax[row, 0].plot(t.temps, [linear_excess_first_order(T, float(t.settings["target_noise"]),
                                                                r["lam"]) for T in t.temps],
                            "k--", lw=1, label="first order")
        ax[row, 1].legend(fontsize=7, ncol=2)
    fig.suptitle("mean over seeds +- s.e. over seeds (mostly the seed's data, common to all its cells: "
                 "differences between cells are resolved far better);\nred rings: outside the small-lr "
                 "regime (lr*lambda_max > threshold, or a seed diverged)", fontsize=9)
    fig.tight_layout()
    p = os.path.join(outdir, "temperature_collapse.png")
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p


def fig_metrics(results, outdir):
    plt = C.setup_matplotlib()
    nets = [r for r in results if r["name"] != "linear"] or results
    ms = METRICS[1:]
    fig, ax = plt.subplots(len(nets), len(ms), figsize=(3.3 * len(ms), 3 * len(nets)), squeeze=False)
    for row, r in enumerate(nets):
        t = r["task"]
        cols = _colors(len(t.batches))
        for c, (m, lab) in enumerate(ms):
            a = ax[row, c]
            if m not in t.arr:
                continue
            mean, se = _cell_means(t, m)
            for j, B in enumerate(t.batches):
                k = np.nonzero(t.B == B)[0]
                k = k[np.argsort(t.T[k])]
                a.errorbar(t.T[k], mean[k], yerr=se[k], color=cols[j], marker="o", ms=3, lw=1,
                           capsize=2, label=f"B={B}")
            _log_axes(a, True, m in ("noise_scale", "grad_norm"))
            a.set_xlabel("T = lr/B")
            a.set_title(f"{t.name}: {lab}", fontsize=9)
        ax[row, 0].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    p = os.path.join(outdir, "temperature_metrics.png")
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p


def fig_breakdown(results, outdir):
    plt = C.setup_matplotlib()
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    mk = {"linear": "s", "mse": "o", "ce": "^"}
    for r in results:
        t = r["task"]
        est, lo, hi = r["dev"]
        for a, x in ((ax[0], r["lr_lambda"]), (ax[1], r["b_noise_ratio"])):
            ok = np.isfinite(est) & np.isfinite(x) & (t.B != t.B.min())
            a.errorbar(x[ok], est[ok], yerr=[est[ok] - lo[ok], hi[ok] - est[ok]], fmt=mk.get(t.name, "o"),
                       ms=4, capsize=2, lw=0.8,
                       label=t.name + (" (excess)" if t.name == "linear" else " (total loss)"))
            if "dev_excess" in r:
                ex, exlo, exhi = r["dev_excess"]
                okx = np.isfinite(ex) & np.isfinite(x) & (t.B != t.B.min())
                a.errorbar(x[okx], ex[okx], yerr=[ex[okx] - exlo[okx], exhi[okx] - ex[okx]], fmt="D",
                           mfc="none", ms=4, capsize=2, lw=0.8, label=f"{t.name} (excess over "
                           f"{t.diag_floor:g}, diagnostic)")
    for a, xl in ((ax[0], "lr * lambda_max (median over seeds)"), (ax[1], "B / B_noise")):
        _log_axes(a, True, False)
        a.axhline(0, color="k", lw=0.8)
        a.set_xlabel(xl)
        a.set_ylabel("log y(T,B) - log y(T, smallest B)")
        a.legend(fontsize=8)
    ax[0].set_title("where the collapse breaks (95% bootstrap CI)", fontsize=9)
    fig.tight_layout()
    p = os.path.join(outdir, "temperature_breakdown.png")
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p


def fig_linear(r, outdir):
    plt = C.setup_matplotlib()
    t = r["task"]
    est, lo, hi = r["excess"]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    x = r["lr_lambda"]
    ok = np.isfinite(est) & (est > 0)
    sc = ax[0].scatter(r["pred1"][ok], est[ok], c=np.log10(t.lr[ok]), cmap="viridis", s=18, zorder=3)
    ax[0].errorbar(r["pred1"][ok], est[ok], yerr=[est[ok] - lo[ok], hi[ok] - est[ok]], fmt="none",
                   ecolor="gray", lw=0.7)
    lim = [np.nanmin(r["pred1"]) * 0.7, np.nanmax(est[ok]) * 1.4] if ok.any() else [1e-3, 1]
    ax[0].plot(lim, lim, "k--", lw=1, label="measured = first order")
    _log_axes(ax[0], True, True)
    ax[0].set_xlabel("first-order prediction T sigma^2 tr(Lambda) / 4")
    ax[0].set_ylabel("measured excess loss (mean over seeds, 95% CI)")
    ax[0].legend(fontsize=8)
    fig.colorbar(sc, ax=ax[0], label="log10 lr")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = est / r["pred1"]
        rx = r["predx"] / r["pred1"]
    ax[1].errorbar(x[ok], ratio[ok], yerr=[(est[ok] - lo[ok]) / r["pred1"][ok],
                                           (hi[ok] - est[ok]) / r["pred1"][ok]],
                   fmt="o", ms=4, capsize=2, lw=0.8, label="measured / first order")
    fin = np.isfinite(rx)
    ax[1].plot(x[fin], rx[fin], "x", color="C3", label="exact SGD theory / first order")
    _log_axes(ax[1], True, False)
    ax[1].axhline(1, color="k", lw=0.8)
    ax[1].set_xlabel("lr * lambda_max (measured)")
    ax[1].set_ylabel("ratio")
    ax[1].legend(fontsize=8)
    ax[1].set_title("online linear regression: where first order stops holding", fontsize=9)
    fig.tight_layout()
    p = os.path.join(outdir, "temperature_linear.png")
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p


# ---------------------------------------------------------------- report

def _ci(v, f="{:.3g}"):
    e, lo, hi = v
    if not np.isfinite(e):
        return "n/a"
    return f"{f.format(e)} [{f.format(lo)}, {f.format(hi)}]"


def overall_verdict(results):
    nets = [r for r in results if r["name"] != "linear"]
    if not nets:
        return C.INCONCLUSIVE, "no network task in the file"
    vs = [r["verdict"] for r in nets]
    if any(v == C.NOT_SUPPORTED for v in vs):
        return C.NOT_SUPPORTED, "a network task is not supported"
    if all(v == C.SUPPORTED for v in vs):
        return C.SUPPORTED, "every network task is supported"
    return C.INCONCLUSIVE, "; ".join(f"{r['name']} {r['verdict']}" + (f": {r['why']}" if r["verdict"] ==
                                     C.INCONCLUSIVE else "") for r in nets)


def analyze(path, outdir):
    res = C.load(path, CLAIM)
    crit = C.criterion(CLAIM)
    os.makedirs(outdir, exist_ok=True)
    if res.n_done == 0:
        raise C.ClaimError(f"{path}: no finished run yet ({res.n_pending} pending, {res.n_failed} failed)")
    for need in ("temperature", "batch", "seed", "data", "loss", "tail_loss_mean", "sharpness"):
        if need not in res.runs:
            raise C.ClaimError(f"{path}: no /runs/{need}; not a temperature-claim sweep")
    tasks = tasks_of(res)
    results = [analyze_task(t, crit) for t in tasks]
    verdict, why = overall_verdict(results)
    tol = crit.get("rho", {}).get("tolerance", 0.2)
    figs = [fig_collapse(results, outdir), fig_metrics(results, outdir), fig_breakdown(results, outdir)]
    lin = [r for r in results if r["name"] == "linear"]
    if lin:
        figs.append(fig_linear(lin[0], outdir))
    figs = [os.path.basename(p) for p in figs]

    parts = []
    for r in results:
        rho = _ci(r["rho"], "{:.3f}")
        r2t = _ci(r["r2"].get("T", (np.nan,) * 3), "{:.3f}")
        r2l = _ci(r["r2"].get("lrB", (np.nan,) * 3), "{:.3f}")
        parts.append(f"{r['name']}: {r['verdict']} (rho = {rho}; R^2 lr/B alone {r2t}, lr and B "
                     f"separately {r2l}; {len(r['cells'])} cells with lr*lambda_max <= "
                     f"{crit.get('regime', {}).get('max_lr_lambda', 0.5)})")
    statement = (f"Overall {verdict} ({why}). Per task, on the stationary train loss in the small-lr "
                 f"regime, rho = (effect of doubling B at fixed T) / (effect of doubling T at fixed B), "
                 f"tolerance +-{tol}: " + "; ".join(parts) + ".")
    for r in results:
        if np.isfinite(r["break_lr_lambda"]):
            statement += (f" {r['name']} ({'excess' if r['name'] == 'linear' else 'total'} loss): the collapse first breaks (|deviation| > "
                          f"{crit.get('breakdown', {}).get('deviation', 0.1)} in log, resolved) at "
                          f"lr*lambda_max = {r['break_lr_lambda']:.2g}, B/B_noise = {r['break_bnoise']:.2g}")
        else:
            statement += (f" {r['name']} ({'excess' if r['name'] == 'linear' else 'total'} loss): no cell breaks "
                          f"the collapse resolvably")
        est, lo, hi = r["dev"]
        res_ = np.isfinite(est) & ((lo > 0) | (hi < 0))
        if res_.any():
            k = np.nanargmax(np.where(res_, np.abs(est), -1))
            statement += (f" (largest resolved deviation from the smallest batch at equal T: "
                          f"{est[k]:+.3f} in log, at T = {r['task'].T[k]:g}, B = {r['task'].B[k]}, "
                          f"lr*lambda_max = {r['lr_lambda'][k]:.2g})")
        statement += "."
    for r in results:
        if r["name"] == "linear" or "drift_neg" not in r:
            continue
        dp = r["drift_pooled"]
        statement += (f" {r['name']} stationarity (disclosed beside its verdict): {r['frac_stationary']:.0%} of "
                      f"the regime's cells pass the criterion's test; the drift over the tail is negative in "
                      f"{r['drift_neg'][0]} of {r['drift_neg'][1]} regime cells, mean {r['drift_regime_mean']:+.4f} "
                      f"log units against the tolerance 0.25|b| = {r['drift_tol_b']:.4f}; pooled over the "
                      f"regime's cells {_ci(dp, '{:+.4f}')}"
                      + (" (resolved: the loss is still falling)" if (dp[2] < 0 or dp[1] > 0) else "") + ".")
        if "excess_drift_lowT" in r:
            Tl, dx = r["excess_drift_lowT"]
            statement += (f" At the lowest temperature in the regime (T = {Tl:g}) its excess over the noise "
                          f"floor {r['task'].diag_floor:g} changes by {100 * (math.exp(dx) - 1):+.0f}% over the "
                          f"tail (last third against first third; diagnostic).")
    for r in results:
        if "dev_excess" not in r:
            continue
        t = r["task"]
        ex, exlo, exhi = r["dev_excess"]
        statement += (f" {r['name']}, on the excess over its noise floor {t.diag_floor:g} (target_noise^2/2; a "
                      f"diagnostic, not in the criterion): rho = {_ci(r.get('rho_excess', (np.nan,) * 3), '{:.3f}')}")
        okx = np.isfinite(ex) & (t.B != t.B.min())
        if okx.any():
            k = int(np.nanargmax(np.where(okx, np.abs(ex), -1)))
            Tk = t.T[k]
            row = [j for j in np.argsort(t.B) if t.T[j] == Tk]
            statement += (f"; deviations from the smallest batch at equal T reach {100 * (math.exp(ex[k]) - 1):+.0f}% "
                          f"(T = {Tk:g}, B = {t.B[k]}, lr*lambda_max = {r['lr_lambda'][k]:.2g}); at T = {Tk:g} the "
                          f"excess is " + ", ".join(f"{r['excess_mean'][j]:.4g} (B={t.B[j]}"
                                                    + ("" if r["regime"][j] else ", outside the regime") + ")"
                                                    for j in row))
        if np.isfinite(r["break_excess_lr_lambda"]):
            statement += (f"; resolved deviations above {crit.get('breakdown', {}).get('deviation', 0.1)} in log "
                          f"start at lr*lambda_max = {r['break_excess_lr_lambda']:.2g} "
                          f"({r['break_excess_regime']} such cells inside the regime)")
        statement += "."
    if lin:
        r = lin[0]
        est = r["excess"][0]
        reg = r["regime"]
        with np.errstate(invalid="ignore", divide="ignore"):
            q = est / r["pred1"]
            qx = est / r["predx"]
        if np.any(reg & np.isfinite(q)):
            statement += (f" Linear baseline: measured / first-order excess loss {np.nanmin(q[reg]):.2f} .. "
                          f"{np.nanmax(q[reg]):.2f} in the regime, {np.nanmin(q):.2f} .. {np.nanmax(q):.2f} over "
                          f"all finished cells; measured / exact-SGD theory {np.nanmin(qx):.2f} .. "
                          f"{np.nanmax(qx):.2f}; the exact theory lies inside the 95% CI in "
                          f"{r['in_ci_exact'][0]} of {r['in_ci_exact'][1]} regime cells, first order in "
                          f"{r['in_ci_first'][0]} of {r['in_ci_first'][1]}. Diagnostic (not in the "
                          f"criterion): a noise-floor offset common to all cells, fitted, is "
                          f"{_ci(r['offset'], '{:.2g}')} (expected spread from the train set's own noise "
                          f"+-{r['offset_sd_expected']:.1g}); after it, measured / exact = "
                          f"{r['ratio_exact_offset'][0]:.2f} .. {r['ratio_exact_offset'][1]:.2f}.")
    unfinished = res.unfinished_note()
    if unfinished:
        statement += " " + unfinished[0].upper() + unfinished[1:] + "."

    seeds = sorted({len(r["task"].seeds) for r in results})
    cond = res.run_lines(seeds)
    for r in results:
        t = r["task"]
        s = t.settings
        cond.append(f"{t.name}: data {s.get('data')}, loss {s.get('loss')}, depth {s.get('depth')}, "
                    f"width {s.get('width')}, d_in {s.get('d_in')}, target noise {s.get('target_noise')}, "
                    f"label noise {s.get('label_noise')}, weight decay {s.get('weight_decay')}, online, "
                    f"sde_time {s.get('sde_time')}, tail {s.get('tail')}; T in "
                    f"{', '.join(f'{x:g}' for x in t.temps)}; B in {', '.join(str(b) for b in t.batches)}; "
                    f"regime: {len(r['cells'])} of {len(t.cells)} cells (largest lr*lambda_max in it "
                    f"{r['regime_max_lr_lambda']:.2g}); stationary: {r['frac_stationary']:.0%} of them; "
                    f"verdict {r['verdict']}: {r['why']}")
    cond.append("intervals: 95% percentile bootstrap over seeds (2000 resamples, seed indices "
                "resampled jointly over all cells of a task)")

    det = ["Per task and metric, on the regime's cells (log of the mean over seeds): rho = c/b, "
           "c = slope per doubling of B at fixed T, b = slope per doubling of T at fixed B; "
           "R^2 of a + b log T (lr/B alone) and of a + b log lr + c log B (separately).", "",
           "| task | metric | rho | c | b | R^2 (log T) | R^2 (log lr, log B) | difference |",
           "|---|---|---|---|---|---|---|---|"]
    for r in results:
        for m, lab in METRICS:
            if m not in r["metric_rho"]:
                continue
            est, lo, hi = r["metric_rho"][m]
            cols = [_ci((est[i], lo[i], hi[i]), "{:.3f}") for i in range(6)]
            if not (lo[2] > 0 or hi[2] < 0):
                cols[0] = "n/a (b's CI includes 0)"
            name = lab + (" (excess)" if (m == "tail_loss_mean" and r["name"] == "linear") else "")
            det.append(f"| {r['name']} | {name} | " + " | ".join(cols) + " |")
    det += ["", "Per cell: mean over seeds of the stationary train loss (linear: excess over sigma^2/2) "
            "with its s.e. over seeds, the median autocorrelation time of the tail as a fraction of "
            "the tail, the drift over the tail (log units, mean over seeds), lr*lambda_max, B/B_noise, "
            "finished / diverged seeds, and whether the cell is in the regime and stationary.", "",
            "| task | T | B | lr | loss | s.e. | tau/span | drift | lr*lambda_max | B/B_noise | "
            "done/div | regime | stat. |" + (" first order | exact |" if lin else ""),
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if lin else "")]
    for r in results:
        t = r["task"]
        mean, se = _cell_means(t, "tail_loss_mean", t.floor)
        for k in range(len(t.cells)):
            row = (f"| {t.name} | {t.T[k]:g} | {t.B[k]} | {t.lr[k]:.4g} | {mean[k]:.4g} | {se[k]:.2g} | "
                   f"{r['tau_frac'][k]:.3f} | {r['drift'][k]:+.4f} | {r['lr_lambda'][k]:.3g} | "
                   f"{r['b_noise_ratio'][k]:.2g} | {t.n_done[k]}/{t.n_div[k]} | "
                   f"{'yes' if r['regime'][k] else 'no'} | {'yes' if r['stationary'][k] else 'no'} |")
            if lin:
                row += (f" {r['pred1'][k]:.4g} | {r['predx'][k]:.4g} |" if t.name == "linear" else " | |")
            det.append(row)
    sec = C.Section(claim=CLAIM, title=TITLE, verdict=verdict, statement=statement,
                    criterion_text=crit["_text"], conditions=cond, figures=figs, details="\n".join(det),
                    statistic="; ".join(f"{r['name']} rho = {_ci(r['rho'], '{:.3f}')}" for r in results),
                    criterion_sha256=crit["_sha256"], criterion_path=crit.get("_path", ""),
                    seeds=", ".join(map(str, seeds)), wall=f"{res.wall_seconds():.0f} s",
                    budget=", ".join(sorted({f"sde_time {r['task'].settings.get('sde_time'):g}" for r in results})),
                    source=os.path.basename(path))
    sec.results = results
    return sec


if __name__ == "__main__":
    sys.exit(C.main_cli(CLAIM, analyze))
