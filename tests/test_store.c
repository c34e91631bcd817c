/* test_store.c -- the HDF5 result file against docs/FORMAT.md.
 *
 * A spec is parsed in memory, a run table is filled by hand (done, diverged,
 * failed and pending rows, values like 2.385), store_write writes it, and the
 * file is read back with the plain HDF5 C API: every name, rank, shape, type,
 * dimension scale and attribute the format promises, every value at its row
 * in /runs and at its N-d index in /grid (computed here from the row-major
 * rule, not by spec_run_index), and the atomic-write contract (PATH.tmp then
 * rename; a failed write leaves the previous file and no PATH.tmp).
 * A second spec switches probes on for part of its grid: its probe curves and
 * arrays land in /runs and /grid with their own dimension scales, NaN
 * padding and NaN where a run has the probe off; a spec without probes gets
 * none of those datasets. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "store.h"
#include "testutil.h"

/* ---------------------------------------------------------------- specs */

/* dims in order of first key: seed (seeds: comes first), init_scale,
 * batch_temperature (the zip group sits at batch, its first key), act
 * (between batch and temperature in the text, yet after the group). */
static const char GRID_SPEC[] =
    "name: store-test\n"
    "method: grid\n"
    "seeds: [3, 11]\n"
    "parameters:\n"
    "  data: teacher\n"
    "  n_train: 64\n"
    "  n_test: 32\n"
    "  d_in: 3\n"
    "  classes: 2\n"
    "  steps: 10\n"
    "  checkpoints: 3\n"
    "  init_scale: {values: [0.5, 2.385]}\n"
    "  batch: {values: [4, 8, 16]}\n"
    "  act: {values: [relu, tanh]}\n"
    "  temperature: {values: [0.0025, 0.005, 0.01]}\n"
    "zip:\n"
    "  - [batch, temperature]\n";
enum { ND = 4, NRUN = 24, K = 4 };
static const char *const DIM_NAME[ND] = {"seed", "init_scale", "batch_temperature", "act"};
static const hsize_t DIM_N[ND] = {2, 2, 3, 2};
static const int64_t SEED_V[2] = {3, 11};
static const double SCALE_V[2] = {0.5, 2.385};
static const int64_t BATCH_V[3] = {4, 8, 16};
static const double TEMP_V[3] = {0.0025, 0.005, 0.01};
static const char *const ACT_V[2] = {"relu", "tanh"};

static const char RANDOM_SPEC[] =
    "method: random\n"
    "run_count: 3\n"
    "sampling_seed: 5\n"
    "seeds: 2\n"
    "parameters:\n"
    "  data: teacher\n"
    "  n_train: 64\n"
    "  steps: 10\n"
    "  lr: {min: 0.001, max: 0.1, scale: log}\n"
    "  width: {values: [8, 16, 32]}\n";

static spec *parse_ok(const char *text)
{
    spec *sp = NULL;
    sgd_err e = {0};
    ck_assert_msg(spec_parse(text, strlen(text), "mem.yaml", &sp, &e) == 0, "spec_parse: %s", e.msg);
    return sp;
}

/* -------------------------------------------------------- the run table */

/* filled rows: run -> status, checkpoints recorded, message */
typedef struct {
    long run;
    int status, n_ckpt;
    const char *msg;
} row;
static const row ROWS[] = {
    {0, ST_DONE, 3, ""},
    {5, ST_DONE, K, ""},   /* a full row: no padding */
    {7, ST_DIVERGED, 2, ""},
    {11, ST_FAILED, 0, "data_make: cannot read 'x2.385.h5' (no such file)"},
    {23, ST_DONE, 1, ""},
};
enum { NROWS = sizeof ROWS / sizeof ROWS[0] };

static const row *row_of(long i)
{
    for (int r = 0; r < NROWS; r++)
        if (ROWS[r].run == i)
            return &ROWS[r];
    return NULL;
}

/* metric m of run i: integers for MET_LONG, non-trivial reals otherwise */
static double met_value(long i, int m, int status)
{
    if (status == ST_FAILED)
        return NAN; /* a failed run has no metrics (sweep_worker_train) */
    switch (met_fields[m].type) {
    case MET_STATUS: return status;
    case MET_LONG: return 1000.0 * m + 7 * i - 1; /* -1 for run 0 m 0: a legit "-1: none" */
    default: return 2.385 * (m + 1) + i / 7.0;
    }
}
static int64_t step_value(long i, int k) { return k == 0 ? 0 : 10 * k * k + i; }
static double curve_value(long i, int c, int k) { return 2.385 * (c + 1) - 0.125 * k + i / 3.0; }

/* a table K wide with no probe data */
static void init_table(sweep_table *t, long n)
{
    sgd_err e = {0};
    sweep_shape sh;
    sweep_shape_init(&sh);
    sh.K = K;
    ck_assert_int_eq(sweep_table_init(t, n, &sh, &e), 0);
}

static void fill_table(sweep_table *t, long n)
{
    init_table(t, n);
    double *metric = malloc((size_t)met_nfields * sizeof *metric);
    ck_assert_ptr_nonnull(metric);
    for (int r = 0; r < NROWS; r++) {
        const row *w = &ROWS[r];
        if (w->run >= n)
            continue;
        run_record rec;
        memset(&rec, 0, sizeof rec);
        int64_t step[K];
        double cv[5][K];
        rec.run = w->run, rec.status = w->status, rec.n_ckpt = w->n_ckpt, rec.rank = (int)(w->run % 3);
        rec.metric = metric, rec.step = step;
        for (int m = 0; m < met_nfields; m++)
            metric[m] = met_value(w->run, m, w->status);
        for (int c = 0; c < 5; c++)
            rec.curve[c] = cv[c];
        for (int k = 0; k < w->n_ckpt; k++) {
            step[k] = step_value(w->run, k);
            for (int c = 0; c < 5; c++)
                cv[c][k] = curve_value(w->run, c, k);
        }
        snprintf(rec.host, sizeof rec.host, "node-%ld", w->run % 3);
        snprintf(rec.msg, sizeof rec.msg, "%s", w->msg);
        sweep_table_put(t, &rec);
    }
    free(metric);
}

static store_prov prov_of(int complete)
{
    store_prov p = {"sgdsweep run mem.yaml -o r.h5", 1700000000.75, 3, "node-0,node-1,node-2", "Open MPI v4.1.4 (test)",
                    complete, 2};
    return p;
}

/* ------------------------------------------------------------ temp files */

typedef struct {
    char dir[256], path[320], tmp[336];
} paths;

static void paths_make(paths *p)
{
    snprintf(p->dir, sizeof p->dir, "%s/test_store.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(p->dir));
    snprintf(p->path, sizeof p->path, "%s/r.h5", p->dir);
    snprintf(p->tmp, sizeof p->tmp, "%s.tmp", p->path);
}

static void paths_remove(const paths *p)
{
    unlink(p->path);
    unlink(p->tmp);
    rmdir(p->tmp);
    ck_assert_msg(rmdir(p->dir) == 0, "stray files in %s", p->dir);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ------------------------------------------------------- HDF5 read helpers */

static hid_t open_file(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_msg(f >= 0, "cannot open %s", path);
    return f;
}

static hid_t open_ds(hid_t loc, const char *name)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "no dataset %s", name);
    return d;
}

/* rank and dims of a dataset */
static int shape(hid_t d, hsize_t *dims)
{
    hid_t s = H5Dget_space(d);
    int r = H5Sget_simple_extent_ndims(s);
    ck_assert(r >= 0 && r <= 8);
    H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    return r;
}

static void check_shape(hid_t d, const char *name, int rank, const hsize_t *want)
{
    hsize_t dims[8];
    int r = shape(d, dims);
    ck_assert_msg(r == rank, "%s: rank %d, expected %d", name, r, rank);
    for (int i = 0; i < r; i++)
        ck_assert_msg(dims[i] == want[i], "%s: dim %d is %llu, expected %llu", name, i, (unsigned long long)dims[i],
                      (unsigned long long)want[i]);
}

enum { T_F64, T_I64, T_I32, T_I8, T_STR };
static const char *const T_NAME[] = {"float64", "int64", "int32", "int8", "string"};

/* the stored type: little-endian IEEE double, signed little-endian ints,
 * variable-length UTF-8 strings */
static void check_type(hid_t d, const char *name, int want)
{
    hid_t t = H5Dget_type(d);
    H5T_class_t cl = H5Tget_class(t);
    int ok;
    if (want == T_STR)
        ok = cl == H5T_STRING && H5Tis_variable_str(t) > 0 && H5Tget_cset(t) == H5T_CSET_UTF8;
    else if (want == T_F64)
        ok = cl == H5T_FLOAT && H5Tget_size(t) == 8 && H5Tget_order(t) == H5T_ORDER_LE;
    else
        ok = cl == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_2 && H5Tget_order(t) == H5T_ORDER_LE &&
             H5Tget_size(t) == (want == T_I64 ? 8u : want == T_I32 ? 4u : 1u);
    H5Tclose(t);
    ck_assert_msg(ok, "%s: not %s", name, T_NAME[want]);
}

