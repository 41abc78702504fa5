/* mode.h — how interleavings are pushed: the one list of modes and their
 * names, for the scenario runtime (--mode) and the driver (run, rerun,
 * repro, compare), which parse a mode once and pass it on typed. */
#ifndef RACELAB_MODE_H
#define RACELAB_MODE_H

#include <string.h>

/* RL_MODE_BOTH ("stress+fuzz"): half the budget free-running, then half with
 * points acting; one verdict from both halves' evidence. */
typedef enum { RL_MODE_STRESS, RL_MODE_FUZZ, RL_MODE_SCHED, RL_MODE_BOTH } rl_mode;

#define RL_MODE_NAMES "stress, fuzz, sched, stress+fuzz"

static inline const char *rl_mode_name(rl_mode m)
{
    return m == RL_MODE_FUZZ    ? "fuzz"
           : m == RL_MODE_SCHED ? "sched"
           : m == RL_MODE_BOTH  ? "stress+fuzz"
                                : "stress";
}

/* 0 and *out when TEXT names a mode, else -1. */
static inline int rl_mode_parse(const char *text, rl_mode *out)
{
    static const rl_mode all[] = {RL_MODE_STRESS, RL_MODE_FUZZ, RL_MODE_SCHED, RL_MODE_BOTH};
    for (size_t i = 0; text != NULL && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(text, rl_mode_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -1;
}

/* Whether points act in MODE (in stress they cost nothing and do nothing). */
static inline int rl_mode_points_act(rl_mode m) { return m != RL_MODE_STRESS; }

#endif
