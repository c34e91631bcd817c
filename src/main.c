/* main.c -- the sgdsweep command line.
 *
 *   sgdsweep train [--setting value ...] [--curve FILE|-] [--save FILE]
 *   sgdsweep --version | --help
 * Exit codes: docs/CLI.md. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cfg.h"
#include "version.h"
#include "data.h"
#include "par.h"
#include "save.h"
#include "spec.h"
#include "store.h"
#include "sweep.h"
#include "train.h"

static const char *prog = "sgdsweep";

enum { MAX_BLAS_THREADS = 1024 };

/* --blas-threads VALUE: 1 .. MAX_BLAS_THREADS, else 0 */
static int parse_blas_threads(const char *v)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && end != v && !*end && n >= 1 && n <= MAX_BLAS_THREADS ? (int)n : 0;
}

/* The BLAS threads of train and run: --blas-threads N, else 1, whatever the
 * environment says. OpenBLAS creates its thread pool from OPENBLAS_NUM_THREADS
 * (else OMP_NUM_THREADS, else one per core) when it is loaded, before main,
 * and openblas_set_num_threads cannot shrink it afterwards: idle, the extra
 * threads still cost (a small float32 network trained 3-7x slower). So when
 * the environment does not already say N, set it and exec this program again,
 * once (SGDSWEEP_REEXEC guards against a loop), before anything else is done.
 * The caller blocks the stop signals first (run): the mask and any pending
 * signal survive the exec. Returns N (0: a malformed option, left to the
 * option parser). */
static int blas_threads_setup(int argc, char **argv)
{
    int n = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--blas-threads") || !strcmp(a, "--blas_threads"))
            n = parse_blas_threads(i + 1 < argc ? argv[i + 1] : NULL);
        else if (!strncmp(a, "--blas-threads=", 15) || !strncmp(a, "--blas_threads=", 15))
            n = parse_blas_threads(a + 15);
    }
    if (n == 0)
        return 0;
    char want[16];
    snprintf(want, sizeof want, "%d", n);
    const char *ob = getenv("OPENBLAS_NUM_THREADS"), *omp = getenv("OMP_NUM_THREADS");
    if (getenv("SGDSWEEP_REEXEC")) { /* this is the exec: never again */
        unsetenv("SGDSWEEP_REEXEC");
    } else if (!ob || strcmp(ob, want) != 0 || !omp || strcmp(omp, want) != 0) {
        if (setenv("OPENBLAS_NUM_THREADS", want, 1) == 0 && setenv("OMP_NUM_THREADS", want, 1) == 0 &&
            setenv("SGDSWEEP_REEXEC", "1", 1) == 0)
            execv("/proc/self/exe", argv);
        unsetenv("SGDSWEEP_REEXEC"); /* no /proc (or no exec): the pool stays as loaded */
    }
    train_set_blas_threads(n); /* every trainer_alloc sets it (openblas_set_num_threads) */
    return n;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    return SGD_EUSAGE;
}

static void print_version(void)
{
    printf("sgdsweep %s (git %s)\n", sgd_version, sgd_git);
}

