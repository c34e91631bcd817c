/* probe.c -- the probes of one run (see probe.h, docs/PROBES.md).
 * Always in double precision: this file uses the f64 build of the passes. */
#define SGD_F64
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "real.h"
#include "lanczos.h"
#include "mlp.h"
#include "probe.h"
#include "rng.h"

enum { PROBE_ROWS = 512 }; /* rows per chunk of a pass over the probe set */
/* the whole probe set in one chunk, with the HVP's v-independent part cached
 * (mlp_hvp_prepare), when the workspaces then take at most this many bytes */
#define PROBE_CACHE_BYTES (256.0 * 1024 * 1024)

struct probe {
    arch a;
    int np, d, k, cls;
    size_t P, lo, Pt;            /* parameters, first trained, trained count */
    double *x, *y;               /* probe set [np x d], [np x k] (y: regression) */
    int *c, *rows;               /* labels [np] (classification), rows in the training set [np] */
    int owns;                    /* x, y, c are copies (a subset), not the dataset's */
    mlp_ws *ws;
    mlp_rws *rws;
    double **dzl;                /* [nl] per-layer dL/dz of a chunk, for per-example gradients */
    double *theta;               /* [P] the parameters probed */
    double *v, *hv, *g, *u, *t;  /* [P] scratch */
    gsl_rng *rv;                 /* RNG_PROBE_VEC */
    train_hook hook;
    void *ctx;
    double every, next;
    long hvps;
    int cached;                  /* one chunk, HVPs through mlp_hvp_prepare / mlp_hvp_cached */
    int prepared;                /* the cache holds the current theta's pass */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void probe_free(probe *p)
{
    if (!p)
        return;
    if (p->owns) {
        free(p->x), free(p->y), free(p->c);
    }
    free(p->rows);
    if (p->dzl)
        for (int l = 0; l < p->a.nl; l++)
            free(p->dzl[l]);
    free(p->dzl);
    mlp_ws_free(p->ws);
    mlp_rws_free(p->rws);
    free(p->theta), free(p->v), free(p->hv), free(p->g), free(p->u), free(p->t);
    gsl_rng_free(p->rv);
    arch_destroy(&p->a);
    free(p);
}

probe *probe_alloc(const cfg *s, const dataset *ds, sgd_err *e)
{
    probe *p = calloc(1, sizeof *p);
    if (!p) {
        sgd_fail(e, SGD_ENOMEM, "out of memory (probes)");
        return NULL;
    }
    if (arch_init(&p->a, s, ds->d, ds->k, e)) {
        free(p);
        return NULL;
    }
    const int n = ds->n_train;
    if (s->probe_n > n) {
        sgd_fail(e, SGD_EUSAGE, "probe_n: %d is larger than the training set (%d examples)", s->probe_n, n);
        probe_free(p);
        return NULL;
    }
    p->d = ds->d, p->k = ds->k, p->cls = ds->classification;
    p->np = s->probe_n > 0 ? s->probe_n : n;
    p->P = p->a.n_params, p->lo = p->a.first_trainable, p->Pt = p->P - p->lo;
    int bad = 0;
    p->rows = malloc((size_t)p->np * sizeof *p->rows);
    bad |= !p->rows;
    if (!bad) {
        for (int i = 0; i < p->np; i++)
            p->rows[i] = i;
        if (p->np < n) { /* a subset, drawn once per run, in training-set order */
            int *all = malloc((size_t)n * sizeof *all);
            gsl_rng *r = rng_stream(cfg_init_seed(s), RNG_PROBE);
            if (all && r) {
                for (int i = 0; i < n; i++)
                    all[i] = i;
                gsl_ran_choose(r, p->rows, (size_t)p->np, all, (size_t)n, sizeof *all);
            } else {
                bad = 1;
            }
            free(all);
            gsl_rng_free(r);
        }
    }
    if (!bad && p->np == n) {
        p->x = ds->x_train, p->c = ds->c_train, p->y = ds->y_train;
    } else if (!bad) {
        p->owns = 1;
        p->x = malloc((size_t)p->np * p->d * sizeof *p->x);
        bad |= !p->x;
        if (p->cls)
            bad |= !(p->c = malloc((size_t)p->np * sizeof *p->c));
        else
            bad |= !(p->y = malloc((size_t)p->np * p->k * sizeof *p->y));
        for (int i = 0; i < p->np && !bad; i++) {
            const int j = p->rows[i];
            memcpy(p->x + (size_t)i * p->d, ds->x_train + (size_t)j * p->d, (size_t)p->d * sizeof *p->x);
            if (p->cls)
                p->c[i] = ds->c_train[j];
            else
                memcpy(p->y + (size_t)i * p->k, ds->y_train + (size_t)j * p->k, (size_t)p->k * sizeof *p->y);
        }
    }
    /* workspace doubles per row in one chunk: ws and rws (z, h and their R
     * images, 6 x maxw backward buffers), the per-layer dz of the noise
     * probe, and the cache (dz and dh per layer) */
    double per_row = 6.0 * p->a.maxw;
    for (int l = 0; l < p->a.nl; l++)
        per_row += 5.0 * p->a.L[l].fan_out + p->a.L[l].fan_in;
    p->cached = per_row * 8 * p->np <= PROBE_CACHE_BYTES;
    const int cap = p->cached || p->np < PROBE_ROWS ? p->np : PROBE_ROWS;
    p->ws = mlp_ws_alloc(&p->a, cap);
    p->rws = mlp_rws_alloc(&p->a, cap);
    p->dzl = calloc((size_t)p->a.nl, sizeof *p->dzl);
    bad |= !p->ws || !p->rws || !p->dzl;
    for (int l = 0; l < p->a.nl && !bad; l++)
        if (p->a.L[l].w >= p->lo)
            bad |= !(p->dzl[l] = malloc((size_t)cap * p->a.L[l].fan_out * sizeof(double)));
    const size_t P = p->P ? p->P : 1;
    p->theta = calloc(P, sizeof(double));
    p->v = calloc(P, sizeof(double));
    p->hv = calloc(P, sizeof(double));
    p->g = calloc(P, sizeof(double));
    p->u = calloc(P, sizeof(double));
    p->t = calloc(P, sizeof(double));
    p->rv = rng_stream(cfg_init_seed(s), RNG_PROBE_VEC);
    bad |= !p->theta || !p->v || !p->hv || !p->g || !p->u || !p->t || !p->rv;
    if (bad) {
        sgd_fail(e, SGD_ENOMEM, "out of memory (probes of a network of %zu parameters on %d examples)", p->P, p->np);
        probe_free(p);
        return NULL;
    }
    return p;
}

size_t probe_n_params(const probe *p) { return p->P; }
size_t probe_first_trainable(const probe *p) { return p->lo; }
int probe_n_examples(const probe *p) { return p->np; }
const int *probe_rows(const probe *p) { return p->rows; }

void probe_set_hook(probe *p, train_hook hook, void *ctx, double every)
{
    p->hook = hook, p->ctx = ctx, p->every = every;
    p->next = now() + every;
}

void probe_set_params(probe *p, const double *theta)
{
    memcpy(p->theta, theta, p->P * sizeof *theta);
    p->prepared = 0;
}

/* ---- building blocks -------------------------------------------------------- */

static double loss_at(probe *p, const double *theta, double *grad, double *acc)
{
    p->prepared = 0; /* ws now holds another pass */
    double L = mlp_loss_grad(&p->a, theta, p->ws, p->x, p->c, p->y, p->np, grad, acc);
    if (grad)
        memset(grad, 0, p->lo * sizeof *grad); /* mlp_loss_grad leaves the frozen part alone */
    return L;
}

double probe_loss(probe *p, double *grad, double *acc) { return loss_at(p, p->theta, grad, acc); }

static int poll(probe *p)
{
    if (!p->hook)
        return 0;
    double t = now();
    if (t < p->next)
        return 0;
    p->next = t + p->every;
    return p->hook(p->ctx) ? SGD_EABORT : 0;
}

int probe_hvp(probe *p, const double *v, double *hv)
{
    if (poll(p))
        return SGD_EABORT;
    memset(p->v, 0, p->lo * sizeof *p->v);
    memcpy(p->v + p->lo, v + p->lo, p->Pt * sizeof *p->v);
    if (p->cached) {
        if (!p->prepared)
            mlp_hvp_prepare(&p->a, p->theta, p->ws, p->rws, p->x, p->c, p->y, p->np, NULL, NULL);
        p->prepared = 1;
        mlp_hvp_cached(&p->a, p->theta, p->v, p->ws, p->rws, p->c, p->np, hv);
    } else {
        mlp_hvp(&p->a, p->theta, p->v, p->ws, p->rws, p->x, p->c, p->y, p->np, NULL, hv, NULL);
    }
    p->hvps++;
    return 0;
}

/* H applied in the trained subspace: y[Pt] = H x[Pt] */
static int hvp_t(probe *p, const double *x, double *y)
{
    memcpy(p->u + p->lo, x, p->Pt * sizeof *x);
    int rc = probe_hvp(p, p->u, p->hv);
    memcpy(y, p->hv + p->lo, p->Pt * sizeof *y);
    return rc;
}

static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

static void rademacher(probe *p, double *z, size_t n)
{
    for (size_t i = 0; i < n; i++)
        z[i] = gsl_rng_uniform_int(p->rv, 2) ? 1.0 : -1.0;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

void probe_example_sqnorms(probe *p, double *sq)
{
    const arch *a = &p->a;
    mlp_ws *ws = p->ws;
    p->prepared = 0;
    for (long s = 0; s < p->np; s += ws->cap) {
        const int m = (int)(p->np - s < ws->cap ? p->np - s : ws->cap);
        mlp_forward(a, p->theta, ws, p->x + (size_t)s * p->d, m);
        /* scale 1: row i of dz is dl_i/df_i, each example's own gradient */
        mlp_loss(a, ws->z[a->nl - 1], m, p->c ? p->c + s : NULL, p->y ? p->y + (size_t)s * p->k : NULL, 1, ws->dz,
                 NULL);
        mlp_backward_keep(a, p->theta, ws, m, p->dzl);
        for (int i = 0; i < m; i++) {
            double t = 0;
            for (int l = 0; l < a->nl; l++) {
                if (!p->dzl[l])
                    continue;
                const arch_layer *L = &a->L[l];
                /* example i's dW_l = wmul dz_i h_i^T: |dW|^2 = wmul^2 |dz_i|^2 |h_i|^2 */
                const double dz2 = dot(p->dzl[l] + (size_t)i * L->fan_out, p->dzl[l] + (size_t)i * L->fan_out,
                                       (size_t)L->fan_out);
                const double *h = ws->h[l] + (size_t)i * L->fan_in;
                t += L->wmul * L->wmul * dz2 * dot(h, h, (size_t)L->fan_in) + (a->bias ? dz2 : 0);
            }
            sq[s + i] = t;
        }
    }
}

int probe_ntk(probe *p, const double *theta, int nk, double *K)
{
    const arch *a = &p->a;
    const int k = a->k;
    mlp_ws *ws = mlp_ws_alloc(a, nk);
    double **dzl = calloc((size_t)a->nl, sizeof *dzl);
    double *G = malloc((size_t)nk * nk * sizeof *G), *D = malloc((size_t)nk * nk * sizeof *D);
    int bad = !ws || !dzl || !G || !D;
    for (int l = 0; l < a->nl && !bad; l++)
        if (a->L[l].w >= p->lo)
            bad |= !(dzl[l] = malloc((size_t)nk * a->L[l].fan_out * sizeof(double)));
    if (!bad) {
        memset(K, 0, (size_t)nk * nk * sizeof *K);
        mlp_forward(a, theta, ws, p->x, nk);
        for (int o = 0; o < k; o++) {
            /* rows of dz = e_o: dzl[l] row i = d f_io / d z_l */
            memset(ws->dz, 0, (size_t)nk * k * sizeof *ws->dz);
            for (int i = 0; i < nk; i++)
                ws->dz[(size_t)i * k + o] = 1;
            mlp_backward_keep(a, theta, ws, nk, dzl);
            for (int l = 0; l < a->nl; l++) {
                if (!dzl[l])
                    continue;
                const arch_layer *L = &a->L[l];
                /* <df_io/dW_l, df_jo/dW_l> = wmul^2 (dz_i . dz_j)(h_i . h_j); bias: dz_i . dz_j */
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nk, nk, L->fan_in, 1, ws->h[l], L->fan_in,
                            ws->h[l], L->fan_in, 0, G, nk);
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nk, nk, L->fan_out, 1, dzl[l], L->fan_out,
                            dzl[l], L->fan_out, 0, D, nk);
                const double w2 = L->wmul * L->wmul, bb = a->bias ? 1 : 0;
                for (size_t i = 0; i < (size_t)nk * nk; i++)
                    K[i] += D[i] * (w2 * G[i] + bb);
            }
        }
    }
    if (dzl)
        for (int l = 0; l < a->nl; l++)
            free(dzl[l]);
    free(dzl), free(G), free(D);
    mlp_ws_free(ws);
    return bad ? SGD_ENOMEM : 0;
}

