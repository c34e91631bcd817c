/* test_spec.c -- sweep specs against independent computations.
 *
 * Expansion is checked run by run against the row-major formula, ranges
 * against numpy's linspace/geomspace written out here, random search against
 * the stream contract of docs/SPEC.md (re-derived draws) and against its
 * distributions (5-sigma tolerances, fixed seeds: deterministic, yet a wrong
 * distribution fails), SHA-256 against FIPS 180-4 vectors and sha256sum(1).
 * The malformed corpus tests/specs/bad/ pins every error message and its
 * LINE:COL. Paths are relative to the repository root (tests/run.sh). */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "cfg.h"
#include "rng.h"
#include "spec.h"
#include "testutil.h"

#define BAD_DIR "tests/specs/bad"
#define GOOD_DIR "tests/specs/good"

/* ---------------------------------------------------------------- helpers */

static spec *parse_ok(const char *text)
{
    spec *sp = NULL;
    sgd_err e = {0};
    int rc = spec_parse(text, strlen(text), "mem.yaml", &sp, &e);
    ck_assert_msg(rc == 0, "spec_parse failed (%d): %s\n--- spec:\n%s", rc, e.msg, text);
    ck_assert_ptr_nonnull(sp);
    return sp;
}

/* The error of a spec that must fail with SGD_EUSAGE. */
static void parse_bad(const char *text, const char *expect)
{
    spec *sp = (spec *)1;
    sgd_err e = {0};
    int rc = spec_parse(text, strlen(text), "mem.yaml", &sp, &e);
    ck_assert_msg(rc == SGD_EUSAGE && e.code == SGD_EUSAGE, "expected a usage error, got %d (%s)\n%s", rc, e.msg, text);
    ck_assert_ptr_null(sp);
    ck_assert_msg(strstr(e.msg, expect), "error '%s' lacks '%s'", e.msg, expect);
}

static cfg run_of(const spec *sp, long i)
{
    cfg c;
    sgd_err e = {0};
    ck_assert_msg(spec_run(sp, i, &c, &e) == 0, "spec_run %ld: %s", i, e.msg);
    return c;
}

/* |a - b| <= k ulp(b) */
static int within_ulp(double a, double b, int k)
{
    double lo = b, hi = b;
    for (int i = 0; i < k; i++)
        lo = nextafter(lo, -INFINITY), hi = nextafter(hi, INFINITY);
    return a >= lo && a <= hi;
}

/* numpy.linspace(a, b, n) (numpy/core/function_base.py): step = (b-a)/(n-1),
 * y_i = i*step + a, y_{n-1} = b. */
static void np_linspace(double a, double b, int n, double *y)
{
    double step = n > 1 ? (b - a) / (n - 1) : 0;
    for (int i = 0; i < n; i++)
        y[i] = i * step + a;
    if (n > 1)
        y[n - 1] = b;
}

/* numpy.geomspace: 10 ** linspace(log10 a, log10 b), then y_0 = a, y_{n-1} = b. */
static void np_geomspace(double a, double b, int n, double *y)
{
    np_linspace(log10(a), log10(b), n, y);
    for (int i = 0; i < n; i++)
        y[i] = pow(10.0, y[i]);
    y[0] = a;
    if (n > 1)
        y[n - 1] = b;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* sha256sum(1) of a file, as 64 hex digits. */
static void sha256sum(const char *path, char hex[65])
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run sha256sum");
    ck_assert_msg(fscanf(p, "%64s", hex) == 1, "no output from sha256sum");
    ck_assert_int_eq(pclose(p), 0);
}

/* Memory bounds are for the plain build; AddressSanitizer's shadow memory
 * and quarantine multiply resident memory. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_SCALE 6
#else
#define RSS_SCALE 1
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "parameters: " then n '[' and n ']' (close = 0: no ']') */
static char *nested_lists(size_t n, int close)
{
    char *t = malloc(2 * n + 32);
    size_t l = (size_t)sprintf(t, "parameters: ");
    memset(t + l, '[', n);
    memset(t + l + n, ']', close ? n : 0);
    l += close ? 2 * n : n;
    t[l] = '\n', t[l + 1] = 0;
    return t;
}

/* ---------------------------------------------------------------- SHA-256 */

START_TEST(sha256_vectors)
{
    /* FIPS 180-4 / NIST CAVS examples */
    char h[65];
    spec_sha256("", 0, h);
    ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    spec_sha256("abc", 3, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    spec_sha256(m448, strlen(m448), h);
    ck_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    spec_sha256(a, 1000000, h);
    free(a);
    ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* Every padding case (one or two final blocks) against sha256sum. */
START_TEST(sha256_block_boundaries)
{
    static const int lens[] = {1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000};
    char path[] = "/tmp/test_spec_shaXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        int n = lens[k];
        unsigned char buf[1000];
        for (int i = 0; i < n; i++)
            buf[i] = (unsigned char)(i * 37 + 11);
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq((int)fwrite(buf, 1, (size_t)n, f), n);
        fclose(f);
        char mine[65], ref[65];
        spec_sha256(buf, (size_t)n, mine);
        sha256sum(path, ref);
        ck_assert_msg(!strcmp(mine, ref), "length %d: %s vs sha256sum %s", n, mine, ref);
    }
    unlink(path);
}
END_TEST

/* ---------------------------------------------------------------- grid */

START_TEST(grid_expansion_order)
{
    /* seeds first: dims seed(2) x width(2) x depth(3), the last fastest */
    spec *sp = parse_ok("seeds: 2\n"
                        "parameters:\n"
                        "  width: [64, 128]\n"
                        "  depth: {values: [1, 2, 3]}\n"
                        "  lr: 0.0375\n");
    static const int W[] = {64, 128}, D[] = {1, 2, 3};
    ck_assert_int_eq(sp->method, SPEC_GRID);
    ck_assert_int_eq((int)sp->n_runs, 12);
    ck_assert_int_eq(sp->n_dims, 3);
    ck_assert_str_eq(sp->dims[0].name, "seed");
    ck_assert_str_eq(sp->dims[1].name, "width");
    ck_assert_str_eq(sp->dims[2].name, "depth");
    ck_assert_int_eq(sp->dims[0].n, 2);
    ck_assert_int_eq(sp->dims[1].n, 2);
    ck_assert_int_eq(sp->dims[2].n, 3);
    cfg def;
    cfg_defaults(&def);
    for (long i = 0; i < 12; i++) {
        int s = (int)(i / 6), w = (int)(i / 3 % 2), d = (int)(i % 3), idx[3];
        cfg c = run_of(sp, i);
        ck_assert_int_eq((int)c.seed, s);
        ck_assert_int_eq(c.width, W[w]);
        ck_assert_int_eq(c.depth, D[d]);
        ck_assert(c.lr == 0.0375);
        ck_assert_int_eq(c.batch, def.batch);
        ck_assert_int_eq(c.n_train, def.n_train);
        spec_run_index(sp, i, idx);
        ck_assert_int_eq(idx[0], s);
        ck_assert_int_eq(idx[1], w);
        ck_assert_int_eq(idx[2], d);
    }
    /* run 7 = seed 1, width 64, depth 2 */
    cfg c = run_of(sp, 7);
    ck_assert(c.seed == 1 && c.width == 64 && c.depth == 2);
    ck_assert_int_eq(sp->base.width, def.width); /* swept keys stay out of base */
    ck_assert(sp->base.lr == 0.0375);
    spec_free(sp);

    /* seeds last: now the seed varies fastest */
    sp = parse_ok("parameters:\n  width: [64, 128]\n  depth: [1, 2, 3]\nseeds: [5, 9]\n");
    ck_assert_int_eq((int)sp->n_runs, 12);
    ck_assert_str_eq(sp->dims[2].name, "seed");
    c = run_of(sp, 7); /* width 128, depth 1, seed 9 */
    ck_assert(c.width == 128 && c.depth == 1 && c.seed == 9);
    spec_free(sp);
}
END_TEST

START_TEST(grid_no_axes)
{
    spec *sp = parse_ok("name: one\nparameters:\n  width: 96\n");
    ck_assert_int_eq((int)sp->n_runs, 1);
    ck_assert_int_eq(sp->n_dims, 0);
    ck_assert_int_eq(run_of(sp, 0).width, 96);
    sgd_err e = {0};
    cfg c;
    ck_assert_int_eq(spec_run(sp, 1, &c, &e), SGD_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "out of range"));
    spec_free(sp);
}
END_TEST

