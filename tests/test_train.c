/* test_train.c -- the trainer against independent answers: least squares,
 * deep linear networks, hand-computed optimiser steps, an exact saddle,
 * Langevin's stationary variance; determinism, divergence, schedules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_multifit.h>
#include "mlp.h"
#include "optim.h"
#include "probe.h"
#include "rng.h"
#include "testutil.h"
#include "train.h"

static dataset *make_data(const cfg *s)
{
    dataset *ds = NULL;
    sgd_err e = {0};
    ck_assert_msg(data_make(s, &ds, &e) == 0, "data_make: %s", e.msg);
    return ds;
}

static void linear_cfg(cfg *s)
{
    cfg_defaults(s);
    s->data = DATA_LINEAR, s->task = TASK_REGRESSION, s->loss = LOSS_MSE;
    s->d_in = 6, s->n_train = 200, s->n_test = 50, s->cov_decay = 0.5, s->target_noise = 0.5;
    s->precision = PREC_FLOAT64, s->optimizer = OPT_GD, s->checkpoints = 5;
    s->seed = 11;
}

/* Least-squares fit of y on [x, 1] (intercept) or x, by GSL; returns the
 * residual loss (1/n) sum 1/2 r^2 and the coefficients in beta[d(+1)]. */
static double least_squares(const dataset *ds, int intercept, double *beta)
{
    const int n = ds->n_train, d = ds->d, p = d + intercept;
    gsl_matrix *X = gsl_matrix_alloc(n, p);
    gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc(p);
    gsl_matrix *cov = gsl_matrix_alloc(p, p);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(n, p);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            gsl_matrix_set(X, i, j, ds->x_train[i * d + j]);
        if (intercept)
            gsl_matrix_set(X, i, d, 1.0);
        gsl_vector_set(y, i, ds->y_train[i]);
    }
    double chisq;
    ck_assert_int_eq(gsl_multifit_linear(X, y, c, cov, &chisq, w), 0);
    for (int j = 0; j < p; j++)
        beta[j] = gsl_vector_get(c, j);
    gsl_multifit_linear_free(w);
    gsl_matrix_free(cov), gsl_matrix_free(X), gsl_vector_free(y), gsl_vector_free(c);
    return 0.5 * chisq / n;
}

START_TEST(test_gd_least_squares)
{
    cfg s;
    linear_cfg(&s);
    s.depth = 0, s.bias = 1, s.lr = 0.5, s.steps = 3000;
    dataset *ds = make_data(&s);
    double beta[7];
    double ls = least_squares(ds, 1, beta);
    result r;
    sgd_err e = {0};
    ck_assert_int_eq(train_run(&s, ds, 1, &r, &e), 0);
    ck_assert_int_eq(r.status, RUN_DONE);
    ck_assert_uint_eq(r.n_params, 7); /* W [1 x 6], then b */
    for (int j = 0; j < 7; j++)
        ck_assert_msg(fabs(r.theta[j] - beta[j]) < 1e-9, "coef %d: %.12g vs least squares %.12g", j, r.theta[j],
                      beta[j]);
    ck_assert_double_eq_tol(r.train_loss, ls, 1e-12);
    ck_assert(r.grad_norm < 1e-9);
    result_destroy(&r);
    data_free(ds);
}
END_TEST

/* Deep linear networks (Lu & Kawaguchi 2017): from a small init, GD reaches
 * the least-squares loss. */
START_TEST(test_deep_linear_reaches_least_squares)
{
    for (int depth = 2; depth <= 3; depth++) {
        cfg s;
        linear_cfg(&s);
        s.d_in = 4, s.depth = depth, s.width = 8, s.act = ACT_IDENTITY, s.bias = 0;
        s.init = INIT_LECUN, s.init_scale = 0.05, s.lr = 0.1, s.steps = 6000;
        dataset *ds = make_data(&s);
        double beta[4];
        double ls = least_squares(ds, 0, beta);
        result r;
        sgd_err e = {0};
        ck_assert_int_eq(train_run(&s, ds, 0, &r, &e), 0);
        ck_assert_int_eq(r.status, RUN_DONE);
        ck_assert_msg(r.ckpt_train_loss[0] > 2 * ls, "the start should be far from the optimum");
        ck_assert_msg(fabs(r.train_loss - ls) < 1e-7 * ls, "depth %d: loss %.12g vs least squares %.12g", depth,
                      r.train_loss, ls);
        result_destroy(&r);
        data_free(ds);
    }
}
END_TEST

