/* test_probe.c -- the probes (probe.h) and the R-operator (mlp_hvp,
 * mlp_backward_keep) against independent answers, all in float64:
 *   - H v against central finite differences of the analytic gradient and
 *     the dense Hessian (symmetry), over activations x losses x depth 0-3 x
 *     residual x bias x parameterisation x last-layer training;
 *   - eigenvalues against GSL on the dense Hessian, and closed forms: linear
 *     regression (H = X^T X / n), a one-hidden-layer linear network at 0
 *     (+- singular values of Sigma_yx), deeper linear networks at 0 (H = 0);
 *   - Hutchinson and SLQ against the dense trace and spectrum (exact for a
 *     diagonal Hessian, and for m >= P_t Lanczos steps);
 *   - gradient noise against a loop of single-example gradients;
 *   - MLI against the parabola of linear regression; the NTK against finite-
 *     difference Jacobians and a closed form; autocorrelation of AR(1);
 *     the lazy-training distances on hand-made parameters.
 * Tolerances: central differences with step h = 1e-5 have truncation error
 * ~h^2 |f'''| ~ 1e-10 and rounding ~eps |g| / h ~ 1e-11 (relative), so 1e-6
 * catches any missing term while never failing on rounding (the largest seen
 * over the 2100 models is 1.6e-8); quantities that are the same sums in a
 * different order get 1e-12 (a few thousand ulps), H v against the dense H
 * times v 1e-11 (sums of P products with cancellation; seen: 2.6e-13). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include "mlp.h"
#include "probe.h"
#include "rng.h"
#include "testutil.h"

/* ---- helpers --------------------------------------------------------------- */

static double max_abs(const double *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

static double max_diff(const double *u, const double *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(u[i] - v[i]));
    return m;
}

static double norm2(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

static double diff2(const double *u, const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (u[i] - v[i]) * (u[i] - v[i]);
    return sqrt(s);
}

/* Small settings every probe test starts from: float64, tiny teacher data. */
static void small_cfg(cfg *s)
{
    cfg_defaults(s);
    s->precision = PREC_FLOAT64;
    s->n_train = 6, s->n_test = 6, s->batch = 2;
    s->d_in = 3, s->classes = 3, s->teacher_width = 5;
    s->width = 4, s->depth = 1, s->act = ACT_TANH, s->loss = LOSS_CE;
    s->init = INIT_LECUN, s->softplus_beta = 2.385;
    s->seed = 5;
}

static dataset *make_data(const cfg *s)
{
    dataset *ds = NULL;
    sgd_err e = {0};
    ck_assert_msg(data_make(s, &ds, &e) == 0, "data_make: %s", e.msg);
    return ds;
}

static probe *make_probe(const cfg *s, const dataset *ds)
{
    sgd_err e = {0};
    probe *p = probe_alloc(s, ds, &e);
    ck_assert_msg(p != NULL, "probe_alloc: %s", e.msg);
    return p;
}

/* Random parameters: the init of arch.h plus 0.3 N(0,1) on every entry, so
 * biases are nonzero and no unit sits at a symmetric point. */
static void random_theta(const arch *a, double *theta, uint64_t seed, uint64_t stream)
{
    gsl_rng *r = rng_stream(seed, stream);
    mlp_init_params(a, 0, theta, r);
    for (size_t i = 0; i < a->n_params; i++)
        theta[i] += 0.3 * gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);
}

/* Dense Hessian of the trained part through probe_hvp: H [pt x pt], column j
 * = H e_j (row-major H[i * pt + j]). */
static double *probe_dense(probe *p, size_t *pt_out)
{
    const size_t P = probe_n_params(p), ft = probe_first_trainable(p), pt = P - ft;
    double *H = malloc(pt * pt * sizeof *H), *e = calloc(P, sizeof *e), *col = malloc(P * sizeof *col);
    for (size_t j = 0; j < pt; j++) {
        e[ft + j] = 1;
        ck_assert_int_eq(probe_hvp(p, e, col), 0);
        e[ft + j] = 0;
        for (size_t i = 0; i < pt; i++)
            H[i * pt + j] = col[ft + i];
    }
    free(e), free(col);
    *pt_out = pt;
    return H;
}

/* Eigenvalues (ascending) of the symmetric part of H [n x n] by GSL. */
static void eig_sym(const double *H, size_t n, double *ev)
{
    gsl_matrix *A = gsl_matrix_alloc(n, n);
    gsl_vector *v = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            gsl_matrix_set(A, i, j, 0.5 * (H[i * n + j] + H[j * n + i]));
    ck_assert_int_eq(gsl_eigen_symm(A, v, w), 0);
    for (size_t i = 0; i < n; i++)
        ev[i] = gsl_vector_get(v, i);
    gsl_sort(ev, 1, n);
    gsl_eigen_symm_free(w), gsl_vector_free(v), gsl_matrix_free(A);
}

static void arch_of(arch *a, const cfg *s, const dataset *ds)
{
    sgd_err e = {0};
    ck_assert_msg(arch_init(a, s, ds->d, ds->k, &e) == 0, "arch_init: %s", e.msg);
}

/* ---- 1. H v against finite differences ------------------------------------- */

enum { MN = 5, MD = 3, MW = 4, MK = 3, MCAP = 3 };

/* Distance of the parameters from a kink that a finite difference of step
 * 1e-5 could straddle: ReLU pre-activations near 0, hinge margins near 1, or
 * a tie for the largest wrong-class output. Also reports whether some hinge
 * example is active (otherwise the hinge cases would test nothing). */
static double kink_distance(const arch *a, mlp_ws *ws, const double *theta, const double *x, const int *c, int n,
                            int *active)
{
    mlp_forward(a, theta, ws, x, n);
    double dmin = INFINITY;
    *active = 0;
    for (int l = 0; l < a->nl - 1; l++)
        if (a->L[l].act == ACT_RELU)
            for (int i = 0; i < n * a->L[l].fan_out; i++)
                dmin = fmin(dmin, fabs(ws->z[l][i]));
    if (c && (a->loss == LOSS_HINGE || a->loss == LOSS_SQHINGE)) {
        const int k = a->k;
        for (int i = 0; i < n; i++) {
            const double *f = ws->z[a->nl - 1] + (size_t)i * k;
            double b1 = -INFINITY, b2 = -INFINITY; /* the two largest wrong-class outputs */
            for (int j = 0; j < k; j++)
                if (j != c[i]) {
                    if (f[j] > b1)
                        b2 = b1, b1 = f[j];
                    else if (f[j] > b2)
                        b2 = f[j];
                }
            const double m = f[c[i]] - b1;
            dmin = fmin(dmin, fabs(1 - m));
            if (k > 2)
                dmin = fmin(dmin, b1 - b2);
            *active += m < 1;
        }
    }
    return dmin;
}

typedef struct {
    double h_err;   /* |H - H_fd|_F / max(|H|_F, |H_fd|_F) */
    double sym_err; /* |H - H^T|_F / |H|_F */
    double v_err;   /* |Hv - fd along v| / max(...) */
    double lin_err; /* |Hv - H_dense v| / |Hv| */
    double hnorm, hfd_norm, gnorm;
    int zero;       /* H (and its finite difference) vanish */
} hv_result;

/* Every check of one model: mlp_hvp against mlp_loss_grad and finite
 * differences, then probe_hvp / probe_loss against mlp_hvp. */
