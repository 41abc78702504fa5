/* locked_decorator — the threading wiki's own proposed `locked()` helper
 * (seeds/000, "Proposal": django.utils.locking, after Michele Simionato's
 * decorator module).
 *
 *     def getattr_(obj, name, default_thunk):
 *         "Similar to .setdefault in dictionaries."
 *         try:
 *             return getattr(obj, name)
 *         except AttributeError:
 *             default = default_thunk()
 *             setattr(obj, name, default)
 *             return default
 *
 *     def locked(func, *args, **kw):
 *         lock = getattr_(func, "__lock", RLock)
 *         lock.acquire()
 *         try:
 *             result = func(*args, **kw)
 *         finally:
 *             lock.release()
 *
 * "All functions that have .alters_data = True should be wrapped with a
 * locked block." The lock is made lazily, with a check-then-act: two first
 * callers both miss the attribute, each creates its own RLock, each sets it,
 * each acquires its own, and both run func at once. The proposed fix is
 * itself racy — on the first call only, which is what makes it hard to see.
 *
 * A trial is one freshly defined function and two threads calling
 * locked(func) for the first time (the actors). func is an alters_data
 * method: obj.counter += 1; obj.save() (slow). */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, EAGER, ONCE };
enum { OK, SPARE_LOCK, TWO_LOCKS, TWO_INSIDE };
enum { AT_CREATE_LOCK, AT_FUNC };
#define CALLERS 2

typedef struct {
    /* func.__lock; NULL means AttributeError */
    rl_mutex *lock_attr;               /* racy: a plain attribute */
    _Atomic(rl_mutex *) lock_attr_cas; /* once: installed with compare-and-swap */
    rl_mutex eager_lock;               /* eager: made when func is wrapped */
    rl_mutex made[CALLERS];            /* the RLock() each caller created, if any */
    int created[CALLERS];              /* caller a created made[a] */
    /* what func does and what the oracle watches */
    int counter;             /* obj.counter, the data the lock protects */
    atomic_int inside;       /* oracle probe: callers inside func (relaxed: no ordering) */
    int overlap[CALLERS];    /* caller a entered func while another was inside */
    rl_mutex *held[CALLERS]; /* the lock caller a acquired */
} wrapped_func;

/* RLock(): a new lock object. Under the GIL an allocation is atomic; here
 * each caller builds its lock in its own slot. */
static rl_mutex *new_rlock(wrapped_func *f)
{
    int me = rl_self();
    rl_mutex_init_recursive(&f->made[me]);
    rl_mutex_name(&f->made[me], me == 0 ? "func.__lock (T0's)" : "func.__lock (T1's)");
    f->created[me] = 1;
    return &f->made[me];
}

/* The wiki's getattr_, ported literally. */
static rl_mutex *getattr_racy(wrapped_func *f)
{
    rl_mutex *lock = f->lock_attr; /* RACE: try: getattr(func, "__lock") */
    if (lock == NULL) {            /* except AttributeError: */
        lock = new_rlock(f);
        /* T1 and T2 both missed the attribute above; each made its own lock
         * and each sets it here (the last one wins, for later callers) */
        RL_POINT(AT_CREATE_LOCK);
        f->lock_attr = lock; /* RACE: setattr(func, "__lock", default) */
    }
    return lock; /* each first caller goes on with its own lock */
}

/* Lazy, but only one lock can ever be installed: each caller that misses
 * makes a candidate and tries to install it with a compare-and-swap; the
 * loser drops its candidate (a spare, never used) and takes the winner's.
 * (pthread_once would do too; the CAS never waits for another thread.) */
static rl_mutex *getattr_once(wrapped_func *f)
{
    rl_mutex *lock = atomic_load_explicit(&f->lock_attr_cas, memory_order_acquire);
    if (lock == NULL) {
        rl_mutex *mine = new_rlock(f);
        RL_POINT(AT_CREATE_LOCK);
        rl_mutex *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(&f->lock_attr_cas, &expected, mine,
                                                    memory_order_acq_rel, memory_order_acquire))
            lock = mine;
        else
            lock = expected; /* the installed lock; ours is a spare */
    }
    return lock;
}

