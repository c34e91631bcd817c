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
    /* gsl_rng_set takes only 32 bits of a seed, so distinct 64-bit seeds
     * would collide (about one pair in 10^5 replicates). Fill the whole
     * mt19937 state (624 words + index, GSL's mt_state_t) from a splitmix64
     * sequence of the 64-bit hash instead, as init_by_array would. */
    typedef struct {
        unsigned long mt[624];
        int mti;
    } mt_state;
    if (gsl_rng_size(r) != sizeof(mt_state)) { /* not the layout we know: 32-bit seeding */
        uint64_t h = rng_hash(seed, purpose);
        gsl_rng_set(r, (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL) | 1UL);
        return r;
    }
    mt_state *st = gsl_rng_state(r);
    uint64_t z = rng_hash(seed, purpose);
    for (int i = 0; i < 624; i++) {
        z += 0x9e3779b97f4a7c15ULL;
        uint64_t x = z;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        x ^= x >> 31;
        st->mt[i] = (unsigned long)(x & 0xffffffffUL);
    }
    st->mt[0] |= 0x80000000UL; /* never the all-zero state */
    st->mti = 624;             /* regenerate the block before the first draw */
    return r;
}
