/* wsgi_middleware — "curious middleware problems" (seeds/002, Thread-safety
 * assumptions in Django, 2010); Django #10470 (2009-03) and #11193 (2011-01).
 *
 * Django 1.0's WSGIHandler loads its middleware on the first request:
 *
 *     def __call__(self, environ, start_response):
 *         if self._request_middleware is None:          # unlocked check
 *             self.initLock.acquire()
 *             if self._request_middleware is None:
 *                 self.load_middleware()
 *             self.initLock.release()
 *         response = self.get_response(request)
 *
 *     def load_middleware(self):
 *         self._request_middleware = []                 # bound first...
 *         for middleware_path in settings.MIDDLEWARE_CLASSES:
 *             mod = __import__(mw_module)               # slow; may raise
 *             self._request_middleware.append(mw_instance.process_request)
 *
 * A second request's unlocked check sees [] (not None), skips the lock and
 * runs through a partial chain: AuthenticationMiddleware has not run, and the
 * view fails with "'WSGIRequest' object has no attribute 'user'" — a security
 * failure as much as an error. #10470 built the lists in locals and assigned
 * the flag list last. #11193: when load_middleware raised (an ImportError in
 * settings), initLock was never released and the flag stayed None, so every
 * later request blocked forever; the fix resets the lists in `except` and
 * releases the lock in `finally`.
 *
 * A trial is one freshly started WSGIHandler and two concurrent requests (the
 * actors). A request that gets a 500 because the middleware failed to load is
 * retried once. The fault point fires only on the first load attempt of a
 * trial, so an injected import error is transient, as a flaky import is. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, FIXED, DCL_PLAIN, ALWAYS_LOCK, NO_FINALLY };
enum { OK, RECOVERED, PARTIAL_CHAIN, RETRY_FAILED };
enum { AT_IMPORT, AT_IMPORT_ERROR };

/* settings.MIDDLEWARE_CLASSES: Django 1.0's defaults plus the doc middleware,
 * in order: CommonMiddleware, SessionMiddleware, AuthenticationMiddleware
 * (sets request.user), XViewMiddleware. */
#define MIDDLEWARE 4
#define FULL_CHAIN ((1 << MIDDLEWARE) - 1)
#define REQUESTS 2 /* concurrent requests: the actors */
#define ATTEMPTS 2 /* load attempts per trial: the faulty first, one retry */

/* A Python list of process_request methods: fixed capacity, the length only
 * grows, an append stores the slot and then the length (atomic under the
 * GIL; in the racy C port a reader may catch it between the two). Slot value
 * i+1 is the i-th middleware class; 0 is an empty slot. */
typedef struct {
    int n;
    int process_request[MIDDLEWARE];
} mw_list;

typedef struct {
    int status; /* 200 or 500 (the middleware failed to load) */
    int ran;    /* bit i: middleware i's process_request ran */
} response;

typedef struct {
    response first, retry;
    int retried;
} request_log;

typedef struct {
    /* self._request_middleware: NULL is None. Plain in racy, dcl-plain and
     * always-lock; the fixed variants publish through the atomic one. */
    mw_list *request_middleware;
    _Atomic(mw_list *) request_middleware_pub;
    rl_mutex init_lock;      /* WSGIHandler.initLock */
    int load_attempts;       /* under init_lock */
    int init_lock_leaked;    /* a load raised with no `finally`: the lock stays held */
    mw_list lists[ATTEMPTS]; /* the list each load_middleware call built */
    request_log log[REQUESTS];
} handler;

/* __import__(mw_module): the slow step, and where a bad setting raises
 * ImportError (ImproperlyConfigured). Returns -1 on the error. */
static int import_middleware(handler *h)
{
    RL_POINT(AT_IMPORT);
    /* only the first load attempt may fail: the fault is transient */
    if (h->load_attempts == 1 && RL_FAULT(AT_IMPORT_ERROR))
        return -1;
    return 0;
}

static mw_list *new_list(handler *h)
{
    int a = h->load_attempts++; /* under init_lock in every variant */
    return &h->lists[a < ATTEMPTS ? a : ATTEMPTS - 1];
}

static void append(mw_list *l, int middleware)
{
    l->process_request[l->n] = middleware + 1;
    l->n = l->n + 1;
}

/* ---- Django 1.0: bind the empty list, then fill it in place ------------- */

static int load_middleware_in_place(handler *h)
{
    mw_list *l = new_list(h);
    /* RACE: from here on the flag is not None. T1 binds [] and blocks in the
     * import of SessionMiddleware; T2's unlocked check sees a list, skips the
     * lock and runs the request through [CommonMiddleware]: no request.user. */
    h->request_middleware = l;
    for (int i = 0; i < MIDDLEWARE; i++) {
        if (import_middleware(h) != 0)
            return -1; /* raises: the partial list stays bound for good */
        append(l, i);
    }
    return 0;
}

