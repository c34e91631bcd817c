/* store.c -- see store.h and docs/FORMAT.md */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "io.h"
#include "h5w.h"
#include "store.h"
#include "version.h"

void openblas_set_num_threads(int);
char *openblas_get_config(void);

enum { COL_REAL, COL_INT, COL_STR };

typedef struct {
    const char *name;
    int kind;
    void *data; /* double*, int64_t*, or char** */
} column;

struct store {
    const spec *sp;
    char *path, *tmp;
    long n;
    int ncol;
    column *col;          /* cfg fields, then temperature */
    double *lr;           /* [n] for the grid view */
    int mli_points;       /* the mli_points of every run with mli; 0: no run has mli, -1: they differ */
};

static int col_kind(cfg_type t)
{
    return t == CFG_REAL ? COL_REAL : (t == CFG_ENUM || t == CFG_STR) ? COL_STR : COL_INT;
}

void store_free(store *st)
{
    if (!st)
        return;
    for (int c = 0; c < st->ncol; c++) {
        if (st->col[c].kind == COL_STR && st->col[c].data)
            for (long i = 0; i < st->n; i++)
                free(((char **)st->col[c].data)[i]);
        free(st->col[c].data);
    }
    free(st->col);
    free(st->lr);
    free(st->path);
    free(st->tmp);
    free(st);
}

store *store_alloc(const spec *sp, const char *path, sgd_err *e)
{
    store *st = calloc(1, sizeof *st);
    if (!st)
        goto oom;
    st->sp = sp;
    st->n = sp->n_runs;
    st->path = strdup(path);
    st->tmp = malloc(strlen(path) + 8);
    st->ncol = cfg_nfields + 1;
    st->col = calloc((size_t)st->ncol, sizeof *st->col);
    st->lr = malloc((size_t)st->n * sizeof(double));
    if (!st->path || !st->tmp || !st->col || !st->lr)
        goto oom;
    sprintf(st->tmp, "%s.tmp", path);
    for (int c = 0; c < st->ncol; c++) {
        int kind = c < cfg_nfields ? col_kind(cfg_fields[c].type) : COL_REAL;
        st->col[c].name = c < cfg_nfields ? cfg_fields[c].name : "temperature";
        st->col[c].kind = kind;
        size_t sz = kind == COL_REAL ? sizeof(double) : kind == COL_INT ? sizeof(int64_t) : sizeof(char *);
        if (!(st->col[c].data = calloc((size_t)st->n ? (size_t)st->n : 1, sz)))
            goto oom;
    }
    for (long i = 0; i < st->n; i++) {
        cfg s;
        double temp;
        if (spec_run_temperature(sp, i, &s, &temp, e)) {
            store_free(st);
            return NULL;
        }
        for (int c = 0; c < cfg_nfields; c++) {
            const cfg_field *f = &cfg_fields[c];
            const void *p = (const char *)&s + f->offset;
            column *cl = &st->col[c];
            if (cl->kind == COL_REAL) {
                ((double *)cl->data)[i] = *(const double *)p;
            } else if (cl->kind == COL_INT) {
                ((int64_t *)cl->data)[i] = f->type == CFG_LONG ? *(const long *)p
                                           : f->type == CFG_I64 ? *(const int64_t *)p
                                                                : *(const int *)p;
            } else {
                char buf[600];
                cfg_format(&s, f, buf, sizeof buf);
                if (!(((char **)cl->data)[i] = strdup(buf)))
                    goto oom;
            }
        }
        ((double *)st->col[cfg_nfields].data)[i] = temp;
        st->lr[i] = s.lr;
        if (s.mli)
            st->mli_points = st->mli_points == 0 || st->mli_points == s.mli_points ? s.mli_points : -1;
    }
    return st;
oom:
    store_free(st);
    sgd_fail(e, SGD_ENOMEM, "out of memory (result columns)");
    return NULL;
}

static void iso_time(double t, char *buf, size_t n)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *const status_names = "0: pending, 1: done, 2: diverged, 3: failed";

/* ---- provenance -------------------------------------------------------- */

