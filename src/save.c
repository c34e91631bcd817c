/* save.c -- see save.h and docs/SAVE.md */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "save.h"
#include "version.h"

typedef struct {
    const char *path;
    sgd_err *e;
    int bad;
} ctx;

static int h5_check(ctx *c, herr_t rc, const char *what)
{
    if (rc < 0 && !c->bad) {
        c->bad = 1;
        sgd_fail(c->e, SGD_EIO, "%s: cannot write %s (disk full or not writable?)", c->path, what);
    }
    return rc < 0;
}

/* write an n0 x n1 (n1 = 0: 1-D) dataset */
static void put(ctx *c, hid_t loc, const char *name, hid_t mtype, hid_t ftype, const void *buf, hsize_t n0,
                hsize_t n1)
{
    if (c->bad)
        return;
    hsize_t dims[2] = {n0, n1};
    hid_t sp = H5Screate_simple(n1 ? 2 : 1, dims, NULL);
    hid_t ds = sp < 0 ? -1 : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (ds >= 0)
        H5Dclose(ds);
    if (sp >= 0)
        H5Sclose(sp);
    h5_check(c, rc, name);
}

static void attr_str(ctx *c, hid_t loc, const char *name, const char *val)
{
    if (c->bad)
        return;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(val) + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, val);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    h5_check(c, rc, name);
}

static void attr_num(ctx *c, hid_t loc, const char *name, hid_t mtype, hid_t ftype, const void *val)
{
    if (c->bad)
        return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, mtype, val);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    h5_check(c, rc, name);
}

static hid_t group(ctx *c, hid_t loc, const char *name)
{
    if (c->bad)
        return -1;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    h5_check(c, g, name);
    return g;
}

static void put_set(ctx *c, hid_t f, const char *name, const dataset *ds, const double *x, const int *lab,
                    const double *y, int n)
{
    hid_t g = group(c, f, name);
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
    ctx c = {path, e, 0};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return sgd_fail(e, SGD_EIO, "%s: cannot create (%s)", path, errno ? strerror(errno) : "HDF5 error");
    int one = 1;
    attr_num(&c, f, "save_format_version", H5T_NATIVE_INT, H5T_STD_I32LE, &one);
    char prog[160];
    snprintf(prog, sizeof prog, "sgdsweep %s (git %s)", sgd_version, sgd_git);
    attr_str(&c, f, "program", prog);
    attr_str(&c, f, "command_line", cmdline ? cmdline : "");
    /* settings: one attribute per field, as text and typed */
    hid_t gs = group(&c, f, "settings");
    for (int i = 0; i < cfg_nfields && !c.bad; i++) {
        const cfg_field *fd = &cfg_fields[i];
        const void *p = (const char *)s + fd->offset;
        long long v;
        switch (fd->type) {
        case CFG_REAL: attr_num(&c, gs, fd->name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, p); break;
        case CFG_INT:
        case CFG_BOOL: v = *(const int *)p; goto integer;
        case CFG_LONG: v = *(const long *)p; goto integer;
        case CFG_I64: v = *(const int64_t *)p;
        integer:
            attr_num(&c, gs, fd->name, H5T_NATIVE_LLONG, H5T_STD_I64LE, &v);
            break;
        default: {
            char buf[600];
            cfg_format(s, fd, buf, sizeof buf);
            attr_str(&c, gs, fd->name, buf);
        }
        }
    }
    if (gs >= 0)
        H5Gclose(gs);
    /* metrics */
    hid_t gm = group(&c, f, "metrics");
    for (int i = 0; i < met_nfields && !c.bad; i++) {
        const met_field *m = &met_fields[i];
        const void *p = (const char *)r + m->offset;
        if (m->type == MET_REAL)
            attr_num(&c, gm, m->name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, p);
        else if (m->type == MET_LONG)
            attr_num(&c, gm, m->name, H5T_NATIVE_LONG, H5T_STD_I64LE, p);
        else
            attr_str(&c, gm, m->name, *(const int *)p == RUN_DIVERGED ? "diverged" : "done");
    }
    if (gm >= 0)
        H5Gclose(gm);
    /* curve */
    hid_t gc = group(&c, f, "curve");
    hsize_t K = (hsize_t)r->n_ckpt;
    put(&c, gc, "step", H5T_NATIVE_LONG, H5T_STD_I64LE, r->ckpt_step, K, 0);
    put(&c, gc, "lr", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_lr, K, 0);
    put(&c, gc, "train_loss", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_train_loss, K, 0);
    put(&c, gc, "train_acc", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_train_acc, K, 0);
    put(&c, gc, "test_loss", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_test_loss, K, 0);
    put(&c, gc, "test_acc", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, r->ckpt_test_acc, K, 0);
    if (gc >= 0)
        H5Gclose(gc);
    /* data, as the trainer saw it */
    put_set(&c, f, "train", ds, ds->x_train, ds->c_train, ds->y_train, ds->n_train);
    put_set(&c, f, "test", ds, ds->x_test, ds->c_test, ds->y_test, ds->n_test);
    /* parameters and their layout */
    hid_t gp = group(&c, f, "params");
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
    if (H5Fclose(f) < 0)
        h5_check(&c, -1, "the file");
    if (!c.bad && rename(tmp, path) != 0)
        sgd_fail(e, SGD_EIO, "%s: cannot rename %s into place (%s)", path, tmp, strerror(errno));
    if (c.bad || e->code)
        unlink(tmp);
    return e->code;
}
