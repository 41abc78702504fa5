/* pause.c — the pause of a delay action. Sleeps of a few microseconds
 * overshoot by the timer slack, so short pauses spin on the clock and only
 * long ones sleep. */
#include "points.h"

#include <time.h>

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void rl_pause_ns(uint64_t ns)
{
    if (ns == 0)
        return;
    if (ns < 50000) {
        double end = monotonic_seconds() + (double)ns * 1e-9;
        while (monotonic_seconds() < end) {
        }
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
                          .tv_nsec = (long)(ns % 1000000000ULL)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}
