/* sched_limits.h — the controlled scheduler's fixed sizes. */
#ifndef RACELAB_SCHED_LIMITS_H
#define RACELAB_SCHED_LIMITS_H

/* Threads of one trial, actors and spawned together (runnable sets are
 * 32-bit masks). A schedule naming a higher thread is refused when parsed. */
#define RL_SCHED_MAX_THREADS 16
/* Scheduling points of one trial; a trial reaching it is a livelock. */
#define RL_SCHED_MAX_STEPS 20000

#endif