static void print_help(void)
{
    printf("usage: sgdsweep train [--SETTING VALUE ...] [--curve FILE|-] [--save FILE [--force]] [--quiet]\n"
           "                      [--blas-threads N]\n"
           "       [mpirun -np N] sgdsweep run SPEC.yaml [-o RESULT.h5] [--resume | --force] [--quiet]\n"
           "                                   [--flush-every S] [--progress-every S] [--blas-threads N]\n"
           "       sgdsweep check SPEC.yaml    validate; print runs, axes and estimated cost\n"
           "       sgdsweep list SPEC.yaml     print the expanded runs as a table\n"
           "       sgdsweep --version | --help\n\n"
           "run: trains every run of a sweep spec (docs/SPEC.md) across MPI ranks into one HDF5 file\n"
           "  (docs/FORMAT.md); exit 0 complete, 75 stopped by a signal (resume with --resume).\n\n"
           "train: trains one network and prints its metrics (key<TAB>value).\n"
           "  --curve FILE   write the learning curve as TSV ('-' = stdout, after the metrics)\n"
           "  --save FILE    write data, initial/final parameters, settings, metrics (HDF5, docs/SAVE.md)\n"
           "  --force        let --save replace an existing file\n"
           "  --quiet        print nothing but errors (and the curve, if to stdout)\n"
           "  --blas-threads N  BLAS threads (run: per rank); 1 unless given, whatever OPENBLAS_NUM_THREADS says\n\n"
           "Settings (--name VALUE or --name=VALUE; booleans also as a bare --name):\n");
    const char *group = "";
    for (int i = 0; i < cfg_nfields; i++) {
        const cfg_field *f = &cfg_fields[i];
        if (strcmp(group, f->group) != 0)
            printf("  [%s]\n", group = f->group);
        char name[64], accepted[200] = "";
        snprintf(name, sizeof name, "%s", f->name);
        for (char *p = name; *p; p++)
            if (*p == '_')
                *p = '-';
        if (f->type == CFG_ENUM) {
            for (int j = 0; f->choices[j]; j++) {
                size_t l = strlen(accepted);
                snprintf(accepted + l, sizeof accepted - l, "%s%s", j ? "|" : "", f->choices[j]);
            }
        } else if (f->type == CFG_BOOL) {
            snprintf(accepted, sizeof accepted, "bool");
        } else if (f->type == CFG_STR) {
            snprintf(accepted, sizeof accepted, "%s", f->unit);
        } else {
            snprintf(accepted, sizeof accepted, "%s%s", f->type == CFG_REAL ? "real" : "int",
                     *f->unit ? "" : "");
            if (*f->unit) {
                size_t l = strlen(accepted);
                snprintf(accepted + l, sizeof accepted - l, ", %s", f->unit);
            }
        }
        printf("  --%-16s %-30s %s [default %s]\n", name, accepted, f->help, *f->defval ? f->defval : "none");
    }
}

/* closest known setting name, as the CLI spells it, for "did you mean" */
static const char *suggest(const char *name)
{
    const char *best = cfg_suggest(name);
    if (!best)
        return NULL;
    static char dashed[64];
    snprintf(dashed, sizeof dashed, "%s", best);
    for (char *p = dashed; *p; p++)
        if (*p == '_')
            *p = '-';
    return dashed;
}

typedef struct {
    const char *curve, *save;
    int force, quiet;
} train_opts;

