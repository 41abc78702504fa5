/* sleep.c — sched_yield and the sleep calls (errno, which says EINTR after
 * an interrupted sleep, survives the events: rl_exec_event keeps it). In
 * sched mode each is a scheduling point and a sleep does not sleep: under the
 * scheduler, time
 * passes only in timed waits, when nobody else can run. A yield, or a sleep
 * of at most RL_EXEC_SHORT_SLEEP_NS, gives way (rl_exec_sched_yield): it is
 * what a spin loop waits with, and fair strategies then run another thread
 * (strategy.h). A longer sleep is an ordinary point: a program that sleeps
 * to let another thread finish first is exactly what a schedule may break. */
#include "preload.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#define RL_EXEC_SHORT_SLEEP_NS 10000000LL /* 10 ms */

static int short_sleep(const struct timespec *ts)
{
    return ts == NULL || ts->tv_sec < 0 ||
           (ts->tv_sec == 0 && ts->tv_nsec <= RL_EXEC_SHORT_SLEEP_NS);
}

/* The scheduling point of a sleep, short or not. */
static void sleep_point(rl_exec_point point, int is_short, const void *caller)
{
    if (is_short)
        rl_exec_sched_yield(point, NULL, caller);
    else
        rl_exec_sched_point(point, NULL, caller);
}

RL_EXEC_EXPORT int sched_yield(void)
{
    __typeof__(&sched_yield) real = RL_REAL(sched_yield);
    if (real == NULL)
        return 0;
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_yield(RL_EXEC_SCHED_YIELD, NULL, RL_EXEC_CALLER);
        return 0;
    }
    int rc = real();
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, rc);
    return rc;
}

/* glibc's pthread_yield calls sched_yield inside libc, past the interposer:
 * it is interposed itself, as the same point (new headers turn a call to it
 * into one to sched_yield; a binary built against older ones calls it by
 * name). Named by an asm label: the header redirects the C name. */
RL_EXEC_EXPORT int rl_exec_pthread_yield(void) __asm__("pthread_yield");
RL_EXEC_EXPORT int rl_exec_pthread_yield(void)
{
    if (rl_exec_sched_here(RL_EXEC_CALLER)) {
        rl_exec_sched_yield(RL_EXEC_SCHED_YIELD, "pthread_yield", RL_EXEC_CALLER);
        return 0;
    }
    __typeof__(&sched_yield) real = RL_REAL(sched_yield);
    if (real == NULL)
        return 0;
    rl_exec_event(RL_EXEC_SCHED_YIELD, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, 0);
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
        sleep_point(RL_EXEC_NANOSLEEP, short_sleep(req), RL_EXEC_CALLER);
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
        /* an absolute deadline: an ordinary point */
        sleep_point(RL_EXEC_CLOCK_NANOSLEEP, !(flags & TIMER_ABSTIME) && short_sleep(req),
                    RL_EXEC_CALLER);
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
        sleep_point(RL_EXEC_USLEEP, (long long)us * 1000 <= RL_EXEC_SHORT_SLEEP_NS, RL_EXEC_CALLER);
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
        sleep_point(RL_EXEC_SLEEP, seconds == 0, RL_EXEC_CALLER);
        return 0;
    }
    unsigned int left = real(seconds);
    rl_exec_event(RL_EXEC_SLEEP, RL_EXEC_AFTER, 0, RL_EXEC_CALLER, (int)left);
    return left;
}