START_TEST(shorthand_equivalence)
{
    spec *a = parse_ok("parameters:\n  width: 48\n  act: [tanh, gelu]\n  standardize: true\n");
    spec *b = parse_ok("parameters:\n  width: {value: 48}\n  act: {values: [tanh, gelu]}\n"
                       "  standardize: {value: true}\n");
    ck_assert_int_eq((int)a->n_runs, 2);
    ck_assert_int_eq((int)b->n_runs, 2);
    for (long i = 0; i < 2; i++) {
        cfg x = run_of(a, i), y = run_of(b, i);
        ck_assert(memcmp(&x, &y, sizeof x) == 0);
        ck_assert_int_eq(x.width, 48);
        ck_assert_int_eq(x.act, i ? ACT_GELU : ACT_TANH);
        ck_assert_int_eq(x.standardize, 1);
    }
    ck_assert_str_ne(a->sha256, b->sha256);
    spec_free(a);
    spec_free(b);
}
END_TEST

START_TEST(linspace_geomspace)
{
    /* linspace(0.1, 0.5, 5): numpy's formula exactly, each within 1 ulp of
     * the decimal, the ends exact */
    spec *sp = parse_ok("parameters:\n  lr: {min: 0.1, max: 0.5, num: 5}\n");
    double ref[64], dec[] = {0.1, 0.2, 0.3, 0.4, 0.5};
    np_linspace(0.1, 0.5, 5, ref);
    ck_assert_int_eq((int)sp->n_runs, 5);
    for (int i = 0; i < 5; i++) {
        double v = run_of(sp, i).lr;
        ck_assert_msg(v == ref[i], "linspace[%d] = %.17g, numpy %.17g", i, v, ref[i]);
        ck_assert_msg(within_ulp(v, dec[i], 1), "linspace[%d] = %.17g vs %.17g", i, v, dec[i]);
        ck_assert(strtod(sp->axes[0].values[i], NULL) == v); /* text round-trips */
    }
    ck_assert(run_of(sp, 0).lr == 0.1 && run_of(sp, 4).lr == 0.5);
    spec_free(sp);

    /* an uneven linear range */
    sp = parse_ok("parameters:\n  init_scale: {min: 2.385, max: 7.1, num: 7, scale: linear}\n");
    np_linspace(2.385, 7.1, 7, ref);
    for (int i = 0; i < 7; i++)
        ck_assert(run_of(sp, i).init_scale == ref[i]);
    spec_free(sp);

    /* geomspace(1e-4, 1, 5): within 1 ulp of the powers of ten, ends exact */
    sp = parse_ok("parameters:\n  lr: {min: 1e-4, max: 1, num: 5, scale: log}\n");
    double pw[] = {1e-4, 1e-3, 1e-2, 1e-1, 1};
    np_geomspace(1e-4, 1, 5, ref);
    for (int i = 0; i < 5; i++) {
        double v = run_of(sp, i).lr;
        ck_assert_msg(v == ref[i], "geomspace[%d] = %.17g, numpy %.17g", i, v, ref[i]);
        ck_assert_msg(within_ulp(v, pw[i], 1), "geomspace[%d] = %.17g vs %.17g", i, v, pw[i]);
    }
    ck_assert(run_of(sp, 0).lr == 1e-4 && run_of(sp, 4).lr == 1.0);
    spec_free(sp);

    /* an uneven log range: constant ratio (2.385 .. 917.3, 9 points) */
    sp = parse_ok("parameters:\n  weight_decay: {min: 2.385, max: 917.3, num: 9, scale: log}\n");
    double q = pow(917.3 / 2.385, 1.0 / 8);
    for (int i = 0; i < 9; i++) {
        double v = run_of(sp, i).weight_decay;
        ck_assert_msg(fabs(v / (2.385 * pow(q, i)) - 1) < 1e-14, "geomspace[%d] = %.17g", i, v);
    }
    ck_assert(run_of(sp, 8).weight_decay == 917.3);
    spec_free(sp);

    /* num 1 gives min (as numpy does) */
    sp = parse_ok("parameters:\n  lr: {min: 0.25, max: 0.75, num: 1}\n");
    ck_assert_int_eq((int)sp->n_runs, 1);
    ck_assert(run_of(sp, 0).lr == 0.25);
    spec_free(sp);
}
END_TEST

START_TEST(int_rounding)
{
    spec *sp = parse_ok("parameters:\n"
                        "  width: {min: 16, max: 1024, num: 7, scale: log}\n"
                        "  batch: {min: 1, max: 100, num: 5, scale: log}\n"
                        "  depth: {min: 1, max: 10, num: 4}\n");
    static const int W[] = {16, 32, 64, 128, 256, 512, 1024}, B[] = {1, 3, 10, 32, 100}, D[] = {1, 4, 7, 10};
    ck_assert_int_eq((int)sp->n_runs, 7 * 5 * 4);
    for (long i = 0; i < sp->n_runs; i++) {
        cfg c = run_of(sp, i);
        ck_assert_int_eq(c.width, W[i / 20]);
        ck_assert_int_eq(c.batch, B[i / 4 % 5]);
        ck_assert_int_eq(c.depth, D[i % 4]);
    }
    ck_assert_str_eq(sp->axes[1].values[3], "32"); /* 10^1.5 = 31.6 */
    spec_free(sp);
    parse_bad("parameters:\n  depth: {min: 1, max: 3, num: 4}\n", "mem.yaml:2:10: depth: num 4 gives duplicate integers");
}
END_TEST

