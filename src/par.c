/* par.c -- the MPI sweep engine (see par.h). The only file with mpi.h. */
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "io.h"
#include "journal.h"
#include "par.h"
#include "spec.h"
#include "store.h"
#include "sweep.h"

int openblas_get_num_threads(void); /* OpenBLAS extension (its cblas.h) */

enum { TAG_REQ = 1, TAG_RES = 2, TAG_WORK = 3, TAG_ABORT = 4 };
enum { MAX_CHUNK = 1024 };

static volatile sig_atomic_t g_signal;
static void on_signal(int sig) { g_signal = sig; }

void par_catch_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* MPI_Init and file I/O carry on; the flag is polled */
    sigemptyset(&sa.sa_mask);
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < 3; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&set, sigs[i]);
    }
    /* blocked across a re-exec (main.c): a signal that came meanwhile is
     * pending and reaches on_signal now */
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Wait for a message without spinning a core: probe, then sleep with a
 * growing pause (0.1 ms .. 5 ms). Returns 0 with *st filled, or 1 if
 * `interrupt()` asked to stop waiting. */
static int wait_msg(int src, int tag, MPI_Status *st, int (*interrupt)(void *), void *ctx)
{
    long pause = 100000; /* ns */
    for (;;) {
        int flag = 0;
        MPI_Iprobe(src, tag, MPI_COMM_WORLD, &flag, st);
        if (flag)
            return 0;
        if (interrupt && interrupt(ctx))
            return 1;
        struct timespec ts = {0, pause};
        nanosleep(&ts, NULL);
        if (pause < 5000000)
            pause = pause * 3 / 2;
    }
}

/* ---- rank 0 ------------------------------------------------------------ */

typedef struct {
    const par_opts *o;
    const spec *sp;
    int size;
    int resume;             /* o->resume, unless there was nothing to resume */
    sweep_table t;
    journal *jr;
    store *st;
    store_prov prov;
    long *queue;            /* pending runs, most expensive first */
    double *cost;           /* [n_runs] */
    long qn, qpos;
    double remaining_cost;
    int active;             /* workers not yet told to stop */
    char *busy, *abort_sent; /* per rank */
    int stopping, io_error, signalled;
    sgd_err err;
    double t_start, next_flush, last_write, next_progress;
    long n_writes;          /* result-file writes, and their seconds (journal sync included) */
    double write_s;
    long done_at_start;
    int tty;
    void *rbuf;
    size_t rcap;
    int64_t chunk[2 + MAX_CHUNK];
} coord;

static int flush_file(coord *c)
{
    double t0 = now();
    c->prov.complete = c->t.n_done + c->t.n_failed == c->t.n_runs;
    sgd_err e = {0};
    int rc = c->jr ? journal_sync(c->jr, &e) : 0;
    if (!rc)
        rc = store_write(c->st, &c->t, &c->prov, &e);
    if (rc && !c->io_error) { /* cannot write results: stop the sweep */
        c->io_error = 1;
        c->err = e;
        c->stopping = 1;
    }
    c->last_write = now() - t0;
    c->n_writes++;
    c->write_s += c->last_write;
    /* keep the periodic writes below ~2.5% of the time: wait at least 40x
     * what the next write will take, the last write's time but at least
     * 1 us per run (a write of a sweep with every run pending is quick, one
     * with results ~1.2 us per run: docs/SWEEP.md, Scale) */
    double next = c->last_write > 1e-6 * (double)c->t.n_runs ? c->last_write : 1e-6 * (double)c->t.n_runs;
    double gap = c->o->flush_every > 40 * next ? c->o->flush_every : 40 * next;
    c->next_flush = now() + gap;
    return rc;
}

static void progress(coord *c, int final)
{
    if (c->o->quiet)
        return;
    double t = now(), el = t - c->t_start;
    if (!final && t < c->next_progress)
        return;
    c->next_progress = t + (c->tty ? 0.5 : c->o->progress_every);
    long done = c->t.n_done + c->t.n_failed, n = c->t.n_runs;
    double rate = el > 0 ? (done - c->done_at_start) / el : 0;
    char eta[32] = "?";
    if (rate > 0) {
        long s = (long)((n - done) / rate);
        snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    }
    char line[256];
    snprintf(line, sizeof line, "%ld/%ld runs  %.2f runs/s  ETA %s  diverged %ld  failed %ld", done, n, rate,
             eta, c->t.n_diverged, c->t.n_failed);
    if (c->tty) {
        int w = 24, fill = n ? (int)(w * done / n) : w;
        char bar[32];
        for (int i = 0; i < w; i++)
            bar[i] = i < fill ? '=' : ' ';
        bar[w] = 0;
        fprintf(stderr, "\r[%s] %s%s", bar, line, final ? "\n" : "");
    } else {
        fprintf(stderr, "sgdsweep: %s\n", line);
    }
    fflush(stderr);
}

