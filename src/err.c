/* err.c -- see err.h */
#include <stdarg.h>
#include <stdio.h>
#include "err.h"

int sgd_fail(sgd_err *e, int code, const char *fmt, ...)
{
    if (e && e->code == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}
