#!/usr/bin/python3
"""compare.py -- do two sgdsweep result files hold the same science?

    /usr/bin/python3 analysis/compare.py A.h5 B.h5

Answers "is my resumed / re-run / differently-parallelised sweep the same
science?". Exit status:

    0   identical scientific content
    1   they differ; each difference is printed on one line on stdout
    2   usage error, or a file that cannot be opened as HDF5 (message on stderr)

Scientific content is

  * every dataset under SCIENTIFIC_PATHS (/runs, /grid and the spec text
    /spec): the set of names, each dataset's shape, dtype and values, bit for
    bit -- except that NaN equals NaN (a run that was never trained, or a
    metric that has no value, is NaN in both). -0.0 and 0.0 differ.
  * every attribute of those datasets and groups (the dimension-scale
    attributes DIMENSION_LIST / REFERENCE_LIST are compared by the names of
    the objects they refer to, not by file addresses);
  * every attribute of the root group.

except what says where, when and how fast a sweep ran rather than what it
computed:

  * NON_SCIENTIFIC_DATASETS: these datasets in /runs and /grid;
  * NON_SCIENTIFIC_ROOT_ATTRS: these root attributes (provenance: times,
    hosts, the number of ranks, the command line, resume count and the
    versions of the program and its libraries).

Objects outside SCIENTIFIC_PATHS are ignored. Storage details (chunking,
compression, fill values, attribute order, object addresses) are not
content. A virtual dataset (a /grid view of /runs, format 3) is compared by
what it shows -- its source datasets and selections -- when both files have
it as a view, its source being compared where it is, so a difference is
reported once, at the source; by value when only one file has a view. Note that
`spec_path` (the spec's path as given on the command line) IS compared, so
resume or re-run from the same path; so are /runs/error (a failed run's
message) and the counters n_done, n_failed, ... (they follow from status).
docs/FORMAT.md, "Scientific content and provenance", says the same.
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError as _e:  # exit 2, never 1: a missing module is not "they differ"
    sys.stderr.write("compare.py: %s (Debian: apt-get install python3-h5py python3-numpy; "
                     "run with /usr/bin/python3)\n" % _e)
    sys.exit(2)

# What is compared: these top-level objects, recursively.
SCIENTIFIC_PATHS = ("/runs", "/grid", "/spec")

# Datasets in /runs and /grid that are not scientific content (and every
# probe's wall time, time_*: docs/PROBES.md).
NON_SCIENTIFIC_DATASETS = ("wall_time", "host", "rank")
NON_SCIENTIFIC_PREFIXES = ("time_",)
NON_SCIENTIFIC_GROUPS = ("/runs", "/grid")

# Root attributes that are not scientific content.
NON_SCIENTIFIC_ROOT_ATTRS = (
    "created", "updated", "completed", "hosts", "mpi_size", "command_line", "resumes",
    "git_commit", "mpi_version", "hdf5_version", "blas_version", "program_version",
)

class FileError(Exception):
    pass


def skipped(path):
    """True for a dataset path that is not scientific content."""
    parent, _, name = path.rpartition("/")
    return parent in NON_SCIENTIFIC_GROUPS and (name in NON_SCIENTIFIC_DATASETS or
                                                 name.startswith(NON_SCIENTIFIC_PREFIXES))


def objects(f):
    """{path: 'dataset' | 'group'} for everything compared in file f."""
    out = {}
    for top in SCIENTIFIC_PATHS:
        if top not in f:
            continue
        obj = f[top]
        if isinstance(obj, h5py.Group):
            out[top] = "group"

            def visit(name, o, top=top):
                p = top + "/" + name
                if isinstance(o, h5py.Dataset):
                    if not skipped(p):
                        out[p] = "dataset"
                elif isinstance(o, h5py.Group):
                    out[p] = "group"
                else:
                    out[p] = type(o).__name__

            obj.visititems(visit)
        elif isinstance(obj, h5py.Dataset):
            out[top] = "dataset"
        else:
            out[top] = type(obj).__name__
    return out


def show(v, limit=80):
    """A short printable form of a value."""
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, (float, np.floating)):
        s = repr(float(v))
    elif isinstance(v, np.ndarray) and v.size > 8:
        s = "array%s %s" % (v.shape, v.dtype)
    else:
        s = repr(v)
    s = s.replace("\n", "\\n").replace("\t", "\\t")
    return s if len(s) <= limit else s[: limit - 3] + "..."


def same_values(a, b):
    """Element-wise equality of two arrays of equal shape and dtype: bit-exact
    for numbers, NaN == NaN. Returns a boolean array (or scalar)."""
    if a.dtype.kind == "f":
        u = np.dtype("u%d" % a.dtype.itemsize)
        return (a.view(u) == b.view(u)) | (np.isnan(a) & np.isnan(b))
    if a.dtype.kind == "c":
        return same_values(a.real.copy(), b.real.copy()) & same_values(a.imag.copy(), b.imag.copy())
    if a.dtype.kind == "O":  # variable-length strings (bytes or str)
        fa, fb = a.ravel(), b.ravel()
        eq = np.fromiter((x == y if type(x) is type(y) else norm(x) == norm(y) for x, y in zip(fa, fb)),
                         dtype=bool, count=fa.size)
        return eq.reshape(a.shape)
    if a.dtype.names:
        eq = np.ones(a.shape, dtype=bool)
        for n in a.dtype.names:
            eq &= same_values(a[n], b[n])
        return eq
    return a == b


def norm(x):
    """bytes and str compare as text."""
    return x.decode("utf-8", "surrogateescape") if isinstance(x, bytes) else x


def text_diff(a, b):
    """The first differing lines of two texts, and its 1-based number."""
    la, lb = a.split("\n"), b.split("\n")
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<end>"
        y = lb[i] if i < len(lb) else "<end>"
        if x != y:
            return x, y, i + 1
    return a, b, 1


def view(d):
    """A virtual dataset's mapping (each source's file and dataset, and the
    extent, kind and size of both selections), or None for a dataset that
    holds its data."""
    if not d.is_virtual:
        return None
    def sel(sp):
        return (sp.shape, sp.get_select_type(), sp.get_select_npoints())
    return [(m.file_name, m.dset_name, sel(m.vspace), sel(m.src_space)) for m in d.virtual_sources()]


def compare_dataset(path, da, db, diffs):
    if da.shape != db.shape:
        diffs.append("%s: shape %s vs %s" % (path, da.shape, db.shape))
        return
    if da.dtype != db.dtype:
        diffs.append("%s: dtype %s vs %s" % (path, da.dtype, db.dtype))
        return
    # a view (format 3's /grid) is the same view of the same source: the
    # source's values are compared where it is; a view and a dataset that
    # holds its data (a format-2 file) are compared by value
    va, vb = view(da), view(db)
    if va is not None and vb is not None:
        if va != vb:
            diffs.append("%s: a view of %s vs of %s" % (path, [m[1] for m in va], [m[1] for m in vb]))
        return
    a, b = np.asarray(da[()]), np.asarray(db[()])
    eq = np.asarray(same_values(a, b))
    if eq.all():
        return
    bad = np.argwhere(~eq) if eq.ndim else np.zeros((1, 0), dtype=int)
    first = tuple(int(i) for i in bad[0])
    va, vb = (a[first], b[first]) if a.ndim else (a[()], b[()])
    where = "at [%s]" % ", ".join(map(str, first)) if a.ndim else "value"
    if isinstance(va, (bytes, str)) and isinstance(vb, (bytes, str)):
        va, vb, line = text_diff(norm(va), norm(vb))
        where += ", line %d" % line
    diffs.append("%s: %d of %d values differ; first %s: %s vs %s"
                 % (path, len(bad), max(a.size, 1), where, show(va), show(vb)))


def resolve(f, ref):
    """The path a reference points to (or a placeholder for a null one)."""
    if not ref:
        return "<null>"
    try:
        return f[ref].name
    except Exception:  # a dangling reference is a difference worth seeing
        return "<bad reference>"


def attr_value(f, obj, name):
    """An attribute in a comparable form. References become object paths."""
    v = obj.attrs[name]
    if name == "DIMENSION_LIST":
        # one array of references per dimension
        return ("dimlist", tuple(tuple(resolve(f, r) for r in np.ravel(refs)) for refs in np.ravel(v)))
    if name == "REFERENCE_LIST":
        # (dataset reference, dimension index) per attached dataset
        return ("reflist", tuple(sorted((resolve(f, row[0]), int(row[1])) for row in np.ravel(v))))
    return v


def same_attr(a, b):
    if isinstance(a, tuple) or isinstance(b, tuple):
        return a == b
    if isinstance(a, (bytes, str)) or isinstance(b, (bytes, str)):
        return norm(a) == norm(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.all(same_values(a, b)))


def compare_attrs(where, fa, oa, fb, ob, diffs, ignore=()):
    na = set(oa.attrs.keys()) - set(ignore)
    nb = set(ob.attrs.keys()) - set(ignore)
    label = where if where != "/" else "root"
    for n in sorted(na - nb):
        diffs.append("%s: attribute %s only in A (%s)" % (label, n, show(oa.attrs[n])))
    for n in sorted(nb - na):
        diffs.append("%s: attribute %s only in B (%s)" % (label, n, show(ob.attrs[n])))
    for n in sorted(na & nb):
        try:
            va, vb = attr_value(fa, oa, n), attr_value(fb, ob, n)
        except Exception as e:  # an unreadable attribute is not the same science
            diffs.append("%s: attribute %s cannot be read (%s)" % (label, n, e))
            continue
        if not same_attr(va, vb):
            diffs.append("%s: attribute %s: %s vs %s" % (label, n, show(va), show(vb)))


def compare(fa, fb):
    """The list of differences between two open files (empty: same science)."""
    diffs = []
    compare_attrs("/", fa, fa["/"], fb, fb["/"], diffs, NON_SCIENTIFIC_ROOT_ATTRS)
    oa, ob = objects(fa), objects(fb)
    for p in sorted(set(oa) - set(ob)):
        diffs.append("%s: %s only in A" % (p, oa[p]))
    for p in sorted(set(ob) - set(oa)):
        diffs.append("%s: %s only in B" % (p, ob[p]))
    for p in sorted(set(oa) & set(ob)):
        if oa[p] != ob[p]:
            diffs.append("%s: %s in A, %s in B" % (p, oa[p], ob[p]))
            continue
        if oa[p] == "dataset":
            compare_dataset(p, fa[p], fb[p], diffs)
        if oa[p] in ("dataset", "group"):
            compare_attrs(p, fa, fa[p], fb, fb[p], diffs)
    return diffs


def open_file(path):
    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise FileError("%s: cannot open as HDF5 (%s)" % (path, e))


def main(argv):
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0
    if len(argv) != 3 or any(a.startswith("-") and len(a) > 1 for a in argv[1:]):
        sys.stderr.write("usage: compare.py A.h5 B.h5  (exit 0 same science, 1 different, 2 error)\n")
        return 2
    try:
        with open_file(argv[1]) as fa, open_file(argv[2]) as fb:
            diffs = compare(fa, fb)
    except FileError as e:
        sys.stderr.write("compare.py: %s\n" % e)
        return 2
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
