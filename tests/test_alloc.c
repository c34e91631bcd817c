/* test_alloc.c -- no allocation inside the step loop.
 *
 * Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (Makefile), so
 * every allocation our code makes goes through the counters below. After
 * set-up, trainer_step and trainer_evaluate must not allocate, for every
 * optimiser, sampling mode, precision and model option. */
#include <stdlib.h>
#include "testutil.h"
#include "train.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
static volatile long n_alloc; /* volatile: malloc is a builtin the compiler assumes touches nothing */
void *__wrap_malloc(size_t n) { n_alloc++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { n_alloc++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { n_alloc++; return __real_realloc(p, n); }

static void steps_without_allocation(cfg *s, const char *what)
{
    dataset *ds = NULL;
    sgd_err e = {0};
    ck_assert_msg(data_make(s, &ds, &e) == 0, "%s: %s", what, e.msg);
    trainer *t = trainer_alloc(s, ds, &e);
    ck_assert_msg(t != NULL, "%s: %s", what, e.msg);
    double acc, l;
    long before = n_alloc;
    for (int k = 0; k < 60; k++) {
        trainer_step(t, s->lr, &acc);
        if (k % 20 == 0)
            trainer_evaluate(t, SET_TRAIN, &l, &acc);
    }
    ck_assert_msg(n_alloc == before, "%s: %ld allocations in 60 steps", what, n_alloc - before);
    trainer_free(t);
    data_free(ds);
}

START_TEST(test_counter_counts)
{
    long before = n_alloc;
    void *volatile p = malloc(24); /* volatile: the pair is not optimised away */
    free(p);
    ck_assert_int_eq(n_alloc, before + 1); /* the wrapper is really in place */
}
END_TEST

START_TEST(test_no_allocation_in_steps)
{
    for (int prec = PREC_FLOAT32; prec <= PREC_FLOAT64; prec++)
        for (int opt = OPT_SGD; opt <= OPT_LANGEVIN; opt++)
            for (int variant = 0; variant < 3; variant++) {
                cfg s;
                cfg_defaults(&s);
                s.precision = prec, s.optimizer = opt, s.width = 24, s.depth = 3, s.n_train = 96, s.n_test = 40;
                s.batch = 16, s.lr = 0.05, s.momentum = 0.5, s.weight_decay = 1e-3;
                if (opt == OPT_LANGEVIN)
                    s.langevin_temp = 1e-4;
                if (opt == OPT_PGD)
                    s.perturb_gtol = 1e9, s.perturb_wait = 3; /* perturb often */
                if (variant == 1)
                    s.sampling = SAMPLE_RESHUFFLE, s.residual = RES_STANDARD, s.act = ACT_GELU;
                if (variant == 2) {
                    s.train_last = 1, s.bias = 0, s.loss = LOSS_MSE, s.task = TASK_REGRESSION;
                    s.online = opt == OPT_SGD || opt == OPT_LANGEVIN;
                }
                char what[96];
                snprintf(what, sizeof what, "%s %s variant %d", cfg_enum_name("precision", prec),
                         cfg_enum_name("optimizer", opt), variant);
                steps_without_allocation(&s, what);
            }
}
END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tu_tcase("steps");
    tcase_add_test(tc, test_counter_counts);
    tcase_add_test(tc, test_no_allocation_in_steps);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(alloc_suite)
