/* strategy_pct.c — PCT (Burckhardt et al., ASPLOS 2010) with bug depth d.
 *
 * Each trial gives the threads random distinct priorities above d-1 and
 * picks d-1 change points among the steps; the highest-priority runnable
 * thread runs, and at the c-th change point the running thread drops to
 * priority c, below every initial one. The number of steps k is estimated
 * by the longest trial so far. Threads spawned during a trial get a random
 * priority when first seen (as shuttle's PCT does). A thread that yields
 * (rl_sched_decision.yielding) drops below every other thread, as shuttle's
 * PCT deprioritises a yielding task: the threads it spins for then run. */
#include "strategy.h"

#include "../../harness/common/splitmix.h"

#include <stdlib.h>

#define MAX_DEPTH 16 /* the parser's bound */

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a pct * */
    uint64_t rng;
    int depth;
    int longest; /* steps of the longest trial so far: k */
    int known;   /* threads 0..known-1 have a priority */
    long lowest; /* the lowest priority given so far */
    long prio[RL_SCHED_MAX_THREADS];
    int change_points[MAX_DEPTH];
    int nchange;
} pct;

static uint64_t draw(pct *p, uint64_t below) { return rl_splitmix64(&p->rng) % below; }

static void new_trial(rl_sched_strategy *self, int threads)
{
    pct *p = (pct *)self;
    for (int i = 0; i < threads; i++)
        p->prio[i] = p->depth + 1 + i;
    for (int i = threads - 1; i > 0; i--) {
        int j = (int)draw(p, (uint64_t)i + 1);
        long tmp = p->prio[i];
        p->prio[i] = p->prio[j];
        p->prio[j] = tmp;
    }
    p->known = threads;
    p->lowest = 1;
    p->nchange = p->depth - 1;
    for (int c = 0; c < p->nchange; c++)
        p->change_points[c] = (int)draw(p, (uint64_t)p->longest);
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    pct *p = (pct *)self;
    int top = rl_tset_last(d->runnable);
    for (; p->known <= top; p->known++)
        p->prio[p->known] = p->depth + 1 + (long)draw(p, 1000);
    for (int c = 0; c < p->nchange; c++)
        if (p->change_points[c] == d->step && d->current >= 0)
            p->prio[d->current] = c + 1;
    if (d->yielding && d->current >= 0 && d->current < p->known)
        p->prio[d->current] = --p->lowest; /* below every thread, change points included */
    int best = -1;
    for (int i = rl_tset_first(d->runnable); i >= 0; i = rl_tset_next(d->runnable, i + 1))
        if (best < 0 || p->prio[i] > p->prio[best])
            best = i;
    return best;
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    pct *p = (pct *)self;
    if (steps > p->longest)
        p->longest = steps;
    return 1; /* endless */
}

static void destroy(rl_sched_strategy *self) { free(self); }

rl_sched_strategy *rl_strategy_pct(uint64_t seed, int depth)
{
    if (depth < 1 || depth > MAX_DEPTH)
        return NULL;
    pct *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, NULL};
    p->rng = seed ^ 0x5851f42d4c957f2dULL;
    p->depth = depth;
    p->longest = 1;
    return &p->base;
}
