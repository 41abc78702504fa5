/* sched_mechanism.c — the baton, the choice at each scheduling point, and the
 * trial's life: begin, each thread's part, the end, and the abort.
 *
 * Each thread has a futex word `go`; the baton passes by a release store to
 * the next thread's word, which that thread acquires. When nobody can run,
 * or the strategy names a thread that cannot, the trial is aborted: every
 * thread still inside is woken with the abort flag set and longjmps back to
 * where its part began (rl_sched_run_thread) — or, when the driver set an
 * abort hook (exec mode: the trial is the process), the hook ends it all.
 *
 * With a `stalled` hook, threads waiting for their turn also watch the
 * holder: one that makes no choice for RL_SCHED_STALL_TICKS ticks while the
 * driver says it is blocked outside the model leaves control (T_OUTSIDE),
 * and the watcher that wins the lease takes over and passes the baton on.
 * The thread that left asks back in (want_in) at its next rl_sched_enter;
 * the next holder's choice, or the thread itself when nobody holds the
 * baton, makes it runnable again. */
#include "sched_internal.h"

#include "../../harness/common/gate.h"
#include "../../harness/common/splitmix.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

int rl_sched_active;
sched_mechanism rl_sched_m;
_Thread_local int rl_sched_me = -1;
static _Thread_local jmp_buf *abort_to; /* where the calling thread's part began */

#define M rl_sched_m

static void runnable_set(rl_thread_set *set)
{
    rl_tset_clear(set);
    for (int i = 0; i < M.nthreads; i++)
        if (M.t[i].state == T_RUNNABLE)
            rl_tset_add(set, i);
}

/* Threads back from outside control become runnable (the holder's work). */
static void absorb_wants(void)
{
    for (int i = 0; i < M.nthreads && M.outside > 0; i++)
        if (M.t[i].state == T_OUTSIDE && atomic_exchange(&M.t[i].want_in, 0)) {
            M.t[i].state = T_RUNNABLE;
            M.outside--;
            if (M.tracing)
                rl_sched_tracef_as(i, "rejoins the schedule");
        }
}

/* Nobody else can run: timed waits time out (time passes only then). */
static void time_out_waits(rl_thread_set *set)
{
    for (int i = 0; i < M.nthreads; i++) {
        sched_thread *t = &M.t[i];
        if (t->state == T_BLOCKED && t->waiting == W_COND && t->timed) {
            t->state = T_RUNNABLE;
            t->waiting = W_NONE;
            t->timed_out = 1;
            rl_tset_add(set, i);
        }
    }
}

/* A livelock in a whole program (no step limit): this many choices in a row
 * at yielding points, nobody doing anything but giving way, while no
 * thread is outside control. A fair schedule runs every runnable thread
 * within about `threads` such steps (random: the chance of missing one
 * thread 50 times as long is below e^-50). */
static int livelock_bound(void) { return 1000 + 50 * M.nthreads; }

/* "T1, T2 give way to each other": the threads that yielded in the run. */
static void describe_livelock(void)
{
    size_t used = 0;
    char *out = M.result.waits;
    size_t len = sizeof M.result.waits;
    out[0] = '\0';
    int n = 0;
    for (int i = 0; i < M.nthreads && used + 32 < len; i++)
        if (M.t[i].yields > 0 && M.t[i].state != T_DONE) {
            used += (size_t)snprintf(out + used, len - used, "%sT%d", n ? ", " : "", i);
            n++;
        }
    snprintf(out + used, len - used, " %s for %d steps in a row",
             n == 1 ? "gives way, alone," : "give way to each other", M.yield_run);
}

