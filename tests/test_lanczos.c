/* test_lanczos.c -- Lanczos with full reorthogonalisation (lanczos.h) on
 * operators whose spectrum is known by construction (A = U D U^T, U a random
 * orthogonal matrix from GSL's QR): Ritz values against D, residual estimates
 * against true residuals, the Gauss quadrature against q^T A^p q, an
 * invariant subspace (exhaustion), deflation by locked vectors, and no ghost
 * copies of a separated eigenvalue over many steps. Tolerances: full
 * reorthogonalisation keeps Q orthonormal to ~n eps, so Ritz values of an
 * exhausted run match the eigenvalues to ~1e-13 of the spectral radius;
 * 1e-11 leaves room while any lost term gives O(1) errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include "lanczos.h"
#include "rng.h"
#include "testutil.h"

typedef struct {
    size_t n;
    double *A; /* [n x n] = U diag(d) U^T */
    double *U; /* [n x n], columns the eigenvectors */
    double *d; /* [n] */
} op;

/* A random orthogonal U (Q of the QR of a Gaussian matrix) and A = U D U^T */
static op op_make(const double *d, size_t n, uint64_t seed)
{
    op o = {n, malloc(n * n * sizeof(double)), malloc(n * n * sizeof(double)), malloc(n * sizeof(double))};
    memcpy(o.d, d, n * sizeof *d);
    gsl_rng *r = rng_stream(seed, 1);
    gsl_matrix *M = gsl_matrix_alloc(n, n), *Q = gsl_matrix_alloc(n, n), *R = gsl_matrix_alloc(n, n);
    gsl_vector *tau = gsl_vector_alloc(n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            gsl_matrix_set(M, i, j, gsl_ran_gaussian(r, 1.0));
    ck_assert_int_eq(gsl_linalg_QR_decomp(M, tau), 0);
    ck_assert_int_eq(gsl_linalg_QR_unpack(M, tau, Q, R), 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            o.U[i * n + j] = gsl_matrix_get(Q, i, j);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++)
                s += o.U[i * n + k] * d[k] * o.U[j * n + k];
            o.A[i * n + j] = s;
        }
    gsl_matrix_free(M), gsl_matrix_free(Q), gsl_matrix_free(R), gsl_vector_free(tau), gsl_rng_free(r);
    return o;
}

static void op_free(op *o) { free(o->A), free(o->U), free(o->d); }

static void op_apply(const op *o, const double *x, double *y)
{
    for (size_t i = 0; i < o->n; i++) {
        double s = 0;
        for (size_t j = 0; j < o->n; j++)
            s += o->A[i * o->n + j] * x[j];
        y[i] = s;
    }
}

static void gauss_vec(double *v, size_t n, uint64_t seed)
{
    gsl_rng *r = rng_stream(seed, 2);
    for (size_t i = 0; i < n; i++)
        v[i] = gsl_ran_gaussian(r, 1.3);
    gsl_rng_free(r);
}

/* run until lanczos_step says stop; returns the steps */
static int run(lanczos *L, const op *o)
{
    double *av = malloc(o->n * sizeof *av);
    int done = 0;
    while (!done) {
        op_apply(o, lanczos_next(L), av);
        done = lanczos_step(L, av);
    }
    free(av);
    return L->m;
}

