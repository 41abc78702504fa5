/* sem.c — sem_wait, sem_trywait, sem_timedwait and sem_post. (errno, by which
 * they report errors, survives the events: rl_exec_event keeps it). In sched
 * mode each is a scheduling point before the real call, as rwlocks are. */
#include "preload.h"

#include <errno.h>

#define RL_EXEC_SEM_CALL(point, fn, ...)                                                           \
    do {                                                                                           \
        __typeof__(&fn) real = RL_REAL(fn);                                                        \
        if (real == NULL) {                                                                        \
            errno = EAGAIN;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        if (rl_exec_sched_here(RL_EXEC_CALLER))                                                    \
            rl_exec_sched_point(point, NULL, RL_EXEC_CALLER);                                      \
        rl_exec_event(point, RL_EXEC_BEFORE, (uintptr_t)(s), RL_EXEC_CALLER, 0);                   \
        int rc = real(__VA_ARGS__);                                                                \
        if (rc != 0 && (point == RL_EXEC_SEM_TRYWAIT || point == RL_EXEC_SEM_TIMEDWAIT))           \
            rl_exec_sched_spinning(); /* a try or timed call failed: a spin loop gives way */      \
        rl_exec_event(point, RL_EXEC_AFTER, (uintptr_t)(s), RL_EXEC_CALLER, rc);                   \
        return rc;                                                                                 \
    } while (0)

RL_EXEC_EXPORT int sem_wait(sem_t *s) { RL_EXEC_SEM_CALL(RL_EXEC_SEM_WAIT, sem_wait, s); }

RL_EXEC_EXPORT int sem_trywait(sem_t *s) { RL_EXEC_SEM_CALL(RL_EXEC_SEM_TRYWAIT, sem_trywait, s); }

RL_EXEC_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t)
{
    RL_EXEC_SEM_CALL(RL_EXEC_SEM_TIMEDWAIT, sem_timedwait, s, t);
}

RL_EXEC_EXPORT int sem_post(sem_t *s) { RL_EXEC_SEM_CALL(RL_EXEC_SEM_POST, sem_post, s); }
