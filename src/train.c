/* train.c -- the training driver and the precision dispatch (see train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "train.h"

void openblas_set_num_threads(int); /* OpenBLAS extension (its cblas.h) */

struct trainer {
    const trainer_ops *ops;
    void *impl;
};

#define M(n, t, m, h) {n, t, offsetof(result, m), h}
const met_field met_fields[] = {
    M("status", MET_STATUS, status, "done or diverged"),
    M("steps_done", MET_LONG, steps, "optimiser steps taken"),
    M("examples", MET_LONG, examples, "training examples seen (steps x batch)"),
    M("diverged_step", MET_LONG, diverged_step, "step whose loss was non-finite or above blowup (-1: none)"),
    M("train_loss", MET_REAL, train_loss, "final loss on the training set"),
    M("train_acc", MET_REAL, train_acc, "final accuracy on the training set (NaN for regression)"),
    M("test_loss", MET_REAL, test_loss, "final loss on the test set"),
    M("test_acc", MET_REAL, test_acc, "final accuracy on the test set"),
    M("min_train_loss", MET_REAL, min_train_loss, "lowest evaluated training loss"),
    M("min_train_loss_step", MET_LONG, min_train_loss_step, "step of min_train_loss"),
    M("hit_loss_step", MET_LONG, hit_loss_step, "first evaluated step with train loss < target_loss (-1: never)"),
    M("hit_acc_step", MET_LONG, hit_acc_step, "first evaluated step with train accuracy 100% (-1: never)"),
    M("grad_norm", MET_REAL, grad_norm, "final |grad| of the training loss (trained parameters)"),
    M("param_norm", MET_REAL, param_norm, "final |theta| (trained parameters)"),
    M("dist_init", MET_REAL, dist_init, "final |theta - theta0| (trained parameters)"),
    M("wall_time", MET_REAL, wall_time, "seconds"),
    M("n_perturb", MET_LONG, n_perturb, "perturbations made (pgd)"),
    M("final_lr", MET_REAL, final_lr, "learning rate of the last step"),
    M("eval_interval", MET_LONG, eval_every, "steps between full train-set evaluations"),
};
const int met_nfields = (int)(sizeof met_fields / sizeof met_fields[0]);

void result_destroy(result *r)
{
    if (!r)
        return;
    free(r->ckpt_step);
    free(r->ckpt_train_loss);
    free(r->ckpt_train_acc);
    free(r->ckpt_test_loss);
    free(r->ckpt_test_acc);
    free(r->ckpt_lr);
    free(r->theta0);
    free(r->theta);
    memset(r, 0, sizeof *r);
}

/* ---- stepper dispatch ---------------------------------------------------- */

trainer *trainer_alloc(const cfg *s, const dataset *ds, sgd_err *e)
{
    /* parallelism comes from MPI ranks: BLAS stays on one thread */
    openblas_set_num_threads(1);
    trainer *t = malloc(sizeof *t);
    if (!t) {
        sgd_fail(e, SGD_ENOMEM, "out of memory");
        return NULL;
    }
    t->ops = s->precision == PREC_FLOAT64 ? &trainer_ops_f64 : &trainer_ops_f32;
    t->impl = t->ops->alloc(s, ds, e);
    if (!t->impl) {
        free(t);
        return NULL;
    }
    return t;
}

void trainer_free(trainer *t)
{
    if (t) {
        t->ops->free(t->impl);
        free(t);
    }
}

double trainer_step(trainer *t, double lr, double *acc) { return t->ops->step(t->impl, lr, acc); }
void trainer_evaluate(trainer *t, int set, double *loss, double *acc) { t->ops->evaluate(t->impl, set, loss, acc); }
double trainer_grad_norm(trainer *t) { return t->ops->grad_norm(t->impl); }
void trainer_norms(trainer *t, double *pn, double *dist) { t->ops->norms(t->impl, pn, dist); }
size_t trainer_n_params(const trainer *t) { return t->ops->n_params(t->impl); }
void trainer_get_params(const trainer *t, int which, double *out) { t->ops->get_params(t->impl, which, out); }
void trainer_set_params(trainer *t, const double *in) { t->ops->set_params(t->impl, in); }
long trainer_perturbations(const trainer *t) { return t->ops->perturbations(t->impl); }
long trainer_examples(const trainer *t) { return t->ops->examples(t->impl); }

/* ---- budget, schedule, checkpoints -------------------------------------- */

