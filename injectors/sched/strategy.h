/* strategy.h — how the controlled scheduler chooses who runs next.
 *
 * A strategy sits behind one small interface, as in shuttle and loom: the
 * mechanism (sched_mechanism.h) tells it that a trial begins, asks it at every
 * scheduling point which of the runnable threads runs next, and tells it
 * that the trial is over; the strategy answers whether it has another
 * schedule to try. A strategy knows nothing of threads, locks or who drives
 * the mechanism: only steps, thread ids and runnable sets.
 *
 * What a strategy gets at each point (rl_sched_decision):
 *   - step: 0, 1, … within the trial (every choice is a step);
 *   - current: the thread that reached the point, -1 before the first step;
 *   - runnable: the threads that may run next, a bitmap of ids up to
 *     RL_SCHED_MAX_THREADS (thread_set.h: rl_tset_has, _count, _first,
 *     _nth, _next, _last), never empty; it may hold threads spawned since
 *     the trial began, and lacks `current` when that thread has just
 *     blocked or ended;
 *   - yielding: 1 when `current` gives way here. It reached a sched_yield,
 *     a sleep of 10 ms or less, the call after a failed trylock or a
 *     timed-out wait, or (racelab cc builds) the same access again: it spins
 *     on something another thread must do. Only the second such point in a
 *     row and later count (no other call of the thread between them but
 *     trylocks): a single yield is an ordinary point, a yield in a spin loop
 *     gives way. Fair strategies then run another runnable thread (CHESS's
 *     fair scheduling; shuttle's PCT lowers a yielding task's priority):
 *     random picks among the others, pct drops the yielder below every
 *     thread, dfs and replay's default move on to the next runnable id. A
 *     switch at a yielding point is not a preemption (rl_sched_preempts);
 *   - exiting: 1 when `current` is about to end the whole process (a return
 *     from main, exit, _exit, quick_exit): the last chance for the others to
 *     run, as the OS might let them.
 *   - events: what each thread does when it runs next (its pending event),
 *     indexed by thread id, for every id below the trial's thread count (a
 *     blocked thread's is the call it blocked in): the kind, the object it
 *     is about (a mutex's or condition's address, a racelab cc build's
 *     memory address, a joined thread's id + 1; 0 when none) and whether it
 *     writes it. Two pending events race (rl_sched_events_race) when they
 *     are about the same object and one writes; a lock, unlock, wait or wake
 *     counts as a write of its object; and its site, a stable id of the
 *     code location it comes from (sched_sites.c: the caller's offset in
 *     its module, mixed with the module's name, so the same in every
 *     process despite ASLR; a scenario point's name; 0 when unknown). A
 *     strategy may ignore it (random, pct, dfs do; pos re-draws the
 *     priorities of the events that race with the one that ran; fuzz also
 *     delays events by site). NULL when the driver does not give them.
 * Ids are dense: threads 0..threads-1 begin a trial, each spawn takes the
 * next id, and an id is never reused within a trial. choose is called once
 * a step, in order; a strategy must choose the same for the same seed and
 * the same decisions, or replay and shrink cannot follow it. In exec mode
 * each run is a process: the strategy is made afresh in it from the run's
 * seed, and what earlier runs taught it arrives as one trial_done(steps)
 * before the run (the longest run so far); dfs lives in the driver instead
 * and is fed each run's decisions from its report (exec_sched.c), and so
 * does fuzz's corpus, each run obeying the abstract schedule it is given
 * and reporting the reads-from pairs it observed (exec_fuzz.c). */
#ifndef RACELAB_SCHED_STRATEGY_H
#define RACELAB_SCHED_STRATEGY_H

#include "sched_limits.h"
#include "thread_set.h"

#include <stdint.h>

/* A thread's pending event (see above). */
typedef enum {
    RL_EV_NONE,   /* not known: a plain point, a yield, a sleep */
    RL_EV_START,  /* a new thread's first step */
    RL_EV_LOCK,   /* lock, trylock, a condition wait's re-lock */
    RL_EV_UNLOCK, /* unlock */
    RL_EV_WAIT,   /* a condition wait */
    RL_EV_WAKE,   /* signal, broadcast */
    RL_EV_SPAWN,  /* thread creation */
    RL_EV_JOIN,   /* join: object is the joined thread's id + 1 */
    RL_EV_ACCESS, /* a racelab cc build's memory access */
    RL_EV_EXIT    /* the end of a thread or of the process */
} rl_sched_event_kind;

typedef struct {
    rl_sched_event_kind kind;
    uintptr_t object;
    int write;
    uint64_t site; /* where it comes from (see above), 0: unknown */
} rl_sched_event;

/* A reads-from pair the mechanism observed (sched_observe.c): an event at
 * `read` saw what an event at `write` left (0: nothing before it). */
typedef struct {
    uint64_t write, read;
} rl_sched_pair;

static inline int rl_sched_events_race(const rl_sched_event *a, const rl_sched_event *b)
{
    return a->object != 0 && a->object == b->object && (a->write || b->write);
}

/* One scheduling point, as the strategy sees it (see above). */
typedef struct {
    int step;
    int current;
    const rl_thread_set *runnable;
    int yielding;
    int exiting;
    const rl_sched_event *events; /* [thread id], or NULL */
} rl_sched_decision;