static void write_provenance(h5w *w, hid_t f, const store *st, const sweep_table *t, const store_prov *p)
{
    const spec *sp = st->sp;
    int ver = STORE_FORMAT_VERSION;
    char buf[256], now[64];
    h5w_attr_str(w, f, "format", "sgdsweep-result");
    h5w_attr_num(w, f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &ver);
    h5w_attr_str(w, f, "program_version", sgd_version);
    h5w_attr_str(w, f, "git_commit", sgd_git);
    h5w_attr_str(w, f, "spec_path", sp->path ? sp->path : "");
    h5w_attr_str(w, f, "spec_sha256", sp->sha256);
    h5w_attr_str(w, f, "command_line", p->command_line ? p->command_line : "");
    iso_time(p->created, buf, sizeof buf);
    h5w_attr_str(w, f, "created", buf);
    iso_time((double)time(NULL), now, sizeof now);
    h5w_attr_str(w, f, "updated", now);
    h5w_attr_str(w, f, "completed", p->complete ? now : "");
    h5w_attr_num(w, f, "mpi_size", H5T_STD_I32LE, H5T_NATIVE_INT, &p->mpi_size);
    h5w_attr_str(w, f, "hosts", p->hosts ? p->hosts : "");
    h5w_attr_num(w, f, "resumes", H5T_STD_I64LE, H5T_NATIVE_LONG, &p->resumes);
    h5w_attr_str(w, f, "mpi_version", p->mpi_version ? p->mpi_version : "");
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
    h5w_attr_str(w, f, "hdf5_version", buf);
    h5w_attr_str(w, f, "blas_version", openblas_get_config());
    h5w_attr_str(w, f, "method", sp->method == SPEC_GRID ? "grid" : "random");
    long by_status[4] = {0, 0, 0, 0};
    for (long i = 0; i < t->n_runs; i++)
        by_status[t->status[i] & 3]++;
    h5w_attr_num(w, f, "n_runs", H5T_STD_I64LE, H5T_NATIVE_LONG, &t->n_runs);
    h5w_attr_num(w, f, "n_pending", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_PENDING]);
    h5w_attr_num(w, f, "n_done", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_DONE]);
    h5w_attr_num(w, f, "n_diverged", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_DIVERGED]);
    h5w_attr_num(w, f, "n_failed", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_FAILED]);
    /* the spec verbatim, as a scalar string dataset */
    if (!w->bad) {
        hid_t sp1 = H5Screate(H5S_SCALAR);
        hid_t ds = H5Dcreate2(f, "spec", w->str, sp1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const char *txt = sp->text;
        if (ds < 0 || H5Dwrite(ds, w->str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &txt) < 0)
            h5w_fail(w, "/spec");
        h5w_close(ds);
        H5Sclose(sp1);
    }
}

/* ---- probe curves and arrays (shared by /runs and /grid) ------------------ */

/* names in /runs or /grid that a dimension of the probe arrays must not take */
static int name_taken(const char *nm)
{
    static const char *const fixed[] = {"run", "checkpoint", "status", "temperature", "lr_run", "host", "rank", "error"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(nm, fixed[i]))
            return 1;
    for (int a = 0; a < N_PARR; a++)
        if (!strcmp(nm, parr_fields[a].name))
            return 1;
    for (int m = 0; m < met_nfields; m++)
        if (!strcmp(nm, met_fields[m].name))
            return 1;
    return cfg_find(nm) != NULL;
}

/* the file's name of array a's own dimension: its `dim`, or `dim`_index
 * where that is already a variable's name (eig: the array and its dimension) */
static void dim_name(int a, char *buf, size_t n)
{
    const char *d = parr_fields[a].dim;
    snprintf(buf, n, name_taken(d) ? "%s_index" : "%s", d);
}

/* Write the probe curves [lead... x K] and the probe arrays [lead... x L]
 * the table holds into g, with the leading dimensions' scales lead_scale[nd]
 * attached in order, the checkpoint scale chk (curves) or the array's own
 * dimension scale (created here, one per distinct dimension) at dimension nd,
 * and `coordinates` when coords is not empty. Chunks: one run's row. */
