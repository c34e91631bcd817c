/* cfg.c -- the settings table: names, types, defaults, ranges, help. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfg.h"
#include "rng.h"

static const char *const act_names[] = {"relu", "tanh", "sigmoid", "softplus", "identity", "erf", "gelu", NULL};
static const char *const res_names[] = {"none", "standard", "linear", NULL};
static const char *const init_names[] = {"he", "lecun", "xavier", NULL};
static const char *const param_names[] = {"standard", "ntk", NULL};
static const char *const prec_names[] = {"float32", "float64", NULL};
static const char *const loss_names[] = {"mse", "ce", "hinge", "sqhinge", NULL};
static const char *const data_names[] = {"teacher", "mixture", "linear", "file", NULL};
static const char *const task_names[] = {"classification", "regression", NULL};
static const char *const opt_names[] = {"sgd", "gd", "pgd", "langevin", NULL};
static const char *const sample_names[] = {"replacement", "reshuffle", NULL};
static const char *const sched_names[] = {"constant", "step", "cosine", NULL};
static const char *const spacing_names[] = {"log", "linear", NULL};
static const char *const stop_names[] = {"never", "acc", "loss", "acc_and_loss", "acc_or_loss", NULL};

#define O(m) offsetof(cfg, m)
#define BIG 1e300
#define INT(n, m, def, lo, hi, g, u, h) {n, CFG_INT, O(m), 0, def, NULL, lo, hi, 0, g, u, h}
#define LNG(n, m, def, lo, hi, g, u, h) {n, CFG_LONG, O(m), 0, def, NULL, lo, hi, 0, g, u, h}
#define I64(n, m, def, lo, hi, g, u, h) {n, CFG_I64, O(m), 0, def, NULL, lo, hi, 0, g, u, h}
#define REAL(n, m, def, lo, open, hi, g, u, h) {n, CFG_REAL, O(m), 0, def, NULL, lo, hi, open, g, u, h}
#define BOOL(n, m, def, g, h) {n, CFG_BOOL, O(m), 0, def, NULL, 0, 1, 0, g, "", h}
#define ENUM(n, m, def, ch, g, h) {n, CFG_ENUM, O(m), 0, def, ch, 0, 0, 0, g, "", h}

const cfg_field cfg_fields[] = {
    /* model */
    INT("width", width, "64", 1, 1 << 20, "model", "units", "hidden units per layer"),
    INT("depth", depth, "2", 0, 1000, "model", "layers", "hidden layers (0 = linear / logistic model)"),
    ENUM("act", act, "relu", act_names, "model", "hidden activation"),
    REAL("softplus_beta", softplus_beta, "1", 0, 1, BIG, "model", "", "softplus sharpness: log(1+exp(beta x))/beta"),
    ENUM("residual", residual, "none", res_names, "model",
         "skip connections between hidden layers: standard h+act(Wh+b), linear h+Wh+b"),
    BOOL("bias", bias, "1", "model", "biases in every layer"),
    BOOL("train_last", train_last, "0", "model", "train only the last layer (random-features model)"),
    ENUM("init", init, "he", init_names, "model",
         "weight variance: he 2/fan_in, lecun 1/fan_in, xavier 2/(fan_in+fan_out)"),
    REAL("init_scale", init_scale, "1", 0, 1, BIG, "model", "", "multiplier on the init variance"),
    ENUM("param", param, "standard", param_names, "model",
         "parameterisation: standard, or ntk (W ~ N(0,1), layer scaled by sqrt(var))"),
    BOOL("zero_last", zero_last, "0", "model", "initialise the last layer to zero"),
    ENUM("precision", precision, "float32", prec_names, "model", "arithmetic of the trainer"),
    /* loss */
    ENUM("loss", loss, "ce", loss_names, "loss", "mse, ce (softmax cross-entropy), hinge, sqhinge (docs/TRAINING.md)"),
    /* data */
    ENUM("data", data, "teacher", data_names, "data", "dataset generator, or file (--data-file)"),
    ENUM("task", task, "classification", task_names, "data", "teacher labels: classification or regression"),
    INT("n_train", n_train, "1000", 1, INT_MAX, "data", "examples", "training-set size"),
    INT("n_test", n_test, "1000", 1, INT_MAX, "data", "examples", "test-set size"),
    INT("d_in", d_in, "32", 1, 1 << 20, "data", "", "input dimension"),
    INT("classes", classes, "10", 1, 1 << 16, "data", "", "classes (classification) or outputs (teacher regression)"),
    INT("teacher_width", teacher_width, "32", 1, 1 << 16, "data", "units", "teacher hidden width"),
    INT("teacher_depth", teacher_depth, "1", 0, 100, "data", "layers", "teacher hidden layers"),
    ENUM("teacher_act", teacher_act, "tanh", act_names, "data", "teacher activation"),
    REAL("label_noise", label_noise, "0", 0, 0, 1, "data", "fraction",
         "probability that a training label is redrawn uniformly (0 teacher, 1 random labels)"),
    REAL("target_noise", target_noise, "0", 0, 0, BIG, "data", "", "std of Gaussian noise on regression targets"),
    REAL("separation", separation, "3", 0, 0, BIG, "data", "", "mixture: distance between class means"),
    REAL("cov_decay", cov_decay, "0", 0, 0, 100, "data", "", "linear: input variance lambda_j = j^-cov_decay"),
    BOOL("online", online, "0", "data", "draw every minibatch fresh from the generator"),
    BOOL("standardize", standardize, "0", "data", "standardise inputs with train mean/sd"),
    {"data_file", CFG_STR, O(data_file), sizeof(((cfg *)0)->data_file), "", NULL, 0, 0, 0, "data", "path",
     "HDF5 dataset for --data file (docs/DATA.md)"},
    /* optimiser */
    ENUM("optimizer", optimizer, "sgd", opt_names, "optim",
         "sgd (minibatch), gd (full batch), pgd (perturbed gd), langevin (sgld)"),
    REAL("lr", lr, "0.1", 0, 1, BIG, "optim", "", "learning rate (peak, with a schedule)"),
    INT("batch", batch, "32", 1, INT_MAX, "optim", "examples", "minibatch size (sgd, langevin)"),
    ENUM("sampling", sampling, "replacement", sample_names, "optim",
         "minibatches: uniform with replacement, or per-epoch reshuffling"),
    REAL("momentum", momentum, "0", 0, 0, 1, "optim", "", "heavy-ball momentum mu: v = mu v + g"),
    REAL("weight_decay", weight_decay, "0", 0, 0, BIG, "optim", "", "L2 coefficient: g += wd * theta"),
    REAL("langevin_temp", langevin_temp, "0", 0, 0, BIG, "optim", "", "langevin: noise sqrt(2 lr T) N(0,I)"),
    REAL("perturb_radius", perturb_radius, "0.01", 0, 1, BIG, "optim", "", "pgd: perturbation ball radius"),
    REAL("perturb_gtol", perturb_gtol, "1e-3", 0, 0, BIG, "optim", "", "pgd: perturb when |grad| <= this"),
    INT("perturb_wait", perturb_wait, "10", 0, INT_MAX, "optim", "steps", "pgd: min steps between perturbations"),
    ENUM("lr_schedule", lr_schedule, "constant", sched_names, "optim", "constant, step, or cosine decay"),
    INT("warmup", warmup, "0", 0, INT_MAX, "optim", "steps", "linear warm-up from 0 to lr"),
    INT("lr_step_every", lr_step_every, "1000", 1, INT_MAX, "optim", "steps", "step schedule: period"),
    REAL("lr_step_factor", lr_step_factor, "0.1", 0, 1, 1, "optim", "", "step schedule: multiplier"),
    REAL("lr_min", lr_min, "0", 0, 0, BIG, "optim", "", "cosine schedule: final lr"),
    /* budget */
    LNG("steps", steps, "0", 0, 1e15, "budget", "steps", "optimiser steps (default 1000 if no budget given)"),
    REAL("epochs", epochs, "0", 0, 0, BIG, "budget", "epochs", "budget in passes over the training set"),
    REAL("sde_time", sde_time, "0", 0, 0, BIG, "budget", "lr*steps", "budget in SDE time: steps = ceil(sde_time/lr)"),
    /* recording */
    INT("checkpoints", checkpoints, "20", 2, 1000000, "record", "", "learning-curve points (incl. step 0 and the end)"),
    ENUM("spacing", spacing, "log", spacing_names, "record", "checkpoint spacing"),
    LNG("eval_every", eval_every, "0", 0, 1e15, "record", "steps",
        "full train-set loss every N steps, for hitting times (0: auto, docs/TRAINING.md)"),
    REAL("target_loss", target_loss, "1e-3", 0, 1, BIG, "record", "", "epsilon for the hitting step of train loss"),
    ENUM("stop_at", stop_at, "never", stop_names, "record",
         "end the run at the first evaluation that fits: acc (100% train accuracy), loss (train loss < target_loss), acc_and_loss, acc_or_loss"),
    REAL("blowup", blowup, "1e6", 0, 1, BIG, "record", "", "a loss above this (or non-finite) ends the run as diverged"),
    /* probes (docs/PROBES.md) */
    INT("probe_every", probe_every, "0", 0, 1000000, "probe", "checkpoints",
        "0: probes at the end only; N: sharpness, trace and noise also at every N-th checkpoint"),
    INT("probe_n", probe_n, "0", 0, INT_MAX, "probe", "examples",
        "examples the probes use (0: the whole training set; else a seeded subset)"),
    INT("sharpness_k", sharpness_k, "0", 0, 1000, "probe", "",
        "top Hessian eigenvalues to find, plus lambda_min (0: off)"),
    INT("eig_iters", eig_iters, "100", 2, 100000, "probe", "HVPs", "Lanczos iterations per eigenvalue run, at most (run 1 also density_iters)"),
    REAL("eig_tol", eig_tol, "1e-4", 0, 1, 1, "probe", "", "eigenpair converged at |Hu - lambda u| <= tol max(|lambda_max|, |lambda_min|)"),
    INT("trace_vecs", trace_vecs, "0", 0, 1000000, "probe", "vectors", "Hutchinson vectors for tr(H) (0: off)"),
    INT("density_vecs", density_vecs, "0", 0, 100000, "probe", "vectors",
        "stochastic Lanczos quadrature vectors for the spectral density (0: off)"),
    INT("density_iters", density_iters, "30", 2, 100000, "probe", "HVPs", "Lanczos steps per density vector"),
    INT("density_bins", density_bins, "64", 1, 100000, "probe", "", "histogram bins of the spectral density"),
    BOOL("grad_noise", grad_noise, "0", "probe", "gradient noise: tr(Sigma), noise scale, SGD noise"),
    BOOL("mli", mli, "0", "probe", "loss on the line from theta0 to the final theta"),
    INT("mli_points", mli_points, "21", 2, 100000, "probe", "", "points alpha = 0 .. 1 on that line"),
    BOOL("lazy", lazy, "0", "probe", "per-layer relative distance from the initial weights"),
    INT("ntk_n", ntk_n, "0", 0, 2048, "probe", "examples",
        "examples for the relative change of the empirical NTK (0: off)"),
    REAL("tail", tail, "0", 0, 0, 1, "probe", "fraction",
         "stationary train-loss statistics over the last fraction of the run (0: off)"),
    LNG("tail_every", tail_every, "0", 0, 1e15, "probe", "steps", "train loss every N steps in the tail (0: eval interval)"),
    /* seeds */
    I64("seed", seed, "0", 0, 9.2e18, "seed", "", "replicate seed (data and init unless given apart)"),
    I64("data_seed", data_seed, "-1", -1, 9.2e18, "seed", "", "data seed (-1: seed)"),
    I64("init_seed", init_seed, "-1", -1, 9.2e18, "seed", "", "init / minibatch / noise seed (-1: seed)"),
};
const int cfg_nfields = (int)(sizeof cfg_fields / sizeof cfg_fields[0]);