static void record(coord *c, const run_record *r)
{
    sweep_table_put(&c->t, r);
    sgd_err e = {0};
    if (c->jr && journal_append(c->jr, r, &e) != 0 && !c->io_error) {
        c->io_error = 1;
        c->err = e;
        c->stopping = 1;
    }
}

static void begin_stop(coord *c)
{
    if (c->stopping == 2)
        return;
    c->stopping = 2; /* ABORTs sent */
    for (int w = 1; w < c->size; w++)
        if (c->busy[w] && !c->abort_sent[w]) {
            MPI_Send(NULL, 0, MPI_INT, w, TAG_ABORT, MPI_COMM_WORLD);
            c->abort_sent[w] = 1;
        }
}

/* the next chunk: runs until the chunk's cost reaches a quarter of a fair
 * share of what is left (at least one run) */
static long take_chunk(coord *c, long *out, long max)
{
    double target = c->remaining_cost / (4.0 * c->size), sum = 0;
    long n = 0;
    while (c->qpos < c->qn && n < max && (n == 0 || sum < target)) {
        long i = c->queue[c->qpos++];
        out[n++] = i;
        sum += c->cost[i];
    }
    c->remaining_cost -= sum;
    return n;
}

static void handle(coord *c, MPI_Status *st)
{
    const int w = st->MPI_SOURCE;
    if (st->MPI_TAG == TAG_RES) {
        int len;
        MPI_Get_count(st, MPI_BYTE, &len);
        if ((size_t)len > c->rcap) {
            double *nb = malloc((size_t)len * 2); /* double: 8-byte aligned for unpacking in place */
            if (nb) {
                free(c->rbuf);
                c->rbuf = nb;
                c->rcap = (size_t)len * 2;
            }
        }
        if ((size_t)len > c->rcap) { /* out of memory: take the message, lose the result (run stays pending) */
            MPI_Recv(NULL, 0, MPI_BYTE, w, TAG_RES, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            fprintf(stderr, "sgdsweep: rank 0: out of memory for a result from rank %d\n", w);
            return;
        }
        MPI_Recv(c->rbuf, len, MPI_BYTE, w, TAG_RES, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        run_record r;
        if (sweep_record_unpack(c->rbuf, (size_t)len, &r) == 0)
            record(c, &r);
        else
            fprintf(stderr, "sgdsweep: rank 0: dropped a malformed result from rank %d\n", w);
    } else if (st->MPI_TAG == TAG_REQ) {
        int signalled;
        MPI_Recv(&signalled, 1, MPI_INT, w, TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (signalled && !c->stopping) /* a worker got the signal first: everyone stops */
            c->stopping = 1;
        c->signalled |= signalled;
        long n = c->stopping ? 0 : take_chunk(c, (long *)(c->chunk + 2), MAX_CHUNK);
        c->chunk[0] = c->abort_sent[w];
        c->chunk[1] = n;
        MPI_Send(c->chunk, (int)(2 + n), MPI_INT64_T, w, TAG_WORK, MPI_COMM_WORLD);
        c->busy[w] = n > 0;
        if (n == 0)
            c->active--;
    }
}

/* answer every message waiting now */
static void service(coord *c)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            break;
        handle(c, &st);
    }
}

static void tick(coord *c)
{
    if (g_signal && !c->stopping)
        c->stopping = 1;
    c->signalled |= g_signal != 0;
    if (c->stopping)
        begin_stop(c);
    if (now() >= c->next_flush)
        flush_file(c);
    progress(c, 0);
}

/* called between rank 0's own training steps */
static int coord_hook(void *ctx)
{
    coord *c = ctx;
    service(c);
    tick(c);
    return c->stopping != 0;
}

static int coord_interrupt(void *ctx)
{
    coord *c = ctx;
    tick(c);
    return 0;
}

typedef struct {
    double cost;
    long run;
} queued;

static int cmp_queued(const void *a, const void *b)
{
    const queued *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->run < y->run ? -1 : x->run > y->run; /* ties in run order: a deterministic schedule */
}

/* most expensive first */
static int sort_queue(long *q, long n, const double *cost)
{
    queued *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (long i = 0; i < n; i++)
        tmp[i].cost = cost[q[i]], tmp[i].run = q[i];
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_queued);
    for (long i = 0; i < n; i++)
        q[i] = tmp[i].run;
    free(tmp);
    return 0;
}

