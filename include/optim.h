/* optim.h -- parameter updates over the flat buffer (compiled per precision).
 *
 * One step with gradient g at learning rate lr, over the trained range
 * [lo, n) of theta:
 *     g'    = g + weight_decay * theta
 *     v     = momentum * v + g'            (heavy ball; v starts at 0)
 *     theta = theta - lr * (momentum > 0 ? v : g')
 *     theta = theta + sqrt(2 lr T) xi,  xi ~ N(0, I)   (langevin, T > 0)
 * Perturbed GD (Jin et al. 2017): optim_perturb adds xi uniform in the ball
 * of radius r. */
#ifndef SGD_OPTIM_H
#define SGD_OPTIM_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "cfg.h"
#include "real.h"

typedef struct {
    size_t n, lo;
    double momentum, weight_decay, temperature;
    real *v;          /* [n] momentum buffer, NULL without momentum */
    real *xi;         /* [n] perturbation scratch for optim_perturb */
    gsl_rng *noise;   /* not owned */
} optim;

/* Optimiser for n parameters of which [lo, n) are trained; noise is the
 * stream for langevin / perturbations (may be NULL if neither is used). */
optim *optim_alloc(const cfg *s, size_t n, size_t lo, gsl_rng *noise);
void optim_free(optim *o);

void optim_update(optim *o, real *theta, const real *grad, double lr);

/* theta += xi, xi uniform in the ball of radius r in the trained subspace. */
void optim_perturb(optim *o, real *theta, double r);

#endif
