/* rng.h -- reproducible random streams.
 *
 * Every stream is a GSL generator (mt19937) seeded from a hash of
 * (seed, purpose): never from time, rank or order of execution. */
#ifndef SGD_RNG_H
#define SGD_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* Stream purposes. New purposes go at the end: the numbers are part of the
 * reproducibility contract (changing one changes every result). */
enum {
    RNG_DATA_TRAIN = 1, RNG_DATA_TEST = 2, RNG_TEACHER = 3, RNG_LABEL_NOISE = 4,
    RNG_INIT = 5, RNG_BATCH = 6, RNG_NOISE = 7, RNG_ONLINE = 8,
    RNG_PROBE = 9,     /* the probe subset */
    RNG_PROBE_VEC = 10 /* the probes' random vectors */
};

/* 64-bit mixing hash (splitmix64 finaliser) of a seed and a purpose. */
uint64_t rng_hash(uint64_t seed, uint64_t purpose);

/* A new mt19937 stream for (seed, purpose), its whole state filled from the
 * 64-bit hash; NULL on allocation failure. */
gsl_rng *rng_stream(uint64_t seed, uint64_t purpose);

#endif