START_TEST(zip_dims)
{
    /* width first, then the zipped pair placed where its first member appears */
    spec *sp = parse_ok("parameters:\n"
                        "  width: [64, 128]\n"
                        "  temperature: [1e-3, 2e-3, 4e-3]\n"
                        "  depth: 3\n"
                        "  batch: [16, 32, 64]\n"
                        "zip: [[batch, temperature]]\n");
    static const int W[] = {64, 128}, B[] = {16, 32, 64};
    static const double T[] = {1e-3, 2e-3, 4e-3};
    ck_assert_int_eq((int)sp->n_runs, 6);
    ck_assert_int_eq(sp->n_dims, 2);
    ck_assert_str_eq(sp->dims[0].name, "width");
    ck_assert_str_eq(sp->dims[1].name, "batch_temperature");
    ck_assert_int_eq(sp->dims[1].n, 3);
    ck_assert_int_eq(sp->dims[1].n_axes, 2);
    ck_assert_str_eq(sp->axes[sp->dims[1].axes[0]].name, "batch");
    ck_assert_str_eq(sp->axes[sp->dims[1].axes[1]].name, "temperature");
    for (long i = 0; i < 6; i++) {
        cfg c = run_of(sp, i);
        int k = (int)(i % 3);
        ck_assert_int_eq(c.width, W[i / 3]);
        ck_assert_int_eq(c.batch, B[k]);
        ck_assert_int_eq(c.depth, 3);
        ck_assert_msg(c.lr == T[k] * (double)B[k], "run %ld: lr %.17g", i, c.lr);
    }
    spec_free(sp);

    /* two groups and a plain axis between them */
    sp = parse_ok("parameters:\n"
                  "  momentum: [0, 0.5]\n  width: [8, 16, 32]\n  depth: [1, 2]\n  d_in: [4, 5, 6]\n"
                  "  weight_decay: [0.1, 0.2]\n"
                  "zip: [[d_in, width], [weight_decay, momentum]]\n");
    ck_assert_int_eq((int)sp->n_runs, 2 * 3 * 2);
    ck_assert_int_eq(sp->n_dims, 3);
    ck_assert_str_eq(sp->dims[0].name, "weight_decay_momentum");
    ck_assert_str_eq(sp->dims[1].name, "d_in_width");
    ck_assert_str_eq(sp->dims[2].name, "depth");
    cfg c = run_of(sp, 11);
    ck_assert(c.momentum == 0.5 && c.weight_decay == 0.2 && c.width == 32 && c.d_in == 6 && c.depth == 2);
    c = run_of(sp, 2);
    ck_assert(c.momentum == 0 && c.weight_decay == 0.1 && c.width == 16 && c.d_in == 5 && c.depth == 1);
    spec_free(sp);
}
END_TEST

START_TEST(temperature)
{
    /* fixed temperature, swept batch: lr = T * batch exactly */
    spec *sp = parse_ok("parameters:\n  temperature: 0.0025\n  batch: [8, 64, 100]\n");
    static const int B[] = {8, 64, 100};
    for (long i = 0; i < 3; i++) {
        cfg c = run_of(sp, i);
        ck_assert_msg(c.lr == 0.0025 * (double)B[i], "lr %.17g", c.lr);
    }
    spec_free(sp);
    /* swept temperature, default batch */
    sp = parse_ok("parameters:\n  temperature: {min: 1e-4, max: 1e-2, num: 3, scale: log}\n");
    cfg def;
    cfg_defaults(&def);
    ck_assert(run_of(sp, 1).lr == strtod(sp->axes[0].values[1], NULL) * def.batch);
    spec_free(sp);
    parse_bad("parameters:\n  lr: 0.1\n  temperature: 1e-3\n", "mem.yaml:2:3: lr: not allowed with temperature (line 3)");
    parse_bad("parameters:\n  temperature: -1\n", "mem.yaml:2:16: temperature: value '-1' out of range");
    /* the derived lr is what cfg_validate sees */
    parse_bad("parameters:\n  lr_schedule: cosine\n  lr_min: 0.01\n  temperature: 1e-3\n  batch: [32, 8]\n",
              "mem.yaml:3:3: lr_min: 0.01 is above lr 0.008 (run 1)");
}
END_TEST

/* ---------------------------------------------------------------- random */

/* A random search over ranges of every kind and a list. */
static void random_spec(char *buf, size_t size, int run_count, int sampling_seed)
{
    snprintf(buf, size,
             "method: random\n"
             "run_count: %d\n"
             "sampling_seed: %d\n"
             "parameters:\n"
             "  lr: {min: 1e-4, max: 1, scale: log}\n"
             "  momentum: {min: 0.1, max: 0.9}\n"
             "  depth: {min: 1, max: 4}\n"
             "  width: {min: 16, max: 1024, scale: log}\n"
             "  act: [relu, tanh, gelu]\n"
             "  n_train: 512\n",
             run_count, sampling_seed);
}

START_TEST(random_deterministic)
{
    char text[1024], other[1024];
    random_spec(text, sizeof text, 400, 2385);
    random_spec(other, sizeof other, 400, 2386);
    spec *a = parse_ok(text), *b = parse_ok(text);
    ck_assert_int_eq(a->method, SPEC_RANDOM);
    ck_assert_int_eq((int)a->n_runs, 400);
    ck_assert_int_eq(a->n_dims, 0);
    ck_assert_ptr_null(a->dims);
    ck_assert_str_eq(a->sha256, b->sha256);
    /* same text -> same runs, whatever order they are asked for in */
    cfg *fwd = malloc(400 * sizeof *fwd);
    for (long i = 0; i < 400; i++)
        fwd[i] = run_of(a, i);
    for (long i = 399; i >= 0; i--) {
        cfg z = run_of(b, i);
        ck_assert_msg(memcmp(&fwd[i], &z, sizeof z) == 0, "run %ld differs", i);
    }
    free(fwd);
    /* runs differ from each other, and from another sampling_seed */
    spec *c = parse_ok(other);
    int same = 0, same_next = 0;
    for (long i = 0; i < 400; i++) {
        same += run_of(a, i).lr == run_of(c, i).lr;
        same_next += i + 1 < 400 && run_of(a, i).lr == run_of(a, i + 1).lr;
    }
    ck_assert_int_eq(same, 0);
    ck_assert_int_eq(same_next, 0);
    spec_free(a);
    spec_free(b);
    spec_free(c);
}
END_TEST

/* Run i's draws re-derived from the contract: stream
 * rng_stream(rng_hash(sampling_seed, i), 100); one draw per axis in spec
 * order; uniform_int(n) for a list, uniform u in [0,1) for a range. */
