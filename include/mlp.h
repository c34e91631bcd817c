/* mlp.h -- forward and backward passes of the network in arch.h, and the
 * losses. Compiled once per precision (real.h); include real.h first.
 *
 * Losses, per example i with outputs f_i in R^k (docs/TRAINING.md):
 *   mse      l_i = 1/2 sum_j (f_ij - y_ij)^2     (y one-hot for labels)
 *   ce       l_i = log sum_j exp(f_ij) - f_i,c
 *   hinge    l_i = max(0, 1 - m_i),   m_i = f_i,c - max_{j != c} f_ij
 *   sqhinge  l_i = max(0, 1 - m_i)^2
 * and L = (1/n) sum_i l_i. */
#ifndef SGD_MLP_H
#define SGD_MLP_H

#include "arch.h"
#include <gsl/gsl_rng.h>
#include "real.h"

/* Caller-owned workspace for up to `cap` rows: activations of every layer
 * and the backward buffers. Sized once per run; nothing in the passes
 * allocates. */
typedef struct {
    int cap, nl;
    real **z, **h;      /* z[l]: [cap x fan_out_l]; h[l]: input of layer l (h[0] set by forward) */
    real *dz, *dh, *dh2; /* [cap x maxw] backward buffers */
    real *db;            /* [maxw] bias gradient of one layer (fused SGD step) */
    real *wt;            /* W^T of one layer, for small forward products (mlp.c); may be NULL */
    real *block;
} mlp_ws;

mlp_ws *mlp_ws_alloc(const arch *a, int cap);
void mlp_ws_free(mlp_ws *w);

/* Draw initial parameters into theta[n_params] from r (arch.h: Init). */

void mlp_init_params(const arch *a, int zero_last, real *theta, gsl_rng *r);

/* Forward n <= cap rows of x [n x d]; the output is ws->z[nl-1] [n x k]. */
void mlp_forward(const arch *a, const real *theta, mlp_ws *ws, const real *x, int n);

/* Loss over n rows of the outputs f [n x k] against labels c[n] (or targets
 * y [n x k] when c is NULL). Returns sum_i l_i; adds the number of correct
 * argmax predictions to *correct (when c != NULL). If df != NULL, writes
 * scale * dl_i/df_i into df [n x k]. */
double mlp_loss(const arch *a, const real *f, int n, const int *c, const real *y, real scale, real *df,
                long *correct);

/* Backward pass after mlp_forward on the same rows, from ws->dz holding
 * dL/df [n x k]. Writes (acc = 0) or adds (acc = 1) dL/dtheta into grad; the
 * frozen part (theta < first_trainable) is not touched. */
void mlp_backward(const arch *a, const real *theta, mlp_ws *ws, int n, real *grad, int acc);


/* Mean loss (and gradient, if grad != NULL) over n rows of (x, c | y), in
 * chunks of ws->cap rows. Returns the mean loss; *acc gets the accuracy
 * (NaN for regression). */
double mlp_loss_grad(const arch *a, const real *theta, mlp_ws *ws, const real *x, const int *c, const real *y,
                     long n, real *grad, double *acc);

/* One plain SGD step on n <= ws->cap rows, fused into the backward pass:
 * theta -= lr * dL/dtheta in place (the frozen part untouched), without a
 * gradient buffer; each layer's weights are updated by the GEMM that computes
 * their gradient. Returns the mean loss before the step; *acc as above. */
double mlp_sgd_step(const arch *a, real *theta, mlp_ws *ws, const real *x, const int *c, const real *y, int n,
                    real lr, double *acc);

/* ---- the R-operator (probes: docs/PROBES.md) -------------------------------
 * Directional derivatives R{.} = d/dt (.)(theta + t v) at t = 0 of every
 * quantity of the passes (Pearlmutter 1994), so that R{dL/dtheta} = H v
 * exactly. Not on the training path. */
typedef struct {
    int cap, nl;
    real **rz, **rh;      /* rz[l] = R{z_l} [cap x fan_out_l]; rh[l] = R{h_l} (rh[0] unused: inputs fixed) */
    real *rdz, *rdh, *rdh2; /* [cap x maxw] */
    real *block;
    real **dzc, **dhc;    /* the v-independent pass of a chunk (mlp_hvp, mlp_hvp_prepare): dL/dz_l [cap x fan_out_l],
                           * dL/dh_l [cap x fan_in_l] of the trained layers; NULL until allocated */
} mlp_rws;

mlp_rws *mlp_rws_alloc(const arch *a, int cap);
void mlp_rws_free(mlp_rws *w);

/* Mean loss over n rows (chunks of ws->cap; rws->cap >= ws->cap), and
 * hv = H v [n_params] of that mean loss at theta, for a direction v
 * [n_params] (its frozen part is ignored); with grad, also the gradient.
 * Both are written (not added); their frozen parts are zeroed. Hinge and
 * ReLU kinks count as having zero curvature (the Hessian where it exists). */
double mlp_hvp(const arch *a, const real *theta, const real *v, mlp_ws *ws, mlp_rws *rws, const real *x,
               const int *c, const real *y, long n, real *grad, real *hv, double *acc);

/* Many HVPs at one theta over n <= cap rows (both workspaces' cap):
 * mlp_hvp_prepare runs the v-independent part once (forward, loss, backward;
 * returns the mean loss, writes the gradient if grad) and keeps it in ws and
 * rws; mlp_hvp_cached then writes hv = H v (frozen part zeroed) for each
 * direction v, until ws is used for anything else. The result equals
 * mlp_hvp's (which runs the same two parts chunk by chunk). */
double mlp_hvp_prepare(const arch *a, const real *theta, mlp_ws *ws, mlp_rws *rws, const real *x, const int *c,
                       const real *y, int n, real *grad, double *acc);
void mlp_hvp_cached(const arch *a, const real *theta, const real *v, mlp_ws *ws, mlp_rws *rws, const int *c, int n,
                    real *hv);

/* After mlp_forward on n rows and with ws->dz holding some dL/df [n x k],
 * run the backward pass and keep each trained layer's dL/dz_l in
 * dzl[l] [n x fan_out_l] (layers below the first trained one are skipped). */
void mlp_backward_keep(const arch *a, const real *theta, mlp_ws *ws, int n, real **dzl);

/* Euclidean norm of v[n] and distance |u - v|, accumulated in double. */
double vec_norm(const real *v, size_t n);
double vec_dist(const real *u, const real *v, size_t n);

#endif
