/* profiles.c — the named fuzz profiles (--profile NAME): specs for every
 * point, applied before the user's. Fault points are never failed by a
 * profile. */
#include "points.h"

#include <string.h>

static const rl_profile profiles[] = {
    {"none", NULL, "points live but nothing injected: for fiu-ctrl from outside"},
    {"gentle", "*:yield,p=0.1", "a yield at one point hit in ten"},
    {"default", "*:delay=100us,p=0.2", "a pause of up to 100 us at one point hit in five"},
    {"heavy", "*:delay=1ms,p=0.5", "a pause of up to 1 ms at every other point hit"},
};

#define N_PROFILES ((int)(sizeof profiles / sizeof profiles[0]))

const rl_profile *rl_profile_find(const char *name)
{
    for (int i = 0; i < N_PROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

const rl_profile *rl_profile_list(int *n)
{
    *n = N_PROFILES;
    return profiles;
}
