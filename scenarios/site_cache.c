/* site_cache — `SITE_CACHE` in django/contrib/sites/models.py (Threading
 * wiki, seeds/000 and seeds/001: "one db hit intended, more than one
 * possible").
 *
 *     SITE_CACHE = {}
 *     def get_current(self):
 *         try:
 *             current_site = SITE_CACHE[sid]
 *         except KeyError:
 *             current_site = self.get(pk=sid)      # a database query
 *             SITE_CACHE[sid] = current_site
 *         return current_site
 *     def clear_cache(self):
 *         global SITE_CACHE
 *         SITE_CACHE = {}
 *     # Site.save():
 *         super(Site, self).save()                 # UPDATE ... COMMIT
 *         if self.id in SITE_CACHE:
 *             del SITE_CACHE[self.id]
 *
 * Three races, one request reader and two admin requests (each reads the
 * current site, saves a new domain, clears the cache):
 *  - two requests miss together and both query the database (benign: the
 *    wiki's "more than one possible");
 *  - stale re-insert: a request misses and reads the old row, an admin
 *    saves a new domain and clears, the request stores the old site in the
 *    new dict, where it is served until the next clear (`stale-site`);
 *  - two saves both pass `in`, the first `del` wins, the second raises
 *    KeyError after its UPDATE committed (`key-error`).
 *
 * Model: each dict operation was atomic under the GIL, so a dict slot is a
 * relaxed atomic (0: key absent); the module global `SITE_CACHE` is a plain
 * pointer, rebound by clear_cache() — the racy variant's plain accesses to
 * it are what TSan sees. The database is a real (tiny) one: a row read and
 * written with sequentially consistent atomics, a query counter, and a
 * count of requests fetching at once. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, LOCKED, GENERATION };
enum { OK, DB_ERROR, SEVERAL_DB_HITS, STALE_SITE, KEY_ERROR };
enum { AT_QUERY, AT_UPDATE, AT_SAVE_CHECK, AT_DB_ERROR };

#define READER 0
#define REQUESTS 3
#define MAX_DICTS (1 + 2 * (REQUESTS - 1)) /* the first, then one per save and clear */

/* A dict {SITE_ID: site}. A site is its domain: 1 example.com (the row as
 * it starts), 2 shop.example.com, 3 www.example.com (the admins' saves);
 * 0 when the key is absent. */
typedef struct {
    _Atomic int site;
} site_dict;

/* The database: the django_site row for SITE_ID. */
typedef struct {
    _Atomic int domain;
    _Atomic int queries; /* SELECTs answered */
} database;

/* What one request saw. */
typedef struct {
    int served;     /* what get_current() returned; 0 on a database error */
    int raised;     /* KEY_ERROR or DB_ERROR when save() or get() raised */
    int overlapped; /* it missed while another request was already fetching */
} request_log;

typedef struct {
    database db;
    site_dict dicts[MAX_DICTS];
    _Atomic int n_dicts;             /* the allocator: an index that only grows */
    site_dict *cache;                /* SITE_CACHE: plain global (racy, locked) */
    _Atomic(site_dict *) generation; /* SITE_CACHE for the `generation` variant */
    rl_mutex lock;                   /* the `locked` variant's module lock */
    _Atomic int fetching;            /* instrumentation: requests between miss and store */
    request_log log[REQUESTS];
} site_state;

/* ---- the database ------------------------------------------------------ */

static int db_select(site_state *s)
{
    if (RL_FAULT(AT_DB_ERROR))
        return -1;
    int domain = atomic_load(&s->db.domain);
    atomic_fetch_add_explicit(&s->db.queries, 1, memory_order_relaxed);
    RL_POINT(AT_QUERY); /* the row is read; the result is on its way */
    return domain;
}

static int db_update(site_state *s, int domain)
{
    RL_POINT(AT_UPDATE); /* UPDATE django_site ...; COMMIT */
    if (RL_FAULT(AT_DB_ERROR))
        return -1;
    atomic_store(&s->db.domain, domain);
    return 0;
}

static site_dict *new_dict(site_state *s)
{
    return &s->dicts[atomic_fetch_add_explicit(&s->n_dicts, 1, memory_order_relaxed)];
}

static int dict_get(site_dict *d) { return atomic_load_explicit(&d->site, memory_order_relaxed); }
static void dict_set(site_dict *d, int v)
{
    atomic_store_explicit(&d->site, v, memory_order_relaxed);
}
/* `del d[k]`: one atomic operation; 0 when the key was absent (KeyError). */
static int dict_del(site_dict *d)
{
    return atomic_exchange_explicit(&d->site, 0, memory_order_relaxed);
}