/* open, check type and shape, read everything */
static void *read_all(hid_t loc, const char *name, int type, int rank, const hsize_t *dims)
{
    hid_t d = open_ds(loc, name);
    check_type(d, name, type);
    check_shape(d, name, rank, dims);
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    hid_t mt = type == T_F64 ? H5T_NATIVE_DOUBLE : type == T_I64 ? H5T_NATIVE_INT64 : type == T_I32 ? H5T_NATIVE_INT32
                                                                                      : H5T_NATIVE_INT8;
    void *buf = malloc(n * 8);
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, "%s: read failed", name);
    H5Dclose(d);
    return buf;
}

/* variable-length strings, copied into malloc'ed memory */
static char **read_strs(hid_t loc, const char *name, hsize_t n)
{
    hid_t d = open_ds(loc, name);
    check_type(d, name, T_STR);
    check_shape(d, name, 1, &n);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    char **raw = calloc(n, sizeof *raw), **out = calloc(n, sizeof *out);
    ck_assert(raw && out);
    ck_assert(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    for (hsize_t i = 0; i < n; i++)
        ck_assert_ptr_nonnull(out[i] = strdup(raw[i] ? raw[i] : ""));
    hid_t s = H5Dget_space(d);
    H5Dvlen_reclaim(mt, s, H5P_DEFAULT, raw);
    H5Sclose(s), H5Tclose(mt), H5Dclose(d);
    free(raw);
    return out;
}

static void free_strs(char **s, hsize_t n)
{
    for (hsize_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

/* a scalar variable-length string attribute, malloc'ed */
static char *attr_text(hid_t loc, const char *name)
{
    ck_assert_msg(H5Aexists(loc, name) > 0, "no attribute %s", name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a);
    ck_assert_msg(H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 && H5Tget_cset(t) == H5T_CSET_UTF8,
                  "attribute %s: not a variable-length UTF-8 string", name);
    char *raw = NULL;
    ck_assert(H5Aread(a, t, &raw) >= 0);
    char *out = strdup(raw ? raw : "");
    H5free_memory(raw);
    H5Tclose(t), H5Aclose(a);
    return out;
}

static void check_attr_text(hid_t loc, const char *name, const char *want)
{
    char *v = attr_text(loc, name);
    ck_assert_msg(!strcmp(v, want), "attribute %s = '%s', expected '%s'", name, v, want);
    free(v);
}

/* a scalar integer attribute of the given byte size */
static long long attr_int(hid_t loc, const char *name, size_t size)
{
    ck_assert_msg(H5Aexists(loc, name) > 0, "no attribute %s", name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a), s = H5Aget_space(a);
    ck_assert_msg(H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == size && H5Tget_sign(t) == H5T_SGN_2,
                  "attribute %s: not a %zu-byte signed integer", name, size);
    ck_assert_int_eq(H5Sget_simple_extent_type(s), H5S_SCALAR);
    long long v = 0;
    ck_assert(H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0);
    H5Sclose(s), H5Tclose(t), H5Aclose(a);
    return v;
}

/* d is a dimension scale named `name` */
static void check_scale(hid_t loc, const char *name)
{
    hid_t d = open_ds(loc, name);
    ck_assert_msg(H5DSis_scale(d) > 0, "%s: not a dimension scale", name);
    char buf[256] = "";
    ck_assert(H5DSget_scale_name(d, buf, sizeof buf) > 0);
    ck_assert_msg(!strcmp(buf, name), "%s: scale name '%s'", name, buf);
    H5Dclose(d);
}

/* dataset `name` has scale `scale` attached at dimension idx, and only one */
static void check_attached(hid_t loc, const char *name, const char *scale, unsigned idx)
{
    hid_t d = open_ds(loc, name), s = open_ds(loc, scale);
    ck_assert_msg(H5DSis_attached(d, s, idx) > 0, "%s: scale %s not attached to dimension %u", name, scale, idx);
    ck_assert_int_eq(H5DSget_num_scales(d, idx), 1);
    H5Dclose(s), H5Dclose(d);
}

/* the gzip level store_set_deflate gives the files written here (0: none) */
static int deflate;

/* Nothing stored: a contiguous dataset never written (its fill value is
 * every element) */
static int is_fill_only(hid_t d)
{
    hid_t pl = H5Dget_create_plist(d);
    H5D_fill_value_t fv;
    ck_assert(H5Pfill_value_defined(pl, &fv) >= 0);
    int r = H5Pget_layout(pl) == H5D_CONTIGUOUS && H5Dget_storage_size(d) == 0 && fv == H5D_FILL_VALUE_USER_DEFINED;
    H5Pclose(pl);
    return r;
}

/* How a row variable [lead... x last] is stored (docs/FORMAT.md, Storage):
 * in /runs [run x last], one fill value when every element is the same,
 * else chunked over whole rows [r x last], shuffled then deflated; in /grid,
 * the fill value likewise, else a virtual view of /runs/NAME (one mapping,
 * this file). want_fill: 1 the fill value, 0 stored data, -1 either. */
static void check_storage(hid_t loc, const char *name, int rank, hsize_t last, int grid, int want_fill)
{
    hid_t d = open_ds(loc, name), pl = H5Dget_create_plist(d);
    const int fill = is_fill_only(d);
    if (want_fill >= 0)
        ck_assert_msg(fill == want_fill, "%s: %s", name, fill ? "stored as one fill value" : "data stored");
    if (!fill && grid) {
        ck_assert_msg(H5Pget_layout(pl) == H5D_VIRTUAL, "%s: not a virtual view", name);
        size_t cnt = 0;
        ck_assert(H5Pget_virtual_count(pl, &cnt) >= 0);
        ck_assert_uint_eq(cnt, 1);
        char file[16] = "", src[128] = "", want[128];
        ck_assert(H5Pget_virtual_filename(pl, 0, file, sizeof file) > 0);
        ck_assert(H5Pget_virtual_dsetname(pl, 0, src, sizeof src) > 0);
        snprintf(want, sizeof want, "/runs/%s", name);
        ck_assert_str_eq(file, ".");
        ck_assert_str_eq(src, want);
        /* the view's fill value is the missing-value marker (status 0
         * pending, curve_step -1, NaN): what a /grid copied without /runs
         * shows */
        double fv = 0;
        ck_assert(H5Pget_fill_value(pl, H5T_NATIVE_DOUBLE, &fv) >= 0);
        const double want_fv = !strcmp(name, "status") ? 0 : !strcmp(name, "curve_step") ? -1 : NAN;
        ck_assert_msg(isnan(want_fv) ? isnan(fv) : fv == want_fv, "%s: view fill %g", name, fv);
    } else if (!fill && last == 0) { /* a column: contiguous */
        ck_assert_int_eq(H5Pget_layout(pl), H5D_CONTIGUOUS);
        ck_assert(H5Dget_storage_size(d) > 0);
    } else if (!fill) {
        ck_assert_int_eq(H5Pget_layout(pl), H5D_CHUNKED);
        hsize_t ck[8];
        ck_assert_int_eq(H5Pget_chunk(pl, 8, ck), rank);
        ck_assert_msg(ck[0] >= 1, "%s: chunk dim 0 is 0", name);
        ck_assert_uint_eq(ck[rank - 1], last);
        ck_assert_int_eq(H5Pget_nfilters(pl), deflate ? 2 : 0);
    }
    if (!fill && !grid && deflate && last > 0) {
        unsigned flags, conf;
        size_t nv = 4;
        unsigned vals[4];
        char fname[64];
        ck_assert_int_eq(H5Pget_filter2(pl, 0, &flags, &nv, vals, sizeof fname, fname, &conf), H5Z_FILTER_SHUFFLE);
        nv = 4;
        ck_assert_int_eq(H5Pget_filter2(pl, 1, &flags, &nv, vals, sizeof fname, fname, &conf), H5Z_FILTER_DEFLATE);
    }
    H5Pclose(pl), H5Dclose(d);
}


static void check_curve_storage(hid_t loc, const char *name, int rank, int grid) { check_storage(loc, name, rank, K, grid, -1); }

static hsize_t n_links(hid_t g)
{
    H5G_info_t info;
    ck_assert(H5Gget_info(g, &info) >= 0);
    return info.nlinks;
}

/* the name of g's k-th link, by name order */
static void link_name(hid_t g, hsize_t k, char *name, size_t n)
{
    ck_assert(H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, name, n, H5P_DEFAULT) > 0);
}

/* a sweep without probes has no probe curve, array or array dimension */
static void check_no_probes(hid_t g)
{
    char name[128];
    for (int c = 0; c < N_PCURVE; c++) {
        snprintf(name, sizeof name, "curve_%s", pcurve_fields[c].name);
        ck_assert_msg(H5Lexists(g, name, H5P_DEFAULT) == 0, "%s in a sweep without probes", name);
    }
    for (int a = 0; a < N_PARR; a++) {
        ck_assert_msg(H5Lexists(g, parr_fields[a].name, H5P_DEFAULT) == 0, "%s in a sweep without probes",
                      parr_fields[a].name);
        snprintf(name, sizeof name, "%s_index", parr_fields[a].dim);
        ck_assert(H5Lexists(g, name, H5P_DEFAULT) == 0);
        if (strcmp(parr_fields[a].dim, parr_fields[a].name) != 0)
            ck_assert_msg(H5Lexists(g, parr_fields[a].dim, H5P_DEFAULT) == 0, "dimension %s in a sweep without probes",
                          parr_fields[a].dim);
    }
}

static const char *const CURVES[6] = {"curve_step", "curve_lr", "curve_train_loss", "curve_train_acc",
                                      "curve_test_loss", "curve_test_acc"};

/* store_write t to path as the result file of sp (at gzip level `deflate`) */
static void store_table(const spec *sp, const char *path, const sweep_table *t, int complete)
{
    sgd_err e = {0};
    store *st = store_alloc(sp, path, &e);
    ck_assert_msg(st != NULL, "store_alloc: %s", e.msg);
    store_set_deflate(st, deflate);
    store_prov pv = prov_of(complete);
    ck_assert_msg(store_write(st, t, &pv, &e) == 0, "store_write: %s", e.msg);
    store_free(st);
}

/* write the grid spec's table to a fresh file; the caller removes it */
static void write_grid_file(paths *p, spec **sp, int complete)
{
    *sp = parse_ok(GRID_SPEC);
    ck_assert_int_eq((*sp)->n_runs, NRUN);
    paths_make(p);
    sweep_table t;
    fill_table(&t, NRUN);
    store_table(*sp, p->path, &t, complete);
    sweep_table_destroy(&t);
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_root)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 0);
    hid_t f = open_file(p.path);
    ck_assert_int_eq(attr_int(f, "format_version", 4), STORE_FORMAT_VERSION);
    ck_assert_int_eq(STORE_FORMAT_VERSION, 3); /* changed deliberately: docs/FORMAT.md, Versioning */
    check_attr_text(f, "format", "sgdsweep-result");
    check_attr_text(f, "method", "grid");
    check_attr_text(f, "spec_path", "mem.yaml");
    check_attr_text(f, "spec_sha256", sp->sha256);
    check_attr_text(f, "command_line", "sgdsweep run mem.yaml -o r.h5");
    check_attr_text(f, "created", "2023-11-14T22:13:20Z"); /* date -u -d @1700000000 */
    check_attr_text(f, "completed", "");                  /* not complete */
    check_attr_text(f, "hosts", "node-0,node-1,node-2");
    check_attr_text(f, "mpi_version", "Open MPI v4.1.4 (test)");
    ck_assert_int_eq(attr_int(f, "mpi_size", 4), 3);
    ck_assert_int_eq(attr_int(f, "resumes", 8), 2);
    ck_assert_int_eq(attr_int(f, "n_runs", 8), NRUN);
    ck_assert_int_eq(attr_int(f, "n_done", 8), 3);
    ck_assert_int_eq(attr_int(f, "n_pending", 8), NRUN - 5);
    ck_assert_int_eq(attr_int(f, "n_diverged", 8), 1);
    ck_assert_int_eq(attr_int(f, "n_failed", 8), 1);
    /* provenance strings: present and sensible */
    char *v = attr_text(f, "updated");
    ck_assert_msg(strlen(v) == 20 && v[4] == '-' && v[10] == 'T' && v[19] == 'Z', "updated '%s'", v);
    free(v);
    static const char *const nonempty[] = {"program_version", "git_commit", "hdf5_version", "blas_version"};
    for (int i = 0; i < 4; i++) {
        v = attr_text(f, nonempty[i]);
        ck_assert_msg(v[0], "attribute %s is empty", nonempty[i]);
        free(v);
    }
    v = attr_text(f, "hdf5_version");
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char want[64];
    snprintf(want, sizeof want, "%u.%u.%u", maj, min, rel);
    ck_assert_str_eq(v, want);
    free(v);
    /* /spec: the spec verbatim, a scalar string */
    hid_t d = open_ds(f, "spec");
    check_type(d, "spec", T_STR);
    hid_t s = H5Dget_space(d);
    ck_assert_int_eq(H5Sget_simple_extent_type(s), H5S_SCALAR);
    hid_t t = H5Dget_type(d);
    char *txt = NULL;
    ck_assert(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &txt) >= 0);
    ck_assert_str_eq(txt, GRID_SPEC);
    H5free_memory(txt);
    H5Tclose(t), H5Sclose(s), H5Dclose(d);
    /* the root holds /spec, /runs, /grid and nothing else */
    ck_assert_uint_eq(n_links(f), 3);
    H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_completed)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 1);
    hid_t f = open_file(p.path);
    char *c = attr_text(f, "completed"), *u = attr_text(f, "updated");
    ck_assert_str_eq(c, u); /* complete: the time of that write */
    free(c), free(u);
    H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_runs_layout)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 0);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "runs", H5P_DEFAULT);
    ck_assert(g >= 0);
    const hsize_t n[1] = {NRUN}, nk[2] = {NRUN, K}, k1[1] = {K};
    /* scales */
    check_scale(g, "run");
    check_scale(g, "checkpoint");
    int64_t *run = read_all(g, "run", T_I64, 1, n), *chk = read_all(g, "checkpoint", T_I64, 1, k1);
    for (int i = 0; i < NRUN; i++)
        ck_assert_int_eq(run[i], i);
    for (int k = 0; k < K; k++)
        ck_assert_int_eq(chk[k], k);
    free(run), free(chk);
    /* the expected members: status, settings, temperature, metrics but
     * status, host, rank, error, the scales and six curves */
    hsize_t want = 1 + (hsize_t)cfg_nfields + 1 + (hsize_t)(met_nfields - 1) + 3 + 2 + 6;
    ck_assert_uint_eq(n_links(g), want);
    check_no_probes(g);
    hid_t d = open_ds(g, "status");
    check_type(d, "status", T_I8);
    check_shape(d, "status", 1, n);
    H5Dclose(d);
    d = open_ds(g, "status");
    check_attr_text(d, "meaning", "0: pending, 1: done, 2: diverged, 3: failed");
    H5Dclose(d);
    check_attached(g, "status", "run", 0);
    for (int c = 0; c < cfg_nfields; c++) {
        const cfg_field *cf = &cfg_fields[c];
        int type = cf->type == CFG_REAL ? T_F64 : cf->type == CFG_ENUM || cf->type == CFG_STR ? T_STR : T_I64;
        d = open_ds(g, cf->name);
        check_type(d, cf->name, type);
        check_shape(d, cf->name, 1, n);
        check_attr_text(d, "role", "setting");
        H5Dclose(d);
        check_attached(g, cf->name, "run", 0);
    }
    d = open_ds(g, "temperature");
    check_type(d, "temperature", T_F64);
    check_attr_text(d, "role", "SGD temperature lr / batch (the spec's value when given)");
    H5Dclose(d);
    for (int m = 0; m < met_nfields; m++) {
        const met_field *mf = &met_fields[m];
        if (mf->type == MET_STATUS)
            continue;
        d = open_ds(g, mf->name);
        check_type(d, mf->name, mf->type == MET_LONG ? T_I64 : T_F64);
        check_shape(d, mf->name, 1, n);
        check_attr_text(d, "description", mf->help);
        H5Dclose(d);
        check_attached(g, mf->name, "run", 0);
    }
    static const char *const prov[3] = {"host", "rank", "error"};
    static const int prov_t[3] = {T_STR, T_I32, T_STR};
    for (int i = 0; i < 3; i++) {
        d = open_ds(g, prov[i]);
        check_type(d, prov[i], prov_t[i]);
        check_shape(d, prov[i], 1, n);
        H5Dclose(d);
        check_attached(g, prov[i], "run", 0);
    }
    for (int c = 0; c < 6; c++) {
        d = open_ds(g, CURVES[c]);
        check_type(d, CURVES[c], c == 0 ? T_I64 : T_F64);
        check_shape(d, CURVES[c], 2, nk);
        H5Dclose(d);
        check_attached(g, CURVES[c], "run", 0);
        check_attached(g, CURVES[c], "checkpoint", 1);
        check_curve_storage(g, CURVES[c], 2, 0);
    }
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_runs_values)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 0);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "runs", H5P_DEFAULT);
    const hsize_t n[1] = {NRUN}, nk[2] = {NRUN, K};
    int8_t *status = read_all(g, "status", T_I8, 1, n);
    int32_t *rank = read_all(g, "rank", T_I32, 1, n);
    char **host = read_strs(g, "host", NRUN), **err = read_strs(g, "error", NRUN);
    for (long i = 0; i < NRUN; i++) {
        const row *w = row_of(i);
        ck_assert_int_eq(status[i], w ? w->status : ST_PENDING);
        ck_assert_int_eq(rank[i], w ? (int)(i % 3) : -1);
        char h[32] = "";
        if (w)
            snprintf(h, sizeof h, "node-%ld", i % 3);
        ck_assert_str_eq(host[i], h);
        ck_assert_str_eq(err[i], w ? w->msg : "");
    }
    free(status), free(rank), free_strs(host, NRUN), free_strs(err, NRUN);
    /* metrics: the value of row i at row i; -2 (integers) or NaN (reals)
     * where a run has no value: pending or failed */
    for (int m = 0; m < met_nfields; m++) {
        const met_field *mf = &met_fields[m];
        if (mf->type == MET_STATUS)
            continue;
        void *buf = read_all(g, mf->name, mf->type == MET_LONG ? T_I64 : T_F64, 1, n);
        for (long i = 0; i < NRUN; i++) {
            const row *w = row_of(i);
            double want = w ? met_value(i, m, w->status) : NAN;
            if (mf->type == MET_LONG) {
                int64_t got = ((int64_t *)buf)[i];
                ck_assert_msg(got == (isnan(want) ? -2 : (int64_t)want), "%s[%ld] = %lld, expected %g", mf->name, i,
                              (long long)got, want);
            } else {
                double got = ((double *)buf)[i];
                ck_assert_msg(isnan(want) ? isnan(got) : got == want, "%s[%ld] = %.17g, expected %.17g", mf->name, i,
                              got, want);
            }
        }
        free(buf);
    }
    /* curves: the recorded points, then step -1 / NaN padding */
    int64_t *step = read_all(g, "curve_step", T_I64, 2, nk);
    for (long i = 0; i < NRUN; i++) {
        const row *w = row_of(i);
        int nc = w ? w->n_ckpt : 0;
        for (int k = 0; k < K; k++)
            ck_assert_int_eq(step[i * K + k], k < nc ? step_value(i, k) : -1);
    }
    free(step);
    for (int c = 0; c < 5; c++) {
        double *cv = read_all(g, CURVES[c + 1], T_F64, 2, nk);
        for (long i = 0; i < NRUN; i++) {
            const row *w = row_of(i);
            int nc = w ? w->n_ckpt : 0;
            for (int k = 0; k < K; k++) {
                double got = cv[i * K + k];
                ck_assert_msg(k < nc ? got == curve_value(i, c, k) : isnan(got), "%s[%ld, %d] = %g", CURVES[c + 1], i,
                              k, got);
            }
        }
        free(cv);
    }
    /* settings: every column against spec_run, in the stored type */
    for (int c = 0; c < cfg_nfields; c++) {
        const cfg_field *cf = &cfg_fields[c];
        if (cf->type == CFG_ENUM || cf->type == CFG_STR) {
            char **sv = read_strs(g, cf->name, NRUN);
            for (long i = 0; i < NRUN; i++) {
                cfg s;
                sgd_err e = {0};
                ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
                const char *want = cf->type == CFG_STR ? (const char *)&s + cf->offset
                                                       : cfg_enum_name(cf->name, *(const int *)((char *)&s + cf->offset));
                ck_assert_msg(!strcmp(sv[i], want), "%s[%ld] = '%s', expected '%s'", cf->name, i, sv[i], want);
            }
            free_strs(sv, NRUN);
            continue;
        }
        void *buf = read_all(g, cf->name, cf->type == CFG_REAL ? T_F64 : T_I64, 1, n);
        for (long i = 0; i < NRUN; i++) {
            cfg s;
            sgd_err e = {0};
            ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
            const char *q = (const char *)&s + cf->offset;
            if (cf->type == CFG_REAL) {
                ck_assert_msg(((double *)buf)[i] == *(const double *)q, "%s[%ld]", cf->name, i);
            } else {
                int64_t want = cf->type == CFG_LONG ? *(const long *)q : cf->type == CFG_I64 ? *(const int64_t *)q
                                                                                             : *(const int *)q;
                ck_assert_msg(((int64_t *)buf)[i] == want, "%s[%ld] = %lld, expected %lld", cf->name, i,
                              (long long)((int64_t *)buf)[i], (long long)want);
            }
        }
        free(buf);
    }
    /* the swept values, from the row-major rule (last dimension fastest) */
    double *lr = read_all(g, "lr", T_F64, 1, n), *temp = read_all(g, "temperature", T_F64, 1, n);
    double *scale = read_all(g, "init_scale", T_F64, 1, n);
    int64_t *seed = read_all(g, "seed", T_I64, 1, n), *batch = read_all(g, "batch", T_I64, 1, n);
    char **act = read_strs(g, "act", NRUN);
    for (long i = 0; i < NRUN; i++) {
        long a = i % 2, bt = i / 2 % 3, is = i / 6 % 2, sd = i / 12;
        ck_assert_int_eq(seed[i], SEED_V[sd]);
        ck_assert(scale[i] == SCALE_V[is]);
        ck_assert_int_eq(batch[i], BATCH_V[bt]);
        ck_assert_str_eq(act[i], ACT_V[a]);
        ck_assert(lr[i] == TEMP_V[bt] * (double)BATCH_V[bt]); /* lr = temperature x batch */
        ck_assert(temp[i] == lr[i] / (double)batch[i]);         /* the derived column: lr / batch */
    }
    free(lr), free(temp), free(scale), free(seed), free(batch), free_strs(act, NRUN);
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_grid_layout)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 0);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "grid", H5P_DEFAULT);
    ck_assert_msg(g >= 0, "no /grid for a grid spec");
    /* coordinates: one scale per dimension, in spec order */
    for (int d = 0; d < ND; d++)
        check_scale(g, DIM_NAME[d]);
    check_scale(g, "checkpoint");
    hsize_t n2 = 2, n3 = 3, k1 = K;
    int64_t *seed = read_all(g, "seed", T_I64, 1, &n2), *bt = read_all(g, "batch_temperature", T_I64, 1, &n3);
    double *scale = read_all(g, "init_scale", T_F64, 1, &n2);
    char **act = read_strs(g, "act", 2);
    int64_t *chk = read_all(g, "checkpoint", T_I64, 1, &k1);
    for (int j = 0; j < 2; j++) {
        ck_assert_int_eq(seed[j], SEED_V[j]);
        ck_assert(scale[j] == SCALE_V[j]);
        ck_assert_str_eq(act[j], ACT_V[j]);
    }
    for (int j = 0; j < 3; j++)
        ck_assert_int_eq(bt[j], j); /* a zip group's own coordinate: its index */
    for (int k = 0; k < K; k++)
        ck_assert_int_eq(chk[k], k);
    free(seed), free(bt), free(scale), free_strs(act, 2), free(chk);
    /* the zip members: coordinate variables along the group, not scales */
    int64_t *batch = read_all(g, "batch", T_I64, 1, &n3);
    double *temp = read_all(g, "temperature", T_F64, 1, &n3);
    for (int j = 0; j < 3; j++) {
        ck_assert_int_eq(batch[j], BATCH_V[j]);
        ck_assert(temp[j] == TEMP_V[j]); /* the spec's value, not lr / batch */
    }
    free(batch), free(temp);
    static const char *const members[2] = {"batch", "temperature"};
    for (int m = 0; m < 2; m++) {
        hid_t d = open_ds(g, members[m]);
        ck_assert_int_eq(H5DSis_scale(d), 0);
        H5Dclose(d);
        check_attached(g, members[m], "batch_temperature", 0);
    }
    /* data variables: status int8, lr_run and every metric float64 [dims],
     * curves [dims x checkpoint]; each dimension has its scale, and the zip
     * members are named in `coordinates` */
    const hsize_t dk[ND + 1] = {DIM_N[0], DIM_N[1], DIM_N[2], DIM_N[3], K};
    hsize_t want_links = ND + 2 + 1 + 2 + (hsize_t)(met_nfields - 1) + 6; /* dims, members, checkpoint, status, lr_run */
    ck_assert_uint_eq(n_links(g), want_links);
    check_no_probes(g);
    for (int m = -2; m < met_nfields + 6; m++) {
        const char *name = m == -2 ? "status" : m == -1 ? "lr_run" : m < met_nfields ? met_fields[m].name
                                                                                     : CURVES[m - met_nfields];
        if (m >= 0 && m < met_nfields && met_fields[m].type == MET_STATUS)
            continue;
        int curve = m >= met_nfields, type = m == -2 ? T_I8 : m == met_nfields ? T_I64 : T_F64;
        hid_t d = open_ds(g, name);
        check_type(d, name, type);
        check_shape(d, name, ND + curve, dk);
        check_attr_text(d, "coordinates", "batch temperature");
        if (m >= 0 && !curve)
            check_attr_text(d, "description", met_fields[m].help);
        H5Dclose(d);
        for (int k = 0; k < ND; k++)
            check_attached(g, name, DIM_NAME[k], (unsigned)k);
        if (curve) {
            check_attached(g, name, "checkpoint", ND);
            check_curve_storage(g, name, ND + 1, 1);
        }
    }
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* one element of an N-d dataset, read by its coordinates */
static double read_at(hid_t g, const char *name, const hsize_t *coord, int rank)
{
    hid_t d = open_ds(g, name), fs = H5Dget_space(d), ms = H5Screate(H5S_SCALAR);
    ck_assert(H5Sselect_elements(fs, H5S_SELECT_SET, 1, coord) >= 0);
    ck_assert_int_eq(H5Sget_simple_extent_ndims(fs), rank);
    double v;
    ck_assert(H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, &v) >= 0);
    H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    return v;
}

