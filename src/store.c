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
    }
    return st;
oom:
    store_free(st);
    sgd_fail(e, SGD_ENOMEM, "out of memory (result columns)");
    return NULL;
}

/* ---- HDF5 helpers: each records the first failure in w->bad --------------- */

typedef struct {
    const char *path;
    sgd_err *e;
    int bad;
    hid_t str;      /* variable-length UTF-8 string type */
} writer;

static void fail(writer *w, const char *what)
{
    if (!w->bad)
        sgd_fail(w->e, SGD_EINTERNAL, "%s: HDF5 failed to build %s", w->path, what);
    w->bad = 1;
}

static hid_t create(writer *w, hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                    const hsize_t *chunk)
{
    if (w->bad)
        return -1;
    hid_t sp = H5Screate_simple(rank, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (sp >= 0 && pl >= 0) {
        if (chunk) {
            H5Pset_chunk(pl, rank, chunk);
            H5Pset_shuffle(pl);
            H5Pset_deflate(pl, 4);
        }
        ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    }
    if (pl >= 0)
        H5Pclose(pl);
    if (sp >= 0)
        H5Sclose(sp);
    if (ds < 0)
        fail(w, name);
    return ds;
}

/* create, write all, and return the open dataset (caller closes) */
static hid_t put(writer *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf, int rank,
                 const hsize_t *dims, const hsize_t *chunk)
{
    hid_t ds = create(w, loc, name, ftype, rank, dims, chunk);
    if (ds >= 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        fail(w, name);
    return ds;
}

static void close_ds(hid_t ds)
{
    if (ds >= 0)
        H5Dclose(ds);
}

static void attr_str(writer *w, hid_t loc, const char *name, const char *val)
{
    if (w->bad)
        return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, w->str, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, w->str, &val) < 0)
        fail(w, name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
}

static void attr_num(writer *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val)
{
    if (w->bad)
        return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, val) < 0)
        fail(w, name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
}

static void attach(writer *w, hid_t ds, hid_t scale, unsigned idx)
{
    if (!w->bad && ds >= 0 && scale >= 0 && H5DSattach_scale(ds, scale, idx) < 0)
        fail(w, "dimension scale");
}

static hid_t group(writer *w, hid_t loc, const char *name)
{
    if (w->bad)
        return -1;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        fail(w, name);
    return g;
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

static void write_provenance(writer *w, hid_t f, const store *st, const sweep_table *t, const store_prov *p)
{
    const spec *sp = st->sp;
    int ver = STORE_FORMAT_VERSION;
    char buf[256], now[64];
    attr_str(w, f, "format", "sgdsweep-result");
    attr_num(w, f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &ver);
    attr_str(w, f, "program_version", sgd_version);
    attr_str(w, f, "git_commit", sgd_git);
    attr_str(w, f, "spec_path", sp->path ? sp->path : "");
    attr_str(w, f, "spec_sha256", sp->sha256);
    attr_str(w, f, "command_line", p->command_line ? p->command_line : "");
    iso_time(p->created, buf, sizeof buf);
    attr_str(w, f, "created", buf);
    iso_time((double)time(NULL), now, sizeof now);
    attr_str(w, f, "updated", now);
    attr_str(w, f, "completed", p->complete ? now : "");
    attr_num(w, f, "mpi_size", H5T_STD_I32LE, H5T_NATIVE_INT, &p->mpi_size);
    attr_str(w, f, "hosts", p->hosts ? p->hosts : "");
    attr_num(w, f, "resumes", H5T_STD_I64LE, H5T_NATIVE_LONG, &p->resumes);
    attr_str(w, f, "mpi_version", p->mpi_version ? p->mpi_version : "");
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
    attr_str(w, f, "hdf5_version", buf);
    attr_str(w, f, "blas_version", openblas_get_config());
    attr_str(w, f, "method", sp->method == SPEC_GRID ? "grid" : "random");
    long by_status[4] = {0, 0, 0, 0};
    for (long i = 0; i < t->n_runs; i++)
        by_status[t->status[i] & 3]++;
    attr_num(w, f, "n_runs", H5T_STD_I64LE, H5T_NATIVE_LONG, &t->n_runs);
    attr_num(w, f, "n_pending", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_PENDING]);
    attr_num(w, f, "n_done", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_DONE]);
    attr_num(w, f, "n_diverged", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_DIVERGED]);
    attr_num(w, f, "n_failed", H5T_STD_I64LE, H5T_NATIVE_LONG, &by_status[ST_FAILED]);
    /* the spec verbatim, as a scalar string dataset */
    if (!w->bad) {
        hid_t sp1 = H5Screate(H5S_SCALAR);
        hid_t ds = H5Dcreate2(f, "spec", w->str, sp1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const char *txt = sp->text;
        if (ds < 0 || H5Dwrite(ds, w->str, H5S_ALL, H5S_ALL, H5P_DEFAULT, &txt) < 0)
            fail(w, "/spec");
        close_ds(ds);
        H5Sclose(sp1);
    }
}

