/* cache_refresh — refreshing cached remote data from a manager's get()
 * ("Threading in Django", seeds/004, section "Caching remote data").
 *
 * "Each cached database entry gets a timestamp field to note its last
 * update. The model defines an update method and the model manager's get()
 * method checks the entry's timestamp to see if the data needs to be
 * freshened. The update routine is called in a separate thread." The
 * request gets the old data at once; "the next user will" get the new.
 *
 *     def get(self, key):
 *         entry = CACHE[key]
 *         if entry.updated < now() - TTL:
 *             threading.Thread(target=entry.update).start()
 *         return entry
 *
 * Two races. Every request that sees the stale timestamp before the first
 * refresh has finished starts its own refresh: a thundering herd on the
 * remote system (double work, `herd`). And update() assigns the fresh values
 * to the shared entry attribute by attribute, so a request rendering the
 * entry meanwhile shows some new fields and some old ones (`torn-record`).
 *
 * The model: READERS requests each call get() `gets` times (--param
 * gets=N, default 2) and render a page from what they got, a few lines of
 * markup per field (--param markup=N, default 8: real formatting work, so
 * the fields are read some way apart, as a template reads them; with 0 the
 * window is a few nanoseconds wide and only fuzz mode or TSan finds it).
 * The trial's clock is logical: the entry starts stale (stamp 0 < NOW) and the remote
 * system holds version 1 of the row; field i of version v is v * 1000 + i,
 * so a record is whole when all its fields name one version. A refresh
 * thread is joined by the request that started it before that request ends
 * (the harness's bookkeeping, not the request's: it returned long before).
 * Refreshes in flight are counted with relaxed atomics, which give
 * ThreadSanitizer no happens-before edge, so the count hides no race. */
#include "racelab.h"

#include <stdatomic.h>
#include <stdio.h>

enum { RACY, SINGLE_FLIGHT, LOCKED };
enum { OK, REFRESH_FAILED, HERD, TORN_RECORD, SECOND_FLIGHT, LOST_REFRESH };
enum { AT_FETCH, AT_REMOTE, AT_FILL, AT_RENDER };

#define READERS 2
#define FIELDS 4
#define MAX_GETS 4
#define MAX_REFRESHES (READERS * MAX_GETS) /* a get() starts at most one */
#define NOW 1L                             /* the trial's clock */
#define REMOTE_VERSION 1L                  /* what the remote system holds */

typedef struct {
    long stamp; /* last update; stale when < NOW */
    long field[FIELDS];
} record;

/* _Alignas(64): each state a whole number of cache lines. (It also keeps
 * the engine's aligned_alloc(64, n * stride) valid under TSan, which
 * rejects a size that is not a multiple of 64, in runtimes that do not
 * round the size up.) */
typedef struct {
    _Alignas(64) record entry; /* racy, locked: the shared entry, updated in place */
    rl_mutex lock;             /* locked */
    /* single-flight: immutable records, published by pointer swap; every
     * version stays readable for the whole trial (Python's GC) */
    _Atomic(record *) current;
    record versions[1 + MAX_REFRESHES];
    _Atomic int next_version;
    _Atomic int refreshing;               /* the flight flag, taken by compare-and-swap */
    int gets;                             /* get() calls per request */
    rl_thread started[READERS][MAX_GETS]; /* refresh threads, per request */
    int n_started[READERS];
    int markup;                  /* lines of markup rendered per field */
    int page_size[READERS];      /* bytes each request rendered */
    unsigned char torn[READERS]; /* a request rendered a half-updated record */
    /* measurement only (relaxed) */
    _Atomic int in_flight;
    _Atomic int herd;
    _Atomic int failures;
} cache;

static void fill(record *r, long version)
{
    for (int i = 0; i < FIELDS; i++) {
        if (i > 0)
            RL_POINT(AT_FILL); /* entry.price = remote.price; ... */
        r->field[i] = version * 1000 + i;
    }
}

/* The request renders the page from the record: a few lines of markup
 * around each field (--param markup=N lines, default 8), so the fields are
 * read some way apart, as a template reads them. Returns the page size;
 * *torn is set when the fields shown came from two versions. */
static int render(const record *r, int markup, int *torn)
{
    char line[64];
    int size = 0;
    long version = 0;
    for (int i = 0; i < FIELDS; i++) {
        if (i > 0)
            RL_POINT(AT_RENDER);
        long value = r->field[i];
        if (i == 0)
            version = value / 1000;
        *torn |= value != version * 1000 + i;
        for (int k = 0; k < markup; k++)
            size += snprintf(line, sizeof line, "<tr><td>%d.%d</td><td>%ld</td></tr>", i, k, value);
    }
    return size;
}