START_TEST(test_grid_values)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 0);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "grid", H5P_DEFAULT);
    for (long i = 0; i < NRUN; i++) {
        /* row-major: i = ((seed * 2 + init_scale) * 3 + batch_temperature) * 2 + act */
        hsize_t c[ND + 1] = {(hsize_t)(i / 12), (hsize_t)(i / 6 % 2), (hsize_t)(i / 2 % 3), (hsize_t)(i % 2), 0};
        /* the coordinates at that index are the settings of run i */
        cfg s;
        sgd_err e = {0};
        ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
        ck_assert_int_eq(s.seed, SEED_V[c[0]]);
        ck_assert(s.init_scale == SCALE_V[c[1]]);
        ck_assert_int_eq(s.batch, BATCH_V[c[2]]);
        ck_assert_str_eq(cfg_enum_name("act", s.act), ACT_V[c[3]]);
        ck_assert(read_at(g, "lr_run", c, ND) == s.lr);
        const row *w = row_of(i);
        ck_assert(read_at(g, "status", c, ND) == (w ? w->status : ST_PENDING));
        for (int m = 0; m < met_nfields; m++) {
            if (met_fields[m].type == MET_STATUS)
                continue;
            double want = w ? met_value(i, m, w->status) : NAN, got = read_at(g, met_fields[m].name, c, ND);
            /* every metric is float64 here: NaN where no value, integers too */
            ck_assert_msg(isnan(want) ? isnan(got) : got == want, "/grid/%s at run %ld: %.17g, expected %.17g",
                          met_fields[m].name, i, got, want);
        }
        int nc = w ? w->n_ckpt : 0;
        for (int k = 0; k < K; k++) {
            c[ND] = (hsize_t)k;
            ck_assert(read_at(g, "curve_step", c, ND + 1) == (k < nc ? (double)step_value(i, k) : -1.0));
            for (int cv = 0; cv < 5; cv++) {
                double got = read_at(g, CURVES[cv + 1], c, ND + 1);
                ck_assert_msg(k < nc ? got == curve_value(i, cv, k) : isnan(got), "/grid/%s run %ld point %d: %g",
                              CURVES[cv + 1], i, k, got);
            }
        }
    }
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* Storage (docs/FORMAT.md, Storage): a dataset whose every element is the
 * same is one fill value, nothing stored; a dataset that varies is stored in
 * /runs once, and /grid shows it through a virtual dataset. */
