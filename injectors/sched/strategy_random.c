/* strategy_random.c — a random walk: at every step, uniformly among the
 * runnable threads; at a yielding point, uniformly among the others while
 * any other can run (fairness: a spinning thread lets the threads it waits
 * for run). */
#include "strategy.h"

#include "../../harness/common/splitmix.h"

#include <stdlib.h>

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a random_walk * */
    uint64_t rng;
} random_walk;

static void new_trial(rl_sched_strategy *self, int threads)
{
    (void)self;
    (void)threads;
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    random_walk *r = (random_walk *)self;
    rl_thread_set pick = *d->runnable;
    if (d->yielding && d->current >= 0 && rl_tset_has(&pick, d->current) &&
        rl_tset_count(&pick) > 1)
        rl_tset_del(&pick, d->current);
    int k = (int)(rl_splitmix64(&r->rng) % (uint64_t)rl_tset_count(&pick));
    return rl_tset_nth(&pick, k);
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    (void)self;
    (void)steps;
    return 1; /* endless */
}

static void destroy(rl_sched_strategy *self) { free(self); }

rl_sched_strategy *rl_strategy_random(uint64_t seed)
{
    random_walk *r = malloc(sizeof *r);
    if (r == NULL)
        return NULL;
    r->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, NULL};
    r->rng = seed ^ 0x5851f42d4c957f2dULL;
    return &r->base;
}