static hv_result hvp_case(const cfg *s, const dataset *ds, uint64_t seed)
{
    arch a;
    arch_of(&a, s, ds);
    const int n = ds->n_train;
    const double *x = ds->x_train, *y = ds->classification ? NULL : ds->y_train;
    const int *c = ds->classification ? ds->c_train : NULL;
    mlp_ws *ws = mlp_ws_alloc(&a, MCAP), *wsn = mlp_ws_alloc(&a, n); /* MCAP < n: two chunks */
    mlp_rws *rws = mlp_rws_alloc(&a, MCAP);
    ck_assert(ws && wsn && rws);
    const size_t P = a.n_params, ft = a.first_trainable, pt = P - ft;
    double *theta = malloc(P * sizeof *theta), *g0 = malloc(P * sizeof *g0), *g = malloc(P * sizeof *g);
    double *v = malloc(P * sizeof *v), *v0 = calloc(P, sizeof *v0), *hv = malloc(P * sizeof *hv);
    double *hv0 = malloc(P * sizeof *hv0), *gp = malloc(P * sizeof *gp), *gm = malloc(P * sizeof *gm);
    double *H = malloc(pt * pt * sizeof *H), *Hfd = malloc(pt * pt * sizeof *Hfd), *col = malloc(P * sizeof *col);
    double *e = calloc(P, sizeof *e);
    /* parameters away from kinks (relu, hinge): redraw, deterministically, until
     * every kink is 1e-3 away -- a step of 1e-5 moves a pre-activation by ~1e-4 */
    int attempt = 0, active = 0;
    for (;; attempt++) {
        ck_assert_msg(attempt < 50, "no kink-free parameters found");
        random_theta(&a, theta, seed, (uint64_t)attempt);
        double dk = kink_distance(&a, wsn, theta, x, c, n, &active);
        int hinge = c && (a.loss == LOSS_HINGE || a.loss == LOSS_SQHINGE);
        if (dk > 1e-3 && (!hinge || active > 0))
            break;
    }
    /* direction: unit over the trained part, junk in the frozen part */
    gsl_rng *r = rng_stream(seed, 1000);
    for (size_t i = 0; i < P; i++)
        v[i] = i < ft ? 7.3 : gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);
    const double vn = norm2(v + ft, pt);
    for (size_t i = ft; i < P; i++)
        v[i] /= vn, v0[i] = v[i];

    double acc0, acc;
    const double l0 = mlp_loss_grad(&a, theta, ws, x, c, y, n, g0, &acc0);
    for (size_t i = 0; i < P; i++)
        g[i] = hv[i] = 2.385;
    const double l = mlp_hvp(&a, theta, v, ws, rws, x, c, y, n, g, hv, &acc);
    ck_assert_msg(fabs(l - l0) <= 1e-14 * fabs(l0), "mlp_hvp loss %.17g vs mlp_loss_grad %.17g", l, l0);
    ck_assert_msg((isnan(acc) && isnan(acc0)) || acc == acc0, "accuracy %g vs %g", acc, acc0);
    const double gnorm = norm2(g0 + ft, pt);
    ck_assert_msg(max_diff(g + ft, g0 + ft, pt) <= 1e-13 * max_abs(g0 + ft, pt),
                  "mlp_hvp gradient differs from mlp_loss_grad by %g", max_diff(g + ft, g0 + ft, pt));
    for (size_t i = 0; i < ft; i++)
        ck_assert_msg(g[i] == 0 && hv[i] == 0, "frozen part not zeroed at %zu: grad %g hv %g", i, g[i], hv[i]);
    /* the frozen part of v is ignored */
    mlp_hvp(&a, theta, v0, ws, rws, x, c, y, n, NULL, hv0, &acc);
    ck_assert_msg(max_diff(hv, hv0, P) <= 1e-14 * max_abs(hv0, P) + 1e-300,
                  "H v depends on the frozen part of v (%g)", max_diff(hv, hv0, P));

    /* dense H column by column, and the finite-difference Hessian */
    const double h = 1e-5;
    for (size_t j = 0; j < pt; j++) {
        e[ft + j] = 1;
        mlp_hvp(&a, theta, e, ws, rws, x, c, y, n, NULL, col, &acc);
        e[ft + j] = 0;
        const double t = theta[ft + j];
        theta[ft + j] = t + h;
        mlp_loss_grad(&a, theta, ws, x, c, y, n, gp, &acc);
        theta[ft + j] = t - h;
        mlp_loss_grad(&a, theta, ws, x, c, y, n, gm, &acc);
        theta[ft + j] = t;
        for (size_t i = 0; i < pt; i++) {
            H[i * pt + j] = col[ft + i];
            Hfd[i * pt + j] = (gp[ft + i] - gm[ft + i]) / (2 * h);
        }
    }
    hv_result res = {0};
    res.gnorm = gnorm;
    res.hnorm = norm2(H, pt * pt);
    res.hfd_norm = norm2(Hfd, pt * pt);
    double asym = 0;
    for (size_t i = 0; i < pt; i++)
        for (size_t j = 0; j < pt; j++)
            asym += (H[i * pt + j] - H[j * pt + i]) * (H[i * pt + j] - H[j * pt + i]);
    /* A Hessian that vanishes (hinge on a linear model) leaves finite
     * differences with their rounding only, ~eps |g| / h ~ 1e-11 |g|. */
    const double ztol = 1e-8 * fmax(1, gnorm);
    res.zero = res.hnorm <= ztol && res.hfd_norm <= ztol;
    const double sc = fmax(res.hnorm, res.hfd_norm);
    res.h_err = res.zero ? 0 : diff2(H, Hfd, pt * pt) / sc;
    res.sym_err = res.zero ? 0 : sqrt(asym) / res.hnorm;
    /* along v: finite difference, and the dense H times v (linearity) */
    for (size_t i = 0; i < P; i++)
        e[i] = theta[i] + (i < ft ? 0 : h * v[i]);
    mlp_loss_grad(&a, e, ws, x, c, y, n, gp, &acc);
    for (size_t i = 0; i < P; i++)
        e[i] = theta[i] - (i < ft ? 0 : h * v[i]);
    mlp_loss_grad(&a, e, ws, x, c, y, n, gm, &acc);
    memset(e, 0, P * sizeof *e);
    double num = 0, fdn = 0, lnum = 0;
    for (size_t i = 0; i < pt; i++) {
        double fd = (gp[ft + i] - gm[ft + i]) / (2 * h), hvd = 0;
        for (size_t j = 0; j < pt; j++)
            hvd += H[i * pt + j] * v[ft + j];
        num += (hv[ft + i] - fd) * (hv[ft + i] - fd);
        fdn += fd * fd;
        lnum = fmax(lnum, fabs(hv[ft + i] - hvd));
    }
    res.v_err = res.zero ? 0 : sqrt(num) / fmax(norm2(hv + ft, pt), sqrt(fdn));
    res.lin_err = res.zero ? 0 : lnum / max_abs(hv + ft, pt);
    if (res.zero)
        ck_assert_msg(max_abs(hv, P) <= ztol, "H v = %g where H vanishes", max_abs(hv, P));

    /* the probe on the same data and parameters */
    probe *p = make_probe(s, ds);
    ck_assert(probe_n_params(p) == P && probe_first_trainable(p) == ft);
    ck_assert_int_eq(probe_n_examples(p), n);
    probe_set_params(p, theta);
    double pacc;
    for (size_t i = 0; i < P; i++)
        gp[i] = gm[i] = 2.385;
    const double pl = probe_loss(p, gp, &pacc);
    ck_assert_msg(fabs(pl - l0) <= 1e-13 * fabs(l0), "probe_loss %.17g vs %.17g", pl, l0);
    ck_assert((isnan(pacc) && isnan(acc0)) || pacc == acc0);
    ck_assert_msg(max_diff(gp + ft, g0 + ft, pt) <= 1e-12 * max_abs(g0 + ft, pt), "probe_loss gradient");
    ck_assert_int_eq(probe_hvp(p, v, gm), 0);
    ck_assert_msg(max_diff(gm, hv, P) <= 1e-12 * max_abs(hv, P) + 1e-300, "probe_hvp differs from mlp_hvp by %g",
                  max_diff(gm, hv, P));
    for (size_t i = 0; i < ft; i++)
        ck_assert(gm[i] == 0 && gp[i] == 0);
    probe_free(p);

    free(theta), free(g0), free(g), free(v), free(v0), free(hv), free(hv0), free(gp), free(gm);
    free(H), free(Hfd), free(col), free(e);
    mlp_rws_free(rws), mlp_ws_free(ws), mlp_ws_free(wsn), arch_destroy(&a);
    return res;
}

START_TEST(test_hvp_matrix)
{
    cfg s;
    small_cfg(&s);
    s.n_train = s.n_test = MN, s.d_in = MD, s.classes = MK, s.width = MW;
    dataset *dcls = make_data(&s);
    s.task = TASK_REGRESSION;
    dataset *dreg = make_data(&s);
    int cases = 0, zeros = 0, redraws = 0;
    for (int act = ACT_RELU; act <= ACT_GELU; act++)
        for (int loss = LOSS_MSE; loss <= LOSS_SQHINGE + 1; loss++) /* + 1: regression mse */
            for (int depth = 0; depth <= 3; depth++)
                for (int res = RES_NONE; res <= RES_LINEAR; res++)
                    for (int bias = 0; bias <= 1; bias++)
                        for (int param = PARAM_STANDARD; param <= PARAM_NTK; param++)
                            for (int last = 0; last <= 1; last++) {
                                if (depth < 2 && res != RES_NONE)
                                    continue; /* residual joins width->width layers only */
                                if (depth == 0 && last)
                                    continue; /* one layer: train_last trains everything */
                                const int reg = loss > LOSS_SQHINGE;
                                small_cfg(&s);
                                s.n_train = s.n_test = MN, s.d_in = MD, s.classes = MK, s.width = MW;
                                s.act = act, s.loss = reg ? LOSS_MSE : loss, s.depth = depth, s.residual = res;
                                s.bias = bias, s.param = param, s.train_last = last;
                                if (reg)
                                    s.task = TASK_REGRESSION;
                                s.init_scale = param == PARAM_NTK ? 2.385 : 1.3;
                                /* H vanishes exactly when the loss is piecewise linear in a
                                 * model that is linear in the trained parameters: hinge with
                                 * depth 0 or train_last. With relu and
                                 * hinge it also vanishes when no active example has an active
                                 * unit (every second derivative of f is relu' x, relu' = 0
                                 * there): then another draw of theta, counted below */
                                const int expect_zero = loss == LOSS_HINGE && (depth == 0 || last);
                                hv_result h;
                                for (int tries = 0;; tries++) {
                                    h = hvp_case(&s, reg ? dreg : dcls, 100 + (uint64_t)cases + 100000 * (uint64_t)tries);
                                    if (!h.zero || expect_zero || act != ACT_RELU || loss != LOSS_HINGE || tries == 4)
                                        break;
                                    redraws++;
                                }
                                const char *what = reg ? "mse(regression)" : cfg_enum_name("loss", loss);
                                ck_assert_msg(h.h_err < 1e-6 && h.v_err < 1e-6,
                                              "act %s loss %s depth %d res %s bias %d param %d last %d: "
                                              "dense rel err %g, along v %g (|H| %g |H_fd| %g)",
                                              cfg_enum_name("act", act), what, depth, cfg_enum_name("residual", res),
                                              bias, param, last, h.h_err, h.v_err, h.hnorm, h.hfd_norm);
                                ck_assert_msg(h.sym_err < 1e-10 && h.lin_err < 1e-11,
                                              "act %s loss %s depth %d res %s bias %d param %d last %d: "
                                              "asymmetry %g, H v vs dense H v %g",
                                              cfg_enum_name("act", act), what, depth, cfg_enum_name("residual", res),
                                              bias, param, last, h.sym_err, h.lin_err);
                                ck_assert_msg(h.zero == expect_zero,
                                              "act %s loss %s depth %d res %s bias %d param %d last %d: zero Hessian %d",
                                              cfg_enum_name("act", act), what, depth, cfg_enum_name("residual", res),
                                              bias, param, last, h.zero);
                                zeros += h.zero;
                                cases++;
                            }
    /* per act and loss: depth 0: 2 x 2; depth 1: 2 x 2 x 2; depth 2, 3: 3 x 2 x 2 x 2 */
    ck_assert_int_eq(cases, 7 * 5 * (4 + 8 + 24 + 24));
    ck_assert_int_eq(zeros, 7 * (4 + 4 + 12 + 12)); /* hinge: depth 0, and train_last */
    ck_assert_msg(redraws <= 5, "%d relu/hinge draws had H = 0: the cases test little", redraws);
    data_free(dcls), data_free(dreg);
}
END_TEST