/* Two steps of SGD and of heavy-ball momentum with weight decay, by hand. */
START_TEST(test_optim_two_steps)
{
    cfg s;
    cfg_defaults(&s);
    s.weight_decay = 0.1;
    double th[2] = {2.385, -1.5};
    const double g1[2] = {0.5, -0.25}, g2[2] = {-0.2, 0.4};
    optim *o = optim_alloc(&s, 2, 0, NULL);
    optim_update(o, th, g1, 0.1);
    optim_update(o, th, g2, 0.1);
    /* step 1: g' = (0.5 + .2385, -0.25 - .15) = (0.7385, -0.4) -> (2.31115, -1.46)
     * step 2: g' = (-0.2 + .231115, 0.4 - .146) = (0.031115, 0.254) -> (2.3080385, -1.4854) */
    ck_assert_double_eq_tol(th[0], 2.3080385, 1e-12);
    ck_assert_double_eq_tol(th[1], -1.4854, 1e-12);
    optim_free(o);

    s.momentum = 0.9;
    double tm[2] = {2.385, -1.5};
    o = optim_alloc(&s, 2, 0, NULL);
    optim_update(o, tm, g1, 0.1);
    optim_update(o, tm, g2, 0.1);
    /* v1 = (0.7385, -0.4), theta1 = (2.31115, -1.46)
     * g2' = (0.031115, 0.254), v2 = 0.9 v1 + g2' = (0.695765, -0.106)
     * theta2 = theta1 - 0.1 v2 = (2.2415735, -1.4494) */
    ck_assert_double_eq_tol(tm[0], 2.2415735, 1e-12);
    ck_assert_double_eq_tol(tm[1], -1.4494, 1e-12);
    optim_free(o);
}
END_TEST

/* Zero weights of a bias-free deep linear net are an exact saddle: GD stays,
 * perturbed GD escapes and lowers the loss. */
START_TEST(test_pgd_escapes_saddle)
{
    cfg s;
    linear_cfg(&s);
    s.depth = 1, s.width = 4, s.act = ACT_IDENTITY, s.bias = 0, s.lr = 0.2, s.steps = 400;
    s.target_noise = 0.1;
    dataset *ds = make_data(&s);
    double zeros[64] = {0}, l0, l1, acc, theta[64];
    for (int opt = OPT_GD; opt <= OPT_PGD; opt++) {
        s.optimizer = opt, s.perturb_radius = 0.05, s.perturb_gtol = 1e-6, s.perturb_wait = 20;
        sgd_err e = {0};
        trainer *t = trainer_alloc(&s, ds, &e);
        ck_assert_ptr_nonnull(t);
        size_t P = trainer_n_params(t);
        ck_assert(P <= 64);
        trainer_set_params(t, zeros);
        trainer_evaluate(t, SET_TRAIN, &l0, &acc);
        for (int k = 0; k < 400; k++)
            trainer_step(t, s.lr, &acc);
        trainer_evaluate(t, SET_TRAIN, &l1, &acc);
        trainer_get_params(t, PARAMS_NOW, theta);
        if (opt == OPT_GD) {
            for (size_t i = 0; i < P; i++)
                ck_assert(theta[i] == 0.0);
            ck_assert(l1 == l0);
            ck_assert_int_eq(trainer_perturbations(t), 0);
        } else {
            ck_assert_int_ge(trainer_perturbations(t), 1);
            ck_assert_msg(l1 < 0.2 * l0, "pgd loss %g from %g", l1, l0);
        }
        trainer_free(t);
    }
    data_free(ds);
}
END_TEST

/* Langevin on the quadratic loss L(w) = a w^2 / 2 - b w + c (one weight, no
 * bias): w is Gaussian in the long run with variance T / (a (1 - lr a / 2)). */
