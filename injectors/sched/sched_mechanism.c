/* sched_mechanism.c — the baton, the choice at each scheduling point, and the
 * trial's life: begin, each thread's part, the end, and the abort.
 *
 * Each thread has a futex word `go`; the baton passes by a release store to
 * the next thread's word, which that thread acquires. When nobody can run,
 * or the strategy names a thread that cannot, the trial is aborted: every
 * thread still inside is woken with the abort flag set and longjmps back to
 * where its part began (rl_sched_run_thread). */
#include "sched_internal.h"

#include "../../harness/common/gate.h"
#include "../../harness/common/splitmix.h"

#include <setjmp.h>
#include <string.h>

int rl_sched_active;
sched_mechanism rl_sched_m;
_Thread_local int rl_sched_me = -1;
static _Thread_local jmp_buf *abort_to; /* where the calling thread's part began */

#define M rl_sched_m

static uint32_t runnable_mask(void)
{
    uint32_t mask = 0;
    for (int i = 0; i < M.nthreads; i++)
        if (M.t[i].state == T_RUNNABLE)
            mask |= 1u << i;
    return mask;
}

int rl_sched_choose(int current)
{
    uint32_t mask = runnable_mask();
    if (mask == 0)
        return -1;
    if (M.steps >= RL_SCHED_MAX_STEPS) {
        M.result.step_limit = 1;
        rl_sched_abort(); /* returns only on the driver's thread */
        return -1;
    }
    int c = M.strategy->choose(M.strategy, M.steps, current, mask);
    if (c < 0 || c >= RL_SCHED_MAX_THREADS || !(mask & (1u << c))) {
        M.result.diverged = 1;
        M.result.diverged_to = c;
        M.result.threads = M.nthreads;
        rl_sched_abort();
        return -1;
    }
    M.preemptions += rl_sched_preempts(current, mask, c);
    M.choices[M.steps++] = c;
    return c;
}

/* ---- the baton ------------------------------------------------------------ */

void rl_sched_pass(int next)
{
    atomic_store_explicit(&M.t[next].go, 1, memory_order_release);
    rl_futex_wake_all(&M.t[next].go);
}

void rl_sched_leave(void)
{
    if (atomic_fetch_sub_explicit(&M.live, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&M.trial_over, 1, memory_order_release);
        rl_futex_wake_all(&M.trial_over);
    }
}

void rl_sched_wait_turn(int me)
{
    while (!atomic_load_explicit(&M.t[me].go, memory_order_acquire))
        rl_futex_wait(&M.t[me].go, 0, 0);
    atomic_store_explicit(&M.t[me].go, 0, memory_order_relaxed);
    if (M.aborting) {
        rl_sched_leave();
        longjmp(*abort_to, 1);
    }
}

void rl_sched_abort(void)
{
    int me = rl_sched_me;
    M.aborting = 1;
    if (!M.result.diverged && !M.result.step_limit) {
        M.result.deadlock = 1;
        rl_sched_describe_waits(M.result.waits, sizeof M.result.waits);
        SCHED_TRACE("deadlock: %s", M.result.waits);
    }
    M.result.steps = M.steps;
    M.result.preemptions = M.preemptions;
    for (int i = 0; i < M.nthreads; i++)
        if (i != me && M.t[i].state != T_DONE)
            rl_sched_pass(i);
    if (me >= 0) {
        rl_sched_leave();
        longjmp(*abort_to, 1);
    }
}

void rl_sched_switch(void)
{
    int me = rl_sched_me;
    int next = rl_sched_choose(me);
    if (next != me) {
        rl_sched_pass(next);
        rl_sched_wait_turn(me);
    }
}

void rl_sched_block(void)
{
    int me = rl_sched_me;
    int next = rl_sched_choose(me);
    if (next < 0) {
        rl_sched_abort(); /* longjmps: a blocked thread never comes back here */
        return;
    }
    rl_sched_pass(next);
    rl_sched_wait_turn(me);
}

void rl_sched_wake(sched_wait_kind kind, const sched_object *obj, int all)
{
    for (int i = 0; i < M.nthreads; i++) {
        sched_thread *t = &M.t[i];
        if (t->state == T_BLOCKED && t->waiting == kind && t->waits_for == obj) {
            t->state = T_RUNNABLE;
            t->waiting = W_NONE;
            if (!all)
                return;
        }
    }
}

