/* strategy_replay.c — a given schedule, step by step, then the running
 * thread kept while it can run.
 *
 * Strict (rl_strategy_replay): a step naming a thread that cannot run ends
 * the trial as diverged (the mechanism checks every choice). Lenient
 * (rl_strategy_replay_lenient, the shrink's greedy pass): such a step takes
 * the non-preemptive choice instead, and the strategy keeps what it chose,
 * who was running and which steps preempted, for the shrink to edit. */
#include "strategy.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a replay * */
    int lenient;
    int n_seen;               /* lenient: steps of the last trial */
    int *seen;                /* lenient: [RL_SCHED_MAX_STEPS] choices made */
    int *current;             /* lenient: [RL_SCHED_MAX_STEPS] who was running */
    unsigned char *preempted; /* lenient: [RL_SCHED_MAX_STEPS] the step preempted */
    int n;
    int choices[]; /* n of them */
} replay;

static void new_trial(rl_sched_strategy *self, int threads)
{
    (void)threads;
    ((replay *)self)->n_seen = 0;
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    const replay *r = (const replay *)self;
    return d->step < r->n ? r->choices[d->step] : rl_sched_keep_current(d);
}

static int choose_lenient(rl_sched_strategy *self, const rl_sched_decision *d)
{
    replay *r = (replay *)self;
    int c = d->step < r->n ? r->choices[d->step] : -1;
    if (c < 0 || !rl_tset_has(d->runnable, c))
        c = rl_sched_keep_current(d); /* the old choice cannot be followed here */
    if (d->step >= 0 && d->step < RL_SCHED_MAX_STEPS) {
        r->seen[d->step] = c;
        r->current[d->step] = d->current;
        r->preempted[d->step] = (unsigned char)rl_sched_preempts(d, c);
        if (d->step + 1 > r->n_seen)
            r->n_seen = d->step + 1;
    }
    return c;
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    (void)self;
    (void)steps;
    return 1; /* the same schedule again, as long as the budget lasts */
}

static void destroy(rl_sched_strategy *self)
{
    replay *r = (replay *)self;
    free(r->seen);
    free(r->current);
    free(r->preempted);
    free(self);
}

static replay *make(const int *choices, int n)
{
    if (n < 0)
        return NULL;
    replay *r = calloc(1, sizeof *r + (size_t)n * sizeof *choices);
    if (r == NULL)
        return NULL;
    r->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, NULL};
    r->n = n;
    if (n > 0)
        memcpy(r->choices, choices, (size_t)n * sizeof *choices);
    return r;
}

rl_sched_strategy *rl_strategy_replay(const int *choices, int n)
{
    replay *r = make(choices, n);
    return r != NULL ? &r->base : NULL;
}

rl_sched_strategy *rl_strategy_replay_lenient(const int *choices, int n)
{
    replay *r = make(choices, n);
    if (r == NULL)
        return NULL;
    r->base.choose = choose_lenient;
    r->lenient = 1;
    r->seen = calloc(RL_SCHED_MAX_STEPS, sizeof *r->seen);
    r->current = calloc(RL_SCHED_MAX_STEPS, sizeof *r->current);
    r->preempted = calloc(RL_SCHED_MAX_STEPS, 1);
    if (r->seen == NULL || r->current == NULL || r->preempted == NULL) {
        destroy(&r->base);
        return NULL;
    }
    return &r->base;
}

int rl_strategy_lenient_given(const rl_sched_strategy *s, const int **choices)
{
    if (s == NULL || s->choose != choose_lenient)
        return -1;
    const replay *r = (const replay *)s;
    *choices = r->choices;
    return r->n;
}

int rl_strategy_lenient_seen(const rl_sched_strategy *s, const int **choices, const int **current,
                             const unsigned char **preempted)
{
    if (s == NULL || s->choose != choose_lenient)
        return -1;
    const replay *r = (const replay *)s;
    *choices = r->seen;
    *current = r->current;
    *preempted = r->preempted;
    return r->n_seen;
}
