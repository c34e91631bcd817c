/* test_journal.c -- run records and the crash-safe journal (journal.h,
 * docs/FORMAT.md "The journal").
 *
 * Records round-trip through pack/unpack and reject malformed buffers; the
 * on-disk bytes are checked against the documented layout (header offsets,
 * length + CRC-32 framing, CRC-32 against its published check value); resume
 * restores the table, cuts a torn or corrupt tail back to the last good
 * record and keeps appending; the spec check refuses a foreign journal, and
 * the layout check one written by a build with other records (the layout-1
 * journals of builds without probes). Records carry the probe curves and
 * arrays: they round-trip, land in the table's rows (NaN padding, dropped
 * where the table has no room), and a bad array length is rejected. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "testutil.h"

enum { N_RUNS = 10, K = 5, HEADER = 104, AMAX = 6 };
/* the probe arrays' length field: int32 [N_PARR], padded to 8 bytes */
enum { PLEN = (N_PARR * 4 + 7) / 8 * 8 };
static const char SHA[65] = "3f1c0ad2b9e8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170abcd";
static const char SHA2[65] = "0000000000000000000000000000000000000000000000000000000000000000";
static const double CREATED = 1700000000.375;

/* ------------------------------------------------------------- records */

/* a record with its own storage */
typedef struct {
    run_record r;
    double metric[128];
    int64_t step[K];
    double curve[5][K];
    double pcurve[N_PCURVE][K];
    double parr[N_PARR][AMAX];
} rec_buf;

/* the probe arrays of a record of run `run`: eig has run % 4 values (0: off),
 * mli_loss AMAX, slq_node 2 (a table below has no room for it); none for a
 * failed run */
static int arr_len(long run, int status, int a)
{
    if (status == ST_FAILED)
        return 0;
    return a == PA_EIG ? (int)(run % 4) : a == PA_MLI_LOSS ? AMAX : a == PA_SLQ_NODE ? 2 : 0;
}
static double arr_value(long run, int a, int j) { return 2.385 * (a + 1) - 0.5 * j + run / 11.0; }
/* probe curve c of run `run` at checkpoint k: sharpness and hess_trace
 * measured at every other checkpoint, the rest NaN */
static double pcurve_value(long run, int c, int k)
{
    return (c == PC_SHARPNESS || c == PC_HESS_TRACE) && k % 2 == 0 ? 2.385 * (c + 2) + k - run / 5.0 : NAN;
}

/* run i: status, n_ckpt checkpoints, message; values like 2.385 */
static void rec_make(rec_buf *b, long run, int status, int n_ckpt, const char *msg)
{
    ck_assert_int_le(met_nfields, 128);
    memset(b, 0, sizeof *b);
    run_record *r = &b->r;
    r->run = run, r->status = status, r->n_ckpt = n_ckpt, r->rank = (int)(run % 4);
    r->metric = b->metric, r->step = b->step;
    for (int c = 0; c < 5; c++)
        r->curve[c] = b->curve[c];
    for (int c = 0; c < N_PCURVE; c++)
        r->pcurve[c] = b->pcurve[c];
    for (int m = 0; m < met_nfields; m++)
        b->metric[m] = status == ST_FAILED ? NAN : 2.385 * (m + 1) + run / 7.0;
    for (int k = 0; k < n_ckpt; k++) {
        b->step[k] = 17 * k + run;
        for (int c = 0; c < 5; c++)
            b->curve[c][k] = c == 2 && k == 1 ? NAN : -2.385 * (c + 1) + k + run / 3.0;
        for (int c = 0; c < N_PCURVE; c++)
            b->pcurve[c][k] = pcurve_value(run, c, k);
    }
    for (int a = 0; a < N_PARR; a++) {
        r->parr_len[a] = arr_len(run, status, a);
        r->parr[a] = r->parr_len[a] ? b->parr[a] : NULL;
        for (int j = 0; j < r->parr_len[a]; j++)
            b->parr[a][j] = j == 1 && a == PA_MLI_LOSS ? NAN : arr_value(run, a, j);
    }
    snprintf(r->host, sizeof r->host, "node-%03ld.cluster", run);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
}

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static void rec_check(const run_record *got, const run_record *want)
{
    ck_assert_int_eq(got->run, want->run);
    ck_assert_int_eq(got->status, want->status);
    ck_assert_int_eq(got->n_ckpt, want->n_ckpt);
    ck_assert_int_eq(got->rank, want->rank);
    ck_assert_str_eq(got->host, want->host);
    ck_assert_str_eq(got->msg, want->msg);
    for (int m = 0; m < met_nfields; m++)
        ck_assert_msg(same(got->metric[m], want->metric[m]), "metric %d", m);
    for (int k = 0; k < want->n_ckpt; k++) {
        ck_assert_int_eq(got->step[k], want->step[k]);
        for (int c = 0; c < 5; c++)
            ck_assert(same(got->curve[c][k], want->curve[c][k]));
        for (int c = 0; c < N_PCURVE; c++)
            ck_assert_msg(same(got->pcurve[c][k], want->pcurve[c][k]), "probe curve %d point %d", c, k);
    }
    for (int a = 0; a < N_PARR; a++) {
        ck_assert_int_eq(got->parr_len[a], want->parr_len[a]);
        for (int j = 0; j < want->parr_len[a]; j++)
            ck_assert_msg(same(got->parr[a][j], want->parr[a][j]), "probe array %d value %d", a, j);
    }
}