static const char *const SWEPT[] = {"seed", "init_scale", "batch", "act", "lr", "temperature"};

static int is_swept(const char *name)
{
    for (size_t i = 0; i < sizeof SWEPT / sizeof SWEPT[0]; i++)
        if (!strcmp(name, SWEPT[i]))
            return 1;
    return 0;
}

START_TEST(test_storage_filled)
{
    paths p;
    spec *sp;
    write_grid_file(&p, &sp, 0);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "runs", H5P_DEFAULT);
    /* settings: stored exactly where the spec sweeps them */
    for (int c = 0; c <= cfg_nfields; c++) {
        const char *name = c < cfg_nfields ? cfg_fields[c].name : "temperature";
        check_storage(g, name, 1, 0, 0, !is_swept(name));
    }
    /* metrics that vary (met_value) are stored; host (node-0..2), rank,
     * error (one failed run) too */
    check_storage(g, "train_loss", 1, 0, 0, 0);
    check_storage(g, "steps_done", 1, 0, 0, 0);
    check_storage(g, "host", 1, 0, 0, 0);
    check_storage(g, "rank", 1, 0, 0, 0);
    hid_t d = open_ds(g, "error"), pl = H5Dget_create_plist(d);
    ck_assert_int_eq(H5Pget_layout(pl), H5D_CHUNKED); /* "" by fill value, the message written */
    H5Pclose(pl), H5Dclose(d);
    H5Gclose(g);
    /* /grid: the varying data variables are views of /runs */
    g = H5Gopen2(f, "grid", H5P_DEFAULT);
    check_storage(g, "train_loss", ND, 0, 1, 0);
    check_storage(g, "status", ND, 0, 1, 0);
    d = open_ds(g, "lr_run"), pl = H5Dget_create_plist(d);
    ck_assert_int_eq(H5Pget_layout(pl), H5D_VIRTUAL);
    char src[64] = "";
    ck_assert(H5Pget_virtual_dsetname(pl, 0, src, sizeof src) > 0);
    ck_assert_str_eq(src, "/runs/lr");
    H5Pclose(pl), H5Dclose(d);
    /* an integer metric in /grid is float64 (NaN where not run): its own copy */
    d = open_ds(g, "steps_done"), pl = H5Dget_create_plist(d);
    ck_assert_int_eq(H5Pget_layout(pl), H5D_CONTIGUOUS);
    ck_assert(H5Dget_storage_size(d) > 0);
    H5Pclose(pl), H5Dclose(d);
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* every run pending (the first write of a sweep): all but the run index,
 * the checkpoint scale and the swept settings are fill values, /grid holds
 * no view, and the values read back are the pending ones */
