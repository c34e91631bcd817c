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
 *
 * Expansion order (the run index) is the row-major order of the dimensions
 * in the order their first key appears in the spec, the last dimension
 * varying fastest. A dimension is an unzipped axis, or one zip group. The
 * order never depends on anything but the spec text. */
#ifndef SGD_SPEC_H
#define SGD_SPEC_H

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

typedef struct {
    char name[64];      /* a cfg field name, or "temperature" */
    int n;              /* grid: number of values; random: 0 for ranges */
    char **values;      /* grid / categorical: the values as text (cfg_set parses them) */
    double min, max;    /* random ranges */
    int log_scale;      /* random ranges: log-uniform */
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

/* SHA-256 of len bytes as 64 hex digits + NUL. */
void spec_sha256(const void *data, size_t len, char hex[65]);

#endif