typedef struct rl_sched_strategy rl_sched_strategy;
struct rl_sched_strategy {
    /* A trial begins with threads 0..threads-1, all runnable. */
    void (*new_trial)(rl_sched_strategy *self, int threads);
    /* The thread to run at the point `d` (see above). Returns a thread of
     * d->runnable; anything else means the schedule cannot be followed, and
     * the mechanism ends the trial as diverged. */
    int (*choose)(rl_sched_strategy *self, const rl_sched_decision *d);
    /* The trial is over after `steps` steps. Returns 1 when there is another
     * schedule to try, 0 when the strategy's space is exhausted. */
    int (*trial_done)(rl_sched_strategy *self, int steps);
    void (*destroy)(rl_sched_strategy *self);
    /* The reads-from pairs the trial observed, told before trial_done; NULL
     * for a strategy that does not learn from them (all but fuzz). */
    void (*observe)(rl_sched_strategy *self, const rl_sched_pair *pairs, int n);
};

/* A strategy as the user names it (schedule_text.h parses and prints it). */
typedef enum {
    RL_STRAT_RANDOM,
    RL_STRAT_PCT,
    RL_STRAT_DFS,
    RL_STRAT_POS,
    RL_STRAT_FUZZ
} rl_strategy_kind;
typedef struct {
    rl_strategy_kind kind;
    int depth;       /* pct: bug depth d */
    int preemptions; /* dfs: preemption bound */
} rl_strategy;

/* The strategies; each returns NULL when out of memory. */
rl_sched_strategy *rl_strategy_random(uint64_t seed);         /* uniform among runnable */
rl_sched_strategy *rl_strategy_pct(uint64_t seed, int depth); /* PCT, bug depth d */
rl_sched_strategy *rl_strategy_dfs(int preemption_bound);     /* bounded exhaustive */
rl_sched_strategy *rl_strategy_pos(uint64_t seed); /* partial order sampling (strategy_pos.c) */
/* Greybox schedule fuzzing (strategy_fuzz.c, fuzz_corpus.h): a corpus of
 * abstract schedules kept across trials, each trial one of them mutated. */
rl_sched_strategy *rl_strategy_fuzz(uint64_t seed);
/* The trial `s` just ran was graded: failed (a forbidden outcome or a hang)
 * or not. The in-process fuzz strategy feeds it to its corpus (a schedule
 * that failed is kept and gets more energy); a no-op for every other
 * strategy, and for a trial never graded (it is then fed as not failed
 * when the next trial begins). */
void rl_strategy_judged(rl_sched_strategy *s, int failed);
/* A dfs strategy's forced choices for its next trial, and their number (a
 * driver that runs each trial in another process passes them on). */
int rl_strategy_dfs_prefix(const rl_sched_strategy *dfs, const int **prefix);
/* The choices a dfs strategy made in its last trial, and their number. */
int rl_strategy_dfs_seen(const rl_sched_strategy *dfs, const int **choices);
/* Follows `choices` (copied), then keeps the running thread. */
rl_sched_strategy *rl_strategy_replay(const int *choices, int n);
/* The same, leniently (the shrink's greedy pass): `choices` read as
 * entries "thread T takes its next step", followed thread-relatively
 * (strategy_replay.c); a choice of -1 is no entry. may_preempt[i] (NULL:
 * every one) says whether entry i may preempt the running thread; when it
 * may not, the running thread goes on while it can. Never diverges. */
rl_sched_strategy *rl_strategy_replay_lenient(const int *choices, const unsigned char *may_preempt,
                                              int n);
/* A lenient replay's given choices and marks, and their number; -1 for any
 * other strategy (a driver that runs each trial in another process passes
 * them on, marked lenient). */
int rl_strategy_lenient_given(const rl_sched_strategy *s, const int **choices,
                              const unsigned char **may_preempt);
/* What a lenient replay did in its last trial: the choice, the running
 * thread and whether it preempted, per step; their number, or -1 for any
 * other strategy. */
int rl_strategy_lenient_seen(const rl_sched_strategy *s, const int **choices, const int **current,
                             const unsigned char **preempted);
/* The strategy a spec names. */
rl_sched_strategy *rl_strategy_make(const rl_strategy *spec, uint64_t seed);
void rl_strategy_free(rl_sched_strategy *s); /* NULL is fine */

/* Whether running `choice` at point `d` preempts the current thread (it
 * could have gone on, and did not give way). */
static inline int rl_sched_preempts(const rl_sched_decision *d, int choice)
{
    return d->current >= 0 && !d->yielding && rl_tset_has(d->runnable, d->current) &&
           choice != d->current;
}

/* The non-preemptive choice: the current thread while it can run and does
 * not give way; at a yielding point the next runnable thread after it (by
 * id, cyclically: every other thread gets its turn before the yielder);
 * else the lowest runnable one. */
static inline int rl_sched_keep_current(const rl_sched_decision *d)
{
    if (d->current >= 0 && d->yielding)
        return rl_tset_next_after(d->runnable, d->current);
    return rl_tset_has(d->runnable, d->current) ? d->current : rl_tset_first(d->runnable);
}

#endif