int rl_sched_choose(int current)
{
    absorb_wants();
    rl_thread_set set;
    runnable_set(&set);
    if (rl_tset_empty(&set))
        time_out_waits(&set);
    if (rl_tset_empty(&set))
        return -1;
    rl_sched_decision d = {M.steps, current, &set, 0, 0, M.events};
    int gives_way = 0; /* the current thread reached a yield, a short sleep, a retry */
    if (current >= 0) {
        sched_thread *t = &M.t[current];
        gives_way = t->yielding && rl_tset_has(&set, current);
        t->yielding = 0;
        t->yields += gives_way;
        /* fairness: the second yield in a row (no other call of the thread
         * between them but a trylock) gives way, and every one after it, so
         * a spin loop lets the others run; a single yield is an ordinary
         * point (a real yield may return at once, and a bug may hide right
         * behind it), and so is a yield after real work */
        if (gives_way)
            t->streak++;
        else if (!t->neutral)
            t->streak = 0;
        t->neutral = 0;
        d.yielding = gives_way && t->streak >= 2;
        d.exiting = t->exiting;
    }
    M.yield_run = gives_way && M.outside == 0 ? M.yield_run + 1 : 0;
    if ((M.steps >= RL_SCHED_TRIAL_STEPS && !M.hooks.unbounded) || M.yield_run > livelock_bound()) {
        M.result.step_limit = 1;
        if (M.yield_run > livelock_bound())
            describe_livelock();
        SCHED_TRACE("livelock: %s", M.result.waits[0] ? M.result.waits : "the step limit");
        rl_sched_abort(); /* returns only on the driver's thread */
        return -1;
    }
    int c = M.strategy->choose(M.strategy, &d);
    if (!rl_tset_has(&set, c)) {
        M.result.diverged = 1;
        M.result.diverged_to = c;
        M.result.threads = M.nthreads;
        rl_sched_abort();
        return -1;
    }
    M.preemptions += rl_sched_preempts(&d, c);
    if (M.hooks.step != NULL)
        M.hooks.step(&d, c);
    if (M.steps < RL_SCHED_MAX_STEPS)
        M.choices[M.steps] = c; /* past the limit (unbounded): chosen, not recorded */
    M.steps++;
    atomic_fetch_add_explicit(&M.progress, 1, memory_order_relaxed);
    return c;
}

/* ---- the baton ------------------------------------------------------------ */

void rl_sched_pass(int next)
{
    int me = rl_sched_me;
    if (me >= 0 && me != next)
        atomic_store_explicit(&M.t[me].lease, L_IDLE, memory_order_relaxed);
    atomic_store_explicit(&M.holder, next, memory_order_relaxed);
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

/* The stalled holder `h` has left control; the caller `me` has its lease.
 * Returns 1 when the baton is the caller's now. */
static int take_over(int h, int me, int spin)
{
    M.t[h].state = T_OUTSIDE;
    M.outside++;
    if (spin) {
        if (M.tracing)
            rl_sched_tracef_as(h, "spins outside any call: leaves control");
        M.hooks.spun(h, M.t[h].last_site);
    } else {
        M.result.left_control++;
        if (M.tracing)
            rl_sched_tracef_as(h, "leaves control (blocked in a call outside the scheduler)");
        if (M.hooks.left != NULL)
            M.hooks.left(h);
    }
    int next = rl_sched_choose(h);
    if (next < 0) {
        atomic_store(&M.holder, -1); /* parked until a thread comes back */
        return 0;
    }
    if (next == me) {
        atomic_store(&M.holder, me);
        return 1;
    }
    rl_sched_pass(next);
    return 0;
}

/* Until the baton is the caller's: given by its holder, taken over from a
 * stalled holder, or picked up when parked and the caller wants back in. */
static void wait_for_baton(int me)
{
    uint32_t last = 0;
    int quiet = 0;
    while (!atomic_load_explicit(&M.t[me].go, memory_order_acquire)) {
        if (M.hooks.stalled == NULL) {
            rl_futex_wait(&M.t[me].go, 0, 0);
            continue;
        }
        rl_futex_wait(&M.t[me].go, 0, RL_SCHED_STALL_TICK);
        if (atomic_load_explicit(&M.t[me].go, memory_order_acquire))
            break;
        int h = atomic_load(&M.holder);
        if (h < 0) {
            int parked = -1;
            if (atomic_load(&M.t[me].want_in) &&
                atomic_compare_exchange_strong(&M.holder, &parked, me)) {
                absorb_wants();
                return;
            }
            continue;
        }
        uint32_t p = atomic_load_explicit(&M.progress, memory_order_relaxed);
        int holding = h != me && atomic_load(&M.t[h].lease) == L_HELD;
        quiet = p == last && holding ? quiet + 1 : 0;
        last = p;
        if (quiet < RL_SCHED_STALL_TICKS)
            continue;
        int spin = 0;
        if (!M.hooks.stalled(h)) {
            spin = M.hooks.running != NULL && quiet >= RL_SCHED_SPIN_TICKS && M.hooks.running(h);
            if (!spin)
                continue;
        }
        quiet = 0;
        int held = L_HELD;
        if (atomic_compare_exchange_strong(&M.t[h].lease, &held, L_STOLEN) &&
            take_over(h, me, spin))
            return;
    }
}

void rl_sched_wait_turn(int me)
{
    wait_for_baton(me);
    atomic_store_explicit(&M.t[me].go, 0, memory_order_relaxed);
    atomic_store_explicit(&M.t[me].lease, L_POINT, memory_order_relaxed);
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
    if (M.hooks.abort != NULL)
        M.hooks.abort(&M.result); /* does not return */
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
        /* the point's line says what the thread was about to do: this one
         * says it has not done it yet when the next thread's steps follow */
        SCHED_TRACE("preempted: T%d runs", next);
        rl_sched_pass(next);
        rl_sched_wait_turn(me);
    }
}

