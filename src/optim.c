/* optim.c -- see optim.h. Compiled per precision. */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include "optim.h"

optim *optim_alloc(const cfg *s, size_t n, size_t lo, gsl_rng *noise)
{
    optim *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->n = n;
    o->lo = lo;
    o->momentum = s->momentum;
    o->weight_decay = s->weight_decay;
    o->temperature = s->optimizer == OPT_LANGEVIN ? s->langevin_temp : 0;
    o->noise = noise;
    if (s->momentum > 0 && !(o->v = calloc(n, sizeof *o->v)))
        goto fail;
    if (s->optimizer == OPT_PGD && !(o->xi = calloc(n, sizeof *o->xi)))
        goto fail;
    return o;
fail:
    optim_free(o);
    return NULL;
}

void optim_free(optim *o)
{
    if (!o)
        return;
    free(o->v);
    free(o->xi);
    free(o);
}

void optim_update(optim *o, real *theta, const real *grad, double lr)
{
    const real eta = (real)lr, wd = (real)o->weight_decay, mu = (real)o->momentum;
    real *v = o->v;
    if (v) {
        for (size_t i = o->lo; i < o->n; i++) {
            v[i] = mu * v[i] + (grad[i] + wd * theta[i]);
            theta[i] -= eta * v[i];
        }
    } else if (wd != 0) {
        for (size_t i = o->lo; i < o->n; i++)
            theta[i] -= eta * (grad[i] + wd * theta[i]);
    } else {
        for (size_t i = o->lo; i < o->n; i++)
            theta[i] -= eta * grad[i];
    }
    if (o->temperature > 0) {
        const double sd = sqrt(2.0 * lr * o->temperature);
        for (size_t i = o->lo; i < o->n; i++)
            theta[i] += (real)gsl_ran_gaussian_ziggurat(o->noise, sd);
    }
}

void optim_perturb(optim *o, real *theta, double r)
{
    /* uniform in a ball: Gaussian direction, radius r * U^(1/dim) */
    const size_t dim = o->n - o->lo;
    double ss = 0;
    for (size_t i = o->lo; i < o->n; i++) {
        double g = gsl_ran_gaussian_ziggurat(o->noise, 1.0);
        o->xi[i] = (real)g;
        ss += g * g;
    }
    const double rad = r * pow(gsl_rng_uniform_pos(o->noise), 1.0 / (double)dim) / sqrt(ss);
    for (size_t i = o->lo; i < o->n; i++)
        theta[i] += (real)(rad * o->xi[i]);
}