/* mlp_backward_keep: dL/dz_l of every trained layer, checked through the
 * gradient it implies (dL/dW_l = wmul_l dz_l^T h_l, dL/db_l = column sums of
 * dz_l) against mlp_loss_grad; layers below the first trained one untouched. */
START_TEST(test_backward_keep)
{
    for (int last = 0; last <= 1; last++)
        for (int res = RES_NONE; res <= RES_LINEAR; res++) {
            cfg s;
            small_cfg(&s);
            s.depth = 3, s.residual = res, s.act = ACT_GELU, s.param = PARAM_NTK, s.train_last = last;
            s.init_scale = 2.385;
            dataset *ds = make_data(&s);
            arch a;
            arch_of(&a, &s, ds);
            const int n = ds->n_train;
            mlp_ws *ws = mlp_ws_alloc(&a, n);
            const size_t P = a.n_params;
            double *theta = malloc(P * sizeof *theta), *g = malloc(P * sizeof *g), *gk = calloc(P, sizeof *gk);
            double *dzl[4];
            random_theta(&a, theta, 41, 0);
            mlp_loss_grad(&a, theta, ws, ds->x_train, ds->c_train, NULL, n, g, NULL);
            for (int l = 0; l < a.nl; l++) {
                dzl[l] = malloc((size_t)n * a.L[l].fan_out * sizeof *dzl[l]);
                for (int i = 0; i < n * a.L[l].fan_out; i++)
                    dzl[l][i] = 2.385;
            }
            mlp_forward(&a, theta, ws, ds->x_train, n);
            mlp_loss(&a, ws->z[a.nl - 1], n, ds->c_train, NULL, 1.0 / n, ws->dz, NULL);
            mlp_backward_keep(&a, theta, ws, n, dzl);
            mlp_forward(&a, theta, ws, ds->x_train, n); /* h_l, whatever the backward pass reused */
            for (int l = 0; l < a.nl; l++) {
                const arch_layer *L = &a.L[l];
                if (L->w < a.first_trainable) {
                    for (int i = 0; i < n * L->fan_out; i++)
                        ck_assert_msg(dzl[l][i] == 2.385, "layer %d below the trained part written", l);
                    continue;
                }
                for (int o = 0; o < L->fan_out; o++) {
                    double sb = 0;
                    for (int i = 0; i < n; i++)
                        sb += dzl[l][i * L->fan_out + o];
                    if (a.bias)
                        gk[L->b + o] = sb;
                    for (int j = 0; j < L->fan_in; j++) {
                        double sw = 0;
                        for (int i = 0; i < n; i++)
                            sw += dzl[l][i * L->fan_out + o] * ws->h[l][i * L->fan_in + j];
                        gk[L->w + (size_t)o * L->fan_in + j] = L->wmul * sw;
                    }
                }
            }
            const size_t ft = a.first_trainable;
            ck_assert_msg(max_diff(gk + ft, g + ft, P - ft) <= 1e-12 * max_abs(g + ft, P - ft),
                          "res %d last %d: gradient from kept dz differs by %g", res, last,
                          max_diff(gk + ft, g + ft, P - ft));
            for (int l = 0; l < a.nl; l++)
                free(dzl[l]);
            free(theta), free(g), free(gk), mlp_ws_free(ws), arch_destroy(&a), data_free(ds);
        }
}
END_TEST

/* ---- 2. eigenvalues ------------------------------------------------------- */

typedef struct {
    double top[3], resid[3], lmin, lmin_resid;
    long iters, flags;
} sharp;

static sharp run_sharpness(probe *p, int k, int iters, double tol)
{
    sharp r;
    for (int i = 0; i < 3; i++)
        r.top[i] = r.resid[i] = -999;
    r.flags = 0; /* probe_sharpness ORs its bits into *flags */
    ck_assert_int_eq(probe_sharpness(p, k, iters, tol, r.top, r.resid, &r.lmin, &r.lmin_resid, &r.iters, &r.flags),
                     0);
    return r;
}

/* top-3 and lambda_min of generic networks against GSL on the dense Hessian */
START_TEST(test_sharpness_dense)
{
    struct { int act, loss, depth, res, bias, last, task; } cases[] = {
        {ACT_TANH, LOSS_CE, 2, RES_NONE, 1, 0, TASK_CLASSIFICATION},
        {ACT_RELU, LOSS_MSE, 2, RES_STANDARD, 1, 0, TASK_CLASSIFICATION},
        {ACT_SOFTPLUS, LOSS_MSE, 1, RES_NONE, 0, 0, TASK_REGRESSION},
        {ACT_GELU, LOSS_SQHINGE, 3, RES_LINEAR, 1, 0, TASK_CLASSIFICATION},
        {ACT_ERF, LOSS_CE, 2, RES_NONE, 1, 1, TASK_CLASSIFICATION},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        cfg s;
        small_cfg(&s);
        s.act = cases[ci].act, s.loss = cases[ci].loss, s.depth = cases[ci].depth, s.residual = cases[ci].res;
        s.bias = cases[ci].bias, s.train_last = cases[ci].last, s.task = cases[ci].task;
        s.classes = s.task == TASK_REGRESSION ? 2 : 3;
        dataset *ds = make_data(&s);
        arch a;
        arch_of(&a, &s, ds);
        double *theta = malloc(a.n_params * sizeof *theta);
        random_theta(&a, theta, 7, ci);
        probe *p = make_probe(&s, ds);
        probe_set_params(p, theta);
        size_t pt;
        double *H = probe_dense(p, &pt), *ev = malloc(pt * sizeof *ev);
        eig_sym(H, pt, ev);
        const double scale = fmax(fabs(ev[0]), fabs(ev[pt - 1]));
        const int iters = ci % 2 ? (int)pt : (int)pt + 10; /* exactly P_t, and more than the space holds */
        sharp r = run_sharpness(p, 3, iters, 1e-10);
        for (int i = 0; i < 3; i++) {
            ck_assert_msg(fabs(r.top[i] - ev[pt - 1 - i]) <= 1e-6 * scale, "case %zu: top[%d] %.12g, dense %.12g",
                          ci, i, r.top[i], ev[pt - 1 - i]);
            ck_assert_msg(r.resid[i] >= 0 && r.resid[i] < 1e-8, "case %zu: resid[%d] %g", ci, i, r.resid[i]);
        }
        ck_assert_msg(fabs(r.lmin - ev[0]) <= 1e-6 * scale, "case %zu: lambda_min %.12g, dense %.12g", ci, r.lmin,
                      ev[0]);
        ck_assert_msg(r.iters >= 1 && r.iters <= iters, "case %zu: iterations %ld of %d", ci, r.iters, iters);
        /* ce on the last layer alone is convex with the softmax shift invariance:
         * lambda_min = 0 (residuals are relative to the spectral radius, so a
         * zero eigenvalue converges too); otherwise a negative one */
        if (cases[ci].last)
            ck_assert_msg(fabs(ev[0]) <= 1e-10 * scale, "case %zu: lambda_min %g of a convex ce model", ci, ev[0]);
        else
            ck_assert_msg(ev[0] < -1e-6 * scale, "case %zu: a negative eigenvalue makes lambda_min a real test", ci);
        ck_assert_msg(r.lmin_resid >= 0 && r.lmin_resid < 1e-8, "case %zu: lmin resid %g", ci, r.lmin_resid);
        ck_assert_msg((r.flags & ~(long)PF_KRYLOV_SMALL) == 0, "case %zu: flags %ld", ci, r.flags);
        free(theta), free(H), free(ev), probe_free(p), arch_destroy(&a), data_free(ds);
    }
}
END_TEST

/* X^T X / n [d x d] of the training inputs */
static void gram(const dataset *ds, double *G)
{
    const int n = ds->n_train, d = ds->d;
    for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += ds->x_train[i * d + a] * ds->x_train[i * d + b];
            G[a * d + b] = sum / n;
        }
}