/* func: an alters_data method. */
static void func(wrapped_func *f)
{
    int me = rl_self();
    if (atomic_fetch_add_explicit(&f->inside, 1, memory_order_relaxed) > 0)
        f->overlap[me] = 1;
    int c = f->counter; /* obj.counter += 1 */
    RL_POINT(AT_FUNC);  /* obj.save(): a database round-trip */
    f->counter = c + 1;
    atomic_fetch_sub_explicit(&f->inside, 1, memory_order_relaxed);
}

/* locked(func): get the function's lock, call func under it. */
static void caller(void *state, int variant)
{
    wrapped_func *f = state;
    rl_mutex *lock = variant == RACY    ? getattr_racy(f)
                     : variant == EAGER ? &f->eager_lock
                                        : getattr_once(f);
    f->held[rl_self()] = lock;
    rl_mutex_lock(lock);
    func(f);
    rl_mutex_unlock(lock);
}

/* eager: the lock is made when the function is wrapped, before any call
 * (i.e. at import time, while one thread runs). */
static void init(void *state, int variant)
{
    wrapped_func *f = state;
    if (variant == EAGER) {
        rl_mutex_init_recursive(&f->eager_lock);
        rl_mutex_name(&f->eager_lock, "func.__lock");
    }
}

static void fini(void *state, int variant)
{
    wrapped_func *f = state;
    if (variant == EAGER)
        rl_mutex_destroy(&f->eager_lock);
    for (int a = 0; a < CALLERS; a++)
        if (f->created[a])
            rl_mutex_destroy(&f->made[a]);
}

/* At most one caller inside func at a time, and one lock for the function:
 * the callers held the same lock. A spare candidate dropped by `once` is
 * interesting, not wrong: it was never installed nor acquired. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    wrapped_func *f = state;
    int spare = 0;
    for (int a = 0; a < CALLERS; a++) {
        if (f->overlap[a])
            return TWO_INSIDE;
        spare += f->created[a];
    }
    if (f->counter != CALLERS) /* a lost update: they were inside together */
        return TWO_INSIDE;
    for (int a = 1; a < CALLERS; a++)
        if (f->held[a] != f->held[0])
            return TWO_LOCKS;
    return spare > 1 ? SPARE_LOCK : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "one lock, one caller inside func at a time"},
    [SPARE_LOCK] = {"spare-lock", RL_INTERESTING,
                    "both first callers made a lock; one was installed, the other dropped "
                    "unused"},
    [TWO_LOCKS] = {"two-locks", RL_FORBIDDEN,
                   "the callers acquired two different lock objects for one function"},
    [TWO_INSIDE] = {"two-inside", RL_FORBIDDEN,
                    "two callers were inside func at once (each under its own lock)"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "the wiki's getattr_: lazy lock by try getattr / except setattr"},
    [EAGER] = {"eager", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "the lock is made when func is wrapped"},
    [ONCE] = {"once", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
              "lazy, but installed with a compare-and-swap: the loser uses the winner's"},
};

static const rl_point points[] = {
    [AT_CREATE_LOCK] = {"locked_decorator/create-lock", RL_DELAY_POINT,
                        "between the failed getattr and installing the new lock"},
    [AT_FUNC] = {"locked_decorator/func", RL_DELAY_POINT,
                 "inside func: obj.save() after obj.counter += 1"},
};

/* eager makes its lock when the function is decorated: no call ever creates one. */
static const rl_point_reach reach[] = {
    {AT_CREATE_LOCK, "racy,once"},
};

static const rl_scenario locked_decorator = {
    .name = "locked_decorator",
    .reference = "Django threading wiki, Proposal (seeds/000): locked() and getattr_",
    .summary = "the proposed locked() helper makes its lock lazily, with a check-then-act",
    .actors = CALLERS,
    .state_size = sizeof(wrapped_func),
    .init = init,
    .fini = fini,
    .actor = {caller, caller},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_REACH(reach),
};

RL_SCENARIO(locked_decorator)