/* max |Q Q^T - I| over the m basis vectors */
static double orth_err(const lanczos *L)
{
    double e = 0;
    for (int i = 0; i < L->m; i++)
        for (int j = 0; j < L->m; j++) {
            double s = 0;
            for (size_t k = 0; k < L->n; k++)
                s += L->Q[i * L->n + k] * L->Q[j * L->n + k];
            e = fmax(e, fabs(s - (i == j)));
        }
    return e;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const double D12[12] = {-4.2, -2.385, -1.1, -0.3, 0.25, 0.7, 1.3, 2.0, 2.9, 3.6, 4.1, 6.5};

/* n steps on an n x n operator with distinct eigenvalues: T is similar to A */
START_TEST(test_full_run)
{
    const size_t n = 12;
    op o = op_make(D12, n, 3);
    lanczos *L = lanczos_alloc(n, (int)n);
    double v0[12], theta[12], est[12], av[12];
    gauss_vec(v0, n, 5);
    ck_assert_int_eq(lanczos_init(L, v0, NULL, 0), 0);
    ck_assert(lanczos_next(L) == L->Q);
    /* alpha_1 = q_1^T A q_1 with q_1 = v0 / |v0| */
    double nv = 0, qaq = 0;
    for (size_t i = 0; i < n; i++)
        nv += v0[i] * v0[i];
    op_apply(&o, v0, av);
    for (size_t i = 0; i < n; i++)
        qaq += v0[i] * av[i] / nv;
    ck_assert_int_eq(run(L, &o), 12);
    ck_assert_msg(fabs(L->alpha[0] - qaq) <= 1e-14 * 6.5, "alpha_1 %.17g, q^T A q %.17g", L->alpha[0], qaq);
    ck_assert_msg(orth_err(L) <= 1e-13, "Q^T Q - I: %g", orth_err(L));
    ck_assert_int_eq(lanczos_ritz(L, theta, NULL, est), 0);
    for (size_t j = 0; j < n; j++) {
        ck_assert_msg(fabs(theta[j] - D12[j]) <= 1e-11 * 6.5, "Ritz value %zu: %.15g, eigenvalue %.15g", j, theta[j],
                      D12[j]);
        ck_assert_msg(est[j] <= 1e-10 * 6.5, "residual estimate %zu: %g after n steps", j, est[j]);
    }
    lanczos_free(L), op_free(&o);
}
END_TEST

/* m < n steps: the estimates |beta_m S[m-1][j]| equal the true residuals
 * |A u_j - theta_j u_j|; Ritz values inside the spectrum; and the Gauss
 * quadrature sum_j S[0][j]^2 theta_j^p = q_1^T A^p q_1 for p <= 2m - 1. */
START_TEST(test_partial_run)
{
    const size_t n = 12;
    const int m = 5;
    op o = op_make(D12, n, 7);
    lanczos *L = lanczos_alloc(n, m);
    double v0[12], theta[5], est[5], S[25], u[12], au[12], q[12], aq[12];
    gauss_vec(v0, n, 9);
    ck_assert_int_eq(lanczos_init(L, v0, NULL, 0), 0);
    ck_assert_int_eq(run(L, &o), m);
    ck_assert_int_eq(L->exhausted, 0);
    ck_assert_int_eq(lanczos_ritz(L, theta, S, est), 0);
    for (int j = 0; j < m; j++) {
        ck_assert(theta[j] >= D12[0] && theta[j] <= D12[11]);
        lanczos_ritz_vector(L, S, j, u);
        op_apply(&o, u, au);
        double r = 0, nu = 0;
        for (size_t i = 0; i < n; i++)
            r += (au[i] - theta[j] * u[i]) * (au[i] - theta[j] * u[i]), nu += u[i] * u[i];
        ck_assert_msg(fabs(sqrt(nu) - 1) <= 1e-13, "Ritz vector norm %g", sqrt(nu));
        ck_assert_msg(fabs(sqrt(r) - est[j]) <= 1e-10 * 6.5, "pair %d: true residual %g, estimate %g", j, sqrt(r),
                      est[j]);
    }
    /* quadrature: q^T A^p q by repeated products, q = v0 / |v0| */
    double nv = 0;
    for (size_t i = 0; i < n; i++)
        nv += v0[i] * v0[i];
    for (size_t i = 0; i < n; i++)
        q[i] = v0[i] / sqrt(nv);
    memcpy(aq, q, sizeof q);
    for (int p = 0; p <= 2 * m - 1; p++) {
        double want = 0, got = 0;
        for (size_t i = 0; i < n; i++)
            want += q[i] * aq[i];
        for (int j = 0; j < m; j++)
            got += S[j] * S[j] * pow(theta[j], p); /* S[0][j] */
        ck_assert_msg(fabs(got - want) <= 1e-11 * pow(6.5, p), "moment %d: quadrature %.15g, q^T A^p q %.15g", p,
                      got, want);
        op_apply(&o, aq, u);
        memcpy(aq, u, sizeof aq);
    }
    lanczos_free(L), op_free(&o);
}
END_TEST

/* three distinct eigenvalues, each four times: the Krylov space has
 * dimension 3, the run stops there (exhausted) with the exact values */
START_TEST(test_exhausted)
{
    const double d[12] = {-1.3, -1.3, -1.3, -1.3, 0.7, 0.7, 0.7, 0.7, 2.385, 2.385, 2.385, 2.385};
    op o = op_make(d, 12, 11);
    lanczos *L = lanczos_alloc(12, 12);
    double v0[12], theta[12], est[12];
    gauss_vec(v0, 12, 13);
    ck_assert_int_eq(lanczos_init(L, v0, NULL, 0), 0);
    ck_assert_int_eq(run(L, &o), 3);
    ck_assert_int_eq(L->exhausted, 1);
    lanczos_ritz(L, theta, NULL, est);
    const double want[3] = {-1.3, 0.7, 2.385};
    for (int j = 0; j < 3; j++)
        ck_assert_msg(fabs(theta[j] - want[j]) <= 1e-12 * 2.385 && est[j] == 0, "Ritz %d: %.15g est %g", j, theta[j],
                      est[j]);
    /* the zero operator: exhausted at once, Ritz value 0 */
    op z = op_make((const double[12]){0}, 12, 11);
    ck_assert_int_eq(lanczos_init(L, v0, NULL, 0), 0);
    ck_assert_int_eq(run(L, &z), 1);
    ck_assert(L->exhausted);
    lanczos_ritz(L, theta, NULL, est);
    ck_assert(theta[0] == 0 && est[0] == 0);
    lanczos_free(L), op_free(&o), op_free(&z);
}
END_TEST

/* Locked eigenvectors: the basis avoids them, so the run sees the rest of the
 * spectrum (deflation); a start vector inside their span is refused. */
START_TEST(test_locked)
{
    const size_t n = 12;
    op o = op_make(D12, n, 17);
    double locked[2 * 12], v0[12], theta[12];
    for (size_t i = 0; i < n; i++) /* the eigenvectors of 6.5 and -4.2 */
        locked[i] = o.U[i * n + 11], locked[n + i] = o.U[i * n + 0];
    lanczos *L = lanczos_alloc(n, (int)n);
    gauss_vec(v0, n, 19);
    ck_assert_int_eq(lanczos_init(L, v0, locked, 2), 0);
    ck_assert_int_eq(run(L, &o), 10);
    ck_assert(L->exhausted);
    lanczos_ritz(L, theta, NULL, NULL);
    for (int j = 0; j < 10; j++)
        ck_assert_msg(fabs(theta[j] - D12[j + 1]) <= 1e-11 * 6.5, "deflated Ritz %d: %.15g want %.15g", j, theta[j],
                      D12[j + 1]);
    for (int j = 0; j < L->m; j++)
        for (int l = 0; l < 2; l++) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += L->Q[j * n + i] * locked[l * n + i];
            ck_assert_msg(fabs(s) <= 1e-13, "q_%d . locked_%d = %g", j, l, s);
        }
    /* v0 in the locked span: nothing left */
    for (size_t i = 0; i < n; i++)
        v0[i] = 1.3 * locked[i] - 2.385 * locked[n + i];
    ck_assert_int_eq(lanczos_init(L, v0, locked, 2), -1);
    lanczos_free(L), op_free(&o);
}
END_TEST

