#!/usr/bin/python3
"""tool-wrapper.py -- the installed analysis commands (make install, README.md "Installing").

`make install` installs this file as PREFIX/bin/sgdsweep-report,
sgdsweep-compare and sgdsweep-claims-report (its first line set to
#!$(PYTHON), /usr/bin/python3 by default). Called by one of those names it runs

    sgdsweep-report         PREFIX/share/sgdsweep/analysis/report.py
    sgdsweep-compare        PREFIX/share/sgdsweep/analysis/compare.py
    sgdsweep-claims-report  PREFIX/share/sgdsweep/analysis/claims/report.py

with the same Python, arguments, standard streams and exit status, exactly as
`/usr/bin/python3 .../report.py ARGS` would (it replaces itself with that
process). The directory is found from this file's own location, symbolic
links resolved, so a symlink to it from another bin/ works and the installed
tree can be moved as a whole. Exit 2 with one line if the script is missing.
"""
import os
import sys

TOOLS = {
    "sgdsweep-report": "report.py",
    "sgdsweep-compare": "compare.py",
    "sgdsweep-claims-report": os.path.join("claims", "report.py"),
}


def main():
    me = os.path.realpath(__file__)
    name = os.path.basename(me)
    if name not in TOOLS:
        # called through a symlink of another name: the link's name decides
        name = os.path.basename(sys.argv[0])
    if name not in TOOLS:
        print(f"{name}: install this file as one of {', '.join(TOOLS)}", file=sys.stderr)
        return 2
    # PREFIX/bin/NAME -> PREFIX/share/sgdsweep/analysis
    prefix = os.path.dirname(os.path.dirname(me))
    script = os.path.join(prefix, "share", "sgdsweep", "analysis", TOOLS[name])
    if not os.path.isfile(script):
        print(f"{name}: {script} is missing (make install puts it there)", file=sys.stderr)
        return 2
    os.execv(sys.executable, [sys.executable, script] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
