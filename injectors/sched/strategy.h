/* strategy.h — how the controlled scheduler chooses who runs next.
 *
 * A strategy sits behind one small interface, as in shuttle and loom: the
 * mechanism (sched_mechanism.h) tells it that a trial begins, asks it at every
 * scheduling point which of the runnable threads runs next, and tells it
 * that the trial is over; the strategy answers whether it has another
 * schedule to try. A strategy knows nothing of threads, locks or who drives
 * the mechanism: only steps, thread ids and runnable sets. */
#ifndef RACELAB_SCHED_STRATEGY_H
#define RACELAB_SCHED_STRATEGY_H

#include "sched_limits.h"

#include <stdint.h>

typedef struct rl_sched_strategy rl_sched_strategy;
struct rl_sched_strategy {
    /* A trial begins with threads 0..threads-1, all runnable. */
    void (*new_trial)(rl_sched_strategy *self, int threads);
    /* The thread to run at `step` (0, 1, … within the trial). `runnable` is
     * a mask of thread ids, never 0, and may hold threads spawned since the
     * trial began. `current` is the thread that reached the point (-1 before
     * the first step); it is absent from `runnable` when it has just blocked
     * or ended. Returns a thread of `runnable`; anything else means the
     * schedule cannot be followed, and the mechanism ends the trial as
     * diverged. */
    int (*choose)(rl_sched_strategy *self, int step, int current, uint32_t runnable);
    /* The trial is over after `steps` steps. Returns 1 when there is another
     * schedule to try, 0 when the strategy's space is exhausted. */
    int (*trial_done)(rl_sched_strategy *self, int steps);
    void (*destroy)(rl_sched_strategy *self);
};

/* A strategy as the user names it (schedule_text.h parses and prints it). */
typedef enum { RL_STRAT_RANDOM, RL_STRAT_PCT, RL_STRAT_DFS } rl_strategy_kind;
typedef struct {
    rl_strategy_kind kind;
    int depth;       /* pct: bug depth d */
    int preemptions; /* dfs: preemption bound */
} rl_strategy;

/* The strategies; each returns NULL when out of memory. */
rl_sched_strategy *rl_strategy_random(uint64_t seed);         /* uniform among runnable */
rl_sched_strategy *rl_strategy_pct(uint64_t seed, int depth); /* PCT, bug depth d */
rl_sched_strategy *rl_strategy_dfs(int preemption_bound);     /* bounded exhaustive */
/* A dfs strategy's forced choices for its next trial, and their number (a
 * driver that runs each trial in another process passes them on). */
int rl_strategy_dfs_prefix(const rl_sched_strategy *dfs, const int **prefix);
/* The choices a dfs strategy made in its last trial, and their number. */
int rl_strategy_dfs_seen(const rl_sched_strategy *dfs, const int **choices);
/* Follows `choices` (copied), then keeps the running thread. */
rl_sched_strategy *rl_strategy_replay(const int *choices, int n);
/* The strategy a spec names. */
rl_sched_strategy *rl_strategy_make(const rl_strategy *spec, uint64_t seed);
void rl_strategy_free(rl_sched_strategy *s); /* NULL is fine */

/* Whether running `choice` at a point reached by `current` preempts it
 * (it could have gone on). */
static inline int rl_sched_preempts(int current, uint32_t runnable, int choice)
{
    return current >= 0 && (runnable & (1u << current)) && choice != current;
}

/* The non-preemptive choice: the current thread while it can run, else the
 * lowest runnable one. */
static inline int rl_sched_keep_current(int current, uint32_t runnable)
{
    return current >= 0 && (runnable & (1u << current)) ? current : __builtin_ctz(runnable);
}

#endif
