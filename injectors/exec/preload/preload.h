/* preload.h — the inside of libracelab-exec.so (not for programs).
 *
 *   real.c     the real functions behind the interposers (dlsym RTLD_NEXT)
 *   config.c   the environment: mode, seed, the spec acting on each point
 *   threads.c  each thread's index, generator and counters; start trampolines
 *   event.c    rl_exec_event: the one hook every interposed call goes through
 *   callers.c  which calls come from libfiu's own libraries (passed through)
 *   report.c   per-process counts, written at exit; fork and exec noticed
 *   forkserver.c  the fork server: each run a fork taken in the constructor
 *   sched.c    sched mode: the scheduler's mechanism (injectors/sched, built
 *              into the library with sched_real.h) driven from the interposers
 *   access.c   rl_exec_access, racelab cc's memory accesses (exec_access.h)
 *   mutex.c, cond.c, thread.c, rwlock.c, sem.c, sleep.c, c11.c  the interposers
 *
 * Nothing here may call an interposed function by name (it would come back
 * through an interposer, or through TSan's interceptor into one): the library
 * calls the real ones from rl_exec_real, and does its own I/O by syscall. */
#ifndef RACELAB_EXEC_PRELOAD_H
#define RACELAB_EXEC_PRELOAD_H

#include "exec_points.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

/* The interposers are the library's only exported symbols. */
#define RL_EXEC_EXPORT __attribute__((visibility("default")))

/* ---- real.c ------------------------------------------------------------ */

#define RL_EXEC_REAL_FUNCTIONS(X)                                                                  \
    X(pthread_mutex_lock)                                                                          \
    X(pthread_mutex_trylock)                                                                       \
    X(pthread_mutex_timedlock)                                                                     \
    X(pthread_mutex_unlock)                                                                        \
    X(pthread_cond_wait)                                                                           \
    X(pthread_cond_timedwait)                                                                      \
    X(pthread_cond_signal)                                                                         \
    X(pthread_cond_broadcast)                                                                      \
    X(pthread_create)                                                                              \
    X(pthread_join)                                                                                \
    X(pthread_exit)                                                                                \
    X(pthread_rwlock_rdlock)                                                                       \
    X(pthread_rwlock_tryrdlock)                                                                    \
    X(pthread_rwlock_timedrdlock)                                                                  \
    X(pthread_rwlock_wrlock)                                                                       \
    X(pthread_rwlock_trywrlock)                                                                    \
    X(pthread_rwlock_timedwrlock)                                                                  \
    X(pthread_rwlock_unlock)                                                                       \
    X(sem_wait)                                                                                    \
    X(sem_trywait)                                                                                 \
    X(sem_timedwait)                                                                               \
    X(sem_post)                                                                                    \
    X(sched_yield)                                                                                 \
    X(nanosleep)                                                                                   \
    X(clock_nanosleep)                                                                             \
    X(usleep)                                                                                      \
    X(sleep)                                                                                       \
    X(clock_gettime)                                                                               \
    X(mtx_lock)                                                                                    \
    X(mtx_trylock)                                                                                 \
    X(mtx_timedlock)                                                                               \
    X(mtx_unlock)                                                                                  \
    X(cnd_wait)                                                                                    \
    X(cnd_timedwait)                                                                               \
    X(cnd_signal)                                                                                  \
    X(cnd_broadcast)                                                                               \
    X(thrd_create)                                                                                 \
    X(thrd_join)                                                                                   \
    X(thrd_exit)                                                                                   \
    X(thrd_yield)                                                                                  \
    X(thrd_sleep)

typedef struct {
#define RL_EXEC_REAL_FIELD(fn) __typeof__(&fn) fn;
    RL_EXEC_REAL_FUNCTIONS(RL_EXEC_REAL_FIELD)
#undef RL_EXEC_REAL_FIELD
} rl_exec_real_table;

extern rl_exec_real_table rl_exec_real_fns;
extern _Atomic int rl_exec_real_ready;

/* Resolves every real function once (the first interposed call, or the
 * constructor). A call re-entered while dlsym runs (dlsym may allocate, an
 * allocator may lock) gets 0: the caller then takes its fallback. */
int rl_exec_resolve(void);