long train_budget(const cfg *s, int n_train)
{
    const double eps = 1e-9;
    if (s->steps > 0)
        return s->steps;
    double T = 1000;
    if (s->epochs > 0) {
        int b = cfg_full_batch(s) ? n_train : s->batch;
        T = ceil(s->epochs * n_train / b - eps);
    } else if (s->sde_time > 0) {
        T = ceil(s->sde_time / s->lr - eps);
    }
    return T >= 1 && T <= 1e15 ? (long)T : -1; /* -1: out of range (cfg_validate says why) */
}

double train_lr(const cfg *s, long t, long T)
{
    if (t < s->warmup)
        return s->lr * (double)(t + 1) / s->warmup;
    long u = t - s->warmup, U = T - s->warmup;
    switch (s->lr_schedule) {
    case SCHED_STEP:
        return s->lr * pow(s->lr_step_factor, (double)(u / s->lr_step_every));
    case SCHED_COSINE:
        return U <= 0 ? s->lr : s->lr_min + (s->lr - s->lr_min) * 0.5 * (1 + cos(M_PI * (double)u / (double)U));
    default:
        return s->lr;
    }
}

int train_checkpoints(const cfg *s, long T, long *out)
{
    int K = s->checkpoints, n = 0;
    out[n++] = 0;
    if (T == 0)
        return n;
    for (int i = 1; i < K; i++) {
        double v = s->spacing == SPACING_LINEAR ? (double)i * T / (K - 1)
                   : K == 2                     ? (double)T
                                                : exp(log((double)T) * (i - 1) / (K - 2));
        long st = (long)llround(v);
        if (st > T)
            st = T;
        if (st > out[n - 1])
            out[n++] = st;
    }
    out[n - 1] = T; /* already T with the rounding above; never more than K points */
    return n;
}

long train_eval_every(const cfg *s, int n_train, long T)
{
    if (cfg_full_batch(s))
        return 1; /* every full-batch step yields the exact train loss */
    if (s->eval_every > 0)
        return s->eval_every;
    /* about 200 evaluations per run, but an evaluation (a forward pass over
     * n_train, ~1/3 of a step's cost per batch) at most every 10 steps' worth
     * of work: evaluation stays under ~10% of training */
    long by_count = (T + 199) / 200;
    long by_cost = (long)ceil(10.0 * n_train / (3.0 * s->batch));
    long ev = by_count > by_cost ? by_count : by_cost;
    return ev > 0 ? ev : 1;
}

