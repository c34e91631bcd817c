/* mlp.c -- forward/backward passes and losses (see mlp.h, arch.h).
 * Compiled twice: real = float and real = double (real.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include "mlp.h"

/* Small forward products in float32 go through W^T. The forward product
 * z = h . W^T contracts the dimension that is contiguous in both operands;
 * OpenBLAS's kernels for small matrices (those with m*n*k <= 1e6, on AVX-512
 * builds) are much slower in that form than in the plain one (measured
 * 4.1 us against 2.6 us at 32 x 64 x 64), which costs more than copying W
 * into W^T (0.5 us). The rule depends on shapes only, so every run takes the
 * same path (bit-reproducible). float64 keeps the direct form. */
#ifdef SGD_F64
#define SMALL_GEMM 0
#else
#define SMALL_GEMM 1000000
#endif

/* ---- activations ---------------------------------------------------- */

static inline real act_f(int act, real z, real beta)
{
    switch (act) {
    case ACT_RELU: return z > 0 ? z : 0;
    case ACT_TANH: return R_TANH(z);
    case ACT_SIGMOID: return z >= 0 ? 1 / (1 + R_EXP(-z)) : R_EXP(z) / (1 + R_EXP(z));
    case ACT_SOFTPLUS: {
        real bz = beta * z; /* log(1+e^bz)/beta, without overflow */
        return (bz > 0 ? bz + R_LOG1P(R_EXP(-bz)) : R_LOG1P(R_EXP(bz))) / beta;
    }
    case ACT_ERF: return R_ERF(z);
    case ACT_GELU: return z * (real)0.5 * (1 + R_ERF(z * (real)M_SQRT1_2));
    default: return z;
    }
}

static inline real act_df(int act, real z, real beta)
{
    switch (act) {
    case ACT_RELU: return z > 0 ? 1 : 0;
    case ACT_TANH: { real t = R_TANH(z); return 1 - t * t; }
    case ACT_SIGMOID: { real s = act_f(ACT_SIGMOID, z, beta); return s * (1 - s); }
    case ACT_SOFTPLUS: return act_f(ACT_SIGMOID, beta * z, beta);
    case ACT_ERF: return (real)M_2_SQRTPI * R_EXP(-z * z);
    case ACT_GELU:
        return (real)0.5 * (1 + R_ERF(z * (real)M_SQRT1_2)) +
               z * (real)(0.5 * M_2_SQRTPI * M_SQRT1_2) * R_EXP((real)-0.5 * z * z);
    default: return 1;
    }
}

/* ---- elementwise kernels (restrict: no aliasing, so they vectorise) ------ */

static void relu_fwd(real *restrict h, const real *restrict z, size_t m)
{
    for (size_t i = 0; i < m; i++)
        h[i] = z[i] > 0 ? z[i] : 0;
}

static void relu_bwd(real *restrict dz, const real *restrict dh, const real *restrict z, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        const real g = dh[i]; /* loaded unconditionally: lets the select vectorise */
        dz[i] = z[i] > 0 ? g : 0;
    }
}

/* every row of z [n x out] = b */
static void fill_bias(real *restrict z, const real *restrict b, int n, int out)
{
    for (int i = 0; i < n; i++) {
        real *restrict zi = z + (size_t)i * out;
        for (int j = 0; j < out; j++)
            zi[j] = b[j];
    }
}

/* every row of z [n x out] += b */
static void add_bias(real *restrict z, const real *restrict b, int n, int out)
{
    for (int i = 0; i < n; i++) {
        real *restrict zi = z + (size_t)i * out;
        for (int j = 0; j < out; j++)
            zi[j] += b[j];
    }
}

/* z [n x out] += b (if b), then h = relu(z) */
static void bias_relu(real *restrict h, real *restrict z, const real *restrict b, int n, int out)
{
    if (!b) {
        relu_fwd(h, z, (size_t)n * out);
        return;
    }
    for (int i = 0; i < n; i++) {
        real *restrict zi = z + (size_t)i * out, *restrict hi = h + (size_t)i * out;
        for (int j = 0; j < out; j++) {
            const real v = zi[j] + b[j];
            zi[j] = v;
            hi[j] = v > 0 ? v : 0;
        }
    }
}

