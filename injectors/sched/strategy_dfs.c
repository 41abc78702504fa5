/* strategy_dfs.c — depth-first search over the schedules with at most B
 * preemptions.
 *
 * A trial follows a prefix of forced choices, then keeps the running thread
 * (no preemption) while it can run. The search records what it saw at each
 * step; when the trial is over, the deepest step with an untried
 * alternative within the bound becomes the last step of the next prefix.
 * The alternatives of a step are tried in a fixed order: the non-preemptive
 * choice first, then the other runnable threads by id. */
#include "strategy.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a dfs * */
    int bound;
    int nprefix; /* the next trial's forced choices */
    int prefix[RL_SCHED_MAX_STEPS];
    int steps; /* what the last trial saw, step by step */
    int chosen[RL_SCHED_MAX_STEPS];
    int current[RL_SCHED_MAX_STEPS];
    unsigned char yielding[RL_SCHED_MAX_STEPS];
    rl_thread_set runnable[RL_SCHED_MAX_STEPS];
    int preemptions_before[RL_SCHED_MAX_STEPS + 1];
} dfs;

static void new_trial(rl_sched_strategy *self, int threads)
{
    (void)threads;
    ((dfs *)self)->steps = 0;
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *pt)
{
    dfs *d = (dfs *)self;
    int step = pt->step;
    if (step >= RL_SCHED_MAX_STEPS)
        return rl_sched_keep_current(pt); /* past what the search keeps */
    int c = step < d->nprefix ? d->prefix[step] : rl_sched_keep_current(pt);
    if (!rl_tset_has(pt->runnable, c))
        return -1; /* the prefix does not replay: diverged */
    d->chosen[step] = c;
    d->current[step] = pt->current;
    d->yielding[step] = (unsigned char)pt->yielding;
    d->runnable[step] = *pt->runnable;
    d->steps = step + 1;
    return c;
}

static rl_sched_decision decision_at(const dfs *d, int j)
{
    return (rl_sched_decision){j, d->current[j], &d->runnable[j], d->yielding[j], 0, NULL};
}

/* The alternatives of step j, in the order they are tried. */
static int alternatives(const dfs *d, int j, int *order)
{
    rl_sched_decision at = decision_at(d, j);
    const rl_thread_set *set = &d->runnable[j];
    int n = 0;
    int first = rl_sched_keep_current(&at);
    order[n++] = first;
    for (int i = rl_tset_first(set); i >= 0; i = rl_tset_next(set, i + 1))
        if (i != first)
            order[n++] = i;
    return n;
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    dfs *d = (dfs *)self;
    (void)steps; /* d->steps: the steps the search saw (not the diverging one) */
    d->preemptions_before[0] = 0;
    for (int j = 0; j < d->steps; j++) {
        rl_sched_decision at = decision_at(d, j);
        d->preemptions_before[j + 1] =
            d->preemptions_before[j] + rl_sched_preempts(&at, d->chosen[j]);
    }
    for (int j = d->steps - 1; j >= 0; j--) {
        int order[RL_SCHED_MAX_THREADS];
        int n = alternatives(d, j, order);
        rl_sched_decision here = decision_at(d, j);
        int at = 0;
        while (at < n - 1 && order[at] != d->chosen[j])
            at++;
        for (int k = at + 1; k < n; k++) {
            int pre = rl_sched_preempts(&here, order[k]);
            if (d->preemptions_before[j] + pre > d->bound)
                continue;
            memcpy(d->prefix, d->chosen, (size_t)j * sizeof *d->chosen);
            d->prefix[j] = order[k];
            d->nprefix = j + 1;
            return 1;
        }
    }
    d->nprefix = 0;
    return 0; /* every schedule within the bound was run */
}

static void destroy(rl_sched_strategy *self) { free(self); }

rl_sched_strategy *rl_strategy_dfs(int preemption_bound)
{
    dfs *d = malloc(sizeof *d);
    if (d == NULL)
        return NULL;
    d->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, NULL};
    d->bound = preemption_bound;
    d->nprefix = 0;
    d->steps = 0;
    return &d->base;
}

int rl_strategy_dfs_prefix(const rl_sched_strategy *self, const int **prefix)
{
    const dfs *d = (const dfs *)self;
    *prefix = d->prefix;
    return d->nprefix;
}

int rl_strategy_dfs_seen(const rl_sched_strategy *self, const int **choices)
{
    const dfs *d = (const dfs *)self;
    *choices = d->chosen;
    return d->steps;
}