/* The real FN, resolved on first use; NULL only inside the resolution. */
#define RL_REAL(fn)                                                                                \
    (atomic_load_explicit(&rl_exec_real_ready, memory_order_acquire) || rl_exec_resolve()          \
         ? rl_exec_real_fns.fn                                                                     \
         : (__typeof__(&fn))0)

/* ---- config.c ---------------------------------------------------------- */

typedef enum { RL_EXEC_IDLE, RL_EXEC_NOISE, RL_EXEC_SCHED } rl_exec_mode;

/* One action on a point: what rl_parse_inject made of a spec. */
enum { RL_EXEC_ACT_YIELD, RL_EXEC_ACT_SPIN, RL_EXEC_ACT_DELAY };

typedef struct {
    int action; /* RL_EXEC_ACT_* */
    uint64_t amount;
    double probability;
} rl_exec_action;

extern rl_exec_mode rl_exec_mode_now;
extern uint64_t rl_exec_seed;
/* The action of the last spec that matches each point, or NULL. */
extern const rl_exec_action *rl_exec_point_action[RL_EXEC_N_POINTS];

/* Reads the environment; a bad value ends the process (status 125) with a
 * one-line message: the driver checks the specs before any run. */
void rl_exec_configure(void);
/* Sched mode: starts the scheduler as the environment says (last of the
 * constructor's steps: the main thread becomes thread 0). */
void rl_exec_configure_sched(void);

/* ---- threads.c --------------------------------------------------------- */

typedef struct {
    _Atomic unsigned long long hits[RL_EXEC_N_POINTS];
    _Atomic unsigned long long fired[RL_EXEC_N_POINTS];
} rl_exec_counts;

typedef struct {
    int index;    /* 0 the main thread, then in creation order; -1 unknown */
    int busy;     /* inside rl_exec_event or the scheduler (no re-entry) */
    int sched_id; /* sched mode: its id under the scheduler (0 the main thread) */
    uint64_t rng;
    rl_exec_counts *counts;
} rl_exec_thread;

/* The calling thread, its index and generator set on first use. */
rl_exec_thread *rl_exec_self(void);
/* The index the next created thread gets (the creating thread draws it). */
int rl_exec_next_index(void);
/* Called first in a new thread with the index its creator drew. */
void rl_exec_thread_begin(int index);
/* Threads started so far (the main thread included). */
int rl_exec_thread_count(void);
/* The counters of every slot summed into `out`. */
void rl_exec_counts_sum(rl_exec_counts *out);
/* After fork(), in the child: the counters start again from zero. */
void rl_exec_counts_reset(void);

/* A start routine wrapped so the new thread learns its index first. */
typedef struct {
    void *(*start)(void *);
    int (*c11_start)(void *);
    void *arg;
    int index;
    int sched_id; /* sched mode: its thread id under the scheduler, -1 none */
} rl_exec_start;

/* A record for pthread_create's argument (from a pool; malloc when it is
 * exhausted), or NULL: then the thread is created unwrapped. */
rl_exec_start *rl_exec_start_take(void);
/* The new thread copies its record and gives it back. */
void rl_exec_start_release(rl_exec_start *s);

/* ---- event.c ----------------------------------------------------------- */

typedef enum { RL_EXEC_BEFORE, RL_EXEC_AFTER } rl_exec_phase;

/* Every interposed call comes here before the real call and after it
 * returns (`result`: its return value). Noise mode counts the hit and may
 * yield, spin or pause, as the point's spec says, from the thread's own
 * generator. The controlled scheduler will act here too, keyed by `object`
 * (the address of the mutex, condition... the call is about, or the thread's
 * id; 0 when there is none); the return value is
 * for it (0: go on with the call as made). */
int rl_exec_event(rl_exec_point point, rl_exec_phase phase, uintptr_t object, const void *caller,
                  int result);

/* Where the interposed call was made from (the interposer's return address):
 * the scheduler will name source lines by it; noise passes through calls made
 * by libfiu's own libraries (their internal locks are not the program's). */
#define RL_EXEC_CALLER __builtin_return_address(0)

/* A pause of `ns` nanoseconds through the real clock and sleep. */
void rl_exec_pause_ns(uint64_t ns);

/* ---- callers.c --------------------------------------------------------- */

/* Notes where libfiu's libraries are mapped (once, at start-up). */
void rl_exec_callers_init(void);
/* Whether `caller` lies in one of them. */
int rl_exec_caller_foreign(const void *caller);

