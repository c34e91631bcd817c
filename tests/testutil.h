/* testutil.h -- shared helpers for the Check test binaries.
 * Each tests/test_*.c builds one Suite and ends with TU_MAIN(suite_fn). The
 * binary prints "NAME: P passed, F failed" and exits nonzero on failure;
 * tests/run.sh adds the suites up. */
#ifndef SGD_TESTUTIL_H
#define SGD_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline TCase *tu_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 600); /* sanitizer builds are slow */
    return tc;
}

static inline int tu_run(Suite *s, const char *name)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int n = srunner_ntests_run(sr), f = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("%s: %d passed, %d failed\n", name, n - f, f);
    return f == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define TU_MAIN(suite_fn) \
    int main(void) { return tu_run(suite_fn(), #suite_fn); }

#endif