void probe_autocorr(const double *x, int n, double *mean, double *var, double *tau)
{
    *mean = *var = *tau = NAN;
    if (n < 1)
        return;
    double m = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    *mean = m;
    if (n < 2)
        return;
    double c0 = 0;
    for (int i = 0; i < n; i++)
        c0 += (x[i] - m) * (x[i] - m);
    *var = c0 / (n - 1);
    if (c0 == 0) {
        *tau = 1; /* a constant series: no correlation to speak of */
        return;
    }
    /* tau = 1 + 2 sum_{t=1}^{W} rho(t), with the smallest window W >= 5 tau(W)
     * (Sokal 1997; Madras & Sokal 1988) */
    double t = 1;
    for (int w = 1; w < n; w++) {
        double ct = 0;
        for (int i = 0; i + w < n; i++)
            ct += (x[i] - m) * (x[i + w] - m);
        t += 2 * ct / c0;
        if (w >= 5 * t)
            break;
    }
    *tau = t > 0 ? t : NAN;
}

/* ---- sharpness ------------------------------------------------------------------ */

/* Lanczos runs for the top-k eigenvalues and lambda_min. Run 1 starts from a
 * Rademacher vector and gives lambda_1 and lambda_min; runs 2..k are deflated
 * (kept orthogonal to the Ritz vectors found so far) and give lambda_2..k.
 * Run 1 takes at least min_steps steps and keeps its tridiagonal in
 * keep_a / keep_b [min_steps] (*keep_m steps), so the density can reuse it. */
