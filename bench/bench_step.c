/* bench_step.c -- time trainer_step, the probes against a gradient, and the single-core sgemm peak (make bench).
 *
 *   bench_step peak [--size N] [--reps R]
 *       best of R single-threaded N x N x N cblas_sgemm calls (float32);
 *       prints: peak <TAB> N <TAB> GFLOP/s <TAB> OpenBLAS build and core
 *   bench_step step [--seconds S] [--peak N] [--SETTING VALUE ...]
 *       builds a trainer through the public API (cfg_defaults, the bench
 *       defaults below, then any sgdsweep setting, e.g. --width 64 --batch 32),
 *       warms up, then times N calls of trainer_step with N chosen so that the
 *       timing takes about S seconds (default 0.3);
 *       prints: ours <TAB> width <TAB> depth <TAB> batch <TAB> N <TAB> us/step
 *       <TAB> GFLOP/s <TAB> CPU share (thread CPU time / wall time of the
 *       timing: below 1 when the process was descheduled by a busy machine);
 *       with --peak N two more columns: the sgemm peak (as above, size N, best
 *       of 3) measured just before the warm-up and just after the timing, so
 *       that a busy machine slows both sides of "% of peak" alike.
 *
 *   bench_step probe [--reps R] [--seconds S] [--SETTING VALUE ...]
 *       the cost of the loss-landscape probes (probe.h) against a gradient:
 *       builds the same network (probe_n 1000 unless set), trains it 100 SGD
 *       steps, then, R times (default 5) in one process, times the float64
 *       gradient over the probe set (probe_loss with grad), one HVP
 *       (probe_hvp) and a 20-iteration sharpness probe (probe_sharpness with
 *       k 1, tol 0: never stops early; 20 Lanczos HVPs + 2 for the residuals);
 *       gradient and HVP as the mean of N calls taking about S s (default
 *       0.2), the two back to back, alternating which goes first;
 *       prints: probe <TAB> width <TAB> depth <TAB> probe examples <TAB>
 *       parameters <TAB> R <TAB> gradient ms <TAB> HVP ms <TAB> HVP/gradient
 *       <TAB> sharpness ms <TAB> sharpness/gradient <TAB> its Lanczos steps
 *       <TAB> CPU share <TAB> gradient GFLOP/s <TAB> HVP GFLOP/s <TAB> FLOP
 *       ratio HVP/gradient; times are medians over the R repeats, ratios
 *       medians of the per-repeat ratios.
 *
 * FLOPs of one step count the matrix products only (bench/README.md): a layer
 * with fan_in a, fan_out b at batch B costs 2Bab forward, 2Bab for dW and 2Bab
 * for dX, except the first layer, whose input needs no gradient. Biases,
 * activations, the loss and the update are not counted (nor are residual or
 * train_last variants: the count is that of the bench's plain MLPs). For the
 * probes, per example: the gradient costs 2ab forward + 2ab for dW + 2ab for
 * dX (not the first layer), as above; one HVP of probe_hvp (R-operator, all
 * layers trained, the v-independent pass cached by mlp_hvp_prepare as for
 * every probe set that fits its 256 MB: probe.c) costs, for the first layer,
 * 2ab each for R{z} = V h and R{dW} = R{dz}^T h, and for every other layer
 * 2ab for each of the two products of R{z}, R{dh} and R{dW}: 6 against the
 * gradient's 3 (uncached, mlp_hvp: 8, with the forward and dh products).
 * Exit codes: 0 ok, 2 usage, others as sgd_err codes (err.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_cblas.h> /* CBLAS prototypes; OpenBLAS provides the code */
#include "cfg.h"
#include "data.h"
#include "err.h"
#include "probe.h"
#include "train.h"

void openblas_set_num_threads(int);   /* OpenBLAS extensions (its cblas.h) */
char *openblas_get_config(void);

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }

static int usage(const char *msg)
{
    fprintf(stderr, "bench_step: %s\n"
                    "usage: bench_step peak [--size N] [--reps R]\n"
                    "       bench_step step [--seconds S] [--peak N] [--SETTING VALUE ...]   (settings: sgdsweep --help)\n"
                    "       bench_step probe [--reps R] [--seconds S] [--SETTING VALUE ...]\n",
            msg);
    return SGD_EUSAGE;
}

/* ---- sgemm peak --------------------------------------------------------- */