/* values in the probe arrays of a record */
static size_t arr_values(long run, int status)
{
    size_t n = 0;
    for (int a = 0; a < N_PARR; a++)
        n += (size_t)arr_len(run, status, a);
    return n;
}

/* size of a packed record, from the layout in sweep.h: header, metrics, step
 * and 5 + N_PCURVE curves, array lengths, array values, host, message */
static size_t layout_size(int n_ckpt, size_t msg_len, size_t n_values)
{
    return 8 + 4 * 4 + (size_t)met_nfields * 8 + (size_t)n_ckpt * 8 * (6 + N_PCURVE) + PLEN + 8 * n_values + 64 +
           msg_len;
}
/* offset of the array lengths in a packed record */
static size_t lens_offset(int n_ckpt) { return 8 + 4 * 4 + (size_t)met_nfields * 8 + (size_t)n_ckpt * 8 * (6 + N_PCURVE); }

START_TEST(test_crc32)
{
    /* the CRC-32 (IEEE 802.3, zlib's crc32) check value */
    ck_assert_uint_eq(journal_crc32("123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(journal_crc32("", 0), 0);
    ck_assert_uint_eq(journal_crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}
END_TEST

START_TEST(test_record_round_trip)
{
    static const struct {
        int status, n_ckpt;
        const char *msg;
    } cases[] = {{ST_DONE, K, ""}, {ST_DIVERGED, 2, ""}, {ST_FAILED, 0, "data_make: cannot read 'x2.385.h5'"}};
    for (int i = 0; i < 3; i++) {
        rec_buf a;
        rec_make(&a, 7 + i, cases[i].status, cases[i].n_ckpt, cases[i].msg);
        size_t n = sweep_record_size(&a.r);
        ck_assert_uint_eq(n, layout_size(cases[i].n_ckpt, strlen(cases[i].msg), arr_values(7 + i, cases[i].status)));
        double *buf = malloc(n + 8); /* 8-byte aligned, as unpack needs */
        ck_assert_ptr_nonnull(buf);
        sweep_record_pack(&a.r, buf);
        /* the header fields at their documented offsets */
        int64_t run;
        int32_t h[4];
        memcpy(&run, buf, 8);
        memcpy(h, (char *)buf + 8, 16);
        ck_assert_int_eq(run, 7 + i);
        ck_assert_int_eq(h[0], cases[i].status);
        ck_assert_int_eq(h[1], cases[i].n_ckpt);
        ck_assert_int_eq(h[2], (7 + i) % 4);
        ck_assert_int_eq(h[3], (int32_t)strlen(cases[i].msg));
        int32_t lens[N_PARR];
        memcpy(lens, (char *)buf + lens_offset(cases[i].n_ckpt), sizeof lens);
        for (int q = 0; q < N_PARR; q++)
            ck_assert_int_eq(lens[q], arr_len(7 + i, cases[i].status, q));
        ck_assert_str_eq((char *)buf + n - strlen(cases[i].msg) - 64, a.r.host);
        run_record b;
        memset(&b, 0, sizeof b);
        ck_assert_int_eq(sweep_record_unpack(buf, n, &b), 0);
        rec_check(&b, &a.r);
        /* a wrong length is not a record */
        ck_assert_int_eq(sweep_record_unpack(buf, n - 1, &b), -1);
        ck_assert_int_eq(sweep_record_unpack(buf, n + 1, &b), -1);
        ck_assert_int_eq(sweep_record_unpack(buf, 10, &b), -1);
        free(buf);
    }
}
END_TEST

/* header fields out of range make unpack fail */
START_TEST(test_record_rejects)
{
    rec_buf a;
    rec_make(&a, 3, ST_DONE, 2, "");
    size_t n = sweep_record_size(&a.r);
    double *buf = malloc(n + 8);
    run_record b;
    static const struct {
        int off;
        int64_t val;
        int size;
    } bad[] = {
        {0, -1, 8},          /* run < 0 */
        {8, ST_PENDING, 4},  /* a pending run is never recorded */
        {8, 4, 4},           /* unknown status */
        {12, -1, 4},         /* n_ckpt < 0 */
        {20, 256, 4},        /* message longer than 255 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sweep_record_pack(&a.r, buf);
        if (bad[i].size == 8)
            memcpy((char *)buf + bad[i].off, &bad[i].val, 8);
        else {
            int32_t v = (int32_t)bad[i].val;
            memcpy((char *)buf + bad[i].off, &v, 4);
        }
        ck_assert_msg(sweep_record_unpack(buf, n, &b) == -1, "case %zu accepted", i);
    }
    /* array lengths that do not fit the record: negative, one more or one
     * fewer value than the record holds, past any sane bound, or a nonzero
     * padding word; never read out of bounds (ASan runs this too) */
    const size_t lo = lens_offset(2);
    static const struct {
        int which;  /* index into the int32 length words (N_PARR: the padding) */
        int32_t val;
    } badlen[] = {{PA_EIG, -1}, {PA_EIG, 4}, {PA_EIG, 2}, {PA_MLI_LOSS, 1 << 30}, {PA_DENSITY, 1},
                  {PA_LAZY_LAYER, INT32_MAX}, {N_PARR, 1}};
    for (size_t i = 0; i < sizeof badlen / sizeof badlen[0]; i++) {
        if (badlen[i].which >= PLEN / 4)
            continue; /* no padding word when N_PARR is even */
        sweep_record_pack(&a.r, buf);
        memcpy((char *)buf + lo + 4 * (size_t)badlen[i].which, &badlen[i].val, 4);
        ck_assert_msg(sweep_record_unpack(buf, n, &b) == -1, "array length case %zu accepted", i);
    }
    /* the record cut inside its arrays, or one value longer */
    sweep_record_pack(&a.r, buf);
    const size_t vals = lo + PLEN;
    ck_assert_int_eq(sweep_record_unpack(buf, vals + 8, &b), -1);
    ck_assert_int_eq(sweep_record_unpack(buf, n - 8, &b), -1);
    ck_assert_int_eq(sweep_record_unpack(buf, n, &b), 0);
    free(buf);
}
END_TEST

/* pcurve pointers left NULL (a record built by hand) pack as NaN curves;
 * a record without arrays unpacks with NULL arrays */
START_TEST(test_record_null_probes)
{
    rec_buf a;
    rec_make(&a, 8, ST_DONE, 3, "");
    for (int c = 0; c < N_PCURVE; c++)
        a.r.pcurve[c] = NULL;
    for (int q = 0; q < N_PARR; q++)
        a.r.parr_len[q] = 0, a.r.parr[q] = NULL;
    size_t n = sweep_record_size(&a.r);
    ck_assert_uint_eq(n, layout_size(3, 0, 0));
    double *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    sweep_record_pack(&a.r, buf);
    run_record b;
    ck_assert_int_eq(sweep_record_unpack(buf, n, &b), 0);
    for (int c = 0; c < N_PCURVE; c++)
        for (int k = 0; k < 3; k++)
            ck_assert(isnan(b.pcurve[c][k]));
    for (int q = 0; q < N_PARR; q++)
        ck_assert(b.parr_len[q] == 0 && b.parr[q] == NULL);
    free(buf);
}
END_TEST

/* ---------------------------------------------------------- journal files */

typedef struct {
    char dir[256], path[320];
} paths;

static void paths_make(paths *p)
{
    snprintf(p->dir, sizeof p->dir, "%s/test_journal.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(p->dir));
    snprintf(p->path, sizeof p->path, "%s/r.h5.journal", p->dir);
}

static void paths_remove(const paths *p)
{
    unlink(p->path);
    ck_assert_msg(rmdir(p->dir) == 0, "stray files in %s", p->dir);
}

static off_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* the records written by write_journal */
static const struct {
    long run;
    int status, n_ckpt;
    const char *msg;
} RECS[] = {
    {4, ST_DONE, K, ""},
    {0, ST_DIVERGED, 2, ""},
    {9, ST_FAILED, 0, "out of memory (curve of 2385 points)"},
    {2, ST_DONE, 3, ""},
    {6, ST_DONE, 1, ""},
};
enum { N_RECS = sizeof RECS / sizeof RECS[0] };

/* a journal with the first n of RECS; returns the file size after each
 * record in ends[0..n] (ends[0]: the header alone) */
static void write_journal(const char *path, int n, off_t *ends)
{
    journal *j = NULL;
    sgd_err e = {0};
    ck_assert_msg(journal_create(path, SHA, N_RUNS, CREATED, &j, &e) == 0, "journal_create: %s", e.msg);
    ck_assert_ptr_nonnull(j);
    if (ends)
        ends[0] = file_size(path);
    for (int i = 0; i < n; i++) {
        rec_buf b;
        rec_make(&b, RECS[i].run, RECS[i].status, RECS[i].n_ckpt, RECS[i].msg);
        ck_assert_int_eq(journal_append(j, &b.r, &e), 0);
        if (ends)
            ends[i + 1] = file_size(path); /* write(2) at once: visible before any sync */
    }
    ck_assert_int_eq(journal_sync(j, &e), 0);
    journal_close(j);
}

/* the table the journal tests resume into: room for two probe curves
 * (lambda_min all NaN in the records; hess_trace, which the records carry,
 * has none and is dropped), eig as long as the longest record's, mli_loss
 * shorter than the records' (cut), density which no record has (NaN), and
 * no slq_node (dropped) */
static const sweep_shape *table_shape(void)
{
    static sweep_shape sh;
    sweep_shape_init(&sh);
    sh.K = K;
    sh.pcurve_on[PC_SHARPNESS] = sh.pcurve_on[PC_LAMBDA_MIN] = 1;
    sh.parr_max[PA_EIG] = 3;
    sh.parr_max[PA_MLI_LOSS] = AMAX - 2;
    sh.parr_max[PA_DENSITY] = 5;
    return &sh;
}

/* resume into a fresh table; returns the records read */
static long resume(const char *path, sweep_table *t, double *created, long *resumes)
{
    sgd_err e = {0};
    ck_assert_int_eq(sweep_table_init(t, N_RUNS, table_shape(), &e), 0);
    journal *j = NULL;
    long n = -1;
    ck_assert_msg(journal_resume(path, SHA, N_RUNS, t, &n, created, resumes, &j, &e) == 0, "journal_resume: %s",
                  e.msg);
    ck_assert_ptr_nonnull(j);
    journal_close(j);
    return n;
}

/* the table holds exactly the first n of RECS */
static void check_table(const sweep_table *t, int n)
{
    long done = 0, div = 0, failed = 0;
    for (long i = 0; i < N_RUNS; i++) {
        int r = -1;
        for (int q = 0; q < n; q++)
            if (RECS[q].run == i)
                r = q;
        if (r < 0) {
            ck_assert_int_eq(t->status[i], ST_PENDING);
            ck_assert_int_eq(t->rank[i], -1);
            ck_assert(isnan(t->metric[(size_t)4 * t->n_runs + i]));
            ck_assert_int_eq(t->step[i * K], -1);
            ck_assert(isnan(t->pcurve[PC_SHARPNESS][i * K]));
            for (int a = 0; a < N_PARR; a++)
                for (int j = 0; j < t->parr_max[a]; j++)
                    ck_assert(isnan(t->parr[a][i * t->parr_max[a] + j]));
            continue;
        }
        rec_buf b;
        rec_make(&b, RECS[r].run, RECS[r].status, RECS[r].n_ckpt, RECS[r].msg);
        ck_assert_int_eq(t->status[i], RECS[r].status);
        ck_assert_int_eq(t->rank[i], b.r.rank);
        ck_assert_str_eq(sweep_table_host(t, i), b.r.host);
        ck_assert_str_eq(sweep_table_msg(t, i), b.r.msg);
        for (int m = 0; m < met_nfields; m++)
            ck_assert(same(t->metric[(size_t)m * t->n_runs + i], b.metric[m]));
        for (int k = 0; k < K; k++) {
            ck_assert_int_eq(t->step[i * K + k], k < b.r.n_ckpt ? b.step[k] : -1);
            for (int c = 0; c < 5; c++)
                ck_assert(k < b.r.n_ckpt ? same(t->curve[c][i * K + k], b.curve[c][k]) : isnan(t->curve[c][i * K + k]));
            for (int c = 0; c < N_PCURVE; c++) {
                if (!table_shape()->pcurve_on[c]) {
                    ck_assert_ptr_null(t->pcurve[c]);
                    continue;
                }
                double want = k < b.r.n_ckpt ? pcurve_value(i, c, k) : NAN;
                ck_assert_msg(same(t->pcurve[c][i * K + k], want), "run %ld probe curve %d point %d", i, c, k);
            }
        }
        for (int a = 0; a < N_PARR; a++) {
            const int m = table_shape()->parr_max[a];
            ck_assert_int_eq(t->parr_max[a], m);
            if (!m) {
                ck_assert_ptr_null(t->parr[a]);
                continue;
            }
            for (int j = 0; j < m; j++) {
                double want = j < b.r.parr_len[a] ? b.parr[a][j] : NAN;
                ck_assert_msg(same(t->parr[a][i * m + j], want), "run %ld array %d value %d", i, a, j);
            }
        }
        done += RECS[r].status == ST_DONE || RECS[r].status == ST_DIVERGED;
        div += RECS[r].status == ST_DIVERGED;
        failed += RECS[r].status == ST_FAILED;
    }
    ck_assert_int_eq(t->n_done, done);
    ck_assert_int_eq(t->n_diverged, div);
    ck_assert_int_eq(t->n_failed, failed);
}

START_TEST(test_layout_on_disk)
{
    paths p;
    paths_make(&p);
    off_t ends[N_RECS + 1];
    write_journal(p.path, 2, ends);
    ck_assert_int_eq(ends[0], HEADER);
    int fd = open(p.path, O_RDONLY);
    ck_assert(fd >= 0);
    unsigned char h[HEADER];
    ck_assert_int_eq(pread(fd, h, HEADER, 0), HEADER);
    ck_assert(!memcmp(h, "SGDJRNL1", 8));
    ck_assert(!memcmp(h + 8, SHA, 64));
    int64_t n, res, lay;
    double created;
    memcpy(&n, h + 72, 8), memcpy(&created, h + 80, 8), memcpy(&res, h + 88, 8), memcpy(&lay, h + 96, 8);
    ck_assert_int_eq(n, N_RUNS);
    ck_assert(created == CREATED);
    ck_assert_int_eq(res, 0);
    /* record layout 2, then the counts of probe arrays, probe curves, metrics */
    ck_assert_int_eq(lay >> 48, 2);
    ck_assert_int_eq((lay >> 40) & 0xff, N_PARR);
    ck_assert_int_eq((lay >> 32) & 0xff, N_PCURVE);
    ck_assert_int_eq(lay & 0xffffffff, met_nfields);
    /* each record: uint32 length, uint32 CRC-32 of the payload, payload */
    off_t pos = HEADER;
    for (int i = 0; i < 2; i++) {
        uint32_t lc[2];
        ck_assert_int_eq(pread(fd, lc, 8, pos), 8);
        size_t want = layout_size(RECS[i].n_ckpt, strlen(RECS[i].msg), arr_values(RECS[i].run, RECS[i].status));
        ck_assert_uint_eq(lc[0], want);
        char *payload = malloc(want);
        double *packed = malloc(want + 8);
        ck_assert_int_eq(pread(fd, payload, want, pos + 8), (ssize_t)want);
        ck_assert_uint_eq(lc[1], journal_crc32(payload, want));
        rec_buf b;
        rec_make(&b, RECS[i].run, RECS[i].status, RECS[i].n_ckpt, RECS[i].msg);
        sweep_record_pack(&b.r, packed);
        ck_assert(!memcmp(payload, packed, want)); /* the payload is the packed record */
        free(payload), free(packed);
        pos += 8 + (off_t)want;
        ck_assert_int_eq(pos, ends[i + 1]);
    }
    close(fd);
    paths_remove(&p);
}
END_TEST

START_TEST(test_append_resume)
{
    paths p;
    paths_make(&p);
    off_t ends[N_RECS + 1];
    write_journal(p.path, N_RECS, ends);
    sweep_table t;
    double created = 0;
    long resumes = -1;
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS);
    check_table(&t, N_RECS);
    ck_assert(created == CREATED);
    ck_assert_int_eq(resumes, 1);
    ck_assert_int_eq(file_size(p.path), ends[N_RECS]); /* nothing cut */
    sweep_table_destroy(&t);
    /* the count persists; created stays the first start */
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS);
    ck_assert_int_eq(resumes, 2);
    ck_assert(created == CREATED);
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

/* after resume the journal appends at its end; a later record for the same
 * run (a failed run tried again) replaces the earlier one */
START_TEST(test_resume_then_append)
{
    paths p;
    paths_make(&p);
    write_journal(p.path, 3, NULL);
    sgd_err e = {0};
    sweep_table t;
    ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
    journal *j = NULL;
    long n, resumes;
    double created;
    ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(t.n_failed, 1);
    rec_buf b;
    rec_make(&b, 9, ST_DONE, 2, ""); /* run 9 failed before */
    ck_assert_int_eq(journal_append(j, &b.r, &e), 0);
    rec_make(&b, 2, ST_DONE, 3, "");
    ck_assert_int_eq(journal_append(j, &b.r, &e), 0);
    journal_close(j);
    sweep_table_destroy(&t);
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), 5);
    ck_assert_int_eq(resumes, 2);
    ck_assert_int_eq(t.status[9], ST_DONE);
    ck_assert_str_eq(sweep_table_msg(&t, 9), "");
    ck_assert_int_eq(t.n_failed, 0);
    ck_assert_int_eq(t.n_done, 4); /* runs 4, 0 (diverged), 9, 2 */
    ck_assert_int_eq(t.n_diverged, 1);
    ck_assert_int_eq(t.step[9 * K + 1], 17 + 9);
    ck_assert_int_eq(t.step[9 * K + 2], -1);
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

/* a record cut short (the process killed in write(2)): the intact records
 * stay, the file is cut back to the last good one, appending continues */
START_TEST(test_torn_tail)
{
    static const off_t cuts[] = {1, 7, 8, 9, 100}; /* bytes cut off the end */
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        paths p;
        paths_make(&p);
        off_t ends[N_RECS + 1];
        write_journal(p.path, N_RECS, ends);
        ck_assert_int_eq(truncate(p.path, ends[N_RECS] - cuts[c]), 0);
        sweep_table t;
        double created;
        long resumes;
        ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS - 1);
        check_table(&t, N_RECS - 1);
        ck_assert_int_eq(file_size(p.path), ends[N_RECS - 1]);
        sweep_table_destroy(&t);
        /* append the lost record again: all five are back */
        sgd_err e = {0};
        journal *j = NULL;
        long n;
        ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
        ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), 0);
        rec_buf b;
        rec_make(&b, RECS[N_RECS - 1].run, RECS[N_RECS - 1].status, RECS[N_RECS - 1].n_ckpt, RECS[N_RECS - 1].msg);
        ck_assert_int_eq(journal_append(j, &b.r, &e), 0);
        ck_assert_int_eq(journal_sync(j, &e), 0);
        journal_close(j);
        sweep_table_destroy(&t);
        ck_assert_int_eq(file_size(p.path), ends[N_RECS]);
        ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS);
        check_table(&t, N_RECS);
        ck_assert_int_eq(resumes, 3);
        sweep_table_destroy(&t);
        paths_remove(&p);
    }
}
END_TEST