static int sharpness_impl(probe *p, int k, int iters, double tol, int min_steps, double *top, double *resid,
                          double *lmin, double *lmin_resid, long *iters_used, long *flags, double *keep_a,
                          double *keep_b, int *keep_m)
{
    const size_t Pt = p->Pt;
    for (int r = 0; r < k; r++)
        top[r] = resid[r] = NAN;
    *lmin = *lmin_resid = NAN;
    if (keep_m)
        *keep_m = 0;
    if (Pt == 0)
        return 0;
    int m_max = iters > min_steps ? iters : min_steps;
    if ((size_t)m_max > Pt)
        m_max = (int)Pt;
    lanczos *L = lanczos_alloc(Pt, m_max);
    double *locked = malloc((size_t)(k > 0 ? k : 1) * Pt * sizeof *locked);
    double *z = malloc(Pt * sizeof *z), *av = malloc(Pt * sizeof *av), *hu = malloc(Pt * sizeof *hu);
    double *theta = malloc((size_t)m_max * sizeof *theta), *est = malloc((size_t)m_max * sizeof *est);
    double *S = malloc((size_t)m_max * m_max * sizeof *S);
    int rc = 0;
    if (!L || !locked || !z || !av || !hu || !theta || !est || !S) {
        rc = SGD_ENOMEM;
        goto out;
    }
    double scale = 0; /* spectral radius estimate from run 1: max(|lambda_1|, |lambda_min|) */
    for (int r = 0; r < k && !rc; r++) {
        /* run 1 starts from a Rademacher vector (a Hutchinson / SLQ sample
         * too); the deflated runs from Gaussian ones, which no structure of
         * H can make orthogonal to an eigenvector by accident */
        if (r == 0)
            rademacher(p, z, Pt);
        else
            for (size_t i = 0; i < Pt; i++)
                z[i] = gsl_ran_gaussian_ziggurat(p->rv, 1.0);
        if (lanczos_init(L, z, locked, r) != 0) { /* nothing left outside the locked space */
            *flags |= PF_KRYLOV_SMALL;
            break;
        }
        int done = 0, m = 0;
        while (!done) {
            if ((rc = hvp_t(p, lanczos_next(L), av)))
                goto out;
            if (!all_finite(av, Pt)) {
                *flags |= PF_NONFINITE;
                goto out;
            }
            done = lanczos_step(L, av);
            m = L->m;
            if (lanczos_ritz(L, theta, NULL, est)) {
                rc = SGD_ENOMEM;
                goto out;
            }
            const double sc = fmax(fmax(fabs(theta[m - 1]), fabs(theta[0])), scale);
            const int ctop = est[m - 1] <= tol * sc, cbot = r > 0 || est[0] <= tol * sc;
            if (ctop && cbot && (r > 0 || m >= min_steps || L->exhausted))
                done = 1;
        }
        if (r == 0 && keep_m) {
            const int want = min_steps > 0 ? min_steps : 1;
            *keep_m = m < want ? m : want;
            memcpy(keep_a, L->alpha, (size_t)*keep_m * sizeof *keep_a);
            memcpy(keep_b, L->beta, (size_t)*keep_m * sizeof *keep_b);
        }
        if (r == 0)
            *iters_used = m;
        lanczos_ritz(L, theta, S, est);
        if (r == 0)
            scale = fmax(fabs(theta[m - 1]), fabs(theta[0]));
        /* true residuals |H u - theta u| / scale, one HVP per reported pair */
        for (int side = 0; side < (r == 0 ? 2 : 1); side++) {
            const int j = side == 0 ? m - 1 : 0;
            double *u = side == 0 ? locked + (size_t)r * Pt : z;
            lanczos_ritz_vector(L, S, j, u);
            if ((rc = hvp_t(p, u, hu)))
                goto out;
            double res = 0;
            for (size_t i = 0; i < Pt; i++)
                res += (hu[i] - theta[j] * u[i]) * (hu[i] - theta[j] * u[i]);
            res = scale > 0 ? sqrt(res) / scale : sqrt(res);
            /* an eigenvalue that did not converge is not reported (NaN), its
             * residual is: it says how far the run got */
            const int ok = res <= tol;
            if (side == 0) {
                top[r] = ok ? theta[j] : NAN, resid[r] = res;
                *flags |= ok ? 0 : PF_EIG_NOCONV;
            } else {
                *lmin = ok ? theta[j] : NAN, *lmin_resid = res;
                *flags |= ok ? 0 : PF_LMIN_NOCONV;
            }
        }
    }
    /* deflation finds lambda_2.. in order in exact arithmetic; sort anyway
     * (descending, NaN last) so that eig is descending whatever happened */
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && (isnan(top[j - 1]) ? !isnan(top[j]) : top[j] > top[j - 1]); j--) {
            double t = top[j];
            top[j] = top[j - 1], top[j - 1] = t;
            t = resid[j];
            resid[j] = resid[j - 1], resid[j - 1] = t;
        }
