/* lanczos.h -- symmetric Lanczos with full reorthogonalisation (GSL style:
 * alloc / init / iterate / ritz / free; the caller applies the operator).
 *
 * For a symmetric operator A on R^n and a start vector q_1:
 *     A q_j = beta_{j-1} q_{j-1} + alpha_j q_j + beta_j q_{j+1}
 * builds the tridiagonal T_m = tridiag(beta, alpha, beta) whose eigenvalues
 * (Ritz values) approximate A's extreme eigenvalues; every new vector is
 * orthogonalised twice against all previous ones (and against `locked`
 * vectors, for deflation), so no ghost copies appear. Memory: (m+1) n doubles.
 * For the spectral density (stochastic Lanczos quadrature), the Ritz values
 * and the squared first components of T_m's eigenvectors are the nodes and
 * weights of the Gauss quadrature of q_1's spectral measure. */
#ifndef SGD_LANCZOS_H
#define SGD_LANCZOS_H

#include <stddef.h>

typedef struct {
    size_t n;
    int m_max, m;            /* capacity, and steps taken (vectors q_1..q_m) */
    double *Q;               /* [(m_max+1) x n]: q_1 .. q_{m+1} */
    double *alpha, *beta;    /* [m_max] */
    const double *locked;    /* [nlock x n] orthonormal vectors the basis avoids (not owned) */
    int nlock;
    int exhausted;           /* beta_m ~ 0: span(Q) is invariant, T_m exact */
    double *w;               /* [n] scratch */
    double *c;               /* [max(m_max + 1, nlock)] scratch */
} lanczos;

lanczos *lanczos_alloc(size_t n, int m_max);
void lanczos_free(lanczos *L);

/* Start from v0[n] (projected off the locked rows, then normalised). Returns
 * -1 if nothing is left of v0 after the projection, -2 out of memory. */
int lanczos_init(lanczos *L, const double *v0, const double *locked, int nlock);

/* The vector the operator must be applied to next: q_m+1 (m = steps so far). */
const double *lanczos_next(const lanczos *L);

/* One step, given av = A q_{m+1}: extends T. Returns 1 when the Krylov space
 * is exhausted (or m_max reached): no further step is possible. */
int lanczos_step(lanczos *L, const double *av);

/* Eigen-decomposition of T_m: Ritz values ascending in theta[m], T's
 * eigenvectors as the columns of S [m x m] (row-major; may be NULL), and the
 * residual estimates |beta_m S[m-1][j]| = |A u_j - theta_j u_j| in est[m]
 * (may be NULL; 0 when exhausted). Returns 0, or -1 on allocation failure. */
int lanczos_ritz(const lanczos *L, double *theta, double *S, double *est);

/* Ritz vector u[n] = Q_m S[:, j] (unit norm). */
void lanczos_ritz_vector(const lanczos *L, const double *S, int j, double *u);

#endif
