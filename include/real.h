/* real.h -- the floating-point type of the numeric core.
 *
 * The numeric modules (mlp.c, optim.c, train_core.c) are compiled twice: once
 * with SGD_F64 defined (real = double) and once without (real = float). The
 * macros below give every exported symbol of those modules a _f64 / _f32
 * suffix, so both builds link into one binary and the precision is a
 * run-time setting (--precision). Code outside the core never includes this. */
#ifndef SGD_REAL_H
#define SGD_REAL_H

#include <gsl/gsl_cblas.h> /* CBLAS prototypes; OpenBLAS provides the code */

#ifdef SGD_F64
typedef double real;
#define SGD_SFX f64
#define R_GEMM cblas_dgemm
#define R_EXP exp
#define R_LOG log
#define R_LOG1P log1p
#define R_TANH tanh
#define R_ERF erf
#define R_SQRT sqrt
#define R_FABS fabs
#else
typedef float real;
#define SGD_SFX f32
#define R_GEMM cblas_sgemm
#define R_EXP expf
#define R_LOG logf
#define R_LOG1P log1pf
#define R_TANH tanhf
#define R_ERF erff
#define R_SQRT sqrtf
#define R_FABS fabsf
#endif

#define SGD_CAT_(a, b) a##_##b
#define SGD_CAT(a, b) SGD_CAT_(a, b)

/* symbol renaming: mlp_forward -> mlp_forward_f32 etc. */

#define mlp_ws_alloc SGD_CAT(mlp_ws_alloc, SGD_SFX)
#define mlp_ws_free SGD_CAT(mlp_ws_free, SGD_SFX)
#define mlp_init_params SGD_CAT(mlp_init_params, SGD_SFX)
#define mlp_forward SGD_CAT(mlp_forward, SGD_SFX)
#define mlp_backward SGD_CAT(mlp_backward, SGD_SFX)
#define mlp_sgd_step SGD_CAT(mlp_sgd_step, SGD_SFX)
#define mlp_loss SGD_CAT(mlp_loss, SGD_SFX)
#define mlp_loss_grad SGD_CAT(mlp_loss_grad, SGD_SFX)
#define mlp_rws_alloc SGD_CAT(mlp_rws_alloc, SGD_SFX)
#define mlp_rws_free SGD_CAT(mlp_rws_free, SGD_SFX)
#define mlp_hvp SGD_CAT(mlp_hvp, SGD_SFX)
#define mlp_backward_keep SGD_CAT(mlp_backward_keep, SGD_SFX)
#define mlp_hvp_prepare SGD_CAT(mlp_hvp_prepare, SGD_SFX)
#define mlp_hvp_cached SGD_CAT(mlp_hvp_cached, SGD_SFX)

#define optim_alloc SGD_CAT(optim_alloc, SGD_SFX)
#define optim_free SGD_CAT(optim_free, SGD_SFX)
#define optim_update SGD_CAT(optim_update, SGD_SFX)
#define optim_perturb SGD_CAT(optim_perturb, SGD_SFX)
#define vec_norm SGD_CAT(vec_norm, SGD_SFX)
#define vec_dist SGD_CAT(vec_dist, SGD_SFX)

#endif