out:
    if (*flags & PF_NONFINITE) {
        for (int r = 0; r < k; r++)
            top[r] = resid[r] = NAN;
        *lmin = *lmin_resid = NAN;
    }
    free(S), free(est), free(theta), free(hu), free(av), free(z), free(locked);
    lanczos_free(L);
    return rc;
}

int probe_sharpness(probe *p, int k, int iters, double tol, double *top, double *resid, double *lmin,
                    double *lmin_resid, long *iters_used, long *flags)
{
    return sharpness_impl(p, k, iters, tol, 0, top, resid, lmin, lmin_resid, iters_used, flags, NULL, NULL, NULL);
}

/* ---- trace and density ---------------------------------------------------------- */

/* Hutchinson over nz samples of z^T H z; the first npool are given (z^T H z of
 * Rademacher vectors the density already applied H to). */
static int trace_impl(probe *p, int nz, const double *pool, int npool, double *trace, double *se, long *flags)
{
    const size_t Pt = p->Pt;
    double *z = malloc((Pt ? Pt : 1) * sizeof *z), *hz = malloc((Pt ? Pt : 1) * sizeof *hz);
    double mean = 0, m2 = 0; /* Welford: no cancellation when the samples agree */
    int rc = 0;
    *trace = *se = NAN;
    if (!z || !hz) {
        rc = SGD_ENOMEM;
        goto out;
    }
    for (int i = 0; i < nz; i++) {
        double sample;
        if (i < npool) {
            sample = pool[i];
        } else {
            rademacher(p, z, Pt);
            if ((rc = hvp_t(p, z, hz)))
                goto out;
            sample = dot(z, hz, Pt);
        }
        const double delta = sample - mean;
        mean += delta / (i + 1);
        m2 += delta * (sample - mean);
    }
    if (!isfinite(mean) || !isfinite(m2)) {
        *flags |= PF_NONFINITE;
        goto out;
    }
    *trace = nz > 0 ? mean : NAN;
    *se = nz > 1 ? sqrt(m2 / (nz - 1) / nz) : NAN;
out:
    free(z), free(hz);
    return rc;
}

