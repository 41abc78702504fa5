/* c11.c — C11 threads. glibc builds mtx_*, cnd_* and thrd_* on its pthread
 * code, but calls it internally, past the pthread interposers: they get their
 * own, which reach the same points as the pthread calls. In sched mode
 * they go to the scheduler as the pthread calls do (sched.c); a scheduled
 * C11 thread is created through pthread_create: its int result is kept in
 * a slot of its scheduler id, and the thread's pointer result points to it,
 * which thrd_join reads back. */
#include "preload.h"

#include "../../sched/sched_limits.h"

#include <errno.h>

/* pthread results into C11 ones */
static int c11_result(int rc)
{
    return rc == 0           ? thrd_success
           : rc == EBUSY     ? thrd_busy
           : rc == ETIMEDOUT ? thrd_timedout
                             : thrd_error;
}

#define RL_EXEC_C11_MUTEX(point, m)                                                                \
    do {                                                                                           \
        if (rl_exec_sched_here(RL_EXEC_CALLER))                                                    \
            return c11_result(rl_exec_sched_mutex(point, m, RL_EXEC_CALLER));                      \
    } while (0)
#define RL_EXEC_C11_COND(point, c, m)                                                              \
    do {                                                                                           \
        if (rl_exec_sched_here(RL_EXEC_CALLER))                                                    \
            return c11_result(rl_exec_sched_cond(point, c, m, RL_EXEC_CALLER));                    \
    } while (0)

#define RL_EXEC_C11_CALL(point, object, fn, ...)                                                   \
    do {                                                                                           \
        __typeof__(&fn) real = RL_REAL(fn);                                                        \
        if (real == NULL)                                                                          \
            return thrd_error;                                                                     \
        rl_exec_event(point, RL_EXEC_BEFORE, (uintptr_t)(object), RL_EXEC_CALLER, 0);              \
        int rc = real(__VA_ARGS__);                                                                \
        rl_exec_event(point, RL_EXEC_AFTER, (uintptr_t)(object), RL_EXEC_CALLER, rc);              \
        return rc;                                                                                 \
    } while (0)

RL_EXEC_EXPORT int mtx_lock(mtx_t *m)
{
    RL_EXEC_C11_MUTEX(RL_EXEC_MUTEX_LOCK, m);
    RL_EXEC_C11_CALL(RL_EXEC_MUTEX_LOCK, m, mtx_lock, m);
}

RL_EXEC_EXPORT int mtx_trylock(mtx_t *m)
{
    RL_EXEC_C11_MUTEX(RL_EXEC_MUTEX_TRYLOCK, m);
    RL_EXEC_C11_CALL(RL_EXEC_MUTEX_TRYLOCK, m, mtx_trylock, m);
}

RL_EXEC_EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict t)
{
    RL_EXEC_C11_MUTEX(RL_EXEC_MUTEX_TIMEDLOCK, m);
    RL_EXEC_C11_CALL(RL_EXEC_MUTEX_TIMEDLOCK, m, mtx_timedlock, m, t);
}

RL_EXEC_EXPORT int mtx_unlock(mtx_t *m)
{
    RL_EXEC_C11_MUTEX(RL_EXEC_MUTEX_UNLOCK, m);
    RL_EXEC_C11_CALL(RL_EXEC_MUTEX_UNLOCK, m, mtx_unlock, m);
}

RL_EXEC_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    RL_EXEC_C11_COND(RL_EXEC_COND_WAIT, c, m);
    RL_EXEC_C11_CALL(RL_EXEC_COND_WAIT, c, cnd_wait, c, m);
}

RL_EXEC_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                                 const struct timespec *restrict t)
{
    RL_EXEC_C11_COND(RL_EXEC_COND_TIMEDWAIT, c, m);
    RL_EXEC_C11_CALL(RL_EXEC_COND_TIMEDWAIT, c, cnd_timedwait, c, m, t);
}

RL_EXEC_EXPORT int cnd_signal(cnd_t *c)
{
    RL_EXEC_C11_COND(RL_EXEC_COND_SIGNAL, c, NULL);
    RL_EXEC_C11_CALL(RL_EXEC_COND_SIGNAL, c, cnd_signal, c);
}

RL_EXEC_EXPORT int cnd_broadcast(cnd_t *c)
{
    RL_EXEC_C11_COND(RL_EXEC_COND_BROADCAST, c, NULL);
    RL_EXEC_C11_CALL(RL_EXEC_COND_BROADCAST, c, cnd_broadcast, c);
}

