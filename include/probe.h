/* probe.h -- measurements of the loss landscape at a network's parameters
 * (definitions, formulas and references: docs/PROBES.md).
 *
 * Every probe works on the training loss L over the probe set (the whole
 * training set, or probe_n examples drawn once per run from the RNG_PROBE
 * stream), over the trained parameters (all, or the last layer with
 * train_last: P_t = n_params - first_trainable of them), in float64 whatever
 * the training precision. Vectors passed in and out are full-length
 * [n_params]; their frozen part is ignored on input and zero on output.
 * Random vectors come from the run's RNG_PROBE_VEC stream, drawn in a fixed
 * order, so probes never touch the training streams and are reproducible.
 *
 * Cost, in passes over the probe set (a pass = one forward + backward):
 * gradient 1, HVP ~2, a Lanczos iteration 1 HVP + O(m P_t) reorthogonalisation. */
#ifndef SGD_PROBE_H
#define SGD_PROBE_H

#include <stddef.h>
#include "cfg.h"
#include "data.h"
#include "err.h"
#include "train.h"

typedef struct probe probe;

/* Workspace for the probes of one run with settings s on dataset ds: the
 * network layout, float64 copies of the probe set, and buffers sized once.
 * NULL (and e set) on failure. */
probe *probe_alloc(const cfg *s, const dataset *ds, sgd_err *e);
void probe_free(probe *p);

size_t probe_n_params(const probe *p);   /* n_params */
size_t probe_first_trainable(const probe *p);
int probe_n_examples(const probe *p);    /* size of the probe set */
const int *probe_rows(const probe *p);   /* its rows in the training set [probe_n_examples] */

/* Between HVPs the probes call hook(ctx) at most every `every` seconds (the
 * sweep engine answers MPI messages there); a nonzero return abandons the
 * probe: the functions below then return SGD_EABORT. */
void probe_set_hook(probe *p, train_hook hook, void *ctx, double every);

/* Set the parameters the probes look at (theta [n_params], copied). */
void probe_set_params(probe *p, const double *theta);

/* ---- building blocks (exported for the tests) --------------------------- */

/* Mean loss over the probe set at the current parameters; *acc: accuracy
 * (NaN for regression). With grad != NULL, also dL/dtheta [n_params]. */
double probe_loss(probe *p, double *grad, double *acc);

/* hv = H v, the exact Hessian of L (Pearlmutter's R-operator), v and hv
 * [n_params]. Returns 0, or SGD_EABORT from the hook. */
int probe_hvp(probe *p, const double *v, double *hv);

/* Per-example gradients in one batched pass: sq[i] = |g_i|^2 (trained part)
 * for each probe example, g_i = grad of that example's loss l_i. */
void probe_example_sqnorms(probe *p, double *sq);

/* Empirical NTK on the first nk probe examples at parameters theta:
 * K [nk x nk], K_ij = sum_o <df_io/dtheta, df_jo/dtheta> (trained part,
 * trace over the k outputs). */
int probe_ntk(probe *p, const double *theta, int nk, double *K);

/* Integrated autocorrelation time of x[n] (Sokal's automatic window, c = 5),
 * in units of samples; also its mean and variance (1/(n-1)). */
void probe_autocorr(const double *x, int n, double *mean, double *var, double *tau);

/* ---- the probes --------------------------------------------------------- */

/* Top-k eigenvalues (descending) of H into top[k] with residuals
 * |H u - l u| / max(|l_max|, |l_min|) into resid[k], plus the smallest
 * eigenvalue and its residual; Lanczos with full reorthogonalisation, deflated
 * for eigenvalues 2..k. An eigenvalue whose residual exceeds tol is NaN (its
 * residual is kept) and ORs PF_EIG_NOCONV / PF_LMIN_NOCONV into *flags (initialise it);
 * *iters_used gets the iterations of the first run. */
int probe_sharpness(probe *p, int k, int iters, double tol, double *top, double *resid, double *lmin,
                    double *lmin_resid, long *iters_used, long *flags);

/* Hutchinson: tr(H) ~ mean of z^T H z over nz Rademacher z; *se its standard error. */
int probe_trace(probe *p, int nz, double *trace, double *se);

/* Stochastic Lanczos quadrature with nv vectors of m steps: nodes[nv*m] and
 * weights[nv*m] (each vector's weights sum to 1/nv; a vector whose Krylov
 * space ran out after j < m steps pads with NaN nodes of weight 0), and the histogram
 * hist[bins] of that density on [lo, hi] (equal bins between the extreme
 * nodes). */
int probe_density(probe *p, int nv, int m, int bins, double *nodes, double *weights, double *hist, double *lo,
                  double *hi);

/* Gradient noise over the probe set: |G|, tr(Sigma) = mean_i |g_i - G|^2,
 * B_noise = tr(Sigma) / |G|^2, and the trace of the covariance of the run's
 * own minibatch gradient (batch, sampling; 0 for full-batch methods). */
void probe_noise(probe *p, const cfg *s, double *gnorm, double *trace, double *scale, double *sgd);

/* Loss and accuracy at theta(alpha) = (1 - alpha) theta0 + alpha theta1 for
 * alpha_j = j / (m - 1); bump = max_j [L_j - min_{i <= j} L_i]; monotone = (bump == 0). */
void probe_mli(probe *p, const double *theta0, const double *theta1, int m, double *alpha, double *loss,
               double *acc, double *bump, double *monotone);

/* |theta_l - theta0_l| / |theta0_l| per layer (W and b; NaN for a frozen
 * layer or one that starts at 0) into rel[nl], and over the trained part. */
void probe_lazy(const probe *p, const double *theta0, const double *theta1, double *rel, double *total);

/* The driver's entry points: measure what s switches on at the current
 * parameters. probe_checkpoint fills curve point ci of r; probe_final the
 * metrics and arrays of r (theta0: the initial parameters). */
int probe_checkpoint(probe *p, const cfg *s, result *r, int ci);
int probe_final(probe *p, const cfg *s, const double *theta0, result *r);

#endif
