/* threads.c — who the calling thread is. The main thread is 0; each created
 * thread gets the next index from its creator (so a program that creates its
 * threads in one order numbers them the same way every run), and its own
 * generator seeded from the run's seed and that index (rl_thread_seed, as
 * scenario actors are). A thread the library did not see created (one
 * started before it was loaded, or by clone) gets an index when it first
 * calls in.
 *
 * Counters live in per-thread slots (the index modulo SLOTS), added to with
 * relaxed atomics: a thread mostly touches its own cache lines.
 *
 * Start records carry (start routine, argument, index) to the new thread.
 * They come from a fixed pool, so the new thread need not call free() before
 * its own start-up (under TSan that runs inside the sanitizer's start
 * routine, which comes after ours). */
#include "preload.h"

#include "../../../harness/common/splitmix.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#define SLOTS 64
#define POOL 512

static __thread rl_exec_thread self
    __attribute__((tls_model("initial-exec"))) = {-1, 0, 0, 0, NULL};

static rl_exec_counts slots[SLOTS];
static _Atomic int next_index = 1;
static _Atomic int started = 1; /* the main thread */

static rl_exec_start pool[POOL];
static _Atomic int pool_busy[POOL];
static _Atomic unsigned pool_hint;

static void enter(rl_exec_thread *t, int index)
{
    t->index = index;
    t->rng = rl_thread_seed(rl_exec_seed, index);
    (void)rl_splitmix64(&t->rng);
    t->counts = &slots[(unsigned)index % SLOTS];
}

rl_exec_thread *rl_exec_self(void)
{
    rl_exec_thread *t = &self;
    if (t->index < 0) {
        int main_thread = syscall(SYS_gettid) == (long)getpid();
        enter(t, main_thread ? 0 : atomic_fetch_add(&next_index, 1));
    }
    return t;
}

int rl_exec_next_index(void) { return atomic_fetch_add(&next_index, 1); }

void rl_exec_thread_begin(int index)
{
    atomic_fetch_add_explicit(&started, 1, memory_order_relaxed);
    enter(&self, index);
}

int rl_exec_thread_count(void) { return atomic_load(&started); }

void rl_exec_counts_sum(rl_exec_counts *out)
{
    memset(out, 0, sizeof *out);
    for (int s = 0; s < SLOTS; s++)
        for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
            atomic_fetch_add_explicit(&out->hits[p],
                                      atomic_load_explicit(&slots[s].hits[p], memory_order_relaxed),
                                      memory_order_relaxed);
            atomic_fetch_add_explicit(
                &out->fired[p], atomic_load_explicit(&slots[s].fired[p], memory_order_relaxed),
                memory_order_relaxed);
        }
}

void rl_exec_counts_reset(void)
{
    for (int s = 0; s < SLOTS; s++)
        for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
            atomic_store_explicit(&slots[s].hits[p], 0, memory_order_relaxed);
            atomic_store_explicit(&slots[s].fired[p], 0, memory_order_relaxed);
        }
    atomic_store(&started, 1);
}

rl_exec_start *rl_exec_start_take(void)
{
    unsigned hint = atomic_fetch_add_explicit(&pool_hint, 1, memory_order_relaxed);
    for (unsigned k = 0; k < POOL; k++) {
        unsigned i = (hint + k) % POOL;
        int expected = 0;
        if (atomic_compare_exchange_strong(&pool_busy[i], &expected, 1))
            return &pool[i];
    }
    return NULL;
}

void rl_exec_start_release(rl_exec_start *s) { atomic_store(&pool_busy[s - pool], 0); }
