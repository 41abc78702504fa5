/* gate.c — spin-then-block barrier for the actors of a batch. */
#include "gate.h"

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void rl_futex_wait(_Atomic uint32_t *word, uint32_t expected, double timeout_s)
{
    struct timespec ts;
    struct timespec *tsp = NULL;
    if (timeout_s > 0) {
        ts.tv_sec = (time_t)timeout_s;
        ts.tv_nsec = (long)((timeout_s - (double)ts.tv_sec) * 1e9);
        tsp = &ts;
    }
    /* Returns at once if *word != expected; spurious wake-ups are fine:
     * every caller re-checks its condition. */
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
}

void rl_futex_wake_all(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void rl_gate_init(rl_gate *g, uint32_t parties, uint32_t spin_limit)
{
    atomic_init(&g->arrived, 0);
    atomic_init(&g->generation, 0);
    atomic_init(&g->sleepers, 0);
    g->parties = parties;
    g->spin_limit = spin_limit;
}

int rl_gate_pass(rl_gate *g, rl_gate_leader_fn leader, void *ctx)
{
    uint32_t gen = atomic_load_explicit(&g->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&g->arrived, 1, memory_order_acq_rel) + 1 == g->parties) {
        atomic_store_explicit(&g->arrived, 0, memory_order_relaxed);
        if (leader)
            leader(ctx);
        /* seq_cst pairs with the sleepers increment below (Dekker): either
         * the sleeper sees the new generation or we see the sleeper. */
        atomic_store_explicit(&g->generation, gen + 1, memory_order_seq_cst);
        if (atomic_load_explicit(&g->sleepers, memory_order_seq_cst) != 0)
            rl_futex_wake_all(&g->generation);
        return 1;
    }
    for (uint32_t i = 0; i < g->spin_limit; i++) {
        if (atomic_load_explicit(&g->generation, memory_order_acquire) != gen)
            return 0;
        cpu_relax();
    }
    atomic_fetch_add_explicit(&g->sleepers, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&g->generation, memory_order_seq_cst) == gen)
        rl_futex_wait(&g->generation, gen, 0);
    atomic_fetch_sub_explicit(&g->sleepers, 1, memory_order_relaxed);
    return 0;
}