typedef struct {
    int (*start)(void *);
    void *arg;
} c11_part;

static int c11_results[RL_SCHED_MAX_THREADS]; /* by scheduler id */

static void *c11_result_of(int res)
{
    int *slot = &c11_results[rl_exec_self()->sched_id];
    *slot = res;
    return slot;
}

static void *c11_call(void *p)
{
    const c11_part *c = p;
    return c11_result_of(c->start(c->arg));
}

/* sched mode: a C11 thread started through pthread_create */
static void *c11_sched_trampoline(void *p)
{
    rl_exec_start *s = p;
    c11_part c = {s->c11_start, s->arg};
    int index = s->index, sched_id = s->sched_id;
    rl_exec_start_release(s);
    rl_exec_thread_begin(index);
    if (sched_id < 0)
        return c11_call(&c);
    return rl_exec_sched_run(sched_id, c11_call, &c);
}

static int c11_trampoline(void *p)
{
    rl_exec_start *s = p;
    int (*start)(void *) = s->c11_start;
    void *arg = s->arg;
    int index = s->index;
    rl_exec_start_release(s);
    rl_exec_thread_begin(index);
    rl_exec_event(RL_EXEC_START, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    return start(arg);
}

RL_EXEC_EXPORT int thrd_create(thrd_t *th, thrd_start_t start, void *arg)
{
    __typeof__(&thrd_create) real = RL_REAL(thrd_create);
    if (real == NULL)
        return thrd_error;
    rl_exec_event(RL_EXEC_CREATE, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    rl_exec_start *s = rl_exec_start_take();
    int rc;
    if (s != NULL) {
        *s = (rl_exec_start){NULL, start, arg, rl_exec_next_index(), -1};
        if (rl_exec_sched_here(RL_EXEC_CALLER))
            rc =
                c11_result(rl_exec_sched_create(th, NULL, s, c11_sched_trampoline, RL_EXEC_CALLER));
        else
            rc = real(th, c11_trampoline, s);
        if (rc != thrd_success)
            rl_exec_start_release(s);
    } else {
        rc = real(th, start, arg);
    }
    rl_exec_event(RL_EXEC_CREATE, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int thrd_join(thrd_t th, int *res)
{
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        void *ret = NULL;
        int rc = rl_exec_sched_join(th, &ret, RL_EXEC_CALLER);
        if (res != NULL)
            *res = ret != NULL ? *(const int *)ret : 0;
        return c11_result(rc);
    }
    RL_EXEC_C11_CALL(RL_EXEC_JOIN, (uintptr_t)th, thrd_join, th, res);
}

RL_EXEC_EXPORT void thrd_exit(int res)
{
    __typeof__(&thrd_exit) real = RL_REAL(thrd_exit);
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        /* a scheduled C11 thread runs on pthread_create: its exit too */
        rl_exec_sched_exit(RL_EXEC_CALLER);
        __typeof__(&pthread_exit) exit_thread = RL_REAL(pthread_exit);
        if (exit_thread != NULL)
            exit_thread(c11_result_of(res));
    }
    rl_exec_event(RL_EXEC_EXIT, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    if (real != NULL)
        real(res);
    __builtin_trap();
}

RL_EXEC_EXPORT void thrd_yield(void)
{
    __typeof__(&thrd_yield) real = RL_REAL(thrd_yield);
    if (real == NULL)
        return;
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_yield(RL_EXEC_SCHED_YIELD, NULL, RL_EXEC_CALLER);
        return;
    }
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    real();
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, 0);
}

RL_EXEC_EXPORT int thrd_sleep(const struct timespec *d, struct timespec *rem)
{
    __typeof__(&thrd_sleep) real = RL_REAL(thrd_sleep);
    if (real == NULL)
        return -2;
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        if (d == NULL || (d->tv_sec == 0 && d->tv_nsec <= 10000000L)) /* sleep.c's short sleep */
            rl_exec_sched_yield(RL_EXEC_NANOSLEEP, NULL, RL_EXEC_CALLER);
        else
            rl_exec_sched_point(RL_EXEC_NANOSLEEP, NULL, RL_EXEC_CALLER);
        return 0;
    }
    rl_exec_event(RL_EXEC_NANOSLEEP, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    int rc = real(d, rem);
    rl_exec_event(RL_EXEC_NANOSLEEP, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}
