/* par.h -- the MPI sweep engine: the only module that includes mpi.h.
 *
 * Rank 0 expands the spec, keeps the run table, the journal and the result
 * file, hands runs out most expensive first in chunks, and trains too,
 * answering requests between its training steps. Workers ask for chunks,
 * train, and stream each result back as it finishes. Signals (TERM, INT,
 * USR1) stop the hand-out, abandon runs in flight, flush and exit with
 * SGD_EINCOMPLETE. See docs/SWEEP.md. */
#ifndef SGD_PAR_H
#define SGD_PAR_H

typedef struct {
    const char *spec_path;
    const char *out;          /* result file */
    int resume, force, quiet;
    int blas_threads;         /* BLAS threads per rank (main has made OpenBLAS's pool this size) */
    double flush_every;       /* seconds between result-file rewrites (at least) */
    double progress_every;    /* seconds between progress lines when stderr is not a terminal */
    int compress;             /* gzip level of the result file's curves and probe arrays (0: none) */
    const char *command_line;
} par_opts;

/* Catch SIGTERM, SIGINT and SIGUSR1 from now on (and unblock them): a sweep
 * signalled at any moment after this call still sets up its journal and
 * result file, then stops with SGD_EINCOMPLETE. main calls it first thing. */
void par_catch_signals(void);

/* Run the sweep; returns the process exit code (docs/CLI.md). */
int par_sweep(int *argc, char ***argv, const par_opts *o);

#endif