START_TEST(test_storage_pending)
{
    spec *sp = parse_ok(GRID_SPEC);
    paths p;
    paths_make(&p);
    sweep_table t;
    init_table(&t, NRUN);
    store_table(sp, p.path, &t, 0);
    sweep_table_destroy(&t);
    hid_t f = open_file(p.path);
    for (int grid = 0; grid < 2; grid++) {
        hid_t g = H5Gopen2(f, grid ? "grid" : "runs", H5P_DEFAULT);
        for (hsize_t k = 0; k < n_links(g); k++) {
            char name[128];
            link_name(g, k, name, sizeof name);
            hid_t d = open_ds(g, name), pl = H5Dget_create_plist(d);
            /* lr_run shows the swept setting /runs/lr */
            ck_assert_msg((H5Pget_layout(pl) == H5D_VIRTUAL) == (grid && !strcmp(name, "lr_run")),
                          "%s: a view, though every run is pending", name);
            if (grid && !strcmp(name, "lr_run")) {
                H5Pclose(pl), H5Dclose(d);
                continue;
            }
            /* stored: the scales and coordinates, and in /runs the swept settings */
            const int coord = H5DSis_scale(d) > 0 || (grid && (!strcmp(name, "batch") || !strcmp(name, "temperature")));
            if (!coord && !(!grid && is_swept(name)))
                ck_assert_msg(is_fill_only(d), "/%s/%s: data stored, though every run is pending", grid ? "grid" : "runs",
                              name);
            H5Pclose(pl), H5Dclose(d);
        }
        H5Gclose(g);
    }
    hid_t g = H5Gopen2(f, "runs", H5P_DEFAULT);
    const hsize_t n[1] = {NRUN}, nk[2] = {NRUN, K};
    int8_t *status = read_all(g, "status", T_I8, 1, n);
    int32_t *rank = read_all(g, "rank", T_I32, 1, n);
    int64_t *steps = read_all(g, "steps_done", T_I64, 1, n), *step = read_all(g, "curve_step", T_I64, 2, nk);
    double *loss = read_all(g, "train_loss", T_F64, 1, n), *cl = read_all(g, "curve_train_loss", T_F64, 2, nk);
    char **host = read_strs(g, "host", NRUN), **err = read_strs(g, "error", NRUN), **data = read_strs(g, "data", NRUN);
    for (long i = 0; i < NRUN; i++) {
        ck_assert_int_eq(status[i], ST_PENDING);
        ck_assert_int_eq(rank[i], -1);
        ck_assert_int_eq(steps[i], -2);
        ck_assert(isnan(loss[i]));
        ck_assert_str_eq(host[i], "");
        ck_assert_str_eq(err[i], "");
        ck_assert_str_eq(data[i], "teacher"); /* a fixed setting: its value in every row */
        for (int k = 0; k < K; k++)
            ck_assert(step[i * K + k] == -1 && isnan(cl[i * K + k]));
    }
    free(status), free(rank), free(steps), free(step), free(loss), free(cl);
    free_strs(host, NRUN), free_strs(err, NRUN), free_strs(data, NRUN);
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* one run's record into t: metrics all `v` (reals), curves 1..K */
static void put_run(sweep_table *t, long run, int status, const char *host, const char *msg, double v)
{
    double metric[256], cv[K] = {1, 2, 3, 4};
    int64_t step[K] = {0, 1, 2, 3};
    run_record rec;
    memset(&rec, 0, sizeof rec);
    rec.run = run, rec.status = status, rec.n_ckpt = status == ST_FAILED ? 0 : K, rec.rank = 1;
    rec.metric = metric, rec.step = step;
    for (int c = 0; c < 5; c++)
        rec.curve[c] = cv;
    for (int m = 0; m < met_nfields; m++)
        metric[m] = status == ST_FAILED ? NAN : met_fields[m].type == MET_REAL ? v : 3;
    snprintf(rec.host, sizeof rec.host, "%s", host);
    snprintf(rec.msg, sizeof rec.msg, "%s", msg);
    sweep_table_put(t, &rec);
}

/* the cases a uniform-or-not decision can get wrong: one host with pending
 * runs (not one host's name in every row), a failure in the last row, -0.0
 * among 0.0 (bitwise, not equal as numbers); the superblock of the written
 * file says it is closed; every string dataset has a fill value */
START_TEST(test_storage_edges)
{
    spec *sp = parse_ok(GRID_SPEC);
    paths p;
    paths_make(&p);
    sweep_table t;
    init_table(&t, NRUN);
    put_run(&t, 0, ST_DONE, "node-a", "", 0.0);
    put_run(&t, 5, ST_DONE, "node-a", "", 0.0);
    put_run(&t, NRUN - 1, ST_FAILED, "node-a", "the last run failed", 0.0);
    store_table(sp, p.path, &t, 0);
    sweep_table_destroy(&t);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "runs", H5P_DEFAULT);
    char **host = read_strs(g, "host", NRUN), **err = read_strs(g, "error", NRUN);
    for (long i = 0; i < NRUN; i++) {
        const int ran = i == 0 || i == 5 || i == NRUN - 1;
        ck_assert_msg(!strcmp(host[i], ran ? "node-a" : ""), "host[%ld] '%s'", i, host[i]);
        ck_assert_msg(!strcmp(err[i], i == NRUN - 1 ? "the last run failed" : ""), "error[%ld] '%s'", i, err[i]);
    }
    free_strs(host, NRUN), free_strs(err, NRUN);
    /* string datasets: a defined fill value, "" where nothing else is said */
    for (hsize_t k = 0; k < n_links(g); k++) {
        char name[128];
        link_name(g, k, name, sizeof name);
        hid_t d = open_ds(g, name), ty = H5Dget_type(d), pl = H5Dget_create_plist(d);
        H5D_fill_value_t fv;
        ck_assert(H5Pfill_value_defined(pl, &fv) >= 0);
        if (H5Tis_variable_str(ty) > 0)
            ck_assert_msg(fv == H5D_FILL_VALUE_USER_DEFINED, "%s: a string dataset without a fill value", name);
        H5Pclose(pl), H5Tclose(ty), H5Dclose(d);
    }
    H5Gclose(g), H5Fclose(f);
    /* the superblock (version 0 or 1): file consistency flags clear */
    FILE *fp = fopen(p.path, "rb");
    unsigned char sb[24];
    ck_assert(fp && fread(sb, 1, sizeof sb, fp) == sizeof sb);
    fclose(fp);
    ck_assert_int_le(sb[8], 1);
    ck_assert_msg(!sb[20] && !sb[21] && !sb[22] && !sb[23], "consistency flags %02x %02x %02x %02x", sb[20], sb[21],
                  sb[22], sb[23]);
    /* every run done, all reals 0.0 but one -0.0: not one value */
    init_table(&t, NRUN);
    for (long i = 0; i < NRUN; i++)
        put_run(&t, i, ST_DONE, "node-a", "", i == 7 ? -0.0 : 0.0);
    store_table(sp, p.path, &t, 0);
    sweep_table_destroy(&t);
    f = open_file(p.path), g = H5Gopen2(f, "runs", H5P_DEFAULT);
    const hsize_t n[1] = {NRUN};
    double *tl = read_all(g, "train_loss", T_F64, 1, n);
    for (long i = 0; i < NRUN; i++)
        ck_assert_msg(tl[i] == 0 && !signbit(tl[i]) == (i != 7), "train_loss[%ld] = %g", i, tl[i]);
    free(tl);
    check_storage(g, "train_loss", 1, 0, 0, 0);
    check_storage(g, "host", 1, 0, 0, 1); /* one host, every run: one value */
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* --compress: the same file with its curves shuffled and deflated */
START_TEST(test_deflated)
{
    deflate = 4;
    test_runs_layout_fn(0);
    test_runs_values_fn(0);
    test_grid_layout_fn(0);
    test_grid_values_fn(0);
}
END_TEST

/* a curve chunk all of fill values (pending runs) is never written */
START_TEST(test_unwritten_chunks)
{
    const long N = 40000;
    char text[256];
    snprintf(text, sizeof text, "parameters:\n  n_train: 8\n  batch: 8\n  steps: 10\n  checkpoints: 4\nseeds: %ld\n", N);
    spec *sp = parse_ok(text);
    paths p;
    paths_make(&p);
    sweep_table t;
    init_table(&t, N);
    double metric[256];
    int64_t step[K] = {0, 1, 2, 3};
    double cv[K] = {1, 2, 3, 4};
    run_record rec;
    memset(&rec, 0, sizeof rec);
    rec.status = ST_DONE, rec.n_ckpt = K, rec.metric = metric, rec.step = step;
    for (int c = 0; c < 5; c++)
        rec.curve[c] = cv;
    for (int m = 0; m < met_nfields; m++)
        metric[m] = m;
    const long done[2] = {3, N - 2}; /* the first and the last chunk */
    for (int j = 0; j < 2; j++) {
        rec.run = done[j];
        sweep_table_put(&t, &rec);
    }
    store_table(sp, p.path, &t, 0);
    sweep_table_destroy(&t);
    hid_t f = open_file(p.path), g = H5Gopen2(f, "runs", H5P_DEFAULT);
    hid_t d = open_ds(g, "curve_train_loss"), pl = H5Dget_create_plist(d);
    hsize_t ck[2], nch = 0;
    ck_assert_int_eq(H5Pget_chunk(pl, 2, ck), 2);
    ck_assert_msg(ck[0] < (hsize_t)N / 2, "chunk of %llu rows", (unsigned long long)ck[0]);
    hid_t fs = H5Dget_space(d);
    ck_assert(H5Dget_num_chunks(d, fs, &nch) >= 0);
    ck_assert_uint_eq(nch, 2);
    H5Sclose(fs), H5Pclose(pl), H5Dclose(d);
    const hsize_t nk[2] = {(hsize_t)N, K};
    double *v = read_all(g, "curve_train_loss", T_F64, 2, nk);
    for (long i = 0; i < N; i++)
        for (int k = 0; k < K; k++) {
            int on = i == done[0] || i == done[1];
            ck_assert_msg(on ? v[i * K + k] == cv[k] : isnan(v[i * K + k]), "run %ld, checkpoint %d", i, k);
        }
    free(v);
    H5Gclose(g), H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_random_has_no_grid)
{
    sgd_err e = {0};
    spec *sp = parse_ok(RANDOM_SPEC);
    ck_assert_int_eq(sp->n_runs, 6);
    paths p;
    paths_make(&p);
    sweep_table t;
    fill_table(&t, sp->n_runs); /* rows 0 and 5 */
    store *st = store_alloc(sp, p.path, &e);
    ck_assert_ptr_nonnull(st);
    store_prov pv = prov_of(0);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    hid_t f = open_file(p.path);
    check_attr_text(f, "method", "random");
    ck_assert_int_eq(attr_int(f, "n_runs", 8), 6);
    ck_assert_int_eq(H5Lexists(f, "grid", H5P_DEFAULT), 0);
    ck_assert_uint_eq(n_links(f), 2); /* /spec and /runs */
    hsize_t n = 6;
    double *lr = read_all(f, "runs/lr", T_F64, 1, &n);
    int64_t *width = read_all(f, "runs/width", T_I64, 1, &n), *seed = read_all(f, "runs/seed", T_I64, 1, &n);
    double *tl = read_all(f, "runs/train_loss", T_F64, 1, &n);
    for (long i = 0; i < 6; i++) {
        cfg s;
        ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
        ck_assert(lr[i] == s.lr && lr[i] >= 0.001 && lr[i] <= 0.1);
        ck_assert_int_eq(width[i], s.width);
        ck_assert_int_eq(seed[i], i % 2); /* seeds: 2 varies fastest */
        ck_assert(row_of(i) ? tl[i] == met_value(i, 4, ST_DONE) : isnan(tl[i]));
    }
    ck_assert_str_eq(met_fields[4].name, "train_loss");
    free(lr), free(width), free(seed), free(tl);
    H5Fclose(f);
    store_free(st);
    sweep_table_destroy(&t);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_unswept_grid_has_no_grid)
{
    /* a grid without a swept setting is one run; there is nothing to label */
    sgd_err e = {0};
    spec *sp = parse_ok("method: grid\nparameters:\n  width: 8\n  steps: 10\n  n_train: 64\n");
    ck_assert_int_eq(sp->n_runs, 1);
    paths p;
    paths_make(&p);
    sweep_table t;
    fill_table(&t, 1);
    store *st = store_alloc(sp, p.path, &e);
    store_prov pv = prov_of(1);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    hid_t f = open_file(p.path);
    ck_assert_int_eq(H5Lexists(f, "grid", H5P_DEFAULT), 0);
    hsize_t n = 1;
    int64_t *w = read_all(f, "runs/width", T_I64, 1, &n);
    ck_assert_int_eq(w[0], 8);
    free(w);
    H5Fclose(f);
    store_free(st);
    sweep_table_destroy(&t);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* store_write goes through PATH.tmp and rename(2): PATH is always whole */
START_TEST(test_atomic_rewrite)
{
    sgd_err e = {0};
    spec *sp = parse_ok(GRID_SPEC);
    paths p;
    paths_make(&p);
    sweep_table t;
    init_table(&t, NRUN); /* all pending */
    store *st = store_alloc(sp, p.path, &e);
    store_prov pv = prov_of(0);
    /* a stale PATH.tmp from a killed writer is simply replaced */
    FILE *junk = fopen(p.tmp, "w");
    ck_assert_ptr_nonnull(junk);
    fputs("not hdf5", junk);
    fclose(junk);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    ck_assert(exists(p.path) && !exists(p.tmp));
    hid_t f = open_file(p.path);
    ck_assert_int_eq(attr_int(f, "n_done", 8), 0);
    H5Fclose(f);
    /* the next flush replaces the whole file */
    sweep_table_destroy(&t);
    fill_table(&t, NRUN);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    ck_assert(!exists(p.tmp));
    f = open_file(p.path);
    ck_assert_int_eq(attr_int(f, "n_done", 8), 3);
    hsize_t n = NRUN;
    double *tl = read_all(f, "runs/train_loss", T_F64, 1, &n);
    ck_assert(tl[5] == met_value(5, 4, ST_DONE));
    free(tl);
    H5Fclose(f);
    store_free(st);
    sweep_table_destroy(&t);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

START_TEST(test_write_fails_cleanly)
{
    sgd_err e = {0};
    spec *sp = parse_ok(GRID_SPEC);
    paths p;
    paths_make(&p);
    sweep_table t;
    fill_table(&t, NRUN);
    store_prov pv = prov_of(0);
    /* a directory that does not exist: SGD_EIO naming the path, no file */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/missing/r.h5", p.dir);
    store *st = store_alloc(sp, bad, &e);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), SGD_EIO);
    ck_assert_int_eq(e.code, SGD_EIO);
    ck_assert_msg(strstr(e.msg, bad), "message '%s' does not name %s", e.msg, bad);
    ck_assert(!exists(bad));
    store_free(st);
    /* PATH.tmp cannot be created (a directory is in the way): the previous
     * PATH stays as it was */
    e = (sgd_err){0};
    st = store_alloc(sp, p.path, &e);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    struct stat before, after;
    ck_assert_int_eq(stat(p.path, &before), 0);
    ck_assert_int_eq(mkdir(p.tmp, 0755), 0);
    sweep_table_destroy(&t);
    init_table(&t, NRUN);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), SGD_EIO);
    ck_assert_int_eq(rmdir(p.tmp), 0);
    ck_assert_int_eq(stat(p.path, &after), 0);
    ck_assert(before.st_ino == after.st_ino && before.st_size == after.st_size);
    hid_t f = open_file(p.path);
    ck_assert_int_eq(attr_int(f, "n_done", 8), 3); /* the old content */
    H5Fclose(f);
    store_free(st);
    sweep_table_destroy(&t);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* "disk full" while writing (a file-size limit makes write(2) fail with
 * EFBIG): SGD_EIO naming the file, no PATH.tmp left, the previous PATH
 * untouched, and the process stays healthy: a second write succeeds and the
 * test process exits cleanly (with HDF5 1.10 a failing H5Fclose used to leave
 * a freed file in HDF5's ID table and crash at exit; store.c now builds the
 * image in memory and writes it itself). */
