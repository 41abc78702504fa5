/* thread_set.h — a set of thread ids 0..RL_SCHED_MAX_THREADS-1: a bitmap of
 * 64-bit words, passed by pointer (128 bytes at 1,024 threads). The
 * scheduler's runnable sets are these; the helpers are small and inline. */
#ifndef RACELAB_SCHED_THREAD_SET_H
#define RACELAB_SCHED_THREAD_SET_H

#include "sched_limits.h"

#include <stdint.h>
#include <string.h>

#define RL_TSET_WORDS ((RL_SCHED_MAX_THREADS + 63) / 64)

typedef struct {
    uint64_t w[RL_TSET_WORDS];
} rl_thread_set;

static inline void rl_tset_clear(rl_thread_set *s) { memset(s, 0, sizeof *s); }

/* t must be 0..RL_SCHED_MAX_THREADS-1 for add and del; has takes any int. */
static inline void rl_tset_add(rl_thread_set *s, int t) { s->w[t >> 6] |= (uint64_t)1 << (t & 63); }

static inline void rl_tset_del(rl_thread_set *s, int t)
{
    s->w[t >> 6] &= ~((uint64_t)1 << (t & 63));
}

static inline int rl_tset_has(const rl_thread_set *s, int t)
{
    return t >= 0 && t < RL_SCHED_MAX_THREADS && (s->w[t >> 6] >> (t & 63) & 1);
}

static inline int rl_tset_count(const rl_thread_set *s)
{
    int n = 0;
    for (int i = 0; i < RL_TSET_WORDS; i++)
        n += __builtin_popcountll(s->w[i]);
    return n;
}

static inline int rl_tset_empty(const rl_thread_set *s)
{
    for (int i = 0; i < RL_TSET_WORDS; i++)
        if (s->w[i] != 0)
            return 0;
    return 1;
}

/* The lowest id in the set at or above `from`, or -1. */
static inline int rl_tset_next(const rl_thread_set *s, int from)
{
    if (from < 0)
        from = 0;
    for (int i = from >> 6; i < RL_TSET_WORDS; i++) {
        uint64_t word = s->w[i];
        if (i == from >> 6)
            word &= ~(uint64_t)0 << (from & 63);
        if (word != 0)
            return i * 64 + __builtin_ctzll(word);
    }
    return -1;
}

/* The lowest id, or -1 when empty. */
static inline int rl_tset_first(const rl_thread_set *s) { return rl_tset_next(s, 0); }

/* The highest id, or -1 when empty. */
static inline int rl_tset_last(const rl_thread_set *s)
{
    for (int i = RL_TSET_WORDS - 1; i >= 0; i--)
        if (s->w[i] != 0)
            return i * 64 + 63 - __builtin_clzll(s->w[i]);
    return -1;
}

/* The k-th lowest id (k from 0), or -1 when the set has k or fewer. */
static inline int rl_tset_nth(const rl_thread_set *s, int k)
{
    for (int i = 0; i < RL_TSET_WORDS; i++) {
        uint64_t word = s->w[i];
        int n = __builtin_popcountll(word);
        if (k >= n) {
            k -= n;
            continue;
        }
        for (; k > 0; k--)
            word &= word - 1; /* drop the lowest set bit */
        return i * 64 + __builtin_ctzll(word);
    }
    return -1;
}

/* The first id after `t` cyclically (t+1, …, max, 0, …, t), or -1 when empty. */
static inline int rl_tset_next_after(const rl_thread_set *s, int t)
{
    int n = rl_tset_next(s, t + 1);
    return n >= 0 ? n : rl_tset_first(s);
}

#endif