void rl_sched_point(const char *name)
{
    SCHED_TRACE("point %s", name);
    rl_sched_switch();
}

/* ---- a thread's part ------------------------------------------------------- */

static int unfinished(void)
{
    int n = 0;
    for (int i = 0; i < M.nthreads; i++)
        n += M.t[i].state != T_DONE;
    return n;
}

static void thread_done(void)
{
    int me = rl_sched_me;
    SCHED_TRACE("ends");
    M.t[me].state = T_DONE;
    for (int i = 0; i < M.nthreads; i++)
        if (M.t[i].state == T_BLOCKED && M.t[i].waiting == W_JOIN && M.t[i].join_target == me) {
            M.t[i].state = T_RUNNABLE;
            M.t[i].waiting = W_NONE;
        }
    int next = rl_sched_choose(me);
    if (next < 0) {
        if (unfinished())
            rl_sched_abort(); /* longjmps to the part's start: it is over anyway */
        rl_sched_leave();
        return;
    }
    rl_sched_pass(next);
    rl_sched_leave();
}

void rl_sched_run_thread(int id, void (*body)(void *arg), void *arg)
{
    jmp_buf start; /* in this frame: no caller's locals are clobbered */
    if (setjmp(start) == 0) {
        rl_sched_me = id;
        abort_to = &start;
        rl_sched_wait_turn(id);
        body(arg);
        thread_done();
    }
    rl_sched_me = -1;
    abort_to = NULL;
}

int rl_sched_here(void) { return rl_sched_active && rl_sched_me >= 0; }

/* ---- the driver's side ------------------------------------------------------ */

void rl_sched_setup(int threads, uint64_t seed)
{
    M.initial_threads = threads;
    M.seed = seed;
    rl_sched_active = 1;
}

void rl_sched_use(rl_sched_strategy *strategy) { M.strategy = strategy; }

uint64_t rl_sched_thread_seed(int id) { return rl_thread_seed(M.seed, id); }

void rl_sched_begin_trial(const void *state, size_t state_size, int tracing)
{
    M.state_base = state;
    M.state_size = state_size;
    M.nthreads = M.initial_threads;
    M.steps = 0;
    M.preemptions = 0;
    M.aborting = 0;
    memset(&M.result, 0, sizeof M.result);
    M.tracing = tracing;
    M.trace_len = 0;
    M.trace[0] = '\0';
    rl_sched_objects_reset();
    for (int i = 0; i < M.nthreads; i++) {
        sched_thread *t = &M.t[i];
        t->state = T_RUNNABLE;
        t->waiting = W_NONE;
        t->spawned = t->detached = t->joined = 0;
        atomic_store_explicit(&t->go, 0, memory_order_relaxed);
    }
    M.strategy->new_trial(M.strategy, M.nthreads);
    atomic_store_explicit(&M.live, M.nthreads, memory_order_relaxed);
    atomic_store_explicit(&M.trial_over, 0, memory_order_relaxed);
    int first = rl_sched_choose(-1);
    if (first >= 0)
        rl_sched_pass(first);
}

void rl_sched_end_trial(rl_sched_trial *out)
{
    while (!atomic_load_explicit(&M.trial_over, memory_order_acquire))
        rl_futex_wait(&M.trial_over, 0, 0);
    for (int i = M.initial_threads; i < M.nthreads; i++) {
        sched_thread *t = &M.t[i];
        if (t->spawned && !t->detached && !t->joined)
            pthread_join(t->pthread, NULL); /* the trial never joined it (or was aborted) */
    }
    if (!M.aborting) {
        M.result.steps = M.steps;
        M.result.preemptions = M.preemptions;
    }
    M.result.more = M.strategy->trial_done(M.strategy, M.steps);
    *out = M.result;
}

int rl_sched_choices(const int **choices)
{
    *choices = M.choices;
    return M.steps;
}

/* A child process of a forked trial runs on its own: real pthreads there. */
static void child_after_fork(void)
{
    rl_sched_active = 0;
    rl_sched_me = -1;
}

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, child_after_fork);
}
