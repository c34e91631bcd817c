/* test_mlp.c -- gradients of mlp_backward against central finite differences
 * (float64) over activations x losses x depth 0-3 x residual x bias, plus the
 * ntk parameterisation and last-layer-only training. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "mlp.h"
#include "rng.h"
#include "testutil.h"

enum { N = 5, D = 4, W = 6, K = 3 };

typedef struct {
    double max_rel;  /* |g - g_fd| / max(|g|, |g_fd|) over the trained part */
    double gnorm;
} gc_result;

/* Compare analytic and finite-difference gradients for settings s. */
static gc_result gradcheck(const cfg *s, int regression)
{
    arch a;
    sgd_err e = {0};
    ck_assert_int_eq(arch_init(&a, s, D, K, &e), 0);
    mlp_ws *ws = mlp_ws_alloc(&a, N);
    gsl_rng *r = rng_stream(77, 1);
    double *theta = malloc(a.n_params * sizeof *theta), *g = calloc(a.n_params, sizeof *g);
    double x[N * D], y[N * K];
    int c[N];
    mlp_init_params(&a, 0, theta, r);
    for (size_t i = 0; i < a.n_params; i++) /* nonzero biases too, away from symmetric points */
        theta[i] += 0.3 * gsl_ran_gaussian(r, 1.0);
    for (int i = 0; i < N * D; i++)
        x[i] = gsl_ran_gaussian(r, 1.3);
    for (int i = 0; i < N * K; i++)
        y[i] = gsl_ran_gaussian(r, 1.0);
    for (int i = 0; i < N; i++)
        c[i] = (int)gsl_rng_uniform_int(r, K);
    const int *cp = regression ? NULL : c;
    const double *yp = regression ? y : NULL;
    mlp_loss_grad(&a, theta, ws, x, cp, yp, N, g, NULL);
    const double h = 1e-5;
    double num = 0, den = 0, gn = 0;
    for (size_t i = a.first_trainable; i < a.n_params; i++) {
        double t = theta[i];
        theta[i] = t + h;
        double lp = mlp_loss_grad(&a, theta, ws, x, cp, yp, N, NULL, NULL);
        theta[i] = t - h;
        double lm = mlp_loss_grad(&a, theta, ws, x, cp, yp, N, NULL, NULL);
        theta[i] = t;
        double fd = (lp - lm) / (2 * h);
        num += (g[i] - fd) * (g[i] - fd);
        den += fd * fd;
        gn += g[i] * g[i];
    }
    gc_result res = {sqrt(num) / fmax(sqrt(den), sqrt(gn)), sqrt(gn)};
    free(theta);
    free(g);
    gsl_rng_free(r);
    mlp_ws_free(ws);
    arch_destroy(&a);
    return res;
}

START_TEST(test_gradcheck_matrix)
{
    int cases = 0;
    for (int act = ACT_RELU; act <= ACT_GELU; act++)
        for (int loss = LOSS_MSE; loss <= LOSS_SQHINGE; loss++)
            for (int depth = 0; depth <= 3; depth++)
                for (int res = RES_NONE; res <= RES_LINEAR; res++)
                    for (int bias = 0; bias <= 1; bias++) {
                        if (depth < 2 && res != RES_NONE)
                            continue; /* residual joins width->width layers only */
                        cfg s;
                        cfg_defaults(&s);
                        s.act = act, s.loss = loss, s.depth = depth, s.residual = res, s.bias = bias;
                        s.width = W, s.softplus_beta = 2.385, s.init = INIT_LECUN;
                        gc_result g = gradcheck(&s, 0);
                        ck_assert_msg(g.gnorm > 1e-8, "zero gradient: act %d loss %d depth %d res %d bias %d", act,
                                      loss, depth, res, bias);
                        ck_assert_msg(g.max_rel < 1e-6, "act %s loss %s depth %d res %s bias %d: rel err %g",
                                      cfg_enum_name("act", act), cfg_enum_name("loss", loss), depth,
                                      cfg_enum_name("residual", res), bias, g.max_rel);
                        cases++;
                    }
    ck_assert_int_eq(cases, 7 * 4 * 2 * (2 + 2 * 3));
}
END_TEST

