/* sched_shrink.c — the shrink search (sched_shrink.h). */
#include "sched_shrink.h"

#include <stdlib.h>
#include <string.h>

typedef enum { FOUND, EXHAUSTED, BUDGET_SPENT, NO_MEMORY } search_end;

/* Every schedule with at most `bound` preemptions, until one fails. */
static search_end search(int bound, long budget, rl_shrink_trial_fn run_trial, void *ctx,
                         rl_shrink_result *out)
{
    rl_sched_strategy *dfs = rl_strategy_dfs(bound);
    if (dfs == NULL)
        return NO_MEMORY;
    search_end end = BUDGET_SPENT;
    for (long n = 0; n < budget; n++) {
        rl_sched_trial trial;
        if (run_trial(ctx, dfs, &trial)) {
            const int *choices = NULL;
            out->n = rl_strategy_dfs_seen(dfs, &choices);
            memcpy(out->choices, choices, (size_t)out->n * sizeof *choices);
            out->preemptions = trial.preemptions;
            end = FOUND;
            break;
        }
        if (!trial.more) {
            end = EXHAUSTED;
            break;
        }
    }
    rl_strategy_free(dfs);
    return end;
}

/* One lenient replay of `choices`; returns it (to read what it did) when
 * the trial failed with fewer than `below` preemptions, else NULL. */
static rl_sched_strategy *try_lenient(const int *choices, int n, int below,
                                      rl_shrink_trial_fn run_trial, void *ctx, int *oom)
{
    rl_sched_strategy *s = rl_strategy_replay_lenient(choices, n);
    if (s == NULL) {
        *oom = 1;
        return NULL;
    }
    rl_sched_trial trial;
    if (run_trial(ctx, s, &trial) && trial.preemptions < below)
        return s;
    rl_strategy_free(s);
    return NULL;
}

/* Keeps in `out` what the lenient replay `s` did in its failing trial, and
 * which of its steps preempted whom (`running`: the thread preempted). */
static void take(rl_sched_strategy *s, rl_shrink_result *out, unsigned char *preempted,
                 int *running)
{
    const int *seen = NULL, *current = NULL;
    const unsigned char *pre = NULL;
    int n = rl_strategy_lenient_seen(s, &seen, &current, &pre);
    out->n = n;
    out->preemptions = 0;
    memcpy(out->choices, seen, (size_t)n * sizeof *seen);
    memcpy(preempted, pre, (size_t)n);
    memcpy(running, current, (size_t)n * sizeof *current);
    for (int i = 0; i < n; i++)
        out->preemptions += pre[i];
    rl_strategy_free(s);
}

/* The greedy pass: the preemptions of the best schedule taken away one at
 * a time, last first (the step's running thread goes on instead, the old
 * choices followed after it where they still can be), a removal kept when
 * the run still fails with fewer preemptions, until none helps or `budget`
 * runs are spent. Returns 0, or -1 when out of memory. */
static int greedy(rl_shrink_result *out, long budget, rl_shrink_trial_fn run_trial, void *ctx)
{
    unsigned char *preempted = calloc(RL_SCHED_MAX_STEPS, 1);
    int *cand = calloc(RL_SCHED_MAX_STEPS, sizeof *cand);
    int *running = calloc(RL_SCHED_MAX_STEPS, sizeof *running);
    int oom = preempted == NULL || cand == NULL || running == NULL;
    /* the failing schedule itself, leniently: what its preemptions are */
    rl_sched_strategy *s =
        !oom ? try_lenient(out->choices, out->n, out->preemptions + 1, run_trial, ctx, &oom) : NULL;
    long runs = 1;
    int improved = s != NULL;
    if (s != NULL)
        take(s, out, preempted, running);
    while (improved && runs < budget && !oom) {
        improved = 0;
        for (int p = out->n - 1; p >= 0 && runs < budget && !oom; p--) {
            if (!preempted[p])
                continue;
            memcpy(cand, out->choices, (size_t)out->n * sizeof *cand);
            cand[p] = running[p]; /* the preempted thread goes on */
            runs++;
            s = try_lenient(cand, out->n, out->preemptions, run_trial, ctx, &oom);
            if (s != NULL) {
                take(s, out, preempted, running);
                improved = 1;
                break;
            }
        }
    }
    free(preempted);
    free(cand);
    free(running);
    return oom ? -1 : 0;
}

int rl_sched_shrink(const int *choices, int n, int preemptions, long budget,
                    rl_shrink_trial_fn run_trial, void *ctx, rl_shrink_result *out)
{
    memmove(out->choices, choices, (size_t)n * sizeof *choices);
    out->n = n;
    out->preemptions = preemptions;
    out->minimal = 1; /* until a bound below is left unexhausted */
    if (greedy(out, budget, run_trial, ctx) != 0)
        return -1;
    for (int bound = 0; bound < out->preemptions; bound++) {
        search_end end = search(bound, budget, run_trial, ctx, out);
        if (end == NO_MEMORY)
            return -1;
        if (end == FOUND)
            break; /* every smaller bound was exhausted: minimal */
        if (end == BUDGET_SPENT) {
            out->minimal = 0;
            break;
        }
    }
    return 0;
}