/* db [out] (+)= column sums of dz [n x out], rows in order */
static void col_sums(real *restrict db, const real *restrict dz, int n, int out, int acc)
{
    if (!acc)
        memset(db, 0, (size_t)out * sizeof *db);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < out; j++)
            db[j] += dz[(size_t)i * out + j];
}

/* dst [cols x rows] = src [rows x cols]^T, in 4 x 4 blocks where SSE has them */
static void transpose(real *restrict dst, const real *restrict src, int rows, int cols)
{
    int r0 = 0;
#if defined(__SSE__) && !defined(SGD_F64)
    for (; r0 + 4 <= rows; r0 += 4) {
        int c0 = 0;
        for (; c0 + 4 <= cols; c0 += 4) {
            const float *s0 = src + (size_t)r0 * cols + c0;
            __m128 a = _mm_loadu_ps(s0), b = _mm_loadu_ps(s0 + cols), c = _mm_loadu_ps(s0 + 2 * (size_t)cols),
                   d = _mm_loadu_ps(s0 + 3 * (size_t)cols);
            _MM_TRANSPOSE4_PS(a, b, c, d);
            float *d0 = dst + (size_t)c0 * rows + r0;
            _mm_storeu_ps(d0, a);
            _mm_storeu_ps(d0 + rows, b);
            _mm_storeu_ps(d0 + 2 * (size_t)rows, c);
            _mm_storeu_ps(d0 + 3 * (size_t)rows, d);
        }
        for (; c0 < cols; c0++)
            for (int r = r0; r < r0 + 4; r++)
                dst[(size_t)c0 * rows + r] = src[(size_t)r * cols + c0];
    }
#endif
    for (; r0 < rows; r0++)
        for (int c = 0; c < cols; c++)
            dst[(size_t)c * rows + r0] = src[(size_t)r0 * cols + c];
}

/* does the forward product of layer L over n rows go through W^T? */
static int use_wt(const arch_layer *L, long n)
{
    return (double)n * L->fan_in * L->fan_out <= SMALL_GEMM;
}

/* ---- workspace ---------------------------------------------------------- */

mlp_ws *mlp_ws_alloc(const arch *a, int cap)
{
    mlp_ws *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cap = cap;
    w->nl = a->nl;
    w->z = calloc((size_t)a->nl, sizeof *w->z);
    w->h = calloc((size_t)a->nl + 1, sizeof *w->h);
    size_t total = 3 * (size_t)cap * a->maxw + (size_t)a->maxw;
    for (int l = 0; l < a->nl; l++)
        total += 2 * (size_t)cap * a->L[l].fan_out;
    w->block = malloc(total * sizeof(real));
    if (!w->z || !w->h || !w->block) {
        mlp_ws_free(w);
        return NULL;
    }
    real *p = w->block;
    for (int l = 0; l < a->nl; l++) {
        w->z[l] = p, p += (size_t)cap * a->L[l].fan_out;
        w->h[l + 1] = p, p += (size_t)cap * a->L[l].fan_out;
    }
    w->dz = p, p += (size_t)cap * a->maxw;
    w->dh = p, p += (size_t)cap * a->maxw;
    w->dh2 = p, p += (size_t)cap * a->maxw;
    w->db = p;
    size_t nwt = 0;
    for (int l = 0; l < a->nl; l++)
        if (use_wt(&a->L[l], 1) && (size_t)a->L[l].fan_in * a->L[l].fan_out > nwt)
            nwt = (size_t)a->L[l].fan_in * a->L[l].fan_out;
    if (nwt && !(w->wt = malloc(nwt * sizeof(real)))) {
        mlp_ws_free(w);
        return NULL;
    }
    return w;
}

void mlp_ws_free(mlp_ws *w)
{
    if (!w)
        return;
    free(w->wt);
    free(w->block);
    free(w->z);
    free(w->h);
    free(w);
}

void mlp_init_params(const arch *a, int zero_last, real *theta, gsl_rng *r)
{
    memset(theta, 0, a->n_params * sizeof *theta);
    for (int l = 0; l < a->nl; l++) {
        const arch_layer *L = &a->L[l];
        if (zero_last && l == a->nl - 1)
            continue;
        size_t nw = (size_t)L->fan_in * L->fan_out;
        for (size_t i = 0; i < nw; i++)
            theta[L->w + i] = (real)gsl_ran_gaussian_ziggurat(r, L->wstd);
    }
}