/* Best GFLOP/s of `reps` single-threaded n x n x n sgemm calls (after one
 * untimed call), C [n x n] = A [n x n] . B^T, the layout of the forward pass.
 * Returns a negative value if out of memory or the result is not finite. */
static double sgemm_peak(int n, int reps)
{
    const size_t nn = (size_t)n * n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return -1;
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
        b[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    }
    double best = INFINITY;
    for (int r = 0; r <= reps; r++) { /* r = 0 warms up */
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = now() - t0;
        if (r > 0 && dt < best)
            best = dt;
    }
    int ok = isfinite(c[nn / 2]);
    free(a), free(b), free(c);
    return ok ? 2.0 * n * n * (double)n / best * 1e-9 : -1;
}

static int run_peak(int argc, char **argv)
{
    int n = 2048, reps = 5;
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--size") == 0)
            n = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[++i]);
        else
            return usage("peak: unknown option (accepted: --size N, --reps R)");
    }
    if (n < 64 || n > 8192 || reps < 1 || reps > 100)
        return usage("peak: --size must be in 64..8192 and --reps in 1..100");
    openblas_set_num_threads(1);
    double gf = sgemm_peak(n, reps);
    if (gf < 0) {
        fprintf(stderr, "bench_step: sgemm of size %d failed (out of memory or a non-finite result)\n", n);
        return SGD_EINTERNAL;
    }
    printf("peak\t%d\t%.2f\t%s\n", n, gf, openblas_get_config());
    return 0;
}

/* ---- settings ------------------------------------------------------------ */

/* A mode's own numeric option: --name v with v in [lo, hi] (integral if isint). */
typedef struct {
    const char *name;
    double *val;
    double lo, hi;
    int isint;
} bench_opt;

/* The shapes and the method of make bench (options may change them). */
static void bench_defaults(cfg *s)
{
    cfg_defaults(s);
    s->data = DATA_TEACHER;
    s->n_train = 4096;
    s->n_test = 256;
    s->d_in = 32;
    s->classes = 10;
    s->loss = LOSS_CE;
    s->act = ACT_RELU;
    s->optimizer = OPT_SGD;
    s->sampling = SAMPLE_REPLACEMENT;
    s->precision = PREC_FLOAT32;
    s->lr = 0.01;
}

/* Apply argv[2..] to s: the mode's own options opt[nopt] and any sgdsweep
 * setting (--name value or --name=value); then validate. Returns 0, or an
 * exit code after a message. */
static int bench_settings(cfg *s, int argc, char **argv, const bench_opt *opt, int nopt)
{
    sgd_err e = {0};
    for (int i = 2; i < argc; i++) {
        char name[128];
        const char *arg = argv[i], *val, *eq;
        if (strncmp(arg, "--", 2) != 0)
            return usage("options are --name value or --name=value");
        if ((eq = strchr(arg, '=')) != NULL) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - arg - 2), arg + 2);
            val = eq + 1;
        } else {
            if (i + 1 >= argc)
                return usage("an option lacks its value");
            snprintf(name, sizeof name, "%s", arg + 2);
            val = argv[++i];
        }
        int own = 0;
        for (int j = 0; j < nopt && !own; j++) {
            if (strcmp(name, opt[j].name) != 0)
                continue;
            char *end, msg[160];
            double v = strtod(val, &end);
            if (*end || !(v >= opt[j].lo && v <= opt[j].hi) || (opt[j].isint && v != floor(v))) {
                snprintf(msg, sizeof msg, "--%s must be %s in [%g, %g]", opt[j].name,
                         opt[j].isint ? "an integer" : "a number", opt[j].lo, opt[j].hi);
                return usage(msg);
            }
            *opt[j].val = v;
            own = 1;
        }
        if (own)
            continue;
        const cfg_field *f = cfg_find(name);
        if (!f) {
            fprintf(stderr, "bench_step: unknown setting --%s (see sgdsweep --help)\n", name);
            return SGD_EUSAGE;
        }
        if (cfg_set(s, f, val, arg, &e)) {
            fprintf(stderr, "bench_step: %s\n", e.msg);
            return e.code;
        }
    }
    if (cfg_validate(s, "", &e)) {
        fprintf(stderr, "bench_step: %s\n", e.msg);
        return e.code;
    }
    return 0;
}

/* ---- trainer step ---------------------------------------------------------- */

/* Matrix-product FLOPs of one SGD step (header comment). */
static double step_flops(const cfg *s)
{
    const double B = s->batch;
    double f = 0;
    int a = s->d_in;
    for (int l = 0; l <= s->depth; l++) {
        int b = l == s->depth ? s->classes : s->width;
        f += (l == 0 ? 4.0 : 6.0) * B * a * b;
        a = b;
    }
    return f;
}