static int parse_train(int argc, char **argv, cfg *s, train_opts *o, sgd_err *e)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || !arg[2])
            return sgd_fail(e, SGD_EUSAGE, "train: unexpected argument '%s' (settings are --name value)", arg);
        char name[128];
        const char *val = NULL, *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof name)
            return sgd_fail(e, SGD_EUSAGE, "train: unknown option '%.40s...'", arg);
        memcpy(name, arg + 2, len);
        name[len] = 0;
        if (eq)
            val = eq + 1;
        if (!strcmp(name, "force") || !strcmp(name, "quiet")) {
            if (val)
                return sgd_fail(e, SGD_EUSAGE, "--%s: takes no value", name);
            *(!strcmp(name, "force") ? &o->force : &o->quiet) = 1;
            continue;
        }
        if (!strcmp(name, "blas-threads") || !strcmp(name, "blas_threads")) { /* main applied it */
            if (!val && i + 1 >= argc)
                return sgd_fail(e, SGD_EUSAGE, "option --blas-threads needs a value");
            if (!val)
                val = argv[++i];
            if (!parse_blas_threads(val))
                return sgd_fail(e, SGD_EUSAGE, "--blas-threads: value '%s' out of range (accepted: [1 .. %d])", val,
                                MAX_BLAS_THREADS);
            continue;
        }
        if (!strcmp(name, "help")) {
            print_help();
            exit(0);
        }
        const cfg_field *f = cfg_find(name);
        int is_out = !strcmp(name, "curve") || !strcmp(name, "save");
        if (!f && !is_out) {
            const char *sg = suggest(name);
            if (sg)
                return sgd_fail(e, SGD_EUSAGE, "unknown option '--%s' (did you mean --%s? see sgdsweep train --help)",
                                name, sg);
            return sgd_fail(e, SGD_EUSAGE, "unknown option '--%s' (see sgdsweep train --help)", name);
        }
        if (!val) {
            if (f && f->type == CFG_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
                val = "true";
            } else if (i + 1 >= argc) {
                return sgd_fail(e, SGD_EUSAGE, "option --%s needs a value", name);
            } else {
                val = argv[++i];
            }
        }
        if (is_out) {
            if (!*val)
                return sgd_fail(e, SGD_EUSAGE, "--%s: empty file name", name);
            if (!eq && strncmp(val, "--", 2) == 0)
                return sgd_fail(e, SGD_EUSAGE, "option --%s needs a file name (got option '%s')", name, val);
            *(!strcmp(name, "curve") ? &o->curve : &o->save) = val;
            continue;
        }
        char who[160];
        snprintf(who, sizeof who, "--%s", name);
        if (cfg_set(s, f, val, who, e))
            return e->code;
    }
    if (o->force && !o->save)
        return sgd_fail(e, SGD_EUSAGE, "--force: only meaningful with --save");
    return cfg_validate(s, "", e);
}

static void print_value(FILE *fp, double v)
{
    if (isnan(v))
        fprintf(fp, "nan");
    else
        fprintf(fp, "%.9g", v);
}

static int write_curve(const char *path, const result *r, sgd_err *e)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!fp)
        return sgd_fail(e, SGD_EIO, "--curve %s: cannot open for writing", path);
    fprintf(fp, "step\tlr\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc");
    for (int c = 0; c < N_PCURVE; c++) /* then the probe curves the run recorded */
        if (r->ckpt_probe[c])
            fprintf(fp, "\t%s", pcurve_fields[c].name);
    fputc('\n', fp);
    for (int i = 0; i < r->n_ckpt; i++) {
        fprintf(fp, "%ld", r->ckpt_step[i]);
        const double v[5] = {r->ckpt_lr[i], r->ckpt_train_loss[i], r->ckpt_train_acc[i], r->ckpt_test_loss[i],
                             r->ckpt_test_acc[i]};
        for (int j = 0; j < 5; j++) {
            fputc('\t', fp);
            print_value(fp, v[j]);
        }
        for (int c = 0; c < N_PCURVE; c++)
            if (r->ckpt_probe[c]) {
                fputc('\t', fp);
                print_value(fp, r->ckpt_probe[c][i]);
            }
        fputc('\n', fp);
    }
    if (fp != stdout && fclose(fp) != 0)
        return sgd_fail(e, SGD_EIO, "--curve %s: write failed", path);
    return 0;
}

/* directory part of path is writable (before any work is done) */
static int dir_writable(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return access(".", W_OK) == 0;
    if (slash == dir)
        slash[1] = 0;
    else
        *slash = 0;
    return access(dir, W_OK) == 0;
}

/* Refuse outputs that would fail only after training. */
static int check_outputs(const train_opts *o, sgd_err *e)
{
    if ((o->save && strlen(o->save) > 1000) || (o->curve && strlen(o->curve) > 1000))
        return sgd_fail(e, SGD_EUSAGE, "--%s: path longer than 1000 characters", o->save ? "save" : "curve");
    struct stat st;
    if (o->save && stat(o->save, &st) == 0 && !S_ISREG(st.st_mode)) /* a device, FIFO, directory: never replaced */
        return sgd_fail(e, SGD_EIO, "--save %s: exists and is not a regular file; refusing to replace it", o->save);
    if (o->save && !o->force && access(o->save, F_OK) == 0)
        return sgd_fail(e, SGD_EIO, "--save %s: file exists; refusing to overwrite it (use --force)", o->save);
    if (o->save && !dir_writable(o->save))
        return sgd_fail(e, SGD_EIO, "--save %s: directory missing or not writable", o->save);
    if (o->curve && strcmp(o->curve, "-") != 0 && !dir_writable(o->curve))
        return sgd_fail(e, SGD_EIO, "--curve %s: directory missing or not writable", o->curve);
    return 0;
}

