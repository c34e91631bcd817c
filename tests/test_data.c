/* test_data.c -- the data module against independent computations.
 *
 * Statistical checks use 5-sigma tolerances with fixed seeds, so they are
 * deterministic yet would catch a wrong distribution. The teacher is
 * re-implemented here from the stream contract in docs/DATA.md. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <hdf5.h>

#include "cfg.h"
#include "data.h"
#include "rng.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */

static cfg base(int data)
{
    cfg s;
    cfg_defaults(&s);
    s.data = data;
    s.seed = 4242;
    return s;
}

static dataset *make(const cfg *s)
{
    sgd_err e = {0};
    dataset *ds = NULL;
    int rc = data_make(s, &ds, &e);
    ck_assert_msg(rc == 0, "data_make failed (%d): %s", rc, e.msg);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

/* |a - b| <= tol, with a message */
#define ck_near(a, b, tol, what)                                                                      \
    do {                                                                                              \
        double a_ = (a), b_ = (b), t_ = (tol);                                                        \
        ck_assert_msg(fabs(a_ - b_) <= t_, "%s: %.12g vs %.12g (tolerance %.3g)", what, a_, b_, t_);  \
    } while (0)

/* Activations written differently from src/data.c on purpose. */
static double ref_act(int act, double beta, double v)
{
    switch (act) {
    case ACT_RELU: return fmax(v, 0.0);
    case ACT_TANH: return tanh(v);
    case ACT_SIGMOID: return 0.5 * (1 + tanh(0.5 * v));
    case ACT_SOFTPLUS: return log(1 + exp(beta * v)) / beta;
    case ACT_IDENTITY: return v;
    case ACT_ERF: return erf(v);
    case ACT_GELU: return v * gsl_cdf_ugaussian_P(v);
    }
    ck_abort_msg("unknown activation %d", act);
    return 0;
}

/* The teacher of docs/DATA.md: layer by layer, row-major, each weight
 * N(0, 1/fan_in) from the RNG_TEACHER stream. */
typedef struct {
    int d, w, depth, k, act;
    double beta;
    double *W[128];
} ref_teacher;

static void ref_teacher_init(ref_teacher *t, const cfg *s)
{
    memset(t, 0, sizeof *t);
    t->d = s->d_in, t->w = s->teacher_width, t->depth = s->teacher_depth, t->k = s->classes;
    t->act = s->teacher_act, t->beta = s->softplus_beta;
    ck_assert_int_lt(t->depth, 127);
    gsl_rng *r = rng_stream(cfg_data_seed(s), RNG_TEACHER);
    int nin = t->d;
    for (int l = 0; l <= t->depth; l++) {
        int nout = l < t->depth ? t->w : t->k;
        t->W[l] = malloc(sizeof(double) * nout * nin);
        for (int i = 0; i < nout * nin; i++)
            t->W[l][i] = gsl_ran_gaussian_ziggurat(r, 1.0) / sqrt((double)nin);
        nin = t->w;
    }
    gsl_rng_free(r);
}

static void ref_teacher_free(ref_teacher *t)
{
    for (int l = 0; l <= t->depth; l++)
        free(t->W[l]);
}

static void ref_teacher_f(const ref_teacher *t, const double *x, double *out)
{
    int nmax = t->w > t->d ? t->w : t->d;
    double *a = malloc(sizeof(double) * nmax), *b = malloc(sizeof(double) * nmax);
    memcpy(a, x, sizeof(double) * t->d);
    int nin = t->d;
    for (int l = 0; l <= t->depth; l++) {
        int nout = l < t->depth ? t->w : t->k;
        double *dst = l < t->depth ? b : out;
        for (int o = 0; o < nout; o++) {
            long double z = 0;
            for (int j = 0; j < nin; j++)
                z += (long double)t->W[l][o * nin + j] * a[j];
            dst[o] = l < t->depth ? ref_act(t->act, t->beta, (double)z) : (double)z;
        }
        double *tmp = a;
        a = b;
        b = tmp;
        nin = nout;
    }
    free(a);
    free(b);
}

static int ref_argmax(const ref_teacher *t, const double *x)
{
    double f[64];
    ck_assert_int_le(t->k, 64);
    ref_teacher_f(t, x, f);
    int best = 0;
    for (int m = 1; m < t->k; m++)
        if (f[m] > f[best])
            best = m;
    return best;
}

/* Least squares of y [n] on x [n x d] (no intercept); returns the residual
 * sum of squares and fills coef [d]. */
static double lstsq(const double *x, const double *y, int n, int d, int ystride, double *coef)
{
    gsl_matrix *X = gsl_matrix_alloc(n, d), *C = gsl_matrix_alloc(d, d);
    gsl_vector *Y = gsl_vector_alloc(n), *c = gsl_vector_alloc(d);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(n, d);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            gsl_matrix_set(X, i, j, x[(size_t)i * d + j]);
        gsl_vector_set(Y, i, y[(size_t)i * ystride]);
    }
    double chisq;
    ck_assert_int_eq(gsl_multifit_linear(X, Y, c, C, &chisq, w), 0);
    for (int j = 0; j < d; j++)
        coef[j] = gsl_vector_get(c, j);
    gsl_multifit_linear_free(w);
    gsl_vector_free(c);
    gsl_vector_free(Y);
    gsl_matrix_free(C);
    gsl_matrix_free(X);
    return chisq;
}

