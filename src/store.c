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

/* A settings column. Most settings are the same in every run of a sweep:
 * a column holds run 0's value and gets per-run storage only when some run
 * differs (then the file stores it in full; else as one fill value). */
typedef struct {
    const char *name;
    int kind;
    const cfg_field *f;   /* NULL: temperature */
    double d;             /* COL_REAL: run 0's value */
    int64_t q;            /* COL_INT: run 0's value */
    void *per_run;        /* NULL while every run has run 0's value; then double / int64_t / int32_t [n]
                             (COL_STR: an index into dict) */
    char **dict;          /* COL_STR: the distinct values, run 0's first */
    int ndict, last;      /* last: the index looked up last */
    int32_t *hash;        /* COL_STR: open addressing over dict, hcap slots (-1: empty) */
    int hcap;
} column;

struct store {
    const spec *sp;
    char *path, *tmp;
    long n;
    int ncol;
    column *col;          /* cfg fields, then temperature */
    int lr_col;           /* the lr column (the grid's lr_run) */
    int mli_points;       /* the mli_points of every run with mli; 0: no run has mli, -1: they differ */
    int deflate;          /* gzip level of the curves and probe arrays, 0: none */
    void **axis_val;      /* grid: each axis's values, typed like its column (int64_t / double; strings: NULL) */
};

void store_set_deflate(store *st, int level) { st->deflate = level; }

static int col_kind(cfg_type t)
{
    return t == CFG_REAL ? COL_REAL : (t == CFG_ENUM || t == CFG_STR) ? COL_STR : COL_INT;
}