START_TEST(test_langevin_stationary_variance)
{
    cfg s;
    linear_cfg(&s);
    s.d_in = 1, s.depth = 0, s.bias = 0, s.optimizer = OPT_LANGEVIN, s.langevin_temp = 0.05, s.lr = 0.05;
    s.batch = s.n_train; /* full-batch Langevin: exact quadratic */
    dataset *ds = make_data(&s);
    double a = 0;
    for (int i = 0; i < ds->n_train; i++)
        a += ds->x_train[i] * ds->x_train[i];
    a /= ds->n_train;
    sgd_err e = {0};
    trainer *t = trainer_alloc(&s, ds, &e);
    ck_assert_ptr_nonnull(t);
    double w, acc, sum = 0, sum2 = 0;
    const int burn = 2000, n = 200000;
    for (int k = 0; k < burn + n; k++) {
        trainer_step(t, s.lr, &acc);
        if (k >= burn) {
            trainer_get_params(t, PARAMS_NOW, &w);
            sum += w, sum2 += w * w;
        }
    }
    double var = sum2 / n - (sum / n) * (sum / n);
    double expect = s.langevin_temp / (a * (1 - s.lr * a / 2));
    /* correlation time ~ 1/(lr a) steps: about n lr a independent samples */
    double rel_se = sqrt(2.0 / (n * s.lr * a));
    ck_assert_msg(fabs(var / expect - 1) < 5 * rel_se, "variance %g, expected %g (rel se %g)", var, expect, rel_se);
    trainer_free(t);
    data_free(ds);
}
END_TEST

static void run_params(const cfg *s, result *r)
{
    dataset *ds = make_data(s);
    sgd_err e = {0};
    ck_assert_int_eq(train_run(s, ds, 1, r, &e), 0);
    data_free(ds);
}

START_TEST(test_determinism)
{
    for (int prec = PREC_FLOAT32; prec <= PREC_FLOAT64; prec++) {
        cfg s;
        cfg_defaults(&s);
        s.width = 16, s.n_train = 256, s.n_test = 64, s.steps = 300, s.precision = prec, s.seed = 5;
        s.sampling = SAMPLE_RESHUFFLE, s.momentum = 0.5;
        result a, b, c;
        run_params(&s, &a);
        run_params(&s, &b);
        ck_assert_uint_eq(a.n_params, b.n_params);
        ck_assert(memcmp(a.theta, b.theta, a.n_params * sizeof(double)) == 0);
        ck_assert(memcmp(a.ckpt_train_loss, b.ckpt_train_loss, a.n_ckpt * sizeof(double)) == 0);
        ck_assert(a.test_loss == b.test_loss && a.grad_norm == b.grad_norm);
        s.init_seed = 6; /* different init, same data */
        run_params(&s, &c);
        ck_assert(memcmp(a.theta0, c.theta0, a.n_params * sizeof(double)) != 0);
        ck_assert(memcmp(a.theta, c.theta, a.n_params * sizeof(double)) != 0);
        result_destroy(&a), result_destroy(&b), result_destroy(&c);
    }
    /* data seed fixed, init seed varied: same data; data seed varied: different data */
    cfg s;
    cfg_defaults(&s);
    s.n_train = 100, s.n_test = 10, s.data_seed = 3, s.init_seed = 1;
    dataset *d1 = make_data(&s);
    s.init_seed = 2;
    dataset *d2 = make_data(&s);
    s.data_seed = 4;
    dataset *d3 = make_data(&s);
    ck_assert(memcmp(d1->x_train, d2->x_train, 100 * 32 * sizeof(double)) == 0);
    ck_assert(memcmp(d1->c_train, d2->c_train, 100 * sizeof(int)) == 0);
    ck_assert(memcmp(d1->x_train, d3->x_train, 100 * 32 * sizeof(double)) != 0);
    data_free(d1), data_free(d2), data_free(d3);
}
END_TEST

/* Probes read the parameters and draw from their own streams: a run with
 * every probe on trains to bit-identical parameters, curves and metrics; the
 * probes themselves are reproducible; the probe curves' last point is the
 * final value; a diverged run flags its end probes as skipped. */
