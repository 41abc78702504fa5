/* engine.h — what the batched and naive engines share: the run's shared
 * bookkeeping, per-trial grading, and the watchdog on the main thread. */
#ifndef RACELAB_ENGINE_H
#define RACELAB_ENGINE_H

#include "../common/gate.h"
#include "internal.h"

/* Per-thread tallies, padded so that graders do not share cache lines. */
typedef struct {
    unsigned long long counts[RL_MAX_OUTCOMES];
    long long first_failure_trial;
    int first_failure_outcome;
    double first_failure_seconds;
    char pad[64];
} rl_tally;

typedef struct {
    _Atomic long long trial; /* the trial this actor is in, -1 when idle */
    char pad[56];
} rl_position;

typedef struct {
    const rl_scenario *sc;
    const rl_config *cfg;
    double start;
    _Atomic uint32_t progress; /* bumped after every batch (futex word) */
    _Atomic uint32_t finished;
    _Atomic int interrupted;
    _Atomic int failed; /* a forbidden outcome was graded (--until-fail) */
    /* For the progress feed (progress.c), read by the watchdog while the
     * trials go on: the trials published, the forbidden outcomes graded. */
    _Atomic unsigned long long live_trials, live_failures;
    rl_tally tally[RL_MAX_ACTORS];
    rl_position position[RL_MAX_ACTORS];
    unsigned long long trials_graded; /* written by the leader only */
    unsigned long long graded;        /* trials whose tallies are published */
    int batch_max;
    double hung_since; /* watchdog: the last progress before a hang (rl_now()) */
} rl_run;

void rl_run_begin(rl_run *run, const rl_scenario *sc, const rl_config *cfg);
/* Grade one finished trial into a tally. */
void rl_grade_trial(rl_run *run, rl_tally *t, void *state, long long trial, double seconds);
/* A forbidden outcome (a sched target) was graded: --until-fail stops, the
 * progress feed counts it. */
void rl_run_note_failure(rl_run *run);
/* The graded trials' tallies published to the watchdog: called by the one
 * thread that grades, after every batch (every trial in the naive and sched
 * engines). */
void rl_run_publish(rl_run *run);
/* progress.c: RACELAB_PROGRESS_FD (-1 without it; a bad value ends the
 * process, status 2), and one "progress TRIALS FAILURES" line to it. */
int rl_progress_fd(void);
void rl_progress_send(int fd, unsigned long long trials, unsigned long long failures);
/* Whether the budget is spent after `done` trials. */
int rl_budget_spent(rl_run *run, unsigned long long done);
/* Runs on the main thread until `finished` is set. On a hang it fills
 * `out`, prints the record and exits the process. */
void rl_watch(rl_run *run, rl_result *out);
/* After the workers are joined: the run's result. */
void rl_run_collect(rl_run *run, rl_result *out, int hung);
/* stress+fuzz mode: the earlier half's result (NULL in the first half),
 * added into every later collect (the watchdog's too, so a hang in the
 * second half keeps the first half's counts), and the mode of the half
 * running now (NULL: not a stress+fuzz run). */
void rl_run_carry(const rl_result *earlier, const char *earlier_mode, const char *this_mode);
/* Called by the worker that ends the run. */
void rl_run_finish(rl_run *run);

#endif
