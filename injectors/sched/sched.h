/* sched.h — the controlled scheduler (--mode sched).
 *
 * One thread of a trial runs at a time. Every RL_POINT and every rl_ sync
 * call is a scheduling point: the running thread records what it is about to
 * do, the strategy picks the next thread among the runnable ones, and the
 * baton passes. Locks, condition variables and joins are modelled, so a
 * thread waiting for a held lock is not runnable, and "nobody runnable but
 * somebody unfinished" is a deadlock found at once, without a timeout.
 *
 * A trial's schedule is the sequence of chosen threads; replaying it forces
 * the same choices and, the scenario being deterministic given its
 * schedule, the same outcome. */
#ifndef RACELAB_SCHED_H
#define RACELAB_SCHED_H

#include "../../harness/runtime/internal.h"

#include <setjmp.h>

#define RL_SCHED_MAX_THREADS 16
#define RL_SCHED_MAX_STEPS 20000

typedef enum { RL_STRAT_RANDOM, RL_STRAT_PCT, RL_STRAT_DFS } rl_strategy_kind;

typedef struct {
    rl_strategy_kind kind;
    int depth;       /* pct: bug depth d */
    int preemptions; /* dfs: preemption bound */
} rl_strategy;

/* What the scheduler says about a finished trial. */
typedef struct {
    int deadlock;   /* nobody runnable, somebody unfinished */
    int diverged;   /* a replayed schedule named a thread that could not run */
    int step_limit; /* more than RL_SCHED_MAX_STEPS points: a livelock */
    int steps;
    int preemptions;
    char waits[512]; /* deadlock: who waits for what */
} rl_sched_trial;

extern int rl_sched_active;

int rl_parse_strategy(const char *text, rl_strategy *out);
void rl_format_strategy(const rl_strategy *s, char *buf, size_t len);

/* Controller side (engine_sched.c). */
void rl_sched_setup(const rl_strategy *strategy, uint64_t seed, int actors);
void rl_sched_force(const int *choices, int n); /* replay prefix, NULL to clear */
void rl_sched_begin_trial(void *state, size_t state_size, long long trial, int tracing);
void rl_sched_end_trial(rl_sched_trial *out);
/* The choices of the last trial. */
int rl_sched_choices(const int **choices);
/* dfs: prepare the next schedule; 0 when the bounded space is exhausted. */
int rl_sched_dfs_next(void);
const char *rl_sched_trace(void); /* lines of the last traced trial */

/* Thread side. */
int rl_sched_here(void);                                /* sched mode and a scheduled thread */
void rl_sched_actor_start(int self, jmp_buf *abort_to); /* waits for the baton */
void rl_sched_thread_done(void);
void rl_sched_point(const char *name);
void rl_sched_lock(rl_mutex *m);
int rl_sched_trylock(rl_mutex *m); /* 1 when taken */
void rl_sched_unlock(rl_mutex *m);
void rl_sched_cond_wait(rl_cond *c, rl_mutex *m);
void rl_sched_cond_wake(rl_cond *c, int all);
int rl_sched_spawn(pthread_t *t, int detached, void *(*fn)(void *), void *arg);
void *rl_sched_join(pthread_t t);

/* Schedules as text: "0.0.1.1.1.0" run-length encoded as "0*2.1*3.0". */
void rl_schedule_format(const int *choices, int n, char *buf, size_t len);
int rl_schedule_parse(const char *text, int *choices, int max);

#endif
