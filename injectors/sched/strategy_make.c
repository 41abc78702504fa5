/* strategy_make.c — the strategy a parsed spec names, and freeing one. */
#include "strategy.h"

#include <stddef.h>

rl_sched_strategy *rl_strategy_make(const rl_strategy *spec, uint64_t seed)
{
    switch (spec->kind) {
    case RL_STRAT_RANDOM: return rl_strategy_random(seed);
    case RL_STRAT_PCT: return rl_strategy_pct(seed, spec->depth);
    case RL_STRAT_DFS: return rl_strategy_dfs(spec->preemptions);
    case RL_STRAT_POS: return rl_strategy_pos(seed);
    case RL_STRAT_FUZZ: return rl_strategy_fuzz(seed);
    }
    return NULL;
}

void rl_strategy_free(rl_sched_strategy *s)
{
    if (s != NULL)
        s->destroy(s);
}