/* Nobody can run but a thread outside control will come back: the baton
 * is parked. */
static int park(void)
{
    if (M.outside == 0)
        return 0;
    if (rl_sched_me >= 0)
        atomic_store(&M.t[rl_sched_me].lease, L_IDLE);
    atomic_store(&M.holder, -1);
    return 1;
}

void rl_sched_block(void)
{
    int me = rl_sched_me;
    int next = rl_sched_choose(me);
    if (next < 0 && park()) {
        rl_sched_wait_turn(me);
        return;
    }
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
    rl_sched_pending_at(RL_EV_NONE, 0, 0, name);
    SCHED_TRACE("point %s", name);
    rl_sched_switch();
}

void rl_sched_access_point(const char *name, const void *addr, int write)
{
    rl_sched_pending_at(RL_EV_ACCESS, (uintptr_t)addr, write, name);
    SCHED_TRACE("point %s", name);
    rl_sched_switch();
    /* the access happens next, before the thread's next point */
    uint64_t key = rl_sched_obs_key(OBS_MEM, (uint64_t)(uintptr_t)addr);
    if (write)
        rl_sched_obs_write(key, rl_sched_pending_site());
    else
        rl_sched_obs_read(key, rl_sched_pending_site());
}

void rl_sched_yield_point(const char *name)
{
    rl_sched_pending_at(RL_EV_NONE, 0, 0, name);
    SCHED_TRACE("point %s (gives way)", name);
    M.t[rl_sched_me].yielding = 1;
    rl_sched_switch();
}

void rl_sched_spinning(void)
{
    if (rl_sched_me >= 0)
        M.t[rl_sched_me].yielding = 1;
}

