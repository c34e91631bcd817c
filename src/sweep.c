/* sweep.c -- records, the run table, cost estimates, one run of a spec. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sweep.h"

/* ---- records -------------------------------------------------------------- */

enum { HDR = 8 + 4 * 4 };
enum { PLEN = (N_PARR * 4 + 7) / 8 * 8 }; /* int32 parr_len[N_PARR], padded to 8 bytes */
enum { MAX_CKPT = 10000000, MAX_PARR = 1 << 27 }; /* sanity bounds of unpack */

/* bytes of everything but the probe arrays' values */
static size_t fixed_size(int n_ckpt, size_t msg)
{
    return HDR + (size_t)met_nfields * 8 + (size_t)n_ckpt * 8 * (6 + N_PCURVE) + PLEN + 64 + msg;
}

size_t sweep_record_size(const run_record *r)
{
    size_t n = fixed_size(r->n_ckpt, strnlen(r->msg, sizeof r->msg));
    for (int a = 0; a < N_PARR; a++)
        n += (size_t)(r->parr_len[a] > 0 ? r->parr_len[a] : 0) * 8;
    return n;
}

void sweep_record_pack(const run_record *r, void *buf)
{
    char *p = buf;
    const size_t nc = (size_t)r->n_ckpt * 8;
    int32_t h[4] = {r->status, r->n_ckpt, r->rank, (int32_t)strnlen(r->msg, sizeof r->msg)};
    memcpy(p, &r->run, 8), p += 8;
    memcpy(p, h, sizeof h), p += sizeof h;
    memcpy(p, r->metric, (size_t)met_nfields * 8), p += (size_t)met_nfields * 8;
    if (r->n_ckpt > 0) { /* a failed run has no curve (and maybe no arrays) */
        memcpy(p, r->step, nc), p += nc;
        for (int c = 0; c < 5; c++)
            memcpy(p, r->curve[c], nc), p += nc;
        for (int c = 0; c < N_PCURVE; c++) {
            if (r->pcurve[c]) {
                memcpy(p, r->pcurve[c], nc), p += nc;
                continue;
            }
            const double nan = NAN;
            for (int k = 0; k < r->n_ckpt; k++)
                memcpy(p, &nan, 8), p += 8;
        }
    }
    int32_t len[PLEN / 4] = {0};
    for (int a = 0; a < N_PARR; a++)
        len[a] = r->parr_len[a] > 0 ? r->parr_len[a] : 0;
    memcpy(p, len, PLEN), p += PLEN;
    for (int a = 0; a < N_PARR; a++)
        if (len[a] > 0)
            memcpy(p, r->parr[a], (size_t)len[a] * 8), p += (size_t)len[a] * 8;
    char host[64] = {0};
    memcpy(host, r->host, strnlen(r->host, sizeof host - 1));
    memcpy(p, host, 64), p += 64;
    memcpy(p, r->msg, (size_t)h[3]);
}