static mw_list *call_racy(handler *h)
{
    if (h->request_middleware == NULL) { /* RACE: unlocked read of the flag */
        rl_mutex_lock(&h->init_lock);
        int failed = h->request_middleware == NULL && load_middleware_in_place(h) != 0;
        /* 1.0 had no try/finally either, so a raising load also leaked
         * initLock: that is #11193, shown alone by `no-finally`. Here the
         * lock is released so that this variant shows #10470 alone: after a
         * failed import the partial list stays bound and every later request
         * runs through it. */
        rl_mutex_unlock(&h->init_lock);
        if (failed)
            return NULL;
    }
    return h->request_middleware;
}

/* ---- #10470: build a local list, assign the flag last ------------------- */

static mw_list *build_middleware(handler *h)
{
    mw_list *l = new_list(h); /* request_middleware = [] is a local now */
    for (int i = 0; i < MIDDLEWARE; i++) {
        if (import_middleware(h) != 0)
            return NULL;
        append(l, i);
    }
    return l;
}

/* The fix as Django wrote it, in C: the finished list is published with a
 * release store and the unlocked check is an acquire load. On a failed load,
 * `except` resets the flag to None and `finally` releases the lock (#11193). */
static mw_list *call_fixed(handler *h)
{
    mw_list *chain = atomic_load_explicit(&h->request_middleware_pub, memory_order_acquire);
    if (chain == NULL) {
        rl_mutex_lock(&h->init_lock);
        chain = atomic_load_explicit(&h->request_middleware_pub, memory_order_relaxed);
        if (chain == NULL) {
            chain = build_middleware(h);
            if (chain != NULL) /* assigned last: the flag means "complete" */
                atomic_store_explicit(&h->request_middleware_pub, chain, memory_order_release);
            else /* except: self._request_middleware = None; raise */
                atomic_store_explicit(&h->request_middleware_pub, NULL, memory_order_relaxed);
        }
        rl_mutex_unlock(&h->init_lock); /* finally */
    }
    return chain;
}

/* #10470 with the GIL's ordering taken for granted: the same code with plain
 * accesses. On x86 the oracle almost never sees a partial chain, but the
 * unlocked read races with the assignment: ThreadSanitizer reports it. */
static mw_list *call_dcl_plain(handler *h)
{
    mw_list *chain = h->request_middleware; /* RACE: plain read, no acquire */
    if (chain == NULL) {
        rl_mutex_lock(&h->init_lock);
        chain = h->request_middleware;
        if (chain == NULL) {
            chain = build_middleware(h);
            h->request_middleware = chain; /* RACE: plain store, no release */
        }
        rl_mutex_unlock(&h->init_lock);
    }
    return chain;
}

/* Correct and simple: every request takes the lock. Compare throughput. */
static mw_list *call_always_lock(handler *h)
{
    rl_mutex_lock(&h->init_lock);
    mw_list *chain = h->request_middleware;
    if (chain == NULL) {
        chain = build_middleware(h);
        h->request_middleware = chain; /* NULL again if the load raised */
    }
    rl_mutex_unlock(&h->init_lock);
    return chain;
}

/* #11193: Django 1.0.x-1.2 after #10470 — the flag is assigned last, but
 * there is no try/finally. */
static mw_list *call_no_finally(handler *h)
{
    mw_list *chain = atomic_load_explicit(&h->request_middleware_pub, memory_order_acquire);
    if (chain == NULL) {
        rl_mutex_lock(&h->init_lock);
        chain = atomic_load_explicit(&h->request_middleware_pub, memory_order_relaxed);
        if (chain == NULL) {
            chain = build_middleware(h);
            if (chain == NULL) {
                /* BUG: the ImportError propagates with initLock held and the
                 * flag still None: every later request, this thread's retry
                 * included, blocks in initLock.acquire() forever. */
                h->init_lock_leaked = 1;
                return NULL;
            }
            atomic_store_explicit(&h->request_middleware_pub, chain, memory_order_release);
        }
        rl_mutex_unlock(&h->init_lock);
    }
    return chain;
}

/* get_response: each process_request in the chain, then the view, which
 * needs everything the middleware set up (request.user above all). */
