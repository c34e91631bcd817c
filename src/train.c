/* train.c -- the training driver and the precision dispatch (see train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "probe.h"
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
    M("stopped_step", MET_LONG, stopped_step, "evaluated step at which the run met its stop_at target and stopped (-1: ran its budget)"),
    M("grad_norm", MET_REAL, grad_norm, "final |grad| of the training loss (trained parameters)"),
    M("param_norm", MET_REAL, param_norm, "final |theta| (trained parameters)"),
    M("dist_init", MET_REAL, dist_init, "final |theta - theta0| (trained parameters)"),
    M("wall_time", MET_REAL, wall_time, "seconds"),
    M("n_perturb", MET_LONG, n_perturb, "perturbations made (pgd)"),
    M("final_lr", MET_REAL, final_lr, "learning rate of the last step"),
    M("eval_interval", MET_LONG, eval_every, "steps between full train-set evaluations"),
    /* probes (docs/PROBES.md): NaN (-1 for counts) when off */
    M("sharpness", MET_REAL, sharpness, "largest Hessian eigenvalue of the train loss at the end"),
    M("lambda_min", MET_REAL, lambda_min, "smallest Hessian eigenvalue at the end (< 0: not a minimum)"),
    M("sharpness_resid", MET_REAL, sharpness_resid, "|Hu - lu| / max(|l_max|, |l_min|) of sharpness (sharpness NaN if > eig_tol)"),
    M("lambda_min_resid", MET_REAL, lambda_min_resid, "the same for lambda_min"),
    M("eig_iters_used", MET_LONG, eig_iters_used, "Lanczos iterations of the sharpness / lambda_min run"),
    M("hess_trace", MET_REAL, hess_trace, "Hutchinson estimate of tr(H) at the end"),
    M("hess_trace_se", MET_REAL, hess_trace_se, "standard error of hess_trace"),
    M("density_lo", MET_REAL, density_lo, "lower edge of the spectral-density histogram"),
    M("density_hi", MET_REAL, density_hi, "upper edge of the spectral-density histogram"),
    M("noise_grad_norm", MET_REAL, noise_grad_norm, "|G|, full gradient over the probe set"),
    M("noise_trace", MET_REAL, noise_trace, "tr(Sigma) = mean_i |g_i - G|^2, per-example gradient covariance"),
    M("noise_scale", MET_REAL, noise_scale, "B_noise = tr(Sigma) / |G|^2 (McCandlish et al. 2018)"),
    M("noise_sgd", MET_REAL, noise_sgd, "E|g_B - G|^2 of the run's own minibatch gradient"),
    M("mli_monotone", MET_REAL, mli_monotone, "1 if the loss never rises along theta0 -> theta, else 0"),
    M("mli_bump", MET_REAL, mli_bump, "max_a [L(a) - min_{a' <= a} L(a')] on that line"),
    M("lazy_rel_dist", MET_REAL, lazy_rel_dist, "|theta - theta0| / |theta0| (trained part)"),
    M("ntk_rel_change", MET_REAL, ntk_rel_change, "|K_T - K_0|_F / |K_0|_F of the empirical NTK"),
    M("tail_loss_mean", MET_REAL, tail_loss_mean, "mean train loss over the tail of the run"),
    M("tail_loss_var", MET_REAL, tail_loss_var, "variance of the train loss over the tail"),
    M("tail_loss_tau", MET_REAL, tail_loss_tau, "integrated autocorrelation time of that loss, in steps"),
    M("tail_loss_sem", MET_REAL, tail_loss_sem, "standard error of tail_loss_mean (sqrt(var tau / n))"),
    M("tail_points", MET_LONG, tail_points, "train-loss evaluations in the tail"),
    M("probe_flags", MET_LONG, probe_flags, "probe flags: 1 top eig, 2 lambda_min not converged; 4 non-finite; 8 skipped; 16 small Krylov space"),
    M("probe_hvps", MET_LONG, probe_hvps, "Hessian-vector products computed by the probes"),
    M("time_sharpness", MET_REAL, time_sharpness, "seconds in the sharpness probe (all checkpoints)"),
    M("time_trace", MET_REAL, time_trace, "seconds in the trace probe"),
    M("time_density", MET_REAL, time_density, "seconds in the density probe"),
    M("time_noise", MET_REAL, time_noise, "seconds in the gradient-noise probe"),
    M("time_mli", MET_REAL, time_mli, "seconds in the interpolation-path probe"),
    M("time_lazy", MET_REAL, time_lazy, "seconds in the lazy-training probe (incl. NTK)"),
    M("time_tail", MET_REAL, time_tail, "seconds in the tail evaluations"),
};
const int met_nfields = (int)(sizeof met_fields / sizeof met_fields[0]);

