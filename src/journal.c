/* journal.c -- see journal.h */
#define _GNU_SOURCE /* sync_file_range (Linux); without it, journal_sync does all the writing back */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "journal.h"

static const char MAGIC[8] = {'S', 'G', 'D', 'J', 'R', 'N', 'L', '1'};
enum { HEADER = 8 + 64 + 8 + 8 + 8 + 8 }; /* magic, sha, n_runs, created, resumes, layout */

/* the record layout word: the record format version (2: records carry probe
 * curves and arrays) in bits 48..63, the number of probe arrays in bits
 * 40..47, of probe curves in 32..39 and of metrics in 0..31. A build whose
 * records differ in any of these must not read them. Version 1 was
 * (1 << 32) | metrics. */
enum { RECORD_LAYOUT = 2 };
static int64_t layout(void)
{
    return ((int64_t)RECORD_LAYOUT << 48) | ((int64_t)N_PARR << 40) | ((int64_t)N_PCURVE << 32) |
           (int64_t)met_nfields;
}

/* "record layout V: M metrics, C probe curves, A probe arrays" */
static void describe(int64_t lay, char *buf, size_t n)
{
    long long v = lay >> 48, m = lay & 0xffffffff;
    if (v == 0 && (lay >> 32) == 1) /* version 1 had no probe fields */
        snprintf(buf, n, "record layout 1: %lld metrics, no probes", m);
    else
        snprintf(buf, n, "record layout %lld: %lld metrics, %lld probe curves, %lld probe arrays", v, m,
                 (long long)((lay >> 32) & 0xff), (long long)((lay >> 40) & 0xff));
}

struct journal {
    int fd;
    char *path;
    void *buf;
    size_t cap;
    off_t end; /* end of the last whole record */
    off_t kicked; /* writeback started up to here (sync_file_range) */
    char note[512]; /* why it is not locked; "" when it is */
};

/* one sweep at a time per journal (a requeued job while the old one drains);
 * on a file system without locks, unlocked, with a note (journal_note) */
static int lock(int fd, const char *path, char *note, size_t n, sgd_err *e)
{
    char why[160] = "";
    note[0] = 0;
    switch (io_lock(fd, why, sizeof why)) {
    case IO_LOCKED: return 0;
    case IO_LOCK_BUSY:
        return sgd_fail(e, SGD_EIO, "%s: in use by another sgdsweep (locked); refusing to write it too", path);
    case IO_LOCK_NONE:
        snprintf(note, n,
                 "%s: the file system has no file locks (%s): running unlocked; nothing keeps a second sgdsweep "
                 "(a requeued job while this one drains) from writing this result too",
                 path, why);
        return 0;
    default:
        return sgd_fail(e, SGD_EIO, "%s: cannot lock the journal (%s)", path, strerror(errno));
    }
}

uint32_t journal_crc32(const void *data, size_t len)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xffffffffu;
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static journal *wrap(int fd, const char *path, off_t end)
{
    journal *j = calloc(1, sizeof *j);
    if (j && !(j->path = strdup(path))) {
        free(j);
        j = NULL;
    }
    if (j)
        j->fd = fd, j->end = end;
    return j;
}

/* write the header of a new journal to fd (locked, empty) and wrap it */
static int write_header(int fd, const char *path, const char *sha256, long n_runs, double created, journal **out,
                        sgd_err *e)
{
    char h[HEADER];
    int64_t n = n_runs, resumes = 0;
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, sha256, 64);
    memcpy(h + 72, &n, 8);
    int64_t lay = layout();
    memcpy(h + 80, &created, 8);
    memcpy(h + 88, &resumes, 8);
    memcpy(h + 96, &lay, 8);
    if (io_write_all(fd, h, sizeof h) != 0 || fdatasync(fd) != 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return sgd_fail(e, SGD_EIO, "%s: cannot write journal (%s)", path, strerror(err));
    }
    if (!(*out = wrap(fd, path, HEADER))) {
        close(fd);
        return sgd_fail(e, SGD_ENOMEM, "out of memory");
    }
    return 0;
}

