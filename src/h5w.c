/* h5w.c -- see h5w.h */
#include <errno.h>
#include <fcntl.h>
#include <hdf5_hl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "h5w.h"
#include "io.h"

/* The core driver's memory goes through these callbacks, so that
 * h5w_commit writes the image from where it is instead of copying it out
 * (H5Fget_file_image) first: a result file is held once, not twice. */
static void *img_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    h5w *w = udata;
    return w->img = malloc(size);
}

static void *img_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    h5w *w = udata;
    void *p = realloc(ptr, size);
    if (p)
        w->img = p;
    return p;
}

static herr_t img_free(void *ptr, H5FD_file_image_op_t op, void *udata)
{
    (void)op;
    h5w *w = udata;
    if (ptr == w->img)
        w->img = NULL;
    free(ptr);
    return 0;
}

static void *img_memcpy(void *dst, const void *src, size_t size, H5FD_file_image_op_t op, void *udata)
{
    (void)op, (void)udata;
    return memcpy(dst, src, size);
}

static void *img_udata_copy(void *udata) { return udata; }
static herr_t img_udata_free(void *udata) { (void)udata; return 0; }

hid_t h5w_create(h5w *w, const char *path, sgd_err *e)
{
    w->path = path, w->e = e, w->bad = 0, w->str = -1, w->img = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are ours to report */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V110); /* V110: virtual datasets */
    H5Pset_fapl_core(fapl, 4 << 20, 0);
    H5FD_file_image_callbacks_t cb = {img_malloc, img_memcpy, img_realloc, img_free, img_udata_copy, img_udata_free, w};
    H5Pset_file_image_callbacks(fapl, &cb);
    /* the name is one no file can have: before creating, HDF5 opens an
     * existing file of the given name to see whether it is open already,
     * and the core driver would read the whole previous result into memory */
    hid_t f = H5Fcreate("/dev/null/sgdsweep-in-memory", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
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
    /* the image: the driver's memory up to the end of the file's address
     * space, once every buffer is flushed into it; written before the
     * file is closed (closing frees it) */
    ssize_t size = -1;
    if (!w->bad && H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0)
        size = H5Fget_file_image(f, NULL, 0);
    if (w->bad || size <= 0 || !w->img) {
        H5Fclose(f);
        if (w->bad)
            return w->e->code ? w->e->code : SGD_EINTERNAL;
        return sgd_fail(w->e, SGD_ENOMEM, "%s: cannot build the file image (out of memory?)", w->path);
    }
    /* rename(2) would replace a device node or a FIFO too: only ever replace a regular file */
    struct stat st;
    if (stat(w->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        H5Fclose(f);
        return sgd_fail(w->e, SGD_EIO, "%s: exists and is not a regular file; refusing to replace it", w->path);
    }
    /* The driver's memory is the file as it is while open: its superblock
     * says "open for writing" (the file consistency flags), which the image
     * of H5Fget_file_image would have clear. Clear them: 4 bytes at offset
     * 20 in superblock versions 0 and 1, which our format bounds give; a
     * later version carries a checksum, so then the image is copied out. */
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char *img = w->img, *copy = NULL;
    if (size >= 24 && !memcmp(img, sig, 8) && img[8] <= 1) {
        memset(img + 20, 0, 4);
    } else if (!(copy = malloc((size_t)size)) || H5Fget_file_image(f, copy, (size_t)size) != size) {
        free(copy);
        H5Fclose(f);
        return sgd_fail(w->e, SGD_ENOMEM, "%s: cannot build the file image (out of memory?)", w->path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 || io_write_all(fd, copy ? copy : img, (size_t)size) != 0 || fsync(fd) != 0;
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = 1, err = errno;
    free(copy);
    H5Fclose(f);
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
        static const char *const empty = ""; /* strings: a defined fill value (h5py 3.7 crashes on an undefined one) */
        if (H5Tis_variable_str(ftype) > 0)
            H5Pset_fill_value(pl, ftype, &empty);
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

#define ALL_SAME(T)                                  \
    do {                                             \
        T x0, x;                                     \
        memcpy(&x0, b, sizeof x0);                   \
        for (size_t i = 1; i < n; i++) {             \
            memcpy(&x, b + i * sizeof x, sizeof x);  \
            if (x != x0)                             \
                return 0;                            \
        }                                            \
        return 1;                                    \
    } while (0)

int h5w_uniform(const void *buf, size_t n, size_t esize)
{
    const char *b = buf;
    if (n == 0)
        return 1;
    /* the common sizes compared as integers: bitwise, NaN included */
    switch (esize) {
    case 8: ALL_SAME(uint64_t);
    case 4: ALL_SAME(uint32_t);
    case 1: ALL_SAME(uint8_t);
    default:
        for (size_t i = 1; i < n; i++)
            if (memcmp(b + i * esize, b, esize))
                return 0;
        return 1;
    }
}
#undef ALL_SAME

hid_t h5w_put_fill(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val, int rank,
                   const hsize_t *dims)
{
    if (w->bad)
        return -1;
    /* contiguous storage is allocated at the first write (H5D_ALLOC_TIME_LATE):
     * never written, the dataset is its header and the fill value */
    hid_t sp = H5Screate_simple(rank, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (sp >= 0 && pl >= 0 && H5Pset_fill_value(pl, mtype, val) >= 0)
        ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (pl >= 0)
        H5Pclose(pl);
    if (sp >= 0)
        H5Sclose(sp);
    if (ds < 0)
        h5w_fail(w, name);
    return ds;
}

hid_t h5w_put_rows(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t esize, const void *buf,
                   hsize_t rows, hsize_t width, const void *fill, int deflate)
{
    const size_t nel = (size_t)(rows * width);
    hsize_t dims[2] = {rows, width};
    if (w->bad)
        return -1;
    if (h5w_uniform(buf, nel, esize))
        return h5w_put_fill(w, loc, name, ftype, mtype, nel ? buf : fill, 2, dims);
    /* chunks of ~32k values (whole rows), shuffled and deflated when asked;
     * a chunk all of fill values is not written */
    hsize_t r = 32768 / width;
    hsize_t chunk[2] = {r < 1 ? 1 : r > rows ? rows : r, width};
    hid_t sp = H5Screate_simple(2, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (sp >= 0 && pl >= 0 && H5Pset_chunk(pl, 2, chunk) >= 0 &&
        (!deflate || (H5Pset_shuffle(pl) >= 0 && H5Pset_deflate(pl, (unsigned)deflate) >= 0)) &&
        H5Pset_fill_value(pl, mtype, fill) >= 0)
        ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (pl >= 0)
        H5Pclose(pl);
    if (ds < 0)
        h5w_fail(w, name);
    const char *b = buf;
    for (hsize_t r0 = 0; r0 < rows && !w->bad; r0 += chunk[0]) {
        hsize_t cnt[2] = {rows - r0 < chunk[0] ? rows - r0 : chunk[0], width}, off[2] = {r0, 0};
        const size_t m = (size_t)(cnt[0] * width);
        const char *blk = b + (size_t)(r0 * width) * esize;
        size_t j = 0;
        while (j < m && !memcmp(blk + j * esize, fill, esize))
            j++;
        if (j == m)
            continue;
        hid_t ms = H5Screate_simple(2, cnt, NULL);
        if (ms < 0 || H5Sselect_hyperslab(sp, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
            H5Dwrite(ds, mtype, ms, sp, H5P_DEFAULT, blk) < 0)
            h5w_fail(w, name);
        if (ms >= 0)
            H5Sclose(ms);
    }
    if (sp >= 0)
        H5Sclose(sp);
    return ds;
}

hid_t h5w_put_view(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *fill, int rank,
                   const hsize_t *dims, const char *src, int src_rank, const hsize_t *src_dims)
{
    if (w->bad)
        return -1;
    hid_t vs = H5Screate_simple(rank, dims, NULL), ss = H5Screate_simple(src_rank, src_dims, NULL);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (vs >= 0 && ss >= 0 && pl >= 0 && H5Sselect_all(vs) >= 0 && H5Sselect_all(ss) >= 0 &&
        H5Pset_fill_value(pl, mtype, fill) >= 0 && H5Pset_virtual(pl, vs, ".", src, ss) >= 0)
        ds = H5Dcreate2(loc, name, ftype, vs, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (pl >= 0)
        H5Pclose(pl);
    if (ss >= 0)
        H5Sclose(ss);
    if (vs >= 0)
        H5Sclose(vs);
    if (ds < 0)
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
