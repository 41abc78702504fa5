/* rwlock.c — the pthread read-write lock calls. In sched mode each is a
 * scheduling point before the real call (not modelled: a real call that
 * blocks makes its thread leave control, sched.c). */
#include "preload.h"

#include <errno.h>

/* The body every rwlock call shares: before, the real call, after. */
#define RL_EXEC_RWLOCK_CALL(point, fn, ...)                                                        \
    do {                                                                                           \
        __typeof__(&fn) real = RL_REAL(fn);                                                        \
        if (real == NULL)                                                                          \
            return EAGAIN;                                                                         \
        if (rl_exec_sched_here(RL_EXEC_CALLER))                                                    \
            rl_exec_sched_point(point, NULL, RL_EXEC_CALLER);                                      \
        rl_exec_event(point, RL_EXEC_BEFORE, (uintptr_t)(l), RL_EXEC_CALLER, 0);                   \
        int rc = real(__VA_ARGS__);                                                                \
        if (rc != 0 && (point == RL_EXEC_RWLOCK_TRYRDLOCK || point == RL_EXEC_RWLOCK_TRYWRLOCK))   \
            rl_exec_sched_spinning(); /* a try or timed call failed: a spin loop gives way */      \
        rl_exec_event(point, RL_EXEC_AFTER, (uintptr_t)(l), RL_EXEC_CALLER, rc);                   \
        return rc;                                                                                 \
    } while (0)

RL_EXEC_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_RDLOCK, pthread_rwlock_rdlock, l);
}

RL_EXEC_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_TRYRDLOCK, pthread_rwlock_tryrdlock, l);
}

RL_EXEC_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_TIMEDRDLOCK, pthread_rwlock_timedrdlock, l, t);
}

RL_EXEC_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_WRLOCK, pthread_rwlock_wrlock, l);
}

RL_EXEC_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_TRYWRLOCK, pthread_rwlock_trywrlock, l);
}

RL_EXEC_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_TIMEDWRLOCK, pthread_rwlock_timedwrlock, l, t);
}

RL_EXEC_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    RL_EXEC_RWLOCK_CALL(RL_EXEC_RWLOCK_UNLOCK, pthread_rwlock_unlock, l);
}
