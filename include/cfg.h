/* cfg.h -- the settings of one training run.
 *
 * A run is fully described by a `cfg`. Every field is listed once in a
 * descriptor table (cfg_fields) that drives the command-line parser, --help,
 * validation, and (later) sweep specs and result files, so a new setting is
 * one struct member plus one table row. Enum fields are ints whose values
 * index the field's `choices` list. */
#ifndef SGD_CFG_H
#define SGD_CFG_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

enum { ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_SOFTPLUS, ACT_IDENTITY, ACT_ERF, ACT_GELU };
enum { RES_NONE, RES_STANDARD, RES_LINEAR };
enum { INIT_HE, INIT_LECUN, INIT_XAVIER };
enum { PARAM_STANDARD, PARAM_NTK };
enum { PREC_FLOAT32, PREC_FLOAT64 };
enum { LOSS_MSE, LOSS_CE, LOSS_HINGE, LOSS_SQHINGE };
enum { DATA_TEACHER, DATA_MIXTURE, DATA_LINEAR, DATA_FILE };
enum { TASK_CLASSIFICATION, TASK_REGRESSION };
enum { OPT_SGD, OPT_GD, OPT_PGD, OPT_LANGEVIN };
enum { SAMPLE_REPLACEMENT, SAMPLE_RESHUFFLE };
enum { SCHED_CONSTANT, SCHED_STEP, SCHED_COSINE };
enum { SPACING_LOG, SPACING_LINEAR };
enum { STOP_NEVER, STOP_ACC, STOP_LOSS, STOP_ACC_AND_LOSS, STOP_ACC_OR_LOSS };

typedef struct cfg {
    /* model */
    int width, depth, act;
    double softplus_beta;
    int residual, bias, train_last;
    int init;
    double init_scale;
    int param, zero_last, precision;
    /* loss */
    int loss;
    /* data */
    int data, task;
    int n_train, n_test, d_in, classes;
    int teacher_width, teacher_depth, teacher_act;
    double label_noise, target_noise, separation, cov_decay;
    int online, standardize;
    char data_file[512];
    /* optimiser */
    int optimizer;
    double lr;
    int batch, sampling;
    double momentum, weight_decay, langevin_temp;
    double perturb_radius, perturb_gtol;
    int perturb_wait;
    int lr_schedule, warmup;
    int lr_step_every;
    double lr_step_factor, lr_min;
    /* budget: exactly one of steps / epochs / sde_time is > 0 */
    long steps;
    double epochs, sde_time;
    /* recording */
    int checkpoints, spacing;
    long eval_every;
    double target_loss, blowup;
    int stop_at;
    /* probes (docs/PROBES.md): each off by default */
    int probe_every, probe_n;
    int sharpness_k, eig_iters;
    double eig_tol;
    int trace_vecs, density_vecs, density_iters, density_bins;
    int grad_noise, mli, mli_points, lazy, ntk_n;
    double tail;
    long tail_every;
    /* seeds: -1 in data_seed / init_seed means "same as seed" */
    int64_t seed, data_seed, init_seed;
} cfg;

typedef enum { CFG_INT, CFG_LONG, CFG_I64, CFG_REAL, CFG_BOOL, CFG_ENUM, CFG_STR } cfg_type;

typedef struct {
    const char *name;            /* snake_case; on the CLI --name-with-dashes */
    cfg_type type;
    size_t offset;               /* offsetof(cfg, member) */
    size_t size;                 /* CFG_STR: buffer size */
    const char *defval;          /* default, as text */
    const char *const *choices;  /* CFG_ENUM: names, NULL-terminated */
    double min, max;             /* accepted numeric range */
    int min_open;                /* 1: value must be > min (not >=) */
    const char *group, *unit, *help;
} cfg_field;

extern const cfg_field cfg_fields[];
extern const int cfg_nfields;

/* Fill s with every default. */
void cfg_defaults(cfg *s);

/* Look a field up by snake_case or dashed name; NULL if unknown. */
const cfg_field *cfg_find(const char *name);

/* Levenshtein distance with '-' read as '_' (99 for names over 40 chars), and
 * the closest setting name within distance 3 (NULL if none): "did you mean". */
int cfg_edit_distance(const char *a, const char *b);
const char *cfg_suggest(const char *name);

/* Parse `text` into field f of s, checking type and range. Errors name the
 * field (as `who`, e.g. "--lr" or "spec.yaml:3:5: lr") and say what is
 * accepted. */
int cfg_set(cfg *s, const cfg_field *f, const char *text, const char *who, sgd_err *e);

/* Format field f of s as text (the inverse of cfg_set). */
void cfg_format(const cfg *s, const cfg_field *f, char *buf, size_t n);

/* Cross-field checks that need the whole struct (batch <= n_train, the loss
 * matches the task, exactly one budget, ...). `prefix` starts each message. */
int cfg_validate(const cfg *s, const char *prefix, sgd_err *e);

/* Resolved seeds and derived quantities. */
uint64_t cfg_data_seed(const cfg *s);
uint64_t cfg_init_seed(const cfg *s);
int cfg_is_classification(const cfg *s);
int cfg_full_batch(const cfg *s); /* gd and pgd use the whole training set */
int cfg_probes_on(const cfg *s);  /* any probe of docs/PROBES.md switched on */

/* Name of an enum value of field `name` (for printing). */
const char *cfg_enum_name(const char *name, int value);

#endif