static int cmd_train(int argc, char **argv, const char *cmdline)
{
    cfg s;
    cfg_defaults(&s);
    train_opts o = {0};
    sgd_err e = {0};
    dataset *ds = NULL;
    result r = {0};
    int rc = parse_train(argc, argv, &s, &o, &e);
    if (!rc)
        rc = check_outputs(&o, &e);
    if (!rc)
        rc = data_make(&s, &ds, &e);
    if (!rc)
        rc = train_run(&s, ds, o.save != NULL, &r, &e);
    if (!rc && !o.quiet) {
        printf("n_params\t%zu\n", r.n_params);
        for (int i = 0; i < met_nfields; i++) {
            const met_field *m = &met_fields[i];
            const void *p = (const char *)&r + m->offset;
            printf("%s\t", m->name);
            if (m->type == MET_STATUS)
                printf("%s", *(const int *)p == RUN_DIVERGED ? "diverged" : "done");
            else if (m->type == MET_LONG)
                printf("%ld", *(const long *)p);
            else
                print_value(stdout, *(const double *)p);
            putchar('\n');
        }
        for (int a = 0; a < N_PARR; a++) { /* the probe arrays measured: name<TAB>v1,v2,... */
            if (!r.parr[a] || r.parr_len[a] <= 0)
                continue;
            printf("%s\t", parr_fields[a].name);
            for (int j = 0; j < r.parr_len[a]; j++) {
                if (j)
                    putchar(',');
                print_value(stdout, r.parr[a][j]);
            }
            putchar('\n');
        }
    }
    if (!rc && o.curve)
        rc = write_curve(o.curve, &r, &e);
    if (!rc && o.save)
        rc = save_run(o.save, o.force, &s, ds, &r, cmdline, &e);
    if (rc)
        fprintf(stderr, "%s: %s\n", prog, e.msg[0] ? e.msg : "error");
    result_destroy(&r);
    data_free(ds);
    return rc;
}

/* ---- sweeps ---------------------------------------------------------------- */

static int parse_seconds(const char *opt, const char *v, double *out, sgd_err *e)
{
    char *end;
    double d = v ? strtod(v, &end) : 0;
    if (!v || end == v || *end || !isfinite(d) || d <= 0)
        return sgd_fail(e, SGD_EUSAGE, "option %s: '%s' is not a positive number of seconds", opt, v ? v : "");
    *out = d;
    return 0;
}

