"""common.py -- what every claim analysis shares (docs/CLAIMS.md, *How a claim is built*).

A claim is three files: a sweep spec `jobs/claims/<claim>-{small,full}.yaml` whose
`name` starts with `claim-<claim>`, its pre-registered criterion
`jobs/claims/<claim>.criterion.yaml` (written before any run, never changed
after), and an analysis `analysis/claims/<claim>.py` exposing
`analyze(path, outdir) -> Section` and a CLI (`main_cli` below).

    import common as C
    res = C.load("out/claims/claim-overparam-small.h5", "overparam")   # ClaimError if unusable
    crit = C.criterion("overparam")                                      # dict, + "_text", "_sha256"
    est, lo, hi = C.bootstrap(samples, stat)                             # percentile CI over seeds
    sec = C.Section(claim="overparam", title=..., verdict=C.SUPPORTED, ...)
    print(sec.markdown())

Python 3 with Debian's numpy, scipy, matplotlib, h5py, xarray, yaml.
"""
import hashlib
import os
import sys

import h5py
import numpy as np
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "analysis"))
import sgdsweep_results as sr  # noqa: E402

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE)
CRITERIA_DIR = os.path.join(ROOT, "jobs", "claims")


class ClaimError(Exception):
    """A result file a claim analysis cannot use; the message is one line."""


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


class Results:
    """One claim's result file, read whole (the file is closed afterwards).

    path, claim, spec (dict: the parsed YAML of /spec), spec_text, runs
    (xarray.Dataset over `run`, sgdsweep_results.open_runs), grid (the /grid
    Dataset, or None for random searches and specs without swept settings),
    n_runs, n_done, n_diverged, n_failed, n_pending (from the runs' status,
    not the attributes), provenance (root attributes and the spec).
    """

    def __init__(self, path, claim):
        self.path, self.claim = path, claim
        self.provenance = sr.provenance(path)
        self.spec_text = self.provenance["spec"]
        self.spec = yaml.safe_load(self.spec_text) or {}
        self.runs = sr.open_runs(path)
        try:
            self.grid = sr.open_grid(path)
        except ValueError:
            self.grid = None
        status = self.runs["status"].values
        self.n_runs = int(status.size)
        self.n_pending = int(np.count_nonzero(status == 0))
        self.n_done = int(np.count_nonzero(status == 1))
        self.n_diverged = int(np.count_nonzero(status == 2))
        self.n_failed = int(np.count_nonzero(status == 3))

    @property
    def n_missing(self):
        """Runs without a result: pending, or failed (a resume retries them)."""
        return self.n_pending + self.n_failed

    @property
    def finished(self):
        """Every run has a result (done or diverged)."""
        return self.n_missing == 0

    @property
    def name(self):
        return str(self.spec.get("name", ""))

    def wall_seconds(self):
        """Wall-clock seconds from the sweep's first start to the last flush
        (`updated - created`; includes any pause between a stop and a resume)."""
        import datetime as dt
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        try:
            a = dt.datetime.strptime(self.provenance["created"], fmt)
            b = dt.datetime.strptime(self.provenance["updated"], fmt)
        except (KeyError, ValueError):
            return float("nan")
        return (b - a).total_seconds()

    def core_seconds(self):
        """Sum of the runs' own `wall_time` (training time on one core each)."""
        w = self.runs["wall_time"].values
        return float(np.nansum(w[np.isfinite(w)]))

    def run_lines(self, seeds):
        """Two lines for a section's conditions: the runs by status with the seeds
        per cell (seeds: a list of counts), and the wall time, ranks, training
        core-seconds and the program's version."""
        return [f"{self.n_runs} runs: {self.n_done} done, {self.n_diverged} diverged, {self.n_failed} failed, "
                f"{self.n_pending} pending; seeds per cell: {', '.join(map(str, seeds))}",
                f"sweep wall time {self.wall_seconds():.0f} s on {self.provenance.get('mpi_size', '?')} ranks "
                f"({self.core_seconds():.0f} core-seconds of training), sgdsweep "
                f"{self.provenance.get('program_version', '?')} ({self.provenance.get('git_commit', '?')})"]

    def unfinished_note(self):
        """'' when complete, else one sentence for the report."""
        if self.finished:
            return ""
        return (f"unfinished sweep: {self.n_missing} of {self.n_runs} runs have no result "
                f"({self.n_pending} pending, {self.n_failed} failed); this analysis uses the "
                f"{self.n_done + self.n_diverged} finished runs (resume the sweep to complete it)")