START_TEST(test_gradcheck_regression_ntk_lastlayer)
{
    cfg s;
    cfg_defaults(&s);
    s.loss = LOSS_MSE, s.width = W, s.depth = 3, s.act = ACT_TANH, s.param = PARAM_NTK;
    gc_result g = gradcheck(&s, 1);
    ck_assert_msg(g.max_rel < 1e-6, "ntk regression rel err %g", g.max_rel);
    s.residual = RES_STANDARD, s.act = ACT_SOFTPLUS, s.init = INIT_XAVIER, s.init_scale = 2.385;
    g = gradcheck(&s, 1);
    ck_assert_msg(g.max_rel < 1e-6, "ntk residual softplus rel err %g", g.max_rel);
    s.train_last = 1, s.param = PARAM_STANDARD;
    g = gradcheck(&s, 0);
    ck_assert_msg(g.max_rel < 1e-6, "train_last rel err %g", g.max_rel);
}
END_TEST

/* The frozen part of the gradient is never written (train_last). */
START_TEST(test_frozen_untouched)
{
    cfg s;
    cfg_defaults(&s);
    s.width = W, s.depth = 2, s.train_last = 1;
    arch a;
    sgd_err e = {0};
    ck_assert_int_eq(arch_init(&a, &s, D, K, &e), 0);
    ck_assert(a.first_trainable == a.L[2].w);
    mlp_ws *ws = mlp_ws_alloc(&a, N);
    gsl_rng *r = rng_stream(3, 1);
    double *theta = malloc(a.n_params * sizeof *theta), *g = malloc(a.n_params * sizeof *g);
    double x[N * D];
    int c[N] = {0, 1, 2, 1, 0};
    for (int i = 0; i < N * D; i++)
        x[i] = gsl_ran_gaussian(r, 1);
    mlp_init_params(&a, 0, theta, r);
    for (size_t i = 0; i < a.n_params; i++)
        g[i] = 2.385;
    mlp_loss_grad(&a, theta, ws, x, c, NULL, N, g, NULL);
    for (size_t i = 0; i < a.first_trainable; i++)
        ck_assert(g[i] == 2.385);
    ck_assert(g[a.n_params - 1] != 2.385);
    free(theta), free(g), gsl_rng_free(r), mlp_ws_free(ws), arch_destroy(&a);
}
END_TEST

/* The SGD step fused into the backward pass (mlp_sgd_step) reports the same
 * loss and equals theta - lr * gradient from mlp_loss_grad, up to rounding, over activations x
 * depth 0-3 x residual x bias x last-layer-only x loss; the frozen part stays
 * bit-identical. */
