/* train_core.c -- the trainer stepper in one precision (see train.h).
 * Compiled twice; exports trainer_ops_f32 / trainer_ops_f64. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "mlp.h"
#include "optim.h"
#include "rng.h"
#include "train.h"

enum { EVAL_ROWS = 512 }; /* rows per chunk when evaluating whole sets */

typedef struct {
    cfg s;
    arch a;
    const dataset *ds;
    int n, nt, d, k, batch, full;
    int fused;                   /* plain minibatch SGD: step fused into the backward pass */
    real *xtr, *xte, *ytr, *yte; /* converted data (aliases of ds for f64) */
    const int *ctr, *cte;
    int owns_data;
    real *theta, *theta0, *grad;
    mlp_ws *ws;
    real *xb, *yb;               /* minibatch [batch x d], [batch x k] */
    int *cb, *perm;              /* minibatch labels; reshuffle permutation */
    int *idx;                    /* minibatch rows drawn by gather() */
    long perm_pos;
    double *xd, *yd;             /* online samples in double */
    gsl_rng *r_init, *r_batch, *r_noise, *r_online;
    optim *opt;
    long step, examples, n_perturb, last_perturb;
} core;

static real *to_real(const double *src, size_t n)
{
    real *dst = malloc((n ? n : 1) * sizeof *dst);
    if (dst)
        for (size_t i = 0; i < n; i++)
            dst[i] = (real)src[i];
    return dst;
}

static void core_free(void *impl)
{
    core *c = impl;
    if (!c)
        return;
    optim_free(c->opt);
    gsl_rng_free(c->r_online);
    gsl_rng_free(c->r_noise);
    gsl_rng_free(c->r_batch);
    gsl_rng_free(c->r_init);
    free(c->yd);
    free(c->xd);
    free(c->perm);
    free(c->idx);
    free(c->cb);
    free(c->yb);
    free(c->xb);
    mlp_ws_free(c->ws);
    free(c->grad);
    free(c->theta0);
    free(c->theta);
    if (c->owns_data) {
        free(c->xtr);
        free(c->xte);
        free(c->ytr);
        free(c->yte);
    }
    arch_destroy(&c->a);
    free(c);
}