/* garbage after the last record (a partly written length word, or junk):
 * cut off, every record kept */
START_TEST(test_garbage_tail)
{
    static const unsigned char junk[13] = {0x41, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5};
    static const size_t lens[] = {3, 8, 13};
    for (size_t c = 0; c < 3; c++) {
        paths p;
        paths_make(&p);
        off_t ends[N_RECS + 1];
        write_journal(p.path, N_RECS, ends);
        FILE *f = fopen(p.path, "ab");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(junk, 1, lens[c], f), lens[c]);
        fclose(f);
        sweep_table t;
        double created;
        long resumes;
        ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS);
        check_table(&t, N_RECS);
        ck_assert_int_eq(file_size(p.path), ends[N_RECS]);
        sweep_table_destroy(&t);
        paths_remove(&p);
    }
}
END_TEST

static void flip_byte(const char *path, off_t at)
{
    int fd = open(path, O_RDWR);
    ck_assert(fd >= 0);
    unsigned char c;
    ck_assert_int_eq(pread(fd, &c, 1, at), 1);
    c ^= 0x10;
    ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

/* a flipped bit in the last record's payload, or its CRC: the CRC check
 * fails, that record is dropped and cut */
START_TEST(test_corrupt_last_record)
{
    for (int where = 0; where < 3; where++) {
        paths p;
        paths_make(&p);
        off_t ends[N_RECS + 1];
        write_journal(p.path, N_RECS, ends);
        off_t at = where == 0 ? ends[N_RECS - 1] + 4                    /* the CRC */
                   : where == 1 ? ends[N_RECS - 1] + 8 + 30             /* a metric */
                                : ends[N_RECS] - 1;                     /* the last host byte */
        flip_byte(p.path, at);
        sweep_table t;
        double created;
        long resumes;
        ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS - 1);
        check_table(&t, N_RECS - 1);
        ck_assert_int_eq(file_size(p.path), ends[N_RECS - 1]);
        sweep_table_destroy(&t);
        paths_remove(&p);
    }
}
END_TEST