static int cmd_run(int argc, char **argv, const char *cmdline)
{
    par_opts o = {0};
    o.flush_every = 10;
    o.progress_every = 30;
    o.command_line = cmdline;
    o.blas_threads = 1;
    sgd_err e = {0};
    static char out[4096];
    for (int i = 2; i < argc && !e.code; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc)
                sgd_fail(&e, SGD_EUSAGE, "option %s needs a file name", a);
            else
                o.out = argv[++i];
        } else if (!strcmp(a, "--resume")) {
            o.resume = 1;
        } else if (!strcmp(a, "--force")) {
            o.force = 1;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = 1;
        } else if (!strcmp(a, "--flush-every")) {
            parse_seconds(a, i + 1 < argc ? argv[++i] : NULL, &o.flush_every, &e);
        } else if (!strcmp(a, "--progress-every")) {
            parse_seconds(a, i + 1 < argc ? argv[++i] : NULL, &o.progress_every, &e);
        } else if (!strcmp(a, "--compress") || !strncmp(a, "--compress=", 11)) {
            const char *v = a[10] == '=' ? a + 11 : i + 1 < argc ? argv[++i] : NULL;
            if (!v || strlen(v) != 1 || v[0] < '0' || v[0] > '9')
                sgd_fail(&e, SGD_EUSAGE, "--compress: value '%s' out of range (accepted: a gzip level 0 .. 9, 0: none)",
                         v ? v : "");
            else
                o.compress = v[0] - '0';
        } else if (!strcmp(a, "--blas-threads") || !strncmp(a, "--blas-threads=", 15)) { /* main applied it */
            const char *v = a[14] == '=' ? a + 15 : i + 1 < argc ? argv[++i] : NULL;
            if (!parse_blas_threads(v))
                sgd_fail(&e, SGD_EUSAGE, "--blas-threads: value '%s' out of range (accepted: [1 .. %d])",
                         v ? v : "", MAX_BLAS_THREADS);
            o.blas_threads = parse_blas_threads(v);
        } else if (a[0] == '-') {
            sgd_fail(&e, SGD_EUSAGE,
                     "run: unknown option '%s' (accepted: -o FILE, --resume, --force, --quiet, --flush-every S, "
                     "--progress-every S, --blas-threads N, --compress L)", a);
        } else if (o.spec_path) {
            sgd_fail(&e, SGD_EUSAGE, "run: more than one spec ('%s' and '%s')", o.spec_path, a);
        } else {
            o.spec_path = a;
        }
    }
    if (!e.code && !o.spec_path)
        sgd_fail(&e, SGD_EUSAGE, "run: no spec (usage: sgdsweep run SPEC.yaml [-o RESULT.h5])");
    if (!e.code && o.out && strlen(o.out) > 4000)
        sgd_fail(&e, SGD_EUSAGE, "run: output path longer than 4000 characters");
    if (!e.code && o.resume && o.force)
        sgd_fail(&e, SGD_EUSAGE, "run: --resume and --force exclude each other");
    if (e.code) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        return e.code;
    }
    if (!o.out) { /* SPEC.yaml -> SPEC.h5 in the current directory */
        const char *base = strrchr(o.spec_path, '/');
        base = base ? base + 1 : o.spec_path;
        snprintf(out, sizeof out, "%s", base);
        char *dot = strrchr(out, '.');
        if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
            *dot = 0;
        strncat(out, ".h5", sizeof out - strlen(out) - 1);
        o.out = out;
    }
    return par_sweep(&argc, &argv, &o);
}

static int load_spec_cmd(int argc, char **argv, const char *cmd, spec **sp)
{
    sgd_err e = {0};
    if (argc != 3) {
        fprintf(stderr, "%s: usage: sgdsweep %s SPEC.yaml%s\n", prog, cmd, !strcmp(cmd, "check") ? " [--measure N]" : "");
        return SGD_EUSAGE;
    }
    if (spec_load(argv[2], sp, &e)) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        return e.code;
    }
    return 0;
}

/* splitmix64: the sampler of `check --measure` (fixed seed: the same runs every time) */
static uint64_t mix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* check --measure N: train N runs drawn at random without replacement (all
 * runs if N >= n_runs), timing the CPU each takes, and project the sweep's
 * core-hours as n_runs x their mean, with a 95% percentile-bootstrap
 * interval over the sampled runs (docs/CLI.md) */