START_TEST(test_probes_leave_training_alone)
{
    for (int opt = 0; opt < 2; opt++)
        for (int prec = PREC_FLOAT32; prec <= PREC_FLOAT64; prec++) {
            cfg s;
            cfg_defaults(&s);
            s.width = 12, s.n_train = 120, s.n_test = 40, s.steps = 200, s.precision = prec, s.seed = 7;
            s.optimizer = opt ? OPT_GD : OPT_SGD, s.sampling = SAMPLE_RESHUFFLE, s.checkpoints = 8;
            result a, b, c;
            run_params(&s, &a);
            s.sharpness_k = 2, s.eig_iters = 80, s.trace_vecs = 5, s.density_vecs = 2, s.density_iters = 10;
            s.grad_noise = 1, s.mli = 1, s.mli_points = 5, s.lazy = 1, s.ntk_n = 20, s.tail = 0.5, s.tail_every = 3;
            s.probe_every = 2, s.probe_n = 60;
            run_params(&s, &b);
            run_params(&s, &c);
            ck_assert(memcmp(a.theta, b.theta, a.n_params * sizeof(double)) == 0);
            ck_assert(memcmp(a.ckpt_train_loss, b.ckpt_train_loss, a.n_ckpt * sizeof(double)) == 0);
            ck_assert(a.train_loss == b.train_loss && a.test_loss == b.test_loss && a.grad_norm == b.grad_norm);
            ck_assert(a.min_train_loss == b.min_train_loss && a.hit_loss_step == b.hit_loss_step);
            /* off: NaN / -1 / NULL */
            ck_assert(isnan(a.sharpness) && isnan(a.tail_loss_mean) && a.tail_points == -1 && !a.parr[PA_EIG]);
            ck_assert(!a.ckpt_probe[PC_SHARPNESS] && isnan(a.time_sharpness) && a.probe_hvps == 0);
            /* on: finite, reproducible */
            ck_assert(isfinite(b.sharpness) && isfinite(b.lambda_min) && b.sharpness >= b.lambda_min);
            ck_assert(b.sharpness == c.sharpness && b.hess_trace == c.hess_trace && b.noise_trace == c.noise_trace);
            ck_assert(b.ntk_rel_change == c.ntk_rel_change && b.tail_loss_tau == c.tail_loss_tau);
            ck_assert_int_eq(b.parr_len[PA_SLQ_NODE], 20);
            ck_assert(memcmp(b.parr[PA_SLQ_NODE], c.parr[PA_SLQ_NODE], 20 * sizeof(double)) == 0);
            ck_assert(b.parr[PA_EIG][0] == b.sharpness && b.parr[PA_EIG][1] <= b.sharpness);
            ck_assert(b.time_sharpness >= 0 && b.probe_hvps > 0 && b.probe_hvps == c.probe_hvps);
            /* curves: probed checkpoints 0, 2, 4, 6 and the last (7), NaN between */
            for (int i = 0; i < b.n_ckpt; i++) {
                const int on = i % 2 == 0 || i == b.n_ckpt - 1;
                ck_assert_msg(isfinite(b.ckpt_probe[PC_SHARPNESS][i]) == on, "checkpoint %d", i);
                ck_assert(isfinite(b.ckpt_probe[PC_NOISE_SCALE][i]) == on);
            }
            ck_assert(b.ckpt_probe[PC_SHARPNESS][b.n_ckpt - 1] == b.sharpness);
            ck_assert(b.ckpt_probe[PC_HESS_TRACE][b.n_ckpt - 1] == b.hess_trace);
            /* tail: the last 100 steps, every 3rd: steps 100, 103, ..., 199 and 200 */
            ck_assert_int_eq(b.tail_points, 34);
            ck_assert(b.tail_loss_var >= 0 && b.tail_loss_tau >= 3 * 0.5);
            /* MLI ends */
            ck_assert(b.parr[PA_MLI_ALPHA][0] == 0 && b.parr[PA_MLI_ALPHA][4] == 1);
            result_destroy(&a), result_destroy(&b), result_destroy(&c);
        }
    /* a diverged run: end probes skipped, flagged */
    cfg s;
    cfg_defaults(&s);
    s.width = 8, s.n_train = 50, s.n_test = 10, s.steps = 100, s.lr = 1e4, s.loss = LOSS_MSE, s.sharpness_k = 1;
    s.tail = 0.5;
    result d;
    run_params(&s, &d);
    ck_assert_int_eq(d.status, RUN_DIVERGED);
    ck_assert(d.probe_flags & PF_SKIPPED);
    ck_assert(isnan(d.sharpness) && isnan(d.tail_loss_mean));
    result_destroy(&d);
}
END_TEST