def load(path, claim):
    """Open a claim's result file -> Results, or raise ClaimError (one line):
    not an sgdsweep result file, a format_version this reader does not know,
    a spec whose name does not start with f"claim-{claim}". An unfinished
    sweep is not refused: Results says how many runs are missing."""
    if not os.path.exists(path):
        raise ClaimError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            fmt = _text(f.attrs.get("format", ""))
            ver = f.attrs.get("format_version")
            has_spec = "spec" in f
    except OSError as e:
        raise ClaimError(f"{path}: cannot open as HDF5 ({str(e).splitlines()[0]})")
    if fmt != sr.FORMAT:
        raise ClaimError(f"{path}: not an sgdsweep result file (format attribute {fmt!r})")
    if ver is None or int(ver) not in sr.FORMAT_VERSIONS:
        known = ", ".join(str(v) for v in sr.FORMAT_VERSIONS)
        raise ClaimError(f"{path}: format_version {ver}, this reader knows {known}")
    if not has_spec:
        raise ClaimError(f"{path}: no /spec in the file")
    try:
        res = Results(path, claim)
    except (ValueError, KeyError, OSError, yaml.YAMLError) as e:
        raise ClaimError(f"{path}: cannot read ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
    want = f"claim-{claim}"
    if not (res.name == want or res.name.startswith(want + "-")):
        raise ClaimError(f"{path}: spec name {res.name!r} is not a {want} result "
                         f"(wrong claim: analyse it with its own claim module)")
    return res


def claim_of(path):
    """The claim a result file belongs to, from its spec name `claim-<claim>-<size>`
    (the part between `claim-` and the last `-`), or raise ClaimError."""
    try:
        with h5py.File(path, "r") as f:
            text = _text(f["spec"][()]) if "spec" in f else ""
    except OSError as e:
        raise ClaimError(f"{path}: cannot open as HDF5 ({str(e).splitlines()[0]})")
    try:
        name = str((yaml.safe_load(text) or {}).get("name", ""))
    except yaml.YAMLError:
        name = ""
    if not name.startswith("claim-") or name.count("-") < 2:
        raise ClaimError(f"{path}: spec name {name!r} does not name a claim (claim-<claim>-<size>)")
    return name[len("claim-"):].rsplit("-", 1)[0]


def criterion(claim):
    """The pre-registered criterion jobs/claims/{claim}.criterion.yaml, parsed,
    with its text under "_text" and the SHA-256 of its bytes under "_sha256"."""
    path = os.path.join(CRITERIA_DIR, f"{claim}.criterion.yaml")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ClaimError(f"{path}: cannot read the criterion ({e.strerror})")
    try:
        out = yaml.safe_load(raw.decode("utf-8")) or {}
    except yaml.YAMLError as e:
        raise ClaimError(f"{path}: not valid YAML ({str(e).splitlines()[0]})")
    if not isinstance(out, dict):
        raise ClaimError(f"{path}: the criterion must be a YAML mapping")
    out["_text"] = raw.decode("utf-8")
    out["_sha256"] = hashlib.sha256(raw).hexdigest()
    out["_path"] = os.path.relpath(path, ROOT)
    return out


def bootstrap(samples, stat, n_boot=2000, level=0.95, seed=0):
    """Percentile bootstrap over axis 0 (the seeds: the resampled unit).

    samples: array [S, ...]; stat: fn(array [S, ...]) -> float.
    -> (estimate, lo, hi): stat on the data, and the (1-level)/2 and
    (1+level)/2 percentiles of stat over n_boot resamples of S rows drawn with
    replacement. Deterministic given seed. NaN statistics of a resample are
    dropped; if more than half are NaN the interval is (nan, nan).
    """
    x = np.asarray(samples)
    s = x.shape[0]
    est = float(stat(x))
    if s == 0:
        return est, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, s, size=(n_boot, s))
    vals = np.array([float(stat(x[i])) for i in idx])
    ok = np.isfinite(vals)
    if ok.sum() < n_boot / 2:
        return est, float("nan"), float("nan")
    a = (1 - level) / 2
    lo, hi = np.quantile(vals[ok], [a, 1 - a])
    return est, float(lo), float(hi)