static int measure_runs(const spec *sp, long n)
{
    const long N = sp->n_runs;
    if (n > N)
        n = N;
    long *pick = malloc((size_t)n * sizeof *pick);
    double *t = malloc((size_t)n * sizeof *t), *boot = malloc(2000 * sizeof *boot);
    sweep_worker *w = sweep_worker_alloc(sp, 0);
    if (!pick || !t || !boot || !w) {
        free(pick), free(t), free(boot), sweep_worker_free(w);
        fprintf(stderr, "%s: out of memory\n", prog);
        return SGD_ENOMEM;
    }
    /* selection sampling (Knuth's algorithm S): run i is taken with
     * probability (still wanted) / (still to look at); n distinct runs, in
     * run order, each set of n equally likely */
    uint64_t x = 0x5eed;
    for (long i = 0, k = 0; k < n; i++)
        if ((double)(mix64(&x) >> 11) * 0x1p-53 * (double)(N - i) < (double)(n - k))
            pick[k++] = i;
    double sum = 0, lo = 0, hi = 0;
    long failed = 0;
    for (long k = 0; k < n; k++) {
        struct timespec a, b;
        run_record *rec;
        /* CPU time, not wall time: what the run costs a core, even on a busy machine */
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
        sweep_worker_train(w, pick[k], NULL, NULL, &rec);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
        t[k] = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        sum += t[k];
        failed += rec->status == ST_FAILED;
    }
    const double mean = sum / (double)n;
    for (int r = 0; r < 2000 && n > 1; r++) {
        double m = 0;
        for (long k = 0; k < n; k++)
            m += t[mix64(&x) % (uint64_t)n];
        boot[r] = m / (double)n;
    }
    if (n > 1) {
        qsort(boot, 2000, sizeof *boot, cmp_double);
        lo = boot[49], hi = boot[1949]; /* 2.5% and 97.5% of 2000 */
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("measured\t%ld run%s drawn at random, CPU time: mean %.3g s, min %.3g s, max %.3g s%s\n", n,
           n == 1 ? "" : "s", mean, t[0], t[n - 1], failed ? " (some failed: see `run`)" : "");
    if (n == N)
        printf("estimate_measured\t%.3g core-hours (every run measured)\n", sum / 3600);
    else if (n > 1)
        printf("estimate_measured\t%.3g core-hours (95%% interval %.3g to %.3g, bootstrap over the %ld runs)\n",
               mean * (double)N / 3600, lo * (double)N / 3600, hi * (double)N / 3600, n);
    else
        printf("estimate_measured\t%.3g core-hours (one run: no interval)\n", mean * (double)N / 3600);
    free(pick), free(t), free(boot);
    sweep_worker_free(w);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    spec *sp = NULL;
    long measure = 0;
    if (argc == 5 && (!strcmp(argv[3], "--measure") || !strcmp(argv[2], "--measure"))) {
        /* check SPEC --measure N, or check --measure N SPEC */
        const int at = !strcmp(argv[3], "--measure") ? 3 : 2;
        char *end;
        const char *v = argv[at + 1];
        measure = strtol(v, &end, 10);
        if (end == v || *end || measure < 1 || measure > 100000) {
            fprintf(stderr, "%s: --measure: value '%s' out of range (accepted: [1 .. 100000] runs)\n", prog, v);
            return SGD_EUSAGE;
        }
        char *args[3] = {argv[0], argv[1], argv[at == 3 ? 2 : 4]};
        argv = args, argc = 3;
        int rc0 = load_spec_cmd(argc, argv, "check", &sp);
        if (rc0)
            return rc0;
    } else {
        int rc0 = load_spec_cmd(argc, argv, "check", &sp);
        if (rc0)
            return rc0;
    }
    int rc = 0;
    double flops = 0, most = 0;
    long steps = 0;
    for (long i = 0; i < sp->n_runs; i++) {
        cfg s;
        sgd_err e = {0};
        spec_run(sp, i, &s, &e);
        double c = sweep_cost(&s);
        flops += c;
        most = c > most ? c : most;
        steps += train_budget(&s, s.n_train);
    }
    printf("%s: ok\n", sp->path);
    printf("method\t%s\n", sp->method == SPEC_GRID ? "grid" : "random");
    printf("runs\t%ld\n", sp->n_runs);
    printf("sha256\t%s\n", sp->sha256);
    for (int a = 0; a < sp->n_axes; a++) {
        char desc[600];
        spec_axis_describe(&sp->axes[a], desc, sizeof desc);
        printf("axis\t%s\t%s\n", sp->axes[a].name, desc);
    }
    for (int d = 0; d < sp->n_dims; d++)
        printf("dim\t%s\t%d\n", sp->dims[d].name, sp->dims[d].n);
    for (int k = 0; k < sp->n_notes; k++) /* W&B keys ignored, run_cap's meaning (docs/SPEC.md) */
        printf("note\t%s\n", sp->notes[k]);
    if (sp->n_dims > STORE_MAX_DIMS)
        printf("note\t%d dimensions: the result file gets /runs but no /grid view (at most %d)\n", sp->n_dims,
               STORE_MAX_DIMS);
    printf("steps\t%ld\n", steps);
    printf("cost\t%.3g GFLOP (largest run %.3g GFLOP)\n", flops / 1e9, most / 1e9);
    printf("estimate\t%.2g core-hours at 30 GFLOP/s per core\n", flops / 30e9 / 3600);
    if (measure)
        rc = measure_runs(sp, measure);
    spec_free(sp);
    return rc;
}

static int cmd_list(int argc, char **argv)
{
    spec *sp = NULL;
    int rc = load_spec_cmd(argc, argv, "list", &sp);
    if (rc)
        return rc;
    int derived = 0;
    printf("run");
    for (int a = 0; a < sp->n_axes; a++) {
        printf("\t%s", sp->axes[a].name);
        derived |= !strcmp(sp->axes[a].name, "temperature");
    }
    printf("%s\tsteps\n", derived ? "\tlr" : "");
    for (long i = 0; i < sp->n_runs; i++) {
        cfg s;
        sgd_err e = {0};
        spec_run(sp, i, &s, &e);
        printf("%ld", i);
        for (int a = 0; a < sp->n_axes; a++) {
            const cfg_field *f = cfg_find(sp->axes[a].name);
            char buf[600];
            if (f)
                cfg_format(&s, f, buf, sizeof buf);
            else
                snprintf(buf, sizeof buf, "%.17g", s.lr / s.batch);
            printf("\t%s", buf);
        }
        if (derived) {
            char buf[64];
            cfg_format(&s, cfg_find("lr"), buf, sizeof buf);
            printf("\t%s", buf);
        }
        printf("\t%ld\n", train_budget(&s, s.n_train));
    }
    spec_free(sp);
    return 0;
}

int main(int argc, char **argv)
{
    /* a sweep catches TERM, INT and USR1 from its first instruction on: a
     * signal at any moment then ends it with 75, resumable (docs/SWEEP.md).
     * Blocked first, so that one arriving during the re-exec for the BLAS
     * threads stays pending; par_catch_signals unblocks them. */
    const int is_run = argc >= 2 && !strcmp(argv[1], "run");
    if (is_run) {
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGUSR1);
        sigprocmask(SIG_BLOCK, &stop, NULL);
    }
    if (is_run || (argc >= 2 && !strcmp(argv[1], "train")))
        blas_threads_setup(argc, argv);
    if (is_run)
        par_catch_signals();
    /* a file-size limit (ulimit -f) must become a clear write error, not a
     * silent death by SIGXFSZ */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2)
        return usage_error("no command; usage: sgdsweep train|run|check|list ... (sgdsweep --help)");
    char cmdline[4096] = "";
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(cmdline);
        snprintf(cmdline + l, sizeof cmdline - l, "%s%s", i ? " " : "", argv[i]);
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        print_version();
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        print_help();
        return 0;
    }
    if (!strcmp(cmd, "train"))
        return cmd_train(argc - 2, argv + 2, cmdline);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv, cmdline);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc, argv);
    if (!strcmp(cmd, "list"))
        return cmd_list(argc, argv);
    char msg[300];
    snprintf(msg, sizeof msg, "unknown command '%.200s' (accepted: train, run, check, list, --version, --help)", cmd);
    return usage_error(msg);
}