/* ---- passes ------------------------------------------------------------- */

void mlp_forward(const arch *a, const real *theta, mlp_ws *ws, const real *x, int n)
{
    ws->h[0] = (real *)x;
    for (int l = 0; l < a->nl; l++) {
        const arch_layer *L = &a->L[l];
        const int in = L->fan_in, out = L->fan_out;
        real *z = ws->z[l], *hin = ws->h[l], *hout = ws->h[l + 1];
        /* z [n x out] = wmul * hin [n x in] . W^T + b, W [out x in] */
        const int small = use_wt(L, n), relu = L->act == ACT_RELU && L->residual == RES_NONE;
        const real *b = a->bias ? theta + L->b : NULL;
        if (small) {
            /* small: z = h . (W^T) with beta = 0 (OpenBLAS's fastest small
             * kernel), the bias added after it, fused with ReLU if it is one */
            transpose(ws->wt, theta + L->w, out, in);
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, (real)L->wmul, hin, in, ws->wt, out, 0,
                   z, out);
            if (l < a->nl - 1 && relu) {
                bias_relu(hout, z, b, n, out);
                continue;
            }
            if (b)
                add_bias(z, b, n, out);
        } else {
            /* large: the bias is copied into z first and the GEMM adds onto
             * it (beta = 1), which saves BLAS's zeroing pass and a bias pass */
            if (b)
                fill_bias(z, b, n, out);
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, (real)L->wmul, hin, in, theta + L->w, in,
                   b ? 1 : 0, z, out);
        }
        if (l == a->nl - 1)
            break; /* output f = z */
        const size_t m = (size_t)n * out;
        const real beta = (real)a->beta;
        switch (L->residual) {
        case RES_LINEAR:
            for (size_t i = 0; i < m; i++)
                hout[i] = hin[i] + z[i];
            break;
        case RES_STANDARD:
            for (size_t i = 0; i < m; i++)
                hout[i] = hin[i] + act_f(L->act, z[i], beta);
            break;
        default:
            if (L->act == ACT_RELU)
                relu_fwd(hout, z, m);
            else
                for (size_t i = 0; i < m; i++)
                    hout[i] = act_f(L->act, z[i], beta);
        }
    }
}

double mlp_loss(const arch *a, const real *f, int n, const int *c, const real *y, real scale, real *df,
                long *correct)
{
    const int k = a->k;
    double total = 0;
    long right = 0;
    for (int i = 0; i < n; i++) {
        const real *fi = f + (size_t)i * k;
        real *di = df ? df + (size_t)i * k : NULL;
        if (c) {
            const int ci = c[i];
            int arg = 0;
            for (int j = 1; j < k; j++)
                if (fi[j] > fi[arg])
                    arg = j;
            right += arg == ci;
            if (a->loss == LOSS_CE) {
                real mx = fi[arg], s = 0;
                if (di) { /* one exp per output: keep exp(f - max) in di */
                    for (int j = 0; j < k; j++)
                        s += di[j] = R_EXP(fi[j] - mx);
                    const real q = scale / s;
                    for (int j = 0; j < k; j++)
                        di[j] *= q;
                    di[ci] -= scale;
                } else {
                    for (int j = 0; j < k; j++)
                        s += R_EXP(fi[j] - mx);
                }
                total += (double)(mx + R_LOG(s) - fi[ci]);
            } else if (a->loss == LOSS_MSE) {
                double li = 0;
                for (int j = 0; j < k; j++) {
                    real r = fi[j] - (j == ci);
                    li += (double)r * r;
                    if (di)
                        di[j] = scale * r;
                }
                total += 0.5 * li;
            } else { /* hinge, squared hinge: margin against the best other class */
                int other = ci == 0 ? 1 : 0;
                for (int j = 0; j < k; j++)
                    if (j != ci && fi[j] > fi[other])
                        other = j;
                real gap = 1 - (fi[ci] - fi[other]);
                if (di)
                    memset(di, 0, (size_t)k * sizeof *di);
                if (gap > 0) {
                    real g = a->loss == LOSS_HINGE ? 1 : 2 * gap;
                    total += a->loss == LOSS_HINGE ? (double)gap : (double)gap * gap;
                    if (di) {
                        di[ci] = -scale * g;
                        di[other] = scale * g;
                    }
                }
            }
        } else { /* regression: mse only (cfg_validate) */
            const real *yi = y + (size_t)i * k;
            double li = 0;
            for (int j = 0; j < k; j++) {
                real r = fi[j] - yi[j];
                li += (double)r * r;
                if (di)
                    di[j] = scale * r;
            }
            total += 0.5 * li;
        }
    }
    if (correct)
        *correct += right;
    return total;
}

