/* sweep.h -- the parts of a sweep that need no MPI: run records (the unit
 * sent between ranks and appended to the journal), the table of all runs
 * kept by rank 0, cost estimates, and training one run of a spec.
 *
 * A record is a flat byte buffer (native endianness; ranks of one job share
 * it), every array at a multiple of 8 bytes from its start:
 *   int64 run; int32 status; int32 n_ckpt; int32 rank; int32 msg_len;
 *   double metric[met_nfields];                     (long metrics as exact doubles)
 *   int64 step[n_ckpt]; double lr, train_loss, train_acc, test_loss, test_acc [n_ckpt each];
 *   double probe_curve[N_PCURVE][n_ckpt];           (NaN where the run has none)
 *   int32 parr_len[N_PARR]; zero padding to a multiple of 8 bytes;
 *   double parr_0[parr_len[0]], ..., parr_{N_PARR-1}[parr_len[N_PARR-1]];
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
    double *pcurve[N_PCURVE]; /* probe curves [n_ckpt] each, NaN where the run has none */
    int parr_len[N_PARR];     /* probe arrays: 0 when off (then parr[i] may be NULL) */
    double *parr[N_PARR];     /* [parr_len[i]] each */
    char host[64];
    char msg[256];
} run_record;

/* Size of the packed form of r, and pack/unpack. unpack points r's arrays
 * into buf (no copy); returns 0, or -1 if buf is not a valid record of len
 * bytes. */
size_t sweep_record_size(const run_record *r);
void sweep_record_pack(const run_record *r, void *buf);
int sweep_record_unpack(const void *buf, size_t len, run_record *r);

/* The shape of a spec's run table: what the widest run needs. Start from
 * sweep_shape_init and add every run's settings. */
typedef struct {
    int K;                    /* curve length: the largest checkpoint count of any run (at least 1) */
    int pcurve_on[N_PCURVE];  /* some run records probe curve i (probe_curve_on) */
    int parr_max[N_PARR];     /* largest probe_array_len(s, i) over the runs; 0: no run has it */
} sweep_shape;
void sweep_shape_init(sweep_shape *sh);
void sweep_shape_add(sweep_shape *sh, const cfg *s);

/* The table of every run of a spec, kept by rank 0. */
typedef struct {
    long n_runs;
    int K;                /* curve length: the largest checkpoint count of any run */
    int8_t *status;       /* [n_runs] ST_* */
    double *metric;       /* [met_nfields x n_runs] (metric m of run i at m * n_runs + i), NaN when not run */
    int32_t *rank;        /* [n_runs] -1 when not run */
    int32_t *host;        /* [n_runs] index into host_name, -1 when not run (sweep_table_host) */
    char **host_name;     /* [n_hosts] the distinct host names, in order of first appearance */
    int n_hosts;
    char **msg;           /* [n_runs] error message of a failed run, NULL when none (sweep_table_msg) */
    int64_t *step;        /* [n_runs x K], -1 padding */
    double *curve[5];     /* [n_runs x K], NaN padding */
    double *pcurve[N_PCURVE]; /* [n_runs x K], NaN padding; NULL when no run records curve i */
    int parr_max[N_PARR];     /* row length of parr[i] */
    double *parr[N_PARR];     /* [n_runs x parr_max[i]], NaN padding; NULL when parr_max[i] is 0 */
    long n_done, n_diverged, n_failed;
} sweep_table;

int sweep_table_init(sweep_table *t, long n_runs, const sweep_shape *sh, sgd_err *e);
void sweep_table_destroy(sweep_table *t);
/* Store record r in its row (replacing what was there). Curves and arrays
 * longer than the table's rows are cut; probe data the table has no room
 * for (a curve no run of the spec records) is dropped. */
void sweep_table_put(sweep_table *t, const run_record *r);
/* Run i's host name and error message ("" when none). */
const char *sweep_table_host(const sweep_table *t, long i);
const char *sweep_table_msg(const sweep_table *t, long i);

/* Estimated cost of a run in floating-point operations: forward+backward
 * GEMM flops per step times steps, plus the evaluations and the probes
 * (upper bounds: every Lanczos run taken to eig_iters). */
double sweep_cost(const cfg *s);

/* Train run i of sp (data generated, or reused from cache when the previous
 * run had the same data settings) and fill a record; errors become a failed
 * record, never a crash. Returns SGD_EABORT if the hook abandoned the run. */
typedef struct sweep_worker sweep_worker;
sweep_worker *sweep_worker_alloc(const spec *sp, int rank);
void sweep_worker_free(sweep_worker *w);
int sweep_worker_train(sweep_worker *w, long i, train_hook hook, void *ctx, run_record **out);

#endif