int sweep_record_unpack(const void *buf, size_t len, run_record *r)
{
    const char *p = buf;
    int32_t h[4];
    if (len < HDR)
        return -1;
    memcpy(&r->run, p, 8), p += 8;
    memcpy(h, p, sizeof h), p += sizeof h;
    r->status = h[0], r->n_ckpt = h[1], r->rank = h[2];
    if (r->run < 0 || h[1] < 0 || h[1] > MAX_CKPT || h[3] < 0 || h[3] >= (int32_t)sizeof r->msg ||
        h[0] < ST_DONE || h[0] > ST_FAILED)
        return -1;
    const size_t fixed = fixed_size(h[1], (size_t)h[3]), nc = (size_t)h[1] * 8;
    if (len < fixed)
        return -1;
    /* the array lengths: each, and their sum, must fit what is left exactly */
    int32_t alen[PLEN / 4];
    memcpy(alen, p + (size_t)met_nfields * 8 + nc * (6 + N_PCURVE), PLEN);
    size_t vals = 0;
    for (int a = 0; a < N_PARR; a++) {
        if (alen[a] < 0 || alen[a] > MAX_PARR)
            return -1;
        vals += (size_t)alen[a];
    }
    for (int a = N_PARR; a < PLEN / 4; a++)
        if (alen[a] != 0) /* the padding */
            return -1;
    if ((len - fixed) / 8 != vals || (len - fixed) % 8 != 0)
        return -1;
    /* the arrays are referenced in place: buf must be 8-byte aligned (every
     * array starts at a multiple of 8 bytes) */
    r->metric = (double *)p, p += (size_t)met_nfields * 8;
    r->step = (int64_t *)p, p += nc;
    for (int c = 0; c < 5; c++)
        r->curve[c] = (double *)p, p += nc;
    for (int c = 0; c < N_PCURVE; c++)
        r->pcurve[c] = (double *)p, p += nc;
    p += PLEN;
    for (int a = 0; a < N_PARR; a++) {
        r->parr_len[a] = alen[a];
        r->parr[a] = alen[a] > 0 ? (double *)p : NULL;
        p += (size_t)alen[a] * 8;
    }
    memcpy(r->host, p, 64), p += 64;
    r->host[63] = 0;
    memcpy(r->msg, p, (size_t)h[3]);
    r->msg[h[3]] = 0;
    return 0;
}

/* ---- table --------------------------------------------------------------- */

void sweep_shape_init(sweep_shape *sh)
{
    memset(sh, 0, sizeof *sh);
    sh->K = 1;
}

void sweep_shape_add(sweep_shape *sh, const cfg *s)
{
    if (s->checkpoints > sh->K) /* train_checkpoints gives at most `checkpoints` points */
        sh->K = s->checkpoints;
    for (int c = 0; c < N_PCURVE; c++)
        sh->pcurve_on[c] |= probe_curve_on(s, c) != 0;
    for (int a = 0; a < N_PARR; a++) {
        int n = probe_array_len(s, a);
        if (n > sh->parr_max[a])
            sh->parr_max[a] = n;
    }
}

void sweep_table_destroy(sweep_table *t)
{
    if (!t)
        return;
    free(t->status), free(t->metric), free(t->rank);
    for (long i = 0; t->msg && i < t->n_runs; i++)
        free(t->msg[i]);
    for (int h = 0; h < t->n_hosts; h++)
        free(t->host_name[h]);
    free(t->host), free(t->host_name), free(t->msg), free(t->step);
    for (int c = 0; c < 5; c++)
        free(t->curve[c]);
    for (int c = 0; c < N_PCURVE; c++)
        free(t->pcurve[c]);
    for (int a = 0; a < N_PARR; a++)
        free(t->parr[a]);
    memset(t, 0, sizeof *t);
}

static double *nan_array(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = NAN;
    return v;
}

int sweep_table_init(sweep_table *t, long n, const sweep_shape *sh, sgd_err *e)
{
    memset(t, 0, sizeof *t);
    const int K = sh->K;
    t->n_runs = n;
    t->K = K;
    size_t nk = (size_t)n * K;
    t->status = calloc((size_t)n, 1);
    t->metric = malloc((size_t)n * met_nfields * sizeof(double));
    t->rank = malloc((size_t)n * sizeof(int32_t));
    t->host = malloc((size_t)n * sizeof *t->host);
    t->msg = calloc((size_t)n, sizeof *t->msg);
    t->step = malloc(nk * sizeof(int64_t));
    int bad = !t->status || !t->metric || !t->rank || !t->host || !t->msg || !t->step;
    for (int c = 0; c < 5; c++)
        bad |= !(t->curve[c] = nan_array(nk));
    for (int c = 0; c < N_PCURVE; c++)
        if (sh->pcurve_on[c])
            bad |= !(t->pcurve[c] = nan_array(nk));
    for (int a = 0; a < N_PARR; a++) {
        t->parr_max[a] = sh->parr_max[a] > 0 ? sh->parr_max[a] : 0;
        if (t->parr_max[a] > 0)
            bad |= !(t->parr[a] = nan_array((size_t)n * t->parr_max[a]));
    }
    if (bad) {
        sweep_table_destroy(t);
        return sgd_fail(e, SGD_ENOMEM, "out of memory (result table of %ld runs)", n);
    }
    for (size_t i = 0; i < (size_t)n * met_nfields; i++)
        t->metric[i] = NAN;
    for (long i = 0; i < n; i++)
        t->rank[i] = t->host[i] = -1;
    for (size_t i = 0; i < nk; i++)
        t->step[i] = -1;
    return 0;
}