static void write_probes(h5w *w, hid_t g, const store *st, const sweep_table *t, int nd, const hsize_t *lead,
                         const hid_t *lead_scale, hid_t chk, const char *coords)
{
    hsize_t dims[STORE_MAX_DIMS + 2], chunk[STORE_MAX_DIMS + 2];
    for (int d = 0; d < nd; d++)
        dims[d] = lead[d], chunk[d] = 1;
    const size_t rows = (size_t)t->n_runs;
    char name[160];
    /* curves: [lead... x K], like curve_train_loss */
    dims[nd] = chunk[nd] = (hsize_t)t->K;
    for (int c = 0; c < N_PCURVE && !w->bad; c++) {
        if (!t->pcurve[c])
            continue;
        snprintf(name, sizeof name, "curve_%s", pcurve_fields[c].name);
        hid_t ds = h5w_put(w, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->pcurve[c], nd + 1, dims, chunk);
        h5w_attr_str(w, ds, "description", pcurve_fields[c].help);
        for (int d = 0; d < nd; d++)
            h5w_attach(w, ds, lead_scale[d], (unsigned)d);
        h5w_attach(w, ds, chk, (unsigned)nd);
        if (coords[0])
            h5w_attr_str(w, ds, "coordinates", coords);
        h5w_close(ds);
    }
    /* arrays: [lead... x L], L the longest row of the arrays sharing a dimension */
    char dname[N_PARR][64];
    int len[N_PARR] = {0};
    hid_t scale[N_PARR];
    for (int a = 0; a < N_PARR; a++) {
        scale[a] = -1;
        dim_name(a, dname[a], sizeof dname[a]);
    }
    for (int a = 0; a < N_PARR; a++)
        for (int b = 0; b < N_PARR; b++)
            if (t->parr[b] && !strcmp(dname[a], dname[b]) && t->parr_max[b] > len[a])
                len[a] = t->parr_max[b];
    double *pad = NULL;
    for (int a = 0; a < N_PARR && !w->bad; a++) {
        if (!t->parr[a])
            continue;
        const int L = len[a], m = t->parr_max[a];
        /* the dimension's scale, made by the first array that uses it */
        int first = a;
        for (int b = a - 1; b >= 0; b--)
            if (t->parr[b] && !strcmp(dname[b], dname[a]))
                first = b;
        if (first == a) {
            hsize_t n1 = (hsize_t)L;
            int64_t *iv = malloc((size_t)L * sizeof *iv);
            double *dv = malloc((size_t)L * sizeof *dv);
            if (!iv || !dv) {
                free(iv), free(dv);
                h5w_fail(w, "probe scales (out of memory)");
                break;
            }
            /* alpha: its values when every mli run has the same mli_points */
            const int alpha = !strcmp(parr_fields[a].dim, parr_fields[PA_MLI_ALPHA].dim) && st->mli_points == L;
            for (int j = 0; j < L; j++)
                iv[j] = j, dv[j] = L > 1 ? (double)j / (L - 1) : 0;
            hid_t sc = alpha ? h5w_put(w, g, dname[a], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dv, 1, &n1, NULL)
                             : h5w_put(w, g, dname[a], H5T_STD_I64LE, H5T_NATIVE_INT64, iv, 1, &n1, NULL);
            free(iv), free(dv);
            if (!w->bad && H5DSset_scale(sc, dname[a]) < 0)
                h5w_fail(w, "probe scale");
            h5w_attr_str(w, sc, "description",
                         alpha ? "alpha = j / (mli_points - 1) of the interpolation path"
                               : "index along the probe arrays of this dimension (0 .. n-1)");
            scale[a] = sc;
        } else {
            scale[a] = scale[first];
        }
        /* the table's rows are m long; pad to L with NaN where they differ */
        const double *data = t->parr[a];
        if (m != L) {
            double *np = realloc(pad, rows * (size_t)L * sizeof *np);
            if (!np) {
                h5w_fail(w, "probe arrays (out of memory)");
                break;
            }
            pad = np;
            for (size_t i = 0; i < rows; i++)
                for (int j = 0; j < L; j++)
                    pad[i * L + j] = j < m ? t->parr[a][i * m + j] : NAN;
            data = pad;
        }
        dims[nd] = chunk[nd] = (hsize_t)L;
        hid_t ds = h5w_put(w, g, parr_fields[a].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data, nd + 1, dims, chunk);
        h5w_attr_str(w, ds, "description", parr_fields[a].help);
        for (int d = 0; d < nd; d++)
            h5w_attach(w, ds, lead_scale[d], (unsigned)d);
        h5w_attach(w, ds, scale[a], (unsigned)nd);
        if (coords[0])
            h5w_attr_str(w, ds, "coordinates", coords);
        h5w_close(ds);
    }
    free(pad);
    for (int a = 0; a < N_PARR; a++) { /* each scale once: the array that made it */
        int owner = scale[a] >= 0;
        for (int b = 0; b < a && owner; b++)
            owner = scale[b] != scale[a];
        if (owner)
            h5w_close(scale[a]);
    }
}