void store_free(store *st)
{
    if (!st)
        return;
    for (int c = 0; st->col && c < st->ncol; c++) {
        column *cl = &st->col[c];
        for (int k = 0; k < cl->ndict; k++)
            free(cl->dict[k]);
        free(cl->dict), free(cl->hash), free(cl->per_run);
    }
    free(st->col);
    for (int a = 0; st->axis_val && a < st->sp->n_axes; a++)
        free(st->axis_val[a]);
    free(st->axis_val);
    free(st->path);
    free(st->tmp);
    free(st);
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* index of value v in cl->dict, added if new; -1 if out of memory */
static int dict_index(column *cl, const char *v)
{
    if (cl->ndict && !strcmp(cl->dict[cl->last], v))
        return cl->last;
    if (2 * (cl->ndict + 1) > cl->hcap) { /* grow and rehash */
        int cap = cl->hcap ? 2 * cl->hcap : 16;
        int32_t *h = malloc((size_t)cap * sizeof *h);
        char **d = realloc(cl->dict, (size_t)cap * sizeof *d);
        if (!h || !d) {
            free(h);
            if (d)
                cl->dict = d;
            return -1;
        }
        cl->dict = d;
        for (int k = 0; k < cap; k++)
            h[k] = -1;
        for (int k = 0; k < cl->ndict; k++) {
            uint32_t j = str_hash(d[k]) & (uint32_t)(cap - 1);
            while (h[j] >= 0)
                j = (j + 1) & (uint32_t)(cap - 1);
            h[j] = k;
        }
        free(cl->hash);
        cl->hash = h, cl->hcap = cap;
    }
    uint32_t j = str_hash(v) & (uint32_t)(cl->hcap - 1);
    for (; cl->hash[j] >= 0; j = (j + 1) & (uint32_t)(cl->hcap - 1))
        if (!strcmp(cl->dict[cl->hash[j]], v))
            return cl->last = cl->hash[j];
    if (!(cl->dict[cl->ndict] = strdup(v)))
        return -1;
    cl->hash[j] = cl->ndict;
    return cl->last = cl->ndict++;
}

/* record run i's value of column cl (0 ok, -1 out of memory) */
static int col_add(column *cl, long n, long i, const cfg *s, double temp)
{
    const void *p = cl->f ? (const char *)s + cl->f->offset : NULL;
    if (cl->kind == COL_REAL) {
        double v = p ? *(const double *)p : temp;
        if (i == 0)
            cl->d = v;
        else if (!cl->per_run && memcmp(&v, &cl->d, sizeof v)) {
            double *a = malloc((size_t)n * sizeof *a);
            if (!a)
                return -1;
            for (long j = 0; j < i; j++)
                a[j] = cl->d;
            cl->per_run = a;
        }
        if (cl->per_run)
            ((double *)cl->per_run)[i] = v;
    } else if (cl->kind == COL_INT) {
        const cfg_type t = cl->f->type;
        int64_t v = t == CFG_LONG ? *(const long *)p : t == CFG_I64 ? *(const int64_t *)p : *(const int *)p;
        if (i == 0)
            cl->q = v;
        else if (!cl->per_run && v != cl->q) {
            int64_t *a = malloc((size_t)n * sizeof *a);
            if (!a)
                return -1;
            for (long j = 0; j < i; j++)
                a[j] = cl->q;
            cl->per_run = a;
        }
        if (cl->per_run)
            ((int64_t *)cl->per_run)[i] = v;
    } else {
        const char *v = cl->f->type == CFG_ENUM ? cl->f->choices[*(const int *)p] : (const char *)p;
        int k = dict_index(cl, v);
        if (k < 0)
            return -1;
        if (k && !cl->per_run && !(cl->per_run = calloc((size_t)n, sizeof(int32_t))))
            return -1;
        if (cl->per_run)
            ((int32_t *)cl->per_run)[i] = k;
    }
    return 0;
}

/* the value of axis a at position j, typed like its column */
static int axis_kind(const spec_axis *a)
{
    const cfg_field *f = cfg_find(a->name);
    return f ? col_kind(f->type) : COL_REAL;
}

/* the grid's coordinate values of every axis, parsed once */
static int axis_values(store *st)
{
    const spec *sp = st->sp;
    if (sp->method != SPEC_GRID || sp->n_axes < 1)
        return 0;
    if (!(st->axis_val = calloc((size_t)sp->n_axes, sizeof *st->axis_val)))
        return -1;
    for (int k = 0; k < sp->n_axes; k++) {
        const spec_axis *a = &sp->axes[k];
        const cfg_field *cf = cfg_find(a->name);
        const int kind = axis_kind(a);
        if (kind == COL_STR)
            continue;
        if (!(st->axis_val[k] = malloc((size_t)(a->n > 0 ? a->n : 1) * 8)))
            return -1;
        cfg tmp;
        cfg_defaults(&tmp);
        for (int j = 0; j < a->n; j++) {
            if (kind == COL_INT) {
                sgd_err e2 = {0};
                cfg_set(&tmp, cf, a->values[j], a->name, &e2);
                const void *p = (const char *)&tmp + cf->offset;
                ((int64_t *)st->axis_val[k])[j] = cf->type == CFG_LONG ? *(const long *)p
                                                  : cf->type == CFG_I64 ? *(const int64_t *)p
                                                                        : *(const int *)p;
            } else {
                ((double *)st->axis_val[k])[j] = strtod(a->values[j], NULL);
            }
        }
    }
    return 0;
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
    if (!st->path || !st->tmp || !st->col)
        goto oom;
    sprintf(st->tmp, "%s.tmp", path);
    for (int c = 0; c < st->ncol; c++) {
        column *cl = &st->col[c];
        cl->f = c < cfg_nfields ? &cfg_fields[c] : NULL;
        cl->name = cl->f ? cl->f->name : "temperature";
        cl->kind = cl->f ? col_kind(cl->f->type) : COL_REAL;
        if (cl->f && !strcmp(cl->name, "lr"))
            st->lr_col = c;
    }
    for (long i = 0; i < st->n; i++) {
        cfg s;
        double temp;
        if (spec_run_temperature(sp, i, &s, &temp, e)) {
            store_free(st);
            return NULL;
        }
        for (int c = 0; c < st->ncol; c++)
            if (col_add(&st->col[c], st->n, i, &s, temp))
                goto oom;
        if (s.mli)
            st->mli_points = st->mli_points == 0 || st->mli_points == s.mli_points ? s.mli_points : -1;
    }
    if (axis_values(st))
        goto oom;
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

/* ---- datasets: stored once, in /runs; /grid shows them ------------------- */

/* What /runs stored for each data variable, so that /grid can show it:
 * one fill value (uniform) or the data, which /grid views. */
typedef struct {
    char name[72];
    int uniform;
    unsigned char val[8];  /* the value when uniform */
    unsigned char fill[8]; /* the fill value of the data otherwise (padding, not run) */
} stored;

typedef struct {
    h5w w;
    const store *st;
    const sweep_table *t;
    stored *sd;
    int nsd, capsd;
    /* where the datasets of the group being written go: /runs [n (x width)]
     * or /grid [dims... (x width)], their leading scales and coordinates */
    int grid, nd;
    hsize_t lead[STORE_MAX_DIMS + 2];
    hid_t lead_scale[STORE_MAX_DIMS + 2];
    const char *coords;
} wctx;

static void note_stored(wctx *c, const char *name, int uniform, const void *val, const void *fill, size_t esize)
{
    if (c->nsd == c->capsd) {
        int cap = c->capsd ? 2 * c->capsd : 64;
        stored *n = realloc(c->sd, (size_t)cap * sizeof *n);
        if (!n) {
            h5w_fail(&c->w, "dataset list (out of memory)");
            return;
        }
        c->sd = n, c->capsd = cap;
    }
    stored *s = &c->sd[c->nsd++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->uniform = uniform;
    memset(s->val, 0, sizeof s->val);
    memset(s->fill, 0, sizeof s->fill);
    if (uniform && val)
        memcpy(s->val, val, esize);
    if (fill)
        memcpy(s->fill, fill, esize);
}

static const stored *find_stored(const wctx *c, const char *name)
{
    for (int i = 0; i < c->nsd; i++)
        if (!strcmp(c->sd[i].name, name))
            return &c->sd[i];
    return NULL;
}

/* Data variable `name`: n values (width 0) or n rows of width values, one
 * row per run in run order, esize bytes each. In /runs: one fill value when
 * all are equal, else the data (rows chunked, unwritten where all *fill).
 * In /grid: the grid's shape, the same fill value, or a view of /runs.
 * The leading scales are attached, and wscale at the width's dimension. */
static hid_t put_var(wctx *c, hid_t g, const char *name, hid_t ftype, hid_t mtype, size_t esize, const void *buf,
                     int width, const void *fill, hid_t wscale)
{
    h5w *w = &c->w;
    const long n = c->t->n_runs;
    hsize_t dims[STORE_MAX_DIMS + 2];
    const int nd = c->nd, rank = nd + (width > 0);
    for (int d = 0; d < nd; d++)
        dims[d] = c->lead[d];
    if (width > 0)
        dims[nd] = (hsize_t)width;
    hid_t ds = -1;
    if (w->bad)
        return -1;
    if (!c->grid) {
        const size_t nel = (size_t)n * (width > 0 ? (size_t)width : 1);
        const int uni = h5w_uniform(buf, nel, esize);
        if (uni)
            ds = h5w_put_fill(w, g, name, ftype, mtype, nel ? buf : fill, rank, dims);
        else if (width > 0)
            ds = h5w_put_rows(w, g, name, ftype, mtype, esize, buf, (hsize_t)n, (hsize_t)width, fill, c->st->deflate);
        else
            ds = h5w_put(w, g, name, ftype, mtype, buf, 1, dims, NULL);
        note_stored(c, name, uni, nel ? buf : fill, fill, esize);
    } else {
        const stored *s = find_stored(c, name);
        char src[96];
        hsize_t sd[2] = {(hsize_t)n, (hsize_t)width};
        snprintf(src, sizeof src, "/runs/%s", name);
        if (!s)
            h5w_fail(w, name);
        else if (s->uniform)
            ds = h5w_put_fill(w, g, name, ftype, mtype, s->val, rank, dims);
        else
            ds = h5w_put_view(w, g, name, ftype, mtype, s->fill, rank, dims, src, width > 0 ? 2 : 1, sd);
    }
    for (int d = 0; d < nd; d++)
        h5w_attach(w, ds, c->lead_scale[d], (unsigned)d);
    if (width > 0)
        h5w_attach(w, ds, wscale, (unsigned)nd);
    if (c->grid && c->coords[0])
        h5w_attr_str(w, ds, "coordinates", c->coords);
    return ds;
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

static const double nan_fill = NAN;

/* Write the probe curves [lead... x K] and the probe arrays [lead... x L]
 * the table holds into g, with the checkpoint scale chk (curves) or the
 * array's own dimension scale (created here, one per distinct dimension). */
static void write_probes(wctx *c, hid_t g, hid_t chk)
{
    h5w *w = &c->w;
    const sweep_table *t = c->t;
    char name[160];
    for (int k = 0; k < N_PCURVE && !w->bad; k++) {
        if (!t->pcurve[k])
            continue;
        snprintf(name, sizeof name, "curve_%s", pcurve_fields[k].name);
        hid_t ds = put_var(c, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof(double), t->pcurve[k], t->K,
                           &nan_fill, chk);
        h5w_attr_str(w, ds, "description", pcurve_fields[k].help);
        h5w_close(ds);
    }
    /* arrays: [lead... x L], L the table's row length; the arrays that share
     * a dimension have the same length in every run (probe_array_len) */
    char dname[N_PARR][64];
    hid_t scale[N_PARR];
    for (int a = 0; a < N_PARR; a++) {
        scale[a] = -1;
        dim_name(a, dname[a], sizeof dname[a]);
    }
    for (int a = 0; a < N_PARR && !w->bad; a++) {
        if (!t->parr[a])
            continue;
        const int L = t->parr_max[a];
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
            const int alpha = !strcmp(parr_fields[a].dim, parr_fields[PA_MLI_ALPHA].dim) && c->st->mli_points == L;
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
        } else if (t->parr_max[first] != L) {
            h5w_fail(w, "probe arrays of one dimension with different lengths");
            break;
        } else {
            scale[a] = scale[first];
        }
        hid_t ds = put_var(c, g, parr_fields[a].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof(double), t->parr[a],
                           L, &nan_fill, scale[a]);
        h5w_attr_str(w, ds, "description", parr_fields[a].help);
        h5w_close(ds);
    }
    for (int a = 0; a < N_PARR; a++) { /* each scale once: the array that made it */
        int owner = scale[a] >= 0;
        for (int b = 0; b < a && owner; b++)
            owner = scale[b] != scale[a];
        if (owner)
            h5w_close(scale[a]);
    }
}

static const char *const curve_names[5] = {"curve_lr", "curve_train_loss", "curve_train_acc", "curve_test_loss",
                                           "curve_test_acc"};

/* the learning curves, probe curves and arrays */
static void write_curves(wctx *c, hid_t g, hid_t chk)
{
    const sweep_table *t = c->t;
    static const int64_t no_step = -1;
    hid_t ds = put_var(c, g, "curve_step", H5T_STD_I64LE, H5T_NATIVE_INT64, sizeof(int64_t), t->step, t->K, &no_step,
                       chk);
    h5w_attr_str(&c->w, ds, "description", "step of each checkpoint (-1: none)");
    h5w_close(ds);
    for (int k = 0; k < 5; k++)
        h5w_close(put_var(c, g, curve_names[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof(double), t->curve[k], t->K,
                          &nan_fill, chk));
    write_probes(c, g, chk);
}

/* ---- /runs: one row per run ----------------------------------------------- */

/* the strings of a string column (its dictionary's values in run order;
 * one fill value when idx is NULL), returned open */
static hid_t put_strings(wctx *c, hid_t g, const char *name, const char *const *dict, const int32_t *idx,
                        const char **strs, hid_t run)
{
    h5w *w = &c->w;
    const long n = c->t->n_runs;
    hsize_t dn[1] = {(hsize_t)n};
    hid_t ds;
    if (!idx) {
        ds = h5w_put_fill(w, g, name, w->str, w->str, &dict[0], 1, dn);
    } else {
        for (long i = 0; i < n; i++)
            strs[i] = idx[i] >= 0 ? dict[idx[i]] : "";
        ds = h5w_put(w, g, name, w->str, w->str, strs, 1, dn, NULL);
    }
    h5w_attach(w, ds, run, 0);
    return ds;
}

/* `error`: "" except the failed runs' messages, written one by one into
 * chunks whose fill value is "" */
static void put_errors(wctx *c, hid_t g, hid_t run)
{
    h5w *w = &c->w;
    const sweep_table *t = c->t;
    const long n = t->n_runs;
    hsize_t dn[1] = {(hsize_t)n}, ck[1] = {n < 4096 ? (hsize_t)n : 4096};
    static const char *const empty = "";
    long k = 0;
    for (long i = 0; i < n; i++)
        k += t->msg[i] != NULL;
    if (w->bad)
        return;
    hid_t ds = -1;
    if (k == 0 || n == 0) {
        ds = h5w_put_fill(w, g, "error", w->str, w->str, &empty, 1, dn);
    } else {
        hid_t sp = H5Screate_simple(1, dn, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
        hsize_t *at = malloc((size_t)k * sizeof *at);
        const char **v = malloc((size_t)k * sizeof *v);
        if (sp >= 0 && pl >= 0 && at && v && H5Pset_chunk(pl, 1, ck) >= 0 && H5Pset_fill_value(pl, w->str, &empty) >= 0)
            ds = H5Dcreate2(g, "error", w->str, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
        if (ds >= 0) {
            long j = 0;
            for (long i = 0; i < n; i++)
                if (t->msg[i])
                    at[j] = (hsize_t)i, v[j++] = t->msg[i];
            hsize_t kk = (hsize_t)k;
            hid_t ms = H5Screate_simple(1, &kk, NULL);
            if (ms < 0 || H5Sselect_elements(sp, H5S_SELECT_SET, (size_t)k, at) < 0 ||
                H5Dwrite(ds, w->str, ms, sp, H5P_DEFAULT, v) < 0)
                h5w_fail(w, "error");
            if (ms >= 0)
                H5Sclose(ms);
        } else {
            h5w_fail(w, "error");
        }
        free(at), free(v);
        if (pl >= 0)
            H5Pclose(pl);
        if (sp >= 0)
            H5Sclose(sp);
    }
    h5w_attach(w, ds, run, 0);
    h5w_close(ds);
}

static void write_runs(wctx *c, hid_t f)
{
    h5w *w = &c->w;
    const store *st = c->st;
    const sweep_table *t = c->t;
    const long n = st->n;
    const int K = t->K;
    hid_t g = h5w_group(w, f, "runs");
    hsize_t dn[1] = {(hsize_t)n}, dk[1] = {(hsize_t)K};
    int64_t *idx = malloc(((size_t)n > (size_t)K ? (size_t)n : (size_t)K) * sizeof *idx);
    double *col = malloc((size_t)n * sizeof *col);
    const char **strs = malloc((size_t)n * sizeof *strs);
    if (!idx || !col || !strs)
        h5w_fail(w, "/runs (out of memory)");
    if (w->bad)
        goto out;
    for (long i = 0; i < n; i++)
        idx[i] = i;
    hid_t run = h5w_put(w, g, "run", H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, dn, NULL);
    if (!w->bad && H5DSset_scale(run, "run") < 0)
        h5w_fail(w, "run scale");
    for (int k = 0; k < K; k++)
        idx[k] = k;
    hid_t chk = h5w_put(w, g, "checkpoint", H5T_STD_I64LE, H5T_NATIVE_INT64, idx, 1, dk, NULL);
    if (!w->bad && H5DSset_scale(chk, "checkpoint") < 0)
        h5w_fail(w, "checkpoint scale");
    c->grid = 0, c->nd = 1, c->lead[0] = (hsize_t)n, c->lead_scale[0] = run, c->coords = "";
    static const int8_t pending = ST_PENDING;
    hid_t ds = put_var(c, g, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, t->status, 0, &pending, -1);
    h5w_attr_str(w, ds, "meaning", status_names);
    h5w_close(ds);
    /* settings */
    for (int k = 0; k < st->ncol && !w->bad; k++) {
        const column *cl = &st->col[k];
        if (cl->kind == COL_STR) {
            ds = put_strings(c, g, cl->name, (const char *const *)cl->dict, cl->per_run, strs, run);
        } else if (cl->kind == COL_REAL) {
            ds = cl->per_run ? h5w_put(w, g, cl->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cl->per_run, 1, dn, NULL)
                             : h5w_put_fill(w, g, cl->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &cl->d, 1, dn);
            h5w_attach(w, ds, run, 0);
        } else {
            ds = cl->per_run ? h5w_put(w, g, cl->name, H5T_STD_I64LE, H5T_NATIVE_INT64, cl->per_run, 1, dn, NULL)
                             : h5w_put_fill(w, g, cl->name, H5T_STD_I64LE, H5T_NATIVE_INT64, &cl->q, 1, dn);
            h5w_attach(w, ds, run, 0);
        }
        h5w_attr_str(w, ds, "role", cl->f ? "setting" : "SGD temperature lr / batch (the spec's value when given)");
        h5w_close(ds);
    }
    /* metrics (status is its own column) */
    for (int m = 0; m < met_nfields && !w->bad; m++) {
        const met_field *mf = &met_fields[m];
        if (mf->type == MET_STATUS)
            continue;
        const double *mc = t->metric + (size_t)m * n;
        if (mf->type == MET_LONG) { /* integer metrics: -2 where not run */
            static const int64_t not_run = -2;
            for (long i = 0; i < n; i++)
                idx[i] = isnan(mc[i]) ? -2 : (int64_t)mc[i];
            ds = put_var(c, g, mf->name, H5T_STD_I64LE, H5T_NATIVE_INT64, sizeof(int64_t), idx, 0, &not_run, -1);
        } else {
            ds = put_var(c, g, mf->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof(double), mc, 0, &nan_fill, -1);
        }
        h5w_attr_str(w, ds, "description", mf->help);
        h5w_close(ds);
    }
    /* where each run ran and why it failed (not scientific content) */
    int32_t *hid = (int32_t *)col; /* n int32 fit in n doubles */
    int one_host = 1;
    for (long i = 0; i < n; i++)
        one_host &= t->host[i] == t->host[0];
    if (one_host) {
        const char *h = n ? sweep_table_host(t, 0) : "";
        h5w_close(put_strings(c, g, "host", &h, NULL, strs, run));
    } else {
        /* index -1 (not run) reads as "" */
        memcpy(hid, t->host, (size_t)n * sizeof *hid);
        h5w_close(put_strings(c, g, "host", (const char *const *)t->host_name, hid, strs, run));
    }
    static const int32_t no_rank = -1;
    h5w_close(put_var(c, g, "rank", H5T_STD_I32LE, H5T_NATIVE_INT32, sizeof(int32_t), t->rank, 0, &no_rank, -1));
    put_errors(c, g, run);
    /* learning curves [run x checkpoint] */
    if (n > 0)
        write_curves(c, g, chk);
    h5w_close(chk);
    h5w_close(run);
out:
    free(idx), free(col), free(strs);
    if (g >= 0)
        H5Gclose(g);
}

/* ---- /grid: the labelled N-d view of a Cartesian grid --------------------- */

static void write_grid(wctx *c, hid_t f)
{
    h5w *w = &c->w;
    const store *st = c->st;
    const sweep_table *t = c->t;
    const spec *sp = st->sp;
    const int nd = sp->n_dims, K = t->K;
    if (sp->method != SPEC_GRID || nd < 1 || nd > STORE_MAX_DIMS || st->n == 0)
        return;
    hid_t g = h5w_group(w, f, "grid");
    hsize_t dims[STORE_MAX_DIMS + 2];
    hid_t scale[STORE_MAX_DIMS + 2];
    for (int d = 0; d < STORE_MAX_DIMS + 2; d++)
        scale[d] = -1;
    int64_t *iv = NULL;
    char coords[2048] = "";
    for (int d = 0; d < nd; d++) {
        const spec_dim *dm = &sp->dims[d];
        dims[d] = (hsize_t)dm->n;
        /* a single axis is its own coordinate; a zip group gets an index
         * coordinate plus one coordinate variable per member */
        for (int m = 0; m < (dm->n_axes > 1 ? dm->n_axes + 1 : 1) && !w->bad; m++) {
            const int is_index = dm->n_axes > 1 && m == 0;
            const int ax = is_index ? -1 : dm->axes[dm->n_axes > 1 ? m - 1 : 0];
            const spec_axis *a = is_index ? NULL : &sp->axes[ax];
            const char *name = is_index || dm->n_axes == 1 ? dm->name : a->name;
            int kind = is_index ? COL_INT : axis_kind(a);
            hid_t ds = -1;
            if (is_index) {
                int64_t *niv = realloc(iv, (size_t)dm->n * sizeof *iv);
                if (!niv) {
                    h5w_fail(w, "grid (out of memory)");
                    break;
                }
                iv = niv;
                for (int j = 0; j < dm->n; j++)
                    iv[j] = j;
                ds = h5w_put(w, g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, iv, 1, &dims[d], NULL);
            } else if (kind == COL_STR) {
                ds = h5w_put(w, g, name, w->str, w->str, a->values, 1, &dims[d], NULL);
            } else {
                ds = kind == COL_INT
                         ? h5w_put(w, g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, st->axis_val[ax], 1, &dims[d], NULL)
                         : h5w_put(w, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, st->axis_val[ax], 1, &dims[d], NULL);
            }
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
    int64_t *kv = malloc((size_t)K * sizeof *kv);
    if (!kv)
        h5w_fail(w, "grid (out of memory)");
    for (int k = 0; k < K && kv; k++)
        kv[k] = k;
    hid_t chk = h5w_put(w, g, "checkpoint", H5T_STD_I64LE, H5T_NATIVE_INT64, kv, 1, &dims[nd], NULL);
    if (!w->bad && H5DSset_scale(chk, "checkpoint") < 0)
        h5w_fail(w, "checkpoint scale");
    free(kv);
    /* data variables: the run table in row-major grid order is the run index
     * order, so each is /runs' dataset in the grid's shape (a view) or, where
     * every run has the same value, that fill value */
    c->grid = 1, c->nd = nd, c->coords = coords;
    for (int d = 0; d < nd; d++)
        c->lead[d] = dims[d], c->lead_scale[d] = scale[d];
    hid_t ds = put_var(c, g, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, NULL, 0, NULL, -1);
    h5w_attr_str(w, ds, "meaning", status_names);
    h5w_close(ds);
    /* lr_run: the lr column */
    const column *lr = &st->col[st->lr_col];
    if (!w->bad) {
        hsize_t dn[1] = {(hsize_t)st->n};
        ds = lr->per_run ? h5w_put_view(w, g, "lr_run", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan_fill, nd, dims,
                                        "/runs/lr", 1, dn)
                         : h5w_put_fill(w, g, "lr_run", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &lr->d, nd, dims);
        for (int d = 0; d < nd; d++)
            h5w_attach(w, ds, scale[d], (unsigned)d);
        if (coords[0])
            h5w_attr_str(w, ds, "coordinates", coords);
        h5w_attr_str(w, ds, "description", "learning rate of each run (derived when temperature is swept)");
        h5w_close(ds);
    }
    for (int m = 0; m < met_nfields && !w->bad; m++) {
        const met_field *mf = &met_fields[m];
        if (mf->type == MET_STATUS)
            continue;
        if (mf->type == MET_LONG) {
            /* float64 with NaN where not run (in /runs: int64, -2): its own copy */
            const double *col = t->metric + (size_t)m * st->n;
            ds = h5w_uniform(col, (size_t)st->n, sizeof *col)
                     ? h5w_put_fill(w, g, mf->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col, nd, dims)
                     : h5w_put(w, g, mf->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, col, nd, dims, NULL);
            for (int d = 0; d < nd; d++)
                h5w_attach(w, ds, scale[d], (unsigned)d);
            if (coords[0])
                h5w_attr_str(w, ds, "coordinates", coords);
        } else {
            ds = put_var(c, g, mf->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, sizeof(double), NULL, 0, NULL, -1);
        }
        h5w_attr_str(w, ds, "description", mf->help);
        h5w_close(ds);
    }
    write_curves(c, g, chk);
    h5w_close(chk);
    for (int d = 0; d < nd; d++)
        h5w_close(scale[d]);
    free(iv);
    if (g >= 0)
        H5Gclose(g);
}

int store_write(store *st, const sweep_table *t, const store_prov *p, sgd_err *e)
{
    /* built in memory and written whole (h5w_commit): a full disk fails our
     * write, not HDF5 in the middle of its metadata, and PATH keeps the
     * previous complete file */
    wctx c;
    memset(&c, 0, sizeof c);
    c.st = st, c.t = t;
    hid_t f = h5w_create(&c.w, st->path, e);
    if (f < 0)
        return e->code;
    write_provenance(&c.w, f, st, t, p);
    write_runs(&c, f);
    write_grid(&c, f);
    free(c.sd);
    return h5w_commit(&c.w, f, st->tmp);
}
