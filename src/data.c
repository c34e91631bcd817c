/* data.c -- synthetic generators and the HDF5 reader (see data.h, docs/DATA.md).
 *
 * Random-stream contract (docs/DATA.md spells it out; changing it changes
 * every dataset): with seed = cfg_data_seed(s),
 *   rng_stream(seed, RNG_TEACHER)      teacher weights / mixture means / beta
 *   rng_stream(seed, RNG_DATA_TRAIN)   train inputs (+ mixture labels, target noise)
 *   rng_stream(seed, RNG_DATA_TEST)    test inputs  (+ mixture labels, target noise)
 *   rng_stream(seed, RNG_LABEL_NOISE)  label noise on the training labels
 * Normals are gsl_ran_gaussian_ziggurat. The teacher is evaluated with plain
 * loops (not BLAS) so a dataset is bit-identical whatever BLAS kernel or
 * thread count the machine picks. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <hdf5.h>

#include "data.h"
#include "rng.h"

#define SQRT1_2 0.70710678118654752440 /* 1/sqrt(2); M_SQRT1_2 is not strict C11 */
#define MAX_LABEL 65535                /* file labels: k <= 65536, as cfg's classes */

struct data_gen {
    int kind;                 /* DATA_TEACHER, DATA_MIXTURE or DATA_LINEAR */
    int classification, d, k;
    double label_noise, target_noise;
    /* teacher */
    int width, depth, act;
    double softplus_beta;
    double *w;                /* W_1 [width x d], W_2..W_depth [width x width], W_out [k x width]
                               * (depth 0: W_out [k x d]), one flat buffer, each matrix stored
                               * transposed ([fan_in x fan_out], row-major) for the loop order */
    double *h0, *h1;          /* scratch [max(width, k)]: one row's activations */
    /* mixture */
    double *mu;               /* [k x d] class means */
    /* linear */
    double *beta, *sqlam;     /* [d] coefficients, sqrt(lambda_j) */
};

/* ---------------------------------------------------------------- helpers */

/* calloc of max(n, 1) elements, so an empty set still gets a valid pointer */
static void *xcalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

static double act_apply(int act, double beta, double v)
{
    switch (act) {
    case ACT_RELU: return v > 0 ? v : 0;
    case ACT_TANH: return tanh(v);
    case ACT_SIGMOID: return 1 / (1 + exp(-v));
    case ACT_SOFTPLUS: {
        /* log(1 + exp(beta v)) / beta, without overflow for large beta v */
        double bv = beta * v;
        return (bv > 0 ? bv + log1p(exp(-bv)) : log1p(exp(bv))) / beta;
    }
    case ACT_IDENTITY: return v;
    case ACT_ERF: return erf(v);
    case ACT_GELU: return 0.5 * v * (1 + erf(v * SQRT1_2)); /* x Phi(x) */
    default: return v;
    }
}

static void gen_free(data_gen *g)
{
    if (!g)
        return;
    free(g->sqlam);
    free(g->beta);
    free(g->mu);
    free(g->h1);
    free(g->h0);
    free(g->w);
    free(g);
}

void data_free(dataset *ds)
{
    if (!ds)
        return;
    gen_free(ds->gen);
    free(ds->sd);
    free(ds->mean);
    free(ds->corrupted);
    free(ds->c_clean);
    free(ds->y_test);
    free(ds->y_train);
    free(ds->c_test);
    free(ds->c_train);
    free(ds->x_test);
    free(ds->x_train);
    free(ds);
}

/* ------------------------------------------------------------- generators */

/* Teacher output f(x) in R^k for one input row x [d] into out [k]; out must
 * not be the scratch buffer read last (h0 for odd depth, h1 for even > 0).
 * The loops run over outputs innermost (vectorisable), but each output is
 * still the sum over inputs j = 0, 1, ... in order: the same bits as a naive
 * dot product. */