/* ---- /runs: one row per run ----------------------------------------------- */

static void write_runs(writer *w, hid_t f, const store *st, const sweep_table *t)
{
    const long n = st->n;
    const int K = t->K;
    hid_t g = group(w, f, "runs");
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
    hid_t run = put(w, g, "run", H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, dn, NULL);
    if (!w->bad && H5DSset_scale(run, "run") < 0)
        fail(w, "run scale");
    for (int k = 0; k < K; k++)
        idx[k] = k;
    hid_t chk = put(w, g, "checkpoint", H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, d2 + 1, NULL);
    if (!w->bad && H5DSset_scale(chk, "checkpoint") < 0)
        fail(w, "checkpoint scale");
    hid_t ds = put(w, g, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, t->status, 1, dn, NULL);
    attr_str(w, ds, "meaning", status_names);
    attach(w, ds, run, 0);
    close_ds(ds);
    /* settings */
    for (int c = 0; c < st->ncol && !w->bad; c++) {
        const column *cl = &st->col[c];
        if (cl->kind == COL_REAL)
            ds = put(w, g, cl->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cl->data, 1, dn, NULL);
        else if (cl->kind == COL_INT)
            ds = put(w, g, cl->name, H5T_STD_I64LE, H5T_NATIVE_INT64, cl->data, 1, dn, NULL);
        else
            ds = put(w, g, cl->name, w->str, w->str, cl->data, 1, dn, NULL);
        attr_str(w, ds, "role", c < cfg_nfields ? "setting" : "SGD temperature lr / batch (the spec's value when given)");
        attach(w, ds, run, 0);
        close_ds(ds);
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
            ds = put(w, g, mf->name, H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, dn, NULL);
        } else {
            ds = put(w, g, mf->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col, 1, dn, NULL);
        }
        attr_str(w, ds, "description", mf->help);
        attach(w, ds, run, 0);
        close_ds(ds);
    }
    /* where each run ran and why it failed (not scientific content) */
    for (long i = 0; i < n; i++)
        strs[i] = t->host[i];
    ds = put(w, g, "host", w->str, w->str, strs, 1, dn, NULL);
    attach(w, ds, run, 0);
    close_ds(ds);
    ds = put(w, g, "rank", H5T_STD_I32LE, H5T_NATIVE_INT32, t->rank, 1, dn, NULL);
    attach(w, ds, run, 0);
    close_ds(ds);
    for (long i = 0; i < n; i++)
        strs[i] = t->msg[i];
    ds = put(w, g, "error", w->str, w->str, strs, 1, dn, NULL);
    attach(w, ds, run, 0);
    close_ds(ds);
    /* learning curves [run x checkpoint], one run per chunk */
    static const char *const cn[5] = {"curve_lr", "curve_train_loss", "curve_train_acc", "curve_test_loss",
                                      "curve_test_acc"};
    if (n > 0) {
        ds = put(w, g, "curve_step", H5T_STD_I64LE, H5T_NATIVE_INT64, t->step, 2, d2, ck);
        attr_str(w, ds, "description", "step of each checkpoint (-1: none)");
        attach(w, ds, run, 0);
        attach(w, ds, chk, 1);
        close_ds(ds);
        for (int c = 0; c < 5; c++) {
            ds = put(w, g, cn[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->curve[c], 2, d2, ck);
            attach(w, ds, run, 0);
            attach(w, ds, chk, 1);
            close_ds(ds);
        }
    }
    close_ds(chk);
    close_ds(run);
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

static void write_grid(writer *w, hid_t f, const store *st, const sweep_table *t)
{
    const spec *sp = st->sp;
    const int nd = sp->n_dims, K = t->K;
    if (sp->method != SPEC_GRID || nd < 1 || nd > STORE_MAX_DIMS || st->n == 0)
        return;
    hid_t g = group(w, f, "grid");
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
            fail(w, "grid (out of memory)");
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
            hid_t ds = kind == COL_STR ? put(w, g, name, w->str, w->str, sv, 1, &dims[d], NULL)
                       : kind == COL_INT ? put(w, g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, iv, 1, &dims[d], NULL)
                                         : put(w, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dv, 1, &dims[d], NULL);
            if (m == 0) {
                if (!w->bad && H5DSset_scale(ds, dm->name) < 0)
                    fail(w, "grid scale");
                scale[d] = ds;
            } else {
                attach(w, ds, scale[d], 0);
                close_ds(ds);
                size_t l = strlen(coords);
                snprintf(coords + l, sizeof coords - l, "%s%s", l ? " " : "", a->name);
            }
        }
    }
    dims[nd] = (hsize_t)K;
    chunk[nd] = (hsize_t)K;
    int64_t *kv = malloc((size_t)K * sizeof *kv);
    if (!kv)
        fail(w, "grid (out of memory)");
    for (int k = 0; k < K && kv; k++)
        kv[k] = k;
    hid_t chk = put(w, g, "checkpoint", H5T_STD_I64LE, H5T_NATIVE_INT64, kv, 1, &dims[nd], NULL);
    if (!w->bad && H5DSset_scale(chk, "checkpoint") < 0)
        fail(w, "checkpoint scale");
    free(kv);
    /* data variables: the run table in row-major grid order is the run
     * index order, so every per-run array is written as is */
    double *col = malloc((size_t)st->n * sizeof *col);
    if (!col)
        fail(w, "grid (out of memory)");
