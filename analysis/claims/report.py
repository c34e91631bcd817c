#!/usr/bin/python3
"""report.py -- the claims report: one page with every claim's verdict.

    /usr/bin/python3 analysis/claims/report.py OUTDIR RESULT.h5 [RESULT.h5 ...]

For each result file, the claim is read from its spec name
(`claim-<claim>-<size>`) and analysed by analysis/claims/<claim>.py
(`analyze(path, OUTDIR)`), which writes its figures into OUTDIR. Writes
OUTDIR/REPORT.md: a summary table (claim, verdict, statistic with interval,
seeds, budget, wall time) and then each claim's section. A result file that
does not exist, or that its analysis refuses, gets a row saying so and the
report is still written; an unfinished sweep is analysed on its finished runs
and the section says how many are missing. Exit 0 when REPORT.md was written
(whatever the verdicts), 2 on bad usage.
"""
import datetime as dt
import importlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common as C  # noqa: E402


def claim_from_name(path):
    """Guess a claim from a missing file's name (claim-X-size.h5 or X-size.h5)."""
    base = os.path.splitext(os.path.basename(path))[0]
    base = re.sub(r"^claim-", "", base)
    return base.rsplit("-", 1)[0] if "-" in base else base


def main(argv):
    if len(argv) < 2:
        print("usage: report.py OUTDIR RESULT.h5 [RESULT.h5 ...]", file=sys.stderr)
        return 2
    outdir, paths = argv[0], argv[1:]
    os.makedirs(outdir, exist_ok=True)
    rows, sections, notes = [], [], []
    for path in paths:
        if not os.path.exists(path):
            claim = claim_from_name(path)
            rows.append((claim, "**no result**", f"`{path}` does not exist (run `make claims`)", "", "", ""))
            notes.append(f"- {claim}: result file `{path}` is absent; no verdict.")
            continue
        try:
            claim = C.claim_of(path)
            try:
                mod = importlib.import_module(claim)
            except ImportError:
                raise C.ClaimError(f"{path}: no analysis module analysis/claims/{claim}.py")
            sec = mod.analyze(path, outdir)
        except C.ClaimError as e:
            rows.append((claim_from_name(path), "**refused**", str(e), "", "", ""))
            notes.append(f"- `{path}`: {e}")
            continue
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(outdir))
        res = C.load(path, claim)
        missing = f" ({res.n_missing} of {res.n_runs} runs missing)" if not res.finished else ""
        rows.append((sec.claim, f"**{sec.verdict}**{missing}", sec.statistic or "", sec.seeds, sec.budget,
                     sec.wall))
        sec.source = rel
        sections.append(sec)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Claims report", "",
           f"Written {now} by `analysis/claims/report.py` from {len(paths)} result file(s). "
           "Each verdict is the one the claim's pre-registered criterion gives "
           "(`jobs/claims/<claim>.criterion.yaml`, quoted in its section with its SHA-256; docs/CLAIMS.md "
           "says when each criterion was committed relative to its runs); analyses revised after seeing "
           "the data appear only beside it, as sensitivity analyses. "
           "Intervals are 95% bootstrap over seeds. Wall time: first start to last write of the result file.",
           "",
           "| claim | verdict | statistic | seeds | budget | wall time |",
           "|---|---|---|---|---|---|"]
    out += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    out.append("")
    if notes:
        out += ["Not analysed:", ""] + notes + [""]
    for sec in sections:
        out.append(sec.markdown(level=2))
    path = os.path.join(outdir, "REPORT.md")
    with open(path, "w") as f:
        f.write("\n".join(out))
    for r in rows:
        print(f"{r[0]}: {r[1].replace('**', '')}")
    print(f"report: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