/* corruption in the middle of an intact frame: that record is skipped (its
 * run stays pending unless a later record has it), the ones after it are
 * kept, and nothing is cut off */
START_TEST(test_corrupt_middle_record)
{
    paths p;
    paths_make(&p);
    off_t ends[N_RECS + 1];
    write_journal(p.path, N_RECS, ends);
    flip_byte(p.path, ends[2] + 8 + 40);
    sweep_table t;
    double created;
    long resumes;
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS - 1);
    ck_assert_int_eq(file_size(p.path), ends[N_RECS]);
    int later = 0;
    for (int q = 3; q < N_RECS; q++)
        later |= RECS[q].run == RECS[2].run;
    if (!later)
        ck_assert_int_eq(t.status[RECS[2].run], ST_PENDING);
    ck_assert_int_eq(t.status[RECS[N_RECS - 1].run], RECS[N_RECS - 1].status);
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

/* a record of a run outside the spec ends the readable part too */
START_TEST(test_run_out_of_range)
{
    paths p;
    paths_make(&p);
    off_t ends[N_RECS + 1];
    write_journal(p.path, 2, ends);
    journal *j = NULL;
    sgd_err e = {0};
    sweep_table t;
    ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
    long n, resumes;
    double created;
    ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), 0);
    rec_buf b;
    rec_make(&b, N_RUNS, ST_DONE, 1, "");
    ck_assert_int_eq(journal_append(j, &b.r, &e), 0);
    journal_close(j);
    sweep_table_destroy(&t);
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), 2);
    check_table(&t, 2);
    ck_assert_int_eq(file_size(p.path), ends[2]);
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