START_TEST(random_contract)
{
    char text[1024];
    random_spec(text, sizeof text, 400, 2385);
    spec *sp = parse_ok(text);
    for (long i = 0; i < 50; i++) {
        gsl_rng *r = rng_stream(rng_hash(2385, (uint64_t)i), 100);
        double u_lr = gsl_rng_uniform(r), u_mom = gsl_rng_uniform(r), u_depth = gsl_rng_uniform(r);
        double u_width = gsl_rng_uniform(r);
        unsigned long k_act = gsl_rng_uniform_int(r, 3);
        gsl_rng_free(r);
        cfg c = run_of(sp, i);
        double lr = exp(log(1e-4) + u_lr * (log(1.0) - log(1e-4)));
        ck_assert_msg(c.lr == lr, "run %ld: lr %.17g vs %.17g", i, c.lr, lr);
        ck_assert(c.momentum == 0.1 + u_mom * (0.9 - 0.1));
        ck_assert_int_eq(c.depth, 1 + (int)(u_depth * 4));
        ck_assert_int_eq(c.width, (int)llround(exp(log(16.0) + u_width * (log(1024.0) - log(16.0)))));
        static const int acts[] = {ACT_RELU, ACT_TANH, ACT_GELU};
        ck_assert_int_eq(c.act, acts[k_act]);
        ck_assert_int_eq(c.n_train, 512);
    }
    spec_free(sp);
}
END_TEST

START_TEST(random_distributions)
{
    const int n = 4000;
    char text[1024];
    random_spec(text, sizeof text, n, 2385);
    spec *sp = parse_ok(text);
    ck_assert_int_eq((int)sp->n_runs, n);
    double sum_log = 0;
    int bins[8] = {0}, depth[5] = {0}, act[7] = {0};
    for (long i = 0; i < n; i++) {
        cfg c = run_of(sp, i);
        /* ranges respected */
        ck_assert(c.lr >= 1e-4 && c.lr <= 1);
        ck_assert(c.momentum >= 0.1 && c.momentum < 0.9);
        ck_assert(c.depth >= 1 && c.depth <= 4);
        ck_assert(c.width >= 16 && c.width <= 1024);
        double l = log10(c.lr);
        sum_log += l;
        bins[(int)((l + 4) / 4 * 8) < 8 ? (int)((l + 4) / 4 * 8) : 7]++;
        depth[c.depth]++;
        act[c.act]++;
    }
    /* log-uniform: log10(lr) ~ U(-4, 0): mean -2, sd 4/sqrt(12); a linear
     * draw would give a mean log10 near -0.43 */
    double se = 4 / sqrt(12.0) / sqrt((double)n);
    ck_assert_msg(fabs(sum_log / n + 2) < 5 * se, "mean log10(lr) %.4f", sum_log / n);
    /* 8 equal bins in log10: binomial(n, 1/8) each */
    double sd8 = sqrt(n * (1.0 / 8) * (7.0 / 8));
    for (int b = 0; b < 8; b++)
        ck_assert_msg(fabs(bins[b] - n / 8.0) < 5 * sd8, "log bin %d: %d of %d", b, bins[b], n);
    /* integers 1..4, both ends included, equally likely */
    double sd4 = sqrt(n * 0.25 * 0.75);
    for (int d = 1; d <= 4; d++)
        ck_assert_msg(fabs(depth[d] - n / 4.0) < 5 * sd4, "depth %d: %d", d, depth[d]);
    /* categorical: each value about a third */
    double sd3 = sqrt(n * (1.0 / 3) * (2.0 / 3));
    static const int acts[] = {ACT_RELU, ACT_TANH, ACT_GELU};
    for (int k = 0; k < 3; k++)
        ck_assert_msg(fabs(act[acts[k]] - n / 3.0) < 5 * sd3, "act %d: %d", acts[k], act[acts[k]]);
    ck_assert_int_eq(act[ACT_SIGMOID] + act[ACT_IDENTITY], 0);
    spec_free(sp);
}
END_TEST

START_TEST(random_seeds_and_zip)
{
    /* seeds multiply: run_count configurations x 3 seeds, the seed fastest;
     * a zip group is one draw of a shared index */
    spec *sp = parse_ok("method: random\nrun_count: 50\nseeds: 3\nparameters:\n"
                        "  lr_min: 0\n"
                        "  batch: [16, 32, 64, 128]\n"
                        "  temperature: [1e-4, 2e-4, 3e-4, 4e-4]\n"
                        "  width: {min: 8, max: 64}\n"
                        "zip: [[batch, temperature]]\n");
    ck_assert_int_eq((int)sp->n_runs, 150);
    static const double T[] = {1e-4, 2e-4, 3e-4, 4e-4};
    int seen[4] = {0};
    for (long ci = 0; ci < 50; ci++) {
        cfg first = run_of(sp, ci * 3);
        for (int s = 0; s < 3; s++) {
            cfg c = run_of(sp, ci * 3 + s);
            ck_assert_int_eq((int)c.seed, s);
            ck_assert(c.width == first.width && c.batch == first.batch && c.lr == first.lr);
            int k = c.batch == 16 ? 0 : c.batch == 32 ? 1 : c.batch == 64 ? 2 : 3;
            ck_assert_msg(c.lr == T[k] * (double)c.batch, "lr %.17g batch %d", c.lr, c.batch);
            seen[k]++;
        }
    }
    for (int k = 0; k < 4; k++)
        ck_assert_int_gt(seen[k], 0);
    spec_free(sp);
}
END_TEST


/* ---------------------------------------------------------------- limits */

/* Deep nesting: libyaml's scanner and loader are quadratic in the depth
 * (100,000 '[' took 26-79 s). The events are read first and the 65th open
 * collection is refused where it starts: the root mapping is level 1, the
 * first '[' (column 13) level 2, so level 65 is the 64th '[' at column 76. */
START_TEST(deep_nesting)
{
    char *t = nested_lists(100000, 1);
    double t0 = now();
    parse_bad(t, "mem.yaml:1:76: YAML nesting deeper than 64 levels");
    double dt = now() - t0;
    ck_assert_msg(dt < 1.0, "100,000 '[' took %.2f s to be refused", dt);
    free(t);
    t = nested_lists(100000, 0); /* never closed: still the depth, not the syntax */
    parse_bad(t, "mem.yaml:1:76: YAML nesting deeper than 64 levels");
    free(t);
    /* exactly 64 levels (63 lists under the root mapping) pass the reader
     * and reach the spec's own checks */
    t = nested_lists(63, 1);
    parse_bad(t, "mem.yaml:1:13: parameters: expected a mapping of setting names to values, not a list");
    free(t);
    /* block nesting (indentation) counts alike: key k<i> at line i+1, column i+1 */
    char blk[16384];
    size_t l = 0;
    for (int i = 0; i < 70; i++)
        l += (size_t)snprintf(blk + l, sizeof blk - l, "%*sk%d:\n", i, "", i);
    parse_bad(blk, "mem.yaml:65:65: YAML nesting deeper than 64 levels");
    /* the limit is on depth, not on how many collections: 5000 flat lists are fine
     * for the reader (and then refused by the spec's own rules) */
    char *flat = malloc(5000 * 8 + 64);
    l = (size_t)sprintf(flat, "parameters:\n  width: [");
    for (int i = 0; i < 5000; i++)
        l += (size_t)sprintf(flat + l, "%s[1]", i ? ", " : "");
    sprintf(flat + l, "]\n");
    parse_bad(flat, "mem.yaml:2:11: width: list items must be single values, not a list");
    free(flat);
}
END_TEST

