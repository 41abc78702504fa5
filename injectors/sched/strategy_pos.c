/* strategy_pos.c — partial order sampling (Yuan, Yang and Gu, "Partial
 * Order Aware Concurrency Sampling", CAV 2018).
 *
 * Every pending event (strategy.h: what each thread does when it runs
 * next) has a random priority, and the runnable thread whose event has the
 * highest priority runs. Once an event has run, the thread's next event is
 * a new one and draws a fresh priority, and so does every other pending
 * event that races with the one that ran (the same object, one of them
 * writing): the order among racing events is sampled afresh at each of
 * them, while independent events keep their relative order, which is what
 * makes POS sample partial orders closer to uniformly than a random walk.
 * Without events (decision.events NULL) only the thread that ran re-draws.
 * A thread that gives way (yielding) drops below every other, as in pct. */
#include "strategy.h"

#include "../../harness/common/splitmix.h"

#include <stdlib.h>

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a pos * */
    uint64_t rng;
    int known;          /* threads 0..known-1 have a priority */
    int last;           /* the thread chosen at the previous step, -1 none */
    rl_sched_event ran; /* its event then */
    uint64_t prio[RL_SCHED_MAX_THREADS];
} pos;

/* A priority, never 0 (0 is a yielder's). */
static uint64_t draw(pos *p) { return rl_splitmix64(&p->rng) | 1; }

static void new_trial(rl_sched_strategy *self, int threads)
{
    pos *p = (pos *)self;
    (void)threads;
    p->known = 0;
    p->last = -1;
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    pos *p = (pos *)self;
    int top = rl_tset_last(d->runnable);
    if (d->current > top)
        top = d->current;
    for (; p->known <= top && p->known < RL_SCHED_MAX_THREADS; p->known++)
        p->prio[p->known] = draw(p);
    if (p->last >= 0 && p->last < p->known) {
        p->prio[p->last] = draw(p); /* its next event is a new one */
        if (d->events != NULL)
            for (int u = 0; u < p->known; u++)
                if (u != p->last && rl_sched_events_race(&d->events[u], &p->ran))
                    p->prio[u] = draw(p);
    }
    if (d->yielding && d->current >= 0 && d->current < p->known)
        p->prio[d->current] = 0;
    int best = -1;
    for (int i = rl_tset_first(d->runnable); i >= 0; i = rl_tset_next(d->runnable, i + 1))
        if (best < 0 || p->prio[i] > p->prio[best])
            best = i;
    p->last = best;
    if (d->events != NULL && best >= 0)
        p->ran = d->events[best];
    else
        p->ran = (rl_sched_event){RL_EV_NONE, 0, 0, 0};
    return best;
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    (void)self;
    (void)steps;
    return 1; /* endless */
}

static void destroy(rl_sched_strategy *self) { free(self); }

rl_sched_strategy *rl_strategy_pos(uint64_t seed)
{
    pos *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, NULL};
    p->rng = seed ^ 0x9e3779b97f4a7c15ULL;
    p->last = -1;
    return &p->base;
}