/* 150 steps on a 400-dimensional operator with one separated eigenvalue (10)
 * above a dense band in [0, 1]: plain Lanczos loses orthogonality once the
 * top pair converges and repeats it (ghost copies); with full
 * reorthogonalisation Q stays orthonormal and 10 appears once. */
START_TEST(test_no_ghosts)
{
    const size_t n = 400;
    const int m = 150;
    double *d = malloc(n * sizeof *d), *v0 = malloc(n * sizeof *v0), *av = malloc(n * sizeof *av);
    double *theta = malloc(m * sizeof *theta);
    for (size_t i = 0; i < n; i++)
        d[i] = i + 1 < n ? (double)i / (n - 2) : 10.0;
    gauss_vec(v0, n, 23);
    lanczos *L = lanczos_alloc(n, m);
    ck_assert_int_eq(lanczos_init(L, v0, NULL, 0), 0);
    for (int done = 0; !done;) { /* A = diag(d): the basis is generic through v0 */
        const double *q = lanczos_next(L);
        for (size_t i = 0; i < n; i++)
            av[i] = d[i] * q[i];
        done = lanczos_step(L, av);
    }
    ck_assert_int_eq(L->m, m);
    ck_assert_int_eq(L->exhausted, 0);
    ck_assert_msg(orth_err(L) <= 1e-12, "Q^T Q - I: %g", orth_err(L));
    lanczos_ritz(L, theta, NULL, NULL);
    qsort(theta, m, sizeof *theta, cmp);
    ck_assert_msg(fabs(theta[m - 1] - 10) <= 1e-10, "top Ritz value %.15g", theta[m - 1]);
    ck_assert_msg(theta[m - 2] <= 1 + 1e-10, "second Ritz value %.15g: a ghost of 10", theta[m - 2]);
    free(d), free(v0), free(av), free(theta), lanczos_free(L);
}
END_TEST

static Suite *lanczos_suite(void)
{
    Suite *s = suite_create("lanczos");
    TCase *tc = tu_tcase("core");
    tcase_add_test(tc, test_full_run);
    tcase_add_test(tc, test_partial_run);
    tcase_add_test(tc, test_exhausted);
    tcase_add_test(tc, test_locked);
    tcase_add_test(tc, test_no_ghosts);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(lanczos_suite)