/* Linear regression (depth 0, mse, no bias): H = wmul^2 I_k (x) X^T X / n,
 * whatever the parameters; checked entry by entry and through its eigenvalues
 * (k = 2 doubles each one: the deflated runs must find both copies). */
START_TEST(test_sharpness_linear_regression)
{
    for (int variant = 0; variant < 2; variant++) {
        cfg s;
        small_cfg(&s);
        s.depth = 0, s.bias = 0, s.loss = LOSS_MSE, s.n_train = s.n_test = 7, s.d_in = 4;
        if (variant == 0) {
            s.data = DATA_LINEAR, s.task = TASK_REGRESSION, s.cov_decay = 1.3;
        } else { /* two outputs, ntk: wmul^2 = init_scale / d_in (lecun) */
            s.task = TASK_REGRESSION, s.classes = 2, s.param = PARAM_NTK, s.init_scale = 2.385;
        }
        dataset *ds = make_data(&s);
        const int d = ds->d, k = ds->k;
        ck_assert_int_eq(k, variant == 0 ? 1 : 2);
        const double w2 = variant == 0 ? 1.0 : 2.385 / d;
        double G[16], gev[4];
        gram(ds, G);
        eig_sym(G, (size_t)d, gev);
        arch a;
        arch_of(&a, &s, ds);
        double *theta = malloc(a.n_params * sizeof *theta);
        random_theta(&a, theta, 9, 0);
        probe *p = make_probe(&s, ds);
        probe_set_params(p, theta);
        size_t pt;
        double *H = probe_dense(p, &pt);
        ck_assert_int_eq((int)pt, d * k);
        double gmax = w2 * max_abs(G, (size_t)d * d), err = 0;
        for (int o = 0; o < k; o++)
            for (int o2 = 0; o2 < k; o2++)
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++) {
                        double want = o == o2 ? w2 * G[i * d + j] : 0;
                        err = fmax(err, fabs(H[(o * d + i) * pt + o2 * d + j] - want));
                    }
        ck_assert_msg(err <= 1e-13 * gmax, "variant %d: H differs from X^T X / n by %g", variant, err);
        /* eigenvalues: each of X^T X / n, k times, times wmul^2 */
        double want[8];
        for (int i = 0; i < d; i++)
            for (int o = 0; o < k; o++)
                want[i * k + o] = w2 * gev[i];
        const int ntop = variant == 0 ? 1 : 3;
        sharp r = run_sharpness(p, ntop, (int)pt + 2, 1e-10);
        for (int i = 0; i < ntop; i++)
            ck_assert_msg(fabs(r.top[i] - want[d * k - 1 - i]) <= 1e-10 * want[d * k - 1],
                          "variant %d: top[%d] %.15g, want %.15g", variant, i, r.top[i], want[d * k - 1 - i]);
        ck_assert_msg(fabs(r.lmin - want[0]) <= 1e-10 * want[d * k - 1], "variant %d: lambda_min %.15g, want %.15g",
                      variant, r.lmin, want[0]);
        ck_assert_msg(want[0] > 1e-3 * want[d * k - 1], "variant %d: X^T X / n nearly singular", variant);
        ck_assert_msg((r.flags & (PF_EIG_NOCONV | PF_LMIN_NOCONV | PF_NONFINITE)) == 0, "variant %d: flags %ld",
                      variant, r.flags);
        free(theta), free(H), probe_free(p), arch_destroy(&a), data_free(ds);
    }
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One hidden layer, identity activation, no bias, mse, at theta = 0: the only
 * second derivatives are d^2 L / dW1[o,a] dW0[a,j] = -c Sigma_yx[o,j] with
 * c = wmul_0 wmul_1 and Sigma_yx = (1/n) sum_i y_i x_i^T, so H is, per hidden
 * unit a, [[0, -c Sigma_yx^T], [-c Sigma_yx, 0]]: eigenvalues +- c sigma_i and
 * |d - k| zeros, each repeated width times. */
START_TEST(test_sharpness_linear_net_at_zero)
{
    for (int param = PARAM_STANDARD; param <= PARAM_NTK; param++) {
        cfg s;
        small_cfg(&s);
        s.depth = 1, s.act = ACT_IDENTITY, s.bias = 0, s.loss = LOSS_MSE, s.task = TASK_REGRESSION;
        s.d_in = 3, s.classes = 2, s.width = 4, s.n_train = s.n_test = 7, s.param = param, s.init_scale = 2.385;
        dataset *ds = make_data(&s);
        const int n = ds->n_train, d = ds->d, k = ds->k, w = s.width;
        /* c from the parameterisation of arch.h, lecun: var_l = init_scale / fan_in */
        const double c = param == PARAM_NTK ? sqrt(2.385 / d) * sqrt(2.385 / w) : 1.0;
        gsl_matrix *A = gsl_matrix_alloc(d, k), *V = gsl_matrix_alloc(k, k); /* Sigma_yx^T, d >= k */
        gsl_vector *sv = gsl_vector_alloc(k), *work = gsl_vector_alloc(k);
        for (int j = 0; j < d; j++)
            for (int o = 0; o < k; o++) {
                double sum = 0;
                for (int i = 0; i < n; i++)
                    sum += ds->y_train[i * k + o] * ds->x_train[i * d + j];
                gsl_matrix_set(A, j, o, sum / n);
            }
        ck_assert_int_eq(gsl_linalg_SV_decomp(A, V, sv, work), 0);
        const int P = w * (d + k);
        double *want = malloc(P * sizeof *want);
        int m = 0;
        for (int a = 0; a < w; a++) {
            for (int i = 0; i < k; i++)
                want[m++] = c * gsl_vector_get(sv, i), want[m++] = -c * gsl_vector_get(sv, i);
            for (int i = 0; i < d - k; i++)
                want[m++] = 0;
        }
        ck_assert_int_eq(m, P);
        qsort(want, P, sizeof *want, cmp_double);
        const double smax = c * gsl_vector_get(sv, 0);
        ck_assert_msg(gsl_vector_get(sv, 1) > 0.05 * gsl_vector_get(sv, 0), "Sigma_yx nearly rank one");

        probe *p = make_probe(&s, ds);
        ck_assert_int_eq((int)probe_n_params(p), P);
        double *zero = calloc(P, sizeof *zero);
        probe_set_params(p, zero);
        size_t pt;
        double *H = probe_dense(p, &pt), *ev = malloc(pt * sizeof *ev);
        eig_sym(H, pt, ev);
        for (int i = 0; i < P; i++)
            ck_assert_msg(fabs(ev[i] - want[i]) <= 1e-12 * smax, "param %d: eigenvalue %d: %.15g, want %.15g", param,
                          i, ev[i], want[i]);
        sharp r = run_sharpness(p, 3, P, 1e-10);
        for (int i = 0; i < 3; i++) /* c sigma_1 has multiplicity width = 4 */
            ck_assert_msg(fabs(r.top[i] - smax) <= 1e-8 * smax, "param %d: top[%d] %.15g, want %.15g", param, i,
                          r.top[i], smax);
        ck_assert_msg(fabs(r.lmin + smax) <= 1e-8 * smax, "param %d: lambda_min %.15g, want %.15g", param, r.lmin,
                      -smax);
        ck_assert_msg((r.flags & (PF_EIG_NOCONV | PF_LMIN_NOCONV | PF_NONFINITE)) == 0, "param %d: flags %ld", param,
                      r.flags);
        free(want), free(zero), free(H), free(ev);
        gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(sv), gsl_vector_free(work);
        probe_free(p), data_free(ds);
    }
}
END_TEST

/* Two or more linear hidden layers at theta = 0: every second derivative
 * keeps a factor W = 0, so H = 0 exactly. */
START_TEST(test_hessian_deep_linear_zero)
{
    for (int depth = 2; depth <= 3; depth++) {
        cfg s;
        small_cfg(&s);
        s.depth = depth, s.act = ACT_IDENTITY, s.bias = 0, s.loss = LOSS_MSE, s.task = TASK_REGRESSION;
        s.classes = 2;
        dataset *ds = make_data(&s);
        probe *p = make_probe(&s, ds);
        const size_t P = probe_n_params(p);
        double *zero = calloc(P, sizeof *zero), grad[256], acc;
        ck_assert(P <= 256);
        probe_set_params(p, zero);
        ck_assert(probe_loss(p, grad, &acc) > 0);
        size_t pt;
        double *H = probe_dense(p, &pt);
        ck_assert_msg(max_abs(H, pt * pt) == 0, "depth %d: H at 0 has an entry %g", depth, max_abs(H, pt * pt));
        sharp r = run_sharpness(p, 1, 20, 1e-10);
        ck_assert_msg(r.top[0] == 0 && r.lmin == 0, "depth %d: top %g lambda_min %g (H = 0)", depth, r.top[0],
                      r.lmin);
        free(zero), free(H), probe_free(p), data_free(ds);
    }
}
END_TEST

/* Two Lanczos iterations on 100+ parameters cannot converge: flagged, and the
 * values are still Ritz values (inside the spectrum), with large residuals. */