static void get_response(const mw_list *chain, response *r)
{
    r->ran = 0;
    int n = chain->n; /* the racy variant reads a list being appended to */
    if (n > MIDDLEWARE)
        n = MIDDLEWARE;
    for (int i = 0; i < n; i++) {
        int m = chain->process_request[i];
        if (m > 0)
            r->ran |= 1 << (m - 1);
    }
    r->status = 200;
}

static void handle(handler *h, int variant, response *r)
{
    mw_list *chain = NULL;
    switch (variant) {
    case RACY: chain = call_racy(h); break;
    case FIXED: chain = call_fixed(h); break;
    case DCL_PLAIN: chain = call_dcl_plain(h); break;
    case ALWAYS_LOCK: chain = call_always_lock(h); break;
    case NO_FINALLY: chain = call_no_finally(h); break;
    }
    if (chain == NULL) {
        r->status = 500; /* ImproperlyConfigured: error loading middleware */
        r->ran = 0;
        return;
    }
    get_response(chain, r);
}

static void request_actor(void *state, int variant)
{
    handler *h = state;
    request_log *log = &h->log[rl_self()];
    handle(h, variant, &log->first);
    if (log->first.status == 500) { /* the client retries */
        log->retried = 1;
        handle(h, variant, &log->retry);
    }
}

static void init(void *state, int variant)
{
    (void)variant;
    handler *h = state;
    rl_mutex_init(&h->init_lock);
    rl_mutex_name(&h->init_lock, "WSGIHandler.initLock");
}

static void fini(void *state, int variant)
{
    (void)variant;
    handler *h = state;
    /* A lock leaked by a raising load is still held by the thread that
     * raised: destroying it would be an error, and Python never freed it. */
    if (!h->init_lock_leaked)
        rl_mutex_destroy(&h->init_lock);
}

/* Every served request ran the whole chain; after a failed load, the retry
 * was served. (A request blocked for good never gets here: the watchdog
 * turns it into the deadlock outcome.) */
static int arbiter(void *state, int variant)
{
    (void)variant;
    handler *h = state;
    int result = OK;
    for (int a = 0; a < REQUESTS; a++) {
        const request_log *log = &h->log[a];
        const response *last = log->retried ? &log->retry : &log->first;
        if (last->status == 200 && last->ran != FULL_CHAIN)
            return PARTIAL_CHAIN;
        if (last->status != 200)
            result = RETRY_FAILED;
        else if (log->retried && result == OK)
            result = RECOVERED;
    }
    return result;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every request ran all the middleware"},
    [RECOVERED] = {"recovered", RL_INTERESTING,
                   "a load failed (injected import error), that request got a 500, its retry "
                   "was served through the whole chain"},
    [PARTIAL_CHAIN] = {"partial-chain", RL_FORBIDDEN,
                       "a request ran through a partial middleware chain ('WSGIRequest' object "
                       "has no attribute 'user')"},
    [RETRY_FAILED] = {"retry-failed", RL_FORBIDDEN,
                      "after a failed load, the retried request was not served"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "Django 1.0: bind [] first, append each middleware, unlocked None check"},
    [FIXED] = {"fixed", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
               "#10470 + #11193: local list assigned last (release/acquire), reset in except, "
               "release in finally"},
    [DCL_PLAIN] = {"dcl-plain", RL_REPRODUCES, RL_CAUGHT_BY_TSAN, NULL,
                   "#10470 with plain accesses: the oracle passes on x86, TSan reports the race"},
    [ALWAYS_LOCK] = {"always-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                     "every request takes initLock: correct, slower"},
    /* #11193 shows only after a failed middleware import: the variant
     * declares the fault it needs */
    [NO_FINALLY] = {"no-finally", RL_REPRODUCES, RL_CAUGHT_BY_ORACLE,
                    RL_INJECT("wsgi_middleware/import-error:fail"),
                    "#11193: no try/finally; after a failed middleware import every later "
                    "request hangs"},
};

static const rl_point points[] = {
    [AT_IMPORT] = {"wsgi_middleware/import", RL_DELAY_POINT,
                   "__import__ of one middleware module inside load_middleware"},
    [AT_IMPORT_ERROR] =
        {"wsgi_middleware/import-error", RL_FAULT_POINT,
         "that import raises ImportError (consulted on the first load attempt of a trial only)"},
};

static const rl_scenario wsgi_middleware = {
    .name = "wsgi_middleware",
    .reference = "Thread-safety assumptions in Django (seeds/002): curious middleware problems; "
                 "Django #10470, #11193",
    .summary = "WSGIHandler loads its middleware on the first request with double-checked "
               "locking",
    .actors = REQUESTS,
    .state_size = sizeof(handler),
    .init = init,
    .fini = fini,
    .actor = {request_actor, request_actor},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(wsgi_middleware)
