/* clock.c — monotonic time and short pauses. */
#include "internal.h"

#include <time.h>

double rl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleeps of a few microseconds overshoot by the timer slack, so short
 * pauses spin on the clock and only long ones sleep. */
void rl_pause_ns(uint64_t ns)
{
    if (ns == 0)
        return;
    if (ns < 50000) {
        double end = rl_now() + (double)ns * 1e-9;
        while (rl_now() < end) {
        }
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
                          .tv_nsec = (long)(ns % 1000000000ULL)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}