const probe_field pcurve_fields[N_PCURVE] = {
    {"sharpness", NULL, "largest Hessian eigenvalue at the checkpoint"},
    {"lambda_min", NULL, "smallest Hessian eigenvalue at the checkpoint"},
    {"hess_trace", NULL, "Hutchinson estimate of tr(H) at the checkpoint"},
    {"noise_trace", NULL, "tr(Sigma) of the per-example gradients at the checkpoint"},
    {"noise_scale", NULL, "B_noise = tr(Sigma) / |G|^2 at the checkpoint"},
};

const probe_field parr_fields[N_PARR] = {
    {"eig", "eig", "top Hessian eigenvalues, descending (NaN: not converged)"},
    {"eig_resid", "eig", "residuals |Hu - lu| / max(|l_max|, |l_min|) of eig"},
    {"mli_alpha", "alpha", "alpha of the interpolation path (0: theta0, 1: final theta)"},
    {"mli_loss", "alpha", "train loss (probe set) at theta(alpha)"},
    {"mli_acc", "alpha", "train accuracy (probe set) at theta(alpha)"},
    {"density", "bin", "spectral density: probability mass per bin on [density_lo, density_hi]"},
    {"slq_node", "slq", "stochastic Lanczos quadrature nodes (Ritz values), vector-major"},
    {"slq_weight", "slq", "their weights (each vector's sum to 1/density_vecs)"},
    {"lazy_layer", "layer", "|theta_l - theta0_l| / |theta0_l| per layer (W and b)"},
};

int probe_curve_on(const cfg *s, int which)
{
    if (s->probe_every <= 0)
        return 0;
    switch (which) {
    case PC_SHARPNESS:
    case PC_LAMBDA_MIN: return s->sharpness_k > 0;
    case PC_HESS_TRACE: return s->trace_vecs > 0;
    case PC_NOISE_TRACE:
    case PC_NOISE_SCALE: return s->grad_noise;
    default: return 0;
    }
}

int probe_array_len(const cfg *s, int which)
{
    switch (which) {
    case PA_EIG:
    case PA_EIG_RESID: return s->sharpness_k;
    case PA_MLI_ALPHA:
    case PA_MLI_LOSS:
    case PA_MLI_ACC: return s->mli ? s->mli_points : 0;
    case PA_DENSITY: return s->density_vecs > 0 ? s->density_bins : 0;
    case PA_SLQ_NODE:
    case PA_SLQ_WEIGHT: return s->density_vecs * s->density_iters; /* <= 1e7 (cfg_validate) */
    case PA_LAZY_LAYER: return s->lazy ? s->depth + 1 : 0;
    default: return 0;
    }
}