/* The slow call to the other system; 0 when it is unreachable (update()
 * raises and its thread ends, the entry untouched). */
static int fetch_remote(cache *c)
{
    RL_POINT(AT_FETCH);
    if (RL_FAULT(AT_REMOTE)) {
        atomic_fetch_add_explicit(&c->failures, 1, memory_order_relaxed);
        return 0;
    }
    return 1;
}

static void flight_begins(cache *c)
{
    if (atomic_fetch_add_explicit(&c->in_flight, 1, memory_order_relaxed) > 0)
        atomic_store_explicit(&c->herd, 1, memory_order_relaxed);
}

static void flight_ends(cache *c)
{
    atomic_fetch_sub_explicit(&c->in_flight, 1, memory_order_relaxed);
}

/* ---- racy: the article's code ------------------------------------------ */

static void *update_racy(void *p)
{
    cache *c = p;
    if (fetch_remote(c)) {
        /* RACE: the fresh values go into the shared entry one attribute at
         * a time; a request rendering it now reads half old, half new:
         *   refresh:  field0 = v1   field1 = v1 ...
         *   request:                               read field0..3 -> v1 v1 v0 v0
         * (torn-record; a herd of refreshes writes it concurrently too). */
        fill(&c->entry, REMOTE_VERSION);
        c->entry.stamp = NOW;
    }
    flight_ends(c);
    return NULL;
}

/* ---- locked: the entry and its update under one lock ------------------- */

static void *update_locked(void *p)
{
    cache *c = p;
    if (fetch_remote(c)) { /* the slow fetch outside the lock */
        rl_mutex_lock(&c->lock);
        fill(&c->entry, REMOTE_VERSION); /* FIX: no reader inside meanwhile */
        c->entry.stamp = NOW;
        rl_mutex_unlock(&c->lock);
    }
    flight_ends(c);
    return NULL;
}

/* ---- single-flight: one refresh at a time, new record by pointer swap --- */

static void *update_single_flight(void *p)
{
    cache *c = p;
    if (fetch_remote(c)) {
        int v = atomic_fetch_add_explicit(&c->next_version, 1, memory_order_relaxed);
        record *fresh = &c->versions[1 + v]; /* private until published */
        fill(fresh, REMOTE_VERSION);
        fresh->stamp = NOW;
        /* FIX: publish the finished record with one release store: a
         * reader holds the old record or the new one, never half of each. */
        atomic_store_explicit(&c->current, fresh, memory_order_release);
    }
    flight_ends(c);
    /* FIX: land the flight, after a failed fetch too: the next stale get()
     * must be able to try again. */
    atomic_store_explicit(&c->refreshing, 0, memory_order_release);
    return NULL;
}

/* threading.Thread(target=entry.update).start() */
static void start_refresh(cache *c, void *(*update)(void *))
{
    int self = rl_self();
    flight_begins(c);
    if (rl_spawn(&c->started[self][c->n_started[self]], update, c) == 0)
        c->n_started[self]++;
    else
        update(c); /* no thread to be had: refresh in the request itself */
}

/* get() returns the record the request renders (`copy` when it needs one). */
static const record *get(cache *c, int variant, record *copy)
{
    if (variant == RACY) {
        /* RACE: every request that sees the stale stamp before the first
         * refresh has finished starts one more (herd). */
        if (c->entry.stamp < NOW)
            start_refresh(c, update_racy);
        return &c->entry; /* the shared entry itself, old data for now */
    }
    if (variant == LOCKED) {
        rl_mutex_lock(&c->lock);
        *copy = c->entry; /* FIX: render from a copy taken under the lock */
        rl_mutex_unlock(&c->lock);
        /* Still one refresh per stale get(): the herd stays (benign). */
        if (copy->stamp < NOW)
            start_refresh(c, update_locked);
        return copy;
    }
    record *r = atomic_load_explicit(&c->current, memory_order_acquire);
    int idle = 0;
    /* FIX: only the request that raises the flag refreshes; it checks the
     * stamp again, as a refresh may have landed since it looked. */
    if (r->stamp < NOW &&
        atomic_compare_exchange_strong_explicit(&c->refreshing, &idle, 1, memory_order_acq_rel,
                                                memory_order_relaxed)) {
        if (atomic_load_explicit(&c->current, memory_order_acquire)->stamp < NOW)
            start_refresh(c, update_single_flight);
        else
            atomic_store_explicit(&c->refreshing, 0, memory_order_release);
    }
    return r; /* immutable once published: render it in place */
}

