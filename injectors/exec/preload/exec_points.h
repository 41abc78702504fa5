/* exec_points.h — the points of exec mode's preloaded library and the
 * environment through which the driver configures it. Shared by the library
 * (injectors/exec/preload) and the driver (racelab exec): one table.
 *
 * Every interposed call is one point, named FAMILY/CALL. A spec on a point
 * acts before the call and again after it returns, each time with its own
 * draw. C11 threads (mtx_*, cnd_*, thrd_*) reach the same points as the
 * pthread calls glibc builds them on.
 *
 * Environment (set by `racelab exec` for each run; docs/racelab-exec.1.md):
 *   RACELAB_EXEC_MODE    noise or sched (absent or empty: the library only
 *                        passes calls on)
 *   RACELAB_EXEC_SEED    the run's seed, a decimal number
 *   RACELAB_EXEC_STRATEGY   sched: random or pct:D, seeded by the run's seed;
 *                        dfs:B follows RACELAB_EXEC_SCHEDULE (the search is
 *                        the driver's: it passes each run's prefix)
 *   RACELAB_EXEC_SCHEDULE   sched: a schedule to follow (schedule_text.h),
 *                        then the running thread kept; instead of a strategy
 *   RACELAB_EXEC_STEPS   sched: the most steps an earlier run of the
 *                        invocation took (pct draws its change points below it)
 *   RACELAB_EXEC_TRACE   sched: 1 to trace every step into the report
 *                        (exec_sched_report.h)
 *   RACELAB_EXEC_INJECT  the specs in force, PATTERN:ACTION[=ARG][,p=P], one a line
 *   RACELAB_EXEC_REPORT  path prefix: PREFIX.<pid>.start when a process starts,
 *                        PREFIX.<pid> (its counts) when it exits
 *   RACELAB_EXEC_PARENT  the driver's pid: the run's own process dies with it
 */
#ifndef RACELAB_EXEC_POINTS_H
#define RACELAB_EXEC_POINTS_H

#define RL_EXEC_ENV_MODE "RACELAB_EXEC_MODE"
#define RL_EXEC_ENV_SEED "RACELAB_EXEC_SEED"
#define RL_EXEC_ENV_INJECT "RACELAB_EXEC_INJECT"
#define RL_EXEC_ENV_REPORT "RACELAB_EXEC_REPORT"
#define RL_EXEC_ENV_PARENT "RACELAB_EXEC_PARENT"
#define RL_EXEC_ENV_STRATEGY "RACELAB_EXEC_STRATEGY"
#define RL_EXEC_ENV_SCHEDULE "RACELAB_EXEC_SCHEDULE"
/* "1": follow the schedule leniently (the shrink's greedy pass) */
#define RL_EXEC_ENV_LENIENT "RACELAB_EXEC_LENIENT"
/* lenient: which schedule entries may preempt, as a schedule of 0s and 1s
 * ("1*12.0.1*3"); empty: every one */
#define RL_EXEC_ENV_MAY_PREEMPT "RACELAB_EXEC_MAY_PREEMPT"
#define RL_EXEC_ENV_TRACE "RACELAB_EXEC_TRACE"
#define RL_EXEC_ENV_STEPS "RACELAB_EXEC_STEPS"
/* --strategy fuzz: the abstract schedule the run obeys (fuzz_corpus.h) */
#define RL_EXEC_ENV_FUZZ "RACELAB_EXEC_FUZZ"
/* The fork server's control socket, an fd number (forkserver.c) */
#define RL_EXEC_ENV_FORKSERVER "RACELAB_EXEC_FORKSERVER"
/* --pin: the processor a run's threads keep to, by its place in the driver's
 * affinity mask (slot mod count) */
#define RL_EXEC_ENV_PIN "RACELAB_EXEC_PIN"
#define RL_EXEC_FORKSERVER_FD 198