static int run_step(int argc, char **argv)
{
    cfg s;
    sgd_err e = {0};
    double seconds = 0.3, peak = 0; /* peak: sgemm size, 0: none */
    const bench_opt opt[] = {{"seconds", &seconds, 1e-3, 60, 0}, {"peak", &peak, 64, 8192, 1}};
    bench_defaults(&s);
    int rc = bench_settings(&s, argc, argv, opt, 2);
    if (rc)
        return rc;
    const int peak_n = (int)peak;

    dataset *ds = NULL;
    trainer *t = NULL;
    if (data_make(&s, &ds, &e) || !(t = trainer_alloc(&s, ds, &e))) {
        fprintf(stderr, "bench_step: %s\n", e.msg);
        data_free(ds);
        return e.code ? e.code : SGD_EINTERNAL;
    }

    double peak0 = peak_n ? sgemm_peak(peak_n, 3) : 0;
    /* warm up for a fifth of the budget and at least 3 steps (caches, page
     * faults, clock), and calibrate the step count from it */
    double acc, loss = 0, t0 = now(), dt;
    long warm = 0;
    do {
        loss = trainer_step(t, s.lr, &acc);
        warm++;
    } while ((dt = now() - t0) < 0.2 * seconds || warm < 3);
    long n = (long)ceil(seconds / (dt / (double)warm));
    if (n < 5)
        n = 5;

    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    t0 = now();
    for (long i = 0; i < n; i++)
        loss = trainer_step(t, s.lr, &acc);
    dt = now() - t0;
    double share = (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0) / dt;
    double peak1 = peak_n ? sgemm_peak(peak_n, 3) : 0;

    trainer_free(t);
    data_free(ds);
    if (!isfinite(loss)) {
        fprintf(stderr, "bench_step: the loss diverged (%g) -- lower --lr\n", loss);
        return SGD_EINTERNAL;
    }
    if (peak0 < 0 || peak1 < 0) {
        fprintf(stderr, "bench_step: sgemm of size %d failed (out of memory or a non-finite result)\n", peak_n);
        return SGD_EINTERNAL;
    }
    printf("ours\t%d\t%d\t%d\t%ld\t%.3f\t%.3f\t%.3f", s.width, s.depth, s.batch, n, dt / (double)n * 1e6,
           step_flops(&s) * (double)n / dt * 1e-9, share);
    if (peak_n)
        printf("\t%.2f\t%.2f", peak0, peak1);
    printf("\n");
    return 0;
}

/* ---- probe cost ------------------------------------------------------------ */

/* Matrix-product FLOPs over n examples of the float64 gradient (grad = 1) or
 * of one HVP (grad = 0), all layers trained (header comment). */
