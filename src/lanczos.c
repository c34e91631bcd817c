/* lanczos.c -- see lanczos.h */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include "lanczos.h"

lanczos *lanczos_alloc(size_t n, int m_max)
{
    lanczos *L = calloc(1, sizeof *L);
    if (!L)
        return NULL;
    L->n = n;
    L->m_max = m_max;
    L->Q = malloc(((size_t)m_max + 1) * n * sizeof *L->Q);
    L->alpha = calloc((size_t)m_max, sizeof *L->alpha);
    L->beta = calloc((size_t)m_max, sizeof *L->beta);
    L->w = malloc(n * sizeof *L->w);
    L->c = NULL;
    if (!L->Q || !L->alpha || !L->beta || !L->w) {
        lanczos_free(L);
        return NULL;
    }
    return L;
}

void lanczos_free(lanczos *L)
{
    if (!L)
        return;
    free(L->Q), free(L->alpha), free(L->beta), free(L->w), free(L->c);
    free(L);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void axpy(double alpha, const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

/* w -= rows^T (rows w) for the orthonormal rows[k x n]: classical
 * Gram-Schmidt as two matrix-vector products, done twice ("twice is
 * enough", Parlett); c [k] scratch */
static void orthogonalise(double *w, const double *rows, int k, size_t n, double *c)
{
    if (k <= 0)
        return;
    for (int pass = 0; pass < 2; pass++) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, k, (int)n, 1, rows, (int)n, w, 1, 0, c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, k, (int)n, -1, rows, (int)n, c, 1, 1, w, 1);
    }
}

int lanczos_init(lanczos *L, const double *v0, const double *locked, int nlock)
{
    const size_t n = L->n;
    L->m = 0;
    L->exhausted = 0;
    L->locked = locked;
    L->nlock = nlock;
    free(L->c);
    if (!(L->c = malloc(((size_t)(L->m_max + 1 > nlock ? L->m_max + 1 : nlock) + 1) * sizeof *L->c)))
        return -2;
    double *q = L->Q;
    memcpy(q, v0, n * sizeof *q);
    double n0 = sqrt(dot(q, q, n));
    orthogonalise(q, locked, nlock, n, L->c);
    double nq = sqrt(dot(q, q, n));
    if (!(nq > 1e-10 * n0) || nq == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        q[i] /= nq;
    return 0;
}

const double *lanczos_next(const lanczos *L) { return L->Q + (size_t)L->m * L->n; }

int lanczos_step(lanczos *L, const double *av)
{
    const size_t n = L->n;
    const int j = L->m; /* 0-based: q = q_{j+1} */
    const double *q = L->Q + (size_t)j * n;
    double *w = L->w;
    memcpy(w, av, n * sizeof *w);
    const double a = dot(w, q, n);
    L->alpha[j] = a;
    /* full reorthogonalisation against q_1..q_{j+1} and the locked vectors
     * replaces the three-term recurrence's subtraction (same result in exact
     * arithmetic, stable in floating point) */
    orthogonalise(w, L->Q, j + 1, n, L->c);
    orthogonalise(w, L->locked, L->nlock, n, L->c);
    const double b = sqrt(dot(w, w, n));
    L->m = j + 1;
    /* |A q| bounds the scale of the operator on this space: a remainder that
     * small relative to it is rounding, the space is invariant */
    const double scale = sqrt(dot(av, av, n));
    if (!(b > 1e-12 * scale) || !isfinite(b)) {
        L->beta[j] = 0;
        L->exhausted = 1;
        return 1;
    }
    L->beta[j] = b;
    double *qn = L->Q + (size_t)(j + 1) * n;
    for (size_t i = 0; i < n; i++)
        qn[i] = w[i] / b;
    return L->m >= L->m_max;
}

int lanczos_ritz(const lanczos *L, double *theta, double *S, double *est)
{
    const int m = L->m;
    if (m < 1)
        return -1;
    gsl_matrix *T = gsl_matrix_calloc((size_t)m, (size_t)m), *V = gsl_matrix_alloc((size_t)m, (size_t)m);
    gsl_vector *ev = gsl_vector_alloc((size_t)m);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc((size_t)m);
    int rc = -1;
    if (T && V && ev && ws) {
        for (int i = 0; i < m; i++) {
            gsl_matrix_set(T, i, i, L->alpha[i]);
            if (i + 1 < m) {
                gsl_matrix_set(T, i, i + 1, L->beta[i]);
                gsl_matrix_set(T, i + 1, i, L->beta[i]);
            }
        }
        if (gsl_eigen_symmv(T, ev, V, ws) == 0 && gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_ASC) == 0) {
            const double bm = L->exhausted ? 0 : L->beta[m - 1];
            for (int j = 0; j < m; j++) {
                theta[j] = gsl_vector_get(ev, j);
                if (est)
                    est[j] = fabs(bm * gsl_matrix_get(V, m - 1, j));
                if (S)
                    for (int i = 0; i < m; i++)
                        S[(size_t)i * m + j] = gsl_matrix_get(V, i, j);
            }
            rc = 0;
        }
    }
    gsl_eigen_symmv_free(ws);
    gsl_vector_free(ev);
    gsl_matrix_free(V);
    gsl_matrix_free(T);
    return rc;
}

void lanczos_ritz_vector(const lanczos *L, const double *S, int j, double *u)
{
    const size_t n = L->n;
    const int m = L->m;
    memset(u, 0, n * sizeof *u);
    for (int i = 0; i < m; i++)
        axpy(S[(size_t)i * m + j], L->Q + (size_t)i * n, u, n);
    double nu = sqrt(dot(u, u, n));
    if (nu > 0)
        for (size_t i = 0; i < n; i++)
            u[i] /= nu;
}