START_TEST(test_disk_full)
{
    sgd_err e = {0};
    spec *sp = parse_ok(GRID_SPEC);
    paths p;
    paths_make(&p);
    sweep_table t;
    fill_table(&t, NRUN);
    store_prov pv = prov_of(0);
    store *st = store_alloc(sp, p.path, &e);
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    struct stat before, after;
    ck_assert_int_eq(stat(p.path, &before), 0);
    ck_assert(before.st_size > 8192);
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = store_write(st, &t, &pv, &e);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    ck_assert_int_eq(rc, SGD_EIO);
    ck_assert_int_eq(e.code, SGD_EIO);
    ck_assert_msg(strstr(e.msg, p.path), "message '%s' does not name the file", e.msg);
    ck_assert(!exists(p.tmp));
    ck_assert_int_eq(stat(p.path, &after), 0);
    ck_assert(before.st_ino == after.st_ino && before.st_size == after.st_size);
    hid_t f = open_file(p.path);
    ck_assert_int_eq(attr_int(f, "n_done", 8), 3);
    H5Fclose(f);
    /* space again: the next flush works */
    e = (sgd_err){0};
    ck_assert_int_eq(store_write(st, &t, &pv, &e), 0);
    ck_assert(!exists(p.tmp));
    store_free(st);
    sweep_table_destroy(&t);
    spec_free(sp);
    paths_remove(&p);
}
END_TEST

