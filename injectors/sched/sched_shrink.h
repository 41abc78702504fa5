/* sched_shrink.h — from a failing schedule to one with the fewest preemptions.
 *
 * First a greedy pass: thread-relative lenient replays
 * (rl_strategy_replay_lenient) of the best schedule with its blocks of
 * steps moved so that one preemption goes (or the failing thread's steps
 * moved up to one, cutting off the rest), kept while the trial still fails
 * with fewer preemptions. Then a search that drives the dfs strategy
 * with a rising bound:
 * every schedule with 0 preemptions, then with at most 1, 2, … up to one
 * less than the greedy pass's count. The first failure found is
 * minimal when every smaller bound was exhausted. */
#ifndef RACELAB_SCHED_SHRINK_H
#define RACELAB_SCHED_SHRINK_H

#include "sched_mechanism.h" /* rl_sched_trial */

/* Runs one trial under `strategy` (the caller's state init, rl_sched_use,
 * rl_sched_begin_trial, its threads, rl_sched_end_trial, grading — or, in
 * exec mode, one run of the program following the strategy's prefix);
 * returns 1 when the trial failed. The search needs trial->preemptions and
 * trial->more. */
typedef int (*rl_shrink_trial_fn)(void *ctx, rl_sched_strategy *strategy, rl_sched_trial *trial);

typedef struct {
    int choices[RL_SCHED_MAX_STEPS]; /* the schedule with the fewest preemptions found */
    int n;
    int preemptions;
    int minimal; /* every schedule with fewer preemptions was tried */
} rl_shrink_result;

/* Starts from the failing schedule choices[0..n) with `preemptions`, tries
 * at most `budget` schedules per bound, and leaves the best in `out`. The
 * failing schedule is what the dfs strategy saw (rl_strategy_dfs_seen).
 * Returns 0, or -1 when out of memory. */
int rl_sched_shrink(const int *choices, int n, int preemptions, long budget,
                    rl_shrink_trial_fn run_trial, void *ctx, rl_shrink_result *out);

#endif
