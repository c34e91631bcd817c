/* save.c -- see save.h and docs/SAVE.md */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "h5w.h"
#include "save.h"
#include "version.h"

/* an n0 x n1 (n1 = 0: 1-D) dataset */
static void put(h5w *w, hid_t loc, const char *name, hid_t mtype, hid_t ftype, const void *buf, hsize_t n0,
                hsize_t n1)
{
    hsize_t dims[2] = {n0, n1};
    h5w_close(h5w_put(w, loc, name, ftype, mtype, buf, n1 ? 2 : 1, dims, NULL));
}

static void put_set(h5w *c, hid_t f, const char *name, const dataset *ds, const double *x, const int *lab,
                    const double *y, int n)
{
    hid_t g = h5w_group(c, f, name);
    put(c, g, "x", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, x, (hsize_t)n, (hsize_t)ds->d);
    if (lab)
        put(c, g, "y", H5T_NATIVE_INT, H5T_STD_I32LE, lab, (hsize_t)n, 0);
    else
        put(c, g, "y", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, y, (hsize_t)n, (hsize_t)ds->k);
    if (g >= 0)
        H5Gclose(g);
}

int save_run(const char *path, int force, const cfg *s, const dataset *ds, const result *r, const char *cmdline,
             sgd_err *e)
{
    if (!force && access(path, F_OK) == 0)
        return sgd_fail(e, SGD_EIO, "%s: file exists; refusing to overwrite it (use --force)", path);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    h5w c;
    hid_t f = h5w_create(&c, path, e);
    if (f < 0)
        return e->code;
    int version = 3; /* 2: strings are variable-length UTF-8; 3: probe curves, /probes */
    h5w_attr_num(&c, f, "save_format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    char prog[160];
    snprintf(prog, sizeof prog, "sgdsweep %s (git %s)", sgd_version, sgd_git);
    h5w_attr_str(&c, f, "program", prog);
    h5w_attr_str(&c, f, "command_line", cmdline ? cmdline : "");
    /* settings: one attribute per field, as text and typed */
    hid_t gs = h5w_group(&c, f, "settings");
    for (int i = 0; i < cfg_nfields && !c.bad; i++) {
        const cfg_field *fd = &cfg_fields[i];
        const void *p = (const char *)s + fd->offset;
        long long v;
        switch (fd->type) {
        case CFG_REAL: h5w_attr_num(&c, gs, fd->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p); break;
        case CFG_INT:
        case CFG_BOOL: v = *(const int *)p; goto integer;
        case CFG_LONG: v = *(const long *)p; goto integer;
        case CFG_I64: v = *(const int64_t *)p;
        integer:
            h5w_attr_num(&c, gs, fd->name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v);
            break;
        default: {
            char buf[600];
            cfg_format(s, fd, buf, sizeof buf);
            h5w_attr_str(&c, gs, fd->name, buf);
        }
        }
    }
    if (gs >= 0)
        H5Gclose(gs);
    /* metrics */
    hid_t gm = h5w_group(&c, f, "metrics");
    for (int i = 0; i < met_nfields && !c.bad; i++) {
        const met_field *m = &met_fields[i];
        const void *p = (const char *)r + m->offset;
        if (m->type == MET_REAL)
            h5w_attr_num(&c, gm, m->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p);
        else if (m->type == MET_LONG)
            h5w_attr_num(&c, gm, m->name, H5T_STD_I64LE, H5T_NATIVE_LONG, p);
        else
            h5w_attr_str(&c, gm, m->name, *(const int *)p == RUN_DIVERGED ? "diverged" : "done");
    }
    if (gm >= 0)
        H5Gclose(gm);
    /* curve */
    hid_t gc = h5w_group(&c, f, "curve");
    hsize_t K = (hsize_t)r->n_ckpt;
    put(&c, gc, "step", H5T_NATIVE_LONG, H5T_STD_I64LE, r->ckpt_step, K, 0);
    put(&c, gc, "lr", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_lr, K, 0);
    put(&c, gc, "train_loss", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_train_loss, K, 0);
    put(&c, gc, "train_acc", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_train_acc, K, 0);
    put(&c, gc, "test_loss", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_test_loss, K, 0);
    put(&c, gc, "test_acc", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_test_acc, K, 0);
    for (int i = 0; i < N_PCURVE && !c.bad; i++) { /* the probe curves this run recorded */
        if (!r->ckpt_probe[i])
            continue;
        hid_t d = h5w_put(&c, gc, pcurve_fields[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, r->ckpt_probe[i], 1, &K,
                          NULL);
        h5w_attr_str(&c, d, "description", pcurve_fields[i].help);
        h5w_close(d);
    }
    if (gc >= 0)
        H5Gclose(gc);
    /* the probe arrays this run measured, one dataset each */
    hid_t gpr = h5w_group(&c, f, "probes");
    for (int i = 0; i < N_PARR && !c.bad; i++) {
        if (!r->parr[i])
            continue;
        hsize_t n = (hsize_t)(r->parr_len[i] > 0 ? r->parr_len[i] : 0);
        hid_t d = h5w_put(&c, gpr, parr_fields[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, r->parr[i], 1, &n, NULL);
        h5w_attr_str(&c, d, "description", parr_fields[i].help);
        h5w_close(d);
    }
    if (gpr >= 0)
        H5Gclose(gpr);
    /* data, as the trainer saw it */
    put_set(&c, f, "train", ds, ds->x_train, ds->c_train, ds->y_train, ds->n_train);
    put_set(&c, f, "test", ds, ds->x_test, ds->c_test, ds->y_test, ds->n_test);
    /* parameters and their layout */
    hid_t gp = h5w_group(&c, f, "params");
    if (r->theta0 && r->theta) {
        put(&c, gp, "init", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->theta0, (hsize_t)r->n_params, 0);
        put(&c, gp, "final", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->theta, (hsize_t)r->n_params, 0);
    }
    arch a = {0};
    if (!c.bad && arch_init(&a, s, ds->d, ds->k, e) == 0) {
        /* layout [nl x 6]: fan_in, fan_out, w_offset, b_offset (-1: none), act, residual */
        long long lay[6 * 1024];
        int nl = a.nl < 1024 ? a.nl : 1024;
        double wmul[1024];
        for (int l = 0; l < nl; l++) {
            const arch_layer *L = &a.L[l];
            long long row[6] = {L->fan_in, L->fan_out, (long long)L->w, a.bias ? (long long)L->b : -1, L->act,
                                L->residual};
            memcpy(lay + 6 * l, row, sizeof row);
            wmul[l] = L->wmul;
        }
        put(&c, gp, "layout", H5T_NATIVE_LLONG, H5T_STD_I64LE, lay, (hsize_t)nl, 6);
        put(&c, gp, "wmul", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, wmul, (hsize_t)nl, 0);
        arch_destroy(&a);
    }
    if (gp >= 0)
        H5Gclose(gp);
    if (e->code) /* the layout could not be computed */
        c.bad = 1;
    return h5w_commit(&c, f, tmp);
}