/* the index of host name h in t->host_name, added if new; -1 if out of memory */
static int32_t intern_host(sweep_table *t, const char *h)
{
    for (int k = t->n_hosts - 1; k >= 0; k--)
        if (!strcmp(t->host_name[k], h))
            return k;
    char **nh = realloc(t->host_name, (size_t)(t->n_hosts + 1) * sizeof *nh);
    if (!nh)
        return -1;
    t->host_name = nh;
    if (!(nh[t->n_hosts] = strdup(h)))
        return -1;
    return t->n_hosts++;
}

const char *sweep_table_host(const sweep_table *t, long i)
{
    return t->host[i] >= 0 ? t->host_name[t->host[i]] : "";
}

const char *sweep_table_msg(const sweep_table *t, long i)
{
    return t->msg[i] ? t->msg[i] : "";
}

void sweep_table_put(sweep_table *t, const run_record *r)
{
    const long i = (long)r->run;
    if (i < 0 || i >= t->n_runs)
        return;
    int old = t->status[i];
    t->n_done -= old == ST_DONE || old == ST_DIVERGED;
    t->n_diverged -= old == ST_DIVERGED;
    t->n_failed -= old == ST_FAILED;
    t->status[i] = (int8_t)r->status;
    t->n_done += r->status == ST_DONE || r->status == ST_DIVERGED;
    t->n_diverged += r->status == ST_DIVERGED;
    t->n_failed += r->status == ST_FAILED;
    for (int m = 0; m < met_nfields; m++) /* by column: the file's layout */
        t->metric[(size_t)m * t->n_runs + i] = r->metric[m];
    t->rank[i] = r->rank;
    t->host[i] = intern_host(t, r->host);
    free(t->msg[i]);
    t->msg[i] = r->msg[0] ? strdup(r->msg) : NULL; /* NULL (no memory) reads as "" */
    const size_t o = (size_t)i * t->K;
    int n = r->n_ckpt < t->K ? r->n_ckpt : t->K;
    for (int k = 0; k < t->K; k++) {
        t->step[o + k] = k < n ? r->step[k] : -1;
        for (int c = 0; c < 5; c++)
            t->curve[c][o + k] = k < n ? r->curve[c][k] : NAN;
        for (int c = 0; c < N_PCURVE; c++)
            if (t->pcurve[c])
                t->pcurve[c][o + k] = k < n && r->pcurve[c] ? r->pcurve[c][k] : NAN;
    }
    for (int a = 0; a < N_PARR; a++) {
        if (!t->parr[a])
            continue;
        const int m = t->parr_max[a], have = r->parr[a] ? (r->parr_len[a] < m ? r->parr_len[a] : m) : 0;
        double *row = t->parr[a] + (size_t)i * m;
        for (int j = 0; j < m; j++)
            row[j] = j < have ? r->parr[a][j] : NAN;
    }
}

/* ---- cost -------------------------------------------------------------- */