static void teacher_row(data_gen *g, const double *x, double *out)
{
    const double *in = x, *w = g->w;
    int nin = g->d;
    for (int l = 0; l <= g->depth; l++) {
        const int nout = l < g->depth ? g->width : g->k;
        double *h = l == g->depth ? out : (l % 2 == 0) ? g->h0 : g->h1;
        for (int o = 0; o < nout; o++)
            h[o] = 0;
        for (int j = 0; j < nin; j++) {
            const double a = in[j], *wj = w + (size_t)j * nout;
            for (int o = 0; o < nout; o++)
                h[o] += wj[o] * a;
        }
        if (l < g->depth)
            for (int o = 0; o < nout; o++)
                h[o] = act_apply(g->act, g->softplus_beta, h[o]);
        w += (size_t)nout * nin;
        in = h;
        nin = nout;
    }
}

/* Fill n examples. rx draws, in this order: (1) mixture only: the n labels;
 * (2) the inputs, row by row; (3) regression only: the n*k target-noise
 * normals (always drawn, so x does not depend on target_noise). rl, if not
 * NULL, then draws per row u ~ U[0,1) and a replacement label r ~ U{0..k-1}
 * (both always, so the corrupted sets are nested in label_noise): the label
 * becomes r when u < label_noise. c_clean / corrupted may be NULL. */
static void gen_fill(data_gen *g, gsl_rng *rx, gsl_rng *rl, int n, double *x, int *c, double *y,
                     int *c_clean, unsigned char *corrupted)
{
    const int d = g->d, k = g->k;
    if (g->kind == DATA_MIXTURE)
        for (int i = 0; i < n; i++)
            c[i] = (int)gsl_rng_uniform_int(rx, (unsigned long)k);
    for (int i = 0; i < n; i++) {
        double *xi = x + (size_t)i * d;
        for (int j = 0; j < d; j++) {
            double z = gsl_ran_gaussian_ziggurat(rx, 1.0);
            switch (g->kind) {
            case DATA_MIXTURE: xi[j] = g->mu[(size_t)c[i] * d + j] + z; break;
            case DATA_LINEAR: xi[j] = g->sqlam[j] * z; break;
            default: xi[j] = z; break;
            }
        }
    }
    if (g->kind == DATA_TEACHER) {
        for (int i = 0; i < n; i++) {
            const double *xi = x + (size_t)i * d;
            if (g->classification) {
                /* teacher_row last reads h0 (odd depth), h1 (even depth > 0) or x */
                double *f = (g->depth % 2 == 1) ? g->h1 : g->h0;
                teacher_row(g, xi, f);
                int best = 0;
                for (int m = 1; m < k; m++)
                    if (f[m] > f[best])
                        best = m;
                c[i] = best;
            } else {
                teacher_row(g, xi, y + (size_t)i * k);
            }
        }
    } else if (g->kind == DATA_LINEAR) {
        for (int i = 0; i < n; i++) {
            const double *xi = x + (size_t)i * d;
            double a = 0;
            for (int j = 0; j < d; j++)
                a += xi[j] * g->beta[j];
            y[i] = a;
        }
    }
    if (!g->classification)
        for (size_t t = 0; t < (size_t)n * k; t++)
            y[t] += g->target_noise * gsl_ran_gaussian_ziggurat(rx, 1.0);
    if (g->classification && rl) {
        for (int i = 0; i < n; i++) {
            double u = gsl_rng_uniform(rl);
            int r = (int)gsl_rng_uniform_int(rl, (unsigned long)k);
            if (c_clean)
                c_clean[i] = c[i];
            int hit = u < g->label_noise;
            if (hit)
                c[i] = r;
            if (corrupted)
                corrupted[i] = (unsigned char)hit;
        }
    }
}