/* ---- sanitizer_code.c -------------------------------------------------- */

/* Notes where a sanitizer's runtime code lies (once, at start-up). */
void rl_exec_sanitizer_code_init(void);
/* Whether `caller` lies in it: its spin-waits are not scheduling points. */
int rl_exec_caller_sanitizer(const void *caller);

/* ---- sched.c ----------------------------------------------------------- */

/* Sched mode set up from the environment (config.c calls it): the
 * strategy or schedule, the report, and the main thread as thread 0. */
void rl_exec_sched_start(const char *strategy, const char *schedule, int steps, int trace);
/* Whether a call from `caller` in the calling thread goes to the scheduler
 * (sched mode, a thread under it, not re-entered, not libfiu's). */
int rl_exec_sched_here(const void *caller);
/* The modelled calls; each returns what the call returns (0 or an errno).
 * `point` says which call of its family. */
int rl_exec_sched_mutex(rl_exec_point point, void *mutex, const void *caller);
int rl_exec_sched_cond(rl_exec_point point, void *cond, void *mutex, const void *caller);
/* pthread_create through the scheduler: `s` gets the new thread's id
 * (-1: more threads than the scheduler holds), `trampoline` starts it. */
int rl_exec_sched_create(pthread_t *th, const pthread_attr_t *attr, rl_exec_start *s,
                         void *(*trampoline)(void *), const void *caller);
/* The scheduled part of a new thread (from the create trampolines):
 * runs start(arg) when its turn comes; returns its value. */
void *rl_exec_sched_run(int id, void *(*start)(void *), void *arg);
int rl_exec_sched_join(pthread_t th, void **ret, const void *caller);
void rl_exec_sched_exit(const void *caller); /* pthread_exit: the part ends */
/* A scheduling point and nothing else (rwlocks, semaphores, yields, sleeps,
 * memory accesses); `what`, when tracing, is the line's text. */
void rl_exec_sched_point(rl_exec_point point, const char *what, const void *caller);
/* A point where the calling thread gives way (sched_yield, a short sleep):
 * fair strategies run another thread there (strategy.h). */
void rl_exec_sched_yield(rl_exec_point point, const char *what, const void *caller);
/* The calling thread's last call failed the way a spin loop's does (a
 * trylock, a timed wait): its next point gives way. Safe from any thread. */
void rl_exec_sched_spinning(void);
/* Scheduling points the calling thread has reached (in sched mode). */
unsigned long rl_exec_sched_thread_points(void);
/* The process ends after this (exit, _exit, quick_exit, a return from
 * main; `what` names it in the trace): a point where every other runnable
 * thread may run first. Once per process; safe from any thread. */
void rl_exec_sched_process_exit(const char *what, const void *caller);
/* A point before a racelab cc build's memory access: the pending event
 * names `addr` and whether it writes (strategies that look, pos). */
void rl_exec_sched_access(rl_exec_point point, const char *what, const void *caller,
                          const void *addr, int write);
int rl_exec_sched_tracing(void);
/* At exit: the report says the process exited; calls pass through after. */
void rl_exec_sched_finish(void);

/* ---- forkserver.c ------------------------------------------------------ */

/* With RACELAB_EXEC_FORKSERVER set, serves runs (forks) until the driver
 * goes, returning only in each run's process (1); otherwise returns at
 * once (0). */
int rl_exec_fork_server(void);
/* --pin (RACELAB_EXEC_PIN=SLOT, sched mode): the run's process, and so all
 * its threads, on one processor: the SLOT-th (mod their count) of those it
 * may use. Only one of its threads runs at a time under the scheduler, and
 * a hand-over then needs no other processor woken. */
void rl_exec_pin(void);

/* ---- report.c ---------------------------------------------------------- */

/* Registers the fork handler, leaves the start marker (but in the run's own
 * process: `forked_run`, a fork server's run, or the driver's child) and, in
 * the run's own process, asks to die with the driver. */
void rl_exec_report_init(int forked_run);
/* The counts and the schedule report finished, once (at exit, or at an
 * _exit that skips the destructors). */
void rl_exec_report_exit(void);
/* The same from _exit, _Exit or quick_exit of the run's own process (not
 * of a fork of it). */
void rl_exec_report_at_exit_call(void);

#endif
