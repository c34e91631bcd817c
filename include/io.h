/* io.h -- small POSIX file helpers. */
#ifndef SGD_IO_H
#define SGD_IO_H

#include <stddef.h>

/* write(2) all n bytes, retrying after EINTR and short writes; 0 or -1
 * (errno set). */
int io_write_all(int fd, const void *buf, size_t n);

/* An exclusive lock on the whole file fd is open on (for writing), without
 * waiting: flock(2), or, where the file system has no flock (ENOSYS,
 * EOPNOTSUPP, ENOLCK: Lustre without -o flock, some NFS), fcntl(2) record
 * locks (released when the process closes any descriptor of the file).
 * Returns IO_LOCKED, IO_LOCK_BUSY (another process holds it), IO_LOCK_NONE
 * (neither kind of lock exists here: unlocked; why gets "flock: ...; fcntl:
 * ...") or IO_LOCK_ERROR (errno set). */
enum { IO_LOCKED = 0, IO_LOCK_BUSY = 1, IO_LOCK_NONE = 2, IO_LOCK_ERROR = -1 };
int io_lock(int fd, char *why, size_t n);

#endif