START_TEST(test_sharpness_noconv)
{
    cfg s;
    small_cfg(&s);
    s.depth = 2, s.width = 7, s.d_in = 4;
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    ck_assert(a.n_params > 100);
    double *theta = malloc(a.n_params * sizeof *theta);
    random_theta(&a, theta, 13, 0);
    probe *p = make_probe(&s, ds);
    probe_set_params(p, theta);
    size_t pt;
    double *H = probe_dense(p, &pt), *ev = malloc(pt * sizeof *ev);
    eig_sym(H, pt, ev);
    const double scale = fmax(fabs(ev[0]), ev[pt - 1]);
    sharp r = run_sharpness(p, 1, 2, 1e-10);
    ck_assert_msg(r.flags & PF_EIG_NOCONV, "flags %ld: 2 iterations reported converged", r.flags);
    ck_assert_msg(r.flags & PF_LMIN_NOCONV, "flags %ld: lambda_min converged in 2 iterations", r.flags);
    /* probe.h: an eigenvalue whose residual exceeds tol is NaN, its residual kept */
    ck_assert_msg(isnan(r.top[0]) && isnan(r.lmin), "unconverged top %g lambda_min %g (want NaN)", r.top[0], r.lmin);
    ck_assert_msg(isfinite(r.resid[0]) && r.resid[0] > 1e-10 && isfinite(r.lmin_resid) && r.lmin_resid > 1e-10,
                  "residuals %g %g of unconverged pairs", r.resid[0], r.lmin_resid);
    ck_assert_msg(r.iters == 2, "iterations %ld of 2", r.iters);
    /* the same network with enough iterations converges (so the flag meant the budget) */
    r = run_sharpness(p, 1, (int)pt, 1e-10);
    ck_assert_msg(r.flags == 0 && fabs(r.top[0] - ev[pt - 1]) <= 1e-6 * scale, "flags %ld top %g want %g", r.flags,
                  r.top[0], ev[pt - 1]);
    free(theta), free(H), free(ev), probe_free(p), arch_destroy(&a), data_free(ds);
}
END_TEST

/* A non-finite parameter: every probe value NaN and PF_NONFINITE, no hang. */
START_TEST(test_nonfinite)
{
    cfg s;
    small_cfg(&s);
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    double *theta = malloc(a.n_params * sizeof *theta);
    random_theta(&a, theta, 17, 0);
    theta[a.n_params - 2] = NAN;
    probe *p = make_probe(&s, ds);
    probe_set_params(p, theta);
    sharp r = run_sharpness(p, 2, 30, 1e-10);
    ck_assert_msg(r.flags & PF_NONFINITE, "flags %ld", r.flags);
    ck_assert_msg(isnan(r.top[0]) && isnan(r.lmin), "top %g lambda_min %g", r.top[0], r.lmin);
    double tr = 0, se = 0;
    ck_assert_int_eq(probe_trace(p, 10, &tr, &se), 0);
    ck_assert_msg(isnan(tr), "trace %g with a NaN parameter", tr);
    free(theta), probe_free(p), arch_destroy(&a), data_free(ds);
}
END_TEST

/* The hook: a nonzero return abandons a probe with SGD_EABORT. */
typedef struct { int calls, stop_after; } hook_ctx;
static int count_hook(void *ctx)
{
    hook_ctx *h = ctx;
    return ++h->calls > h->stop_after;
}

START_TEST(test_hook_abort)
{
    cfg s;
    small_cfg(&s);
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    double *theta = malloc(a.n_params * sizeof *theta);
    random_theta(&a, theta, 19, 0);
    probe *p = make_probe(&s, ds);
    probe_set_params(p, theta);
    hook_ctx hc = {0, 3};
    probe_set_hook(p, count_hook, &hc, 0);
    double top[2], resid[2], lmin, lres, tr, se;
    long it, fl = 0;
    ck_assert_int_eq(probe_sharpness(p, 2, 50, 1e-10, top, resid, &lmin, &lres, &it, &fl), SGD_EABORT);
    ck_assert_int_eq(hc.calls, 4);
    hc.calls = 0;
    ck_assert_int_eq(probe_trace(p, 100, &tr, &se), SGD_EABORT);
    ck_assert_int_eq(hc.calls, 4);
    /* a hook that says go on changes nothing (fresh probes: the same vectors) */
    probe *p1 = make_probe(&s, ds), *p2 = make_probe(&s, ds);
    probe_set_params(p1, theta), probe_set_params(p2, theta);
    hc.calls = 0, hc.stop_after = 1000000;
    probe_set_hook(p2, count_hook, &hc, 0);
    double tr2, se2;
    ck_assert_int_eq(probe_trace(p1, 50, &tr, &se), 0);
    ck_assert_int_eq(probe_trace(p2, 50, &tr2, &se2), 0);
    ck_assert(hc.calls > 0);
    ck_assert_msg(tr == tr2 && se == se2, "trace %g vs %g with a hook", tr, tr2);
    probe_free(p1), probe_free(p2);
    free(theta), probe_free(p), arch_destroy(&a), data_free(ds);
}
END_TEST

/* ---- 3. Hutchinson ----------------------------------------------------------- */

START_TEST(test_trace_hutchinson)
{
    cfg s;
    small_cfg(&s);
    s.depth = 2, s.act = ACT_SOFTPLUS;
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    double *theta = malloc(a.n_params * sizeof *theta);
    random_theta(&a, theta, 23, 0);
    probe *p = make_probe(&s, ds);
    probe_set_params(p, theta);
    size_t pt;
    double *H = probe_dense(p, &pt);
    double tr_dense = 0, off2 = 0;
    for (size_t i = 0; i < pt; i++) {
        tr_dense += H[i * pt + i];
        for (size_t j = 0; j < pt; j++)
            if (i != j) {
                double hij = 0.5 * (H[i * pt + j] + H[j * pt + i]);
                off2 += hij * hij;
            }
    }
    const int nz = 2000;
    double tr, se;
    ck_assert_int_eq(probe_trace(p, nz, &tr, &se), 0);
    /* Rademacher z: Var(z^T H z) = 2 sum_{i != j} H_ij^2 */
    const double se_want = sqrt(2 * off2 / nz);
    ck_assert_msg(fabs(tr - tr_dense) <= 4 * se, "trace %g +- %g, dense %g", tr, se, tr_dense);
    /* the sample sd of 2000 draws is within a few % of the true one */
    ck_assert_msg(se > 0.7 * se_want && se < 1.3 * se_want, "se %g, Rademacher theory %g", se, se_want);
    /* reproducible: the same call again gives the same numbers (fixed stream order) */
    probe *p2 = make_probe(&s, ds);
    probe_set_params(p2, theta);
    double tr2, se2;
    ck_assert_int_eq(probe_trace(p2, nz, &tr2, &se2), 0);
    ck_assert(tr2 == tr && se2 == se);
    free(theta), free(H), probe_free(p), probe_free(p2), arch_destroy(&a), data_free(ds);
}
END_TEST

/* Depth 0, mse, no bias, d = 1, k = 3 outputs: H = mean(x^2) I_3, and
 * z^T H z = sum_j H_jj z_j^2 = tr(H) for every Rademacher z: exact, se 0. */
START_TEST(test_trace_diagonal_exact)
{
    cfg s;
    small_cfg(&s);
    s.depth = 0, s.bias = 0, s.loss = LOSS_MSE, s.task = TASK_REGRESSION, s.d_in = 1, s.classes = 3;
    s.n_train = s.n_test = 7;
    dataset *ds = make_data(&s);
    double mx2 = 0;
    for (int i = 0; i < ds->n_train; i++)
        mx2 += ds->x_train[i] * ds->x_train[i];
    mx2 /= ds->n_train;
    probe *p = make_probe(&s, ds);
    double theta[3] = {1.3, -0.7, 2.385}, tr, se;
    probe_set_params(p, theta);
    ck_assert_int_eq(probe_trace(p, 50, &tr, &se), 0);
    ck_assert_msg(fabs(tr - 3 * mx2) <= 1e-13 * mx2, "trace %.17g, want %.17g", tr, 3 * mx2);
    ck_assert_msg(se <= 1e-13 * mx2, "se %g of an exact estimate", se);
    probe_free(p), data_free(ds);
}
END_TEST

/* ---- 4. SLQ density --------------------------------------------------------- */

/* Weights, histogram, node range, and the first moment sum w node = mean of
 * q^T H q over the unit start vectors q, within 4 SE of tr(H) / P_t. */