/* X(ID, name, meaning) */
#define RL_EXEC_POINTS(X)                                                                          \
    X(MUTEX_LOCK, "pthread/mutex_lock", "pthread_mutex_lock, mtx_lock")                            \
    X(MUTEX_TRYLOCK, "pthread/mutex_trylock", "pthread_mutex_trylock, mtx_trylock")                \
    X(MUTEX_TIMEDLOCK, "pthread/mutex_timedlock", "pthread_mutex_timedlock, mtx_timedlock")        \
    X(MUTEX_UNLOCK, "pthread/mutex_unlock", "pthread_mutex_unlock, mtx_unlock")                    \
    X(COND_WAIT, "pthread/cond_wait", "pthread_cond_wait, cnd_wait")                               \
    X(COND_TIMEDWAIT, "pthread/cond_timedwait", "pthread_cond_timedwait, cnd_timedwait")           \
    X(COND_SIGNAL, "pthread/cond_signal", "pthread_cond_signal, cnd_signal")                       \
    X(COND_BROADCAST, "pthread/cond_broadcast", "pthread_cond_broadcast, cnd_broadcast")           \
    X(CREATE, "pthread/create", "pthread_create, thrd_create (in the creating thread)")            \
    X(START, "pthread/start", "a new thread, before its start routine runs")                       \
    X(JOIN, "pthread/join", "pthread_join, thrd_join")                                             \
    X(EXIT, "pthread/exit", "pthread_exit, thrd_exit (before only)")                               \
    X(RWLOCK_RDLOCK, "pthread/rwlock_rdlock", "pthread_rwlock_rdlock")                             \
    X(RWLOCK_TRYRDLOCK, "pthread/rwlock_tryrdlock", "pthread_rwlock_tryrdlock")                    \
    X(RWLOCK_TIMEDRDLOCK, "pthread/rwlock_timedrdlock", "pthread_rwlock_timedrdlock")              \
    X(RWLOCK_WRLOCK, "pthread/rwlock_wrlock", "pthread_rwlock_wrlock")                             \
    X(RWLOCK_TRYWRLOCK, "pthread/rwlock_trywrlock", "pthread_rwlock_trywrlock")                    \
    X(RWLOCK_TIMEDWRLOCK, "pthread/rwlock_timedwrlock", "pthread_rwlock_timedwrlock")              \
    X(RWLOCK_UNLOCK, "pthread/rwlock_unlock", "pthread_rwlock_unlock")                             \
    X(SEM_WAIT, "sem/wait", "sem_wait")                                                            \
    X(SEM_TRYWAIT, "sem/trywait", "sem_trywait")                                                   \
    X(SEM_TIMEDWAIT, "sem/timedwait", "sem_timedwait")                                             \
    X(SEM_POST, "sem/post", "sem_post")                                                            \
    X(SCHED_YIELD, "sched/yield", "sched_yield, thrd_yield")                                       \
    X(NANOSLEEP, "sleep/nanosleep", "nanosleep, thrd_sleep")                                       \
    X(CLOCK_NANOSLEEP, "sleep/clock_nanosleep", "clock_nanosleep")                                 \
    X(USLEEP, "sleep/usleep", "usleep")                                                            \
    X(SLEEP, "sleep/sleep", "sleep")                                                               \
    X(PROCESS_EXIT, "process/exit", "exit, _exit, _Exit, quick_exit, a return from main")          \
    X(MEM_READ, "mem/read", "a load instrumented by racelab cc (exec_access.h)")                   \
    X(MEM_WRITE, "mem/write", "a store instrumented by racelab cc")                                \
    X(MEM_ATOMIC, "mem/atomic", "an atomic access instrumented by racelab cc")

typedef enum {
#define RL_EXEC_POINT_ENUM(id, name, meaning) RL_EXEC_##id,
    RL_EXEC_POINTS(RL_EXEC_POINT_ENUM)
#undef RL_EXEC_POINT_ENUM
        RL_EXEC_N_POINTS
} rl_exec_point;

/* The point's name ("pthread/mutex_lock"), or NULL out of range. */
static inline const char *rl_exec_point_name(int point)
{
    static const char *const names[] = {
#define RL_EXEC_POINT_NAME(id, name, meaning) name,
        RL_EXEC_POINTS(RL_EXEC_POINT_NAME)
#undef RL_EXEC_POINT_NAME
    };
    return point >= 0 && point < RL_EXEC_N_POINTS ? names[point] : (const char *)0;
}

/* Which calls reach it. */
static inline const char *rl_exec_point_meaning(int point)
{
    static const char *const meanings[] = {
#define RL_EXEC_POINT_MEANING(id, name, meaning) meaning,
        RL_EXEC_POINTS(RL_EXEC_POINT_MEANING)
#undef RL_EXEC_POINT_MEANING
    };
    return point >= 0 && point < RL_EXEC_N_POINTS ? meanings[point] : (const char *)0;
}

#endif