static void put_layout(const char *path, int64_t lay)
{
    int fd = open(path, O_RDWR);
    ck_assert(fd >= 0);
    ck_assert_int_eq(pwrite(fd, &lay, 8, 96), 8);
    close(fd);
}

/* a journal of a build with other records is refused with one clear
 * message, and left as it was (not cut, resume count unchanged): the layout-1
 * journals of builds before the probes, and a layout-2 one with another
 * count of probe arrays, curves or metrics */
START_TEST(test_other_layout)
{
    const int64_t v1 = ((int64_t)1 << 32) | met_nfields;
    const int64_t mine = ((int64_t)2 << 48) | ((int64_t)N_PARR << 40) | ((int64_t)N_PCURVE << 32) | met_nfields;
    const struct {
        int64_t lay;
        const char *says;
    } cases[] = {
        {v1, "record layout 1:"},
        {((int64_t)1 << 32) | (met_nfields - 31), "record layout 1:"}, /* and another metric count */
        {mine + ((int64_t)1 << 40), "probe arrays"},
        {mine - ((int64_t)1 << 32), "probe curves"},
        {mine + 1, "metrics"},
        {((int64_t)3 << 48) | (mine & (((int64_t)1 << 48) - 1)), "record layout 3:"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        paths p;
        paths_make(&p);
        off_t ends[N_RECS + 1];
        write_journal(p.path, 2, ends);
        put_layout(p.path, cases[c].lay);
        sgd_err e = {0};
        sweep_table t;
        ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
        journal *j = (journal *)&t;
        long n = -1, resumes = -1;
        double created;
        ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), SGD_EIO);
        ck_assert_ptr_null(j);
        ck_assert_int_eq(n, 0);
        ck_assert_int_eq(t.n_done + t.n_failed, 0);
        ck_assert_msg(strstr(e.msg, p.path) && strstr(e.msg, "another record layout") && strstr(e.msg, cases[c].says) &&
                          strstr(e.msg, "this build record layout 2:") && strstr(e.msg, "--force") && !strchr(e.msg, '\n'),
                      "case %zu: %s", c, e.msg);
        ck_assert_int_eq(file_size(p.path), ends[2]);
        int fd = open(p.path, O_RDONLY);
        int64_t res = -1;
        ck_assert_int_eq(pread(fd, &res, 8, 88), 8);
        close(fd);
        ck_assert_int_eq(res, 0);
        sweep_table_destroy(&t);
        /* this build's layout again: it resumes */
        put_layout(p.path, mine);
        ck_assert_int_eq(resume(p.path, &t, &created, &resumes), 2);
        check_table(&t, 2);
        sweep_table_destroy(&t);
        paths_remove(&p);
    }
}
END_TEST