/* The backward pass. With grad: writes (acc = 0) or adds (acc = 1) the
 * gradient into grad. Without (grad == NULL): applies the SGD step
 * theta -= lr * gradient in place, layer by layer, each layer's weights
 * updated by its gradient GEMM itself (alpha = -lr * wmul, beta = 1) once the
 * layer below no longer needs them: no gradient buffer, no update pass. */
static void backward(const arch *a, real *theta, mlp_ws *ws, int n, real *grad, int acc, real lr)
{
    real *dz = ws->dz, *dhout = ws->dh, *dhin = ws->dh2;
    const real beta = (real)a->beta;
    for (int l = a->nl - 1; l >= 0; l--) {
        const arch_layer *L = &a->L[l];
        const int in = L->fan_in, out = L->fan_out;
        const real *hin = ws->h[l];
        const int below = l > 0 && a->first_trainable == 0; /* is anything below trained? */
        const size_t m = (size_t)n * in;
        /* dhin [n x in] = wmul * dz [n x out] . W [out x in] (+ dhout through
         * the skip), first: a fused step changes W next */
        if (below) {
            if (L->residual != RES_NONE)
                memcpy(dhin, dhout, m * sizeof *dhin);
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, (real)L->wmul, dz, out, theta + L->w, in,
                   L->residual != RES_NONE ? 1 : 0, dhin, in);
        }
        /* dW [out x in] (+)= wmul * dz^T [out x n] . hin [n x in]; fused:
         * W += (-lr * wmul) * dz^T . hin, b -= lr * column sums of dz */
        if (grad) {
            R_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, (real)L->wmul, dz, out, hin, in,
                   acc ? 1 : 0, grad + L->w, in);
            if (a->bias)
                col_sums(grad + L->b, dz, n, out, acc);
        } else {
            R_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, -lr * (real)L->wmul, dz, out, hin, in, 1,
                   theta + L->w, in);
            if (a->bias) {
                real *db = ws->db, *b = theta + L->b;
                col_sums(db, dz, n, out, 0);
                for (int j = 0; j < out; j++)
                    b[j] -= lr * db[j];
            }
        }
        if (!below)
            break; /* nothing below is trained */
        /* dz of layer l-1 = dhin * act'(z_{l-1}) */
        const arch_layer *P = &a->L[l - 1];
        const real *zp = ws->z[l - 1];
        if (P->residual == RES_LINEAR || P->act == ACT_IDENTITY)
            memcpy(dz, dhin, m * sizeof *dz);
        else if (P->act == ACT_RELU)
            relu_bwd(dz, dhin, zp, m);
        else
            for (size_t i = 0; i < m; i++)
                dz[i] = dhin[i] * act_df(P->act, zp[i], beta);
        real *t = dhout;
        dhout = dhin;
        dhin = t;
    }
}

void mlp_backward(const arch *a, const real *theta, mlp_ws *ws, int n, real *grad, int acc)
{
    backward(a, (real *)theta, ws, n, grad, acc, 0); /* theta is only read when grad != NULL */
}

/* Mean loss over n rows in chunks of ws->cap; with grad, the gradient too;
 * without grad but with lr > 0 (n <= cap), the fused SGD step. */
static double loss_pass(const arch *a, real *theta, mlp_ws *ws, const real *x, const int *c, const real *y, long n,
                        real *grad, real lr, double *acc)
{
    double total = 0;
    long right = 0;
    const real scale = (real)(1.0 / (double)n);
    const int back = grad || lr > 0;
    for (long s = 0; s < n; s += ws->cap) {
        int m = (int)(n - s < ws->cap ? n - s : ws->cap);
        const real *xs = x + (size_t)s * a->d;
        mlp_forward(a, theta, ws, xs, m);
        total += mlp_loss(a, ws->z[a->nl - 1], m, c ? c + s : NULL, y ? y + (size_t)s * a->k : NULL, scale,
                          back ? ws->dz : NULL, &right);
        if (back)
            backward(a, theta, ws, m, grad, s > 0, lr);
    }
    if (acc)
        *acc = c ? (double)right / (double)n : NAN;
    return total / (double)n;
}