START_TEST(test_fused_sgd_step)
{
    const int acts[] = {ACT_RELU, ACT_TANH}, ress[] = {RES_NONE, RES_STANDARD, RES_LINEAR};
    const int losses[] = {LOSS_CE, LOSS_MSE, LOSS_SQHINGE};
    const double lr = 0.3;
    int cases = 0;
    for (int ai = 0; ai < 2; ai++)
        for (int depth = 0; depth <= 3; depth++)
            for (int ri = 0; ri < 3; ri++)
                for (int bias = 0; bias < 2; bias++)
                    for (int last = 0; last < 2; last++)
                        for (int li = 0; li < 3; li++) {
                            cfg s;
                            cfg_defaults(&s);
                            s.width = W, s.depth = depth, s.act = acts[ai], s.residual = ress[ri], s.bias = bias;
                            s.train_last = last, s.loss = losses[li];
                            arch a;
                            sgd_err e = {0};
                            ck_assert_int_eq(arch_init(&a, &s, D, K, &e), 0);
                            mlp_ws *ws = mlp_ws_alloc(&a, N);
                            gsl_rng *r = rng_stream(11, (uint64_t)cases);
                            const size_t P = a.n_params;
                            double *t1 = malloc(P * sizeof *t1), *t2 = malloc(P * sizeof *t2),
                                   *g = calloc(P, sizeof *g);
                            double x[N * D];
                            int c[N];
                            mlp_init_params(&a, 0, t1, r);
                            for (size_t i = 0; i < P; i++)
                                t1[i] += 0.3 * gsl_ran_gaussian(r, 1.0);
                            for (int i = 0; i < N * D; i++)
                                x[i] = gsl_ran_gaussian(r, 1.3);
                            for (int i = 0; i < N; i++)
                                c[i] = (int)gsl_rng_uniform_int(r, K);
                            memcpy(t2, t1, P * sizeof *t2);
                            double acc1, acc2, l1 = mlp_loss_grad(&a, t1, ws, x, c, NULL, N, g, &acc1);
                            double gmax = 0, tmax = 0, dmax = 0;
                            for (size_t i = a.first_trainable; i < P; i++) {
                                t1[i] -= lr * g[i];
                                gmax = fmax(gmax, fabs(g[i]));
                            }
                            double l2 = mlp_sgd_step(&a, t2, ws, x, c, NULL, N, lr, &acc2);
                            ck_assert_msg(l1 == l2 && acc1 == acc2, "case %d: loss %.17g vs %.17g", cases, l1, l2);
                            for (size_t i = 0; i < P; i++) {
                                tmax = fmax(tmax, fabs(t1[i]));
                                dmax = fmax(dmax, fabs(t1[i] - t2[i]));
                            }
                            ck_assert_msg(gmax > 1e-6, "case %d: no gradient to step with", cases);
                            ck_assert_msg(dmax <= 1e-13 * tmax, "case %d (act %d depth %d res %d bias %d last %d "
                                          "loss %d): fused step differs by %g", cases, acts[ai], depth, ress[ri],
                                          bias, last, losses[li], dmax);
                            ck_assert_msg(memcmp(t1, t2, a.first_trainable * sizeof *t1) == 0,
                                          "case %d: frozen part changed", cases);
                            free(t1), free(t2), free(g), gsl_rng_free(r), mlp_ws_free(ws), arch_destroy(&a);
                            cases++;
                        }
    ck_assert_int_eq(cases, 288);
}
END_TEST

/* Known values of the losses on one example. */
START_TEST(test_loss_values)
{
    cfg s;
    cfg_defaults(&s);
    s.depth = 0;
    arch a;
    sgd_err e = {0};
    ck_assert_int_eq(arch_init(&a, &s, 2, 3, &e), 0);
    const double f[3] = {0.5, 2.385, -1.0};
    int c = 0;
    long right = 0;
    a.loss = LOSS_CE;
    double lse = log(exp(0.5) + exp(2.385) + exp(-1.0));
    ck_assert_double_eq_tol(mlp_loss(&a, f, 1, &c, NULL, 1, NULL, &right), lse - 0.5, 1e-12);
    ck_assert_int_eq(right, 0);
    a.loss = LOSS_MSE;
    ck_assert_double_eq_tol(mlp_loss(&a, f, 1, &c, NULL, 1, NULL, NULL),
                            0.5 * (0.25 + 2.385 * 2.385 + 1.0), 1e-12);
    a.loss = LOSS_HINGE; /* margin 0.5 - 2.385 */
    ck_assert_double_eq_tol(mlp_loss(&a, f, 1, &c, NULL, 1, NULL, NULL), 1 - (0.5 - 2.385), 1e-12);
    a.loss = LOSS_SQHINGE;
    ck_assert_double_eq_tol(mlp_loss(&a, f, 1, &c, NULL, 1, NULL, NULL), pow(1 - (0.5 - 2.385), 2), 1e-12);
    c = 1; /* margin 2.385 - 0.5 > 1: no loss, correct */
    right = 0;
    a.loss = LOSS_HINGE;
    ck_assert_double_eq(mlp_loss(&a, f, 1, &c, NULL, 1, NULL, &right), 0);
    ck_assert_int_eq(right, 1);
    arch_destroy(&a);
}
END_TEST

static Suite *mlp_suite(void)
{
    Suite *s = suite_create("mlp");
    TCase *tc = tu_tcase("core");
    tcase_add_test(tc, test_gradcheck_matrix);
    tcase_add_test(tc, test_gradcheck_regression_ntk_lastlayer);
    tcase_add_test(tc, test_frozen_untouched);
    tcase_add_test(tc, test_fused_sgd_step);
    tcase_add_test(tc, test_loss_values);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(mlp_suite)
