/* gate.h — a reusable barrier that spins briefly, then blocks in the kernel.
 *
 * The last thread to arrive runs the leader callback while the others wait,
 * then releases them all. Actors may outnumber cores, so waiters give up
 * spinning after a short budget and sleep on a futex. */
#ifndef RACELAB_GATE_H
#define RACELAB_GATE_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct {
    _Atomic uint32_t arrived;
    _Atomic uint32_t generation; /* futex word: bumped at each release */
    _Atomic uint32_t sleepers;
    uint32_t parties;
    uint32_t spin_limit;
} rl_gate;

typedef void (*rl_gate_leader_fn)(void *ctx);

void rl_gate_init(rl_gate *g, uint32_t parties, uint32_t spin_limit);
/* Returns 1 in the thread that ran the leader callback. */
int rl_gate_pass(rl_gate *g, rl_gate_leader_fn leader, void *ctx);

/* futex helpers, shared with the watchdog */
void rl_futex_wait(_Atomic uint32_t *word, uint32_t expected, double timeout_s);
void rl_futex_wake_all(_Atomic uint32_t *word);

#endif
