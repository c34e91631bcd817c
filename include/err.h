/* err.h -- one error style for the whole program.
 *
 * Library code returns 0 on success or a nonzero status, and fills an
 * sgd_err with one line of text that names the file/option/key involved.
 * The driver prints that line and maps the status to a documented exit code
 * (see docs/CLI.md). */
#ifndef SGD_ERR_H
#define SGD_ERR_H

enum {
    SGD_OK = 0,
    SGD_EUSAGE = 2,   /* bad option, value or spec: nothing was run */
    SGD_EDATA = 3,    /* unreadable / malformed data file */
    SGD_EIO = 4,      /* cannot write an output file */
    SGD_ENOMEM = 5,   /* out of memory */
    SGD_EINTERNAL = 6, /* library failure (BLAS/HDF5/GSL/MPI) */
    SGD_EABORT = 7,    /* a run abandoned on request (signal); not an exit code */
    SGD_EINCOMPLETE = 75 /* sweep stopped by a signal: incomplete, resumable (EX_TEMPFAIL) */
};

typedef struct {
    int code;
    char msg[768];
} sgd_err;

/* Record the first error only (later ones are usually consequences).
 * Returns code, so callers can write `return sgd_fail(e, ...)`. */
int sgd_fail(sgd_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
