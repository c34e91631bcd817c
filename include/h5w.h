/* h5w.h -- writing whole HDF5 files atomically, with one error style: every
 * helper is a no-op after the first failure, which is recorded once in the
 * sgd_err, naming the file and the object. Used by the result file (store.c)
 * and the single-run file (save.c). Strings are variable-length UTF-8. */
#ifndef SGD_H5W_H
#define SGD_H5W_H

#include <hdf5.h>
#include "err.h"

typedef struct {
    const char *path; /* for messages */
    sgd_err *e;
    int bad;          /* a helper failed */
    hid_t str;        /* the string type */
    void *img;        /* the core driver's memory: the file image (allocated through our callbacks) */
} h5w;

/* A new file built in memory (HDF5 core driver, no backing store), written
 * to disk only by h5w_commit; -1 on failure (recorded in e). */
hid_t h5w_create(h5w *w, const char *path, sgd_err *e);

/* Close f; unless a helper failed, write its image to tmp with write(2),
 * fsync, rename onto w->path and fsync the directory. A full disk or an
 * unwritable directory is an SGD_EIO error and leaves w->path as it was (an
 * existing file stays whole). Returns 0 or the error code. */
int h5w_commit(h5w *w, hid_t f, const char *tmp);

void h5w_fail(h5w *w, const char *what);

/* Create dataset `name` [dims] (chunked, shuffled and gzip'ed when chunk is
 * given), write buf, and return it open (the caller closes it with
 * h5w_close; -1 after a failure). */
hid_t h5w_put(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf, int rank,
              const hsize_t *dims, const hsize_t *chunk);
/* Every one of n elements of esize bytes equals the first (bitwise). */
int h5w_uniform(const void *buf, size_t n, size_t esize);

/* Dataset `name` [dims] whose every element is *val (in mtype): the fill
 * value, no data stored. Returned open, like h5w_put. */
hid_t h5w_put_fill(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val, int rank,
                   const hsize_t *dims);

/* Dataset `name` [rows x width] from buf (esize bytes per element): one fill
 * value when all elements are equal; else chunked over whole rows (shuffled
 * and deflated at level `deflate` when it is 1-9), with fill value *fill,
 * and chunks made only of *fill left unwritten. */
hid_t h5w_put_rows(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t esize, const void *buf,
                   hsize_t rows, hsize_t width, const void *fill, int deflate);

/* A virtual dataset `name` [dims] showing, in row-major order, the whole
 * dataset src of this file (absolute path, src_dims, the same number of
 * elements and the same type ftype): a second shape, no second copy. Its
 * fill value *fill (in mtype) is what it shows where src cannot be read
 * (a /grid copied without /runs). */
hid_t h5w_put_view(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *fill, int rank,
                   const hsize_t *dims, const char *src, int src_rank, const hsize_t *src_dims);

void h5w_close(hid_t ds);

void h5w_attr_str(h5w *w, hid_t loc, const char *name, const char *val);
void h5w_attr_num(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val);
hid_t h5w_group(h5w *w, hid_t loc, const char *name);
void h5w_attach(h5w *w, hid_t ds, hid_t scale, unsigned idx);

#endif