void result_destroy(result *r)
{
    if (!r)
        return;
    for (int i = 0; i < N_PCURVE; i++)
        free(r->ckpt_probe[i]);
    for (int i = 0; i < N_PARR; i++)
        free(r->parr[i]);
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

static int g_blas_threads = 1;
void train_set_blas_threads(int n) { g_blas_threads = n > 0 ? n : 1; }

trainer *trainer_alloc(const cfg *s, const dataset *ds, sgd_err *e)
{
    /* parallelism comes from MPI ranks: BLAS stays on one thread unless asked */
    openblas_set_num_threads(g_blas_threads);
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

/* has the run reached the target that stop_at names (at an evaluation)? */
static int target_met(const cfg *s, int cls, double loss, double acc)
{
    const int fit = cls && acc >= 1.0, low = isfinite(loss) && loss < s->target_loss;
    switch (s->stop_at) {
    case STOP_ACC: return fit;
    case STOP_LOSS: return low;
    case STOP_ACC_AND_LOSS: return fit && low;
    case STOP_ACC_OR_LOSS: return fit || low;
    default: return 0;
    }
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

/* Probe outputs start as "not measured": NaN, -1 for counts; the switched-on
 * probes' times at 0, their curves and arrays allocated and NaN-filled. */
static int probe_outputs_init(const cfg *s, int K, result *r)
{
    double *nan_fields[] = {&r->sharpness, &r->lambda_min, &r->sharpness_resid, &r->lambda_min_resid,
                            &r->hess_trace, &r->hess_trace_se, &r->density_lo, &r->density_hi,
                            &r->noise_grad_norm, &r->noise_trace, &r->noise_scale, &r->noise_sgd,
                            &r->mli_monotone, &r->mli_bump, &r->lazy_rel_dist, &r->ntk_rel_change,
                            &r->tail_loss_mean, &r->tail_loss_var, &r->tail_loss_tau, &r->tail_loss_sem};
    for (size_t i = 0; i < sizeof nan_fields / sizeof *nan_fields; i++)
        *nan_fields[i] = NAN;
    r->eig_iters_used = r->tail_points = -1;
    r->probe_flags = r->probe_hvps = 0;
    r->time_sharpness = s->sharpness_k > 0 ? 0 : NAN;
    r->time_trace = s->trace_vecs > 0 ? 0 : NAN;
    r->time_density = s->density_vecs > 0 ? 0 : NAN;
    r->time_noise = s->grad_noise ? 0 : NAN;
    r->time_mli = s->mli ? 0 : NAN;
    r->time_lazy = s->lazy || s->ntk_n > 0 ? 0 : NAN;
    r->time_tail = s->tail > 0 ? 0 : NAN;
    for (int i = 0; i < N_PCURVE; i++)
        if (probe_curve_on(s, i)) {
            if (!(r->ckpt_probe[i] = malloc((size_t)K * sizeof(double))))
                return -1;
            for (int j = 0; j < K; j++)
                r->ckpt_probe[i][j] = NAN;
        }
    for (int i = 0; i < N_PARR; i++) {
        const int n = probe_array_len(s, i);
        if (n <= 0)
            continue;
        if (!(r->parr[i] = malloc((size_t)n * sizeof(double))))
            return -1;
        r->parr_len[i] = n;
        for (int j = 0; j < n; j++)
            r->parr[i][j] = NAN;
    }
    return 0;
}

/* the final probe values also make the last point of the probe curves */
static void probe_last_point(result *r, int ci)
{
    const double v[N_PCURVE] = {r->sharpness, r->lambda_min, r->hess_trace, r->noise_trace, r->noise_scale};
    for (int i = 0; i < N_PCURVE; i++)
        if (r->ckpt_probe[i])
            r->ckpt_probe[i][ci] = v[i];
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

    /* probes (docs/PROBES.md): they read the parameters, never change them */
    probe *pr = NULL;
    double *pbuf = NULL, *ptheta0 = NULL, *tailv = NULL;
    long tail_n = 0, tail_t0 = T + 1, tail_ev = 1;
    int rc = 0;
    if (probe_outputs_init(s, K, r)) {
        rc = sgd_fail(e, SGD_ENOMEM, "out of memory (probe results)");
        goto fail;
    }
    const int ck_probe = s->probe_every > 0 && (s->sharpness_k > 0 || s->trace_vecs > 0 || s->grad_noise);
    if (cfg_probes_on(s) && !(s->tail > 0 && !(s->sharpness_k || s->trace_vecs || s->density_vecs ||
                                               s->grad_noise || s->mli || s->lazy || s->ntk_n))) {
        if (!(pr = probe_alloc(s, ds, e))) {
            rc = e->code ? e->code : SGD_ENOMEM;
            goto fail;
        }
        pbuf = malloc(r->n_params * sizeof *pbuf);
        ptheta0 = malloc(r->n_params * sizeof *ptheta0);
        if (!pbuf || !ptheta0) {
            rc = sgd_fail(e, SGD_ENOMEM, "out of memory (probe parameters)");
            goto fail;
        }
        trainer_get_params(tr, PARAMS_INIT, ptheta0);
        if (hook)
            probe_set_hook(pr, hook, ctx, hook_every);
    }
    if (s->tail > 0) {
        const long span = (long)floor(s->tail * (double)T);
        tail_t0 = T - span;
        tail_ev = s->tail_every > 0 ? s->tail_every : r->eval_every;
        const long cap = span / tail_ev + 1;
        if (cap > 100000000L) {
            rc = sgd_fail(e, SGD_EUSAGE, "tail: %ld train-loss evaluations in the tail (at most 1e8; raise tail_every)",
                          cap);
            goto fail;
        }
        if (!(tailv = malloc((size_t)cap * sizeof *tailv))) {
            rc = sgd_fail(e, SGD_ENOMEM, "out of memory (tail of %ld points)", cap);
            goto fail;
        }
        r->tail_points = 0;
    }
    r->status = RUN_DONE;
    r->diverged_step = r->hit_loss_step = r->hit_acc_step = r->min_train_loss_step = r->stopped_step = -1;
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
            if (ck_probe && ci % s->probe_every == 0 && ci != r->n_ckpt - 1 && isfinite(trl) &&
                trl <= s->blowup) { /* not at a checkpoint that ends the run as diverged */
                trainer_get_params(tr, PARAMS_NOW, pbuf);
                probe_set_params(pr, pbuf);
                if ((rc = probe_checkpoint(pr, s, r, ci))) {
                    if (rc != SGD_EABORT)
                        sgd_fail(e, rc, "out of memory (probes)");
                    goto fail;
                }
            }
            ci++;
        }
        int tail_after_step = 0;
        if (tailv && t >= tail_t0 && (t - tail_t0) % tail_ev == 0) {
            if (evaluated) {
                tailv[tail_n++] = trl;
            } else if (full) { /* the step's loss is the full train loss at theta_t */
                tail_after_step = 1;
            } else {
                const double t1 = now();
                double tl, ta;
                trainer_evaluate(tr, SET_TRAIN, &tl, &ta);
                tailv[tail_n++] = tl;
                r->time_tail += now() - t1;
            }
        }
        if (evaluated && (!isfinite(trl) || trl > s->blowup)) {
            r->status = RUN_DIVERGED;
            r->diverged_step = t;
            break;
        }
        if (t == T)
            break;
        if (evaluated && target_met(s, cls, trl, tra)) { /* stop_at: fitted, nothing left to learn */
            r->stopped_step = t;
            break;
        }
        if (hook && coarse_now() >= next_hook) {
            if (hook(ctx)) {
                rc = SGD_EABORT;
                goto fail;
            }
            next_hook = coarse_now() + hook_every;
        }
        const double lr = train_lr(s, t, T);
        double ba = NAN, bl = trainer_step(tr, lr, &ba);
        r->final_lr = lr;
        if (tail_after_step)
            tailv[tail_n++] = bl;
        if (full && !is_ck)
            note_train(s, cls, r, t, bl, ba);
        if (!isfinite(bl) || bl > s->blowup) {
            r->status = RUN_DIVERGED;
            r->diverged_step = t;
            t++; /* that step's update was applied */
            break;
        }
        if (full && target_met(s, cls, bl, ba)) { /* gd, pgd: every step's loss is the train loss */
            r->stopped_step = t;
            t++; /* that step's update was applied */
            break;
        }
    }
    r->steps = t;
    r->examples = trainer_examples(tr);
    r->n_perturb = trainer_perturbations(tr);
    /* checkpoints after a divergence or a stop stay NaN */
    for (; ci < r->n_ckpt; ci++) {
        r->ckpt_train_loss[ci] = r->ckpt_train_acc[ci] = r->ckpt_test_loss[ci] = r->ckpt_test_acc[ci] = NAN;
        r->ckpt_lr[ci] = train_lr(s, r->ckpt_step[ci] < T ? r->ckpt_step[ci] : T - 1, T);
    }
    if (r->status == RUN_DIVERGED || r->stopped_step >= 0) {
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
    if (pr && r->status == RUN_DIVERGED) {
        r->probe_flags |= PF_SKIPPED;
    } else if (pr) {
        trainer_get_params(tr, PARAMS_NOW, pbuf);
        probe_set_params(pr, pbuf);
        if ((rc = probe_final(pr, s, ptheta0, r))) {
            if (rc != SGD_EABORT)
                sgd_fail(e, rc, "out of memory (probes)");
            goto fail;
        }
        if (ck_probe && r->n_ckpt > 0 && r->stopped_step < 0)
            probe_last_point(r, r->n_ckpt - 1);
    }
    if (tailv) {
        if (r->status == RUN_DIVERGED) {
            r->probe_flags |= PF_SKIPPED;
        } else {
            double tau;
            probe_autocorr(tailv, (int)tail_n, &r->tail_loss_mean, &r->tail_loss_var, &tau);
            r->tail_points = tail_n;
            r->tail_loss_tau = tau * (double)tail_ev;
            r->tail_loss_sem = sqrt(r->tail_loss_var * tau / (double)tail_n);
        }
    }
    probe_free(pr);
    free(pbuf), free(ptheta0), free(tailv);
    trainer_free(tr);
    r->wall_time = now() - t0;
    return 0;
fail:
    probe_free(pr);
    free(pbuf), free(ptheta0), free(tailv);
    trainer_free(tr);
    result_destroy(r);
    return rc == SGD_EABORT ? sgd_fail(e, SGD_EABORT, "run abandoned") : rc;
}
