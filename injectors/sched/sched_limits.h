/* sched_limits.h — the controlled scheduler's fixed sizes. */
#ifndef RACELAB_SCHED_LIMITS_H
#define RACELAB_SCHED_LIMITS_H

/* Threads of one trial, actors and spawned together (runnable sets are
 * rl_thread_set bitmaps, thread_set.h). A schedule naming a higher thread is
 * refused when parsed; in exec mode a thread started past it runs
 * unscheduled (exec.unscheduled). */
#define RL_SCHED_MAX_THREADS 1024
/* Scheduling points a schedule records: the longest schedule replayed,
 * shrunk or searched (exec mode: a run past it goes on, unrecorded, see
 * rl_sched_hooks.unbounded). 100,000: 1,023 threads taking one contended
 * mutex each under random take about 40,000. */
#define RL_SCHED_MAX_STEPS 100000
/* Reads-from pairs a trial keeps (sched_observe.c), each once. */
#define RL_SCHED_MAX_PAIRS 4096
/* Scheduling points of a bounded trial (a scenario's): one reaching it is a
 * livelock, and a scenario's schedules are at most this long. */
#define RL_SCHED_TRIAL_STEPS 20000

#endif