/* Instrumentation for the oracle (relaxed: no happens-before for TSan). */
static void fetch_begins(site_state *s, request_log *log)
{
    if (atomic_fetch_add_explicit(&s->fetching, 1, memory_order_relaxed) > 0)
        log->overlapped = 1;
}
static void fetch_ends(site_state *s)
{
    atomic_fetch_sub_explicit(&s->fetching, 1, memory_order_relaxed);
}

/* ---- racy: the code as it was ------------------------------------------ */

static int get_current_racy(site_state *s, request_log *log)
{
    int site = dict_get(s->cache); /* SITE_CACHE[sid] */
    if (site != 0)
        return site;
    fetch_begins(s, log);
    site = db_select(s);
    if (site > 0)
        /* RACE: since the miss an admin may have saved a new domain and
         * rebound SITE_CACHE; this stores the row read before the save into
         * the new dict, which serves it until the next clear. And another
         * request may be fetching the same row right now. */
        dict_set(s->cache, site);
    fetch_ends(s);
    return site;
}

static int save_racy(site_state *s, int domain)
{
    if (db_update(s, domain) != 0)
        return DB_ERROR;
    if (dict_get(s->cache) != 0) { /* if self.id in SITE_CACHE: */
        RL_POINT(AT_SAVE_CHECK);
        /* RACE: the other admin's save passed `in` too and deleted first:
         * this `del` raises KeyError after our UPDATE committed. */
        if (dict_del(s->cache) == 0)
            return KEY_ERROR;
    }
    return 0;
}

static void clear_cache_racy(site_state *s) { s->cache = new_dict(s); }

/* ---- locked: one module-level lock around every use of SITE_CACHE -------- */

static int get_current_locked(site_state *s, request_log *log)
{
    rl_mutex_lock(&s->lock);
    int site = dict_get(s->cache);
    if (site == 0) {
        fetch_begins(s, log);
        site = db_select(s); /* under the lock: one query per fill */
        if (site > 0)
            dict_set(s->cache, site);
        fetch_ends(s);
    }
    rl_mutex_unlock(&s->lock);
    return site;
}

static int save_locked(site_state *s, int domain)
{
    if (db_update(s, domain) != 0)
        return DB_ERROR;
    rl_mutex_lock(&s->lock);
    if (dict_get(s->cache) != 0) {
        RL_POINT(AT_SAVE_CHECK);
        dict_del(s->cache);
    }
    rl_mutex_unlock(&s->lock);
    return 0;
}

static void clear_cache_locked(site_state *s)
{
    rl_mutex_lock(&s->lock);
    s->cache = new_dict(s);
    rl_mutex_unlock(&s->lock);
}

/* ---- generation: a fetch stores only into the generation it missed in ---
 * SITE_CACHE is published with release and read with acquire; each dict is
 * one generation (its index is the version number). save() and
 * clear_cache() start a new generation instead of `in` + `del`, so nothing
 * raises, and a fetch that began before a clear can only fill a dead dict.
 * No lock: two requests may still both query (benign). */

static int get_current_generation(site_state *s, request_log *log)
{
    site_dict *d = atomic_load_explicit(&s->generation, memory_order_acquire);
    int site = dict_get(d);
    if (site != 0)
        return site;
    fetch_begins(s, log);
    site = db_select(s);
    if (site > 0)
        dict_set(d, site); /* the generation of the miss, live or not */
    fetch_ends(s);
    return site;
}

static void new_generation(site_state *s)
{
    atomic_store_explicit(&s->generation, new_dict(s), memory_order_release);
}

static int save_generation(site_state *s, int domain)
{
    if (db_update(s, domain) != 0)
        return DB_ERROR;
    RL_POINT(AT_SAVE_CHECK);
    new_generation(s);
    return 0;
}

/* ---- requests ------------------------------------------------------------ */

static int get_current(site_state *s, int variant, request_log *log)
{
    int site = variant == RACY     ? get_current_racy(s, log)
               : variant == LOCKED ? get_current_locked(s, log)
                                   : get_current_generation(s, log);
    if (site < 0)
        log->raised = DB_ERROR;
    return site > 0 ? site : 0;
}

/* Actor 0: a request that renders the current site's domain. */
static void reader(void *state, int variant)
{
    site_state *s = state;
    request_log *log = &s->log[rl_self()];
    log->served = get_current(s, variant, log);
}

