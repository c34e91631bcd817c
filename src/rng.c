/* rng.c -- see rng.h */
#include "rng.h"

uint64_t rng_hash(uint64_t seed, uint64_t purpose)
{
    /* splitmix64 steps over (seed, purpose): a change in either flips about
     * half of the output bits */
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (purpose + 1);
    for (int i = 0; i < 2; i++) {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        z += 0x9e3779b97f4a7c15ULL;
    }
    return z;
}

gsl_rng *rng_stream(uint64_t seed, uint64_t purpose)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    /* mt19937 takes a 32-bit seed; fold the 64-bit hash. Seed 0 selects
     * GSL's default seed, so map it away. */
    uint64_t h = rng_hash(seed, purpose);
    unsigned long s = (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL);
    gsl_rng_set(r, s ? s : 4357UL);
    return r;
}
