/* spec.h -- sweep specs (YAML, read with libyaml) and their expansion into
 * runs. The format is documented in docs/SPEC.md; in short:
 *
 *   method: grid                 # grid (Cartesian product) | random
 *   run_count: 50                # random only: number of runs
 *   sampling_seed: 0             # random only
 *   seeds: 3                     # or [0, 7, 9]: an axis over `seed` (replicates)
 *   parameters:
 *     width: {value: 256}                          # fixed
 *     depth: {values: [1, 2, 3]}                   # axis
 *     lr:    {min: 0.001, max: 0.1, num: 5, scale: log}   # axis, ends included
 *     temperature: {values: [1e-4, 1e-3]}          # derived: lr = temperature * batch
 *   zip: [[batch, temperature]]  # linked axes: vary together, Cartesian with the rest
 *
 * Every trainer setting (cfg_fields, by its snake_case name) can be fixed or
 * swept; `temperature` (SGD temperature lr/batch) is the one derived setting.
 * A W&B sweep config is read too (`distribution:`, `run_cap`, `metric`, ...;
 * docs/SPEC.md, "W&B sweep configs").
 *
 * Expansion order (the run index) is the row-major order of the dimensions
 * in the order their first key appears in the spec, the last dimension
 * varying fastest. A dimension is an unzipped axis, or one zip group. The
 * order never depends on anything but the spec text. */
#ifndef SGD_SPEC_H
#define SGD_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include "cfg.h"
#include "err.h"

enum { SPEC_GRID, SPEC_RANDOM };

/* Limits on a spec file (docs/SPEC.md, "Limits"): its size in bytes, its
 * YAML nodes (scalars, lists, mappings, aliases), and how deep lists and
 * mappings nest. They bound the time and memory of reading a spec, which
 * every rank does. */
#define SPEC_MAX_TEXT (4L << 20)
#define SPEC_MAX_NODES (1L << 18)
#define SPEC_MAX_DEPTH 64

/* How a random-search range is drawn from one uniform u in [0, 1)
 * (docs/SPEC.md, "Method random" and "W&B sweep configs"). */
enum {
    SPEC_DIST_NATIVE,      /* {min, max[, scale]}: the setting's type decides (integers: each equally likely) */
    SPEC_DIST_UNIFORM,     /* W&B uniform: min + u (max - min) */
    SPEC_DIST_INT_UNIFORM, /* W&B int_uniform: min + floor(u (max - min + 1)) */
    SPEC_DIST_LOG_UNIFORM, /* W&B log_uniform_values: exp(log min + u (log max - log min)) */
    SPEC_DIST_LN_UNIFORM,  /* W&B log_uniform: exp(a + u (b - a)), a, b the natural-log bounds */
    SPEC_DIST_INV_LN_UNIFORM,  /* W&B inv_log_uniform: exp(-(a + u (b - a))) */
    SPEC_DIST_INV_LOG_UNIFORM, /* W&B inv_log_uniform_values: 1 / exp(log(1/max) + u (log(1/min) - log(1/max))) */
    SPEC_DIST_NORMAL,      /* W&B normal: mu + sigma Phi^-1(u + 2^-33) */
    SPEC_DIST_LOG_NORMAL   /* W&B log_normal: exp(mu + sigma Phi^-1(u + 2^-33)) */
};

typedef struct {
    char name[64];      /* a cfg field name, or "temperature" */
    int n;              /* grid: number of values; random: 0 for ranges */
    char **values;      /* grid / categorical: the values as text (cfg_set parses them) */
    double min, max;    /* random ranges: the bounds of the values drawn (NAN for normal and log_normal) */
    int log_scale;      /* random ranges: log-uniform */
    int dist;           /* random ranges: SPEC_DIST_* */
    double a, b;        /* log_uniform / inv_log_uniform: the bounds as written (natural logs) */
    double q;           /* > 0: the draw is rounded to a multiple of q, round(x / q) q (W&B's q_*) */
    double mu, sigma;   /* normal / log_normal */
    char dist_name[32]; /* the W&B distribution as written, or "" */
    double *cum;        /* categorical with W&B probabilities: cumulative, cum[n-1] = 1; else NULL */
    int dim;            /* index of the dimension this axis belongs to */
    int line, col;      /* 1-based position of the key in the spec */
} spec_axis;

typedef struct {
    char name[128];     /* the axis name, or for a zip group the member names joined by "_"
                           (plus "_zip" if that joined name is itself a setting) */
    int n;              /* size */
    int n_axes;         /* axes varying along this dimension (several for a zip group) */
    int axes[16];
} spec_dim;

typedef struct spec {
    char *path;               /* as given */
    char *text;               /* the spec verbatim */
    size_t text_len;
    char sha256[65];          /* hex SHA-256 of text */
    int method;               /* SPEC_GRID / SPEC_RANDOM */
    long n_runs;
    uint64_t sampling_seed;
    cfg base;                 /* defaults + fixed settings */
    int n_axes, n_dims;
    spec_axis *axes;
    spec_dim *dims;           /* grid: the labelled dimensions; random: none */
    char metric[64];          /* W&B `metric: {name}`, or "" */
    int metric_goal;          /* -1 minimize (W&B's default), +1 maximize, 0 no metric */
    int n_notes;              /* what check should tell: W&B keys ignored, run_cap's meaning */
    char notes[8][200];
} spec;

/* Read and validate the spec at path: syntax, keys, types, ranges, and every
 * expanded run's settings (cfg_validate). Errors are "PATH:LINE:COL: message"
 * naming the key and what is accepted (code SGD_EUSAGE), or SGD_EIO if the
 * file cannot be read. */
int spec_load(const char *path, spec **out, sgd_err *e);

/* The same from text in memory; `name` stands for the path in messages. */
int spec_parse(const char *text, size_t len, const char *name, spec **out, sgd_err *e);

void spec_free(spec *sp);

/* Settings of run i (0 <= i < n_runs). Deterministic in (spec text, i). */
int spec_run(const spec *sp, long i, cfg *out, sgd_err *e);

/* spec_run, also giving the run's SGD temperature: the spec's value when it
 * gives `temperature` (exactly as written), else lr / batch. */
int spec_run_temperature(const spec *sp, long i, cfg *out, double *temperature, sgd_err *e);

/* Grid only: the index of run i along each dimension (idx[n_dims]). */
void spec_run_index(const spec *sp, long i, int *idx);

/* How axis a is swept or drawn, in one line: "3 values: 8 16 32 ..." or
 * "log_uniform_values [0.001, 0.1]", "normal mu 1 sigma 0.1, q 0.5", ... */
void spec_axis_describe(const spec_axis *a, char *buf, size_t size);

/* SHA-256 of len bytes as 64 hex digits + NUL. */
void spec_sha256(const void *data, size_t len, char hex[65]);

#endif