/* the last record torn inside its probe arrays, or its array lengths
 * damaged under a valid CRC: torn, cut back to the record before */
START_TEST(test_torn_arrays)
{
    const int last = N_RECS - 1;
    ck_assert_int_gt(arr_len(RECS[last].run, RECS[last].status, PA_EIG), 0);
    for (int how = 0; how < 3; how++) {
        paths p;
        paths_make(&p);
        off_t ends[N_RECS + 1];
        write_journal(p.path, N_RECS, ends);
        const off_t lens = ends[last] + 8 + (off_t)lens_offset(RECS[last].n_ckpt);
        if (how < 2) { /* cut in the lengths, or after the first values */
            ck_assert_int_eq(truncate(p.path, how == 0 ? lens + 4 : lens + PLEN + 3 * 8), 0);
        } else {       /* eig one longer, CRC recomputed: the frame is whole, the record is not */
            int fd = open(p.path, O_RDWR);
            ck_assert(fd >= 0);
            uint32_t lc[2];
            ck_assert_int_eq(pread(fd, lc, 8, ends[last]), 8);
            char *pl = malloc(lc[0]);
            ck_assert_int_eq(pread(fd, pl, lc[0], ends[last] + 8), (ssize_t)lc[0]);
            int32_t l;
            memcpy(&l, pl + lens_offset(RECS[last].n_ckpt) + 4 * PA_EIG, 4);
            l++;
            memcpy(pl + lens_offset(RECS[last].n_ckpt) + 4 * PA_EIG, &l, 4);
            lc[1] = journal_crc32(pl, lc[0]);
            ck_assert_int_eq(pwrite(fd, lc, 8, ends[last]), 8);
            ck_assert_int_eq(pwrite(fd, pl, lc[0], ends[last] + 8), (ssize_t)lc[0]);
            free(pl);
            close(fd);
        }
        sweep_table t;
        double created;
        long resumes;
        ck_assert_int_eq(resume(p.path, &t, &created, &resumes), N_RECS - 1);
        check_table(&t, N_RECS - 1);
        ck_assert_int_eq(file_size(p.path), ends[last]);
        sweep_table_destroy(&t);
        paths_remove(&p);
    }
}
END_TEST

