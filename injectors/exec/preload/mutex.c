/* mutex.c — pthread_mutex_lock, trylock, timedlock and unlock.
 *
 * While the real functions are being resolved (dlsym may allocate, and an
 * allocator may lock), a re-entered lock or unlock goes to glibc's exported
 * __pthread_mutex_* twins, which need no resolving. Elsewhere it does
 * nothing: resolution happens before the program has threads. In sched
 * mode the scheduler models them instead (sched.c): nothing is locked for real. */
#include "preload.h"

#include <errno.h>

#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver libc_lock, __pthread_mutex_lock@GLIBC_2.2.5");
__asm__(".symver libc_trylock, __pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver libc_unlock, __pthread_mutex_unlock@GLIBC_2.2.5");
extern int libc_lock(pthread_mutex_t *m);
extern int libc_trylock(pthread_mutex_t *m);
extern int libc_unlock(pthread_mutex_t *m);
#else
static int libc_lock(pthread_mutex_t *m) { return (void)m, 0; }
static int libc_trylock(pthread_mutex_t *m) { return (void)m, 0; }
static int libc_unlock(pthread_mutex_t *m) { return (void)m, 0; }
#endif

RL_EXEC_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    __typeof__(&pthread_mutex_lock) real = RL_REAL(pthread_mutex_lock);
    if (real == NULL)
        return libc_lock(m);
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_mutex(RL_EXEC_MUTEX_LOCK, m, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_MUTEX_LOCK, RL_EXEC_BEFORE, (uintptr_t)m, RL_EXEC_CALLER, 0);
    int rc = real(m);
    rl_exec_event(RL_EXEC_MUTEX_LOCK, RL_EXEC_AFTER, (uintptr_t)m, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    __typeof__(&pthread_mutex_trylock) real = RL_REAL(pthread_mutex_trylock);
    if (real == NULL)
        return libc_trylock(m);
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_mutex(RL_EXEC_MUTEX_TRYLOCK, m, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_MUTEX_TRYLOCK, RL_EXEC_BEFORE, (uintptr_t)m, RL_EXEC_CALLER, 0);
    int rc = real(m);
    rl_exec_event(RL_EXEC_MUTEX_TRYLOCK, RL_EXEC_AFTER, (uintptr_t)m, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    __typeof__(&pthread_mutex_timedlock) real = RL_REAL(pthread_mutex_timedlock);
    if (real == NULL)
        return EAGAIN;
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_mutex(RL_EXEC_MUTEX_TIMEDLOCK, m, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_MUTEX_TIMEDLOCK, RL_EXEC_BEFORE, (uintptr_t)m, RL_EXEC_CALLER, 0);
    int rc = real(m, abstime);
    rl_exec_event(RL_EXEC_MUTEX_TIMEDLOCK, RL_EXEC_AFTER, (uintptr_t)m, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    __typeof__(&pthread_mutex_unlock) real = RL_REAL(pthread_mutex_unlock);
    if (real == NULL)
        return libc_unlock(m);
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_mutex(RL_EXEC_MUTEX_UNLOCK, m, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_MUTEX_UNLOCK, RL_EXEC_BEFORE, (uintptr_t)m, RL_EXEC_CALLER, 0);
    int rc = real(m);
    rl_exec_event(RL_EXEC_MUTEX_UNLOCK, RL_EXEC_AFTER, (uintptr_t)m, RL_EXEC_CALLER, rc);
    return rc;
}