/* ---- driver ------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double finite_or_nan(double v) { return isfinite(v) ? v : NAN; }

static void note_train(const cfg *s, int cls, result *r, long t, double loss, double acc)
{
    if (!isfinite(loss))
        return;
    if (loss < r->min_train_loss || r->min_train_loss_step < 0) {
        r->min_train_loss = loss;
        r->min_train_loss_step = t;
    }
    if (r->hit_loss_step < 0 && loss < s->target_loss)
        r->hit_loss_step = t;
    if (cls && r->hit_acc_step < 0 && acc >= 1.0)
        r->hit_acc_step = t;
}

static double coarse_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int train_run(const cfg *s, const dataset *ds, int keep_params, result *r, sgd_err *e)
{
    return train_run_hooked(s, ds, keep_params, r, NULL, NULL, 0, e);
}

int train_run_hooked(const cfg *s, const dataset *ds, int keep_params, result *r, train_hook hook, void *ctx,
                     double hook_every, sgd_err *e)
{
    memset(r, 0, sizeof *r);
    const double t0 = now();
    double next_hook = hook ? coarse_now() + hook_every : 0;
    trainer *tr = trainer_alloc(s, ds, e);
    if (!tr)
        return e->code ? e->code : SGD_ENOMEM;
    const long T = train_budget(s, ds->n_train);
    if (T < 1) { /* a data file's n_train is known only now */
        trainer_free(tr);
        return sgd_fail(e, SGD_EUSAGE, "budget: %s gives %ld steps for %d training examples (need 1 .. 1e15)",
                        s->epochs > 0 ? "epochs" : "sde_time", T, ds->n_train);
    }
    const int K = s->checkpoints + 1, cls = ds->classification, full = cfg_full_batch(s);
    r->ckpt_step = malloc(K * sizeof *r->ckpt_step);
    r->ckpt_train_loss = malloc(K * sizeof(double));
    r->ckpt_train_acc = malloc(K * sizeof(double));
    r->ckpt_test_loss = malloc(K * sizeof(double));
    r->ckpt_test_acc = malloc(K * sizeof(double));
    r->ckpt_lr = malloc(K * sizeof(double));
    r->n_params = trainer_n_params(tr);
    if (keep_params) {
        r->theta0 = malloc(r->n_params * sizeof(double));
        r->theta = malloc(r->n_params * sizeof(double));
    }
    if (!r->ckpt_step || !r->ckpt_train_loss || !r->ckpt_train_acc || !r->ckpt_test_loss || !r->ckpt_test_acc ||
        !r->ckpt_lr || (keep_params && (!r->theta0 || !r->theta))) {
        trainer_free(tr);
        result_destroy(r);
        return sgd_fail(e, SGD_ENOMEM, "out of memory (result buffers)");
    }
    r->n_ckpt = train_checkpoints(s, T, r->ckpt_step);
    r->eval_every = train_eval_every(s, ds->n_train, T);
    r->status = RUN_DONE;
    r->diverged_step = r->hit_loss_step = r->hit_acc_step = r->min_train_loss_step = -1;
    r->min_train_loss = NAN;
    if (keep_params)
        trainer_get_params(tr, PARAMS_INIT, r->theta0);

    int ci = 0;
    long t = 0;
    double trl = NAN, tra = NAN, tel = NAN, tea = NAN;
    for (;; t++) {
        const int is_ck = ci < r->n_ckpt && r->ckpt_step[ci] == t;
        const int evaluated = is_ck || (!full && t % r->eval_every == 0) || t == T;
        if (evaluated) {
            trainer_evaluate(tr, SET_TRAIN, &trl, &tra);
            note_train(s, cls, r, t, trl, tra);
        }
        if (is_ck) {
            trainer_evaluate(tr, SET_TEST, &tel, &tea);
            r->ckpt_train_loss[ci] = finite_or_nan(trl);
            r->ckpt_train_acc[ci] = trl == trl ? tra : NAN;
            r->ckpt_test_loss[ci] = finite_or_nan(tel);
            r->ckpt_test_acc[ci] = tel == tel ? tea : NAN;
            r->ckpt_lr[ci] = train_lr(s, t < T ? t : T - 1, T);
            ci++;
        }
        if (evaluated && (!isfinite(trl) || trl > s->blowup)) {
            r->status = RUN_DIVERGED;
            r->diverged_step = t;
            break;
        }
        if (t == T)
            break;
        if (hook && coarse_now() >= next_hook) {
            if (hook(ctx)) {
                trainer_free(tr);
                result_destroy(r);
                return sgd_fail(e, SGD_EABORT, "run abandoned");
            }
            next_hook = coarse_now() + hook_every;
        }
        const double lr = train_lr(s, t, T);
        double ba = NAN, bl = trainer_step(tr, lr, &ba);
        r->final_lr = lr;
        if (full && !is_ck)
            note_train(s, cls, r, t, bl, ba);
        if (!isfinite(bl) || bl > s->blowup) {
            r->status = RUN_DIVERGED;
            r->diverged_step = t;
            t++; /* that step's update was applied */
            break;
        }
    }
    r->steps = t;
    r->examples = trainer_examples(tr);
    r->n_perturb = trainer_perturbations(tr);
    /* checkpoints after a divergence stay NaN */
    for (; ci < r->n_ckpt; ci++) {
        r->ckpt_train_loss[ci] = r->ckpt_train_acc[ci] = r->ckpt_test_loss[ci] = r->ckpt_test_acc[ci] = NAN;
        r->ckpt_lr[ci] = train_lr(s, r->ckpt_step[ci] < T ? r->ckpt_step[ci] : T - 1, T);
    }
    if (r->status == RUN_DIVERGED) {
        trainer_evaluate(tr, SET_TRAIN, &trl, &tra);
        trainer_evaluate(tr, SET_TEST, &tel, &tea);
    }
    r->train_loss = finite_or_nan(trl);
    r->train_acc = isfinite(trl) ? tra : NAN;
    r->test_loss = finite_or_nan(tel);
    r->test_acc = isfinite(tel) ? tea : NAN;
    r->grad_norm = finite_or_nan(trainer_grad_norm(tr));
    trainer_norms(tr, &r->param_norm, &r->dist_init);
    r->param_norm = finite_or_nan(r->param_norm);
    r->dist_init = finite_or_nan(r->dist_init);
    if (keep_params)
        trainer_get_params(tr, PARAMS_NOW, r->theta);
    trainer_free(tr);
    r->wall_time = now() - t0;
    return 0;
}