/* The tail statistics use every tail_every-th full train loss: for gd the
 * step's own loss; they equal the statistics of the evaluated curve. */
START_TEST(test_tail_statistics_match_the_losses)
{
    for (int opt = 0; opt < 2; opt++) {
        cfg s;
        linear_cfg(&s);
        s.optimizer = opt ? OPT_SGD : OPT_GD, s.batch = 16;
        s.steps = 40, s.checkpoints = 41, s.spacing = SPACING_LINEAR, s.lr = 0.05;
        result a, r;
        run_params(&s, &a); /* every step a checkpoint: the losses themselves */
        s.checkpoints = 3, s.tail = 0.5, s.tail_every = 4;
        run_params(&s, &r); /* tail points 20, 24, ..., 40 from the step (gd) or an evaluation (sgd) */
        double x[6], mean, var, tau;
        for (int i = 0; i < 6; i++)
            x[i] = a.ckpt_train_loss[20 + 4 * i];
        probe_autocorr(x, 6, &mean, &var, &tau);
        ck_assert_int_eq(r.tail_points, 6);
        ck_assert(r.tail_loss_mean == mean && r.tail_loss_var == var && r.tail_loss_tau == 4 * tau);
        ck_assert_double_eq_tol(r.tail_loss_sem, sqrt(var * tau / 6), 1e-15);
        ck_assert(memcmp(a.theta, r.theta, a.n_params * sizeof(double)) == 0);
        result_destroy(&a), result_destroy(&r);
    }
}
END_TEST

/* stop_at ends a run at the first evaluation that meets its target; the
 * trajectory up to there is the one of the full run. */
START_TEST(test_stop_at_target)
{
    for (int opt = 0; opt < 2; opt++) {
        cfg s;
        cfg_defaults(&s);
        s.width = 64, s.n_train = 64, s.n_test = 32, s.d_in = 8, s.classes = 2, s.steps = 3000, s.seed = 3;
        s.optimizer = opt ? OPT_GD : OPT_SGD, s.batch = 16, s.lr = 0.2, s.precision = PREC_FLOAT64, s.eval_every = 10;
        result full, st;
        run_params(&s, &full);
        ck_assert_msg(full.hit_acc_step > 0, "the network fits its data (hit_acc_step %ld)", full.hit_acc_step);
        ck_assert_int_eq(full.stopped_step, -1);
        s.stop_at = STOP_ACC;
        run_params(&s, &st);
        ck_assert_int_eq(st.status, RUN_DONE);
        ck_assert_int_eq(st.stopped_step, full.hit_acc_step);
        /* sgd stops before stepping on; gd sees the loss with its step, unless at a checkpoint */
        ck_assert(st.steps == st.stopped_step || (opt && st.steps == st.stopped_step + 1));
        ck_assert(st.train_acc == 1.0 && isfinite(st.test_loss) && isfinite(st.grad_norm));
        /* same trajectory as far as it went; later checkpoints NaN */
        for (int i = 0; i < st.n_ckpt; i++) {
            ck_assert(st.ckpt_step[i] == full.ckpt_step[i]);
            if (st.ckpt_step[i] <= st.stopped_step)
                ck_assert(st.ckpt_train_loss[i] == full.ckpt_train_loss[i]);
            else
                ck_assert(isnan(st.ckpt_train_loss[i]) && isnan(st.ckpt_test_acc[i]));
        }
        /* loss target: the first evaluated step below target_loss */
        s.stop_at = STOP_LOSS, s.target_loss = 0.05;
        result sl;
        run_params(&s, &sl);
        ck_assert(sl.stopped_step >= 0 && sl.train_loss < 0.05 && sl.stopped_step == sl.hit_loss_step);
        result_destroy(&full), result_destroy(&st), result_destroy(&sl);
    }
    cfg s;
    linear_cfg(&s);
    s.stop_at = STOP_ACC;
    sgd_err e = {0};
    ck_assert_int_eq(cfg_validate(&s, "", &e), SGD_EUSAGE);
    ck_assert_msg(strstr(e.msg, "stop_at") != NULL, "%s", e.msg);
}
END_TEST

