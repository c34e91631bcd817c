/* bench_step.c -- time trainer_step, and the single-core sgemm peak (make bench).
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
 * FLOPs of one step count the matrix products only (bench/README.md): a layer
 * with fan_in a, fan_out b at batch B costs 2Bab forward, 2Bab for dW and 2Bab
 * for dX, except the first layer, whose input needs no gradient. Biases,
 * activations, the loss and the update are not counted (nor are residual or
 * train_last variants: the count is that of the bench's plain MLPs).
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
                    "       bench_step step [--seconds S] [--peak N] [--SETTING VALUE ...]   (settings: sgdsweep --help)\n",
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
    double seconds = 0.3;
    int peak_n = 0;
    cfg_defaults(&s);
    /* the shapes and the method of make bench; options below may change them */
    s.data = DATA_TEACHER;
    s.n_train = 4096;
    s.n_test = 256;
    s.d_in = 32;
    s.classes = 10;
    s.loss = LOSS_CE;
    s.act = ACT_RELU;
    s.optimizer = OPT_SGD;
    s.sampling = SAMPLE_REPLACEMENT;
    s.precision = PREC_FLOAT32;
    s.lr = 0.01;
    for (int i = 2; i < argc; i++) {
        char name[128];
        const char *arg = argv[i], *val, *eq;
        if (strncmp(arg, "--", 2) != 0)
            return usage("step: options are --name value or --name=value");
        if ((eq = strchr(arg, '=')) != NULL) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - arg - 2), arg + 2);
            val = eq + 1;
        } else {
            if (i + 1 >= argc)
                return usage("step: an option lacks its value");
            snprintf(name, sizeof name, "%s", arg + 2);
            val = argv[++i];
        }
        if (strcmp(name, "seconds") == 0) {
            char *end;
            seconds = strtod(val, &end);
            if (*end || !(seconds > 0 && seconds <= 60))
                return usage("step: --seconds must be a number in (0, 60]");
            continue;
        }
        if (strcmp(name, "peak") == 0) {
            char *end;
            long v = strtol(val, &end, 10);
            if (*end || v < 64 || v > 8192)
                return usage("step: --peak must be an sgemm size in 64..8192");
            peak_n = (int)v;
            continue;
        }
        const cfg_field *f = cfg_find(name);
        if (!f) {
            fprintf(stderr, "bench_step: unknown setting --%s (see sgdsweep --help)\n", name);
            return SGD_EUSAGE;
        }
        if (cfg_set(&s, f, val, arg, &e)) {
            fprintf(stderr, "bench_step: %s\n", e.msg);
            return e.code;
        }
    }
    if (cfg_validate(&s, "", &e)) {
        fprintf(stderr, "bench_step: %s\n", e.msg);
        return e.code;
    }

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

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "peak") == 0)
        return run_peak(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "step") == 0)
        return run_step(argc, argv);
    return usage("give a mode: peak or step");
}