static double probe_flops(const cfg *s, int n, int grad)
{
    double f = 0;
    int a = s->d_in;
    for (int l = 0; l <= s->depth; l++) {
        int b = l == s->depth ? s->classes : s->width;
        f += (grad ? (l == 0 ? 4.0 : 6.0) : (l == 0 ? 4.0 : 12.0)) * n * (double)a * b;
        a = b;
    }
    return f;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median of x[n] (sorts x) */
static double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

enum { PROBE_REPS_MAX = 101, SHARP_ITERS = 20 };

/* Mean seconds of one call over `calls` calls of the gradient (what = 0) or
 * of the HVP (what = 1); *sink accumulates a value so nothing is optimised away. */
static double time_calls(probe *p, int what, long calls, const double *v, double *out, double *sink)
{
    double t0 = now();
    for (long i = 0; i < calls; i++) {
        if (what == 0)
            *sink += probe_loss(p, out, NULL);
        else
            *sink += probe_hvp(p, v, out) ? NAN : out[probe_n_params(p) - 1];
    }
    return (now() - t0) / (double)calls;
}

static int run_probe(int argc, char **argv)
{
    cfg s;
    sgd_err e = {0};
    double seconds = 0.2, reps_d = 5;
    const bench_opt opt[] = {{"seconds", &seconds, 1e-3, 60, 0}, {"reps", &reps_d, 1, PROBE_REPS_MAX, 1}};
    openblas_set_num_threads(1); /* as the trainer does: the probes run on one core */
    bench_defaults(&s);
    s.probe_n = 1000;
    int rc = bench_settings(&s, argc, argv, opt, 2);
    if (rc)
        return rc;
    const int reps = (int)reps_d;

    dataset *ds = NULL;
    trainer *t = NULL;
    probe *p = NULL;
    double *theta = NULL, *v = NULL, *out = NULL;
    if (data_make(&s, &ds, &e) || !(t = trainer_alloc(&s, ds, &e)) || !(p = probe_alloc(&s, ds, &e))) {
        fprintf(stderr, "bench_step: %s\n", e.msg);
        rc = e.code ? e.code : SGD_EINTERNAL;
        goto out;
    }
    const size_t P = trainer_n_params(t);
    theta = malloc(P * sizeof *theta), v = malloc(P * sizeof *v), out = malloc(P * sizeof *out);
    if (!theta || !v || !out) {
        fprintf(stderr, "bench_step: out of memory (%zu parameters)\n", P);
        rc = SGD_ENOMEM;
        goto out;
    }
    /* probe a network that has moved off its initialisation (the cost does
     * not depend on where, but the loss and spectrum should be typical) */
    double acc, sink = 0;
    for (int i = 0; i < 100; i++)
        sink += trainer_step(t, s.lr, &acc);
    trainer_get_params(t, PARAMS_NOW, theta);
    probe_set_params(p, theta);
    for (size_t i = 0; i < P; i++) /* a fixed direction, entries in [-1, 1) */
        v[i] = (double)((i * 7919) % 2000) * 1e-3 - 1.0;

    /* warm-up (caches, page faults, clock) and call counts for ~seconds each */
    long calls[2];
    for (int w = 0; w < 2; w++) {
        long n = 0;
        double t0 = now(), dt;
        do {
            time_calls(p, w, 1, v, out, &sink);
            n++;
        } while ((dt = now() - t0) < 0.2 * seconds || n < 2);
        calls[w] = (long)ceil(seconds / (dt / (double)n));
        if (calls[w] < 3)
            calls[w] = 3;
    }

    double tg[PROBE_REPS_MAX], th[PROBE_REPS_MAX], ts[PROBE_REPS_MAX], rh[PROBE_REPS_MAX], rs[PROBE_REPS_MAX];
    long iters = 0, flags = 0;
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = now();
    for (int r = 0; r < reps; r++) {
        /* gradient and HVP back to back, alternating which goes first */
        for (int j = 0; j < 2; j++) {
            const int what = (r % 2) ^ j;
            double dt = time_calls(p, what, calls[what], v, out, &sink);
            *(what == 0 ? &tg[r] : &th[r]) = dt;
        }
        double top, resid, lmin, lres, t0 = now();
        flags = 0;
        rc = probe_sharpness(p, 1, SHARP_ITERS, 0, &top, &resid, &lmin, &lres, &iters, &flags);
        ts[r] = now() - t0;
        if (rc || (flags & PF_NONFINITE)) {
            fprintf(stderr, "bench_step: probe_sharpness failed (rc %d, flags %ld)\n", rc, flags);
            rc = rc ? rc : SGD_EINTERNAL;
            goto out;
        }
        sink += resid; /* with tol 0, top and lmin are NaN (not converged); the residual is finite */
        rh[r] = th[r] / tg[r], rs[r] = ts[r] / tg[r];
    }
    double share = (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0) / (now() - w0);
    if (!isfinite(sink)) {
        fprintf(stderr, "bench_step: a probe returned a non-finite value\n");
        rc = SGD_EINTERNAL;
        goto out;
    }
    const int np = probe_n_examples(p);
    const double g = median(tg, reps), h = median(th, reps), sh = median(ts, reps);
    const double fg = probe_flops(&s, np, 1), fh = probe_flops(&s, np, 0);
    printf("probe\t%d\t%d\t%d\t%zu\t%d\t%.4f\t%.4f\t%.3f\t%.3f\t%.2f\t%ld\t%.3f\t%.2f\t%.2f\t%.3f\n", s.width, s.depth,
           np, P, reps, g * 1e3, h * 1e3, median(rh, reps), sh * 1e3, median(rs, reps), iters, share,
           fg / g * 1e-9, fh / h * 1e-9, fh / fg);
out:
    free(theta), free(v), free(out);
    probe_free(p);
    trainer_free(t);
    data_free(ds);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "peak") == 0)
        return run_peak(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "step") == 0)
        return run_step(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "probe") == 0)
        return run_probe(argc, argv);
    return usage("give a mode: peak, step or probe");
}