int probe_trace(probe *p, int nz, double *trace, double *se)
{
    long flags = 0;
    return trace_impl(p, nz, NULL, 0, trace, se, &flags);
}

/* quadrature of one tridiagonal (alpha, beta)[m]: Ritz values and squared
 * first components of T's eigenvectors, times wt */
static int quadrature(const double *al, const double *be, int m, int exhausted, double wt, double *nodes,
                      double *weights)
{
    lanczos T = {0};
    T.m = m;
    T.alpha = (double *)al, T.beta = (double *)be;
    T.exhausted = exhausted;
    double *S = malloc((size_t)m * m * sizeof *S);
    if (!S || lanczos_ritz(&T, nodes, S, NULL)) {
        free(S);
        return SGD_ENOMEM;
    }
    for (int j = 0; j < m; j++)
        weights[j] = wt * S[j] * S[j]; /* S[0][j] */
    free(S);
    return 0;
}

/* SLQ; vector 0 may come from the sharpness run (reuse_m > 0 steps of it).
 * zhz[nv] gets each vector's z^T H z = Pt alpha_1 (for Hutchinson). */
static int density_impl(probe *p, int nv, int m, int bins, const double *reuse_a, const double *reuse_b,
                        int reuse_m, double *nodes, double *weights, double *hist, double *lo, double *hi,
                        double *zhz, long *flags)
{
    const size_t Pt = p->Pt;
    const size_t tot = (size_t)nv * m;
    for (size_t i = 0; i < tot; i++)
        nodes[i] = NAN, weights[i] = 0;
    for (int b = 0; b < bins; b++)
        hist[b] = NAN;
    *lo = *hi = NAN;
    if (Pt == 0 || nv <= 0)
        return 0;
    const int m_max = (size_t)m > Pt ? (int)Pt : m;
    lanczos *L = lanczos_alloc(Pt, m_max);
    double *z = malloc(Pt * sizeof *z), *av = malloc(Pt * sizeof *av);
    int rc = 0;
    if (!L || !z || !av) {
        rc = SGD_ENOMEM;
        goto out;
    }
    for (int v = 0; v < nv; v++) {
        double *nd = nodes + (size_t)v * m, *wt = weights + (size_t)v * m;
        if (v == 0 && reuse_m > 0) {
            /* the sharpness run's first steps are this vector's Lanczos steps */
            const int mm = reuse_m < m_max ? reuse_m : m_max;
            if ((rc = quadrature(reuse_a, reuse_b, mm, 1, 1.0 / nv, nd, wt)))
                goto out;
            zhz[v] = (double)Pt * reuse_a[0];
            continue;
        }
        rademacher(p, z, Pt);
        if ((rc = lanczos_init(L, z, NULL, 0))) { /* -2: its scratch; a nonzero z never vanishes */
            rc = SGD_ENOMEM;
            goto out;
        }
        for (int done = 0; !done;) {
            if ((rc = hvp_t(p, lanczos_next(L), av)))
                goto out;
            if (!all_finite(av, Pt)) {
                *flags |= PF_NONFINITE;
                goto out;
            }
            done = lanczos_step(L, av);
        }
        if ((rc = quadrature(L->alpha, L->beta, L->m, 1, 1.0 / nv, nd, wt)))
            goto out;
        zhz[v] = (double)Pt * L->alpha[0];
    }
    /* histogram on [lo, hi], the extreme nodes */
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < tot; i++)
        if (isfinite(nodes[i]))
            a = fmin(a, nodes[i]), b = fmax(b, nodes[i]);
    if (!(a <= b))
        goto out;
    if (b - a <= 1e-12 * fmax(fabs(a), fabs(b))) { /* one point: a bin around it */
        const double w = fmax(1e-6 * fabs(a), 1e-12);
        a -= w, b += w;
    }
    *lo = a, *hi = b;
    for (int i = 0; i < bins; i++)
        hist[i] = 0;
    for (size_t i = 0; i < tot; i++) {
        if (!isfinite(nodes[i]))
            continue;
        int j = (int)floor((nodes[i] - a) / (b - a) * bins);
        j = j < 0 ? 0 : j >= bins ? bins - 1 : j;
        hist[j] += weights[i];
    }
