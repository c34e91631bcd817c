/* io.c -- see io.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "io.h"

int io_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* the errors of a file system that has no such locks */
static int no_locks(int err) { return err == ENOSYS || err == EOPNOTSUPP || err == ENOLCK || err == EINVAL; }

int io_lock(int fd, char *why, size_t n)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return IO_LOCKED;
    int ef = errno;
    if (ef == EWOULDBLOCK)
        return IO_LOCK_BUSY;
    if (!no_locks(ef))
        return IO_LOCK_ERROR;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET; /* l_start 0, l_len 0: the whole file */
    if (fcntl(fd, F_SETLK, &fl) == 0)
        return IO_LOCKED;
    int ec = errno;
    if (ec == EACCES || ec == EAGAIN)
        return IO_LOCK_BUSY;
    if (!no_locks(ec)) {
        errno = ec;
        return IO_LOCK_ERROR;
    }
    snprintf(why, n, "flock: %s; fcntl: %s", strerror(ef), strerror(ec));
    return IO_LOCK_NONE;
}