/* ------------------------------------------------------------ probes */

/* probes on for part of the grid: sharpness_k 0 (off), 2, 3 with curves at
 * every other checkpoint (probe_every 2); mli on every run, with 5 points
 * (or 3 and 5, zipped with lazy); lazy on for half the runs (depth 2: 3
 * layers); no trace, density or noise */
static const char PROBE_SPEC[] =
    "name: store-probes\n"
    "method: grid\n"
    "parameters:\n"
    "  data: teacher\n"
    "  n_train: 64\n"
    "  steps: 10\n"
    "  depth: 2\n"
    "  checkpoints: 4\n"
    "  probe_every: 2\n"
    "  mli: true\n"
    "  sharpness_k: {values: [0, 2, 3]}\n"
    "  lazy: {values: [false, true]}\n"
    "  mli_points: %s\n"
    "%s";
enum { PN = 6, PND = 2 }; /* runs; dims sharpness_k [3] x lazy [2], run i = 2 * sk + lazy */
enum { P_FAILED = 4, P_PENDING = 5, P_SHORT = 3 }; /* run 3 records 3 checkpoints, the others K */

/* what the file must hold, written down independently of the code under test */
static int want_curve(int c) { return c == PC_SHARPNESS || c == PC_LAMBDA_MIN; }
static int want_len(int a, int mli_max)
{
    return a == PA_EIG || a == PA_EIG_RESID ? 3 : a == PA_MLI_ALPHA || a == PA_MLI_LOSS || a == PA_MLI_ACC ? mli_max
           : a == PA_LAZY_LAYER ? 3 : 0;
}
static const char *want_dim(int a)
{
    return a == PA_EIG || a == PA_EIG_RESID ? "eig_index" : a == PA_LAZY_LAYER ? "layer" : "alpha";
}

static double pcurve_value(long i, int c, int k) { return 2.385 * (c + 1) + 0.25 * k - i / 9.0; }
static double parr_value(long i, int a, int j) { return -2.385 * (a + 1) + 0.5 * j + i / 13.0; }

/* the table of the probe spec, shaped as par.c shapes it */
static void fill_probe_table(const spec *sp, sweep_table *t, sweep_shape *sh)
{
    sgd_err e = {0};
    sweep_shape_init(sh);
    for (long i = 0; i < sp->n_runs; i++) {
        cfg s;
        ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
        sweep_shape_add(sh, &s);
    }
    ck_assert_int_eq(sweep_table_init(t, sp->n_runs, sh, &e), 0);
    double metric[256], pc[N_PCURVE][K], arr[N_PARR][8];
    int64_t step[K];
    double cv[5][K];
    ck_assert_int_le(met_nfields, 256);
    for (long i = 0; i < sp->n_runs; i++) {
        if (i == P_PENDING)
            continue;
        cfg s;
        ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
        run_record rec;
        memset(&rec, 0, sizeof rec);
        rec.run = i, rec.status = i == P_FAILED ? ST_FAILED : ST_DONE, rec.rank = 1;
        rec.n_ckpt = i == P_FAILED ? 0 : i == P_SHORT ? 3 : K;
        rec.metric = metric, rec.step = step;
        for (int m = 0; m < met_nfields; m++)
            metric[m] = met_value(i, m, rec.status);
        for (int c = 0; c < 5; c++)
            rec.curve[c] = cv[c];
        for (int k = 0; k < rec.n_ckpt; k++) {
            step[k] = step_value(i, k);
            for (int c = 0; c < 5; c++)
                cv[c][k] = curve_value(i, c, k);
        }
        /* as sweep_worker_train fills it: NaN where the run has the curve off
         * or did not measure (odd checkpoints) */
        for (int c = 0; c < N_PCURVE; c++) {
            rec.pcurve[c] = pc[c];
            for (int k = 0; k < rec.n_ckpt; k++)
                pc[c][k] = probe_curve_on(&s, c) && k % 2 == 0 ? pcurve_value(i, c, k) : NAN;
        }
        for (int a = 0; a < N_PARR && rec.status != ST_FAILED; a++) {
            rec.parr_len[a] = probe_array_len(&s, a);
            ck_assert_int_le(rec.parr_len[a], 8);
            rec.parr[a] = rec.parr_len[a] ? arr[a] : NULL;
            for (int j = 0; j < rec.parr_len[a]; j++)
                arr[a][j] = parr_value(i, a, j);
        }
        snprintf(rec.host, sizeof rec.host, "node-1");
        sweep_table_put(t, &rec);
    }
}

/* the expected value of probe curve c of run i at checkpoint k (NaN: none) */
static double want_pcurve(const spec *sp, long i, int c, int k)
{
    cfg s;
    sgd_err e = {0};
    ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
    int n = i == P_PENDING || i == P_FAILED ? 0 : i == P_SHORT ? 3 : K;
    int sk = s.sharpness_k; /* curves on: sharpness_k > 0 (probe_every is 2 on every run) */
    return k < n && sk > 0 && k % 2 == 0 ? pcurve_value(i, c, k) : NAN;
}

