/* sched_shrink.c — the shrink search (sched_shrink.h). */
#include "sched_shrink.h"

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

int rl_sched_shrink(const int *choices, int n, int preemptions, long budget,
                    rl_shrink_trial_fn run_trial, void *ctx, rl_shrink_result *out)
{
    memmove(out->choices, choices, (size_t)n * sizeof *choices);
    out->n = n;
    out->preemptions = preemptions;
    out->minimal = 1; /* until a bound below is left unexhausted */
    for (int bound = 0; bound < preemptions; bound++) {
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
