/* strategy_replay.c — a given schedule, step by step, then the running
 * thread kept while it can run.
 *
 * Strict (rl_strategy_replay): a step naming a thread that cannot run ends
 * the trial as diverged (the mechanism checks every choice). Lenient
 * (rl_strategy_replay_lenient, the shrink's greedy pass) reads the schedule
 * thread-relatively, as a sequence of entries "thread T takes its next
 * step", each marked whether it may preempt: at each step the earliest
 * unconsumed entry whose thread can run is followed and consumed, except
 * that the running thread goes on (consuming its own earliest entry) when
 * it can and that entry may not preempt it; the non-preemptive choice when
 * no runnable thread has an entry left. So an entry whose thread cannot run
 * there (it blocks, or ended earlier than the schedule said) waits instead
 * of shifting every later choice, a thread that no longer blocks where it
 * did is not preempted there, and a block of entries moved elsewhere moves
 * nothing else (the trace simplification of Jalbert and Sen, FSE 2010).
 * The lenient strategy keeps what it chose, who was running and which
 * steps preempted, for the shrink to edit. */
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
    /* lenient: the entries by thread, each thread's in order: thread t's are
     * by_thread[start[t] .. start[t + 1]), and next[t] its first unconsumed */
    int *by_thread;             /* [n] entry indices */
    int *start;                 /* [RL_SCHED_MAX_THREADS + 1] */
    int *next;                  /* [RL_SCHED_MAX_THREADS] */
    unsigned char *may_preempt; /* [n] per entry */
    int n;
    int choices[]; /* n of them */
} replay;

static void new_trial(rl_sched_strategy *self, int threads)
{
    (void)threads;
    replay *r = (replay *)self;
    r->n_seen = 0;
    if (r->next != NULL)
        memcpy(r->next, r->start, RL_SCHED_MAX_THREADS * sizeof *r->next);
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    const replay *r = (const replay *)self;
    return d->step < r->n ? r->choices[d->step] : rl_sched_keep_current(d);
}

/* The thread of the earliest unconsumed entry among the runnable threads,
 * or -1 when none of them has one left. */
static int first_entry(const replay *r, const rl_thread_set *runnable)
{
    int best = -1, best_at = r->n;
    for (int t = rl_tset_first(runnable); t >= 0 && t < RL_SCHED_MAX_THREADS;
         t = rl_tset_next(runnable, t + 1))
        if (r->next[t] < r->start[t + 1] && r->by_thread[r->next[t]] < best_at) {
            best = t;
            best_at = r->by_thread[r->next[t]];
        }
    return best;
}

static int choose_lenient(rl_sched_strategy *self, const rl_sched_decision *d)
{
    replay *r = (replay *)self;
    int c = first_entry(r, d->runnable);
    int can_go_on = d->current >= 0 && !d->yielding && rl_tset_has(d->runnable, d->current);
    if (c >= 0 && c != d->current && can_go_on && !r->may_preempt[r->by_thread[r->next[c]]])
        c = d->current; /* that switch was not a preemption: here it waits */
    if (c < 0)
        c = rl_sched_keep_current(d); /* every entry of the runnable threads was taken */
    if (c >= 0 && c < RL_SCHED_MAX_THREADS && r->next[c] < r->start[c + 1])
        r->next[c]++;
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
    free(r->by_thread);
    free(r->start);
    free(r->next);
    free(r->may_preempt);
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

rl_sched_strategy *rl_strategy_replay_lenient(const int *choices, const unsigned char *may_preempt,
                                              int n)
{
    replay *r = make(choices, n);
    if (r == NULL)
        return NULL;
    r->base.choose = choose_lenient;
    r->lenient = 1;
    r->seen = calloc(RL_SCHED_MAX_STEPS, sizeof *r->seen);
    r->current = calloc(RL_SCHED_MAX_STEPS, sizeof *r->current);
    r->preempted = calloc(RL_SCHED_MAX_STEPS, 1);
    r->by_thread = calloc((size_t)n + 1, sizeof *r->by_thread);
    r->start = calloc(RL_SCHED_MAX_THREADS + 1, sizeof *r->start);
    r->next = calloc(RL_SCHED_MAX_THREADS, sizeof *r->next);
    r->may_preempt = malloc((size_t)n + 1);
    if (r->seen == NULL || r->current == NULL || r->preempted == NULL || r->by_thread == NULL ||
        r->start == NULL || r->next == NULL || r->may_preempt == NULL) {
        destroy(&r->base);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        r->may_preempt[i] = may_preempt == NULL || may_preempt[i] != 0;
    /* the entries grouped by thread (a counting sort; -1 and ids past the
     * limit are no entry) */
    for (int i = 0; i < n; i++)
        if (choices[i] >= 0 && choices[i] < RL_SCHED_MAX_THREADS)
            r->start[choices[i] + 1]++;
    for (int t = 0; t < RL_SCHED_MAX_THREADS; t++)
        r->start[t + 1] += r->start[t];
    memcpy(r->next, r->start, RL_SCHED_MAX_THREADS * sizeof *r->next);
    for (int i = 0; i < n; i++)
        if (choices[i] >= 0 && choices[i] < RL_SCHED_MAX_THREADS)
            r->by_thread[r->next[choices[i]]++] = i;
    memcpy(r->next, r->start, RL_SCHED_MAX_THREADS * sizeof *r->next);
    return &r->base;
}

int rl_strategy_lenient_given(const rl_sched_strategy *s, const int **choices,
                              const unsigned char **may_preempt)
{
    if (s == NULL || s->choose != choose_lenient)
        return -1;
    const replay *r = (const replay *)s;
    *choices = r->choices;
    *may_preempt = r->may_preempt;
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
