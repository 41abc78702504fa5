/* cond.c — pthread_cond_wait, timedwait, signal and broadcast. The wait's
 * `before` runs with the mutex held, its `after` once it is held again. In
 * sched mode the scheduler models them (sched.c); a timed wait times out
 * only when nobody else can run. */
#include "preload.h"

#include <errno.h>

RL_EXEC_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    __typeof__(&pthread_cond_wait) real = RL_REAL(pthread_cond_wait);
    if (real == NULL)
        return EINVAL;
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_cond(RL_EXEC_COND_WAIT, c, m, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_COND_WAIT, RL_EXEC_BEFORE, (uintptr_t)c, RL_EXEC_CALLER, 0);
    int rc = real(c, m);
    rl_exec_event(RL_EXEC_COND_WAIT, RL_EXEC_AFTER, (uintptr_t)c, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                          const struct timespec *abstime)
{
    __typeof__(&pthread_cond_timedwait) real = RL_REAL(pthread_cond_timedwait);
    if (real == NULL)
        return EINVAL;
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_cond(RL_EXEC_COND_TIMEDWAIT, c, m, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_COND_TIMEDWAIT, RL_EXEC_BEFORE, (uintptr_t)c, RL_EXEC_CALLER, 0);
    int rc = real(c, m, abstime);
    rl_exec_event(RL_EXEC_COND_TIMEDWAIT, RL_EXEC_AFTER, (uintptr_t)c, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    __typeof__(&pthread_cond_signal) real = RL_REAL(pthread_cond_signal);
    if (real == NULL)
        return EINVAL;
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_cond(RL_EXEC_COND_SIGNAL, c, NULL, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_COND_SIGNAL, RL_EXEC_BEFORE, (uintptr_t)c, RL_EXEC_CALLER, 0);
    int rc = real(c);
    rl_exec_event(RL_EXEC_COND_SIGNAL, RL_EXEC_AFTER, (uintptr_t)c, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    __typeof__(&pthread_cond_broadcast) real = RL_REAL(pthread_cond_broadcast);
    if (real == NULL)
        return EINVAL;
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_cond(RL_EXEC_COND_BROADCAST, c, NULL, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_COND_BROADCAST, RL_EXEC_BEFORE, (uintptr_t)c, RL_EXEC_CALLER, 0);
    int rc = real(c);
    rl_exec_event(RL_EXEC_COND_BROADCAST, RL_EXEC_AFTER, (uintptr_t)c, RL_EXEC_CALLER, rc);
    return rc;
}