/* chi-square p-value that labels c [n] are uniform over k classes */
static double uniform_pvalue(const int *c, int n, int k)
{
    double *cnt = calloc(k, sizeof *cnt), chi2 = 0, e = (double)n / k;
    for (int i = 0; i < n; i++) {
        ck_assert(c[i] >= 0 && c[i] < k);
        cnt[c[i]]++;
    }
    for (int m = 0; m < k; m++)
        chi2 += (cnt[m] - e) * (cnt[m] - e) / e;
    free(cnt);
    return gsl_cdf_chisq_Q(chi2, k - 1);
}

/* ------------------------------------------------------------- generators */

START_TEST(test_mixture_balance)
{
    cfg s = base(DATA_MIXTURE);
    s.classes = 7, s.d_in = 9, s.n_train = 14000, s.n_test = 7000, s.separation = 2.385;
    dataset *ds = make(&s);
    ck_assert_int_eq(ds->k, 7);
    ck_assert_int_eq(ds->classification, 1);
    ck_assert_ptr_null(ds->y_train);
    /* a p-value below 1e-6 is a > 5-sigma event */
    ck_assert_msg(uniform_pvalue(ds->c_train, ds->n_train, 7) > 1e-6, "train labels not uniform");
    ck_assert_msg(uniform_pvalue(ds->c_test, ds->n_test, 7) > 1e-6, "test labels not uniform");
    /* and per class */
    int cnt[7] = {0};
    for (int i = 0; i < ds->n_train; i++)
        cnt[ds->c_train[i]]++;
    double p = 1.0 / 7, sig = sqrt(ds->n_train * p * (1 - p));
    for (int m = 0; m < 7; m++)
        ck_near(cnt[m], ds->n_train * p, 5 * sig, "class count");
    /* no label noise asked: nothing corrupted */
    for (int i = 0; i < ds->n_train; i++)
        ck_assert(!ds->corrupted[i] && ds->c_clean[i] == ds->c_train[i]);
    data_free(ds);
}
END_TEST

START_TEST(test_mixture_geometry)
{
    enum { K = 4, D = 10 };
    cfg s = base(DATA_MIXTURE);
    s.classes = K, s.d_in = D, s.n_train = 20000, s.n_test = 10, s.separation = 2.385;
    dataset *ds = make(&s);
    double m[K][D] = {{0}}, nc[K] = {0};
    for (int i = 0; i < ds->n_train; i++) {
        nc[ds->c_train[i]]++;
        for (int j = 0; j < D; j++)
            m[ds->c_train[i]][j] += ds->x_train[i * D + j];
    }
    for (int a = 0; a < K; a++)
        for (int j = 0; j < D; j++)
            m[a][j] /= nc[a];
    const double sep2 = s.separation * s.separation;
    for (int a = 0; a < K; a++) {
        /* ||m_a||^2 - D/n_a estimates ||mu_a||^2 = separation^2 / 2 */
        double q = 0, s2 = 1 / nc[a];
        for (int j = 0; j < D; j++)
            q += m[a][j] * m[a][j];
        ck_near(q - D * s2, sep2 / 2, 5 * sqrt(2 * sep2 * s2 + 2 * D * s2 * s2), "|mu_c|^2");
        for (int b = a + 1; b < K; b++) {
            double q2 = 0, v = 1 / nc[a] + 1 / nc[b];
            for (int j = 0; j < D; j++)
                q2 += (m[a][j] - m[b][j]) * (m[a][j] - m[b][j]);
            ck_near(q2 - D * v, sep2, 5 * sqrt(4 * sep2 * v + 2 * D * v * v), "|mu_a - mu_b|^2");
        }
    }
    /* the noise around each mean is N(0, I) */
    double ss = 0;
    for (int i = 0; i < ds->n_train; i++)
        for (int j = 0; j < D; j++) {
            double t = ds->x_train[i * D + j] - m[ds->c_train[i]][j];
            ss += t * t;
        }
    double dof = (double)ds->n_train * D - K * D;
    ck_near(ss / dof, 1.0, 5 * sqrt(2 / dof), "within-class variance");
    data_free(ds);

    /* more classes than dimensions cannot have orthogonal means */
    s.classes = 11, s.d_in = 10;
    sgd_err e = {0};
    ds = (dataset *)1;
    ck_assert_int_eq(data_make(&s, &ds, &e), SGD_EUSAGE);
    ck_assert_ptr_null(ds);
    ck_assert_msg(strstr(e.msg, "classes (11)") && strstr(e.msg, "d_in (10)"), "message: %s", e.msg);
}
END_TEST

