/* train.h -- train one network: settings in, metrics and curves out.
 *
 * Two levels:
 *   trainer_*   a stepper over one network (alloc / step / evaluate / free);
 *               the precision (cfg.precision) is chosen at trainer_alloc.
 *   train_run   the driver: budget, learning-rate schedule, checkpoints,
 *               hitting times, divergence, final metrics (docs/TRAINING.md, docs/CLI.md).
 * Nothing in trainer_step allocates. */
#ifndef SGD_TRAIN_H
#define SGD_TRAIN_H

#include <stddef.h>
#include "cfg.h"
#include "data.h"
#include "err.h"

enum { RUN_DONE = 1, RUN_DIVERGED = 2 };
enum { SET_TRAIN = 0, SET_TEST = 1 };
enum { PARAMS_INIT = 0, PARAMS_NOW = 1 };

/* Probe curves: measured at the checkpoints that probe_every selects, NaN at
 * the others (docs/PROBES.md). Order = the result's ckpt_probe[] order. */
enum { PC_SHARPNESS, PC_LAMBDA_MIN, PC_HESS_TRACE, PC_NOISE_TRACE, PC_NOISE_SCALE, N_PCURVE };
/* Per-run probe arrays, measured once at the end of a run: length
 * probe_array_len(s, which) (0: that probe is off). */
enum { PA_EIG, PA_EIG_RESID, PA_MLI_ALPHA, PA_MLI_LOSS, PA_MLI_ACC, PA_DENSITY, PA_SLQ_NODE, PA_SLQ_WEIGHT,
       PA_LAZY_LAYER, N_PARR };
typedef struct {
    const char *name; /* curve: "sharpness" (files: curve_sharpness); array: "eig" */
    const char *dim;  /* arrays: the name of their own dimension ("eig", "alpha", ...); curves: NULL */
    const char *help;
} probe_field;
extern const probe_field pcurve_fields[N_PCURVE], parr_fields[N_PARR];
/* Does a run with settings s record probe curve `which`; how long is its
 * array `which` (0: off)? Both depend on the settings only. */
int probe_curve_on(const cfg *s, int which);
int probe_array_len(const cfg *s, int which);

/* probe_flags bits (docs/PROBES.md) */
enum {
    PF_EIG_NOCONV = 1,     /* a top eigenpair did not reach eig_tol within eig_iters */
    PF_LMIN_NOCONV = 2,    /* lambda_min did not */
    PF_NONFINITE = 4,      /* a probe met a non-finite loss, gradient or HVP: its values are NaN */
    PF_SKIPPED = 8,        /* the run diverged: the end-of-run probes were not measured */
    PF_KRYLOV_SMALL = 16   /* fewer trained parameters than sharpness_k: the missing eigenvalues are NaN */
};

typedef struct {
    int status;                    /* RUN_DONE or RUN_DIVERGED */
    long steps, examples;          /* optimiser steps taken, examples seen */
    long diverged_step;            /* step at which divergence was detected, -1 if not */
    double train_loss, train_acc, test_loss, test_acc; /* final (NaN if not finite) */
    double min_train_loss;         /* over every full train-set evaluation */
    long min_train_loss_step;
    long hit_loss_step;            /* first evaluated step with train loss < target_loss; -1: never */
    long hit_acc_step;             /* first evaluated step with train accuracy 1; -1: never */
    long stopped_step;             /* step whose evaluation met the stop_at target; -1: ran the budget */
    double grad_norm;              /* |dL/dtheta| over the train set, at the end (trained part) */
    double param_norm, dist_init;  /* |theta|, |theta - theta0| (trained part) */
    double wall_time;              /* seconds, train_run only */
    long n_perturb;                /* perturbations made by pgd */
    double final_lr;
    long eval_every;               /* resolution of the hitting steps */
    /* learning curve: n_ckpt points */
    int n_ckpt;
    long *ckpt_step;
    double *ckpt_train_loss, *ckpt_train_acc, *ckpt_test_loss, *ckpt_test_acc, *ckpt_lr;
    /* probes (docs/PROBES.md), NaN / -1 / NULL when off */
    double sharpness, lambda_min, sharpness_resid, lambda_min_resid;
    long eig_iters_used;           /* Lanczos iterations of the first (top + lambda_min) run */
    double hess_trace, hess_trace_se;
    double density_lo, density_hi;
    double noise_grad_norm, noise_trace, noise_scale, noise_sgd;
    double mli_monotone, mli_bump;
    double lazy_rel_dist, ntk_rel_change;
    double tail_loss_mean, tail_loss_var, tail_loss_tau, tail_loss_sem;
    long tail_points;
    long probe_flags, probe_hvps;
    double time_sharpness, time_trace, time_density, time_noise, time_mli, time_lazy, time_tail;
    double *ckpt_probe[N_PCURVE];  /* [n_ckpt] each, NULL when that curve is off */
    int parr_len[N_PARR];
    double *parr[N_PARR];          /* [parr_len[i]] each, NULL when off */
    /* parameters (filled when train_run is asked to keep them) */
    size_t n_params;
    double *theta0, *theta;
} result;