double mlp_loss_grad(const arch *a, const real *theta, mlp_ws *ws, const real *x, const int *c, const real *y,
                     long n, real *grad, double *acc)
{
    return loss_pass(a, (real *)theta, ws, x, c, y, n, grad, 0, acc); /* theta only read (lr = 0) */
}

double mlp_sgd_step(const arch *a, real *theta, mlp_ws *ws, const real *x, const int *c, const real *y, int n,
                    real lr, double *acc)
{
    return loss_pass(a, theta, ws, x, c, y, n, NULL, lr, acc);
}

double vec_norm(const real *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return sqrt(s);
}

double vec_dist(const real *u, const real *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)u[i] - v[i];
        s += d * d;
    }
    return sqrt(s);
}

/* ---- the R-operator (probes) ------------------------------------------------
 * Slow path for the probes (docs/PROBES.md): plain loops, no fast-path tricks;
 * the training step above does not use any of this. */

/* second derivative of the activation */
static inline real act_d2f(int act, real z, real beta)
{
    switch (act) {
    case ACT_TANH: { real t = R_TANH(z); return -2 * t * (1 - t * t); }
    case ACT_SIGMOID: { real s = act_f(ACT_SIGMOID, z, beta); return s * (1 - s) * (1 - 2 * s); }
    case ACT_SOFTPLUS: { real s = act_f(ACT_SIGMOID, beta * z, beta); return beta * s * (1 - s); }
    case ACT_ERF: return -2 * z * (real)M_2_SQRTPI * R_EXP(-z * z);
    case ACT_GELU: /* phi(z) (2 - z^2), phi the standard normal density */
        return (real)(0.5 * M_2_SQRTPI * M_SQRT1_2) * R_EXP((real)-0.5 * z * z) * (2 - z * z);
    default: return 0; /* relu (away from 0), identity */
    }
}

/* Does layer l hold trained parameters? (train_last trains the last layer's W
 * and b, which start at first_trainable.) */
static int trained_layer(const arch *a, int l) { return a->L[l].w >= a->first_trainable; }

mlp_rws *mlp_rws_alloc(const arch *a, int cap)
{
    mlp_rws *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cap = cap;
    w->nl = a->nl;
    w->rz = calloc((size_t)a->nl, sizeof *w->rz);
    w->rh = calloc((size_t)a->nl + 1, sizeof *w->rh);
    size_t total = 3 * (size_t)cap * a->maxw;
    for (int l = 0; l < a->nl; l++)
        total += 2 * (size_t)cap * a->L[l].fan_out;
    w->block = calloc(total, sizeof(real));
    if (!w->rz || !w->rh || !w->block) {
        mlp_rws_free(w);
        return NULL;
    }
    real *p = w->block;
    for (int l = 0; l < a->nl; l++) {
        w->rz[l] = p, p += (size_t)cap * a->L[l].fan_out;
        w->rh[l + 1] = p, p += (size_t)cap * a->L[l].fan_out;
    }
    w->rdz = p, p += (size_t)cap * a->maxw;
    w->rdh = p, p += (size_t)cap * a->maxw;
    w->rdh2 = p;
    /* the v-independent backward quantities of the trained layers */
    w->dzc = calloc((size_t)a->nl, sizeof *w->dzc);
    w->dhc = calloc((size_t)a->nl, sizeof *w->dhc);
    int bad = !w->dzc || !w->dhc;
    for (int l = 0; l < a->nl && !bad; l++) {
        if (!trained_layer(a, l))
            continue;
        bad |= !(w->dzc[l] = malloc((size_t)cap * a->L[l].fan_out * sizeof(real)));
        if (l > 0 && trained_layer(a, l - 1))
            bad |= !(w->dhc[l] = malloc((size_t)cap * a->L[l].fan_in * sizeof(real)));
    }
    if (bad) {
        mlp_rws_free(w);
        return NULL;
    }
    return w;
}