START_TEST(test_density_moments)
{
    cfg s;
    small_cfg(&s);
    s.depth = 2, s.act = ACT_TANH, s.loss = LOSS_MSE, s.task = TASK_REGRESSION, s.classes = 2;
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    double *theta = malloc(a.n_params * sizeof *theta);
    random_theta(&a, theta, 29, 0);
    probe *p = make_probe(&s, ds);
    probe_set_params(p, theta);
    size_t pt;
    double *H = probe_dense(p, &pt), *ev = malloc(pt * sizeof *ev);
    eig_sym(H, pt, ev);
    double tr = 0, trh2 = 0, diag2 = 0;
    for (size_t i = 0; i < pt; i++) {
        tr += H[i * pt + i];
        diag2 += H[i * pt + i] * H[i * pt + i];
        trh2 += ev[i] * ev[i];
    }
    const double scale = fmax(fabs(ev[0]), fabs(ev[pt - 1]));
    const int nv = 400, m = 6, bins = 17;
    double *nodes = malloc((size_t)nv * m * sizeof *nodes), *w = malloc((size_t)nv * m * sizeof *w);
    double hist[17], lo, hi;
    ck_assert_int_eq(probe_density(p, nv, m, bins, nodes, w, hist, &lo, &hi), 0);
    double wsum = 0, mom1 = 0, nmin = INFINITY, nmax = -INFINITY, hsum = 0, h2[17] = {0};
    for (int v = 0; v < nv; v++) {
        double sv = 0;
        for (int j = 0; j < m; j++) {
            const double x = nodes[v * m + j], wj = w[v * m + j];
            ck_assert_msg(wj >= 0, "negative weight %g", wj);
            ck_assert_msg(x >= ev[0] - 1e-8 * scale && x <= ev[pt - 1] + 1e-8 * scale,
                          "node %g outside the spectrum [%g, %g]", x, ev[0], ev[pt - 1]);
            sv += wj, mom1 += wj * x;
            if (wj > 0)
                nmin = fmin(nmin, x), nmax = fmax(nmax, x);
        }
        ck_assert_msg(fabs(sv - 1.0 / nv) <= 1e-12 / nv, "vector %d: weights sum to %.17g", v, sv);
        wsum += sv;
    }
    ck_assert_msg(fabs(wsum - 1) <= 1e-12, "weights sum to %.17g", wsum);
    ck_assert_msg(fabs(lo - nmin) <= 1e-12 * scale && fabs(hi - nmax) <= 1e-12 * scale,
                  "histogram on [%g, %g], nodes span [%g, %g]", lo, hi, nmin, nmax);
    for (int b = 0; b < bins; b++)
        hsum += hist[b];
    ck_assert_msg(fabs(hsum - 1) <= 1e-12, "histogram sums to %.17g", hsum);
    /* the histogram: weight mass of the nodes in each of the equal bins */
    for (int i = 0; i < nv * m; i++) {
        int b = (int)floor((nodes[i] - lo) / (hi - lo) * bins);
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        h2[b] += w[i];
    }
    ck_assert_msg(max_diff(hist, h2, bins) <= 1e-12, "histogram differs from the binned weights by %g",
                  max_diff(hist, h2, bins));
    /* SE of q^T H q: Rademacher/sqrt(P) q: 2 sum_{i!=j} H_ij^2 / P^2; uniform on
     * the sphere: 2 (P tr H^2 - tr(H)^2) / (P^2 (P + 2)); take the larger */
    const double P = (double)pt;
    const double var = fmax(2 * (trh2 - diag2) / (P * P), 2 * (P * trh2 - tr * tr) / (P * P * (P + 2)));
    const double se = sqrt(var / nv);
    ck_assert_msg(fabs(mom1 - tr / P) <= 4 * se, "first moment %g, tr/P %g, se %g", mom1, tr / P, se);
    free(theta), free(H), free(ev), free(nodes), free(w), probe_free(p), arch_destroy(&a), data_free(ds);
}
END_TEST

/* m = P_t Lanczos steps span the whole space: the nodes of each vector are
 * exactly the (distinct) eigenvalues. */
START_TEST(test_density_exact)
{
    cfg s;
    small_cfg(&s);
    s.depth = 1, s.width = 3, s.d_in = 2, s.classes = 2, s.act = ACT_TANH, s.loss = LOSS_MSE;
    s.task = TASK_REGRESSION;
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    double *theta = malloc(a.n_params * sizeof *theta);
    random_theta(&a, theta, 31, 0);
    probe *p = make_probe(&s, ds);
    probe_set_params(p, theta);
    size_t pt;
    double *H = probe_dense(p, &pt), *ev = malloc(pt * sizeof *ev);
    eig_sym(H, pt, ev);
    const double scale = fmax(fabs(ev[0]), fabs(ev[pt - 1]));
    double gap = INFINITY;
    for (size_t i = 1; i < pt; i++)
        gap = fmin(gap, ev[i] - ev[i - 1]);
    ck_assert_msg(gap > 1e-6 * scale, "repeated eigenvalues (gap %g): not a generic case", gap);
    const int nv = 3, m = (int)pt;
    double *nodes = malloc((size_t)nv * m * sizeof *nodes), *w = malloc((size_t)nv * m * sizeof *w), hist[8], lo, hi;
    ck_assert_int_eq(probe_density(p, nv, m, 8, nodes, w, hist, &lo, &hi), 0);
    for (int v = 0; v < nv; v++) {
        int *hit = calloc(pt, sizeof *hit);
        for (int j = 0; j < m; j++) {
            const double x = nodes[v * m + j];
            if (!(w[v * m + j] > 1e-14))
                continue;
            size_t best = 0;
            for (size_t i = 1; i < pt; i++)
                if (fabs(ev[i] - x) < fabs(ev[best] - x))
                    best = i;
            ck_assert_msg(fabs(ev[best] - x) <= 1e-8 * scale, "vector %d: node %.15g is no eigenvalue (nearest %.15g)",
                          v, x, ev[best]);
            hit[best]++;
        }
        for (size_t i = 0; i < pt; i++)
            ck_assert_msg(hit[i] == 1, "vector %d: eigenvalue %zu (%.15g) found %d times", v, i, ev[i], hit[i]);
        free(hit);
    }
    free(theta), free(H), free(ev), free(nodes), free(w), probe_free(p), arch_destroy(&a), data_free(ds);
}
END_TEST

/* ---- 5. gradient noise ------------------------------------------------------ */

/* Per-example gradients by mlp_loss_grad on one row at a time. */
static void example_grads(const cfg *s, const dataset *ds, const double *theta, const int *rows, int n, double *G,
                          double *tr, double *sq)
{
    arch a;
    arch_of(&a, s, ds);
    mlp_ws *ws = mlp_ws_alloc(&a, 1);
    const size_t P = a.n_params, ft = a.first_trainable;
    double *g = malloc((size_t)n * P * sizeof *g);
    memset(G, 0, P * sizeof *G);
    for (int i = 0; i < n; i++) {
        const int r = rows[i];
        mlp_loss_grad(&a, theta, ws, ds->x_train + (size_t)r * ds->d, ds->classification ? ds->c_train + r : NULL,
                      ds->classification ? NULL : ds->y_train + (size_t)r * ds->k, 1, g + i * P, NULL);
        sq[i] = 0;
        for (size_t j = ft; j < P; j++)
            G[j] += g[i * P + j] / n, sq[i] += g[i * P + j] * g[i * P + j];
    }
    *tr = 0;
    for (int i = 0; i < n; i++)
        for (size_t j = ft; j < P; j++)
            *tr += (g[i * P + j] - G[j]) * (g[i * P + j] - G[j]) / n;
    free(g), mlp_ws_free(ws), arch_destroy(&a);
}

START_TEST(test_noise)
{
    for (int variant = 0; variant < 3; variant++) {
        cfg s;
        small_cfg(&s);
        s.depth = 2, s.act = ACT_GELU, s.n_train = s.n_test = 7, s.batch = 3;
        if (variant == 1)
            s.train_last = 1, s.loss = LOSS_SQHINGE;
        if (variant == 2) /* a probe subset of 5 of the 7 */
            s.probe_n = 5, s.loss = LOSS_MSE, s.task = TASK_REGRESSION, s.classes = 2;
        dataset *ds = make_data(&s);
        arch a;
        arch_of(&a, &s, ds);
        const size_t P = a.n_params, ft = a.first_trainable;
        double *theta = malloc(P * sizeof *theta), *G = malloc(P * sizeof *G), *grad = malloc(P * sizeof *grad);
        random_theta(&a, theta, 37, (uint64_t)variant);
        probe *p = make_probe(&s, ds);
        probe_set_params(p, theta);
        const int n = probe_n_examples(p);
        const int *rows = probe_rows(p);
        ck_assert_int_eq(n, variant == 2 ? 5 : 7);
        int seen[7] = {0};
        for (int i = 0; i < n; i++) {
            ck_assert(rows[i] >= 0 && rows[i] < 7);
            ck_assert_msg(!seen[rows[i]]++, "row %d twice in the probe set", rows[i]);
        }
        double tr, sq[7], psq[7];
        example_grads(&s, ds, theta, rows, n, G, &tr, sq);
        /* the probe set's loss and gradient are those rows' */
        double acc;
        probe_loss(p, grad, &acc);
        ck_assert_msg(max_diff(grad + ft, G + ft, P - ft) <= 1e-12 * max_abs(G + ft, P - ft), "variant %d: gradient",
                      variant);
        const double gn = norm2(G + ft, P - ft);
        ck_assert_msg(gn > 1e-6, "variant %d: no gradient", variant);
        const int samplings[] = {SAMPLE_REPLACEMENT, SAMPLE_RESHUFFLE, -1};
        for (int si = 0; si < 3; si++) {
            cfg so = s;
            if (samplings[si] >= 0)
                so.sampling = samplings[si];
            else
                so.optimizer = OPT_GD;
            double gnorm, trace, scale, sgd;
            probe_noise(p, &so, &gnorm, &trace, &scale, &sgd);
            ck_assert_msg(fabs(gnorm - gn) <= 1e-12 * gn, "variant %d: |G| %.17g want %.17g", variant, gnorm, gn);
            ck_assert_msg(fabs(trace - tr) <= 1e-10 * tr, "variant %d: tr %.17g want %.17g", variant, trace, tr);
            ck_assert_msg(fabs(scale - tr / (gn * gn)) <= 1e-10 * scale, "variant %d: B_noise %.17g want %.17g",
                          variant, scale, tr / (gn * gn));
            /* minibatches are drawn from the whole training set, so the
             * finite-population correction uses n_train even when tr(Sigma)
             * is estimated on a probe subset */
            const double B = s.batch, N = s.n_train;
            const double want = samplings[si] == SAMPLE_REPLACEMENT ? tr / B
                                : samplings[si] == SAMPLE_RESHUFFLE ? tr / B * (N - B) / (N - 1)
                                                                     : 0;
            ck_assert_msg(fabs(sgd - want) <= 1e-10 * tr, "variant %d sampling %d: sgd noise %.17g want %.17g", variant,
                          si, sgd, want);
        }
        probe_example_sqnorms(p, psq);
        const double sqmax = max_abs(sq, n);
        for (int i = 0; i < n; i++)
            ck_assert_msg(fabs(psq[i] - sq[i]) <= 1e-12 * sqmax, "variant %d: example %d |g|^2 %.17g want %.17g",
                          variant, i, psq[i], sq[i]);
        free(theta), free(G), free(grad), probe_free(p), arch_destroy(&a), data_free(ds);
    }
}
END_TEST