static void *core_alloc(const cfg *s, const dataset *ds, sgd_err *e)
{
    core *c = calloc(1, sizeof *c);
    if (!c) {
        sgd_fail(e, SGD_ENOMEM, "out of memory");
        return NULL;
    }
    c->s = *s;
    c->ds = ds;
    c->n = ds->n_train;
    c->nt = ds->n_test;
    c->d = ds->d;
    c->k = ds->k;
    c->full = cfg_full_batch(s);
    c->batch = c->full ? c->n : s->batch;
    if (!ds->classification && s->loss != LOSS_MSE) {
        sgd_fail(e, SGD_EUSAGE, "loss: '%s' needs class labels, but the data are regression targets (use mse)",
                 cfg_enum_name("loss", s->loss));
        goto fail;
    }
    if (!c->full && !s->online && c->batch > c->n) {
        sgd_fail(e, SGD_EUSAGE, "batch: %d is larger than the training set (%d examples)", c->batch, c->n);
        goto fail;
    }
    if (arch_init(&c->a, s, c->d, c->k, e))
        goto fail;
    const size_t P = c->a.n_params;
    const int mb = c->full ? 0 : c->batch;
    int cap = mb > EVAL_ROWS ? mb : EVAL_ROWS;
    int most = c->n > c->nt ? c->n : c->nt;
    if (!c->full && cap > most && mb <= most)
        cap = most;
    c->ws = mlp_ws_alloc(&c->a, cap);
    c->theta = malloc(P * sizeof(real));
    c->theta0 = malloc(P * sizeof(real));
    c->grad = calloc(P, sizeof(real));
    if (sizeof(real) == sizeof(double)) { /* f64: use the dataset's arrays */
        c->xtr = (real *)ds->x_train;
        c->xte = (real *)ds->x_test;
        c->ytr = (real *)ds->y_train;
        c->yte = (real *)ds->y_test;
    } else {
        c->owns_data = 1;
        c->xtr = to_real(ds->x_train, (size_t)c->n * c->d);
        c->xte = to_real(ds->x_test, (size_t)c->nt * c->d);
        if (!ds->classification) {
            c->ytr = to_real(ds->y_train, (size_t)c->n * c->k);
            c->yte = to_real(ds->y_test, (size_t)c->nt * c->k);
        }
    }
    c->ctr = ds->c_train;
    c->cte = ds->c_test;
    int bad = !c->ws || !c->theta || !c->theta0 || !c->grad || !c->xtr || !c->xte ||
              (!ds->classification && (!c->ytr || !c->yte));
    if (mb) {
        c->xb = malloc((size_t)mb * c->d * sizeof(real));
        c->yb = malloc((size_t)mb * c->k * sizeof(real));
        c->cb = malloc((size_t)mb * sizeof(int));
        c->idx = malloc((size_t)mb * sizeof(int));
        bad |= !c->xb || !c->yb || !c->cb || !c->idx;
        if (s->sampling == SAMPLE_RESHUFFLE && !s->online) {
            c->perm = malloc((size_t)c->n * sizeof(int));
            bad |= !c->perm;
            if (c->perm)
                for (int i = 0; i < c->n; i++)
                    c->perm[i] = i;
            c->perm_pos = c->n; /* shuffle before the first batch */
        }
        if (s->online) {
            c->xd = malloc((size_t)mb * c->d * sizeof(double));
            c->yd = malloc((size_t)mb * c->k * sizeof(double));
            bad |= !c->xd || !c->yd;
        }
    }
    uint64_t is = cfg_init_seed(s);
    c->r_init = rng_stream(is, RNG_INIT);
    c->r_batch = rng_stream(is, RNG_BATCH);
    c->r_noise = rng_stream(is, RNG_NOISE);
    c->r_online = rng_stream(cfg_data_seed(s), RNG_ONLINE);
    bad |= !c->r_init || !c->r_batch || !c->r_noise || !c->r_online;
    if (!bad)
        bad |= !(c->opt = optim_alloc(s, P, c->a.first_trainable, c->r_noise));
    if (bad) {
        sgd_fail(e, SGD_ENOMEM, "out of memory (network of %zu parameters, batch %d)", P, c->batch);
        goto fail;
    }
    mlp_init_params(&c->a, s->zero_last, c->theta, c->r_init);
    memcpy(c->theta0, c->theta, P * sizeof(real));
    c->last_perturb = -(long)s->perturb_wait - 1;
    /* plain SGD on one minibatch chunk needs the gradient only to step with */
    c->fused = !c->full && s->optimizer == OPT_SGD && s->momentum == 0 && s->weight_decay == 0; /* batch <= cap */
    return c;
fail:
    core_free(c);
    return NULL;
}

/* Fill the minibatch buffers; no allocation. */
static void gather(core *c)
{
    const int B = c->batch, d = c->d, k = c->k;
    const int cls = c->ds->classification;
    if (c->s.online) {
        data_sample(c->ds, c->r_online, B, c->xd, cls ? c->cb : NULL, cls ? NULL : c->yd);
        for (size_t i = 0; i < (size_t)B * d; i++)
            c->xb[i] = (real)c->xd[i];
        if (!cls)
            for (size_t i = 0; i < (size_t)B * k; i++)
                c->yb[i] = (real)c->yd[i];
        return;
    }
    /* draw every row first and ask for it early: the rows are scattered
     * through a training set that may not fit in cache, and prefetching them
     * all at once overlaps their misses */
    const size_t row = (size_t)d * sizeof(real);
    for (int i = 0; i < B; i++) {
        int j;
        if (c->perm) {
            if (c->perm_pos == c->n) {
                gsl_ran_shuffle(c->r_batch, c->perm, (size_t)c->n, sizeof(int));
                c->perm_pos = 0;
            }
            j = c->perm[c->perm_pos++];
        } else {
            j = (int)gsl_rng_uniform_int(c->r_batch, (unsigned long)c->n);
        }
        c->idx[i] = j;
        const char *p = (const char *)(c->xtr + (size_t)j * d);
        for (size_t o = 0; o < row; o += 64)
            __builtin_prefetch(p + o);
    }
    for (int i = 0; i < B; i++) {
        const int j = c->idx[i];
        memcpy(c->xb + (size_t)i * d, c->xtr + (size_t)j * d, row);
        if (cls)
            c->cb[i] = c->ctr[j];
        else
            memcpy(c->yb + (size_t)i * k, c->ytr + (size_t)j * k, (size_t)k * sizeof(real));
    }
}