double sweep_cost(const cfg *s)
{
    /* sizes as the generators make them (a data file's are known only when
     * it is read: the settings stand in for them) */
    const double d = s->d_in, k = s->data == DATA_LINEAR ? 1 : s->classes > 1 ? s->classes : 1, w = s->width;
    double macs = s->depth == 0 ? d * k : d * w + (s->depth - 1) * w * w + w * k; /* per example */
    const double n = s->n_train;
    const double B = cfg_full_batch(s) ? n : s->batch;
    const long T = train_budget(s, s->n_train);
    const double evals = cfg_full_batch(s) ? s->checkpoints : (double)T / train_eval_every(s, s->n_train, T) + s->checkpoints;
    const double train = 6 * macs * B * T + 2 * macs * (evals * n + s->checkpoints * s->n_test);
    if (!cfg_probes_on(s))
        return train;
    /* probes (docs/PROBES.md, costs): a pass = forward + backward over the
     * probe set (6 macs per example), an HVP about two passes */
    const double np = s->probe_n > 0 && s->probe_n < n ? s->probe_n : n, pass = 6 * macs * np, hvp = 2 * pass;
    const double events = s->probe_every > 0 ? (double)(s->checkpoints - 1) / s->probe_every : 0; /* + the end */
    double c = 0;
    if (s->sharpness_k > 0)
        c += hvp * (s->eig_iters + 2) * (s->sharpness_k + events);
    c += hvp * s->trace_vecs * (1 + events);
    c += hvp * (double)s->density_vecs * s->density_iters;
    c += s->grad_noise ? 2 * pass * (1 + events) : 0;
    c += s->mli ? pass / 3 * s->mli_points : 0;
    c += s->ntk_n > 0 ? 2 * k * 6 * macs * s->ntk_n : 0;
    if (s->tail > 0 && !cfg_full_batch(s))
        c += 2 * macs * n * floor(s->tail * T) / (s->tail_every > 0 ? s->tail_every : train_eval_every(s, s->n_train, T));
    return train + c;
}

/* ---- one run ------------------------------------------------------------- */

struct sweep_worker {
    const spec *sp;
    int rank;
    char host[64];
    cfg data_key;            /* data settings of the cached dataset */
    dataset *ds;
    run_record rec;
    size_t cap;              /* curve capacity of rec */
    size_t parr_cap[N_PARR]; /* capacity of rec.parr[i] */
    double *metric;
};

sweep_worker *sweep_worker_alloc(const spec *sp, int rank)
{
    sweep_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->sp = sp;
    w->rank = rank;
    if (gethostname(w->host, sizeof w->host - 1) != 0)
        strcpy(w->host, "?");
    w->metric = malloc((size_t)met_nfields * sizeof(double));
    if (!w->metric) {
        free(w);
        return NULL;
    }
    return w;
}

void sweep_worker_free(sweep_worker *w)
{
    if (!w)
        return;
    data_free(w->ds);
    free(w->rec.step);
    for (int c = 0; c < 5; c++)
        free(w->rec.curve[c]);
    for (int c = 0; c < N_PCURVE; c++)
        free(w->rec.pcurve[c]);
    for (int a = 0; a < N_PARR; a++)
        free(w->rec.parr[a]);
    free(w->metric);
    free(w);
}

/* the settings data_make depends on, everything else zeroed */
static void data_key(const cfg *s, cfg *k)
{
    memset(k, 0, sizeof *k);
    k->data = s->data, k->task = s->task, k->n_train = s->n_train, k->n_test = s->n_test;
    k->d_in = s->d_in, k->classes = s->classes, k->teacher_width = s->teacher_width;
    k->teacher_depth = s->teacher_depth, k->teacher_act = s->teacher_act, k->label_noise = s->label_noise;
    k->target_noise = s->target_noise, k->separation = s->separation, k->cov_decay = s->cov_decay;
    k->standardize = s->standardize, k->softplus_beta = s->softplus_beta;
    memcpy(k->data_file, s->data_file, sizeof k->data_file);
    k->data_seed = (int64_t)cfg_data_seed(s);
}

