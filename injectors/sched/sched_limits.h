/* sched_limits.h — the controlled scheduler's fixed sizes. */
#ifndef RACELAB_SCHED_LIMITS_H
#define RACELAB_SCHED_LIMITS_H

/* Threads of one trial, actors and spawned together (runnable sets are
 * rl_thread_set bitmaps, thread_set.h). A schedule naming a higher thread is
 * refused when parsed; in exec mode a thread started past it runs
 * unscheduled (exec.unscheduled). */
#define RL_SCHED_MAX_THREADS 1024
/* Scheduling points of one trial; a trial reaching it is a livelock (exec
 * mode goes on, unrecorded: see rl_sched_hooks.unbounded). */
#define RL_SCHED_MAX_STEPS 20000

#endif
