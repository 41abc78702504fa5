/* sched_mechanism.h — the controlled scheduler's mechanism (--mode sched).
 *
 * One thread of a trial runs at a time: it holds the baton. Every point and
 * every modelled synchronisation call is a scheduling point where the
 * strategy (strategy.h) picks the next thread among the runnable ones and
 * the baton passes. Mutexes, condition variables, spawn and join are
 * modelled here, keyed by the object's address, never taken for real, so a
 * thread waiting for a held mutex is not runnable, and "nobody runnable but
 * somebody unfinished" is a deadlock found at once, with who waits for what.
 *
 * The mechanism does not know who drives it. A driver (the scenario runtime
 * today, exec mode's preloaded library later) sets it up, starts and ends
 * trials, and makes its threads run their part through rl_sched_run_thread;
 * its synchronisation wrappers call the modelled operations below instead
 * of pthreads while rl_sched_here() is true. */
#ifndef RACELAB_SCHED_MECHANISM_H
#define RACELAB_SCHED_MECHANISM_H

#include "sched_limits.h"
#include "strategy.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* What the mechanism says about a finished trial. */
typedef struct {
    int deadlock;    /* nobody runnable, somebody unfinished */
    int diverged;    /* the strategy named a thread that could not run (replay) */
    int diverged_to; /* diverged: the thread it named, and how many threads there were */
    int threads;
    int step_limit; /* a livelock: more than RL_SCHED_TRIAL_STEPS points, or threads
                       giving way to each other for long (`waits` names them) */
    int steps;
    int preemptions;
    int more;         /* the strategy has another schedule to try */
    int left_control; /* threads that left control (rl_sched_hooks.stalled) */
    char waits[512];  /* deadlock: "T0 waits for X held by T1; …"; livelock: who yields */
} rl_sched_trial;

/* Set by rl_sched_setup; 0 again in a forked child (which runs unscheduled). */
extern int rl_sched_active;

/* ---- the driver's side ---------------------------------------------------
 * Called from a thread outside the trial, between trials. */

/* Trials start with threads 0..threads-1; `seed` seeds rl_sched_thread_seed. */
void rl_sched_setup(int threads, uint64_t seed);
/* The strategy for the trials that follow (the caller keeps ownership). */
void rl_sched_use(rl_sched_strategy *strategy);
/* Starts a trial: the first thread chosen gets the baton. Addresses inside
 * [state, state + state_size) are named by offset in traces ("cond@state+72")
 * unless the object was given a name; with `tracing`, every step is traced. */
void rl_sched_begin_trial(const void *state, size_t state_size, int tracing);
/* Waits until every thread of the trial has left, joins the spawned threads
 * nobody joined, and tells the strategy the trial is over. */
void rl_sched_end_trial(rl_sched_trial *out);
/* The choices of the last trial (its schedule), and their number. */
int rl_sched_choices(const int **choices);
const char *rl_sched_trace(void); /* lines of the last traced trial */
/* The seed of the trial's thread `id`: rl_thread_seed of the setup seed, the
 * formula every engine uses for its actors. */
uint64_t rl_sched_thread_seed(int id);

/* ---- the threads' side --------------------------------------------------- */

/* The calling thread is one of a trial's threads under the scheduler. */
int rl_sched_here(void);
/* Runs thread `id`'s part of a trial: waits for the baton, runs body(arg),
 * ends. Returns when the part is over, or at once when the trial is aborted
 * (deadlock, divergence, livelock): body's frames are then abandoned. */
void rl_sched_run_thread(int id, void (*body)(void *arg), void *arg);

void rl_sched_point(const char *name);
/* A point before a memory access of `addr` (a racelab cc build's): the
 * thread's pending event says so (strategy.h), for strategies that look. */
void rl_sched_access_point(const char *name, const void *addr, int write);
/* A point where the calling thread gives way (sched_yield, a short sleep):
 * the strategy sees it as yielding (strategy.h) and runs another thread. */
void rl_sched_yield_point(const char *name);
/* The calling thread spins (its trylock failed, its timed wait timed out):
 * its next point is yielding. */
void rl_sched_spinning(void);
/* A point just before the calling thread ends the process (exit, a return
 * from main): every other runnable thread may run there first. */
void rl_sched_exit_point(const char *name);
/* Mutexes and conditions are known by address; `name` (or NULL) labels
 * them in traces and deadlock reports. */