/* Build the generator from the RNG_TEACHER stream rt. */
static int gen_alloc(const cfg *s, gsl_rng *rt, data_gen **out, sgd_err *e)
{
    *out = NULL;
    data_gen *g = calloc(1, sizeof *g);
    if (!g)
        return sgd_fail(e, SGD_ENOMEM, "data: out of memory (generator)");
    g->kind = s->data;
    g->d = s->d_in;
    g->label_noise = s->label_noise;
    g->target_noise = s->target_noise;
    const int d = g->d;

    if (s->data == DATA_TEACHER) {
        g->classification = s->task == TASK_CLASSIFICATION;
        g->k = s->classes;
        g->width = s->teacher_width;
        g->depth = s->teacher_depth;
        g->act = s->teacher_act;
        g->softplus_beta = s->softplus_beta;
        size_t nw = 0;
        int nin = d;
        for (int l = 0; l < g->depth; l++) {
            nw += (size_t)g->width * nin;
            nin = g->width;
        }
        nw += (size_t)g->k * nin;
        size_t nh = (size_t)(g->width > g->k ? g->width : g->k);
        g->w = malloc(nw * sizeof *g->w);
        g->h0 = xcalloc(nh, sizeof *g->h0);
        g->h1 = xcalloc(nh, sizeof *g->h1);
        if (!g->w || !g->h0 || !g->h1)
            goto nomem;
        /* LeCun: each layer's weights ~ N(0, 1/fan_in), layer by layer, row-major */
        double *w = g->w;
        nin = d;
        for (int l = 0; l <= g->depth; l++) {
            size_t nout = (size_t)(l < g->depth ? g->width : g->k);
            double sigma = 1 / sqrt((double)nin);
            /* drawn in row-major [nout x nin] order, stored transposed */
            for (size_t o = 0; o < nout; o++)
                for (size_t j = 0; j < (size_t)nin; j++)
                    w[j * nout + o] = gsl_ran_gaussian_ziggurat(rt, sigma);
            w += nout * nin;
            nin = g->width;
        }
    } else if (s->data == DATA_MIXTURE) {
        g->classification = 1;
        g->k = s->classes;
        const int k = g->k;
        if (k > d) {
            gen_free(g);
            return sgd_fail(e, SGD_EUSAGE,
                            "data mixture: classes (%d) must be <= d_in (%d): the class means are "
                            "orthogonal directions", k, d);
        }
        g->mu = malloc((size_t)k * d * sizeof *g->mu);
        if (!g->mu)
            goto nomem;
        /* Gram-Schmidt (two passes, for orthogonality to rounding) of Gaussian
         * vectors; a vector that collapses (probability 0) is redrawn. */
        for (int a = 0; a < k; a++) {
            double *v = g->mu + (size_t)a * d;
            for (;;) {
                double n0 = 0, nv = 0;
                for (int j = 0; j < d; j++) {
                    v[j] = gsl_ran_gaussian_ziggurat(rt, 1.0);
                    n0 += v[j] * v[j];
                }
                for (int pass = 0; pass < 2; pass++)
                    for (int b = 0; b < a; b++) {
                        const double *q = g->mu + (size_t)b * d;
                        double p = 0;
                        for (int j = 0; j < d; j++)
                            p += q[j] * v[j];
                        for (int j = 0; j < d; j++)
                            v[j] -= p * q[j];
                    }
                for (int j = 0; j < d; j++)
                    nv += v[j] * v[j];
                if (nv > 1e-20 * n0) {
                    double inv = 1 / sqrt(nv);
                    for (int j = 0; j < d; j++)
                        v[j] *= inv;
                    break;
                }
            }
        }
        /* scale only once all directions are orthonormal (they are used as q above) */
        double r = s->separation * SQRT1_2;
        for (size_t t = 0; t < (size_t)k * d; t++)
            g->mu[t] *= r;
    } else { /* DATA_LINEAR */
        g->classification = 0;
        g->k = 1;
        g->beta = malloc((size_t)d * sizeof *g->beta);
        g->sqlam = malloc((size_t)d * sizeof *g->sqlam);
        if (!g->beta || !g->sqlam)
            goto nomem;
        double sigma = 1 / sqrt((double)d);
        for (int j = 0; j < d; j++) {
            g->beta[j] = gsl_ran_gaussian_ziggurat(rt, sigma);
            g->sqlam[j] = sqrt(pow(j + 1.0, -s->cov_decay));
        }
    }
    *out = g;
    return 0;
nomem:
    gen_free(g);
    return sgd_fail(e, SGD_ENOMEM, "data: out of memory (generator)");
}