void rl_sched_exit_point(const char *name)
{
    rl_sched_pending_at(RL_EV_EXIT, 0, 0, name);
    SCHED_TRACE("%s: the process ends", name);
    M.t[rl_sched_me].exiting = 1;
    rl_sched_switch();
    M.t[rl_sched_me].exiting = 0;
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
    /* its end is its last event's: a join of it reads that */
    rl_sched_obs_write(rl_sched_obs_key(OBS_END, (uint64_t)me), M.events[me].site);
    M.t[me].site = NULL;
    rl_sched_pending(RL_EV_EXIT, (uintptr_t)me + 1, 1); /* races with a join of it */
    SCHED_TRACE("ends");
    M.t[me].state = T_DONE;
    for (int i = 0; i < M.nthreads; i++)
        if (M.t[i].state == T_BLOCKED && M.t[i].waiting == W_JOIN && M.t[i].join_target == me) {
            M.t[i].state = T_RUNNABLE;
            M.t[i].waiting = W_NONE;
        }
    int next = rl_sched_choose(me);
    if (next < 0 && park()) {
        rl_sched_leave();
        return;
    }
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
        rl_sched_exit();
        body(arg);
        rl_sched_enter();
        thread_done();
    }
    rl_sched_me = -1;
    abort_to = NULL;
}

void rl_sched_adopt(int id)
{
    rl_sched_me = id;
    rl_sched_wait_turn(id);
    rl_sched_exit();
}

void rl_sched_thread_end(void)
{
    if (!rl_sched_here())
        return;
    rl_sched_enter();
    thread_done();
    rl_sched_me = -1;
}

void rl_sched_enter(void)
{
    int me = rl_sched_me;
    if (me < 0 || M.hooks.stalled == NULL)
        return;
    int held = L_HELD;
    if (atomic_compare_exchange_strong(&M.t[me].lease, &held, L_POINT))
        return;
    /* stolen: it left control while blocked outside; back in line */
    atomic_store(&M.t[me].lease, L_IDLE);
    atomic_store(&M.t[me].want_in, 1);
    int parked = -1;
    if (atomic_compare_exchange_strong(&M.holder, &parked, me)) {
        absorb_wants();
        atomic_store(&M.t[me].lease, L_POINT);
        return;
    }
    rl_sched_wait_turn(me);
}

void rl_sched_exit(void)
{
    int me = rl_sched_me;
    if (me >= 0 && M.hooks.stalled != NULL)
        atomic_store(&M.t[me].lease, L_HELD);
}

void rl_sched_site(const void *caller)
{
    if (rl_sched_me >= 0) {
        M.t[rl_sched_me].site = caller;
        if (caller != NULL)
            M.t[rl_sched_me].last_site = caller;
    }
}

void rl_sched_set_hooks(const rl_sched_hooks *hooks) { M.hooks = *hooks; }

int rl_sched_here(void) { return rl_sched_active && rl_sched_me >= 0; }

/* ---- the driver's side ------------------------------------------------------ */

void rl_sched_setup(int threads, uint64_t seed)
{
    M.initial_threads = threads;
    M.seed = seed;
    if (M.trace == NULL)
        rl_sched_trace_into(M.own_trace, sizeof M.own_trace);
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
    M.outside = 0;
    M.yield_run = 0;
    rl_sched_objects_reset();
    rl_sched_obs_reset();
    for (int i = 0; i < M.nthreads; i++) {
        sched_thread *t = &M.t[i];
        t->state = T_RUNNABLE;
        t->waiting = W_NONE;
        t->spawned = t->detached = t->joined = 0;
        t->site = t->last_site = t->hint = NULL;
        t->timed = t->timed_out = 0;
        t->yielding = t->exiting = 0;
        t->yields = t->streak = t->neutral = t->fresh = 0;
        M.events[i] = (rl_sched_event){RL_EV_START, 0, 0, 0};
        atomic_store_explicit(&t->go, 0, memory_order_relaxed);
        atomic_store_explicit(&t->lease, L_IDLE, memory_order_relaxed);
        atomic_store_explicit(&t->want_in, 0, memory_order_relaxed);
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
    if (M.strategy->observe != NULL) {
        const rl_sched_pair *pairs = NULL;
        int n = rl_sched_observed(&pairs);
        M.strategy->observe(M.strategy, pairs, n);
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
