/* context.c — who the calling thread is: its actor index, the trial it is
 * in, and its own random generator (seeded per actor so that one seed gives
 * the same injection decisions per thread, run after run). */
#include "internal.h"

#include "../common/splitmix.h"

#include <stdatomic.h>

static _Thread_local int tls_actor = -1;
static _Thread_local long long tls_trial = -1;
static _Thread_local uint64_t tls_rng;

void rl_context_enter(int actor, uint64_t seed)
{
    tls_actor = actor;
    tls_rng = seed;
    (void)rl_splitmix64(&tls_rng);
}

int rl_self(void) { return tls_actor; }

void rl_context_set_trial(long long trial) { tls_trial = trial; }

/* Also called from inside TSan's report hook: must not be instrumented. */
__attribute__((no_sanitize("thread"))) long long rl_context_trial(void) { return tls_trial; }

uint64_t rl_context_random(void) { return rl_splitmix64(&tls_rng); }