out:
    if (*flags & PF_NONFINITE) {
        for (size_t i = 0; i < tot; i++)
            nodes[i] = NAN, weights[i] = NAN;
        for (int i = 0; i < bins; i++)
            hist[i] = NAN;
        *lo = *hi = NAN;
    }
    free(z), free(av);
    lanczos_free(L);
    return rc;
}

int probe_density(probe *p, int nv, int m, int bins, double *nodes, double *weights, double *hist, double *lo,
                  double *hi)
{
    long flags = 0;
    double *zhz = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *zhz);
    if (!zhz)
        return SGD_ENOMEM;
    int rc = density_impl(p, nv, m, bins, NULL, NULL, 0, nodes, weights, hist, lo, hi, zhz, &flags);
    free(zhz);
    return rc;
}

/* ---- gradient noise, interpolation, laziness ----------------------------------------- */

void probe_noise(probe *p, const cfg *s, double *gnorm, double *trace, double *scale, double *sgd)
{
    const int n = p->np;
    double *sq = malloc((size_t)n * sizeof *sq);
    *gnorm = *trace = *scale = *sgd = NAN;
    if (!sq)
        return;
    loss_at(p, p->theta, p->g, NULL);
    const double G2 = dot(p->g + p->lo, p->g + p->lo, p->Pt);
    probe_example_sqnorms(p, sq);
    double m2 = 0;
    for (int i = 0; i < n; i++)
        m2 += sq[i];
    m2 /= n;
    free(sq);
    /* mean_i |g_i - G|^2 = mean_i |g_i|^2 - |G|^2 (G is the mean of the g_i) */
    const double tr = fmax(0, m2 - G2);
    *gnorm = sqrt(G2);
    *trace = tr;
    *scale = tr / G2;
    if (cfg_full_batch(s)) {
        *sgd = 0;
    } else {
        const double B = s->batch, N = s->n_train;
        /* with replacement: the mean of B independent draws; reshuffle: B
         * draws without replacement from N (finite-population correction) */
        *sgd = s->sampling == SAMPLE_RESHUFFLE && !s->online ? (N > 1 ? tr / B * (N - B) / (N - 1) : 0) : tr / B;
    }
}

