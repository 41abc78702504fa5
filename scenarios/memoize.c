/* memoize — `_callable_cache` and `_resolver_cache` in
 * django/core/urlresolvers.py (Django threading wiki, seeds/001: "used
 * within the memoize decorator, `result = func(*args)` may be called more
 * than once in utils/functional.py, but this should generally be a
 * non-issue").
 *
 *     def memoize(func, cache, num_args):
 *         def wrapper(*args):
 *             mem_args = args[:num_args]
 *             if mem_args in cache:
 *                 return cache[mem_args]
 *             result = func(*args)          # slow: imports, builds a resolver
 *             cache[mem_args] = result
 *             return result
 *
 *     get_callable = memoize(get_callable, _callable_cache, 1)
 *     get_resolver = memoize(get_resolver, _resolver_cache, 1)
 *
 * Check-then-act, so two first callers can both call func: double work only.
 * get_callable is idempotent; get_resolver may hand two threads two resolver
 * objects, the last writer's staying in the cache. This scenario confirms
 * the wiki's verdict: `as-written` (each dict operation atomic, as under the
 * GIL) is benign. `plain-port` is the same code ported to C with plain loads
 * and stores: without the GIL the publication itself is a data race, which
 * the oracle cannot see on x86 and ThreadSanitizer reports. `per-key-once`
 * calls func exactly once per key.
 *
 * A trial is fresh caches and two threads (the actors) each calling
 * get_callable("blog.views.index") and get_resolver("mysite.urls"), modelled
 * as one memoized function with two keys. */
#include "racelab.h"

#include <stdatomic.h>

enum { AS_WRITTEN, PER_KEY_ONCE, PLAIN_PORT };
enum { OK, DOUBLE_CALL, NOT_EQUIVALENT, ONCE_VIOLATED };
enum { AT_CALL };
#define KEYS 2
#define CALLERS 2

/* The object func returns: a view function or a RegexURLResolver. Two
 * calls for one key build two objects that are equivalent (same value). */
typedef struct {
    int key;
    int value;
} result;

static int expected_value(int key) { return 1000 + 7 * key; }

typedef struct {
    result *cache_plain[KEYS];     /* plain-port: the dict, plain accesses */
    _Atomic(result *) cache[KEYS]; /* as-written, per-key-once: NULL is absent */
    rl_mutex key_lock[KEYS];       /* per-key-once */
    result made[CALLERS][KEYS];    /* the objects each caller's func built */
    int calls[CALLERS][KEYS];      /* func calls per caller and key */
    int got_key[CALLERS][KEYS];    /* what each caller found in its result */
    int got_value[CALLERS][KEYS];
} memo_state;

static result *func(memo_state *m, int key)
{
    int me = rl_self();
    RL_POINT(AT_CALL); /* import the view module, build the resolver */
    result *r = &m->made[me][key];
    r->key = key;
    r->value = expected_value(key);
    m->calls[me][key]++;
    return r;
}

/* As Django wrote it. Each dict operation was atomic under the GIL and made
 * the stored object visible whole: in C, an acquire load and a release
 * store. The check-then-act is still there: double work, last writer wins. */
static const result *wrapper_as_written(memo_state *m, int key)
{
    result *r = atomic_load_explicit(&m->cache[key], memory_order_acquire); /* in cache */
    if (r != NULL)
        return r;
    r = func(m, key);
    atomic_store_explicit(&m->cache[key], r, memory_order_release); /* cache[args] = */
    return r;
}

/* The same code ported literally. */
static const result *wrapper_plain_port(memo_state *m, int key)
{
    result *r = m->cache_plain[key]; /* RACE: reads a pointer another thread stores */
    if (r != NULL)
        return r; /* ...and then the object it built, with no ordering */
    r = func(m, key);
    m->cache_plain[key] = r; /* RACE: plain publication, no release */
    return r;
}