void rl_sched_lock(const void *mutex, const char *name, int recursive);
int rl_sched_trylock(const void *mutex, const char *name, int recursive); /* 1 when taken */
void rl_sched_unlock(const void *mutex, const char *name);
void rl_sched_cond_wait(const void *cond, const char *cond_name, const void *mutex,
                        const char *mutex_name);
void rl_sched_cond_wake(const void *cond, const char *name, int all);
/* A timed wait: it times out (returns 1) only when nobody else can run. */
int rl_sched_cond_timedwait(const void *cond, const char *cond_name, const void *mutex,
                            const char *mutex_name);

/* Spawning is three steps, so that the driver creates the thread with its
 * own start routine: prepare (a scheduling point) gives the new thread's id,
 * or -1 when the trial has RL_SCHED_MAX_THREADS already; the driver then
 * calls pthread_create, whose routine calls rl_sched_run_thread(id, …); and
 * rl_sched_spawn_done gives the mechanism the result (rc 0: `*thread`). */
int rl_sched_spawn_prepare(int detached);
void rl_sched_spawn_done(int id, const pthread_t *thread, int rc);
/* Joins for real once the modelled thread has ended; a thread not of this
 * trial is joined at once. */
void *rl_sched_join(pthread_t thread);

/* ---- a driver whose threads live in a program it does not control -------
 * Exec mode's preloaded library: the trial is the whole process, its main
 * thread is thread 0, and a thread may block in a call the driver does not
 * model (read, poll, a raw futex). The scenario runtime uses none of this. */

typedef struct {
    /* Every choice as it is made: the schedule, with what the strategy saw. */
    void (*step)(const rl_sched_decision *d, int choice);
    /* The trial is aborted (deadlock, divergence, livelock), as `t` says.
     * When set, it is called instead of the longjmp and must not return. */
    void (*abort)(const rl_sched_trial *t);
    /* Whether thread `id`, which holds the baton and has reached no
     * scheduling point for RL_SCHED_STALL_TICKS ticks, is blocked in a call
     * the driver does not model. When set, waiting threads ask every tick,
     * and a stalled thread leaves control: the baton passes on without it,
     * and it rejoins at its next rl_sched_enter. NULL: threads never leave. */
    int (*stalled)(int id);
    void (*left)(int id); /* thread `id` has left control */
    /* Whether thread `id`, which holds the baton and has reached no point
     * for RL_SCHED_SPIN_TICKS ticks, is running (not asleep): a spin outside
     * any call, as on a plain flag. It then leaves control too, as the OS
     * would preempt it, and `spun` is told where its last call was (NULL:
     * it made none; `start`, its start routine). NULL: never. */
    int (*running)(int id);
    void (*spun)(int id, const void *last_site);
    /* 1: a trial may take more than RL_SCHED_TRIAL_STEPS steps (a whole
     * program): the steps past it are chosen as usual but not recorded, so
     * rl_sched_choices and the step hook stop there (the hook still sees
     * every step number); 0: a trial reaching it is a livelock. Either way,
     * threads giving way to each other for long are a livelock. */
    int unbounded;
    /* Each new reads-from pair of the trial as it is observed (strategy.h;
     * the strategy's observe gets them all at the trial's end). */
    void (*observed)(const rl_sched_pair *pair);
} rl_sched_hooks;

#define RL_SCHED_STALL_TICK 0.02 /* seconds */
#define RL_SCHED_STALL_TICKS 5
#define RL_SCHED_SPIN_TICKS 25 /* 0.5 s without a point while running */

void rl_sched_set_hooks(const rl_sched_hooks *hooks);
/* Traced lines go into buf[0..cap) instead of the mechanism's own buffer. */
void rl_sched_trace_into(char *buf, size_t cap);
/* The calling thread becomes thread `id` without a part to run (the main
 * thread of a program): waits for its turn, then returns to its caller. */
void rl_sched_adopt(int id);
/* The calling thread's part ends here (pthread_exit), as if its body returned. */
void rl_sched_thread_end(void);
/* Around every modelled call when threads may leave control: enter returns
 * once the caller holds the baton (rejoining if it had left control); exit
 * says it runs its own code again. No-ops without rl_sched_hooks.stalled. */
void rl_sched_enter(void);
void rl_sched_exit(void);
/* Where the calling thread's modelled call comes from (a return address):
 * traces and deadlock reports add " [pc 0x…]"; NULL: nothing. */
void rl_sched_site(const void *caller);
/* The same for the event's site only (strategy.h), traces unchanged: the
 * scenario runtime's wrappers give their caller. */
void rl_sched_site_hint(const void *caller);

#endif