START_TEST(test_wrong_spec)
{
    paths p;
    paths_make(&p);
    off_t ends[N_RECS + 1];
    write_journal(p.path, 3, ends);
    sgd_err e = {0};
    sweep_table t;
    ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
    journal *j = (journal *)&t;
    long n, resumes;
    double created;
    /* another spec: a usage error naming both hashes; nothing read */
    ck_assert_int_eq(journal_resume(p.path, SHA2, N_RUNS, &t, &n, &created, &resumes, &j, &e), SGD_EUSAGE);
    ck_assert_int_eq(e.code, SGD_EUSAGE);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(n, 0);
    ck_assert_msg(strstr(e.msg, p.path) && strstr(e.msg, "different spec") && strstr(e.msg, "3f1c0ad2b9e8") &&
                      strstr(e.msg, "000000000000"),
                  "message: %s", e.msg);
    ck_assert_int_eq(t.n_done + t.n_failed, 0);
    /* the same hash but another run count: an error, nothing read */
    e = (sgd_err){0};
    ck_assert_int_ne(journal_resume(p.path, SHA, N_RUNS + 1, &t, &n, &created, &resumes, &j, &e), 0);
    ck_assert_int_ne(e.code, 0);
    ck_assert_ptr_null(j);
    ck_assert_msg(strstr(e.msg, "10") && strstr(e.msg, "11"), "message: %s", e.msg);
    ck_assert_int_eq(t.n_done + t.n_failed, 0);
    /* the file is not cut */
    ck_assert_int_eq(file_size(p.path), ends[3]);
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

START_TEST(test_not_a_journal)
{
    paths p;
    paths_make(&p);
    sgd_err e = {0};
    sweep_table t;
    ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
    journal *j = NULL;
    long n, resumes;
    double created;
    /* missing */
    ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), SGD_EIO);
    ck_assert_ptr_null(j);
    ck_assert_msg(strstr(e.msg, p.path), "message: %s", e.msg);
    /* too short and not the start of this sweep's header, then the wrong magic
     * (a short prefix of the right header is a start killed while creating the
     * journal: test_empty_journal) */
    static const char *const bodies[2] = {"SGDJRNL1zz", "SGDJRNL2"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(p.path, "wb");
        ck_assert_ptr_nonnull(f);
        fputs(bodies[i], f);
        if (i == 1)
            for (int k = 0; k < 200; k++)
                fputc('0', f);
        fclose(f);
        e = (sgd_err){0};
        ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), SGD_EIO);
        ck_assert_ptr_null(j);
        ck_assert_msg(strstr(e.msg, "not an sgdsweep journal"), "message: %s", e.msg);
    }
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