const cfg_field *cfg_find(const char *name)
{
    char buf[64];
    size_t n = strlen(name);
    if (n >= sizeof buf)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        buf[i] = name[i] == '-' ? '_' : name[i];
    for (int i = 0; i < cfg_nfields; i++)
        if (strcmp(cfg_fields[i].name, buf) == 0)
            return &cfg_fields[i];
    return NULL;
}

int cfg_edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int dp[41][41];
    for (int x = 0; x <= la; x++)
        dp[x][0] = x;
    for (int y = 0; y <= lb; y++)
        dp[0][y] = y;
    for (int x = 1; x <= la; x++)
        for (int y = 1; y <= lb; y++) {
            int ca = a[x - 1] == '-' ? '_' : a[x - 1];
            int v = dp[x - 1][y - 1] + (ca != b[y - 1]);
            if (dp[x - 1][y] + 1 < v)
                v = dp[x - 1][y] + 1;
            if (dp[x][y - 1] + 1 < v)
                v = dp[x][y - 1] + 1;
            dp[x][y] = v;
        }
    return dp[la][lb];
}

const char *cfg_suggest(const char *name)
{
    const char *best = NULL;
    int bestd = 4;
    for (int i = 0; i < cfg_nfields; i++) {
        int d = cfg_edit_distance(name, cfg_fields[i].name);
        if (d < bestd)
            bestd = d, best = cfg_fields[i].name;
    }
    return best;
}

