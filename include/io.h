/* io.h -- small POSIX file helpers. */
#ifndef SGD_IO_H
#define SGD_IO_H

#include <stddef.h>

/* write(2) all n bytes, retrying after EINTR and short writes; 0 or -1
 * (errno set). */
int io_write_all(int fd, const void *buf, size_t n);

#endif