/* the expected value j of array a of run i (NaN: padding, off, not run) */
static double want_parr(const spec *sp, long i, int a, int j)
{
    cfg s;
    sgd_err e = {0};
    ck_assert_int_eq(spec_run(sp, i, &s, &e), 0);
    if (i == P_PENDING || i == P_FAILED)
        return NAN;
    int len = a == PA_EIG || a == PA_EIG_RESID ? s.sharpness_k
              : a == PA_MLI_ALPHA || a == PA_MLI_LOSS || a == PA_MLI_ACC ? s.mli_points
              : a == PA_LAZY_LAYER && s.lazy ? 3 : 0;
    return j < len ? parr_value(i, a, j) : NAN;
}

static void write_probe_file(paths *p, spec **sp, const char *mli_points, const char *zip)
{
    char text[1024];
    snprintf(text, sizeof text, PROBE_SPEC, mli_points, zip);
    *sp = parse_ok(text);
    ck_assert_int_eq((*sp)->n_runs, PN);
    paths_make(p);
    sweep_table t;
    sweep_shape sh;
    fill_probe_table(*sp, &t, &sh);
    /* the shape: the widest run's */
    ck_assert_int_eq(sh.K, K);
    const int mli_max = 5;
    for (int c = 0; c < N_PCURVE; c++)
        ck_assert_msg(sh.pcurve_on[c] == want_curve(c), "shape: curve %d", c);
    for (int a = 0; a < N_PARR; a++) {
        ck_assert_msg(sh.parr_max[a] == want_len(a, mli_max), "shape: array %s: %d", parr_fields[a].name,
                      sh.parr_max[a]);
        ck_assert(want_len(a, mli_max) ? t.parr[a] != NULL : t.parr[a] == NULL);
    }
    sgd_err e = {0};
    store *st = store_alloc(*sp, p->path, &e);
    ck_assert_msg(st != NULL, "store_alloc: %s", e.msg);
    store_prov pv = prov_of(0);
    ck_assert_msg(store_write(st, &t, &pv, &e) == 0, "store_write: %s", e.msg);
    store_free(st);
    sweep_table_destroy(&t);
}

/* /runs and /grid of the probe spec: layout, scales, values, padding */
static void check_probe_file(const char *mli_points, const char *zip, int alpha_is_real)
{
    paths p;
    spec *sp;
    write_probe_file(&p, &sp, mli_points, zip);
    const int mli_max = 5, zipped = zip[0] != 0;
    hid_t f = open_file(p.path);
    ck_assert_int_eq(attr_int(f, "format_version", 4), 3);
    for (int grid = 0; grid < 2; grid++) {
        hid_t g = H5Gopen2(f, grid ? "grid" : "runs", H5P_DEFAULT);
        ck_assert(g >= 0);
        /* the leading dimensions: run, or sharpness_k x lazy */
        const int nl = grid ? PND : 1;
        const hsize_t lead[PND] = {grid ? 3 : PN, 2};
        const char *const lead_name[PND] = {grid ? "sharpness_k" : "run", zipped ? "lazy_mli_points" : "lazy"};
        hsize_t dims[PND + 1];
        for (int d = 0; d < nl; d++)
            dims[d] = lead[d];
        /* members: as without probes, plus 2 curves, 6 arrays (eig, eig_resid,
         * mli_alpha, mli_loss, mli_acc, lazy_layer) and 3 scales */
        hsize_t base = grid ? PND + 2 * zipped + 1 + 2 + (hsize_t)(met_nfields - 1) + 6
                            : 1 + (hsize_t)cfg_nfields + 1 + (hsize_t)(met_nfields - 1) + 3 + 2 + 6;
        ck_assert_uint_eq(n_links(g), base + 2 + 6 + 3);
        /* the array scales: eig_index and layer int64 0..n-1; alpha the
         * values j / (m - 1) when every run has the same mli_points */
        static const char *const scales[3] = {"eig_index", "alpha", "layer"};
        for (int q = 0; q < 3; q++) {
            check_scale(g, scales[q]);
            hsize_t n = q == 1 ? (hsize_t)mli_max : 3;
            int real = q == 1 && alpha_is_real;
            void *v = read_all(g, scales[q], real ? T_F64 : T_I64, 1, &n);
            for (hsize_t j = 0; j < n; j++)
                ck_assert_msg(real ? ((double *)v)[j] == (double)j / (double)(n - 1) : ((int64_t *)v)[j] == (int64_t)j,
                              "%s scale value %llu", scales[q], (unsigned long long)j);
            free(v);
        }
        /* curves [lead x K] */
        for (int c = 0; c < N_PCURVE; c++) {
            char name[64];
            snprintf(name, sizeof name, "curve_%s", pcurve_fields[c].name);
            ck_assert_int_eq(H5Lexists(g, name, H5P_DEFAULT) > 0, want_curve(c));
            if (!want_curve(c))
                continue;
            dims[nl] = K;
            double *v = read_all(g, name, T_F64, nl + 1, dims);
            hid_t d = open_ds(g, name);
            check_attr_text(d, "description", pcurve_fields[c].help);
            H5Dclose(d);
            for (int q = 0; q < nl; q++)
                check_attached(g, name, lead_name[q], (unsigned)q);
            check_attached(g, name, "checkpoint", (unsigned)nl);
            check_storage(g, name, nl + 1, K, grid, -1);
            for (long i = 0; i < PN; i++) /* row-major: the run order either way */
                for (int k = 0; k < K; k++) {
                    double want = want_pcurve(sp, i, c, k), got = v[i * K + k];
                    ck_assert_msg(isnan(want) ? isnan(got) : got == want, "%s %s run %ld point %d: %g, expected %g",
                                  grid ? "grid" : "runs", name, i, k, got, want);
                }
            free(v);
        }
        /* arrays [lead x L] */
        for (int a = 0; a < N_PARR; a++) {
            const char *name = parr_fields[a].name;
            const int L = want_len(a, mli_max);
            ck_assert_msg((H5Lexists(g, name, H5P_DEFAULT) > 0) == (L > 0), "%s: present %d", name, L > 0);
            if (!L)
                continue;
            dims[nl] = (hsize_t)L;
            double *v = read_all(g, name, T_F64, nl + 1, dims);
            hid_t d = open_ds(g, name);
            check_attr_text(d, "description", parr_fields[a].help);
            H5Dclose(d);
            for (int q = 0; q < nl; q++)
                check_attached(g, name, lead_name[q], (unsigned)q);
            check_attached(g, name, want_dim(a), (unsigned)nl);
            check_storage(g, name, nl + 1, (hsize_t)L, grid, -1);
            for (long i = 0; i < PN; i++)
                for (int j = 0; j < L; j++) {
                    double want = want_parr(sp, i, a, j), got = v[i * L + j];
                    ck_assert_msg(isnan(want) ? isnan(got) : got == want, "%s %s run %ld value %d: %g, expected %g",
                                  grid ? "grid" : "runs", name, i, j, got, want);
                }
            free(v);
        }
        /* the scalar probe metrics are ordinary metrics */
        ck_assert(H5Lexists(g, "sharpness", H5P_DEFAULT) > 0 && H5Lexists(g, "probe_flags", H5P_DEFAULT) > 0);
        H5Gclose(g);
    }
    H5Fclose(f);
    spec_free(sp);
    paths_remove(&p);
}

START_TEST(test_probes_layout) { check_probe_file("5", "", 1); }
END_TEST

/* mli_points differs between runs: alpha is an index, and the 3-point runs'
 * rows are padded with NaN */
START_TEST(test_probes_alpha_index) { check_probe_file("{values: [3, 5]}", "zip:\n  - [lazy, mli_points]\n", 0); }
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tu_tcase("layout");
    tcase_add_test(tc, test_root);
    tcase_add_test(tc, test_completed);
    tcase_add_test(tc, test_runs_layout);
    tcase_add_test(tc, test_runs_values);
    tcase_add_test(tc, test_grid_layout);
    tcase_add_test(tc, test_grid_values);
    tcase_add_test(tc, test_random_has_no_grid);
    tcase_add_test(tc, test_unswept_grid_has_no_grid);
    suite_add_tcase(s, tc);
    tc = tu_tcase("storage");
    tcase_add_test(tc, test_storage_filled);
    tcase_add_test(tc, test_storage_pending);
    tcase_add_test(tc, test_storage_edges);
    tcase_add_test(tc, test_deflated);
    tcase_add_test(tc, test_unwritten_chunks);
    suite_add_tcase(s, tc);
    tc = tu_tcase("probes");
    tcase_add_test(tc, test_probes_layout);
    tcase_add_test(tc, test_probes_alpha_index);
    suite_add_tcase(s, tc);
    tc = tu_tcase("atomic");
    tcase_add_test(tc, test_atomic_rewrite);
    tcase_add_test(tc, test_write_fails_cleanly);
    tcase_add_test(tc, test_disk_full);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(store_suite)
