/* thread.c — pthread_create, pthread_join and pthread_exit. A created thread
 * starts in a trampoline that takes the index its creator drew (so its
 * generator is the same every run), passes the `pthread/start` point and
 * calls the real start routine. In a TSan program the routine we wrap is
 * the sanitizer's own thread start: the trampoline runs before TSan knows
 * the thread, so it calls nothing but the library's real functions. In
 * sched mode the scheduler gives the thread its id and runs its routine
 * when its turn comes (sched.c). */
#include "preload.h"

#include <errno.h>

static void *trampoline(void *p)
{
    rl_exec_start *s = p;
    void *(*start)(void *) = s->start;
    void *arg = s->arg;
    int index = s->index, sched_id = s->sched_id;
    rl_exec_start_release(s);
    rl_exec_thread_begin(index);
    if (sched_id >= 0)
        return rl_exec_sched_run(sched_id, start, arg);
    rl_exec_event(RL_EXEC_START, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    return start(arg);
}

RL_EXEC_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*start)(void *),
                                  void *arg)
{
    __typeof__(&pthread_create) real = RL_REAL(pthread_create);
    if (real == NULL)
        return EAGAIN;
    rl_exec_event(RL_EXEC_CREATE, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    rl_exec_start *s = rl_exec_start_take();
    int rc;
    if (s != NULL) {
        *s = (rl_exec_start){start, NULL, arg, rl_exec_next_index(), -1};
        if (rl_exec_sched_here(RL_EXEC_CALLER))
            rc = rl_exec_sched_create(th, attr, s, trampoline, RL_EXEC_CALLER);
        else
            rc = real(th, attr, trampoline, s);
        if (rc != 0)
            rl_exec_start_release(s);
    } else {
        rc = real(th, attr, start, arg); /* numbered when it first calls in */
    }
    rl_exec_event(RL_EXEC_CREATE, RL_EXEC_AFTER, rc == 0 ? (uintptr_t)*th : 0, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int pthread_join(pthread_t th, void **ret)
{
    __typeof__(&pthread_join) real = RL_REAL(pthread_join);
    if (real == NULL)
        return EINVAL;
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        return rl_exec_sched_join(th, ret, RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_JOIN, RL_EXEC_BEFORE, (uintptr_t)th, RL_EXEC_CALLER, 0);
    int rc = real(th, ret);
    rl_exec_event(RL_EXEC_JOIN, RL_EXEC_AFTER, (uintptr_t)th, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT void pthread_exit(void *ret)
{
    __typeof__(&pthread_exit) real = RL_REAL(pthread_exit);
    if (rl_exec_sched_here(RL_EXEC_CALLER))
        rl_exec_sched_exit(RL_EXEC_CALLER);
    rl_exec_event(RL_EXEC_EXIT, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    if (real != NULL)
        real(ret);
    __builtin_trap(); /* pthread_exit cannot be resolved: nothing else is right */
}