START_TEST(test_label_noise_fraction)
{
    cfg s = base(DATA_TEACHER);
    s.classes = 3, s.d_in = 8, s.teacher_width = 16, s.teacher_depth = 2, s.n_train = 20000, s.n_test = 500;
    s.label_noise = 0.3;
    dataset *ds = make(&s);
    cfg s0 = s;
    s0.label_noise = 0;
    dataset *d0 = make(&s0);
    cfg s6 = s;
    s6.label_noise = 0.6;
    dataset *d6 = make(&s6);
    const int n = ds->n_train;
    int ncor = 0, nsame = 0;
    for (int i = 0; i < n; i++) {
        ck_assert(ds->c_train[i] >= 0 && ds->c_train[i] < 3);
        if (ds->corrupted[i]) {
            ncor++;
            nsame += ds->c_train[i] == ds->c_clean[i];
            ck_assert_msg(d6->corrupted[i], "corrupted sets not nested at row %d", i);
        } else {
            ck_assert_int_eq(ds->c_train[i], ds->c_clean[i]);
        }
        /* the clean labels are the noiseless teacher's */
        ck_assert_int_eq(ds->c_clean[i], d0->c_train[i]);
    }
    ck_near(ncor, 0.3 * n, 5 * sqrt(n * 0.3 * 0.7), "corrupted count");
    ck_near(nsame, ncor / 3.0, 5 * sqrt(ncor * (1 / 3.0) * (2 / 3.0)), "corrupted labels that kept their class");
    /* noise leaves inputs and the test set alone */
    ck_assert(memcmp(ds->x_train, d0->x_train, sizeof(double) * n * ds->d) == 0);
    ck_assert(memcmp(ds->x_test, d0->x_test, sizeof(double) * ds->n_test * ds->d) == 0);
    ck_assert(memcmp(ds->c_test, d0->c_test, sizeof(int) * ds->n_test) == 0);
    data_free(d6);
    data_free(d0);
    data_free(ds);
}
END_TEST

START_TEST(test_label_noise_all)
{
    cfg s = base(DATA_TEACHER);
    s.classes = 4, s.d_in = 6, s.teacher_width = 12, s.teacher_depth = 1, s.n_train = 12000, s.n_test = 50;
    s.label_noise = 1;
    dataset *ds = make(&s);
    const int n = ds->n_train;
    int agree = 0;
    for (int i = 0; i < n; i++) {
        ck_assert(ds->corrupted[i]);
        agree += ds->c_train[i] == ds->c_clean[i];
    }
    ck_assert_msg(uniform_pvalue(ds->c_train, n, 4) > 1e-6, "random labels are not uniform");
    ck_near(agree, n / 4.0, 5 * sqrt(n * 0.25 * 0.75), "agreement of random labels with the teacher");
    data_free(ds);
}
END_TEST

/* Teacher outputs equal an independent re-implementation, for every
 * activation and depths 0..3, in regression (f itself) and classification
 * (argmax f, same inputs, same teacher). */
START_TEST(test_teacher_reference)
{
    for (int act = ACT_RELU; act <= ACT_GELU; act++)
        for (int depth = 0; depth <= 3; depth++) {
            cfg s = base(DATA_TEACHER);
            s.d_in = 4, s.teacher_width = 5, s.teacher_depth = depth, s.classes = 3, s.teacher_act = act;
            s.softplus_beta = 2.385, s.n_train = 300, s.n_test = 100, s.seed = 17 + act * 10 + depth;
            s.task = TASK_REGRESSION;
            dataset *dr = make(&s);
            s.task = TASK_CLASSIFICATION;
            dataset *dc = make(&s);
            ck_assert_int_eq(dr->k, 3);
            ck_assert_int_eq(dr->classification, 0);
            ck_assert_ptr_null(dr->c_clean);
            ck_assert(memcmp(dr->x_train, dc->x_train, sizeof(double) * dr->n_train * dr->d) == 0);
            ref_teacher t;
            ref_teacher_init(&t, &s);
            double f[3], fmax = 0;
            for (int split = 0; split < 2; split++) {
                int n = split ? dr->n_test : dr->n_train;
                const double *x = split ? dr->x_test : dr->x_train, *y = split ? dr->y_test : dr->y_train;
                const int *c = split ? dc->c_test : dc->c_train;
                for (int i = 0; i < n; i++) {
                    ref_teacher_f(&t, x + i * 4, f);
                    for (int m = 0; m < 3; m++) {
                        ck_assert_msg(fabs(y[i * 3 + m] - f[m]) <= 1e-12 * (1 + fabs(f[m])),
                                      "act %d depth %d row %d: y %.17g, reference %.17g", act, depth, i,
                                      y[i * 3 + m], f[m]);
                        fmax = fmax > fabs(f[m]) ? fmax : fabs(f[m]);
                    }
                    ck_assert_msg(c[i] == ref_argmax(&t, x + i * 4), "act %d depth %d: label of row %d",
                                  act, depth, i);
                }
            }
            ck_assert_msg(fmax > 1e-3, "teacher output is trivially small");
            ref_teacher_free(&t);
            data_free(dc);
            data_free(dr);
        }
}
END_TEST

/* A linear teacher (depth 0, or identity layers) is exactly linear in x:
 * least squares on train predicts test to rounding. A tanh teacher is not. */