/* Allocate the arrays of a dataset of the given shape (labels or targets). */
static dataset *ds_alloc(int n_train, int n_test, int d, int k, int classification)
{
    dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    ds->n_train = n_train;
    ds->n_test = n_test;
    ds->d = d;
    ds->k = k;
    ds->classification = classification;
    ds->x_train = xcalloc((size_t)n_train * d, sizeof(double));
    ds->x_test = xcalloc((size_t)n_test * d, sizeof(double));
    int ok = ds->x_train && ds->x_test;
    if (classification) {
        ds->c_train = xcalloc((size_t)n_train, sizeof(int));
        ds->c_test = xcalloc((size_t)n_test, sizeof(int));
        ok = ok && ds->c_train && ds->c_test;
    } else {
        ds->y_train = xcalloc((size_t)n_train * k, sizeof(double));
        ds->y_test = xcalloc((size_t)n_test * k, sizeof(double));
        ok = ok && ds->y_train && ds->y_test;
    }
    if (!ok) {
        data_free(ds);
        return NULL;
    }
    return ds;
}

/* Per-feature train mean and population sd (sd 0 -> 1), applied in place to
 * the train and test inputs: x <- (x - mean) / sd. */
static int standardize(dataset *ds, sgd_err *e)
{
    const int d = ds->d, n = ds->n_train;
    ds->mean = calloc((size_t)d, sizeof *ds->mean);
    ds->sd = calloc((size_t)d, sizeof *ds->sd);
    if (!ds->mean || !ds->sd)
        return sgd_fail(e, SGD_ENOMEM, "data: out of memory (standardisation)");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            ds->mean[j] += ds->x_train[(size_t)i * d + j];
    for (int j = 0; j < d; j++)
        ds->mean[j] /= n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double t = ds->x_train[(size_t)i * d + j] - ds->mean[j];
            ds->sd[j] += t * t;
        }
    for (int j = 0; j < d; j++) {
        ds->sd[j] = sqrt(ds->sd[j] / n);
        if (!(ds->sd[j] > 0))
            ds->sd[j] = 1;
    }
    for (size_t t = 0; t < (size_t)n * d; t++)
        ds->x_train[t] = (ds->x_train[t] - ds->mean[t % d]) / ds->sd[t % d];
    for (size_t t = 0; t < (size_t)ds->n_test * d; t++)
        ds->x_test[t] = (ds->x_test[t] - ds->mean[t % d]) / ds->sd[t % d];
    return 0;
}

/* Label noise on a file's training labels, from the RNG_LABEL_NOISE stream:
 * the same per-row draws as gen_fill. */
static int file_label_noise(dataset *ds, const cfg *s, sgd_err *e)
{
    const int n = ds->n_train;
    ds->c_clean = malloc((size_t)n * sizeof *ds->c_clean);
    ds->corrupted = calloc((size_t)n, sizeof *ds->corrupted);
    gsl_rng *rl = rng_stream(cfg_data_seed(s), RNG_LABEL_NOISE);
    if (!ds->c_clean || !ds->corrupted || !rl) {
        gsl_rng_free(rl);
        return sgd_fail(e, SGD_ENOMEM, "data: out of memory (label noise)");
    }
    for (int i = 0; i < n; i++) {
        double u = gsl_rng_uniform(rl);
        int r = (int)gsl_rng_uniform_int(rl, (unsigned long)ds->k);
        ds->c_clean[i] = ds->c_train[i];
        if (u < s->label_noise) {
            ds->c_train[i] = r;
            ds->corrupted[i] = 1;
        }
    }
    gsl_rng_free(rl);
    return 0;
}