/* Actors 1 and 2: an admin request that reads the current site, saves a
 * new domain and clears the cache (Site.objects.clear_cache()). */
static void admin(void *state, int variant)
{
    site_state *s = state;
    int self = rl_self();
    request_log *log = &s->log[self];
    log->served = get_current(s, variant, log);
    if (log->raised)
        return;
    int domain = 1 + self; /* shop.example.com, www.example.com */
    int raised = variant == RACY     ? save_racy(s, domain)
                 : variant == LOCKED ? save_locked(s, domain)
                                     : save_generation(s, domain);
    if (raised) {
        log->raised = raised; /* the exception ends the request */
        return;
    }
    if (variant == RACY)
        clear_cache_racy(s);
    else if (variant == LOCKED)
        clear_cache_locked(s);
    else
        new_generation(s);
}

static void init(void *state, int variant)
{
    site_state *s = state;
    atomic_init(&s->db.domain, 1); /* example.com */
    atomic_init(&s->n_dicts, 1);   /* dicts[0] is the first SITE_CACHE */
    s->cache = &s->dicts[0];
    atomic_init(&s->generation, &s->dicts[0]);
    if (variant == LOCKED)
        rl_mutex_init(&s->lock);
}

static void fini(void *state, int variant)
{
    if (variant == LOCKED)
        rl_mutex_destroy(&((site_state *)state)->lock);
}

/* After every save and clear has finished, get_current() must serve what
 * the database holds; no save may have raised KeyError. */
static int arbiter(void *state, int variant)
{
    site_state *s = state;
    int db_error = 0, overlapped = 0;
    for (int r = 0; r < REQUESTS; r++) {
        if (s->log[r].raised == KEY_ERROR)
            return KEY_ERROR;
        db_error |= s->log[r].raised == DB_ERROR;
        overlapped |= s->log[r].overlapped;
    }
    site_dict *live = variant == GENERATION ? atomic_load(&s->generation) : s->cache;
    int cached = dict_get(live);
    if (cached != 0 && cached != atomic_load(&s->db.domain))
        return STALE_SITE; /* e.g. serves example.com, the row says shop.example.com */
    if (overlapped)
        return SEVERAL_DB_HITS;
    return db_error ? DB_ERROR : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "the cache serves the saved domain"},
    [DB_ERROR] = {"db-error", RL_ACCEPTABLE, "an injected database error failed a request"},
    [SEVERAL_DB_HITS] = {"several-db-hits", RL_INTERESTING,
                         "two requests missed together and both queried the database"},
    [STALE_SITE] = {"stale-site", RL_FORBIDDEN,
                    "after save + clear_cache the cache serves the old domain"},
    [KEY_ERROR] = {"key-error", RL_FORBIDDEN,
                   "save() raised KeyError: two saves passed `in`, one `del` failed"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "try/except KeyError fill, `in` then `del`, rebinding clear"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                "a module-level lock around the fill, the `in`/`del` and the rebinding"},
    [GENERATION] = {"generation", RL_BENIGN, RL_CAUGHT_BY_ANY, NULL,
                    "a fetch stores only into the cache generation it missed in; "
                    "save and clear start a new one (double queries remain)"},
};

static const rl_point points[] = {
    [AT_QUERY] = {"site_cache/query", RL_DELAY_POINT,
                  "get(pk=SITE_ID): the row is read, the result not yet back"},
    [AT_UPDATE] = {"site_cache/update", RL_DELAY_POINT,
                   "Site.save(): UPDATE and COMMIT of the new domain"},
    [AT_SAVE_CHECK] = {"site_cache/save-check", RL_DELAY_POINT,
                       "between `self.id in SITE_CACHE` and `del SITE_CACHE[self.id]`"},
    [AT_DB_ERROR] = {"site_cache/db-error", RL_FAULT_POINT,
                     "the SELECT or the UPDATE fails (DatabaseError)"},
};

static const rl_scenario site_cache = {
    .name = "site_cache",
    .reference = "Threading wiki (seeds/000, seeds/001): django/contrib/sites SITE_CACHE, "
                 "'one db hit intended, more than one possible'",
    .summary = "get_current() fills SITE_CACHE while admins save and clear it",
    .actors = REQUESTS,
    .state_size = sizeof(site_state),
    .init = init,
    .fini = fini,
    .actor = {reader, admin, admin},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(site_cache)
