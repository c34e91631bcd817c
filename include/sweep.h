/* sweep.h -- the parts of a sweep that need no MPI: run records (the unit
 * sent between ranks and appended to the journal), the table of all runs
 * kept by rank 0, cost estimates, and training one run of a spec.
 *
 * A record is a flat byte buffer (native endianness; ranks of one job share
 * it):
 *   int64 run; int32 status; int32 n_ckpt; int32 rank; int32 msg_len;
 *   double metric[met_nfields];                     (long metrics as exact doubles)
 *   int64 step[n_ckpt]; double lr, train_loss, train_acc, test_loss, test_acc [n_ckpt each];
 *   char host[64]; char msg[msg_len] */
#ifndef SGD_SWEEP_H
#define SGD_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include "spec.h"
#include "train.h"

enum { ST_PENDING = 0, ST_DONE = 1, ST_DIVERGED = 2, ST_FAILED = 3 };

typedef struct {
    int64_t run;
    int status, n_ckpt, rank;
    double *metric;       /* [met_nfields], wall_time among them */
    int64_t *step;        /* [n_ckpt] */
    double *curve[5];     /* lr, train_loss, train_acc, test_loss, test_acc [n_ckpt] */
    char host[64];
    char msg[256];
} run_record;

/* Size of the packed form of r, and pack/unpack. unpack points r's arrays
 * into buf (no copy); returns 0, or -1 if buf is not a valid record of len
 * bytes. */
size_t sweep_record_size(const run_record *r);
void sweep_record_pack(const run_record *r, void *buf);
int sweep_record_unpack(const void *buf, size_t len, run_record *r);

/* The table of every run of a spec, kept by rank 0. */
typedef struct {
    long n_runs;
    int K;                /* curve length: the largest checkpoint count of any run */
    int8_t *status;       /* [n_runs] ST_* */
    double *metric;       /* [n_runs x met_nfields], NaN when not run */
    int32_t *rank;        /* [n_runs] -1 when not run */
    char (*host)[64];     /* [n_runs] */
    char (*msg)[256];     /* [n_runs] error message of failed runs */
    int64_t *step;        /* [n_runs x K], -1 padding */
    double *curve[5];     /* [n_runs x K], NaN padding */
    long n_done, n_diverged, n_failed;
} sweep_table;

int sweep_table_init(sweep_table *t, long n_runs, int K, sgd_err *e);
void sweep_table_destroy(sweep_table *t);
/* Store record r in its row (replacing what was there). */
void sweep_table_put(sweep_table *t, const run_record *r);

/* Estimated cost of a run in floating-point operations: forward+backward
 * GEMM flops per step times steps, plus the evaluations. */
double sweep_cost(const cfg *s);

/* Train run i of sp (data generated, or reused from cache when the previous
 * run had the same data settings) and fill a record; errors become a failed
 * record, never a crash. Returns SGD_EABORT if the hook abandoned the run. */
typedef struct sweep_worker sweep_worker;
sweep_worker *sweep_worker_alloc(const spec *sp, int rank);
void sweep_worker_free(sweep_worker *w);
int sweep_worker_train(sweep_worker *w, long i, train_hook hook, void *ctx, run_record **out);

#endif