int data_make(const cfg *s, dataset **out, sgd_err *e)
{
    *out = NULL;
    if (s->data == DATA_FILE) {
        dataset *ds = NULL;
        int rc = data_load_h5(s->data_file, &ds, e);
        if (rc)
            return rc;
        if (s->label_noise > 0 && !ds->classification) {
            data_free(ds);
            return sgd_fail(e, SGD_EUSAGE, "data file %s: label_noise %g needs integer labels, but /train/y "
                            "holds regression targets", s->data_file, s->label_noise);
        }
        if ((s->label_noise > 0 && (rc = file_label_noise(ds, s, e))) ||
            (s->standardize && (rc = standardize(ds, e)))) {
            data_free(ds);
            return rc;
        }
        *out = ds;
        return 0;
    }
    if (s->data != DATA_TEACHER && s->data != DATA_MIXTURE && s->data != DATA_LINEAR)
        return sgd_fail(e, SGD_EUSAGE, "data: unknown generator %d", s->data);
    if (s->n_train < 1 || s->n_test < 0 || s->d_in < 1 || s->classes < 1 ||
        (s->data == DATA_TEACHER && s->teacher_depth > 0 && s->teacher_width < 1))
        return sgd_fail(e, SGD_EUSAGE, "data: bad sizes (n_train %d, n_test %d, d_in %d, classes %d, "
                        "teacher_width %d)", s->n_train, s->n_test, s->d_in, s->classes, s->teacher_width);
    if (cfg_is_classification(s) && s->classes < 2)
        return sgd_fail(e, SGD_EUSAGE, "data: classes %d, classification needs at least 2", s->classes);

    const uint64_t seed = cfg_data_seed(s);
    gsl_rng *rt = rng_stream(seed, RNG_TEACHER), *rtr = rng_stream(seed, RNG_DATA_TRAIN),
            *rte = rng_stream(seed, RNG_DATA_TEST), *rl = rng_stream(seed, RNG_LABEL_NOISE);
    dataset *ds = NULL;
    data_gen *g = NULL;
    int rc = 0;
    if (!rt || !rtr || !rte || !rl) {
        rc = sgd_fail(e, SGD_ENOMEM, "data: out of memory (random streams)");
        goto done;
    }
    if ((rc = gen_alloc(s, rt, &g, e)))
        goto done;
    ds = ds_alloc(s->n_train, s->n_test, g->d, g->k, g->classification);
    if (ds && g->classification) {
        ds->c_clean = malloc((size_t)s->n_train * sizeof *ds->c_clean);
        ds->corrupted = calloc((size_t)s->n_train, sizeof *ds->corrupted);
    }
    if (!ds || (g->classification && (!ds->c_clean || !ds->corrupted))) {
        rc = sgd_fail(e, SGD_ENOMEM, "data: out of memory (%lld x %d dataset)",
                      (long long)s->n_train + s->n_test, s->d_in);
        goto done;
    }
    ds->gen = g;
    g = NULL;
    gen_fill(ds->gen, rtr, rl, ds->n_train, ds->x_train, ds->c_train, ds->y_train, ds->c_clean, ds->corrupted);
    gen_fill(ds->gen, rte, NULL, ds->n_test, ds->x_test, ds->c_test, ds->y_test, NULL, NULL);
    if (s->standardize && (rc = standardize(ds, e)))
        goto done;
done:
    if (rc) {
        data_free(ds);
        ds = NULL;
    }
    gen_free(g);
    gsl_rng_free(rl);
    gsl_rng_free(rte);
    gsl_rng_free(rtr);
    gsl_rng_free(rt);
    *out = ds;
    return rc;
}

int data_sample(const dataset *ds, gsl_rng *r, int n, double *x, int *c, double *y)
{
    if (!ds || !ds->gen || !r || n < 0)
        return 1;
    data_gen *g = ds->gen;
    if (!x || (g->classification ? !c : !y))
        return 1;
    gen_fill(g, r, g->classification && g->label_noise > 0 ? r : NULL, n, x, c, y, NULL, NULL);
    if (ds->mean) {
        const int d = ds->d;
        for (size_t t = 0; t < (size_t)n * d; t++)
            x[t] = (x[t] - ds->mean[t % d]) / ds->sd[t % d];
    }
    return 0;
}