static void choices_text(const cfg_field *f, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; f->choices[i]; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i ? ", " : "", f->choices[i]);
    }
}

/* v: the value read (as a double), to say which bound it crossed */
static int range_fail(const cfg_field *f, double v, const char *text, const char *who, sgd_err *e)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.15g", f->min);
    snprintf(hi, sizeof hi, "%.15g", f->max);
    if (f->max >= BIG && v <= f->min) /* below: the upper bound (1e300) is a sanity cap, not news */
        return sgd_fail(e, SGD_EUSAGE, "%s: value '%s' out of range (accepted: %s %s)", who, text,
                        f->min_open ? ">" : ">=", lo);
    if (f->max >= BIG)
        return sgd_fail(e, SGD_EUSAGE, "%s: value '%s' out of range (accepted: %s %s and <= %s)", who, text,
                        f->min_open ? ">" : ">=", lo, hi);
    return sgd_fail(e, SGD_EUSAGE, "%s: value '%s' out of range (accepted: %s%s .. %s%s)", who, text,
                    f->min_open ? "(" : "[", lo, hi, "]");
}

int cfg_set(cfg *s, const cfg_field *f, const char *text, const char *who, sgd_err *e)
{
    char *end = NULL;
    void *p = (char *)s + f->offset;
    errno = 0;
    switch (f->type) {
    case CFG_INT:
    case CFG_LONG:
    case CFG_I64: {
        long long v = strtoll(text, &end, 10);
        if (end == text || *end || errno) {
            /* accept integral values written as reals, e.g. 1e4 */
            double d = strtod(text, &end);
            if (end == text || *end || !isfinite(d) || d != floor(d) || fabs(d) > 9.2e18)
                return sgd_fail(e, SGD_EUSAGE, "%s: '%s' is not an integer", who, text);
            v = (long long)d;
        }
        if ((double)v < f->min || (double)v > f->max)
            return range_fail(f, (double)v, text, who, e);
        if (f->type == CFG_INT)
            *(int *)p = (int)v;
        else if (f->type == CFG_LONG)
            *(long *)p = (long)v;
        else
            *(int64_t *)p = (int64_t)v;
        return 0;
    }
    case CFG_REAL: {
        /* strtod sets ERANGE for denormals (4.9e-324) and underflow to 0 too: those are
         * finite numbers, range-checked below; overflow gives inf */
        double v = strtod(text, &end);
        if (end == text || *end || !isfinite(v))
            return sgd_fail(e, SGD_EUSAGE, "%s: '%s' is not a finite number", who, text);
        if (v < f->min || (f->min_open && v == f->min) || v > f->max)
            return range_fail(f, v, text, who, e);
        *(double *)p = v;
        return 0;
    }
    case CFG_BOOL: {
        static const char *const yes[] = {"1", "true", "yes", "on", NULL}, *const no[] = {"0", "false", "no", "off", NULL};
        for (int i = 0; yes[i]; i++)
            if (strcmp(text, yes[i]) == 0)
                return *(int *)p = 1, 0;
        for (int i = 0; no[i]; i++)
            if (strcmp(text, no[i]) == 0)
                return *(int *)p = 0, 0;
        return sgd_fail(e, SGD_EUSAGE, "%s: '%s' is not a boolean (accepted: true, false, 1, 0, yes, no)", who, text);
    }
    case CFG_ENUM:
        for (int i = 0; f->choices[i]; i++)
            if (strcmp(text, f->choices[i]) == 0)
                return *(int *)p = i, 0;
        {
            char ch[256];
            choices_text(f, ch, sizeof ch);
            return sgd_fail(e, SGD_EUSAGE, "%s: unknown value '%s' (accepted: %s)", who, text, ch);
        }
    case CFG_STR:
        if (strlen(text) >= f->size)
            return sgd_fail(e, SGD_EUSAGE, "%s: value longer than %zu characters", who, f->size - 1);
        memcpy(p, text, strlen(text) + 1);
        return 0;
    }
    return sgd_fail(e, SGD_EINTERNAL, "%s: bad field type", who);
}