START_TEST(test_teacher_linear_fit)
{
    const int depths[] = {0, 2, 2}, acts[] = {ACT_TANH, ACT_IDENTITY, ACT_TANH};
    for (int c = 0; c < 3; c++) {
        cfg s = base(DATA_TEACHER);
        s.task = TASK_REGRESSION, s.classes = 2, s.d_in = 5, s.teacher_width = 9;
        s.teacher_depth = depths[c], s.teacher_act = acts[c], s.n_train = 40, s.n_test = 30;
        dataset *ds = make(&s);
        double worst = 0, coef[5];
        for (int m = 0; m < 2; m++) {
            lstsq(ds->x_train, ds->y_train + m, ds->n_train, 5, 2, coef);
            for (int i = 0; i < ds->n_test; i++) {
                double p = 0;
                for (int j = 0; j < 5; j++)
                    p += coef[j] * ds->x_test[i * 5 + j];
                worst = fmax(worst, fabs(p - ds->y_test[i * 2 + m]));
            }
        }
        if (c < 2)
            ck_assert_msg(worst < 1e-10, "linear teacher (depth %d) residual %g", depths[c], worst);
        else
            ck_assert_msg(worst > 1e-3, "tanh teacher looks linear (residual %g)", worst);
        data_free(ds);
    }

    /* target noise: the residual variance about the (linear) teacher */
    cfg s = base(DATA_TEACHER);
    s.task = TASK_REGRESSION, s.classes = 1, s.d_in = 5, s.teacher_depth = 0, s.n_train = 8000, s.n_test = 10;
    s.target_noise = 0.385;
    dataset *ds = make(&s);
    double coef[5], dof = ds->n_train - 5;
    double rss = lstsq(ds->x_train, ds->y_train, ds->n_train, 5, 1, coef);
    ck_near(rss / dof, 0.385 * 0.385, 5 * 0.385 * 0.385 * sqrt(2 / dof), "residual variance");
    data_free(ds);
}
END_TEST

START_TEST(test_linear_spectrum)
{
    enum { D = 6 };
    cfg s = base(DATA_LINEAR);
    s.d_in = D, s.cov_decay = 1.385, s.target_noise = 0.385, s.n_train = 40000, s.n_test = 20;
    s.task = TASK_CLASSIFICATION; /* ignored: linear is always regression */
    dataset *ds = make(&s);
    ck_assert_int_eq(ds->k, 1);
    ck_assert_int_eq(ds->classification, 0);
    ck_assert_ptr_null(ds->c_train);
    ck_assert_ptr_null(ds->c_clean);
    const int n = ds->n_train;
    double C[D][D] = {{0}};
    for (int i = 0; i < n; i++)
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++)
                C[a][b] += ds->x_train[i * D + a] * ds->x_train[i * D + b] / n;
    for (int a = 0; a < D; a++) {
        double la = pow(a + 1, -1.385);
        ck_near(C[a][a] / la, 1.0, 5 * sqrt(2.0 / n), "variance / j^-alpha");
        for (int b = a + 1; b < D; b++)
            ck_near(C[a][b] / sqrt(la * pow(b + 1, -1.385)), 0.0, 5 / sqrt((double)n), "correlation");
    }
    double coef[D], dof = n - D;
    double rss = lstsq(ds->x_train, ds->y_train, n, D, 1, coef);
    ck_near(rss / dof, 0.385 * 0.385, 5 * 0.385 * 0.385 * sqrt(2 / dof), "residual variance");
    /* beta ~ N(0, I/d): the fitted coefficients are not all tiny */
    double b2 = 0;
    for (int j = 0; j < D; j++)
        b2 += coef[j] * coef[j];
    ck_assert_msg(b2 > 1e-3 && b2 < 10, "|beta|^2 = %g", b2);
    data_free(ds);
}
END_TEST

/* ---------------------------------------------------------- reproducibility */

static int same_data(const dataset *a, const dataset *b)
{
    size_t nd = (size_t)a->n_train * a->d, md = (size_t)a->n_test * a->d;
    if (a->n_train != b->n_train || a->n_test != b->n_test || a->d != b->d || a->k != b->k)
        return 0;
    if (memcmp(a->x_train, b->x_train, nd * sizeof(double)) || memcmp(a->x_test, b->x_test, md * sizeof(double)))
        return 0;
    if (a->classification)
        return !memcmp(a->c_train, b->c_train, a->n_train * sizeof(int)) &&
               !memcmp(a->c_test, b->c_test, a->n_test * sizeof(int)) &&
               !memcmp(a->c_clean, b->c_clean, a->n_train * sizeof(int)) &&
               !memcmp(a->corrupted, b->corrupted, a->n_train);
    return !memcmp(a->y_train, b->y_train, (size_t)a->n_train * a->k * sizeof(double)) &&
           !memcmp(a->y_test, b->y_test, (size_t)a->n_test * a->k * sizeof(double));
}

START_TEST(test_determinism)
{
    for (int kind = DATA_TEACHER; kind <= DATA_LINEAR; kind++) {
        cfg s = base(kind);
        s.n_train = 500, s.n_test = 200, s.d_in = 7, s.classes = 3, s.separation = 2.385, s.target_noise = 0.385;
        if (kind == DATA_TEACHER)
            s.label_noise = 0.2;
        s.seed = 31, s.data_seed = 99, s.init_seed = 5;
        dataset *a = make(&s), *b = make(&s);
        ck_assert_msg(same_data(a, b), "kind %d: same cfg, different data", kind);
        cfg t = s; /* other replicate and init seeds, same data seed */
        t.seed = 32, t.init_seed = 6;
        dataset *c = make(&t);
        ck_assert_msg(same_data(a, c), "kind %d: data depend on seed/init_seed", kind);
        t = s;
        t.data_seed = 100;
        dataset *d = make(&t);
        ck_assert_msg(!same_data(a, d), "kind %d: data ignore data_seed", kind);
        t = s; /* data_seed -1 follows seed, still not init_seed */
        t.data_seed = -1, t.seed = 99, t.init_seed = 1234;
        dataset *f = make(&t);
        ck_assert_msg(same_data(a, f), "kind %d: data_seed -1 does not follow seed", kind);
        data_free(f);
        data_free(d);
        data_free(c);
        data_free(b);
        data_free(a);
    }
}
END_TEST