static double core_step(void *impl, double lr, double *acc)
{
    core *c = impl;
    const arch *a = &c->a;
    const int cls = c->ds->classification;
    double loss;
    if (c->full) {
        loss = mlp_loss_grad(a, c->theta, c->ws, c->xtr, c->ctr, c->ytr, c->n, c->grad, acc);
    } else {
        gather(c);
        const int *cb = cls ? c->cb : NULL;
        const real *yb = cls ? NULL : c->yb;
        loss = c->fused ? mlp_sgd_step(a, c->theta, c->ws, c->xb, cb, yb, c->batch, (real)lr, acc)
                        : mlp_loss_grad(a, c->theta, c->ws, c->xb, cb, yb, c->batch, c->grad, acc);
    }
    if (c->s.optimizer == OPT_PGD) {
        const size_t lo = a->first_trainable;
        double gn = vec_norm(c->grad + lo, a->n_params - lo);
        if (gn <= c->s.perturb_gtol && c->step - c->last_perturb > c->s.perturb_wait) {
            optim_perturb(c->opt, c->theta, c->s.perturb_radius);
            c->n_perturb++;
            c->last_perturb = c->step;
            mlp_loss_grad(a, c->theta, c->ws, c->xtr, c->ctr, c->ytr, c->n, c->grad, NULL);
        }
    }
    if (!c->fused) /* the fused step has been taken */
        optim_update(c->opt, c->theta, c->grad, lr);
    c->step++;
    c->examples += c->batch;
    return loss;
}

static void core_evaluate(void *impl, int set, double *loss, double *acc)
{
    core *c = impl;
    if (set == SET_TRAIN)
        *loss = mlp_loss_grad(&c->a, c->theta, c->ws, c->xtr, c->ctr, c->ytr, c->n, NULL, acc);
    else
        *loss = mlp_loss_grad(&c->a, c->theta, c->ws, c->xte, c->cte, c->yte, c->nt, NULL, acc);
}

static double core_grad_norm(void *impl)
{
    core *c = impl;
    const size_t lo = c->a.first_trainable;
    mlp_loss_grad(&c->a, c->theta, c->ws, c->xtr, c->ctr, c->ytr, c->n, c->grad, NULL);
    return vec_norm(c->grad + lo, c->a.n_params - lo);
}

static void core_norms(void *impl, double *pn, double *dist)
{
    core *c = impl;
    const size_t lo = c->a.first_trainable, m = c->a.n_params - lo;
    *pn = vec_norm(c->theta + lo, m);
    *dist = vec_dist(c->theta + lo, c->theta0 + lo, m);
}

static size_t core_n_params(const void *impl) { return ((const core *)impl)->a.n_params; }

static void core_get_params(const void *impl, int which, double *out)
{
    const core *c = impl;
    const real *src = which == PARAMS_INIT ? c->theta0 : c->theta;
    for (size_t i = 0; i < c->a.n_params; i++)
        out[i] = (double)src[i];
}

static void core_set_params(void *impl, const double *in)
{
    core *c = impl;
    for (size_t i = 0; i < c->a.n_params; i++)
        c->theta[i] = (real)in[i];
}

static long core_perturbations(const void *impl) { return ((const core *)impl)->n_perturb; }
static long core_examples(const void *impl) { return ((const core *)impl)->examples; }

const trainer_ops SGD_CAT(trainer_ops, SGD_SFX) = {
    core_alloc, core_free, core_step, core_evaluate, core_grad_norm, core_norms,
    core_n_params, core_get_params, core_set_params, core_perturbations, core_examples,
};