int journal_create(const char *path, const char *sha256, long n_runs, double created, journal **out, sgd_err *e)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return sgd_fail(e, SGD_EIO, "%s: cannot create journal (%s)", path, strerror(errno));
    char note[512];
    if (lock(fd, path, note, sizeof note, e)) {
        close(fd);
        return e->code;
    }
    int rc = write_header(fd, path, sha256, n_runs, created, out, e);
    if (!rc)
        snprintf((*out)->note, sizeof (*out)->note, "%s", note);
    return rc;
}

/* journal_resume of a journal with no header yet: start the sweep afresh */
static int fresh_header(int fd, const char *path, const char *sha256, long n_runs, double created, long *resumes,
                        journal **out, sgd_err *e)
{
    *resumes = 0;
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        int err = errno;
        close(fd);
        return sgd_fail(e, SGD_EIO, "%s: cannot rewrite journal (%s)", path, strerror(err));
    }
    return write_header(fd, path, sha256, n_runs, created, out, e);
}

int journal_resume(const char *path, const char *sha256, long n_runs, sweep_table *t, long *n_records,
                   double *created, long *resumes, journal **out, sgd_err *e)
{
    *out = NULL;
    *n_records = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return sgd_fail(e, SGD_EIO, "%s: cannot open journal for --resume (%s)", path, strerror(errno));
    char note[512];
    if (lock(fd, path, note, sizeof note, e)) {
        close(fd);
        return e->code;
    }
    struct stat st;
    char h[HEADER];
    if (fstat(fd, &st) == 0 && st.st_size < HEADER) {
        /* a start killed inside journal_create, before its header was written
         * (nothing can have been recorded): if what is there is a prefix of
         * this sweep's header, write the header and begin afresh */
        char want[72];
        memcpy(want, MAGIC, 8);
        memcpy(want + 8, sha256, 64);
        ssize_t got = st.st_size ? pread(fd, h, (size_t)st.st_size, 0) : 0;
        if (got == st.st_size && memcmp(h, want, (size_t)(st.st_size < 72 ? st.st_size : 72)) == 0) {
            int rc = fresh_header(fd, path, sha256, n_runs, *created, resumes, out, e);
            if (!rc)
                snprintf((*out)->note, sizeof (*out)->note, "%s", note);
            return rc;
        }
    }
    if (fstat(fd, &st) != 0 || st.st_size < HEADER || pread(fd, h, HEADER, 0) != HEADER || memcmp(h, MAGIC, 8)) {
        close(fd);
        return sgd_fail(e, SGD_EIO, "%s: not an sgdsweep journal", path);
    }
    int64_t n, res, lay;
    memcpy(&n, h + 72, 8);
    memcpy(created, h + 80, 8);
    memcpy(&res, h + 88, 8);
    memcpy(&lay, h + 96, 8);
    if (memcmp(h + 8, sha256, 64) != 0) {
        close(fd);
        return sgd_fail(e, SGD_EUSAGE,
                        "%s: was written for a different spec (SHA-256 %.12s..., this spec %.12s...); "
                        "refusing to resume (use --force to start over)",
                        path, h + 8, sha256);
    }
    if (n != n_runs) {
        close(fd);
        return sgd_fail(e, SGD_EIO, "%s: journal has %lld runs, spec %ld", path, (long long)n, n_runs);
    }
    if (lay != layout()) {
        char theirs[128], ours[128];
        describe(lay, theirs, sizeof theirs);
        describe(layout(), ours, sizeof ours);
        close(fd);
        return sgd_fail(e, SGD_EIO,
                        "%s: written by a build with another record layout (%s; this build %s); resume "
                        "with that build, or start over with --force",
                        path, theirs, ours);
    }
    *resumes = (long)++res; /* only once the journal is known to be ours */
    if (pwrite(fd, &res, 8, 88) != 8) {
        close(fd);
        return sgd_fail(e, SGD_EIO, "%s: cannot update journal (%s)", path, strerror(errno));
    }
    /* read records until the end or the first torn/corrupt one */
    off_t pos = HEADER, good = HEADER;
    double *buf = NULL; /* double: 8-byte aligned for unpacking in place */
    size_t cap = 0;
    for (;;) {
        uint32_t lc[2];
        if (pread(fd, lc, 8, pos) != 8)
            break;
        if (lc[0] == 0 || lc[0] > (1u << 30) || pos + 8 + (off_t)lc[0] > st.st_size)
            break;
        if (lc[0] > cap) {
            double *nb = realloc(buf, lc[0] + 8);
            if (!nb)
                break;
            buf = nb, cap = lc[0];
        }
        if (pread(fd, buf, lc[0], pos + 8) != (ssize_t)lc[0])
            break;
        run_record r;
        int ok = journal_crc32(buf, lc[0]) == lc[1] && sweep_record_unpack(buf, lc[0], &r) == 0 && r.run < n_runs;
        pos += 8 + lc[0];
        if (!ok) {
            /* a damaged record inside the file: skip it (its run stays pending)
             * if a valid record follows; at the end it is a torn tail */
            continue;
        }
        sweep_table_put(t, &r);
        (*n_records)++;
        good = pos;
    }
    free(buf);
    if (good < st.st_size && ftruncate(fd, good) != 0) {
        int err = errno;
        close(fd);
        return sgd_fail(e, SGD_EIO, "%s: cannot cut the torn tail (%s)", path, strerror(err));
    }
    if (lseek(fd, good, SEEK_SET) < 0 || !(*out = wrap(fd, path, good))) {
        close(fd);
        return sgd_fail(e, SGD_EIO, "%s: cannot reopen journal", path);
    }
    snprintf((*out)->note, sizeof (*out)->note, "%s", note);
    return 0;
}