/* Write text (len bytes) to a temporary file; returns its path (free it). */
static char *write_tmp(const char *text, size_t len)
{
    char *path = strdup("/tmp/test_spec_bigXXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert(write(fd, text, len) == (ssize_t)len);
    close(fd);
    return path;
}

/* spec_load(path) in a child process: its exit status is the error code, its
 * peak resident memory comes back in *rss_mb, its wall time in *secs. */
static int load_in_child(const char *path, double *rss_mb, double *secs, char *msg, size_t msg_size)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    double t0 = now();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        spec *sp = NULL;
        sgd_err e = {0};
        int rc = spec_load(path, &sp, &e);
        ssize_t w = write(fds[1], e.msg, strlen(e.msg));
        (void)w;
        spec_free(sp);
        _exit(rc);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], msg, msg_size - 1);
    msg[n > 0 ? n : 0] = 0;
    close(fds[0]);
    int status;
    struct rusage ru;
    ck_assert_int_eq((int)wait4(pid, &status, 0, &ru), (int)pid);
    *secs = now() - t0;
    *rss_mb = (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Spec size: a file over SPEC_MAX_TEXT is refused before it is read whole,
 * and what is allowed is bounded in memory: SPEC_MAX_NODES YAML nodes at
 * most (libyaml's document takes ~170 bytes a node: 62 MB of list items took
 * 940 MB per rank before these limits). */
START_TEST(spec_size_limits)
{
    const size_t big = (size_t)SPEC_MAX_TEXT + 1;
    char *text = malloc(big + 1);
    /* a comment line padded out: valid YAML, so only the size can refuse it */
    memset(text, ' ', big);
    memcpy(text, "name: x\n#", 10);
    text[big - 1] = '\n';
    char *path = write_tmp(text, big), msg[1024], want[600];
    double rss, secs;
    int rc = load_in_child(path, &rss, &secs, msg, sizeof msg);
    snprintf(want, sizeof want, "%s: larger than %ld bytes (the limit of a spec, docs/SPEC.md)", path,
             (long)SPEC_MAX_TEXT);
    ck_assert_int_eq(rc, SGD_EUSAGE);
    ck_assert_str_eq(msg, want);
    ck_assert_msg(secs < 0.5, "refusing took %.2f s", secs);
    ck_assert_msg(rss < 64 * RSS_SCALE, "refusing a %zu-byte file took %.0f MB", big, rss);
    unlink(path);
    free(path);

    /* just under the byte limit, as dense as YAML gets ("1," per item):
     * refused by the node limit while reading events, at the item that
     * passes it, before libyaml builds a document */
    size_t len = 0;
    len += (size_t)sprintf(text, "parameters:\n  width: [");
    const size_t items = ((size_t)SPEC_MAX_TEXT - 64) / 2;
    for (size_t i = 0; i < items; i++)
        text[len++] = '1', text[len++] = ',';
    text[len - 1] = ']', text[len++] = '\n';
    ck_assert(len <= (size_t)SPEC_MAX_TEXT);
    path = write_tmp(text, len);
    rc = load_in_child(path, &rss, &secs, msg, sizeof msg);
    ck_assert_int_eq(rc, SGD_EUSAGE);
    /* nodes: the root mapping, `parameters`, its mapping, `width`, the list,
     * then item k (0-based, at column 11 + 2k) is node 6 + k */
    snprintf(want, sizeof want, "%s:2:%ld: more than %ld YAML nodes (the limit of a spec, docs/SPEC.md)", path,
             11L + 2L * (SPEC_MAX_NODES - 5), (long)SPEC_MAX_NODES);
    ck_assert_str_eq(msg, want);
    ck_assert_msg(rss < 64 * RSS_SCALE, "refusing %zu items took %.0f MB", items, rss);
    unlink(path);
    free(path);

    /* the largest list allowed (SPEC_MAX_NODES nodes in all): read, built
     * and checked in bounded memory */
    len = (size_t)sprintf(text, "parameters:\n  width: [");
    for (long i = 0; i < SPEC_MAX_NODES - 5; i++)
        text[len++] = '1', text[len++] = ',';
    text[len - 1] = ']', text[len++] = '\n';
    path = write_tmp(text, len);
    rc = load_in_child(path, &rss, &secs, msg, sizeof msg);
    ck_assert_int_eq(rc, SGD_EUSAGE);
    ck_assert_msg(strstr(msg, ":2:13: width: value '1' is already in the list (item 1)"), "%s", msg);
    fprintf(stderr, "spec_size_limits: %ld-node spec of %zu bytes: peak RSS %.0f MB, %.2f s\n",
            (long)SPEC_MAX_NODES, len, rss, secs);
    ck_assert_msg(rss < 100 * RSS_SCALE, "a %zu-byte spec of %ld nodes took %.0f MB", len, (long)SPEC_MAX_NODES, rss);
    unlink(path);
    free(path);
    free(text);
}
END_TEST

/* The derived lr = temperature * batch is checked like train --lr. */
START_TEST(derived_lr_range)
{
    parse_bad("parameters:\n  temperature: [1e300, 1e-3]\n  batch: 8\n",
              "mem.yaml:2:3: lr = temperature * batch: value '8e+300' out of range");
    parse_bad("parameters:\n  temperature: [1e-3, 1e300]\n  batch: 8\n", "(run 1)");
    /* below the bound (--lr accepts up to 1e300) it is a valid lr */
    spec *sp = parse_ok("parameters:\n  temperature: 1e299\n  batch: 8\n  steps: 1\n");
    ck_assert(run_of(sp, 0).lr == 1e299 * 8);
    spec_free(sp);
    /* random search: every draw is checked too */
    parse_bad("method: random\nrun_count: 20\nparameters:\n  temperature: {min: 1e-3, max: 1e300}\n  batch: 64\n",
              "mem.yaml:4:3: lr = temperature * batch: value");
}
END_TEST

/* ---------------------------------------------------------------- W&B sweep configs */

#define WANDB_DIR "tests/specs/wandb"

static spec *load_ok(const char *path)
{
    spec *sp = NULL;
    sgd_err e = {0};
    ck_assert_msg(spec_load(path, &sp, &e) == 0, "%s: %s", path, e.msg);
    return sp;
}

static int has_note(const spec *sp, const char *part)
{
    for (int i = 0; i < sp->n_notes; i++)
        if (strstr(sp->notes[i], part))
            return 1;
    return 0;
}

/* W&B's documented example, its draws re-derived from docs/SPEC.md's
 * formulas: log_uniform_values exp(log min + u (log max - log min)),
 * q_log_uniform_values round(X/q) q, int_uniform min + floor(u (max-min+1)),
 * categorical uniform_int(n); one draw each, in spec order. */
START_TEST(wandb_random_docs)
{
    spec *sp = load_ok(WANDB_DIR "/random_docs.yaml");
    ck_assert_int_eq(sp->method, SPEC_RANDOM);
    ck_assert_int_eq((int)sp->n_runs, 40); /* run_cap: the number of runs */
    ck_assert_int_eq(sp->n_axes, 4);
    ck_assert_str_eq(sp->axes[0].name, "lr");
    ck_assert_int_eq(sp->axes[0].dist, SPEC_DIST_LOG_UNIFORM);
    ck_assert_int_eq(sp->axes[1].dist, SPEC_DIST_LOG_UNIFORM);
    ck_assert(sp->axes[1].q == 8);
    ck_assert_int_eq(sp->axes[2].dist, SPEC_DIST_INT_UNIFORM);
    ck_assert_int_eq(sp->axes[3].n, 3);
    ck_assert_str_eq(sp->metric, "test_loss");
    ck_assert_int_eq(sp->metric_goal, -1);
    ck_assert(has_note(sp, "program: ignored") && has_note(sp, "project: ignored") && has_note(sp, "entity: ignored"));
    ck_assert(has_note(sp, "run_cap 40"));
    char d[200];
    spec_axis_describe(&sp->axes[1], d, sizeof d);
    ck_assert_str_eq(d, "q_log_uniform_values [32, 256], q 8");
    static const int acts[] = {ACT_RELU, ACT_TANH, ACT_GELU};
    for (long i = 0; i < 40; i++) {
        gsl_rng *r = rng_stream(rng_hash(0, (uint64_t)i), 100);
        double u0 = gsl_rng_uniform(r), u1 = gsl_rng_uniform(r), u2 = gsl_rng_uniform(r);
        unsigned long k = gsl_rng_uniform_int(r, 3);
        gsl_rng_free(r);
        cfg c = run_of(sp, i);
        double lr = exp(log(1e-4) + u0 * (log(0.1) - log(1e-4)));
        ck_assert_msg(within_ulp(c.lr, lr, 2), "run %ld: lr %.17g vs %.17g", i, c.lr, lr);
        ck_assert_int_eq(c.batch, (int)(nearbyint(exp(log(32.0) + u1 * (log(256.0) - log(32.0))) / 8) * 8));
        ck_assert(c.batch % 8 == 0 && c.batch >= 32 && c.batch <= 256);
        ck_assert_int_eq(c.depth, 1 + (int)floor(u2 * 4));
        ck_assert_int_eq(c.act, acts[k]);
        ck_assert(c.width == 32 && c.steps == 200 && c.n_train == 512);
    }
    spec_free(sp);
}
END_TEST

/* Every other W&B distribution, re-derived; run_cap 60 with seeds: 3 is 20
 * configurations, the seed fastest. Normal draws take one uniform too:
 * mu + sigma Phi^-1(u + 2^-33). */
START_TEST(wandb_random_all)
{
    spec *sp = load_ok(WANDB_DIR "/random_all.yaml");
    ck_assert_int_eq((int)sp->n_runs, 60);
    ck_assert_str_eq(sp->metric, "test_acc");
    ck_assert_int_eq(sp->metric_goal, 1);
    ck_assert(has_note(sp, "target"));
    const double h = 0x1p-33;
    for (long ci = 0; ci < 20; ci++) {
        gsl_rng *r = rng_stream(rng_hash(2385, (uint64_t)ci), 100);
        double u[11];
        for (int j = 0; j < 11; j++)
            u[j] = gsl_rng_uniform(r);
        gsl_rng_free(r);
        double want[10] = {
            0.1 + u[0] * (0.9 - 0.1),                                     /* uniform */
            nearbyint((0 + u[1] * 0.01) / 0.001) * 0.001,                  /* q_uniform */
            exp(-9.21 + u[2] * (-2.3 + 9.21)),                             /* log_uniform: ln bounds */
            nearbyint(exp(-13.8 + u[3] * (-11.5 + 13.8)) / 1e-6) * 1e-6,   /* q_log_uniform */
            1 + 0.1 * gsl_cdf_ugaussian_Pinv(u[4] + h),                    /* normal */
            nearbyint((0.3 + 0.05 * gsl_cdf_ugaussian_Pinv(u[5] + h)) / 0.01) * 0.01, /* q_normal */
            exp(-7 + 0.5 * gsl_cdf_ugaussian_Pinv(u[6] + h)),              /* log_normal */
            nearbyint(exp(1 + 0.3 * gsl_cdf_ugaussian_Pinv(u[7] + h)) / 0.5) * 0.5, /* q_log_normal */
            exp(-(-1 + u[8] * (0 + 1))),                                   /* inv_log_uniform */
            1 / exp(log(1 / 10.0) + u[9] * (log(1 / 1.0) - log(1 / 10.0))), /* inv_log_uniform_values */
        };
        /* probabilities [0.1, 0.2, 0.3, 0.4]: the first k with cumulative > u */
        int width = u[10] < 0.1 ? 16 : u[10] < 0.1 + 0.2 ? 32 : u[10] < 0.1 + 0.2 + 0.3 ? 64 : 128;
        for (int sd = 0; sd < 3; sd++) {
            cfg c = run_of(sp, ci * 3 + sd);
            double got[10] = {c.momentum, c.weight_decay, c.lr, c.lr_min, c.init_scale, c.label_noise,
                              c.target_loss, c.softplus_beta, c.cov_decay, c.separation};
            for (int j = 0; j < 10; j++)
                ck_assert_msg(within_ulp(got[j], want[j], 4), "config %ld, draw %d: %.17g vs %.17g", ci, j, got[j],
                              want[j]);
            ck_assert_int_eq(c.width, width);
            ck_assert_int_eq((int)c.seed, sd);
        }
    }
    spec_free(sp);
}
END_TEST

/* The distributions themselves, over 4000 draws (5-sigma bounds). */
START_TEST(wandb_distributions)
{
    const int n = 4000;
    spec *sp = parse_ok("method: random\nrun_cap: 4000\nparameters:\n"
                        "  init_scale: {distribution: normal, mu: 2.385, sigma: 0.5}\n"
                        "  width: {values: [8, 16, 32], probabilities: [0.5, 0.3, 0.2]}\n"
                        "  depth: {distribution: int_uniform, min: 1, max: 3}\n"
                        "  batch: {distribution: q_uniform, min: 4, max: 20, q: 4}\n"
                        "  lr: {distribution: log_uniform, min: -6.9, max: -2.3}\n");
    double sum = 0, sum2 = 0, sum_ln = 0;
    int w[3] = {0}, dp[4] = {0}, bt[6] = {0};
    for (long i = 0; i < n; i++) {
        cfg c = run_of(sp, i);
        sum += c.init_scale, sum2 += c.init_scale * c.init_scale;
        w[c.width == 8 ? 0 : c.width == 16 ? 1 : 2]++;
        ck_assert(c.depth >= 1 && c.depth <= 3);
        dp[c.depth]++;
        ck_assert(c.batch % 4 == 0 && c.batch >= 4 && c.batch <= 20);
        bt[c.batch / 4]++;
        ck_assert(c.lr >= exp(-6.9) * (1 - 1e-15) && c.lr <= exp(-2.3) * (1 + 1e-15));
        sum_ln += log(c.lr);
    }
    double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
    ck_assert_msg(fabs(mean - 2.385) < 5 * 0.5 / sqrt(n), "normal mean %.4f", mean);
    ck_assert_msg(fabs(sd - 0.5) < 5 * 0.5 / sqrt(2.0 * n), "normal sd %.4f", sd);
    static const double pr[3] = {0.5, 0.3, 0.2};
    for (int k = 0; k < 3; k++)
        ck_assert_msg(fabs(w[k] - n * pr[k]) < 5 * sqrt(n * pr[k] * (1 - pr[k])), "width %d: %d", k, w[k]);
    for (int d = 1; d <= 3; d++)
        ck_assert_msg(fabs(dp[d] - n / 3.0) < 5 * sqrt(n * (2.0 / 9)), "depth %d: %d", d, dp[d]);
    /* q_uniform 4..20, q 4: round(U(4, 20)/4)*4: 4 and 20 get half the mass of 8, 12, 16 */
    static const double pb[6] = {0, 0.125, 0.25, 0.25, 0.25, 0.125};
    for (int b = 1; b <= 5; b++)
        ck_assert_msg(fabs(bt[b] - n * pb[b]) < 5 * sqrt(n * pb[b] * (1 - pb[b])), "batch %d: %d", 4 * b, bt[b]);
    /* log_uniform with natural-log bounds: ln(lr) ~ U(-6.9, -2.3) */
    ck_assert_msg(fabs(sum_ln / n + 4.6) < 5 * 4.6 / sqrt(12.0 * n), "mean ln lr %.4f", sum_ln / n);
    spec_free(sp);
}
END_TEST

/* W&B grid: int_uniform is every integer min..max, q_uniform is
 * numpy.arange(min, max, q) (max excluded), both are dimensions. */
START_TEST(wandb_grid)
{
    spec *sp = load_ok(WANDB_DIR "/grid_docs.yaml");
    ck_assert_int_eq(sp->method, SPEC_GRID);
    ck_assert_int_eq((int)sp->n_runs, 48);
    ck_assert_int_eq(sp->n_dims, 3);
    ck_assert_str_eq(sp->dims[0].name, "act");
    ck_assert_str_eq(sp->dims[1].name, "depth");
    ck_assert_str_eq(sp->dims[2].name, "momentum");
    ck_assert_int_eq(sp->dims[1].n, 4);
    ck_assert_int_eq(sp->dims[2].n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(atoi(sp->axes[1].values[i]), i + 1);
        ck_assert(strtod(sp->axes[2].values[i], NULL) == 0 + i * 0.2); /* numpy: start + i*step */
    }
    ck_assert(has_note(sp, "program: ignored") && has_note(sp, "command: ignored"));
    ck_assert(has_note(sp, "run_cap 100"));
    cfg c = run_of(sp, 47);
    ck_assert(c.act == ACT_GELU && c.depth == 4 && c.momentum == 3 * 0.2 && c.width == 16);
    spec_free(sp);
    /* run_cap at exactly the grid size is fine */
    sp = parse_ok("run_cap: 6\nparameters:\n  width: [8, 16, 32]\n  depth: [1, 2]\n");
    ck_assert_int_eq((int)sp->n_runs, 6);
    spec_free(sp);
    /* a range of a single integer, and q_uniform on an integer setting */
    sp = parse_ok("parameters:\n  depth: {distribution: int_uniform, min: 2, max: 2}\n"
                  "  width: {distribution: q_uniform, min: 8, max: 40, q: 8}\n");
    ck_assert_int_eq((int)sp->n_runs, 4);
    ck_assert_str_eq(sp->axes[1].values[3], "32");
    spec_free(sp);
}
END_TEST

/* W&B's form and the native form give the same runs where they mean the same. */
START_TEST(wandb_equals_native)
{
    static const char *pairs[][2] = {
        {"method: random\nrun_count: 50\nparameters:\n  lr: {min: 0.001, max: 0.1, scale: log}\n",
         "method: random\nrun_cap: 50\nparameters:\n  lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n"},
        {"method: random\nrun_count: 50\nparameters:\n  depth: {min: 1, max: 6}\n",
         "method: random\nrun_cap: 50\nparameters:\n  depth: {distribution: int_uniform, min: 1, max: 6}\n"},
        {"method: random\nrun_count: 50\nparameters:\n  act: [relu, tanh]\n  width: 8\n",
         "method: random\nrun_cap: 50\nparameters:\n  act: {distribution: categorical, values: [relu, tanh]}\n"
         "  width: {distribution: constant, value: 8}\n"},
        {"parameters:\n  depth: [1, 2, 3]\n", "parameters:\n  depth: {distribution: int_uniform, min: 1, max: 3}\n"},
    };
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        spec *a = parse_ok(pairs[p][0]), *b = parse_ok(pairs[p][1]);
        ck_assert_int_eq((int)a->n_runs, (int)b->n_runs);
        for (long i = 0; i < a->n_runs; i++) {
            cfg x = run_of(a, i), y = run_of(b, i);
            ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "pair %zu, run %ld differs", p, i);
        }
        spec_free(a);
        spec_free(b);
    }
}
END_TEST

