/* splitmix.h — the one pseudo-random step every seeded decision uses, and
 * the one way a thread's seed is derived from the run's. */
#ifndef RACELAB_SPLITMIX_H
#define RACELAB_SPLITMIX_H

#include <stdint.h>

/* splitmix64: a fast, well-mixed step; good enough for timing decisions. */
static inline uint64_t rl_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The seed of thread (or actor) `id` of a run seeded with `run_seed`: the
 * same in every engine, so one seed means one set of per-thread streams. */
static inline uint64_t rl_thread_seed(uint64_t run_seed, int id)
{
    return run_seed * 0x100000001b3ULL + (uint64_t)id + 1;
}

#endif