static void request(void *state, int variant)
{
    cache *c = state;
    int self = rl_self();
    for (int g = 0; g < c->gets; g++) {
        record copy;
        int torn = 0;
        c->page_size[self] += render(get(c, variant, &copy), c->markup, &torn);
        c->torn[self] |= (unsigned char)torn;
    }
    for (int i = 0; i < c->n_started[self]; i++)
        rl_join(&c->started[self][i]);
}

static void init(void *state, int variant)
{
    cache *c = state;
    c->gets = (int)rl_param("gets");
    c->markup = (int)rl_param("markup");
    for (int i = 0; i < FIELDS; i++)
        c->entry.field[i] = i; /* version 0, stamp 0: stale */
    c->versions[0] = c->entry;
    atomic_init(&c->current, &c->versions[0]);
    if (variant == LOCKED)
        rl_mutex_init(&c->lock);
}

static void fini(void *state, int variant)
{
    if (variant == LOCKED)
        rl_mutex_destroy(&((cache *)state)->lock);
}

static int whole(const record *r)
{
    for (int i = 1; i < FIELDS; i++)
        if (r->field[i] != r->field[0] + i)
            return 0;
    return 1;
}

/* No request rendered a torn record and none is left behind; the entry is
 * fresh unless the remote system failed, and no flag is left raised. */
static int arbiter(void *state, int variant)
{
    cache *c = state;
    const record *final = variant == SINGLE_FLIGHT ? atomic_load(&c->current) : &c->entry;
    int torn = !whole(final);
    for (int a = 0; a < READERS; a++)
        torn |= c->torn[a];
    if (torn)
        return TORN_RECORD;
    int failures = atomic_load(&c->failures);
    if ((final->stamp < NOW && failures == 0) ||
        (variant == SINGLE_FLIGHT && atomic_load(&c->refreshing) != 0))
        return LOST_REFRESH;
    if (atomic_load(&c->herd))
        return variant == SINGLE_FLIGHT ? SECOND_FLIGHT : HERD;
    return failures ? REFRESH_FAILED : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "one refresh; every request rendered a whole record"},
    [REFRESH_FAILED] = {"refresh-failed", RL_ACCEPTABLE,
                        "a fetch failed; the entry stayed whole, old until a retry landed"},
    [HERD] = {"herd", RL_INTERESTING, "more than one refresh in flight at once (double work)"},
    [TORN_RECORD] = {"torn-record", RL_FORBIDDEN,
                     "a request rendered (or the trial left) a record half old, half new"},
    [SECOND_FLIGHT] = {"second-flight", RL_FORBIDDEN,
                       "single-flight let two refreshes be in flight at once"},
    [LOST_REFRESH] = {"lost-refresh", RL_FORBIDDEN,
                      "stale at the end with no failed fetch, or the flight flag left raised"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "a refresh per stale get(), filling the shared entry in place"},
    [SINGLE_FLIGHT] = {"single-flight", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                       "flag by compare-and-swap; new record published by pointer swap"},
    [LOCKED] = {"locked", RL_BENIGN, RL_CAUGHT_BY_ANY, NULL,
                "entry read and filled under one lock; the herd remains"},
};

static const rl_param_spec params[] = {
    {"gets", 2, 1, MAX_GETS, "get() calls per request thread"},
    {"markup", 8, 0, 1000, "lines of markup rendered per field (work between the reads)"},
};

static const rl_point points[] = {
    [AT_FETCH] = {"cache_refresh/fetch", RL_DELAY_POINT, "the refresh's call to the remote system"},
    [AT_REMOTE] = {"cache_refresh/remote", RL_FAULT_POINT, "the remote system is unreachable"},
    [AT_FILL] = {"cache_refresh/fill", RL_DELAY_POINT,
                 "between two fields of the refresh's update"},
    [AT_RENDER] = {"cache_refresh/render", RL_DELAY_POINT,
                   "between two fields the request renders"},
};

static const rl_scenario cache_refresh = {
    .name = "cache_refresh",
    .reference = "Threading in Django (seeds/004): caching remote data, refresh thread in get()",
    .summary = "stale get()s each start a refresh that fills the shared entry in place",
    .actors = READERS,
    .state_size = sizeof(cache),
    .init = init,
    .fini = fini,
    .actor = {request, request},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_PARAMS(params),
};

RL_SCENARIO(cache_refresh)