void mlp_rws_free(mlp_rws *w)
{
    if (!w)
        return;
    for (int l = 0; w->dzc && l < w->nl; l++)
        free(w->dzc[l]);
    for (int l = 0; w->dhc && l < w->nl; l++)
        free(w->dhc[l]);
    free(w->dzc);
    free(w->dhc);
    free(w->block);
    free(w->rz);
    free(w->rh);
    free(w);
}

#define trained trained_layer

/* R-forward after mlp_forward on n rows: rz[l] = R{z_l}, rh[l+1] = R{h_{l+1}}
 * for the direction v. R{h_0} = 0 (inputs do not depend on theta), so
 * rh[l] is NULL-equivalent until the first trained layer. */
static void r_forward(const arch *a, const real *theta, const real *v, const mlp_ws *ws, mlp_rws *rws, int n)
{
    const real beta = (real)a->beta;
    int live = 0; /* does R{h_l} carry anything yet? */
    for (int l = 0; l < a->nl; l++) {
        const arch_layer *L = &a->L[l];
        const int in = L->fan_in, out = L->fan_out;
        real *rz = rws->rz[l];
        const size_t m = (size_t)n * out;
        /* R{z} = wmul (h V^T + R{h} W^T) + R{b} */
        if (trained(a, l)) {
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, (real)L->wmul, ws->h[l], in, v + L->w, in, 0,
                   rz, out);
            if (a->bias)
                add_bias(rz, v + L->b, n, out);
        } else {
            memset(rz, 0, m * sizeof *rz);
        }
        if (live)
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, (real)L->wmul, rws->rh[l], in, theta + L->w,
                   in, 1, rz, out);
        live = live || trained(a, l);
        if (l == a->nl - 1)
            break;
        const real *z = ws->z[l], *rhin = rws->rh[l];
        real *rh = rws->rh[l + 1];
        switch (L->residual) {
        case RES_LINEAR:
            for (size_t i = 0; i < m; i++)
                rh[i] = (l > 0 ? rhin[i] : 0) + rz[i];
            break;
        case RES_STANDARD:
            for (size_t i = 0; i < m; i++)
                rh[i] = (l > 0 ? rhin[i] : 0) + act_df(L->act, z[i], beta) * rz[i];
            break;
        default:
            if (L->act == ACT_RELU)
                relu_bwd(rh, rz, z, m); /* R{h} = [z > 0] R{z}, vectorised */
            else
                for (size_t i = 0; i < m; i++)
                    rh[i] = act_df(L->act, z[i], beta) * rz[i];
        }
    }
}

/* R{dL/df} = scale * (d^2 l_i / df^2) R{f} per row: the loss's Hessian in f
 * applied to R{f} (mlp.h: losses). */
static void r_loss(const arch *a, const real *f, const real *rf, int n, const int *c, real scale, real *rdf)
{
    const int k = a->k;
    for (int i = 0; i < n; i++) {
        const real *fi = f + (size_t)i * k, *ri = rf + (size_t)i * k;
        real *di = rdf + (size_t)i * k;
        if (!c || a->loss == LOSS_MSE) {
            for (int j = 0; j < k; j++)
                di[j] = scale * ri[j];
            continue;
        }
        const int ci = c[i];
        memset(di, 0, (size_t)k * sizeof *di);
        if (a->loss == LOSS_CE) { /* (diag(p) - p p^T) R{f} */
            real mx = fi[0], s = 0, pr = 0;
            for (int j = 1; j < k; j++)
                mx = fi[j] > mx ? fi[j] : mx;
            for (int j = 0; j < k; j++)
                s += di[j] = R_EXP(fi[j] - mx);
            for (int j = 0; j < k; j++) {
                di[j] /= s;
                pr += di[j] * ri[j];
            }
            for (int j = 0; j < k; j++)
                di[j] = scale * di[j] * (ri[j] - pr);
        } else if (a->loss == LOSS_SQHINGE) { /* 2 u u^T R{f}, u = e_other - e_c, where the margin is active */
            int other = ci == 0 ? 1 : 0;
            for (int j = 0; j < k; j++)
                if (j != ci && fi[j] > fi[other])
                    other = j;
            if (1 - (fi[ci] - fi[other]) > 0) {
                const real g = 2 * scale * (ri[other] - ri[ci]);
                di[other] = g;
                di[ci] = -g;
            }
        } /* hinge: piecewise linear in f, no curvature */
    }
}

