/* sleep.c — sched_yield and the sleep calls (errno, which says EINTR after
 * an interrupted sleep, survives the events: rl_exec_event keeps it). In
 * sched mode each is a scheduling point and a sleep does not sleep: under the
 * scheduler, time passes only in timed waits, when nobody else can run. */
#include "preload.h"

#include <errno.h>
#include <sched.h>

RL_EXEC_EXPORT int sched_yield(void)
{
    __typeof__(&sched_yield) real = RL_REAL(sched_yield);
    if (real == NULL)
        return 0;
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    /* a sanitizer runtime's spin-wait (sanitizer_code.c) is not the program's */
    if (rl_exec_sched_here(RL_EXEC_CALLER) && !rl_exec_caller_sanitizer(RL_EXEC_CALLER)) {
        rl_exec_sched_point(RL_EXEC_SCHED_YIELD, NULL, RL_EXEC_CALLER);
        return 0;
    }
    int rc = real();
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    __typeof__(&nanosleep) real = RL_REAL(nanosleep);
    if (real == NULL) {
        errno = EINTR;
        return -1;
    }
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_point(RL_EXEC_NANOSLEEP, NULL, RL_EXEC_CALLER);
        return 0;
    }
    rl_exec_event(RL_EXEC_NANOSLEEP, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    int rc = real(req, rem);
    rl_exec_event(RL_EXEC_NANOSLEEP, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                                   struct timespec *rem)
{
    __typeof__(&clock_nanosleep) real = RL_REAL(clock_nanosleep);
    if (real == NULL)
        return EINTR;
    rl_exec_event(RL_EXEC_CLOCK_NANOSLEEP, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_point(RL_EXEC_CLOCK_NANOSLEEP, NULL, RL_EXEC_CALLER);
        return 0;
    }
    int rc = real(clock, flags, req, rem);
    rl_exec_event(RL_EXEC_CLOCK_NANOSLEEP, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT int usleep(useconds_t us)
{
    __typeof__(&usleep) real = RL_REAL(usleep);
    if (real == NULL) {
        errno = EINTR;
        return -1;
    }
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_point(RL_EXEC_USLEEP, NULL, RL_EXEC_CALLER);
        return 0;
    }
    rl_exec_event(RL_EXEC_USLEEP, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    int rc = real(us);
    rl_exec_event(RL_EXEC_USLEEP, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}

RL_EXEC_EXPORT unsigned int sleep(unsigned int seconds)
{
    __typeof__(&sleep) real = RL_REAL(sleep);
    if (real == NULL)
        return seconds;
    rl_exec_event(RL_EXEC_SLEEP, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_point(RL_EXEC_SLEEP, NULL, RL_EXEC_CALLER);
        return 0;
    }
    unsigned int left = real(seconds);
    rl_exec_event(RL_EXEC_SLEEP, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, (int)left);
    return left;
}
