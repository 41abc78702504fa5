/* event.c — rl_exec_event, the one place every interposed call goes
 * through, before the real call and after it returns.
 *
 * Noise mode: the hit is counted; when a spec acts on the point, the calling
 * thread draws from its own generator and, with the spec's probability,
 * yields, spins or pauses for a random time in [0, DURATION] — the actions
 * and their meaning are those of scenario points (docs/scenario-programs.md). In sched mode the
 * interposers call the scheduler instead (sched.c), and events do nothing. */
#include "preload.h"

#include "../../../harness/common/splitmix.h"

#include <errno.h>
#include <sched.h>

void rl_exec_pause_ns(uint64_t ns)
{
    if (ns == 0)
        return;
    /* Sleeps of a few microseconds overshoot by the timer slack: spin. */
    if (ns < 50000) {
        struct timespec now, end;
        rl_exec_real_fns.clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_nsec += (long)ns;
        if (end.tv_nsec >= 1000000000L) {
            end.tv_sec++;
            end.tv_nsec -= 1000000000L;
        }
        do
            rl_exec_real_fns.clock_gettime(CLOCK_MONOTONIC, &now);
        while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
                          .tv_nsec = (long)(ns % 1000000000ULL)};
    while (rl_exec_real_fns.nanosleep(&ts, &ts) != 0) {
    }
}

static void act(const rl_exec_action *a, rl_exec_thread *t)
{
    switch (a->action) {
    case RL_EXEC_ACT_YIELD: rl_exec_real_fns.sched_yield(); break;
    case RL_EXEC_ACT_SPIN:
        for (uint64_t i = 0; i < a->amount; i++) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        break;
    case RL_EXEC_ACT_DELAY: rl_exec_pause_ns(rl_splitmix64(&t->rng) % (a->amount + 1)); break;
    default: break;
    }
}

int rl_exec_event(rl_exec_point point, rl_exec_phase phase, uintptr_t object, const void *caller,
                  int result)
{
    (void)object;
    (void)result;
    if (rl_exec_mode_now != RL_EXEC_NOISE || !rl_exec_real_ready || rl_exec_caller_foreign(caller))
        return 0;
    rl_exec_thread *t = rl_exec_self();
    if (t->busy)
        return 0;
    t->busy = 1;
    if (phase == RL_EXEC_BEFORE)
        atomic_fetch_add_explicit(&t->counts->hits[point], 1, memory_order_relaxed);
    const rl_exec_action *a = rl_exec_point_action[point];
    if (a != NULL) {
        /* 53 random bits -> [0, 1) */
        double u = (double)(rl_splitmix64(&t->rng) >> 11) * 0x1.0p-53;
        if (u < a->probability) {
            atomic_fetch_add_explicit(&t->counts->fired[point], 1, memory_order_relaxed);
            int saved = errno; /* the call's errno is the program's */
            act(a, t);
            errno = saved;
        }
    }
    t->busy = 0;
    return 0;
}