#define ATTACH_ALL(ds, withk)                          \
    do {                                               \
        for (int d_ = 0; d_ < nd; d_++)                \
            attach(w, ds, scale[d_], (unsigned)d_);    \
        if (withk)                                     \
            attach(w, ds, chk, (unsigned)nd);          \
        if (coords[0])                                 \
            attr_str(w, ds, "coordinates", coords);    \
    } while (0)
    hid_t ds = put(w, g, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, t->status, nd, dims, NULL);
    attr_str(w, ds, "meaning", status_names);
    ATTACH_ALL(ds, 0);
    close_ds(ds);
    ds = put(w, g, "lr_run", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, st->lr, nd, dims, NULL);
    attr_str(w, ds, "description", "learning rate of each run (derived when temperature is swept)");
    ATTACH_ALL(ds, 0);
    close_ds(ds);
    for (int m = 0; m < met_nfields && !w->bad; m++) {
        if (met_fields[m].type == MET_STATUS)
            continue;
        for (long i = 0; i < st->n; i++)
            col[i] = t->metric[(size_t)i * met_nfields + m];
        ds = put(w, g, met_fields[m].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col, nd, dims, NULL);
        attr_str(w, ds, "description", met_fields[m].help);
        ATTACH_ALL(ds, 0);
        close_ds(ds);
    }
    static const char *const cn[5] = {"curve_lr", "curve_train_loss", "curve_train_acc", "curve_test_loss",
                                      "curve_test_acc"};
    ds = put(w, g, "curve_step", H5T_STD_I64LE, H5T_NATIVE_INT64, t->step, nd + 1, dims, chunk);
    ATTACH_ALL(ds, 1);
    close_ds(ds);
    for (int c = 0; c < 5; c++) {
        ds = put(w, g, cn[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->curve[c], nd + 1, dims, chunk);
        ATTACH_ALL(ds, 1);
        close_ds(ds);
    }
#undef ATTACH_ALL
    free(col);
    close_ds(chk);
    for (int d = 0; d < nd; d++)
        close_ds(scale[d]);
    free(iv), free(dv), free(sv);
    if (g >= 0)
        H5Gclose(g);
}

int store_write(store *st, const sweep_table *t, const store_prov *p, sgd_err *e)
{
    /* The file is built in memory (HDF5 core driver, no backing store) and
     * then written with plain write(2) to PATH.tmp, fsync'ed and renamed onto
     * PATH. A full disk then fails our write, not HDF5 in the middle of its
     * metadata, and PATH keeps the previous complete file. */
    writer w = {st->path, e, 0, -1};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18);
    H5Pset_fapl_core(fapl, 1 << 20, 0);
    hid_t f = H5Fcreate(st->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return sgd_fail(e, SGD_EINTERNAL, "%s: cannot create the file image in memory", st->path);
    w.str = H5Tcopy(H5T_C_S1);
    H5Tset_size(w.str, H5T_VARIABLE);
    H5Tset_cset(w.str, H5T_CSET_UTF8);
    write_provenance(&w, f, st, t, p);
    write_runs(&w, f, st, t);
    write_grid(&w, f, st, t);
    H5Tclose(w.str);
    char *img = NULL;
    ssize_t size = -1;
    if (!w.bad && H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0 && (size = H5Fget_file_image(f, NULL, 0)) > 0 &&
        (img = malloc((size_t)size)) != NULL && H5Fget_file_image(f, img, (size_t)size) != size)
        size = -1;
    H5Fclose(f);
    if (!w.bad && (size <= 0 || !img)) {
        free(img);
        return sgd_fail(e, SGD_ENOMEM, "%s: cannot build the file image (out of memory?)", st->path);
    }
    if (w.bad) {
        free(img);
        return e->code ? e->code : SGD_EINTERNAL;
    }
    int fd = open(st->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 || io_write_all(fd, img, (size_t)size) != 0 || fsync(fd) != 0;
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = 1, err = errno;
    free(img);
    if (!rc && rename(st->tmp, st->path) != 0)
        rc = 1, err = errno;
    if (!rc) { /* make the rename itself durable */
        char *dir = strdup(st->path), *slash = dir ? strrchr(dir, '/') : NULL;
        if (dir) {
            if (slash)
                *(slash == dir ? slash + 1 : slash) = 0;
            int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
            free(dir);
        }
    }
    if (rc) {
        unlink(st->tmp);
        return sgd_fail(e, SGD_EIO, "%s: cannot write (%s); the previous version is unchanged", st->path,
                        strerror(err));
    }
    return 0;
}