/* a journal killed before (or while) its header was written: empty, or a
 * prefix of this sweep's header. --resume then starts the sweep afresh: the
 * header is written, no records, resumes 0, created as passed in. */
START_TEST(test_empty_journal)
{
    for (int len = 0; len <= 20; len += 20) {
        paths p;
        paths_make(&p);
        char head[72];
        memcpy(head, "SGDJRNL1", 8);
        memcpy(head + 8, SHA, 64);
        FILE *f = fopen(p.path, "wb");
        ck_assert_ptr_nonnull(f);
        fwrite(head, 1, (size_t)len, f);
        fclose(f);
        sgd_err e = {0};
        sweep_table t;
        ck_assert_int_eq(sweep_table_init(&t, N_RUNS, table_shape(), &e), 0);
        journal *j = NULL;
        long n = -1, resumes = -1;
        double created = 1234.5;
        ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), 0);
        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(n, 0);
        ck_assert_int_eq(resumes, 0);
        ck_assert_str_eq(journal_note(j), "");
        journal_close(j);
        /* now a whole journal: a second resume reads it back */
        j = NULL;
        created = 0;
        ck_assert_int_eq(journal_resume(p.path, SHA, N_RUNS, &t, &n, &created, &resumes, &j, &e), 0);
        ck_assert_int_eq(resumes, 1);
        ck_assert(created == 1234.5);
        journal_close(j);
        sweep_table_destroy(&t);
        paths_remove(&p);
    }
}
END_TEST

START_TEST(test_create_existing)
{
    paths p;
    paths_make(&p);
    off_t ends[N_RECS + 1];
    write_journal(p.path, 2, ends);
    journal *j = (journal *)&p;
    sgd_err e = {0};
    ck_assert_int_eq(journal_create(p.path, SHA2, N_RUNS, CREATED, &j, &e), SGD_EIO);
    ck_assert_ptr_null(j);
    ck_assert_msg(strstr(e.msg, p.path), "message: %s", e.msg);
    /* the old journal is untouched */
    ck_assert_int_eq(file_size(p.path), ends[2]);
    sweep_table t;
    double created;
    long resumes;
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), 2);
    sweep_table_destroy(&t);
    /* in a missing directory */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/missing/r.h5.journal", p.dir);
    e = (sgd_err){0};
    ck_assert_int_eq(journal_create(bad, SHA, N_RUNS, CREATED, &j, &e), SGD_EIO);
    ck_assert_ptr_null(j);
    paths_remove(&p);
}
END_TEST

/* an empty journal (killed before the first run finished) resumes to an
 * empty table */
START_TEST(test_header_only)
{
    paths p;
    paths_make(&p);
    write_journal(p.path, 0, NULL);
    sweep_table t;
    double created;
    long resumes;
    ck_assert_int_eq(resume(p.path, &t, &created, &resumes), 0);
    check_table(&t, 0);
    ck_assert_int_eq(file_size(p.path), HEADER);
    sweep_table_destroy(&t);
    paths_remove(&p);
}
END_TEST

static Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tu_tcase("records");
    tcase_add_test(tc, test_crc32);
    tcase_add_test(tc, test_record_round_trip);
    tcase_add_test(tc, test_record_rejects);
    tcase_add_test(tc, test_record_null_probes);
    suite_add_tcase(s, tc);
    tc = tu_tcase("journal");
    tcase_add_test(tc, test_layout_on_disk);
    tcase_add_test(tc, test_append_resume);
    tcase_add_test(tc, test_resume_then_append);
    tcase_add_test(tc, test_torn_tail);
    tcase_add_test(tc, test_garbage_tail);
    tcase_add_test(tc, test_corrupt_last_record);
    tcase_add_test(tc, test_corrupt_middle_record);
    tcase_add_test(tc, test_run_out_of_range);
    tcase_add_test(tc, test_wrong_spec);
    tcase_add_test(tc, test_other_layout);
    tcase_add_test(tc, test_torn_arrays);
    tcase_add_test(tc, test_not_a_journal);
    tcase_add_test(tc, test_create_existing);
    tcase_add_test(tc, test_empty_journal);
    tcase_add_test(tc, test_header_only);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(journal_suite)
