/* strategy_replay.c — a given schedule, step by step, then the running
 * thread kept while it can run. A step naming a thread that cannot run ends
 * the trial as diverged (the mechanism checks every choice). */
#include "strategy.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a replay * */
    int n;
    int choices[]; /* n of them */
} replay;

static void new_trial(rl_sched_strategy *self, int threads)
{
    (void)self;
    (void)threads;
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    const replay *r = (const replay *)self;
    return d->step < r->n ? r->choices[d->step] : rl_sched_keep_current(d);
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    (void)self;
    (void)steps;
    return 1; /* the same schedule again, as long as the budget lasts */
}

static void destroy(rl_sched_strategy *self) { free(self); }

rl_sched_strategy *rl_strategy_replay(const int *choices, int n)
{
    if (n < 0)
        return NULL;
    replay *r = malloc(sizeof *r + (size_t)n * sizeof *choices);
    if (r == NULL)
        return NULL;
    r->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, NULL};
    r->n = n;
    if (n > 0)
        memcpy(r->choices, choices, (size_t)n * sizeof *choices);
    return &r->base;
}