static int grow(double **v, size_t n)
{
    double *nv = realloc(*v, (n ? n : 1) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

/* room for n checkpoints and the probe arrays of r */
static int reserve(sweep_worker *w, size_t n, const result *r)
{
    if (n > w->cap) {
        int64_t *st = realloc(w->rec.step, n * sizeof *st);
        if (!st)
            return -1;
        w->rec.step = st;
        for (int c = 0; c < 5; c++)
            if (grow(&w->rec.curve[c], n))
                return -1;
        for (int c = 0; c < N_PCURVE; c++)
            if (grow(&w->rec.pcurve[c], n))
                return -1;
        w->cap = n;
    }
    for (int a = 0; a < N_PARR; a++) {
        size_t m = r->parr[a] && r->parr_len[a] > 0 ? (size_t)r->parr_len[a] : 0;
        if (m > w->parr_cap[a]) {
            if (grow(&w->rec.parr[a], m))
                return -1;
            w->parr_cap[a] = m;
        }
    }
    return 0;
}

int sweep_worker_train(sweep_worker *w, long i, train_hook hook, void *ctx, run_record **out)
{
    run_record *rec = &w->rec;
    sgd_err e = {0};
    cfg s, key;
    result r = {0};
    memset(rec->msg, 0, sizeof rec->msg);
    rec->run = i;
    rec->rank = w->rank;
    rec->n_ckpt = 0;
    memset(rec->parr_len, 0, sizeof rec->parr_len);
    rec->metric = w->metric;
    snprintf(rec->host, sizeof rec->host, "%s", w->host);
    for (int m = 0; m < met_nfields; m++)
        w->metric[m] = NAN;
    *out = rec;
    int rc = spec_run(w->sp, i, &s, &e);
    if (!rc) {
        data_key(&s, &key);
        if (!w->ds || memcmp(&key, &w->data_key, sizeof key) != 0) {
            data_free(w->ds);
            w->ds = NULL;
            rc = data_make(&s, &w->ds, &e);
            if (!rc)
                w->data_key = key;
        }
    }
    if (!rc)
        rc = train_run_hooked(&s, w->ds, 0, &r, hook, ctx, 0.001, &e);
    if (rc == SGD_EABORT)
        return rc;
    if (!rc && reserve(w, (size_t)r.n_ckpt, &r) != 0)
        rc = sgd_fail(&e, SGD_ENOMEM, "out of memory (curves of %d points, probe arrays)", r.n_ckpt);
    if (rc) {
        rec->status = ST_FAILED;
        snprintf(rec->msg, sizeof rec->msg, "%.255s", e.msg[0] ? e.msg : "error");
        result_destroy(&r);
        return 0;
    }
    rec->status = r.status == RUN_DIVERGED ? ST_DIVERGED : ST_DONE;
    for (int m = 0; m < met_nfields; m++) {
        const void *p = (const char *)&r + met_fields[m].offset;
        w->metric[m] = met_fields[m].type == MET_REAL ? *(const double *)p
                       : met_fields[m].type == MET_LONG ? (double)*(const long *)p
                                                        : (double)*(const int *)p;
    }
    rec->n_ckpt = r.n_ckpt;
    for (int k = 0; k < r.n_ckpt; k++) {
        rec->step[k] = r.ckpt_step[k];
        rec->curve[0][k] = r.ckpt_lr[k];
        rec->curve[1][k] = r.ckpt_train_loss[k];
        rec->curve[2][k] = r.ckpt_train_acc[k];
        rec->curve[3][k] = r.ckpt_test_loss[k];
        rec->curve[4][k] = r.ckpt_test_acc[k];
        for (int c = 0; c < N_PCURVE; c++)
            rec->pcurve[c][k] = r.ckpt_probe[c] ? r.ckpt_probe[c][k] : NAN;
    }
    for (int a = 0; a < N_PARR; a++) {
        rec->parr_len[a] = r.parr[a] && r.parr_len[a] > 0 ? r.parr_len[a] : 0;
        if (rec->parr_len[a] > 0)
            memcpy(rec->parr[a], r.parr[a], (size_t)rec->parr_len[a] * sizeof(double));
    }
    result_destroy(&r);
    return 0;
}