/* --------------------------------------------------------------- online */

/* data_sample is the same generator: fed a fresh copy of the train stream it
 * reproduces the training set bit for bit (and standardises it the same). */
START_TEST(test_online_reproduces_train)
{
    for (int kind = DATA_TEACHER; kind <= DATA_LINEAR; kind++)
        for (int stdz = 0; stdz < 2; stdz++) {
            cfg s = base(kind);
            s.n_train = 300, s.n_test = 50, s.d_in = 6, s.classes = 4, s.separation = 2.385;
            s.cov_decay = 1.385, s.target_noise = 0.385, s.standardize = stdz, s.seed = 77 + kind;
            if (kind == DATA_TEACHER)
                s.task = stdz ? TASK_REGRESSION : TASK_CLASSIFICATION;
            dataset *ds = make(&s);
            const int n = ds->n_train, d = ds->d, k = ds->k;
            double *x = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n * k);
            int *c = malloc(sizeof(int) * n);
            gsl_rng *r = rng_stream(cfg_data_seed(&s), RNG_DATA_TRAIN);
            ck_assert_int_eq(data_sample(ds, r, n, x, c, y), 0);
            ck_assert_msg(memcmp(x, ds->x_train, sizeof(double) * n * d) == 0, "kind %d std %d: x", kind, stdz);
            if (ds->classification)
                ck_assert(memcmp(c, ds->c_train, sizeof(int) * n) == 0);
            else
                ck_assert(memcmp(y, ds->y_train, sizeof(double) * n * k) == 0);
            /* the next draw is fresh */
            ck_assert_int_eq(data_sample(ds, r, n, x, c, y), 0);
            ck_assert(memcmp(x, ds->x_train, sizeof(double) * n * d) != 0);
            gsl_rng_free(r);
            free(c);
            free(y);
            free(x);
            data_free(ds);
        }
}
END_TEST

/* Minibatches from an unrelated stream: fresh inputs from N(0, I), labels
 * from the teacher, label noise at the set rate. */
START_TEST(test_online_distribution)
{
    enum { B = 100, NB = 200, D = 5, K = 3 };
    cfg s = base(DATA_TEACHER);
    s.n_train = 100, s.n_test = 10, s.d_in = D, s.classes = K, s.teacher_width = 8, s.teacher_depth = 2;
    s.label_noise = 0.3;
    dataset *ds = make(&s);
    ref_teacher t;
    ref_teacher_init(&t, &s);
    gsl_rng *r = rng_stream(cfg_init_seed(&s), RNG_ONLINE);
    double x[B * D], sum[D] = {0}, sq[D] = {0};
    int c[B], flips = 0;
    const int n = B * NB;
    for (int b = 0; b < NB; b++) {
        ck_assert_int_eq(data_sample(ds, r, B, x, c, NULL), 0);
        for (int i = 0; i < B; i++) {
            for (int j = 0; j < D; j++) {
                sum[j] += x[i * D + j];
                sq[j] += x[i * D + j] * x[i * D + j];
            }
            ck_assert(c[i] >= 0 && c[i] < K);
            flips += c[i] != ref_argmax(&t, x + i * D);
        }
    }
    for (int j = 0; j < D; j++) {
        ck_near(sum[j] / n, 0.0, 5 / sqrt((double)n), "online mean");
        ck_near(sq[j] / n, 1.0, 5 * sqrt(2.0 / n), "online second moment");
    }
    double p = 0.3 * (K - 1.0) / K; /* redrawn, and landed on another class */
    ck_near(flips, p * n, 5 * sqrt(n * p * (1 - p)), "online labels off the teacher");
    ck_assert_int_ne(data_sample(NULL, NULL, 1, x, c, NULL), 0);
    ck_assert_int_ne(data_sample(ds, r, 1, x, NULL, NULL), 0); /* labels need somewhere to go */
    gsl_rng_free(r);
    ref_teacher_free(&t);
    data_free(ds);
}
END_TEST

START_TEST(test_standardize)
{
    enum { D = 5 };
    cfg s = base(DATA_LINEAR);
    s.d_in = D, s.cov_decay = 2.385, s.n_train = 3000, s.n_test = 500;
    dataset *raw = make(&s);
    ck_assert_ptr_null(raw->mean);
    ck_assert_ptr_null(raw->sd);
    s.standardize = 1;
    dataset *ds = make(&s);
    ck_assert_ptr_nonnull(ds->mean);
    for (int j = 0; j < D; j++) {
        long double m = 0, v = 0, rm = 0, rv = 0;
        for (int i = 0; i < ds->n_train; i++) {
            m += ds->x_train[i * D + j];
            rm += raw->x_train[i * D + j];
        }
        m /= ds->n_train, rm /= ds->n_train;
        for (int i = 0; i < ds->n_train; i++) {
            v += (ds->x_train[i * D + j] - m) * (ds->x_train[i * D + j] - m);
            rv += (raw->x_train[i * D + j] - rm) * (raw->x_train[i * D + j] - rm);
        }
        double sd = sqrtl(v / ds->n_train), rsd = sqrtl(rv / ds->n_train);
        ck_near((double)m, 0.0, 1e-12, "standardised train mean");
        ck_near(sd, 1.0, 1e-12, "standardised train sd");
        ck_near(ds->mean[j], (double)rm, 1e-12 * rsd, "stored mean");
        ck_near(ds->sd[j] / rsd, 1.0, 1e-12, "stored sd");
        ck_assert_msg(fabs(rsd - 1) > 0.1 || j == 0, "feature %d had unit sd already", j);
        for (int i = 0; i < ds->n_test; i++)
            ck_near(ds->x_test[i * D + j], (raw->x_test[i * D + j] - rm) / rsd, 1e-10, "standardised test x");
    }
    /* targets untouched */
    ck_assert(memcmp(ds->y_train, raw->y_train, sizeof(double) * ds->n_train) == 0);
    data_free(ds);
    data_free(raw);
}
END_TEST