/* ---------------------------------------------------------------- files */

START_TEST(load_good_specs)
{
    DIR *d = opendir(GOOD_DIR);
    ck_assert_msg(d != NULL, "%s missing: run the tests from the repository root (tests/run.sh does)", GOOD_DIR);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", GOOD_DIR, de->d_name);
        spec *sp = NULL;
        sgd_err e = {0};
        int rc = spec_load(path, &sp, &e);
        ck_assert_msg(rc == 0, "%s: %s", path, e.msg);
        ck_assert_int_ge((int)sp->n_runs, 1);
        size_t len;
        char *text = slurp(path, &len), ref[65];
        ck_assert_int_eq((int)sp->text_len, (int)len);
        ck_assert(memcmp(sp->text, text, len) == 0 && sp->text[len] == 0);
        sha256sum(path, ref);
        ck_assert_str_eq(sp->sha256, ref);
        ck_assert_str_eq(sp->path, path);
        free(text);
        spec_free(sp);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 2);

    /* the documented example: 3 seeds x 2 widths x 3 (batch, temperature) x 4 momenta */
    spec *sp = NULL;
    sgd_err e = {0};
    ck_assert_int_eq(spec_load(GOOD_DIR "/grid.yaml", &sp, &e), 0);
    ck_assert_int_eq((int)sp->n_runs, 72);
    ck_assert_int_eq(sp->n_dims, 4);
    ck_assert_str_eq(sp->dims[2].name, "batch_temperature");
    cfg c = run_of(sp, 71);
    ck_assert(c.seed == 2 && c.width == 256 && c.batch == 256 && c.lr == 1e-2 * 256 && c.momentum == 0.9);
    ck_assert_int_eq(c.n_train, 2048);
    spec_free(sp);
}
END_TEST