/* The backward pass of the slow path: from ws->dz = dL/df, writes or adds
 * (acc) the gradient into grad (if grad), and keeps each trained layer's
 * dL/dz in dzl[l] and dL/dh in dhl[l] (where given). */
static void backward_keep(const arch *a, const real *theta, mlp_ws *ws, int n, real *grad, int acc, real **dzl,
                          real **dhl)
{
    real *dz = ws->dz, *dhout = ws->dh, *dhin = ws->dh2;
    const real beta = (real)a->beta;
    for (int l = a->nl - 1; l >= 0; l--) {
        const arch_layer *L = &a->L[l];
        const int in = L->fan_in, out = L->fan_out;
        const int below = l > 0 && trained(a, l - 1);
        const size_t m = (size_t)n * in;
        if (dzl && dzl[l])
            memcpy(dzl[l], dz, (size_t)n * out * sizeof *dz);
        if (below) { /* dh_l = wmul dz W (+ dh_{l+1} through the skip) */
            const int skip = L->residual != RES_NONE;
            if (skip)
                memcpy(dhin, dhout, m * sizeof *dhin);
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, (real)L->wmul, dz, out, theta + L->w, in,
                   skip ? 1 : 0, dhin, in);
            if (dhl && dhl[l])
                memcpy(dhl[l], dhin, m * sizeof *dhin);
        }
        if (grad && trained(a, l)) { /* dW = wmul dz^T h, db = column sums of dz */
            R_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, (real)L->wmul, dz, out, ws->h[l], in,
                   acc ? 1 : 0, grad + L->w, in);
            if (a->bias)
                col_sums(grad + L->b, dz, n, out, acc);
        }
        if (!below)
            break;
        /* dz_{l-1} = dh_l act'(z_{l-1}) */
        const arch_layer *P = &a->L[l - 1];
        const real *zp = ws->z[l - 1];
        if (P->residual == RES_LINEAR || P->act == ACT_IDENTITY)
            memcpy(dz, dhin, m * sizeof *dz);
        else if (P->act == ACT_RELU)
            relu_bwd(dz, dhin, zp, m);
        else
            for (size_t i = 0; i < m; i++)
                dz[i] = dhin[i] * act_df(P->act, zp[i], beta);
        real *t = dhout;
        dhout = dhin, dhin = t;
    }
}

void mlp_backward_keep(const arch *a, const real *theta, mlp_ws *ws, int n, real **dzl)
{
    backward_keep(a, theta, ws, n, NULL, 0, dzl, NULL);
}

/* ---- HVPs ------------------------------------------------------------------
 * An HVP has a part that does not depend on v (the forward pass, the loss
 * gradient, each layer's dL/dz and dL/dh: hvp_prepare, kept in ws and rws)
 * and the R-passes (hvp_rpass: 6 GEMMs per layer against the gradient's 3).
 * mlp_hvp runs both per chunk; mlp_hvp_prepare / mlp_hvp_cached split them
 * so that many directions at one theta share one prepared pass. */

/* forward, loss (scale: 1/n of the whole mean) and backward of one chunk of
 * m <= cap rows, kept; gradient written or added (acc) if grad */
static double hvp_prepare(const arch *a, const real *theta, mlp_ws *ws, mlp_rws *rws, const real *x, const int *c,
                          const real *y, int m, real scale, real *grad, int acc, long *right)
{
    mlp_forward(a, theta, ws, x, m);
    const double total = mlp_loss(a, ws->z[a->nl - 1], m, c, y, scale, ws->dz, right);
    backward_keep(a, theta, ws, m, grad, acc, rws->dzc, rws->dhc);
    return total;
}