/* float32 and float64 trainers agree closely over a short run. float32 runs
 * small forward products through W^T with the bias added after the GEMM
 * (fused with ReLU), large ones directly (mlp.c): width 32 takes the first
 * path, width 200 (32 x 200 x 200 > 1e6) the second for its hidden layers;
 * each with and without bias, ReLU (fused) and tanh, plain and residual. */
START_TEST(test_precisions_agree)
{
    static const int widths[] = {32, 200};
    for (int wi = 0; wi < 2; wi++)
        for (int act = 0; act < 2; act++)
            for (int bias = 0; bias < 2; bias++)
                for (int res = 0; res < 2; res++) {
                    cfg s;
                    cfg_defaults(&s);
                    s.width = widths[wi], s.n_train = 200, s.n_test = 100, s.steps = 50, s.lr = 0.05;
                    s.act = act ? ACT_TANH : ACT_RELU, s.bias = bias, s.depth = 2;
                    s.residual = res ? RES_STANDARD : RES_NONE;
                    result a, b;
                    run_params(&s, &a);
                    s.precision = PREC_FLOAT64;
                    run_params(&s, &b);
                    char what[96];
                    snprintf(what, sizeof what, "width %d %s bias %d residual %d: f32 %.9g f64 %.9g",
                             s.width, act ? "tanh" : "relu", bias, res, a.train_loss, b.train_loss);
                    ck_assert_msg(fabs(a.train_loss - b.train_loss) <= 1e-4 * b.train_loss, "%s", what);
                    ck_assert_msg(fabs(a.dist_init - b.dist_init) <= 1e-3 * b.dist_init, "%s", what);
                    ck_assert_msg(a.train_loss != b.train_loss, "%s", what); /* really different arithmetic */
                    result_destroy(&a), result_destroy(&b);
                }
}
END_TEST

START_TEST(test_divergence_is_a_result)
{
    for (int prec = PREC_FLOAT32; prec <= PREC_FLOAT64; prec++) {
        cfg s;
        cfg_defaults(&s);
        s.loss = LOSS_MSE, s.width = 32, s.n_train = 128, s.n_test = 64, s.lr = 50, s.steps = 500;
        s.precision = prec;
        result r;
        run_params(&s, &r);
        ck_assert_int_eq(r.status, RUN_DIVERGED);
        ck_assert_int_ge(r.diverged_step, 0);
        ck_assert_int_lt(r.steps, 500);
        ck_assert(isfinite(r.min_train_loss) && r.min_train_loss_step >= 0);
        ck_assert(isfinite(r.ckpt_train_loss[0]));
        ck_assert(isnan(r.ckpt_train_loss[r.n_ckpt - 1]));
        ck_assert_int_eq(r.hit_loss_step, -1);
        result_destroy(&r);
    }
}
END_TEST

START_TEST(test_train_last_freezes_features)
{
    cfg s;
    cfg_defaults(&s);
    s.width = 16, s.depth = 2, s.train_last = 1, s.n_train = 128, s.n_test = 32, s.steps = 100;
    result r;
    run_params(&s, &r);
    size_t last = r.n_params - (16 * 10 + 10);
    ck_assert(memcmp(r.theta0, r.theta, last * sizeof(double)) == 0);
    ck_assert(memcmp(r.theta0 + last, r.theta + last, (r.n_params - last) * sizeof(double)) != 0);
    result_destroy(&r);
}
END_TEST