def bootstrap_indices(n_seeds, n_boot=2000, seed=0):
    """The resampling bootstrap() uses, for statistics that are computed
    jointly (vectorised) over resamples: int array [n_boot, n_seeds]."""
    return np.random.default_rng(seed).integers(0, n_seeds, size=(n_boot, n_seeds))


class Section:
    """One claim's part of the report.

    claim, title, verdict (SUPPORTED / NOT_SUPPORTED / INCONCLUSIVE),
    statement (one paragraph with the numbers), criterion_text (the
    pre-registered criterion verbatim), conditions (list of str: seeds,
    budget, grid, intervals), figures (PNG paths relative to the report),
    details (markdown). Optional: statistic (a short "N*/(nk) = a [lo, hi]"
    for the summary table), criterion_sha256, seeds, budget, wall (str).
    """

    def __init__(self, claim, title, verdict, statement, criterion_text="", conditions=(),
                 figures=(), details="", statistic="", criterion_sha256="", criterion_path="",
                 seeds="", budget="", wall="", source=""):
        if verdict not in VERDICTS:
            raise ValueError(f"verdict {verdict!r} is not one of {VERDICTS}")
        self.claim, self.title, self.verdict, self.statement = claim, title, verdict, statement
        self.criterion_text, self.conditions = criterion_text, list(conditions)
        self.figures, self.details = list(figures), details
        self.statistic, self.criterion_sha256, self.criterion_path = statistic, criterion_sha256, criterion_path
        self.seeds, self.budget, self.wall, self.source = seeds, budget, wall, source

    def verdict_line(self):
        return f"{self.claim}: {self.verdict.upper()}: {self.title}"

    def markdown(self, level=2):
        h = "#" * level
        out = [f"{h} {self.title}", "", f"**Verdict: {self.verdict}.** {self.statement}", ""]
        if self.source:
            out += [f"Result file: `{self.source}`.", ""]
        if self.conditions:
            out += [f"{h}# Conditions", ""] + [f"- {c}" for c in self.conditions] + [""]
        if self.criterion_text:
            where = f" (`{self.criterion_path}`" if self.criterion_path else " ("
            sha = f"SHA-256 `{self.criterion_sha256}`)" if self.criterion_sha256 else ")"
            out += [f"{h}# Pre-registered criterion{where}{', ' if self.criterion_path and self.criterion_sha256 else ''}{sha}",
                    "", "```yaml", self.criterion_text.rstrip("\n"), "```", ""]
        if self.figures:
            out += [f"{h}# Figures", ""] + [f"![{os.path.basename(p)}]({p})" for p in self.figures] + [""]
        if self.details:
            out += [f"{h}# Details", "", self.details.rstrip("\n"), ""]
        return "\n".join(out)


def write_section(sec, outdir):
    """outdir/<claim>.md with the section (figures are already in outdir)."""
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, f"{sec.claim}.md")
    with open(path, "w") as f:
        f.write(sec.markdown(level=1))
    return path


def main_cli(claim, analyze, argv=None):
    """The CLI every claim module shares:
        /usr/bin/python3 analysis/claims/<claim>.py RESULT.h5 [-o OUTDIR]
    writes OUTDIR/<claim>.md and its PNGs (OUTDIR: the result's directory),
    prints the verdict line; exit 0, or 2 with "<claim>: message" on a
    ClaimError or bad usage."""
    import argparse
    ap = argparse.ArgumentParser(prog=f"{claim}.py",
                                 description=f"claim '{claim}': verdict, figures and section from a result file")
    ap.add_argument("result")
    ap.add_argument("-o", "--outdir", default=None)
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    outdir = a.outdir or os.path.dirname(os.path.abspath(a.result))
    try:
        sec = analyze(a.result, outdir)
        md = write_section(sec, outdir)
    except ClaimError as e:
        print(f"{claim}: {e}", file=sys.stderr)
        return 2
    print(sec.verdict_line())
    print(f"{claim}: {sec.statistic}" if sec.statistic else "", end="\n" if sec.statistic else "")
    print(f"{claim}: wrote {md}")
    return 0


def setup_matplotlib():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
