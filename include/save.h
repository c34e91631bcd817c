/* save.h -- write one run (dataset, initial and final parameters, settings,
 * metrics, learning curve) to an HDF5 file; layout in docs/SAVE.md.
 * The data groups use the input layout of docs/DATA.md, so a saved file can
 * be fed back with --data file --data-file FILE. */
#ifndef SGD_SAVE_H
#define SGD_SAVE_H

#include "arch.h"
#include "cfg.h"
#include "data.h"
#include "train.h"

/* Write to path (refusing an existing file unless force). The file appears
 * complete or not at all: it is written beside path and renamed. */
int save_run(const char *path, int force, const cfg *s, const dataset *ds, const result *r, const char *cmdline,
             sgd_err *e);

#endif