/* the R-passes over the prepared chunk: hv written or added (acc), trained part */
static void hvp_rpass(const arch *a, const real *theta, const real *v, mlp_ws *ws, mlp_rws *rws, const int *c, int n,
                      real scale, real *hv, int acc)
{
    const real beta = (real)a->beta;
    r_forward(a, theta, v, ws, rws, n);
    r_loss(a, ws->z[a->nl - 1], rws->rz[a->nl - 1], n, c, scale, rws->rdz);
    real *rdz = rws->rdz, *rdhout = rws->rdh, *rdhin = rws->rdh2;
    for (int l = a->nl - 1; l >= 0; l--) {
        const arch_layer *L = &a->L[l];
        const int in = L->fan_in, out = L->fan_out;
        const real *dz = rws->dzc[l], *hin = ws->h[l];
        const int below = l > 0 && trained(a, l - 1), rlive = l > 0 && a->first_trainable == 0;
        const size_t m = (size_t)n * in;
        if (below) { /* R{dh_l} = wmul (R{dz} W + dz V) (+ R{dh_{l+1}} through the skip) */
            const int skip = L->residual != RES_NONE;
            if (skip)
                memcpy(rdhin, rdhout, m * sizeof *rdhin);
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, (real)L->wmul, rdz, out, theta + L->w, in,
                   skip ? 1 : 0, rdhin, in);
            R_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, (real)L->wmul, dz, out, v + L->w, in, 1,
                   rdhin, in);
        }
        /* R{dW} = wmul (R{dz}^T h + dz^T R{h}), R{db} = column sums of R{dz} */
        R_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, (real)L->wmul, rdz, out, hin, in, acc ? 1 : 0,
               hv + L->w, in);
        if (rlive)
            R_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, (real)L->wmul, dz, out, rws->rh[l], in, 1,
                   hv + L->w, in);
        if (a->bias)
            col_sums(hv + L->b, rdz, n, out, acc);
        if (!below)
            break;
        /* R{dz_{l-1}} = R{dh_l} act'(z) + dh_l act''(z) R{z} */
        const arch_layer *P = &a->L[l - 1];
        const real *zp = ws->z[l - 1], *rzp = rws->rz[l - 1], *dh = rws->dhc[l];
        if (P->residual == RES_LINEAR || P->act == ACT_IDENTITY)
            memcpy(rdz, rdhin, m * sizeof *rdz);
        else if (P->act == ACT_RELU)
            relu_bwd(rdz, rdhin, zp, m);
        else
            for (size_t i = 0; i < m; i++)
                rdz[i] = rdhin[i] * act_df(P->act, zp[i], beta) + dh[i] * act_d2f(P->act, zp[i], beta) * rzp[i];
        real *t = rdhout;
        rdhout = rdhin, rdhin = t;
    }
}

double mlp_hvp(const arch *a, const real *theta, const real *v, mlp_ws *ws, mlp_rws *rws, const real *x,
               const int *c, const real *y, long n, real *grad, real *hv, double *acc)
{
    double total = 0;
    long right = 0;
    const real scale = (real)(1.0 / (double)n);
    for (long s = 0; s < n; s += ws->cap) {
        const int m = (int)(n - s < ws->cap ? n - s : ws->cap);
        const int *cs = c ? c + s : NULL;
        total += hvp_prepare(a, theta, ws, rws, x + (size_t)s * a->d, cs, y ? y + (size_t)s * a->k : NULL, m, scale,
                             grad, s > 0, &right);
        hvp_rpass(a, theta, v, ws, rws, cs, m, scale, hv, s > 0);
    }
    if (a->first_trainable) {
        if (grad)
            memset(grad, 0, a->first_trainable * sizeof *grad);
        memset(hv, 0, a->first_trainable * sizeof *hv);
    }
    if (acc)
        *acc = c ? (double)right / (double)n : NAN;
    return total / (double)n;
}

double mlp_hvp_prepare(const arch *a, const real *theta, mlp_ws *ws, mlp_rws *rws, const real *x, const int *c,
                       const real *y, int n, real *grad, double *acc)
{
    long right = 0;
    const double total = hvp_prepare(a, theta, ws, rws, x, c, y, n, (real)(1.0 / n), grad, 0, &right);
    if (grad && a->first_trainable)
        memset(grad, 0, a->first_trainable * sizeof *grad);
    if (acc)
        *acc = c ? (double)right / n : NAN;
    return total / n;
}

void mlp_hvp_cached(const arch *a, const real *theta, const real *v, mlp_ws *ws, mlp_rws *rws, const int *c, int n,
                    real *hv)
{
    hvp_rpass(a, theta, v, ws, rws, c, n, (real)(1.0 / n), hv, 0);
    if (a->first_trainable)
        memset(hv, 0, a->first_trainable * sizeof *hv);
}