void probe_mli(probe *p, const double *theta0, const double *theta1, int m, double *alpha, double *loss,
               double *acc, double *bump, double *monotone)
{
    double run_min = INFINITY, b = 0;
    int finite = 1;
    for (int j = 0; j < m; j++) {
        const double al = m > 1 ? (double)j / (m - 1) : 0;
        alpha[j] = al;
        for (size_t i = 0; i < p->P; i++)
            p->t[i] = (1 - al) * theta0[i] + al * theta1[i];
        loss[j] = loss_at(p, p->t, NULL, &acc[j]);
        if (!isfinite(loss[j])) {
            finite = 0;
            continue;
        }
        run_min = fmin(run_min, loss[j]);
        b = fmax(b, loss[j] - run_min);
    }
    *bump = finite ? b : NAN;
    *monotone = finite ? (b == 0 ? 1 : 0) : NAN;
}

static double sqdist(const double *a, const double *b, size_t from, size_t n)
{
    double s = 0;
    for (size_t i = from; i < from + n; i++)
        s += b ? (a[i] - b[i]) * (a[i] - b[i]) : a[i] * a[i];
    return s;
}

void probe_lazy(const probe *p, const double *theta0, const double *theta1, double *rel, double *total)
{
    const arch *a = &p->a;
    for (int l = 0; l < a->nl; l++) {
        const arch_layer *L = &a->L[l];
        const size_t nw = (size_t)L->fan_in * L->fan_out;
        if (L->w < p->lo) {
            rel[l] = NAN;
            continue;
        }
        double d = sqdist(theta1, theta0, L->w, nw), n0 = sqdist(theta0, NULL, L->w, nw);
        if (a->bias) {
            d += sqdist(theta1, theta0, L->b, (size_t)L->fan_out);
            n0 += sqdist(theta0, NULL, L->b, (size_t)L->fan_out);
        }
        rel[l] = n0 > 0 ? sqrt(d / n0) : NAN;
    }
    const double n0 = sqdist(theta0, NULL, p->lo, p->Pt);
    *total = n0 > 0 ? sqrt(sqdist(theta1, theta0, p->lo, p->Pt) / n0) : NAN;
}

/* ---- the driver's entry points ------------------------------------------------------- */

int probe_checkpoint(probe *p, const cfg *s, result *r, int ci)
{
    int rc = 0;
    double t0 = now();
    if (s->sharpness_k > 0) {
        double top, res, lmin, lres;
        long it = 0;
        rc = sharpness_impl(p, 1, s->eig_iters, s->eig_tol, 0, &top, &res, &lmin, &lres, &it, &r->probe_flags, NULL,
                            NULL, NULL);
        if (rc)
            return rc;
        r->ckpt_probe[PC_SHARPNESS][ci] = top;
        r->ckpt_probe[PC_LAMBDA_MIN][ci] = lmin;
        double t1 = now();
        r->time_sharpness += t1 - t0;
        t0 = t1;
    }
    if (s->trace_vecs > 0) {
        double tr, se;
        if ((rc = trace_impl(p, s->trace_vecs, NULL, 0, &tr, &se, &r->probe_flags)))
            return rc;
        r->ckpt_probe[PC_HESS_TRACE][ci] = tr;
        double t1 = now();
        r->time_trace += t1 - t0;
        t0 = t1;
    }
    if (s->grad_noise) {
        double gn, tr, sc, sg;
        probe_noise(p, s, &gn, &tr, &sc, &sg);
        if (!isfinite(tr) || !isfinite(gn))
            r->probe_flags |= PF_NONFINITE;
        r->ckpt_probe[PC_NOISE_TRACE][ci] = tr;
        r->ckpt_probe[PC_NOISE_SCALE][ci] = sc;
        r->time_noise += now() - t0;
    }
    r->probe_hvps = p->hvps;
    return 0;
}