/* metric table, for printing and (later) result files */
typedef enum { MET_LONG, MET_REAL, MET_STATUS } met_type;
typedef struct {
    const char *name;
    met_type type;
    size_t offset;
    const char *help;
} met_field;
extern const met_field met_fields[];
extern const int met_nfields;

void result_destroy(result *r);

/* ---- stepper -------------------------------------------------------------- */
typedef struct trainer trainer;

/* BLAS threads every trainer_alloc sets (default 1: the parallelism of a
 * sweep is its MPI ranks). main also makes OpenBLAS create its pool at this
 * size (docs/CLI.md, --blas-threads). */
void train_set_blas_threads(int n);

/* Build the network, its workspace and optimiser for dataset ds; initialise
 * the parameters from cfg_init_seed(s). */
trainer *trainer_alloc(const cfg *s, const dataset *ds, sgd_err *e);
void trainer_free(trainer *t);

/* One optimiser step at learning rate lr. Returns the minibatch loss at the
 * parameters before the update (for full-batch methods: the train loss) and
 * sets *acc to that batch's accuracy (NaN for regression). */
double trainer_step(trainer *t, double lr, double *acc);

/* Loss and accuracy over the whole train or test set (SET_*). */
void trainer_evaluate(trainer *t, int set, double *loss, double *acc);

/* |grad of the train loss| (trained part), |theta|, |theta - theta0|. */
double trainer_grad_norm(trainer *t);
void trainer_norms(trainer *t, double *param_norm, double *dist_init);

/* Copy the initial (PARAMS_INIT) or current parameters into out[n] as double,
 * or set the current parameters from in[n]. */
size_t trainer_n_params(const trainer *t);
void trainer_get_params(const trainer *t, int which, double *out);
void trainer_set_params(trainer *t, const double *in);
long trainer_perturbations(const trainer *t);
long trainer_examples(const trainer *t);

/* ---- driver ------------------------------------------------------------- */

/* Resolved budget in steps (steps, epochs or sde_time; 1000 if none given);
 * -1 when that is under 1 or over 1e15 steps. */
long train_budget(const cfg *s, int n_train);

/* Steps between full train-set evaluations (cfg eval_every, or the automatic
 * choice when it is 0; 1 for full-batch methods). */
long train_eval_every(const cfg *s, int n_train, long T);

/* Learning rate at step t of T (warm-up, then the schedule). */
double train_lr(const cfg *s, long t, long T);

/* Checkpoint steps for a run of T steps: writes at most s->checkpoints
 * strictly increasing steps, the first 0 and the last T; returns the count. */
int train_checkpoints(const cfg *s, long T, long *out);

/* Train the network cfg s describes on ds; fill r. keep_params: also fill
 * r->theta0 / r->theta. Divergence is a result (r->status), not an error. */
int train_run(const cfg *s, const dataset *ds, int keep_params, result *r, sgd_err *e);

/* train_run with a hook called between steps (at most about every
 * `hook_every` seconds, checked with a coarse clock): the sweep engine uses it
 * to answer MPI messages and to notice signals. A nonzero return from the hook
 * abandons the run: train_run returns SGD_EABORT and r holds nothing. */
typedef int (*train_hook)(void *ctx);
int train_run_hooked(const cfg *s, const dataset *ds, int keep_params, result *r, train_hook hook, void *ctx,
                     double hook_every, sgd_err *e);

/* ---- per-precision implementations (train_core.c) ------------------------ */
typedef struct trainer_ops {
    void *(*alloc)(const cfg *s, const dataset *ds, sgd_err *e);
    void (*free)(void *impl);
    double (*step)(void *impl, double lr, double *acc);
    void (*evaluate)(void *impl, int set, double *loss, double *acc);
    double (*grad_norm)(void *impl);
    void (*norms)(void *impl, double *param_norm, double *dist_init);
    size_t (*n_params)(const void *impl);
    void (*get_params)(const void *impl, int which, double *out);
    void (*set_params)(void *impl, const double *in);
    long (*perturbations)(const void *impl);
    long (*examples)(const void *impl);
} trainer_ops;
extern const trainer_ops trainer_ops_f32, trainer_ops_f64;

#endif