/* ---- 6. MLI ---------------------------------------------------------------- */

/* Linear regression: L(alpha) = L0 + alpha g.d + alpha^2 / 2 d^T H d with
 * d = theta1 - theta0, H = X^T X / n; the minimum on the line at alpha* =
 * -g.d / d^T H d. Placed at 0.4 the path has a bump; at 2, it is monotone. */
START_TEST(test_mli_linear)
{
    cfg s;
    small_cfg(&s);
    s.depth = 0, s.bias = 0, s.loss = LOSS_MSE, s.data = DATA_LINEAR, s.task = TASK_REGRESSION;
    s.d_in = 4, s.n_train = s.n_test = 7, s.cov_decay = 0.5, s.target_noise = 0.3;
    dataset *ds = make_data(&s);
    const int n = ds->n_train, d = ds->d;
    double G[16], th0[4] = {1.3, -0.7, 2.385, 0.25}, g[4] = {0}, L0 = 0;
    gram(ds, G);
    for (int i = 0; i < n; i++) {
        double r = -ds->y_train[i];
        for (int j = 0; j < d; j++)
            r += ds->x_train[i * d + j] * th0[j];
        L0 += 0.5 * r * r / n;
        for (int j = 0; j < d; j++)
            g[j] += r * ds->x_train[i * d + j] / n;
    }
    probe *p = make_probe(&s, ds);
    for (int variant = 0; variant < 2; variant++) {
        const double astar = variant == 0 ? 0.4 : 2.0;
        /* d = -g t, with t chosen so that alpha* = astar: alpha* = g.g / (t g^T H g) */
        double gg = 0, gHg = 0, dir[4], th1[4];
        for (int i = 0; i < d; i++) {
            gg += g[i] * g[i];
            for (int j = 0; j < d; j++)
                gHg += g[i] * G[i * d + j] * g[j];
        }
        const double t = gg / (astar * gHg);
        for (int i = 0; i < d; i++)
            dir[i] = -t * g[i], th1[i] = th0[i] + dir[i];
        const double gd = -t * gg, dHd = t * t * gHg;
        enum { M = 11 };
        double alpha[M], loss[M], acc[M], bump, mono;
        probe_mli(p, th0, th1, M, alpha, loss, acc, &bump, &mono);
        double want_bump = 0, run_min = INFINITY;
        for (int j = 0; j < M; j++) {
            const double aj = (double)j / (M - 1), want = L0 + aj * gd + 0.5 * aj * aj * dHd;
            ck_assert_msg(fabs(alpha[j] - aj) <= 1e-15, "alpha[%d] %.17g", j, alpha[j]);
            ck_assert_msg(fabs(loss[j] - want) <= 1e-12 * L0, "variant %d: L(%g) %.15g, parabola %.15g", variant, aj,
                          loss[j], want);
            ck_assert(isnan(acc[j]));
            run_min = fmin(run_min, want);
            want_bump = fmax(want_bump, want - run_min);
        }
        if (variant == 0) {
            ck_assert_msg(mono == 0 && fabs(bump - want_bump) <= 1e-12 * L0 && want_bump > 1e-3 * L0,
                          "bump %.15g want %.15g, monotone %g", bump, want_bump, mono);
        } else {
            ck_assert_msg(mono == 1 && bump == 0, "monotone path: bump %g monotone %g", bump, mono);
        }
        /* the ends are the losses at theta0 and theta1 */
        double l, acc0;
        probe_set_params(p, th0);
        l = probe_loss(p, NULL, &acc0);
        ck_assert_msg(fabs(loss[0] - l) <= 1e-14 * l, "L(0) %.17g, probe_loss %.17g", loss[0], l);
        probe_set_params(p, th1);
        l = probe_loss(p, NULL, &acc0);
        ck_assert_msg(fabs(loss[M - 1] - l) <= 1e-14 * l, "L(1) %.17g, probe_loss %.17g", loss[M - 1], l);
    }
    probe_free(p), data_free(ds);
}
END_TEST

/* A classification network: losses and accuracies along the path against
 * mlp_loss_grad at the interpolated parameters. */
START_TEST(test_mli_network)
{
    cfg s;
    small_cfg(&s);
    s.depth = 2, s.act = ACT_RELU, s.n_train = s.n_test = 7;
    dataset *ds = make_data(&s);
    arch a;
    arch_of(&a, &s, ds);
    const size_t P = a.n_params;
    double *t0 = malloc(P * sizeof *t0), *t1 = malloc(P * sizeof *t1), *ta = malloc(P * sizeof *ta);
    random_theta(&a, t0, 43, 0);
    random_theta(&a, t1, 43, 1);
    mlp_ws *ws = mlp_ws_alloc(&a, ds->n_train);
    probe *p = make_probe(&s, ds);
    enum { M = 9 };
    double alpha[M], loss[M], acc[M], bump, mono, run_min = INFINITY, want_bump = 0;
    probe_mli(p, t0, t1, M, alpha, loss, acc, &bump, &mono);
    for (int j = 0; j < M; j++) {
        const double al = (double)j / (M - 1);
        for (size_t i = 0; i < P; i++)
            ta[i] = (1 - al) * t0[i] + al * t1[i];
        double acc_want;
        const double want = mlp_loss_grad(&a, ta, ws, ds->x_train, ds->c_train, NULL, ds->n_train, NULL, &acc_want);
        ck_assert_msg(fabs(loss[j] - want) <= 1e-12 * want, "L(%g) %.15g want %.15g", al, loss[j], want);
        ck_assert_msg(acc[j] == acc_want, "acc(%g) %g want %g", al, acc[j], acc_want);
        run_min = fmin(run_min, loss[j]);
        want_bump = fmax(want_bump, loss[j] - run_min);
    }
    ck_assert(bump == want_bump && mono == (want_bump == 0));
    free(t0), free(t1), free(ta), mlp_ws_free(ws), probe_free(p), arch_destroy(&a), data_free(ds);
}
END_TEST

/* ---- 7. NTK ---------------------------------------------------------------- */

START_TEST(test_ntk)
{
    for (int last = 0; last <= 1; last++) {
        cfg s;
        small_cfg(&s);
        s.depth = 2, s.act = ACT_TANH, s.param = PARAM_NTK, s.init_scale = 2.385, s.n_train = s.n_test = 7;
        s.train_last = last;
        dataset *ds = make_data(&s);
        arch a;
        arch_of(&a, &s, ds);
        const size_t P = a.n_params, ft = a.first_trainable, pt = P - ft;
        const int nk = 5, k = ds->k, d = ds->d;
        double *theta = malloc(P * sizeof *theta), *J = malloc((size_t)nk * k * pt * sizeof *J);
        double K[25], Kw[25], x[5 * 3], fp[5 * 3];
        random_theta(&a, theta, 47, (uint64_t)last);
        probe *p = make_probe(&s, ds);
        const int *rows = probe_rows(p);
        for (int i = 0; i < nk; i++)
            memcpy(x + i * d, ds->x_train + (size_t)rows[i] * d, d * sizeof *x);
        mlp_ws *ws = mlp_ws_alloc(&a, nk);
        ck_assert_int_eq(probe_ntk(p, theta, nk, K), 0);
        /* Jacobian by central differences: J[(i, o), j] = d f_io / d theta_j */
        const double h = 1e-5;
        for (size_t j = 0; j < pt; j++) {
            const double t = theta[ft + j];
            theta[ft + j] = t + h;
            mlp_forward(&a, theta, ws, x, nk);
            memcpy(fp, ws->z[a.nl - 1], (size_t)nk * k * sizeof *fp);
            theta[ft + j] = t - h;
            mlp_forward(&a, theta, ws, x, nk);
            theta[ft + j] = t;
            for (int io = 0; io < nk * k; io++)
                J[io * pt + j] = (fp[io] - ws->z[a.nl - 1][io]) / (2 * h);
        }
        for (int i = 0; i < nk; i++)
            for (int j = 0; j < nk; j++) {
                double sum = 0;
                for (int o = 0; o < k; o++)
                    for (size_t q = 0; q < pt; q++)
                        sum += J[(i * k + o) * pt + q] * J[(j * k + o) * pt + q];
                Kw[i * nk + j] = sum;
            }
        ck_assert_msg(diff2(K, Kw, 25) <= 1e-6 * norm2(Kw, 25), "last %d: NTK differs from the FD Jacobian's by %g",
                      last, diff2(K, Kw, 25) / norm2(Kw, 25));
        if (last) { /* closed form: K_ij = k (wmul^2 h_i . h_j + 1), h the last hidden layer */
            const arch_layer *L = &a.L[a.nl - 1];
            mlp_forward(&a, theta, ws, x, nk);
            for (int i = 0; i < nk; i++)
                for (int j = 0; j < nk; j++) {
                    double dot = 0;
                    for (int q = 0; q < L->fan_in; q++)
                        dot += ws->h[a.nl - 1][i * L->fan_in + q] * ws->h[a.nl - 1][j * L->fan_in + q];
                    Kw[i * nk + j] = k * (L->wmul * L->wmul * dot + 1);
                }
            ck_assert_msg(max_diff(K, Kw, 25) <= 1e-12 * max_abs(Kw, 25), "last layer NTK vs closed form: %g",
                          max_diff(K, Kw, 25));
        }
        /* symmetric, positive semi-definite */
        double ev[5];
        for (int i = 0; i < nk; i++)
            for (int j = 0; j < nk; j++)
                ck_assert(fabs(K[i * nk + j] - K[j * nk + i]) <= 1e-14 * max_abs(K, 25));
        eig_sym(K, nk, ev);
        ck_assert_msg(ev[0] >= -1e-10 * ev[nk - 1], "NTK eigenvalue %g", ev[0]);
        free(theta), free(J), mlp_ws_free(ws), probe_free(p), arch_destroy(&a), data_free(ds);
    }
}
END_TEST