/* ------------------------------------------------------------------- HDF5 */

/* One dataset read whole: floating data as double, integers as long long. */
typedef struct {
    H5T_class_t cls;          /* H5T_INTEGER or H5T_FLOAT */
    int rank;                 /* 1 or 2 */
    hsize_t dims[2];          /* dims[1] = 1 when rank is 1 */
    double *dv;               /* [dims[0] x dims[1]] when cls is H5T_FLOAT */
    long long *iv;            /* [dims[0] x dims[1]] when cls is H5T_INTEGER */
    int is_unsigned;          /* iv holds unsigned long long bits (an unsigned type in the file) */
} h5arr;

static void h5arr_free(h5arr *a)
{
    free(a->dv);
    free(a->iv);
    a->dv = NULL;
    a->iv = NULL;
}

/* Read /group/name of file f (path `file`, for messages). as_double: read
 * integer data as double too (inputs); a->cls still says what the file holds. */
static int h5_read(hid_t f, const char *file, const char *group, const char *name, int as_double, h5arr *a,
                   sgd_err *e)
{
    char gpath[64], dpath[128];
    snprintf(gpath, sizeof gpath, "/%s", group);
    snprintf(dpath, sizeof dpath, "/%s/%s", group, name);
    memset(a, 0, sizeof *a);
    hid_t did = H5I_INVALID_HID, tid = H5I_INVALID_HID, sid = H5I_INVALID_HID;
    int rc = 0;

    htri_t ex = H5Lexists(f, gpath, H5P_DEFAULT);
    if (ex > 0)
        ex = H5Lexists(f, dpath, H5P_DEFAULT);
    if (ex <= 0)
        return sgd_fail(e, SGD_EDATA, "data file %s: %s: missing dataset", file, dpath);
    if ((did = H5Dopen2(f, dpath, H5P_DEFAULT)) < 0) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: not a dataset", file, dpath);
        goto done;
    }
    if ((tid = H5Dget_type(did)) < 0 || (sid = H5Dget_space(did)) < 0) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: cannot read its type or shape", file, dpath);
        goto done;
    }
    a->cls = H5Tget_class(tid);
    if (a->cls != H5T_INTEGER && a->cls != H5T_FLOAT) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: unsupported element type (want integer or floating)",
                      file, dpath);
        goto done;
    }
    int rank = H5Sget_simple_extent_ndims(sid);
    if (rank < 1 || rank > 2) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: rank %d, want 1 or 2", file, dpath, rank);
        goto done;
    }
    a->rank = rank;
    a->dims[1] = 1;
    if (H5Sget_simple_extent_dims(sid, a->dims, NULL) < 0) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: cannot read its shape", file, dpath);
        goto done;
    }
    if (a->dims[0] == 0 || a->dims[1] == 0) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: empty (shape %llu x %llu)", file, dpath,
                      (unsigned long long)a->dims[0], (unsigned long long)a->dims[1]);
        goto done;
    }
    if (a->dims[0] > INT_MAX || a->dims[1] > INT_MAX || a->dims[0] * a->dims[1] > (SIZE_MAX / 8)) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: too large (shape %llu x %llu)", file, dpath,
                      (unsigned long long)a->dims[0], (unsigned long long)a->dims[1]);
        goto done;
    }
    size_t nel = (size_t)(a->dims[0] * a->dims[1]);
    herr_t st;
    if (a->cls == H5T_FLOAT || as_double) {
        if (!(a->dv = malloc(nel * sizeof *a->dv))) {
            rc = sgd_fail(e, SGD_ENOMEM, "data file %s: %s: out of memory", file, dpath);
            goto done;
        }
        st = H5Dread(did, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->dv);
    } else {
        if (!(a->iv = malloc(nel * sizeof *a->iv))) {
            rc = sgd_fail(e, SGD_ENOMEM, "data file %s: %s: out of memory", file, dpath);
            goto done;
        }
        /* an unsigned file type is read as unsigned: converted to long long, values
         * above 2^63 - 1 would be clipped and reported wrongly */
        a->is_unsigned = H5Tget_sign(tid) == H5T_SGN_NONE;
        st = H5Dread(did, a->is_unsigned ? H5T_NATIVE_ULLONG : H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     a->iv);
    }
    if (st < 0)
        rc = sgd_fail(e, SGD_EDATA, "data file %s: %s: read failed", file, dpath);