/* ---- /runs: one row per run ----------------------------------------------- */

static void write_runs(h5w *w, hid_t f, const store *st, const sweep_table *t)
{
    const long n = st->n;
    const int K = t->K;
    hid_t g = h5w_group(w, f, "runs");
    hsize_t dn[1] = {(hsize_t)n}, d2[2] = {(hsize_t)n, (hsize_t)K}, ck[2] = {1, (hsize_t)K};
    int64_t *idx = malloc(((size_t)n > (size_t)K ? (size_t)n : (size_t)K) * sizeof *idx);
    double *col = malloc((size_t)n * sizeof *col);
    const char **strs = malloc((size_t)n * sizeof *strs);
    if (!idx || !col || !strs) {
        sgd_fail(w->e, SGD_ENOMEM, "out of memory");
        w->bad = 1;
    }
    if (w->bad)
        goto out;
    for (long i = 0; i < n; i++)
        idx[i] = i;
    hid_t run = h5w_put(w, g, "run", H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, dn, NULL);
    if (!w->bad && H5DSset_scale(run, "run") < 0)
        h5w_fail(w, "run scale");
    for (int k = 0; k < K; k++)
        idx[k] = k;
    hid_t chk = h5w_put(w, g, "checkpoint", H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, d2 + 1, NULL);
    if (!w->bad && H5DSset_scale(chk, "checkpoint") < 0)
        h5w_fail(w, "checkpoint scale");
    hid_t ds = h5w_put(w, g, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, t->status, 1, dn, NULL);
    h5w_attr_str(w, ds, "meaning", status_names);
    h5w_attach(w, ds, run, 0);
    h5w_close(ds);
    /* settings */
    for (int c = 0; c < st->ncol && !w->bad; c++) {
        const column *cl = &st->col[c];
        if (cl->kind == COL_REAL)
            ds = h5w_put(w, g, cl->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cl->data, 1, dn, NULL);
        else if (cl->kind == COL_INT)
            ds = h5w_put(w, g, cl->name, H5T_STD_I64LE, H5T_NATIVE_INT64, cl->data, 1, dn, NULL);
        else
            ds = h5w_put(w, g, cl->name, w->str, w->str, cl->data, 1, dn, NULL);
        h5w_attr_str(w, ds, "role", c < cfg_nfields ? "setting" : "SGD temperature lr / batch (the spec's value when given)");
        h5w_attach(w, ds, run, 0);
        h5w_close(ds);
    }
    /* metrics (status is its own column) */
    for (int m = 0; m < met_nfields && !w->bad; m++) {
        const met_field *mf = &met_fields[m];
        if (mf->type == MET_STATUS)
            continue;
        for (long i = 0; i < n; i++)
            col[i] = t->metric[(size_t)i * met_nfields + m];
        if (mf->type == MET_LONG) { /* integer metrics: -2 where not run */
            for (long i = 0; i < n; i++)
                idx[i] = isnan(col[i]) ? -2 : (int64_t)col[i];
            ds = h5w_put(w, g, mf->name, H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, dn, NULL);
        } else {
            ds = h5w_put(w, g, mf->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col, 1, dn, NULL);
        }
        h5w_attr_str(w, ds, "description", mf->help);
        h5w_attach(w, ds, run, 0);
        h5w_close(ds);
    }
    /* where each run ran and why it failed (not scientific content) */
    for (long i = 0; i < n; i++)
        strs[i] = t->host[i];
    ds = h5w_put(w, g, "host", w->str, w->str, strs, 1, dn, NULL);
    h5w_attach(w, ds, run, 0);
    h5w_close(ds);
    ds = h5w_put(w, g, "rank", H5T_STD_I32LE, H5T_NATIVE_INT32, t->rank, 1, dn, NULL);
    h5w_attach(w, ds, run, 0);
    h5w_close(ds);
    for (long i = 0; i < n; i++)
        strs[i] = t->msg[i];
    ds = h5w_put(w, g, "error", w->str, w->str, strs, 1, dn, NULL);
    h5w_attach(w, ds, run, 0);
    h5w_close(ds);
    /* learning curves [run x checkpoint], one run per chunk */
    static const char *const cn[5] = {"curve_lr", "curve_train_loss", "curve_train_acc", "curve_test_loss",
                                      "curve_test_acc"};
    if (n > 0) {
        ds = h5w_put(w, g, "curve_step", H5T_STD_I64LE, H5T_NATIVE_INT64, t->step, 2, d2, ck);
        h5w_attr_str(w, ds, "description", "step of each checkpoint (-1: none)");
        h5w_attach(w, ds, run, 0);
        h5w_attach(w, ds, chk, 1);
        h5w_close(ds);
        for (int c = 0; c < 5; c++) {
            ds = h5w_put(w, g, cn[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->curve[c], 2, d2, ck);
            h5w_attach(w, ds, run, 0);
            h5w_attach(w, ds, chk, 1);
            h5w_close(ds);
        }
        write_probes(w, g, st, t, 1, dn, &run, chk, "");
    }
    h5w_close(chk);
    h5w_close(run);
out:
    free(idx), free(col), free(strs);
    if (g >= 0)
        H5Gclose(g);
}

/* ---- /grid: the labelled N-d view of a Cartesian grid --------------------- */

/* the value of axis a at position j, typed like its column */
static int axis_kind(const spec_axis *a)
{
    const cfg_field *f = cfg_find(a->name);
    return f ? col_kind(f->type) : COL_REAL;
}

static void write_grid(h5w *w, hid_t f, const store *st, const sweep_table *t)
{
    const spec *sp = st->sp;
    const int nd = sp->n_dims, K = t->K;
    if (sp->method != SPEC_GRID || nd < 1 || nd > STORE_MAX_DIMS || st->n == 0)
        return;
    hid_t g = h5w_group(w, f, "grid");
    hsize_t dims[STORE_MAX_DIMS + 2], chunk[STORE_MAX_DIMS + 2];
    hid_t scale[STORE_MAX_DIMS + 2];
    for (int d = 0; d < STORE_MAX_DIMS + 2; d++)
        scale[d] = -1;
    int64_t *iv = NULL;
    double *dv = NULL;
    const char **sv = NULL;
    char coords[2048] = "";
    for (int d = 0; d < nd; d++) {
        const spec_dim *dm = &sp->dims[d];
        dims[d] = (hsize_t)dm->n;
        chunk[d] = 1;
        /* a single axis is its own coordinate; a zip group gets an index
         * coordinate plus one coordinate variable per member */
        size_t nmax = (size_t)dm->n;
        iv = realloc(iv, nmax * sizeof *iv), dv = realloc(dv, nmax * sizeof *dv), sv = realloc(sv, nmax * sizeof *sv);
        if (!iv || !dv || !sv) {
            h5w_fail(w, "grid (out of memory)");
            break;
        }
        for (int m = 0; m < (dm->n_axes > 1 ? dm->n_axes + 1 : 1) && !w->bad; m++) {
            const int is_index = dm->n_axes > 1 && m == 0;
            const spec_axis *a = is_index ? NULL : &sp->axes[dm->axes[dm->n_axes > 1 ? m - 1 : 0]];
            const char *name = is_index || dm->n_axes == 1 ? dm->name : a->name;
            int kind = is_index ? COL_INT : axis_kind(a);
            for (int j = 0; j < dm->n; j++) {
                if (is_index) {
                    iv[j] = j;
                    continue;
                }
                const char *txt = a->values[j];
                const cfg_field *cf = cfg_find(a->name);
                if (kind == COL_STR) {
                    sv[j] = txt;
                } else if (kind == COL_INT) {
                    cfg tmp;
                    sgd_err e2 = {0};
                    cfg_defaults(&tmp);
                    cfg_set(&tmp, cf, txt, a->name, &e2);
                    const void *p = (const char *)&tmp + cf->offset;
                    iv[j] = cf->type == CFG_LONG ? *(const long *)p
                            : cf->type == CFG_I64 ? *(const int64_t *)p
                                                  : *(const int *)p;
                } else {
                    dv[j] = strtod(txt, NULL);
                }
            }
            hid_t ds = kind == COL_STR ? h5w_put(w, g, name, w->str, w->str, sv, 1, &dims[d], NULL)
                       : kind == COL_INT ? h5w_put(w, g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, iv, 1, &dims[d], NULL)
                                         : h5w_put(w, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dv, 1, &dims[d], NULL);
            if (m == 0) {
                if (!w->bad && H5DSset_scale(ds, dm->name) < 0)
                    h5w_fail(w, "grid scale");
                scale[d] = ds;
            } else {
                h5w_attach(w, ds, scale[d], 0);
                h5w_close(ds);
                size_t l = strlen(coords);
                snprintf(coords + l, sizeof coords - l, "%s%s", l ? " " : "", a->name);
            }
        }
    }
    dims[nd] = (hsize_t)K;
    chunk[nd] = (hsize_t)K;
    int64_t *kv = malloc((size_t)K * sizeof *kv);
    if (!kv)
        h5w_fail(w, "grid (out of memory)");
    for (int k = 0; k < K && kv; k++)
        kv[k] = k;
    hid_t chk = h5w_put(w, g, "checkpoint", H5T_STD_I64LE, H5T_NATIVE_INT64, kv, 1, &dims[nd], NULL);
    if (!w->bad && H5DSset_scale(chk, "checkpoint") < 0)
        h5w_fail(w, "checkpoint scale");
    free(kv);
    /* data variables: the run table in row-major grid order is the run
     * index order, so every per-run array is written as is */
    double *col = malloc((size_t)st->n * sizeof *col);
    if (!col)
        h5w_fail(w, "grid (out of memory)");
#define ATTACH_ALL(ds, withk)                          \
    do {                                               \
        for (int d_ = 0; d_ < nd; d_++)                \
            h5w_attach(w, ds, scale[d_], (unsigned)d_);    \
        if (withk)                                     \
            h5w_attach(w, ds, chk, (unsigned)nd);          \
        if (coords[0])                                 \
            h5w_attr_str(w, ds, "coordinates", coords);    \
    } while (0)
    hid_t ds = h5w_put(w, g, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, t->status, nd, dims, NULL);
    h5w_attr_str(w, ds, "meaning", status_names);
    ATTACH_ALL(ds, 0);
    h5w_close(ds);
    ds = h5w_put(w, g, "lr_run", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, st->lr, nd, dims, NULL);
    h5w_attr_str(w, ds, "description", "learning rate of each run (derived when temperature is swept)");
    ATTACH_ALL(ds, 0);
    h5w_close(ds);
    for (int m = 0; m < met_nfields && !w->bad; m++) {
        if (met_fields[m].type == MET_STATUS)
            continue;
        for (long i = 0; i < st->n; i++)
            col[i] = t->metric[(size_t)i * met_nfields + m];
        ds = h5w_put(w, g, met_fields[m].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col, nd, dims, NULL);
        h5w_attr_str(w, ds, "description", met_fields[m].help);
        ATTACH_ALL(ds, 0);
        h5w_close(ds);
    }
    static const char *const cn[5] = {"curve_lr", "curve_train_loss", "curve_train_acc", "curve_test_loss",
                                      "curve_test_acc"};
    ds = h5w_put(w, g, "curve_step", H5T_STD_I64LE, H5T_NATIVE_INT64, t->step, nd + 1, dims, chunk);
    ATTACH_ALL(ds, 1);
    h5w_close(ds);
    for (int c = 0; c < 5; c++) {
        ds = h5w_put(w, g, cn[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->curve[c], nd + 1, dims, chunk);
        ATTACH_ALL(ds, 1);
        h5w_close(ds);
    }
#undef ATTACH_ALL
    write_probes(w, g, st, t, nd, dims, scale, chk, coords);
    free(col);
    h5w_close(chk);
    for (int d = 0; d < nd; d++)
        h5w_close(scale[d]);
    free(iv), free(dv), free(sv);
    if (g >= 0)
        H5Gclose(g);
}

int store_write(store *st, const sweep_table *t, const store_prov *p, sgd_err *e)
{
    /* built in memory and written whole (h5w_commit): a full disk fails our
     * write, not HDF5 in the middle of its metadata, and PATH keeps the
     * previous complete file */
    h5w w;
    hid_t f = h5w_create(&w, st->path, e);
    if (f < 0)
        return e->code;
    write_provenance(&w, f, st, t, p);
    write_runs(&w, f, st, t);
    write_grid(&w, f, st, t);
    return h5w_commit(&w, f, st->tmp);
}