/* One call per key: double-checked under a per-key lock. */
static const result *wrapper_once(memo_state *m, int key)
{
    result *r = atomic_load_explicit(&m->cache[key], memory_order_acquire);
    if (r != NULL)
        return r;
    rl_mutex_lock(&m->key_lock[key]);
    r = atomic_load_explicit(&m->cache[key], memory_order_relaxed);
    if (r == NULL) {
        r = func(m, key);
        atomic_store_explicit(&m->cache[key], r, memory_order_release);
    }
    rl_mutex_unlock(&m->key_lock[key]);
    return r;
}

static void caller(void *state, int variant)
{
    memo_state *m = state;
    int me = rl_self();
    for (int key = 0; key < KEYS; key++) {
        const result *r = variant == AS_WRITTEN   ? wrapper_as_written(m, key)
                          : variant == PLAIN_PORT ? wrapper_plain_port(m, key)
                                                  : wrapper_once(m, key);
        m->got_key[me][key] = r->key;
        m->got_value[me][key] = r->value;
    }
}

static void init(void *state, int variant)
{
    memo_state *m = state;
    if (variant != PER_KEY_ONCE)
        return;
    for (int k = 0; k < KEYS; k++) {
        rl_mutex_init(&m->key_lock[k]);
        rl_mutex_name(&m->key_lock[k], k == 0 ? "key lock (callable)" : "key lock (resolver)");
    }
}

static void fini(void *state, int variant)
{
    if (variant == PER_KEY_ONCE)
        for (int k = 0; k < KEYS; k++)
            rl_mutex_destroy(&((memo_state *)state)->key_lock[k]);
}

/* Every caller got an equivalent result for every key; calls per key > 1 is
 * double work (interesting), except where the variant promised one call. */
static int arbiter(void *state, int variant)
{
    memo_state *m = state;
    int repeated = 0;
    for (int key = 0; key < KEYS; key++) {
        int calls = 0;
        for (int a = 0; a < CALLERS; a++) {
            if (m->got_key[a][key] != key || m->got_value[a][key] != expected_value(key))
                return NOT_EQUIVALENT;
            calls += m->calls[a][key];
        }
        repeated |= calls > 1;
    }
    if (repeated)
        return variant == PER_KEY_ONCE ? ONCE_VIOLATED : DOUBLE_CALL;
    return OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "one call per key; every caller got the cached result"},
    [DOUBLE_CALL] = {"double-call", RL_INTERESTING,
                     "func ran twice for one key (double work; two equivalent objects, the "
                     "last writer's cached)"},
    [NOT_EQUIVALENT] = {"not-equivalent", RL_FORBIDDEN,
                        "a caller got a result that is not equivalent to func(key)"},
    [ONCE_VIOLATED] = {"once-violated", RL_FORBIDDEN, "per-key-once ran func twice for one key"},
};

static const rl_variant variants[] = {
    [AS_WRITTEN] = {"as-written", RL_BENIGN, RL_CAUGHT_BY_ANY, NULL,
                    "Django's memoize, each dict operation atomic (release/acquire)"},
    [PER_KEY_ONCE] = {"per-key-once", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                      "double-checked under a per-key lock: one call per key"},
    [PLAIN_PORT] = {"plain-port", RL_REPRODUCES, RL_CAUGHT_BY_TSAN, NULL,
                    "memoize ported with plain accesses: benign to the oracle, a data race "
                    "to TSan"},
};

static const rl_point points[] = {
    [AT_CALL] = {"memoize/call", RL_DELAY_POINT,
                 "inside func: importing the view module or building the resolver"},
};

static const rl_scenario memoize = {
    .name = "memoize",
    .reference = "Django threading wiki (seeds/001): _callable_cache, _resolver_cache and "
                 "utils/functional.py memoize",
    .summary = "memoize's check-then-act: double work, never a wrong result",
    .actors = CALLERS,
    .state_size = sizeof(memo_state),
    .init = init,
    .fini = fini,
    .actor = {caller, caller},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(memoize)