/* ------------------------------------------------------------------ HDF5 */

typedef struct {
    const char *path; /* e.g. "/train/x" */
    hid_t type;       /* memory and file type */
    int rank;
    hsize_t dims[3];
    const void *data;
} dspec;

static void tmp_path(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/sgd_test_data_XXXXXX");
    int fd = mkstemp(buf);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void write_h5(const char *file, const dspec *v, int nv)
{
    hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    ck_assert_int_ge(lcpl, 0);
    ck_assert_int_ge(H5Pset_create_intermediate_group(lcpl, 1), 0);
    for (int i = 0; i < nv; i++) {
        hid_t sp = H5Screate_simple(v[i].rank, v[i].dims, NULL);
        ck_assert_int_ge(sp, 0);
        hid_t dset = H5Dcreate2(f, v[i].path, v[i].type, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(dset, 0);
        if (v[i].data)
            ck_assert_int_ge(H5Dwrite(dset, v[i].type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v[i].data), 0);
        ck_assert_int_ge(H5Dclose(dset), 0);
        ck_assert_int_ge(H5Sclose(sp), 0);
    }
    ck_assert_int_ge(H5Pclose(lcpl), 0);
    ck_assert_int_ge(H5Fclose(f), 0);
}

/* a small classification file: float32 train x with a constant column,
 * double test x, int32 / int64 labels; the largest label is only in test */
static float xtr_f[6][3];
static double xte_d[4][3];
static const int ytr_i[6] = {0, 3, 1, 2, 3, 0};
static const long long yte_l[4] = {4, 0, 2, 1};

static void fill_xs(void)
{
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++)
            xtr_f[i][j] = j == 2 ? 2.385f : (float)(2.385 * (i + 1) - 1.5 * j * j + 0.25 * i * j);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            xte_d[i][j] = -2.385 * (i + 0.5) + j / 3.0;
}

START_TEST(test_h5_classification)
{
    char file[64];
    tmp_path(file, sizeof file);
    fill_xs();
    dspec v[] = {{"/train/x", H5T_NATIVE_FLOAT, 2, {6, 3}, xtr_f},
                 {"/train/y", H5T_NATIVE_INT, 1, {6}, ytr_i},
                 {"/test/x", H5T_NATIVE_DOUBLE, 2, {4, 3}, xte_d},
                 {"/test/y", H5T_NATIVE_LLONG, 1, {4}, yte_l}};
    write_h5(file, v, 4);
    sgd_err e = {0};
    dataset *ds = NULL;
    ck_assert_msg(data_load_h5(file, &ds, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(ds->n_train, 6);
    ck_assert_int_eq(ds->n_test, 4);
    ck_assert_int_eq(ds->d, 3);
    ck_assert_int_eq(ds->k, 5); /* max label 4, seen in test only */
    ck_assert_int_eq(ds->classification, 1);
    ck_assert_ptr_null(ds->gen);
    ck_assert_ptr_null(ds->c_clean);
    ck_assert_ptr_null(ds->corrupted);
    ck_assert_ptr_null(ds->mean);
    ck_assert_ptr_null(ds->y_train);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(ds->c_train[i], ytr_i[i]);
        for (int j = 0; j < 3; j++)
            ck_assert(ds->x_train[i * 3 + j] == (double)xtr_f[i][j]);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(ds->c_test[i], (int)yte_l[i]);
        for (int j = 0; j < 3; j++)
            ck_assert(ds->x_test[i * 3 + j] == xte_d[i][j]);
    }
    double x = 0;
    ck_assert_int_ne(data_sample(ds, NULL, 1, &x, NULL, NULL), 0); /* no generator */
    ck_assert_int_eq(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0); /* every handle closed */
    data_free(ds);

    /* through data_make: standardisation (the constant column gets sd 1) and
     * label noise on the file's labels */
    cfg s = base(DATA_FILE);
    snprintf(s.data_file, sizeof s.data_file, "%s", file);
    s.standardize = 1, s.label_noise = 1;
    ds = make(&s);
    ck_assert(ds->sd[2] == 1.0);
    ck_assert(ds->mean[2] == (double)2.385f);
    ck_assert_ptr_nonnull(ds->c_clean);
    for (int i = 0; i < 6; i++) {
        ck_assert(ds->x_train[i * 3 + 2] == 0);
        ck_assert(ds->corrupted[i]);
        ck_assert_int_eq(ds->c_clean[i], ytr_i[i]);
        ck_assert(ds->c_train[i] >= 0 && ds->c_train[i] < 5);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ds->c_test[i], (int)yte_l[i]);
    double m0 = 0;
    for (int i = 0; i < 6; i++)
        m0 += xtr_f[i][0] / 6.0;
    ck_near(ds->mean[0], m0, 1e-12, "file mean");
    data_free(ds);

    /* all labels 0: still two classes */
    static const int zeros[6] = {0};
    dspec z[] = {v[0], {"/train/y", H5T_NATIVE_INT, 1, {6}, zeros}, v[2], {"/test/y", H5T_NATIVE_INT, 1, {4}, zeros}};
    write_h5(file, z, 4);
    ck_assert_msg(data_load_h5(file, &ds, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(ds->k, 2);
    data_free(ds);
    unlink(file);
}
END_TEST

START_TEST(test_h5_regression)
{
    char file[64];
    tmp_path(file, sizeof file);
    fill_xs();
    double ytr[6][2], yte[4][2], ytr1[6], yte1[4];
    for (int i = 0; i < 6; i++)
        for (int m = 0; m < 2; m++)
            ytr[i][m] = ytr1[i] = 2.385 * i - m;
    for (int i = 0; i < 4; i++)
        for (int m = 0; m < 2; m++)
            yte[i][m] = yte1[i] = -0.385 * i + m;
    for (int kk = 1; kk <= 2; kk++) {
        dspec v[] = {{"/train/x", H5T_NATIVE_FLOAT, 2, {6, 3}, xtr_f},
                     {"/train/y", H5T_NATIVE_DOUBLE, kk, {6, 2}, kk == 1 ? (void *)ytr1 : (void *)ytr},
                     {"/test/x", H5T_NATIVE_DOUBLE, 2, {4, 3}, xte_d},
                     {"/test/y", H5T_NATIVE_DOUBLE, kk, {4, 2}, kk == 1 ? (void *)yte1 : (void *)yte}};
        write_h5(file, v, 4);
        sgd_err e = {0};
        dataset *ds = NULL;
        ck_assert_msg(data_load_h5(file, &ds, &e) == 0, "%s", e.msg);
        ck_assert_int_eq(ds->classification, 0);
        ck_assert_int_eq(ds->k, kk);
        ck_assert_ptr_null(ds->c_train);
        ck_assert(memcmp(ds->y_train, kk == 1 ? ytr1 : &ytr[0][0], sizeof(double) * 6 * kk) == 0);
        ck_assert(memcmp(ds->y_test, kk == 1 ? yte1 : &yte[0][0], sizeof(double) * 4 * kk) == 0);
        ck_assert(memcmp(ds->x_test, xte_d, sizeof xte_d) == 0);
        data_free(ds);
    }
    /* integer inputs (e.g. pixels) are converted to double */
    static const int xi[6][3] = {{0, 255, 7}, {1, 2, 3}, {-4, 5, 6}, {7, 8, 9}, {10, 11, 12}, {13, 14, 15}};
    dspec vi[] = {{"/train/x", H5T_NATIVE_INT, 2, {6, 3}, xi},
                  {"/train/y", H5T_NATIVE_DOUBLE, 1, {6}, ytr1},
                  {"/test/x", H5T_NATIVE_INT, 2, {4, 3}, xi},
                  {"/test/y", H5T_NATIVE_DOUBLE, 1, {4}, yte1}};
    write_h5(file, vi, 4);
    sgd_err ei = {0};
    dataset *di = NULL;
    ck_assert_msg(data_load_h5(file, &di, &ei) == 0, "%s", ei.msg);
    for (int t = 0; t < 18; t++)
        ck_assert(di->x_train[t] == (&xi[0][0])[t]);
    ck_assert(di->x_test[11] == 9.0); /* xi[3][2] */
    data_free(di);

    /* label noise needs labels */
    cfg s = base(DATA_FILE);
    snprintf(s.data_file, sizeof s.data_file, "%s", file);
    s.label_noise = 0.385;
    sgd_err e = {0};
    dataset *ds = (dataset *)1;
    ck_assert_int_eq(data_make(&s, &ds, &e), SGD_EUSAGE);
    ck_assert_ptr_null(ds);
    ck_assert_ptr_nonnull(strstr(e.msg, file));
    unlink(file);
}
END_TEST

/* Every malformed file: SGD_EDATA, no dataset, and a message naming the file
 * and the offending dataset. */
START_TEST(test_h5_errors)
{
    char file[64];
    tmp_path(file, sizeof file);
    fill_xs();
    static const int yneg[4] = {1, 0, -2, 1};
    static const double ybad[4] = {1, 0.5, INFINITY, 2};
    static const double yf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const int y2[6][2] = {{0}};
    double xnan[6][3];
    memcpy(xnan, xte_d, sizeof xte_d);
    for (int i = 4; i < 6; i++)
        for (int j = 0; j < 3; j++)
            xnan[i][j] = 0.5 * i + j;
    xnan[2][1] = NAN;
    const dspec trx = {"/train/x", H5T_NATIVE_FLOAT, 2, {6, 3}, xtr_f},
                try_ = {"/train/y", H5T_NATIVE_INT, 1, {6}, ytr_i},
                tex = {"/test/x", H5T_NATIVE_DOUBLE, 2, {4, 3}, xte_d},
                tey = {"/test/y", H5T_NATIVE_LLONG, 1, {4}, yte_l};
    struct {
        const char *name, *where; /* the case, and the dataset the message must name */
        dspec v[4];
        int nv;
    } cases[] = {
        {"missing /test/y", "/test/y", {trx, try_, tex}, 3},
        {"missing /train", "/train/x", {tex, tey}, 2},
        {"NaN in x", "/train/x", {{"/train/x", H5T_NATIVE_DOUBLE, 2, {6, 3}, xnan}, try_, tex, tey}, 4},
        {"Inf in y", "/test/y",
         {trx, {"/train/y", H5T_NATIVE_DOUBLE, 1, {6}, yf}, tex, {"/test/y", H5T_NATIVE_DOUBLE, 1, {4}, ybad}}, 4},
        {"n mismatch", "/train/y", {trx, {"/train/y", H5T_NATIVE_INT, 1, {5}, ytr_i}, tex, tey}, 4},
        {"d mismatch", "/test/x", {trx, try_, {"/test/x", H5T_NATIVE_DOUBLE, 2, {4, 2}, xte_d}, tey}, 4},
        {"x rank 1", "/train/x", {{"/train/x", H5T_NATIVE_FLOAT, 1, {6}, xtr_f}, try_, tex, tey}, 4},
        {"x rank 3", "/train/x", {{"/train/x", H5T_NATIVE_FLOAT, 3, {6, 3, 1}, xtr_f}, try_, tex, tey}, 4},
        {"negative label", "/test/y", {trx, try_, tex, {"/test/y", H5T_NATIVE_INT, 1, {4}, yneg}}, 4},
        {"label kinds differ", "/test/y",
         {trx, try_, tex, {"/test/y", H5T_NATIVE_DOUBLE, 1, {4}, yf}}, 4},
        {"integer y of rank 2", "/train/y", {trx, {"/train/y", H5T_NATIVE_INT, 2, {6, 2}, y2}, tex, tey}, 4},
        {"targets per row differ", "/test/y",
         {trx, {"/train/y", H5T_NATIVE_DOUBLE, 2, {6, 1}, yf}, tex, {"/test/y", H5T_NATIVE_DOUBLE, 2, {4, 2}, yf}},
         4},
        {"empty test set", "/test/x",
         {trx, try_, {"/test/x", H5T_NATIVE_DOUBLE, 2, {0, 3}, NULL}, {"/test/y", H5T_NATIVE_INT, 1, {0}, NULL}}, 4},
        {"string labels", "/train/y", {trx, {"/train/y", H5T_C_S1, 1, {6}, "abcdef"}, tex, tey}, 4},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        write_h5(file, cases[t].v, cases[t].nv);
        sgd_err e = {0};
        dataset *ds = (dataset *)1;
        int rc = data_load_h5(file, &ds, &e);
        ck_assert_msg(rc == SGD_EDATA && e.code == SGD_EDATA, "%s: rc %d (%s)", cases[t].name, rc, e.msg);
        ck_assert_msg(ds == NULL, "%s: dataset returned", cases[t].name);
        ck_assert_msg(strstr(e.msg, file) && strstr(e.msg, cases[t].where), "%s: message '%s' should name %s and %s",
                      cases[t].name, e.msg, file, cases[t].where);
        ck_assert_msg(!strchr(e.msg, '\n'), "%s: message is not one line", cases[t].name);
        ck_assert_msg(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "%s: HDF5 handles left open", cases[t].name);
    }
    /* the same through data_make */
    cfg s = base(DATA_FILE);
    snprintf(s.data_file, sizeof s.data_file, "%s", file);
    sgd_err e = {0};
    dataset *ds = (dataset *)1;
    ck_assert_int_eq(data_make(&s, &ds, &e), SGD_EDATA);
    ck_assert_ptr_null(ds);

    /* not an HDF5 file */
    FILE *fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("x,y\n2.385,1\n", fp);
    fclose(fp);
    e = (sgd_err){0};
    ck_assert_int_eq(data_load_h5(file, &ds, &e), SGD_EDATA);
    ck_assert_ptr_null(ds);
    ck_assert_msg(strstr(e.msg, file) && strstr(e.msg, "HDF5"), "%s", e.msg);

    /* missing file */
    unlink(file);
    e = (sgd_err){0};
    ds = (dataset *)1;
    ck_assert_int_eq(data_load_h5(file, &ds, &e), SGD_EDATA);
    ck_assert_ptr_null(ds);
    ck_assert_msg(strstr(e.msg, file) != NULL, "%s", e.msg);
    data_free(NULL);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *gen = tu_tcase("generators"), *rep = tu_tcase("reproducibility"), *h5 = tu_tcase("hdf5");
    tcase_add_test(gen, test_mixture_balance);
    tcase_add_test(gen, test_mixture_geometry);
    tcase_add_test(gen, test_label_noise_fraction);
    tcase_add_test(gen, test_label_noise_all);
    tcase_add_test(gen, test_teacher_reference);
    tcase_add_test(gen, test_teacher_linear_fit);
    tcase_add_test(gen, test_linear_spectrum);
    tcase_add_test(rep, test_determinism);
    tcase_add_test(rep, test_online_reproduces_train);
    tcase_add_test(rep, test_online_distribution);
    tcase_add_test(rep, test_standardize);
    tcase_add_test(h5, test_h5_classification);
    tcase_add_test(h5, test_h5_regression);
    tcase_add_test(h5, test_h5_errors);
    suite_add_tcase(s, gen);
    suite_add_tcase(s, rep);
    suite_add_tcase(s, h5);
    return s;
}

TU_MAIN(data_suite)