START_TEST(load_errors)
{
    spec *sp = (spec *)1;
    sgd_err e = {0};
    ck_assert_int_eq(spec_load("tests/specs/no/such.yaml", &sp, &e), SGD_EIO);
    ck_assert_ptr_null(sp);
    ck_assert_str_eq(e.msg, "tests/specs/no/such.yaml: cannot read (No such file or directory)");
    sgd_err e2 = {0};
    ck_assert_int_eq(spec_load("tests/specs", &sp, &e2), SGD_EIO); /* a directory */
    ck_assert_ptr_nonnull(strstr(e2.msg, "tests/specs: cannot read ("));
    spec_free(NULL);
}
END_TEST

/* Every tests/specs/bad/X.yaml fails with SGD_EUSAGE and a message holding
 * the `# expect: ...` of its first line. All failures are listed at once. */
START_TEST(bad_corpus)
{
    DIR *d = opendir(BAD_DIR);
    ck_assert_msg(d != NULL, "%s missing: run the tests from the repository root (tests/run.sh does)", BAD_DIR);
    char report[8192] = "";
    int n = 0, failed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", BAD_DIR, de->d_name);
        size_t len;
        char *text = slurp(path, &len), expect[512] = "";
        const char *tag = "# expect: ";
        if (strncmp(text, tag, strlen(tag)) == 0) {
            const char *s = text + strlen(tag);
            size_t m = strcspn(s, "\n");
            snprintf(expect, sizeof expect, "%.*s", (int)m, s);
        }
        free(text);
        spec *sp = (spec *)1;
        sgd_err e = {0};
        int rc = spec_load(path, &sp, &e);
        char line[1600] = "";
        if (!expect[0] || !strchr(expect, ':'))
            snprintf(line, sizeof line, "%s: no '# expect: :LINE:COL: ...' first line\n", path);
        else if (rc != SGD_EUSAGE || e.code != SGD_EUSAGE || sp != NULL)
            snprintf(line, sizeof line, "%s: code %d (want %d): %.400s\n", path, rc, SGD_EUSAGE, e.msg);
        else if (!strstr(e.msg, expect))
            snprintf(line, sizeof line, "%s:\n   got  %.400s\n   want %.300s\n", path, e.msg, expect);
        else if (strncmp(e.msg, path, strlen(path)) || e.msg[strlen(path)] != ':')
            snprintf(line, sizeof line, "%s: message does not start with the path: %.400s\n", path, e.msg);
        if (line[0]) {
            failed++;
            size_t r = strlen(report);
            snprintf(report + r, sizeof report - r, "%s", line);
        }
        n++;
    }
    closedir(d);
    ck_assert_msg(failed == 0, "%d of %d bad specs:\n%s", failed, n, report);
    ck_assert_msg(n >= 20, "only %d bad specs in %s", n, BAD_DIR);
}
END_TEST