int journal_append(journal *j, const run_record *r, sgd_err *e)
{
    size_t n = sweep_record_size(r);
    if (n + 8 > j->cap) {
        void *nb = realloc(j->buf, n + 8);
        if (!nb)
            return sgd_fail(e, SGD_ENOMEM, "out of memory");
        j->buf = nb, j->cap = n + 8;
    }
    uint32_t *lc = j->buf;
    sweep_record_pack(r, (char *)j->buf + 8);
    lc[0] = (uint32_t)n;
    lc[1] = journal_crc32((char *)j->buf + 8, n);
    if (io_write_all(j->fd, j->buf, n + 8) != 0) {
        int err = errno;
        /* no torn record in the middle: cut back to the last whole one */
        if (ftruncate(j->fd, j->end) == 0)
            lseek(j->fd, j->end, SEEK_SET);
        return sgd_fail(e, SGD_EIO, "%s: cannot append to journal (%s)", j->path, strerror(err));
    }
    j->end += (off_t)(n + 8);
#ifdef SYNC_FILE_RANGE_WRITE
    /* start writing back every 8 MiB appended, without waiting, so that
     * journal_sync finds little left to do */
    if (j->end - j->kicked >= (8 << 20)) {
        sync_file_range(j->fd, j->kicked, j->end - j->kicked, SYNC_FILE_RANGE_WRITE);
        j->kicked = j->end;
    }
#endif
    return 0;
}

int journal_sync(journal *j, sgd_err *e)
{
    if (fdatasync(j->fd) != 0)
        return sgd_fail(e, SGD_EIO, "%s: cannot sync journal (%s)", j->path, strerror(errno));
    return 0;
}

const char *journal_note(const journal *j) { return j ? j->note : ""; }

void journal_close(journal *j)
{
    if (!j)
        return;
    close(j->fd);
    free(j->path);
    free(j->buf);
    free(j);
}
