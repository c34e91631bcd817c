/* h5w.c -- see h5w.h */
#include <errno.h>
#include <fcntl.h>
#include <hdf5_hl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "h5w.h"
#include "io.h"

hid_t h5w_create(h5w *w, const char *path, sgd_err *e)
{
    w->path = path, w->e = e, w->bad = 0, w->str = -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are ours to report */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18);
    H5Pset_fapl_core(fapl, 1 << 20, 0);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        sgd_fail(e, SGD_EINTERNAL, "%s: cannot create the file image in memory", path);
        return -1;
    }
    w->str = H5Tcopy(H5T_C_S1);
    H5Tset_size(w->str, H5T_VARIABLE);
    H5Tset_cset(w->str, H5T_CSET_UTF8);
    return f;
}

int h5w_commit(h5w *w, hid_t f, const char *tmp)
{
    if (w->str >= 0)
        H5Tclose(w->str);
    w->str = -1;
    char *img = NULL;
    ssize_t size = -1;
    if (!w->bad && H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0 && (size = H5Fget_file_image(f, NULL, 0)) > 0 &&
        (img = malloc((size_t)size)) != NULL && H5Fget_file_image(f, img, (size_t)size) != size)
        size = -1;
    H5Fclose(f);
    if (w->bad) {
        free(img);
        return w->e->code ? w->e->code : SGD_EINTERNAL;
    }
    if (size <= 0 || !img) {
        free(img);
        return sgd_fail(w->e, SGD_ENOMEM, "%s: cannot build the file image (out of memory?)", w->path);
    }
    /* rename(2) would replace a device node or a FIFO too: only ever replace a regular file */
    struct stat st;
    if (stat(w->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        free(img);
        return sgd_fail(w->e, SGD_EIO, "%s: exists and is not a regular file; refusing to replace it", w->path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 || io_write_all(fd, img, (size_t)size) != 0 || fsync(fd) != 0;
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = 1, err = errno;
    free(img);
    if (!rc && rename(tmp, w->path) != 0)
        rc = 1, err = errno;
    if (rc) {
        unlink(tmp);
        return sgd_fail(w->e, SGD_EIO, "%s: cannot write (%s); an existing file is unchanged", w->path,
                        strerror(err));
    }
    /* make the rename itself durable */
    char *dir = strdup(w->path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (dir) {
        if (slash)
            *(slash == dir ? slash + 1 : slash) = 0;
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return 0;
}

void h5w_fail(h5w *w, const char *what)
{
    if (!w->bad)
        sgd_fail(w->e, SGD_EINTERNAL, "%s: HDF5 failed to build %s", w->path, what);
    w->bad = 1;
}

hid_t h5w_put(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf, int rank,
              const hsize_t *dims, const hsize_t *chunk)
{
    if (w->bad)
        return -1;
    hid_t sp = H5Screate_simple(rank, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (sp >= 0 && pl >= 0) {
        if (chunk) {
            H5Pset_chunk(pl, rank, chunk);
            H5Pset_shuffle(pl);
            H5Pset_deflate(pl, 4);
        }
        ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    }
    if (pl >= 0)
        H5Pclose(pl);
    if (sp >= 0)
        H5Sclose(sp);
    if (ds < 0 || H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        h5w_fail(w, name);
    return ds;
}

void h5w_close(hid_t ds)
{
    if (ds >= 0)
        H5Dclose(ds);
}

static void attr(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val)
{
    if (w->bad)
        return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, val) < 0)
        h5w_fail(w, name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
}

void h5w_attr_str(h5w *w, hid_t loc, const char *name, const char *val)
{
    attr(w, loc, name, w->str, w->str, &val);
}

void h5w_attr_num(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val)
{
    attr(w, loc, name, ftype, mtype, val);
}

hid_t h5w_group(h5w *w, hid_t loc, const char *name)
{
    if (w->bad)
        return -1;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        h5w_fail(w, name);
    return g;
}

void h5w_attach(h5w *w, hid_t ds, hid_t scale, unsigned idx)
{
    if (!w->bad && ds >= 0 && scale >= 0 && H5DSattach_scale(ds, scale, idx) < 0)
        h5w_fail(w, "dimension scale");
}
