/* data.h -- datasets: synthetic generators and HDF5 files.
 *
 * All data are double precision, row-major: x is [n x d]. Classification
 * sets carry integer labels c[n] in 0..k-1 (k = number of classes);
 * regression sets carry targets y[n x k]. The trainer converts to its own
 * precision once, at set-up.
 *
 * Generators (cfg.data), each from cfg_data_seed() and separate streams for
 * the train set, the test set, the teacher and the label noise:
 *   teacher  x ~ N(0, I_d); a random teacher MLP (teacher_width,
 *            teacher_depth, teacher_act, LeCun init, no bias) gives f(x) in
 *            R^k; classification: c = argmax f(x); regression: y = f(x) +
 *            target_noise * N(0, I_k).
 *   mixture  k Gaussian classes N(mu_c, I_d), labels uniform; the means are
 *            separation/sqrt(2) times orthonormal random directions, so every
 *            pair of means is `separation` apart (needs k <= d).
 *   linear   x ~ N(0, diag(lambda)), lambda_j = j^(-cov_decay), j = 1..d;
 *            y = x . beta + target_noise * N(0,1), beta ~ N(0, I_d / d), k=1.
 *   file     read from the HDF5 file cfg.data_file (layout in docs/DATA.md).
 * Label noise (classification): each TRAINING label is, with probability
 * label_noise, replaced by a label drawn uniformly from all k classes
 * (Zhang et al. 2017); test labels stay clean.
 * Standardisation (cfg.standardize): every input feature is shifted and scaled
 * by the training set's mean and standard deviation (train, test and online
 * samples alike). */
#ifndef SGD_DATA_H
#define SGD_DATA_H

#include <gsl/gsl_rng.h>
#include "cfg.h"
#include "err.h"

typedef struct data_gen data_gen; /* generator state, for online sampling */

typedef struct dataset {
    int n_train, n_test, d, k;
    int classification;         /* 1: labels c_*, 0: targets y_* */
    double *x_train, *x_test;   /* [n x d] */
    int *c_train, *c_test;      /* [n] labels, or NULL for regression */
    double *y_train, *y_test;   /* [n x k] targets, or NULL for classification */
    int *c_clean;               /* [n_train] labels before label noise (classification sets) */
    unsigned char *corrupted;   /* [n_train] 1 where label noise drew the label */
    double *mean, *sd;          /* [d] standardisation applied, or NULL */
    data_gen *gen;              /* NULL for data read from a file */
} dataset;

/* Build the dataset that cfg s describes (generate, or load cfg.data_file),
 * then standardise if asked. */
int data_make(const cfg *s, dataset **out, sgd_err *e);

/* Read a dataset from an HDF5 file (docs/DATA.md); every error names the
 * file and dataset. */
int data_load_h5(const char *path, dataset **out, sgd_err *e);

/* Online mode: draw n fresh examples from the generator (with label noise on
 * labels, and the same standardisation as the train set) into x [n x d] and
 * c [n] or y [n x k]. Returns nonzero if ds has no generator. */
int data_sample(const dataset *ds, gsl_rng *r, int n, double *x, int *c, double *y);

void data_free(dataset *ds);

#endif