void cfg_format(const cfg *s, const cfg_field *f, char *buf, size_t n)
{
    const void *p = (const char *)s + f->offset;
    switch (f->type) {
    case CFG_INT: snprintf(buf, n, "%d", *(const int *)p); break;
    case CFG_LONG: snprintf(buf, n, "%ld", *(const long *)p); break;
    case CFG_I64: snprintf(buf, n, "%" PRId64, *(const int64_t *)p); break;
    case CFG_REAL: { /* the shortest form that reads back exactly */
        double v = *(const double *)p;
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, n, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        break;
    }
    case CFG_BOOL: snprintf(buf, n, "%s", *(const int *)p ? "true" : "false"); break;
    case CFG_ENUM: snprintf(buf, n, "%s", f->choices[*(const int *)p]); break;
    case CFG_STR: snprintf(buf, n, "%s", (const char *)p); break;
    }
}

void cfg_defaults(cfg *s)
{
    /* parsed once: a spec of a million runs asks for the defaults per value */
    static cfg def;
    static int ready;
    if (!ready) {
        memset(&def, 0, sizeof def);
        for (int i = 0; i < cfg_nfields; i++) {
            sgd_err e = {0};
            if (cfg_set(&def, &cfg_fields[i], cfg_fields[i].defval, cfg_fields[i].name, &e)) {
                fprintf(stderr, "sgdsweep: internal error: default of %s: %s\n", cfg_fields[i].name, e.msg);
                abort();
            }
        }
        ready = 1;
    }
    *s = def;
}