static int coord_setup(coord *c, long *n_resumed)
{
    const par_opts *o = c->o;
    const spec *sp = c->sp;
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s.journal", o->out);
    sweep_shape shape; /* curve length, probe curves and array lengths: the widest run's */
    sweep_shape_init(&shape);
    c->cost = malloc((size_t)(sp->n_runs ? sp->n_runs : 1) * sizeof(double));
    c->queue = malloc((size_t)(sp->n_runs ? sp->n_runs : 1) * sizeof(long));
    c->busy = calloc((size_t)c->size, 1);
    c->abort_sent = calloc((size_t)c->size, 1);
    if (!c->cost || !c->queue || !c->busy || !c->abort_sent)
        return sgd_fail(&c->err, SGD_ENOMEM, "out of memory");
    for (long i = 0; i < sp->n_runs; i++) {
        cfg s;
        if (spec_run(sp, i, &s, &c->err))
            return c->err.code;
        c->cost[i] = sweep_cost(&s);
        sweep_shape_add(&shape, &s);
    }
    if (sweep_table_init(&c->t, sp->n_runs, &shape, &c->err))
        return c->err.code;
    struct stat so;
    if (stat(o->out, &so) == 0 && !S_ISREG(so.st_mode))
        return sgd_fail(&c->err, SGD_EIO, "%s: exists and is not a regular file", o->out);
    if (o->force) { /* replace: but never the journal of a sweep still running */
        int fd = open(jpath, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            char why[160];
            int busy = io_lock(fd, why, sizeof why) == IO_LOCK_BUSY; /* no locks at all: nobody to ask */
            if (!busy)
                unlink(jpath);
            close(fd);
            if (busy)
                return sgd_fail(&c->err, SGD_EIO, "%s: in use by another sgdsweep; refusing to replace it", jpath);
        }
    }
    if (c->resume) {
        if (journal_resume(jpath, sp->sha256, sp->n_runs, &c->t, n_resumed, &c->prov.created, &c->prov.resumes,
                           &c->jr, &c->err))
            return c->err.code;
    } else {
        if (journal_create(jpath, sp->sha256, sp->n_runs, c->prov.created, &c->jr, &c->err))
            return c->err.code;
    }
    if (!(c->st = store_alloc(sp, o->out, &c->err)))
        return c->err.code;
    store_set_deflate(c->st, o->compress);
    /* pending runs (failed ones are tried again), most expensive first */
    c->qn = 0;
    c->remaining_cost = 0;
    for (long i = 0; i < sp->n_runs; i++)
        if (c->t.status[i] == ST_PENDING || c->t.status[i] == ST_FAILED) {
            c->queue[c->qn++] = i;
            c->remaining_cost += c->cost[i];
        }
    if (sort_queue(c->queue, c->qn, c->cost))
        return sgd_fail(&c->err, SGD_ENOMEM, "out of memory");
    /* the file exists (and is readable) from the start */
    int rc = flush_file(c);
    if (rc && !c->resume) { /* nothing was run: leave no journal behind */
        journal_close(c->jr);
        c->jr = NULL;
        unlink(jpath);
    }
    return rc;
}

static void run_coordinator(sweep_worker *wk, coord *c)
{
    long own[MAX_CHUNK];
    long own_n = 0, own_pos = 0;
    c->active = c->size - 1;
    while (1) {
        service(c);
        tick(c);
        if (c->stopping) {
            own_n = own_pos = 0;
        } else if (own_pos < own_n) {
            run_record *rec;
            int rc = sweep_worker_train(wk, own[own_pos], coord_hook, c, &rec);
            if (rc == SGD_EABORT)
                continue; /* stopping */
            own_pos++;
            record(c, rec);
            continue;
        } else if (c->qpos < c->qn) {
            own_n = take_chunk(c, own, MAX_CHUNK);
            own_pos = 0;
            continue;
        }
        if (c->active == 0)
            break;
        MPI_Status st;
        if (wait_msg(MPI_ANY_SOURCE, MPI_ANY_TAG, &st, coord_interrupt, c) == 0)
            handle(c, &st);
    }
}

/* ---- workers ---------------------------------------------------------------- */

typedef struct {
    int aborted;
} wctx;