done:
    if (sid >= 0 && H5Sclose(sid) < 0 && !rc)
        rc = sgd_fail(e, SGD_EINTERNAL, "data file %s: %s: H5Sclose failed", file, dpath);
    if (tid >= 0 && H5Tclose(tid) < 0 && !rc)
        rc = sgd_fail(e, SGD_EINTERNAL, "data file %s: %s: H5Tclose failed", file, dpath);
    if (did >= 0 && H5Dclose(did) < 0 && !rc)
        rc = sgd_fail(e, SGD_EINTERNAL, "data file %s: %s: H5Dclose failed", file, dpath);
    if (rc)
        h5arr_free(a);
    return rc;
}

/* First non-finite element of a [n x m] array: its index, or -1. */
static long long first_nonfinite(const double *v, size_t nel)
{
    for (size_t t = 0; t < nel; t++)
        if (!isfinite(v[t]))
            return (long long)t;
    return -1;
}

static int check_finite(const h5arr *a, const char *file, const char *dpath, sgd_err *e)
{
    if (!a->dv)
        return 0;
    long long t = first_nonfinite(a->dv, (size_t)(a->dims[0] * a->dims[1]));
    if (t < 0)
        return 0;
    return sgd_fail(e, SGD_EDATA, "data file %s: %s: %s at row %lld, column %lld", file, dpath,
                    isnan(a->dv[t]) ? "NaN" : "Inf", t / (long long)a->dims[1], t % (long long)a->dims[1]);
}

/* Check the shapes and values of one split; x and y already read. */
static int check_split(const h5arr *x, const h5arr *y, const char *file, const char *split, sgd_err *e)
{
    char xp[32], yp[32];
    snprintf(xp, sizeof xp, "/%s/x", split);
    snprintf(yp, sizeof yp, "/%s/y", split);
    if (x->rank != 2)
        return sgd_fail(e, SGD_EDATA, "data file %s: %s: rank %d, want 2 ([n x d])", file, xp, x->rank);
    if (y->cls == H5T_INTEGER && y->rank != 1)
        return sgd_fail(e, SGD_EDATA, "data file %s: %s: integer labels must have rank 1 ([n]), got rank %d",
                        file, yp, y->rank);
    if (y->dims[0] != x->dims[0])
        return sgd_fail(e, SGD_EDATA, "data file %s: %s: %llu rows, but %s has %llu", file, yp,
                        (unsigned long long)y->dims[0], xp, (unsigned long long)x->dims[0]);
    int rc;
    if ((rc = check_finite(x, file, xp, e)) || (rc = check_finite(y, file, yp, e)))
        return rc;
    if (y->cls == H5T_INTEGER)
        for (hsize_t i = 0; i < y->dims[0]; i++) {
            const unsigned long long u = (unsigned long long)y->iv[i]; /* the bits, if unsigned */
            if (y->is_unsigned ? u > MAX_LABEL : y->iv[i] < 0 || y->iv[i] > MAX_LABEL) {
                char val[32];
                if (y->is_unsigned)
                    snprintf(val, sizeof val, "%llu", u);
                else
                    snprintf(val, sizeof val, "%lld", y->iv[i]);
                return sgd_fail(e, SGD_EDATA, "data file %s: %s: label %s at row %llu (labels must be "
                                "0..k-1, k <= %d)", file, yp, val, (unsigned long long)i, MAX_LABEL + 1);
            }
        }
    return 0;
}

