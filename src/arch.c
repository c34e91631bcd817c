/* arch.c -- see arch.h */
#include <math.h>
#include <stdlib.h>
#include "arch.h"

int arch_init(arch *a, const cfg *s, int d, int k, sgd_err *e)
{
    a->nl = s->depth + 1;
    a->d = d;
    a->k = k;
    a->width = s->depth > 0 ? s->width : 0;
    a->bias = s->bias;
    a->loss = s->loss;
    a->beta = s->softplus_beta;
    a->L = calloc((size_t)a->nl, sizeof *a->L);
    if (!a->L)
        return sgd_fail(e, SGD_ENOMEM, "out of memory (network layout, depth %d)", s->depth);
    size_t off = 0;
    a->maxw = d > k ? d : k;
    for (int l = 0; l < a->nl; l++) {
        arch_layer *L = &a->L[l];
        L->fan_in = l == 0 ? d : s->width;
        L->fan_out = l == a->nl - 1 ? k : s->width;
        if (L->fan_out > a->maxw)
            a->maxw = L->fan_out;
        double base = s->init == INIT_HE ? 2.0 / L->fan_in
                      : s->init == INIT_LECUN ? 1.0 / L->fan_in
                                              : 2.0 / (L->fan_in + L->fan_out);
        L->var = s->init_scale * base;
        L->wmul = s->param == PARAM_NTK ? sqrt(L->var) : 1.0;
        L->wstd = s->param == PARAM_NTK ? 1.0 : sqrt(L->var);
        L->act = l == a->nl - 1 ? ACT_IDENTITY : s->act;
        L->residual = (l > 0 && l < a->nl - 1) ? s->residual : RES_NONE;
        L->w = off;
        off += (size_t)L->fan_in * L->fan_out;
        L->b = off;
        if (s->bias)
            off += (size_t)L->fan_out;
        if (l == a->nl - 1)
            a->first_trainable = s->train_last ? L->w : 0;
    }
    a->n_params = off;
    return 0;
}

void arch_destroy(arch *a)
{
    if (a) {
        free(a->L);
        a->L = NULL;
    }
}
