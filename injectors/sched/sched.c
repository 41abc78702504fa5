/* sched.c — the controlled scheduler: one thread of a trial runs at a time,
 * and at every scheduling point the strategy picks who runs next.
 *
 * The baton: each thread has a futex word `go`; the thread that holds the
 * baton is the only one touching the scheduler's state, and passing it is a
 * release store that the next thread acquires, so every step happens-before
 * the next (TSan sees a serial program). Locks, condition variables and
 * joins are modelled here, never taken for real, so the scheduler knows who
 * is blocked on what. When nobody can run but somebody has not finished, the
 * trial is a deadlock: every thread still inside is woken with the abort
 * flag and longjmps back to where its trial began. */
#include "sched.h"

#include "../../harness/common/gate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int rl_sched_active;

typedef enum { T_RUNNABLE, T_BLOCKED, T_DONE } thread_state;
typedef enum { W_NONE, W_MUTEX, W_COND, W_JOIN } wait_kind;

typedef struct {
    thread_state state;
    wait_kind waiting;
    const void *waits_for; /* the mutex or cond */
    int join_target;
    _Atomic uint32_t go; /* 1: this thread holds the baton */
    jmp_buf *abort_to;
    pthread_t pthread;
    int spawned, detached, joined;
    int actor; /* rl_self() of the thread */
    long prio; /* pct */
} sched_thread;

static struct {
    rl_strategy strategy;
    uint64_t seed;
    uint64_t rng;
    int actors;
    int nthreads;
    sched_thread t[RL_SCHED_MAX_THREADS];
    int current;
    int steps;
    int preemptions;
    int choices[RL_SCHED_MAX_STEPS];
    uint32_t runnable_at[RL_SCHED_MAX_STEPS];
    int current_at[RL_SCHED_MAX_STEPS];
    int forced[RL_SCHED_MAX_STEPS];
    int nforced;
    long change_points[16]; /* pct: steps at which the runner's priority drops */
    int nchange;
    int longest; /* pct: steps of the longest trial so far (estimates k) */
    int aborting;
    rl_sched_trial result;
    _Atomic int live;            /* threads still under the scheduler */
    _Atomic uint32_t trial_over; /* futex word for the controller */
    const char *state_base;
    size_t state_size;
    int tracing;
    char trace[65536];
    size_t trace_len;
} S;

static _Thread_local int my_id = -1;

