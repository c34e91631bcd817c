/* nolock.c -- LD_PRELOAD shim for tests/sweep_test.sh: a file system without
 * locks. flock(2) fails with the errno named by NOLOCK_ERRNO (ENOLCK, ENOSYS
 * or EOPNOTSUPP; default ENOLCK), as on Lustre mounted without -o flock; with
 * NOLOCK_FCNTL=1 fcntl(2)'s record locks fail the same way. Everything else
 * goes to the real functions.
 *
 *   cc -shared -fPIC -o nolock.so tests/nolock.c -ldl
 *   LD_PRELOAD=./nolock.so sgdsweep run ... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

static int fail_errno(void)
{
    const char *v = getenv("NOLOCK_ERRNO");
    if (v && !strcmp(v, "ENOSYS"))
        return ENOSYS;
    if (v && !strcmp(v, "EOPNOTSUPP"))
        return EOPNOTSUPP;
    return ENOLCK;
}

int flock(int fd, int op)
{
    (void)fd, (void)op;
    errno = fail_errno();
    return -1;
}

static int is_lock(int cmd)
{
    return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ||
           cmd == F_OFD_GETLK;
}

static int shim(const char *name, int fd, int cmd, void *arg)
{
    if (is_lock(cmd) && getenv("NOLOCK_FCNTL")) {
        errno = fail_errno();
        return -1;
    }
    int (*real)(int, int, ...) = (int (*)(int, int, ...))dlsym(RTLD_NEXT, name);
    return real ? real(fd, cmd, arg) : (errno = ENOSYS, -1);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return shim("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return shim("fcntl64", fd, cmd, arg);
}
