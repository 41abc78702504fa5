/* strategy_random.c — a random walk: at every step, uniformly among the
 * runnable threads. */
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

static int choose(rl_sched_strategy *self, int step, int current, uint32_t runnable)
{
    random_walk *r = (random_walk *)self;
    (void)step;
    (void)current;
    int k = (int)(rl_splitmix64(&r->rng) % (uint64_t)__builtin_popcount(runnable));
    for (int i = 0;; i++)
        if (runnable & (1u << i) && k-- == 0)
            return i;
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
    r->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy};
    r->rng = seed ^ 0x5851f42d4c957f2dULL;
    return &r->base;
}