/* ---- 8. autocorrelation ----------------------------------------------------- */

START_TEST(test_autocorr)
{
    /* mean and variance (1/(n-1)) of a hand-made series */
    const double x[5] = {1.3, 2.385, -0.7, 4.1, 0.25};
    double mean, var, tau;
    probe_autocorr(x, 5, &mean, &var, &tau);
    const double mw = (1.3 + 2.385 - 0.7 + 4.1 + 0.25) / 5;
    double vw = 0;
    for (int i = 0; i < 5; i++)
        vw += (x[i] - mw) * (x[i] - mw) / 4;
    ck_assert_msg(fabs(mean - mw) <= 1e-15 * fabs(mw) && fabs(var - vw) <= 1e-14 * vw, "mean %.17g var %.17g", mean,
                  var);
    /* AR(1) with phi = 0.6: tau_int = (1 + phi) / (1 - phi) = 4; Sokal's window
     * M ~ 20 gives a relative sd of sqrt(2 (2M + 1) / n) ~ 3% at n = 1e5 */
    enum { NS = 100000 };
    double *ar = malloc(NS * sizeof *ar);
    gsl_rng *r = rng_stream(53, 1);
    const double phi = 0.6;
    ar[0] = gsl_ran_gaussian(r, 1 / sqrt(1 - phi * phi)); /* stationary start */
    for (int i = 1; i < NS; i++)
        ar[i] = phi * ar[i - 1] + gsl_ran_gaussian(r, 1.0);
    for (int i = 0; i < NS; i++)
        ar[i] += 2.385; /* a mean the estimator must remove */
    probe_autocorr(ar, NS, &mean, &var, &tau);
    ck_assert_msg(fabs(tau - 4) <= 0.4, "AR(1) tau %g, want 4", tau);
    ck_assert_msg(fabs(var - 1 / (1 - phi * phi)) <= 0.05 / (1 - phi * phi), "AR(1) var %g", var);
    ck_assert_msg(fabs(mean - 2.385) <= 0.05, "AR(1) mean %g", mean);
    /* phi = 0.9: tau = 19, window M ~ 95, where the window rule matters (c = 1
     * would stop at M ~ 16 with tau(16) ~ 15.7); relative sd sqrt(2 (2M + 1) / n)
     * ~ 2% at n = 1e6 */
    enum { NL = 1000000 };
    double *ar9 = malloc(NL * sizeof *ar9);
    ar9[0] = gsl_ran_gaussian(r, 1 / sqrt(1 - 0.81));
    for (int i = 1; i < NL; i++)
        ar9[i] = 0.9 * ar9[i - 1] + gsl_ran_gaussian(r, 1.0);
    probe_autocorr(ar9, NL, &mean, &var, &tau);
    ck_assert_msg(fabs(tau - 19) <= 1.9, "AR(1) phi 0.9: tau %g, want 19", tau);
    free(ar9);
    /* white noise: tau = 1 (sd ~ sqrt(2 * 11 / n) ~ 1.5%) */
    for (int i = 0; i < NS; i++)
        ar[i] = gsl_ran_gaussian(r, 1.3);
    probe_autocorr(ar, NS, &mean, &var, &tau);
    ck_assert_msg(fabs(tau - 1) <= 0.07, "white noise tau %g, want 1", tau);
    gsl_rng_free(r), free(ar);
}
END_TEST

/* ---- 9. lazy training ------------------------------------------------------ */

START_TEST(test_lazy)
{
    cfg s;
    small_cfg(&s);
    s.depth = 2, s.d_in = 2, s.width = 2, s.task = TASK_REGRESSION, s.loss = LOSS_MSE, s.classes = 1;
    dataset *ds = make_data(&s);
    /* layers: W0 [2x2] b0 [2] | W1 [2x2] b1 [2] | W2 [1x2] b2 [1]: 15 parameters */
    const double t0[15] = {1.3, -0.7, 2.385, 0.25, 0.5, -1.1, /**/ 0.9, 1.7, -0.3, 0.6, 1.2, -2.0, /**/ 0, 0, 0};
    const double dt[15] = {0.1, 0.2, -0.3, 0.05, 0, 0.4, /**/ -0.25, 0, 0.75, 0.125, -0.5, 0.3, /**/ 0.6, -0.8, 2.385};
    double t1[15], rel[3], total;
    for (int i = 0; i < 15; i++)
        t1[i] = t0[i] + dt[i];
    for (int last = 0; last <= 1; last++) {
        s.train_last = last;
        probe *p = make_probe(&s, ds);
        ck_assert_int_eq((int)probe_n_params(p), 15);
        probe_lazy(p, t0, t1, rel, &total);
        double want[3] = {norm2(dt, 6) / norm2(t0, 6), norm2(dt + 6, 6) / norm2(t0 + 6, 6), NAN};
        for (int l = 0; l < 3; l++) {
            if (isnan(want[l]) || (last && l < 2))
                ck_assert_msg(isnan(rel[l]), "last %d: layer %d %g, want NaN", last, l, rel[l]);
            else
                ck_assert_msg(fabs(rel[l] - want[l]) <= 1e-14 * want[l], "layer %d: %.17g want %.17g", l, rel[l],
                              want[l]);
        }
        if (last) /* only the last layer, which starts at 0 */
            ck_assert_msg(isnan(total) || isinf(total), "train_last total %g (theta0 = 0 there)", total);
        else {
            const double tw = norm2(dt, 15) / norm2(t0, 15);
            ck_assert_msg(fabs(total - tw) <= 1e-14 * tw, "total %.17g want %.17g", total, tw);
        }
        probe_free(p);
    }
    /* train_last with a nonzero last layer: total = that layer's distance */
    double u0[15];
    memcpy(u0, t0, sizeof u0);
    u0[12] = 0.4, u0[13] = -1.3, u0[14] = 0.7;
    for (int i = 0; i < 15; i++)
        t1[i] = u0[i] + dt[i];
    probe *p = make_probe(&s, ds);
    probe_lazy(p, u0, t1, rel, &total);
    const double want = norm2(dt + 12, 3) / norm2(u0 + 12, 3);
    ck_assert_msg(fabs(rel[2] - want) <= 1e-14 * want && fabs(total - want) <= 1e-14 * want, "last layer %g total %g "
                  "want %g", rel[2], total, want);
    probe_free(p), data_free(ds);
}
END_TEST

static Suite *probe_suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tu_tcase("hvp");
    tcase_add_test(tc, test_hvp_matrix);
    tcase_add_test(tc, test_backward_keep);
    suite_add_tcase(s, tc);
    tc = tu_tcase("eig");
    tcase_add_test(tc, test_sharpness_dense);
    tcase_add_test(tc, test_sharpness_linear_regression);
    tcase_add_test(tc, test_sharpness_linear_net_at_zero);
    tcase_add_test(tc, test_hessian_deep_linear_zero);
    tcase_add_test(tc, test_sharpness_noconv);
    tcase_add_test(tc, test_nonfinite);
    tcase_add_test(tc, test_hook_abort);
    suite_add_tcase(s, tc);
    tc = tu_tcase("stochastic");
    tcase_add_test(tc, test_trace_hutchinson);
    tcase_add_test(tc, test_trace_diagonal_exact);
    tcase_add_test(tc, test_density_moments);
    tcase_add_test(tc, test_density_exact);
    suite_add_tcase(s, tc);
    tc = tu_tcase("other");
    tcase_add_test(tc, test_noise);
    tcase_add_test(tc, test_mli_linear);
    tcase_add_test(tc, test_mli_network);
    tcase_add_test(tc, test_ntk);
    tcase_add_test(tc, test_autocorr);
    tcase_add_test(tc, test_lazy);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(probe_suite)