int probe_final(probe *p, const cfg *s, const double *theta0, result *r)
{
    int rc = 0;
    double t0 = now();
    const int m_d = s->density_iters, nv = s->density_vecs;
    double *keep_a = NULL, *keep_b = NULL, *zhz = NULL;
    int keep_m = 0, npool = 0;
    if (s->sharpness_k > 0 || nv > 0) {
        keep_a = malloc((size_t)m_d * sizeof *keep_a);
        keep_b = malloc((size_t)m_d * sizeof *keep_b);
        zhz = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *zhz);
        if (!keep_a || !keep_b || !zhz) {
            rc = SGD_ENOMEM;
            goto out;
        }
    }
    if (s->sharpness_k > 0) {
        /* with the density on, run 1 also serves as its first vector */
        rc = sharpness_impl(p, s->sharpness_k, s->eig_iters, s->eig_tol, nv > 0 ? m_d : 0, r->parr[PA_EIG],
                            r->parr[PA_EIG_RESID], &r->lambda_min, &r->lambda_min_resid, &r->eig_iters_used,
                            &r->probe_flags, keep_a, keep_b, &keep_m);
        if (rc)
            goto out;
        r->sharpness = r->parr[PA_EIG][0];
        r->sharpness_resid = r->parr[PA_EIG_RESID][0];
        double t1 = now();
        r->time_sharpness += t1 - t0;
        t0 = t1;
        if (nv == 0 && keep_m > 0)
            zhz[npool++] = (double)p->Pt * keep_a[0]; /* its start vector is a Hutchinson sample too */
    }
    if (nv > 0) {
        rc = density_impl(p, nv, m_d, s->density_bins, keep_a, keep_b, keep_m, r->parr[PA_SLQ_NODE],
                          r->parr[PA_SLQ_WEIGHT], r->parr[PA_DENSITY], &r->density_lo, &r->density_hi, zhz,
                          &r->probe_flags);
        if (rc)
            goto out;
        npool = nv;
        double t1 = now();
        r->time_density += t1 - t0;
        t0 = t1;
    }
    if (s->trace_vecs > 0) {
        /* the density's (or sharpness's) Rademacher start vectors are
         * Hutchinson samples already: only the rest costs HVPs */
        if ((rc = trace_impl(p, s->trace_vecs, zhz, npool < s->trace_vecs ? npool : s->trace_vecs, &r->hess_trace,
                             &r->hess_trace_se, &r->probe_flags)))
            goto out;
        double t1 = now();
        r->time_trace += t1 - t0;
        t0 = t1;
    }
    if (s->grad_noise) {
        probe_noise(p, s, &r->noise_grad_norm, &r->noise_trace, &r->noise_scale, &r->noise_sgd);
        if (!isfinite(r->noise_trace) || !isfinite(r->noise_grad_norm))
            r->probe_flags |= PF_NONFINITE;
        double t1 = now();
        r->time_noise += t1 - t0;
        t0 = t1;
    }
    if (s->mli) {
        probe_mli(p, theta0, p->theta, s->mli_points, r->parr[PA_MLI_ALPHA], r->parr[PA_MLI_LOSS],
                  r->parr[PA_MLI_ACC], &r->mli_bump, &r->mli_monotone);
        if (!isfinite(r->mli_bump))
            r->probe_flags |= PF_NONFINITE;
        double t1 = now();
        r->time_mli += t1 - t0;
        t0 = t1;
    }
    if (s->lazy || s->ntk_n > 0) {
        if (s->lazy)
            probe_lazy(p, theta0, p->theta, r->parr[PA_LAZY_LAYER], &r->lazy_rel_dist);
        if (s->ntk_n > 0) {
            const int nk = s->ntk_n < p->np ? s->ntk_n : p->np;
            double *K0 = malloc((size_t)nk * nk * sizeof *K0), *KT = malloc((size_t)nk * nk * sizeof *KT);
            if (!K0 || !KT || probe_ntk(p, theta0, nk, K0) || probe_ntk(p, p->theta, nk, KT)) {
                free(K0), free(KT);
                rc = SGD_ENOMEM;
                goto out;
            }
            double num = 0, den = 0;
            for (size_t i = 0; i < (size_t)nk * nk; i++) {
                num += (KT[i] - K0[i]) * (KT[i] - K0[i]);
                den += K0[i] * K0[i];
            }
            r->ntk_rel_change = den > 0 ? sqrt(num / den) : NAN;
            if (!isfinite(num) || !isfinite(den))
                r->probe_flags |= PF_NONFINITE;
            free(K0), free(KT);
        }
        r->time_lazy += now() - t0;
    }
out:
    r->probe_hvps = p->hvps;
    free(keep_a), free(keep_b), free(zhz);
    return rc;
}