const char *cfg_enum_name(const char *name, int value)
{
    const cfg_field *f = cfg_find(name);
    if (!f || f->type != CFG_ENUM || value < 0)
        return "?";
    for (int i = 0; f->choices[i]; i++)
        if (i == value)
            return f->choices[i];
    return "?";
}

uint64_t cfg_data_seed(const cfg *s) { return (uint64_t)(s->data_seed >= 0 ? s->data_seed : s->seed); }
uint64_t cfg_init_seed(const cfg *s) { return (uint64_t)(s->init_seed >= 0 ? s->init_seed : s->seed); }
int cfg_is_classification(const cfg *s)
{
    return s->data == DATA_MIXTURE || (s->data == DATA_TEACHER && s->task == TASK_CLASSIFICATION);
}
int cfg_full_batch(const cfg *s) { return s->optimizer == OPT_GD || s->optimizer == OPT_PGD; }
int cfg_probes_on(const cfg *s)
{
    return s->sharpness_k > 0 || s->trace_vecs > 0 || s->density_vecs > 0 || s->grad_noise || s->mli || s->lazy ||
           s->ntk_n > 0 || s->tail > 0;
}

int cfg_validate(const cfg *s, const char *prefix, sgd_err *e)
{
    const char *p = prefix ? prefix : "";
    int budgets = (s->steps > 0) + (s->epochs > 0) + (s->sde_time > 0);
    if (budgets > 1)
        return sgd_fail(e, SGD_EUSAGE, "%ssteps, epochs, sde_time: give exactly one budget (got %d)", p, budgets);
    /* the budget in steps must be a positive count a long can hold */
    {
        const double n = s->n_train, b = cfg_full_batch(s) ? n : s->batch;
        const double T = s->steps > 0 ? (double)s->steps
                         : s->epochs > 0 ? ceil(s->epochs * n / b - 1e-9)
                         : s->sde_time > 0 ? ceil(s->sde_time / s->lr - 1e-9)
                                           : 1000;
        const char *key = s->steps > 0 ? "steps" : s->epochs > 0 ? "epochs" : "sde_time";
        if (!(T >= 1))
            return sgd_fail(e, SGD_EUSAGE, "%s%s: the budget is less than one step", p, key);
        if (T > 1e15)
            return sgd_fail(e, SGD_EUSAGE, "%s%s: the budget is %.3g steps (at most 1e15)", p, key, T);
    }
    if (s->data == DATA_FILE && !s->data_file[0])
        return sgd_fail(e, SGD_EUSAGE, "%sdata: 'file' needs data_file (an HDF5 path)", p);
    if (s->data != DATA_FILE && s->data_file[0])
        return sgd_fail(e, SGD_EUSAGE, "%sdata_file: given but data is '%s' (use data: file)", p,
                        cfg_enum_name("data", s->data));
    if (s->data != DATA_FILE) {
        int cls = cfg_is_classification(s);
        if (cls && s->classes < 2)
            return sgd_fail(e, SGD_EUSAGE, "%sclasses: %d, classification needs at least 2", p, s->classes);
        if (!cls && (s->loss == LOSS_CE || s->loss == LOSS_HINGE || s->loss == LOSS_SQHINGE))
            return sgd_fail(e, SGD_EUSAGE, "%sloss: '%s' needs class labels, but data '%s' is a regression task (use mse)",
                            p, cfg_enum_name("loss", s->loss), cfg_enum_name("data", s->data));
        if (s->data == DATA_MIXTURE && s->classes > s->d_in)
            return sgd_fail(e, SGD_EUSAGE, "%sclasses: mixture needs classes (%d) <= d_in (%d)", p, s->classes, s->d_in);
        if (s->label_noise > 0 && !cls)
            return sgd_fail(e, SGD_EUSAGE, "%slabel_noise: only for classification data", p);
        if (!cfg_full_batch(s) && !s->online && s->batch > s->n_train)
            return sgd_fail(e, SGD_EUSAGE, "%sbatch: %d is larger than the training set (n_train %d)", p, s->batch,
                            s->n_train);
    }
    if (s->online && s->data == DATA_FILE)
        return sgd_fail(e, SGD_EUSAGE, "%sonline: needs a generator, not data 'file'", p);
    if (s->online && cfg_full_batch(s))
        return sgd_fail(e, SGD_EUSAGE, "%sonline: needs minibatches (optimizer sgd or langevin, not %s)", p,
                        cfg_enum_name("optimizer", s->optimizer));
    if (s->optimizer == OPT_LANGEVIN && s->langevin_temp <= 0)
        return sgd_fail(e, SGD_EUSAGE, "%slangevin_temp: optimizer langevin needs langevin_temp > 0", p);
    if (s->optimizer != OPT_LANGEVIN && s->langevin_temp > 0)
        return sgd_fail(e, SGD_EUSAGE, "%slangevin_temp: only used by optimizer langevin", p);
    if (s->probe_n > 0 && s->data != DATA_FILE && s->probe_n > s->n_train)
        return sgd_fail(e, SGD_EUSAGE, "%sprobe_n: %d is larger than the training set (n_train %d)", p, s->probe_n,
                        s->n_train);
    if (s->ntk_n > 0 && s->data != DATA_FILE && s->ntk_n > (s->probe_n > 0 ? s->probe_n : s->n_train))
        return sgd_fail(e, SGD_EUSAGE, "%sntk_n: %d is larger than the probe set (%d examples)", p, s->ntk_n,
                        s->probe_n > 0 ? s->probe_n : s->n_train);
    if ((double)s->density_vecs * s->density_iters > 1e7)
        return sgd_fail(e, SGD_EUSAGE, "%sdensity_vecs: density_vecs x density_iters is %.3g (at most 1e7 nodes)", p,
                        (double)s->density_vecs * s->density_iters);
    if ((s->stop_at == STOP_ACC || s->stop_at == STOP_ACC_AND_LOSS) && s->data != DATA_FILE && !cfg_is_classification(s))
        return sgd_fail(e, SGD_EUSAGE, "%sstop_at: '%s' needs class labels, but data '%s' is a regression task (use loss)", p,
                        cfg_enum_name("stop_at", s->stop_at), cfg_enum_name("data", s->data));
    if (s->lr_schedule == SCHED_COSINE && s->lr_min > s->lr)
        return sgd_fail(e, SGD_EUSAGE, "%slr_min: %g is above lr %g", p, s->lr_min, s->lr);
    return 0;
}