START_TEST(errors_inline)
{
    /* a few not in the corpus: YAML from memory uses the given name */
    parse_bad("parameters:\n  width: [1, 2\n", "mem.yaml:3:1: YAML syntax error");
    parse_bad("parameters:\n  seed: [1, 2]\nseeds: 2\n", "seed: given both");
    parse_bad("parameters: {width: {min: 1, max: 8, num: 2, value: 3}}\n", "mem.yaml:1:27: width: min/max/num/scale");
    parse_bad("method: random\nrun_count: 1000001\n", "mem.yaml:2:12: run_count: expected an integer from 1 to 1000000");
    parse_bad("method: random\nrun_count: 1000000\nseeds: 101\n", "is more than 100000000 runs");
    parse_bad("parameters:\n  data_file: '/x.h5'\n", "mem.yaml:2:3: data_file: given but data is 'teacher' (use data: file) (run 0)");
    /* NUL inside the text is a reader error with a position */
    const char nul[] = "name: a\0b\n";
    spec *sp = NULL;
    sgd_err e = {0};
    ck_assert_int_eq(spec_parse(nul, sizeof nul - 1, "nul.yaml", &sp, &e), SGD_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "nul.yaml:1:8: YAML syntax error"));
}
END_TEST

static Suite *spec_suite(void)
{
    Suite *s = suite_create("spec");
    TCase *tc = tu_tcase("sha256");
    tcase_add_test(tc, sha256_vectors);
    tcase_add_test(tc, sha256_block_boundaries);
    suite_add_tcase(s, tc);
    tc = tu_tcase("grid");
    tcase_add_test(tc, grid_expansion_order);
    tcase_add_test(tc, grid_no_axes);
    tcase_add_test(tc, shorthand_equivalence);
    tcase_add_test(tc, linspace_geomspace);
    tcase_add_test(tc, int_rounding);
    tcase_add_test(tc, zip_dims);
    tcase_add_test(tc, temperature);
    suite_add_tcase(s, tc);
    tc = tu_tcase("random");
    tcase_add_test(tc, random_deterministic);
    tcase_add_test(tc, random_contract);
    tcase_add_test(tc, random_distributions);
    tcase_add_test(tc, random_seeds_and_zip);
    suite_add_tcase(s, tc);
    tc = tu_tcase("files");
    tcase_add_test(tc, load_good_specs);
    tcase_add_test(tc, load_errors);
    tcase_add_test(tc, bad_corpus);
    tcase_add_test(tc, errors_inline);
    suite_add_tcase(s, tc);
    tc = tu_tcase("limits");
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, spec_size_limits);
    tcase_add_test(tc, derived_lr_range);
    suite_add_tcase(s, tc);
    tc = tu_tcase("wandb");
    tcase_add_test(tc, wandb_random_docs);
    tcase_add_test(tc, wandb_random_all);
    tcase_add_test(tc, wandb_distributions);
    tcase_add_test(tc, wandb_grid);
    tcase_add_test(tc, wandb_equals_native);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(spec_suite)