START_TEST(test_hitting_times_and_interpolation)
{
    /* an overparameterised net fits 64 points: train accuracy reaches 1 and
     * the train loss drops below the target */
    cfg s;
    cfg_defaults(&s);
    s.width = 128, s.n_train = 64, s.n_test = 64, s.steps = 2000, s.lr = 0.05, s.optimizer = OPT_GD;
    s.label_noise = 1.0, s.target_loss = 0.05;
    result r;
    run_params(&s, &r);
    ck_assert_int_eq(r.status, RUN_DONE);
    ck_assert_int_gt(r.hit_acc_step, 0);
    ck_assert_int_gt(r.hit_loss_step, r.hit_acc_step);
    ck_assert(r.train_acc == 1.0 && r.train_loss < 0.05);
    ck_assert(r.test_acc < 0.5); /* random labels do not generalise */
    result_destroy(&r);
}
END_TEST

START_TEST(test_schedule_budget_checkpoints)
{
    cfg s;
    cfg_defaults(&s);
    s.lr = 0.2, s.warmup = 10;
    ck_assert_double_eq_tol(train_lr(&s, 0, 100), 0.02, 1e-15);
    ck_assert_double_eq_tol(train_lr(&s, 9, 100), 0.2, 1e-15);
    s.lr_schedule = SCHED_STEP, s.lr_step_every = 30, s.lr_step_factor = 0.5;
    ck_assert_double_eq_tol(train_lr(&s, 10 + 29, 100), 0.2, 1e-15);
    ck_assert_double_eq_tol(train_lr(&s, 10 + 60, 100), 0.05, 1e-15);
    s.lr_schedule = SCHED_COSINE, s.lr_min = 0.02;
    ck_assert_double_eq_tol(train_lr(&s, 10, 110), 0.2, 1e-15);
    ck_assert_double_eq_tol(train_lr(&s, 60, 110), 0.11, 1e-12);
    ck_assert_double_eq_tol(train_lr(&s, 110, 110), 0.02, 1e-12);

    cfg_defaults(&s);
    s.batch = 50;
    s.epochs = 2.5;
    ck_assert_int_eq(train_budget(&s, 1000), 50);
    s.epochs = 0, s.sde_time = 10, s.lr = 0.3;
    ck_assert_int_eq(train_budget(&s, 1000), 34);
    s.sde_time = 0;
    ck_assert_int_eq(train_budget(&s, 1000), 1000);

    long ck[64];
    s.checkpoints = 20;
    int n = train_checkpoints(&s, 100000, ck);
    ck_assert_int_eq(n, 20);
    ck_assert_int_eq(ck[0], 0);
    ck_assert_int_eq(ck[1], 1);
    ck_assert_int_eq(ck[19], 100000);
    for (int i = 1; i < n; i++)
        ck_assert_int_gt(ck[i], ck[i - 1]);
    n = train_checkpoints(&s, 10, ck); /* more points than steps: deduplicated */
    ck_assert_int_eq(n, 11);
    s.spacing = SPACING_LINEAR, s.checkpoints = 5;
    n = train_checkpoints(&s, 1000, ck);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(ck[2], 500);
}
END_TEST

START_TEST(test_online_and_sde_budget)
{
    cfg s;
    cfg_defaults(&s);
    s.online = 1, s.width = 16, s.n_train = 200, s.n_test = 200, s.batch = 16, s.sde_time = 20, s.lr = 0.1;
    result r;
    run_params(&s, &r);
    ck_assert_int_eq(r.steps, 200);
    ck_assert_int_eq(r.examples, 200 * 16);
    ck_assert(r.test_loss < r.ckpt_test_loss[0]);
    result_destroy(&r);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tu_tcase("core");
    tcase_add_test(tc, test_gd_least_squares);
    tcase_add_test(tc, test_deep_linear_reaches_least_squares);
    tcase_add_test(tc, test_optim_two_steps);
    tcase_add_test(tc, test_pgd_escapes_saddle);
    tcase_add_test(tc, test_langevin_stationary_variance);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_precisions_agree);
    tcase_add_test(tc, test_probes_leave_training_alone);
    tcase_add_test(tc, test_tail_statistics_match_the_losses);
    tcase_add_test(tc, test_stop_at_target);
    tcase_add_test(tc, test_divergence_is_a_result);
    tcase_add_test(tc, test_train_last_freezes_features);
    tcase_add_test(tc, test_hitting_times_and_interpolation);
    tcase_add_test(tc, test_schedule_budget_checkpoints);
    tcase_add_test(tc, test_online_and_sde_budget);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(train_suite)
