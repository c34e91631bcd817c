/* arch.h -- the shape of a network and where its parameters live.
 *
 * Layers l = 0 .. nl-1 with nl = depth + 1. Layer l maps fan_in -> fan_out:
 *     z_l = wmul_l * h_l W_l^T + b_l          h_l, z_l: [batch x fan]
 *     h_{l+1} = act(z_l)                       (hidden layers)
 *     h_{l+1} = h_l + act(z_l)                 (residual standard)
 *     h_{l+1} = h_l + z_l                      (residual linear: h (I + A))
 *     f = z_{nl-1}                             (output, no activation)
 * Residual connections join the width -> width layers (l = 1 .. depth-1).
 * All parameters live in one flat buffer theta[n_params]: for each layer, W_l
 * [fan_out x fan_in] row-major at offset w, then b_l [fan_out] at offset b.
 * Gradients and optimiser state mirror that layout. With train_last, only
 * theta[first_trainable .. n_params) is trained.
 * Init: W entries ~ N(0, var_l) with var_l = init_scale * base(fan_in,
 * fan_out) (he 2/fan_in, lecun 1/fan_in, xavier 2/(fan_in+fan_out)); biases
 * 0. Parameterisation standard: wmul = 1, entries drawn with variance var_l;
 * ntk: entries N(0,1) and wmul = sqrt(var_l). zero_last sets the last W to 0. */
#ifndef SGD_ARCH_H
#define SGD_ARCH_H

#include <stddef.h>
#include "cfg.h"
#include "err.h"

typedef struct {
    int fan_in, fan_out;
    size_t w, b;         /* offsets into theta; b is meaningless without bias */
    double var;          /* init variance of the effective weights */
    double wmul;         /* forward multiplier of W (1, or sqrt(var) for ntk) */
    double wstd;         /* std of the stored entries at init */
    int act;             /* ACT_*, ACT_IDENTITY for the output layer */
    int residual;        /* RES_* for this layer */
} arch_layer;

typedef struct arch {
    int nl, d, k, width, maxw;  /* maxw: widest layer (incl. input and output) */
    int bias, loss;
    double beta;                /* softplus sharpness */
    size_t n_params, first_trainable;
    arch_layer *L;              /* [nl] */
} arch;

/* Lay out the network of cfg s for inputs of dimension d and k outputs. */
int arch_init(arch *a, const cfg *s, int d, int k, sgd_err *e);
void arch_destroy(arch *a);

#endif
