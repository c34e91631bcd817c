/* journal.h -- the append-only log of finished runs beside a result file.
 *
 * RESULT.h5 is rewritten as a whole (to a temporary file, then renamed) at
 * every flush, so it is always a complete HDF5 file; the journal
 * RESULT.h5.journal is the durable record in between: each finished run is
 * appended as soon as rank 0 has it (write(2): it survives the process being
 * killed) and fdatasync'ed at every flush (it survives the node). --resume
 * rebuilds the table from the journal, dropping a torn last record.
 *
 * Layout: header = "SGDJRNL1" (8 bytes), the spec's SHA-256 in hex (64
 * bytes), int64 n_runs, double created (unix time), int64 resumes, int64
 * layout ((2 << 48) | (N_PARR << 40) | (N_PCURVE << 32) | number of metrics;
 * 2 is the record layout version, see journal.c); then records = uint32 length, uint32 CRC-32 of the
 * payload, payload (a packed run_record, sweep.h). */
#ifndef SGD_JOURNAL_H
#define SGD_JOURNAL_H

#include "sweep.h"

typedef struct journal journal;

/* Create a new journal (fails if path exists), locked (journal_note). */
int journal_create(const char *path, const char *sha256, long n_runs, double created, journal **out, sgd_err *e);

/* Open an existing journal for resuming: check that it belongs to a spec with
 * this SHA-256 and run count, put every intact record into t, cut off a torn
 * tail (a damaged record followed by valid ones is skipped: its run stays
 * pending), count one more resume, and position for appending. *n_records gets
 * the records read, *created the first start, *resumes the resume count.
 * A journal shorter than its header whose bytes are a prefix of this sweep's
 * header (a start killed before the header was written: nothing recorded)
 * gets its header written with *created as passed in, and *resumes 0: the
 * sweep begins afresh. */
int journal_resume(const char *path, const char *sha256, long n_runs, sweep_table *t, long *n_records,
                   double *created, long *resumes, journal **out, sgd_err *e);

/* "" when the journal is locked (one sweep at a time, io_lock); else why it
 * is not: the file system has no locks (a warning for the user). */
const char *journal_note(const journal *j);

int journal_append(journal *j, const run_record *r, sgd_err *e);
int journal_sync(journal *j, sgd_err *e);
void journal_close(journal *j);

uint32_t journal_crc32(const void *data, size_t len);

#endif