int data_load_h5(const char *path, dataset **out, sgd_err *e)
{
    *out = NULL;
    h5arr xtr = {0}, ytr = {0}, xte = {0}, yte = {0};
    hid_t f = H5I_INVALID_HID;
    dataset *ds = NULL;
    int rc = 0;

    /* HDF5 would print its error stack to stderr; our messages say it all */
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    int restore = H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    FILE *fp = fopen(path, "rb");
    if (!fp) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    fclose(fp);
    if (H5Fis_hdf5(path) <= 0) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: not an HDF5 file", path);
        goto done;
    }
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: cannot open as HDF5", path);
        goto done;
    }
    if ((rc = h5_read(f, path, "train", "x", 1, &xtr, e)) || (rc = h5_read(f, path, "train", "y", 0, &ytr, e)) ||
        (rc = h5_read(f, path, "test", "x", 1, &xte, e)) || (rc = h5_read(f, path, "test", "y", 0, &yte, e)) ||
        (rc = check_split(&xtr, &ytr, path, "train", e)) || (rc = check_split(&xte, &yte, path, "test", e)))
        goto done;
    if (xte.dims[1] != xtr.dims[1]) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: /test/x: %llu features, but /train/x has %llu", path,
                      (unsigned long long)xte.dims[1], (unsigned long long)xtr.dims[1]);
        goto done;
    }
    if (ytr.cls != yte.cls) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: /train/y is %s but /test/y is %s: label kinds differ", path,
                      ytr.cls == H5T_INTEGER ? "integer (classes)" : "floating (regression)",
                      yte.cls == H5T_INTEGER ? "integer (classes)" : "floating (regression)");
        goto done;
    }
    const int classification = ytr.cls == H5T_INTEGER;
    if (!classification && yte.dims[1] != ytr.dims[1]) {
        rc = sgd_fail(e, SGD_EDATA, "data file %s: /test/y: %llu targets per row, but /train/y has %llu", path,
                      (unsigned long long)yte.dims[1], (unsigned long long)ytr.dims[1]);
        goto done;
    }
    const int ntr = (int)xtr.dims[0], nte = (int)xte.dims[0], d = (int)xtr.dims[1];
    int k = 2;
    if (classification) {
        for (int i = 0; i < ntr; i++)
            if (ytr.iv[i] + 1 > k)
                k = (int)ytr.iv[i] + 1;
        for (int i = 0; i < nte; i++)
            if (yte.iv[i] + 1 > k)
                k = (int)yte.iv[i] + 1;
    } else {
        k = (int)ytr.dims[1];
    }
    if (!(ds = calloc(1, sizeof *ds))) {
        rc = sgd_fail(e, SGD_ENOMEM, "data file %s: out of memory", path);
        goto done;
    }
    ds->n_train = ntr;
    ds->n_test = nte;
    ds->d = d;
    ds->k = k;
    ds->classification = classification;
    /* hand the buffers over */
    ds->x_train = xtr.dv;
    ds->x_test = xte.dv;
    xtr.dv = xte.dv = NULL;
    if (classification) {
        ds->c_train = malloc((size_t)ntr * sizeof *ds->c_train);
        ds->c_test = malloc((size_t)nte * sizeof *ds->c_test);
        if (!ds->c_train || !ds->c_test) {
            rc = sgd_fail(e, SGD_ENOMEM, "data file %s: out of memory", path);
            goto done;
        }
        for (int i = 0; i < ntr; i++)
            ds->c_train[i] = (int)ytr.iv[i];
        for (int i = 0; i < nte; i++)
            ds->c_test[i] = (int)yte.iv[i];
    } else {
        ds->y_train = ytr.dv;
        ds->y_test = yte.dv;
        ytr.dv = yte.dv = NULL;
    }
done:
    if (f >= 0 && H5Fclose(f) < 0 && !rc)
        rc = sgd_fail(e, SGD_EINTERNAL, "data file %s: H5Fclose failed", path);
    if (restore)
        H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    h5arr_free(&yte);
    h5arr_free(&xte);
    h5arr_free(&ytr);
    h5arr_free(&xtr);
    if (rc) {
        data_free(ds);
        ds = NULL;
    }
    *out = ds;
    return rc;
}