static uint64_t next_random(void)
{
    uint64_t z = (S.rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- strategies and schedules as text --------------------------------- */

int rl_parse_strategy(const char *text, rl_strategy *out)
{
    unsigned long long n = 0;
    memset(out, 0, sizeof *out);
    if (strcmp(text, "random") == 0) {
        out->kind = RL_STRAT_RANDOM;
        return 0;
    }
    if (strncmp(text, "pct:", 4) == 0 && rl_parse_u64(text + 4, &n) == 0 && n >= 1 && n <= 16) {
        out->kind = RL_STRAT_PCT;
        out->depth = (int)n;
        return 0;
    }
    if (strncmp(text, "dfs:", 4) == 0 && rl_parse_u64(text + 4, &n) == 0 && n <= 64) {
        out->kind = RL_STRAT_DFS;
        out->preemptions = (int)n;
        return 0;
    }
    return -1;
}

void rl_format_strategy(const rl_strategy *s, char *buf, size_t len)
{
    if (s->kind == RL_STRAT_RANDOM)
        snprintf(buf, len, "random");
    else if (s->kind == RL_STRAT_PCT)
        snprintf(buf, len, "pct:%d", s->depth);
    else
        snprintf(buf, len, "dfs:%d", s->preemptions);
}

void rl_schedule_format(const int *choices, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used + 16 < len;) {
        int run = 1;
        while (i + run < n && choices[i + run] == choices[i])
            run++;
        int w = run > 1 ? snprintf(buf + used, len - used, "%s%d*%d", i ? "." : "", choices[i], run)
                        : snprintf(buf + used, len - used, "%s%d", i ? "." : "", choices[i]);
        used += (size_t)w;
        i += run;
    }
}

int rl_schedule_parse(const char *text, int *choices, int max)
{
    int n = 0;
    const char *p = text;
    if (*p == '\0')
        return -1;
    while (*p) {
        char *end = NULL;
        long thread = strtol(p, &end, 10);
        if (end == p || thread < 0 || thread >= RL_SCHED_MAX_THREADS)
            return -1;
        long run = 1;
        p = end;
        if (*p == '*') {
            run = strtol(p + 1, &end, 10);
            if (end == p + 1 || run < 1)
                return -1;
            p = end;
        }
        if (*p == '.')
            p++;
        else if (*p != '\0')
            return -1;
        if (n + run > max)
            return -1;
        for (long i = 0; i < run; i++)
            choices[n++] = (int)thread;
    }
    return n;
}

/* ---- tracing ----------------------------------------------------------- */

static const char *object_name(const void *obj, const char *name, const char *kind, char *buf,
                               size_t len)
{
    if (name != NULL)
        return name;
    const char *p = obj;
    if (S.state_base != NULL && p >= S.state_base && p < S.state_base + S.state_size)
        snprintf(buf, len, "%s@state+%zu", kind, (size_t)(p - S.state_base));
    else
        snprintf(buf, len, "%s@%p", kind, obj);
    return buf;
}

static const char *mutex_name(const rl_mutex *m, char *buf, size_t len)
{
    return object_name(m, m->name, "mutex", buf, len);
}

__attribute__((format(printf, 1, 2))) static void trace(const char *fmt, ...)
{
    if (!S.tracing || S.trace_len + 200 >= sizeof S.trace)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = snprintf(S.trace + S.trace_len, sizeof S.trace - S.trace_len, "step %4d  T%d  ",
                     S.steps, my_id);
    S.trace_len += (size_t)w;
    w = vsnprintf(S.trace + S.trace_len, sizeof S.trace - S.trace_len, fmt, ap);
    S.trace_len += (size_t)w;
    S.trace[S.trace_len++] = '\n';
    S.trace[S.trace_len] = '\0';
    va_end(ap);
}

const char *rl_sched_trace(void) { return S.trace; }

/* ---- choosing ---------------------------------------------------------- */

static uint32_t runnable_mask(void)
{
    uint32_t mask = 0;
    for (int i = 0; i < S.nthreads; i++)
        if (S.t[i].state == T_RUNNABLE)
            mask |= 1u << i;
    return mask;
}

static int lowest(uint32_t mask) { return __builtin_ctz(mask); }

/* Non-preemptive default: keep the current thread while it can run. */
static int default_choice(int cur, uint32_t mask)
{
    return cur >= 0 && (mask & (1u << cur)) ? cur : lowest(mask);
}

static int strategy_choice(int cur, uint32_t mask)
{
    switch (S.strategy.kind) {
    case RL_STRAT_RANDOM: {
        int k = (int)(next_random() % (uint64_t)__builtin_popcount(mask));
        for (int i = 0;; i++)
            if (mask & (1u << i) && k-- == 0)
                return i;
    }
    case RL_STRAT_PCT: {
        for (int c = 0; c < S.nchange; c++)
            if (S.change_points[c] == S.steps && cur >= 0)
                S.t[cur].prio = c + 1; /* below every initial priority */
        int best = -1;
        for (int i = 0; i < S.nthreads; i++)
            if (mask & (1u << i) && (best < 0 || S.t[i].prio > S.t[best].prio))
                best = i;
        return best;
    }
    case RL_STRAT_DFS: break;
    }
    return default_choice(cur, mask);
}

static void abort_trial(void);

/* Picks the next thread; -1 when nobody can run. */
static int choose(int cur)
{
    uint32_t mask = runnable_mask();
    if (mask == 0)
        return -1;
    if (S.steps >= RL_SCHED_MAX_STEPS) {
        S.result.step_limit = 1;
        abort_trial(); /* returns only on the controller */
        return -1;
    }
    int c;
    if (S.steps < S.nforced) {
        c = S.forced[S.steps];
        if (c >= S.nthreads || !(mask & (1u << c))) {
            S.result.diverged = 1;
            abort_trial();
            return -1;
        }
    } else if (S.nforced > 0) {
        c = default_choice(cur, mask); /* past a replayed prefix */
    } else {
        c = strategy_choice(cur, mask);
    }
    if (cur >= 0 && (mask & (1u << cur)) && c != cur)
        S.preemptions++;
    S.runnable_at[S.steps] = mask;
    S.current_at[S.steps] = cur;
    S.choices[S.steps] = c;
    S.steps++;
    return c;
}

/* ---- the baton ---------------------------------------------------------- */

static void pass_to(int next)
{
    S.current = next;
    atomic_store_explicit(&S.t[next].go, 1, memory_order_release);
    rl_futex_wake_all(&S.t[next].go);
}

static void leave(void)
{
    if (atomic_fetch_sub_explicit(&S.live, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&S.trial_over, 1, memory_order_release);
        rl_futex_wake_all(&S.trial_over);
    }
}

static void wait_turn(int me)
{
    while (!atomic_load_explicit(&S.t[me].go, memory_order_acquire))
        rl_futex_wait(&S.t[me].go, 0, 0);
    atomic_store_explicit(&S.t[me].go, 0, memory_order_relaxed);
    if (S.aborting) {
        jmp_buf *to = S.t[me].abort_to;
        leave();
        longjmp(*to, 1);
    }
}

/* Nobody can run: wake everybody still inside with the abort flag. */
static void abort_trial(void)
{
    int me = my_id;
    S.aborting = 1;
    if (!S.result.diverged && !S.result.step_limit) {
        S.result.deadlock = 1;
        size_t used = 0;
        for (int i = 0; i < S.nthreads && used + 128 < sizeof S.result.waits; i++) {
            const sched_thread *t = &S.t[i];
            if (t->state != T_BLOCKED)
                continue;
            char buf[64];
            const char *what = "?";
            int holder = -1;
            if (t->waiting == W_MUTEX) {
                const rl_mutex *m = t->waits_for;
                what = mutex_name(m, buf, sizeof buf);
                holder = m->sched_owner - 1;
            } else if (t->waiting == W_COND) {
                what = object_name(t->waits_for, NULL, "cond", buf, sizeof buf);
            } else if (t->waiting == W_JOIN) {
                snprintf(buf, sizeof buf, "the end of T%d", t->join_target);
                what = buf;
            }
            int w = holder >= 0 ? snprintf(S.result.waits + used, sizeof S.result.waits - used,
                                           "%sT%d waits for %s held by T%d", used ? "; " : "", i,
                                           what, holder)
                                : snprintf(S.result.waits + used, sizeof S.result.waits - used,
                                           "%sT%d waits for %s", used ? "; " : "", i, what);
            used += (size_t)w;
        }
        trace("deadlock: %s", S.result.waits);
    }
    S.result.steps = S.steps;
    S.result.preemptions = S.preemptions;
    for (int i = 0; i < S.nthreads; i++)
        if (i != me && S.t[i].state != T_DONE)
            pass_to(i);
    if (me >= 0) {
        jmp_buf *to = S.t[me].abort_to;
        leave();
        longjmp(*to, 1);
    }
}

/* A scheduling point of the running thread, which stays runnable. */
static void switch_point(void)
{
    int me = my_id;
    int next = choose(me);
    if (next != me) {
        pass_to(next);
        wait_turn(me);
    }
}

/* The running thread has just blocked: run somebody else until woken. */
static void block_and_switch(void)
{
    int me = my_id;
    int next = choose(me);
    if (next < 0) {
        abort_trial(); /* longjmps: a scheduled thread never comes back here */
        return;
    }
    pass_to(next);
    wait_turn(me);
}

static void wake_waiters(wait_kind kind, const void *obj, int all)
{
    for (int i = 0; i < S.nthreads; i++) {
        sched_thread *t = &S.t[i];
        if (t->state == T_BLOCKED && t->waiting == kind && t->waits_for == obj) {
            t->state = T_RUNNABLE;
            t->waiting = W_NONE;
            if (!all)
                return;
        }
    }
}

/* ---- the controller's side --------------------------------------------- */

void rl_sched_setup(const rl_strategy *strategy, uint64_t seed, int actors)
{
    S.strategy = *strategy;
    S.seed = seed;
    S.rng = seed ^ 0x5851f42d4c957f2dULL;
    S.actors = actors;
    S.longest = 1; /* grows to the longest trial seen: PCT's estimate of k */
    rl_sched_active = 1;
}

void rl_sched_force(const int *choices, int n)
{
    S.nforced = 0;
    if (choices == NULL)
        return;
    memcpy(S.forced, choices, (size_t)n * sizeof *choices);
    S.nforced = n;
}

void rl_sched_begin_trial(void *state, size_t state_size, long long trial, int tracing)
{
    (void)trial;
    S.state_base = state;
    S.state_size = state_size;
    S.nthreads = S.actors;
    S.steps = 0;
    S.preemptions = 0;
    S.aborting = 0;
    S.current = -1;
    memset(&S.result, 0, sizeof S.result);
    S.tracing = tracing;
    S.trace_len = 0;
    S.trace[0] = '\0';
    for (int i = 0; i < S.actors; i++) {
        sched_thread *t = &S.t[i];
        t->state = T_RUNNABLE;
        t->waiting = W_NONE;
        t->spawned = t->detached = t->joined = 0;
        t->actor = i;
        atomic_store_explicit(&t->go, 0, memory_order_relaxed);
    }
    if (S.strategy.kind == RL_STRAT_PCT) {
        /* random distinct priorities above the d-1 change priorities */
        for (int i = 0; i < S.actors; i++)
            S.t[i].prio = S.strategy.depth + 1 + i;
        for (int i = S.actors - 1; i > 0; i--) {
            int j = (int)(next_random() % (uint64_t)(i + 1));
            long tmp = S.t[i].prio;
            S.t[i].prio = S.t[j].prio;
            S.t[j].prio = tmp;
        }
        S.nchange = S.strategy.depth - 1;
        for (int c = 0; c < S.nchange; c++)
            S.change_points[c] = (long)(next_random() % (uint64_t)S.longest);
    }
    atomic_store_explicit(&S.live, S.actors, memory_order_relaxed);
    atomic_store_explicit(&S.trial_over, 0, memory_order_relaxed);
    int first = choose(-1);
    if (first >= 0)
        pass_to(first);
}

void rl_sched_end_trial(rl_sched_trial *out)
{
    while (!atomic_load_explicit(&S.trial_over, memory_order_acquire))
        rl_futex_wait(&S.trial_over, 0, 0);
    for (int i = S.actors; i < S.nthreads; i++) {
        sched_thread *t = &S.t[i];
        if (t->spawned && !t->detached && !t->joined)
            pthread_join(t->pthread, NULL); /* the scenario never joined it (or aborted) */
    }
    if (!S.aborting) {
        S.result.steps = S.steps;
        S.result.preemptions = S.preemptions;
    }
    if (S.steps > S.longest)
        S.longest = S.steps;
    *out = S.result;
}

int rl_sched_choices(const int **choices)
{
    *choices = S.choices;
    return S.steps;
}

/* Next schedule of a depth-first search over schedules with at most B
 * preemptions. At each step the alternatives are tried in a fixed order
 * (the non-preemptive default first, then the other runnable threads by
 * index); the deepest step with an untried alternative within the bound is
 * changed and everything after it starts again from defaults. */
int rl_sched_dfs_next(void)
{
    int prefix_preemptions[RL_SCHED_MAX_STEPS + 1];
    prefix_preemptions[0] = 0;
    for (int j = 0; j < S.steps; j++) {
        int cur = S.current_at[j];
        int pre = cur >= 0 && (S.runnable_at[j] & (1u << cur)) && S.choices[j] != cur;
        prefix_preemptions[j + 1] = prefix_preemptions[j] + pre;
    }
    for (int j = S.steps - 1; j >= 0; j--) {
        uint32_t mask = S.runnable_at[j];
        int cur = S.current_at[j];
        int order[RL_SCHED_MAX_THREADS], n = 0;
        int def = default_choice(cur, mask);
        order[n++] = def;
        for (int i = 0; i < RL_SCHED_MAX_THREADS; i++)
            if (mask & (1u << i) && i != def)
                order[n++] = i;
        int at = 0;
        while (order[at] != S.choices[j])
            at++;
        for (int k = at + 1; k < n; k++) {
            int alt = order[k];
            int pre = cur >= 0 && (mask & (1u << cur)) && alt != cur;
            if (prefix_preemptions[j] + pre > S.strategy.preemptions)
                continue;
            memcpy(S.forced, S.choices, (size_t)j * sizeof *S.choices);
            S.forced[j] = alt;
            S.nforced = j + 1;
            return 1;
        }
    }
    S.nforced = 0;
    return 0;
}

/* ---- the threads' side ------------------------------------------------- */

void rl_sched_actor_start(int self, jmp_buf *abort_to)
{
    my_id = self;
    S.t[self].abort_to = abort_to; /* written before the baton can reach us */
    wait_turn(self);
}

void rl_sched_thread_done(void)
{
    int me = my_id;
    trace("ends");
    S.t[me].state = T_DONE;
    for (int i = 0; i < S.nthreads; i++)
        if (S.t[i].state == T_BLOCKED && S.t[i].waiting == W_JOIN && S.t[i].join_target == me) {
            S.t[i].state = T_RUNNABLE;
            S.t[i].waiting = W_NONE;
        }
    int next = choose(me);
    if (next < 0) {
        int unfinished = 0;
        for (int i = 0; i < S.nthreads; i++)
            unfinished += S.t[i].state != T_DONE;
        if (unfinished)
            abort_trial(); /* longjmps to this thread's trial start: it is done anyway */
        leave();
        return;
    }
    pass_to(next);
    leave();
}

void rl_sched_point(const char *name)
{
    trace("point %s", name);
    switch_point();
}

static int can_take(const rl_mutex *m, int me)
{
    return m->sched_owner == 0 || (m->sched_owner == me + 1 && m->recursive);
}

static void acquire(rl_mutex *m, int me)
{
    char buf[64];
    while (!can_take(m, me)) {
        trace("blocks on %s (held by T%d)", mutex_name(m, buf, sizeof buf), m->sched_owner - 1);
        S.t[me].state = T_BLOCKED;
        S.t[me].waiting = W_MUTEX;
        S.t[me].waits_for = m;
        block_and_switch();
    }
    m->sched_owner = me + 1;
    m->sched_depth++;
}

void rl_sched_lock(rl_mutex *m)
{
    char buf[64];
    trace("lock %s", mutex_name(m, buf, sizeof buf));
    switch_point();
    acquire(m, my_id);
    trace("holds %s", mutex_name(m, buf, sizeof buf));
}

int rl_sched_trylock(rl_mutex *m)
{
    char buf[64];
    trace("trylock %s", mutex_name(m, buf, sizeof buf));
    switch_point();
    if (!can_take(m, my_id))
        return 0;
    m->sched_owner = my_id + 1;
    m->sched_depth++;
    return 1;
}

void rl_sched_unlock(rl_mutex *m)
{
    char buf[64];
    trace("unlock %s", mutex_name(m, buf, sizeof buf));
    switch_point();
    if (--m->sched_depth == 0) {
        m->sched_owner = 0;
        wake_waiters(W_MUTEX, m, 1);
    }
}

void rl_sched_cond_wait(rl_cond *c, rl_mutex *m)
{
    int me = my_id;
    char buf[64];
    trace("waits on %s", object_name(c, NULL, "cond", buf, sizeof buf));
    int depth = m->sched_depth;
    m->sched_depth = 0;
    m->sched_owner = 0;
    wake_waiters(W_MUTEX, m, 1);
    S.t[me].state = T_BLOCKED;
    S.t[me].waiting = W_COND;
    S.t[me].waits_for = c;
    block_and_switch();
    acquire(m, me);
    m->sched_depth = depth;
}

void rl_sched_cond_wake(rl_cond *c, int all)
{
    char buf[64];
    trace("%s %s", all ? "broadcasts" : "signals", object_name(c, NULL, "cond", buf, sizeof buf));
    switch_point();
    wake_waiters(W_COND, c, all);
}

typedef struct {
    void *(*fn)(void *);
    void *arg;
    int id;
} spawn_start;

static void *spawned_main(void *p)
{
    spawn_start start = *(spawn_start *)p;
    free(p);
    jmp_buf abort_to;
    rl_context_enter(S.t[start.id].actor, S.seed * 31 + (uint64_t)start.id);
    if (setjmp(abort_to) == 0) {
        rl_sched_actor_start(start.id, &abort_to);
        start.fn(start.arg);
        rl_sched_thread_done();
    }
    return NULL;
}

int rl_sched_spawn(pthread_t *t, int detached, void *(*fn)(void *), void *arg)
{
    int me = my_id;
    trace("spawns T%d", S.nthreads);
    switch_point();
    if (S.nthreads >= RL_SCHED_MAX_THREADS)
        return 11; /* EAGAIN */
    spawn_start *start = malloc(sizeof *start);
    if (start == NULL)
        return 12;
    int id = S.nthreads;
    sched_thread *st = &S.t[id];
    memset(st, 0, sizeof *st);
    st->state = T_RUNNABLE;
    st->spawned = 1;
    st->detached = detached;
    st->actor = S.t[me].actor;
    st->prio = S.strategy.depth + 1 + (long)(next_random() % 1000);
    *start = (spawn_start){.fn = fn, .arg = arg, .id = id};
    S.nthreads++;
    atomic_fetch_add_explicit(&S.live, 1, memory_order_relaxed);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (detached)
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&st->pthread, &attr, spawned_main, start);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(start);
        st->state = T_DONE;
        leave();
        return rc;
    }
    *t = st->pthread;
    return 0;
}

void *rl_sched_join(pthread_t t)
{
    int me = my_id;
    int target = -1;
    for (int i = S.actors; i < S.nthreads; i++)
        if (S.t[i].spawned && pthread_equal(S.t[i].pthread, t))
            target = i;
    trace("joins T%d", target);
    switch_point();
    void *ret = NULL;
    if (target < 0) {
        pthread_join(t, &ret); /* not one of this trial's threads */
        return ret;
    }
    while (S.t[target].state != T_DONE) {
        S.t[me].state = T_BLOCKED;
        S.t[me].waiting = W_JOIN;
        S.t[me].join_target = target;
        block_and_switch();
    }
    S.t[target].joined = 1;
    pthread_join(t, &ret);
    return ret;
}

int rl_sched_here(void) { return rl_sched_active && my_id >= 0; }

/* A child process of a forked trial runs on its own: real pthreads there. */
static void child_after_fork(void)
{
    rl_sched_active = 0;
    my_id = -1;
}

__attribute__((constructor)) static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, child_after_fork);
}
