/* store.h -- the HDF5 result file of a sweep (layout: docs/FORMAT.md).
 *
 * store_write writes the complete file from the run table: to PATH.tmp, then
 * rename(2) onto PATH, so PATH is always a whole, readable file, whatever
 * happens during a write. The per-run settings columns are computed once,
 * at store_alloc. */
#ifndef SGD_STORE_H
#define SGD_STORE_H

#include "spec.h"
#include "sweep.h"

#define STORE_FORMAT_VERSION 3 /* 2: probe metrics, curves and arrays; 3: uniform datasets as fill values, /grid as views (docs/FORMAT.md, Versioning) */
#define STORE_MAX_DIMS 30 /* more grid dimensions: /runs only, no /grid view */

typedef struct {
    const char *command_line;
    double created;          /* unix time the sweep (first) started */
    int mpi_size;
    const char *hosts;       /* comma-separated host names of the ranks */
    const char *mpi_version; /* MPI_Get_library_version, first line */
    int complete;            /* every run has a result */
    long resumes;            /* how many times the sweep was resumed */
} store_prov;

typedef struct store store;

store *store_alloc(const spec *sp, const char *path, sgd_err *e);
void store_free(store *st);
/* Deflate (gzip, with the shuffle filter) the curves and probe arrays at
 * level 1-9; 0 (the default) stores them as they are. */
void store_set_deflate(store *st, int level);
int store_write(store *st, const sweep_table *t, const store_prov *p, sgd_err *e);

#endif