static int worker_hook(void *ctx)
{
    wctx *w = ctx;
    if (g_signal)
        return 1;
    int flag = 0;
    MPI_Iprobe(0, TAG_ABORT, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (flag) {
        MPI_Recv(NULL, 0, MPI_INT, 0, TAG_ABORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        w->aborted = 1;
        return 1;
    }
    return 0;
}

static void run_worker(sweep_worker *wk)
{
    wctx w = {0};
    static int64_t msg[2 + MAX_CHUNK];
    void *buf = NULL;
    size_t cap = 0;
    for (;;) {
        int signalled = g_signal != 0; /* tells rank 0 to stop the sweep */
        MPI_Send(&signalled, 1, MPI_INT, 0, TAG_REQ, MPI_COMM_WORLD);
        MPI_Status st;
        wait_msg(0, TAG_WORK, &st, NULL, NULL);
        MPI_Recv(msg, 2 + MAX_CHUNK, MPI_INT64_T, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (msg[1] == 0) {
            if (msg[0] && !w.aborted) /* an ABORT is on its way: take it */
                MPI_Recv(NULL, 0, MPI_INT, 0, TAG_ABORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        for (long k = 0; k < msg[1]; k++) {
            if (g_signal || w.aborted)
                break;
            run_record *rec;
            if (sweep_worker_train(wk, (long)msg[2 + k], worker_hook, &w, &rec) == SGD_EABORT)
                break;
            size_t n = sweep_record_size(rec);
            if (n > cap) {
                free(buf);
                cap = 2 * n;
                if (!(buf = malloc(cap))) {
                    fprintf(stderr, "sgdsweep: rank %d: out of memory packing a result\n", rec->rank);
                    cap = 0;
                    continue; /* the run stays pending; a resume runs it again */
                }
            }
            sweep_record_pack(rec, buf);
            MPI_Send(buf, (int)n, MPI_BYTE, 0, TAG_RES, MPI_COMM_WORLD);
        }
    }
    free(buf);
}

/* ---- entry --------------------------------------------------------------- */

/* rank from the launcher's environment, before MPI_Init (for messages) */
static int env_rank(void)
{
    const char *v[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
    for (int i = 0; i < 4; i++) {
        const char *s = getenv(v[i]);
        if (s)
            return atoi(s);
    }
    return 0;
}

int par_sweep(int *argc, char ***argv, const par_opts *o)
{
    par_catch_signals(); /* main did already; a library caller may not have */
    const int r0 = env_rank() == 0;
    int fresh = 0; /* --resume with nothing to resume: a new sweep */
    sgd_err e = {0};
    spec *sp = NULL;
    /* everything that can be refused is refused before MPI starts */
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s.journal", o->out);
    int rc = spec_load(o->spec_path, &sp, &e);
    if (rc) {
        if (r0)
            fprintf(stderr, "sgdsweep: %s\n", e.msg);
        spec_free(sp);
        return rc;
    }

    /* threads OpenBLAS started when it was loaded, one per core this process
     * may run on (before the trainer sets it to one): idle, they only take
     * memory and, while they spin at start, CPU from the other ranks */
    const int blas_threads = openblas_get_num_threads();
    MPI_Init(argc, argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* the output is rank 0's: it alone decides whether it may be written
     * (other ranks may not even see the same file system) */
    if (rank == 0) {
        struct stat so;
        if (stat(o->out, &so) == 0 && !S_ISREG(so.st_mode))
            rc = sgd_fail(&e, SGD_EIO, "%s: exists and is not a regular file; refusing to replace it", o->out);
        else if (!o->resume && !o->force && (access(o->out, F_OK) == 0 || access(jpath, F_OK) == 0))
            rc = sgd_fail(&e, SGD_EIO,
                          "%s: %s exists; refusing to overwrite it (--resume continues it, --force replaces it)",
                          o->out, access(o->out, F_OK) == 0 ? "result file" : "its journal");
        else if (o->resume && access(jpath, F_OK) != 0 && access(o->out, F_OK) == 0)
            rc = sgd_fail(&e, SGD_EIO, "%s: nothing to resume (no journal %s)", o->out, jpath);
        else if (o->resume && access(jpath, F_OK) != 0) {
            /* neither journal nor result: a start killed before it wrote its journal
             * (a requeued job, a wrapper that always says --resume); nothing to lose */
            fresh = 1;
            fprintf(stderr, "sgdsweep: note: nothing to resume (no %s, no journal): starting %s from the beginning\n",
                    o->out, o->out);
        }
        if (rc)
            fprintf(stderr, "sgdsweep: %s\n", e.msg);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc) {
        spec_free(sp);
        MPI_Finalize();
        return rc;
    }
    /* host names, for provenance */
    char host[64] = {0}, *hosts = NULL;
    gethostname(host, sizeof host - 1);
    if (rank == 0 && !(hosts = calloc((size_t)size, 64))) {
        fprintf(stderr, "sgdsweep: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, SGD_ENOMEM);
    }
    MPI_Gather(host, 64, MPI_CHAR, hosts, 64, MPI_CHAR, 0, MPI_COMM_WORLD);

    sweep_worker *wk = sweep_worker_alloc(sp, rank);
    coord c;
    memset(&c, 0, sizeof c);
    int ok = wk != NULL, code = 0;
    long n_resumed = 0;
    char verbuf[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    char *hostlist = NULL;
    if (rank == 0) {
        c.o = o, c.sp = sp, c.size = size, c.resume = o->resume && !fresh;
        c.tty = isatty(2);
        c.t_start = now();
        int vl;
        MPI_Get_library_version(verbuf, &vl);
        char *nl = strchr(verbuf, '\n');
        if (nl)
            *nl = 0;
        nl = strchr(verbuf, ',');
        if (nl)
            *nl = 0;
        hostlist = calloc((size_t)size, 65);
        for (int i = 0; hostlist && i < size; i++) {
            int dup = 0;
            for (int j = 0; j < i; j++)
                dup |= strncmp(hosts + 64 * i, hosts + 64 * j, 64) == 0;
            if (!dup)
                strcat(strcat(hostlist, *hostlist ? "," : ""), hosts + 64 * i);
        }
        c.prov.command_line = o->command_line;
        c.prov.created = (double)time(NULL);
        c.prov.mpi_size = size;
        c.prov.hosts = hostlist ? hostlist : "";
        c.prov.mpi_version = verbuf;
        if (ok && coord_setup(&c, &n_resumed) != 0)
            ok = 0;
        if (!ok) {
            fprintf(stderr, "sgdsweep: %s\n", c.err.msg[0] ? c.err.msg : "out of memory");
            code = c.err.code ? c.err.code : SGD_ENOMEM;
        } else {
            c.done_at_start = c.t.n_done + c.t.n_failed;
            if (*journal_note(c.jr)) /* even with --quiet: what is no longer protected */
                fprintf(stderr, "sgdsweep: warning: %s\n", journal_note(c.jr));
            if (!o->quiet)
                fprintf(stderr, "sgdsweep: %ld runs on %d rank%s -> %s%s\n", sp->n_runs, size, size > 1 ? "s" : "",
                        o->out, c.resume ? " (resumed)" : "");
            if (sp->n_dims > STORE_MAX_DIMS && !o->quiet)
                fprintf(stderr, "sgdsweep: %d grid dimensions: the result file gets /runs but no /grid view (at most %d)\n",
                        sp->n_dims, STORE_MAX_DIMS);
            if (c.resume && !o->quiet)
                fprintf(stderr, "sgdsweep: %ld runs already done, %ld to go\n", c.t.n_done, c.qn);
            if (size > 1 && blas_threads > (o->blas_threads > 0 ? o->blas_threads : 1) && !o->quiet)
                fprintf(stderr,
                        "sgdsweep: note: OpenBLAS started %d threads in rank 0, but sgdsweep uses %d per rank "
                        "(it could not re-execute itself with OPENBLAS_NUM_THREADS set: export "
                        "OPENBLAS_NUM_THREADS=%d)\n",
                        blas_threads, o->blas_threads > 0 ? o->blas_threads : 1,
                        o->blas_threads > 0 ? o->blas_threads : 1);
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (ok) {
        if (rank == 0) {
            run_coordinator(wk, &c);
            flush_file(&c);
            progress(&c, 1);
            if (c.io_error) {
                fprintf(stderr, "sgdsweep: %s\n", c.err.msg);
                code = c.err.code ? c.err.code : SGD_EIO;
            } else if (c.t.n_done + c.t.n_failed < c.t.n_runs) {
                if (!o->quiet)
                    fprintf(stderr, "sgdsweep: stopped%s with %ld of %ld runs done; continue with --resume\n",
                            c.signalled ? " by a signal" : "", c.t.n_done + c.t.n_failed, c.t.n_runs);
                code = SGD_EINCOMPLETE;
            } else if (!o->quiet) {
                fprintf(stderr, "sgdsweep: done: %ld runs (%ld diverged, %ld failed) in %.1f s -> %s (%ld writes, %.2f s)\n",
                        c.t.n_runs, c.t.n_diverged, c.t.n_failed, now() - c.t_start, o->out, c.n_writes, c.write_s);
            }
        } else {
            run_worker(wk);
        }
    }
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        journal_close(c.jr);
        store_free(c.st);
        sweep_table_destroy(&c.t);
        free(c.queue), free(c.cost), free(c.busy), free(c.abort_sent), free(c.rbuf);
        free(hostlist);
        free(hosts);
    }
    sweep_worker_free(wk);
    spec_free(sp);
    MPI_Finalize();
    return code;
}
