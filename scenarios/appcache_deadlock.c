/* appcache_deadlock — the import lock against AppCache.write_lock; the
 * threadsafe_wsgi seed (seeds/003); Django #18251 (fixed 2012-05).
 *
 * Thread 1's request imports a view module: it holds the import lock (B)
 * while the module body runs, and the body calls get_apps(), which takes
 * AppCache.write_lock (A). Thread 2's request calls get_apps() first: it
 * holds A while populating the app cache, which imports an app module and
 * needs B. A-B against B-A: Django never boots. "This exact deadlock was
 * actually seen in stacktraces."
 *
 * The seed's workaround squeezes the first MIN_INIT_CALLS (4) requests
 * through a third lock C, then drops it. A boot that starts only after 4
 * other requests (static pages, health checks) finished is unprotected.
 * Django's fix: drop write_lock, load apps under the re-entrant import lock.
 *
 * Four request threads on two cores: actor 0 imports a view module first,
 * actor 1 calls get_apps() first, actors 2 and 3 serve two static pages
 * each. Both of Django's locks are re-entrant (RLock); C is a plain Lock. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, LOCK_C, SINGLE_LOCK, ORDERED };
enum { SERVED, DOUBLE_POPULATE };
enum {
    AT_ACCEPT_VIEW,
    AT_ACCEPT_APPS,
    AT_MODULE_BODY,
    AT_POPULATE,
    AT_IMPORT_APP,
    AT_REGISTER_MODELS,
    AT_STATIC_PAGE
};

#define ACTORS 4
#define MIN_INIT_CALLS 4
#define STATIC_PAGES 2

typedef struct {
    rl_mutex write_lock;  /* A: AppCache.write_lock (RLock) */
    rl_mutex import_lock; /* B: the interpreter's import lock (re-entrant) */
    rl_mutex lock_c;      /* C: the seed's __initLock */
    _Atomic int loaded;   /* AppCache.loaded: the double-checked flag */
    int populated;        /* times the app cache was filled (under its lock) */
    /* The seed's `__initialized` count, read outside C. Relaxed atomics: the
     * check is racy by design (that is the workaround's flaw), but the lesson
     * here is the lock order, which TSan reports on its own. */
    _Atomic int initialized;
} django;

static rl_mutex *app_cache_lock(django *d, int variant)
{
    /* Django's fix: app loading happens under the import lock itself. */
    return variant == SINGLE_LOCK ? &d->import_lock : &d->write_lock;
}

/* AppCache._populate(), reached from get_apps(). */
static void get_apps(django *d, int variant)
{
    if (atomic_load_explicit(&d->loaded, memory_order_acquire))
        return;
    rl_mutex *lock = app_cache_lock(d, variant);
    rl_mutex_lock(lock);
    if (!atomic_load_explicit(&d->loaded, memory_order_relaxed)) {
        RL_POINT(AT_POPULATE);
        /* import each app's models module: needs the import lock. DEADLOCK:
         * this thread holds A and waits for B while a thread in a module
         * body holds B and waits for A (racy; lock-c once C is dropped). */
        rl_mutex_lock(&d->import_lock);
        RL_POINT(AT_IMPORT_APP);
        rl_mutex_unlock(&d->import_lock);
        /* register the imported models, then mark the cache loaded: a module
         * body that checked `loaded` just before waits for A here, holding B
         * (the near miss TSan reports as a lock-order inversion). */
        RL_POINT(AT_REGISTER_MODELS);
        d->populated++;
        atomic_store_explicit(&d->loaded, 1, memory_order_release);
    }
    rl_mutex_unlock(lock);
}

/* A view module whose body calls get_apps(): import lock, then A. */
static void import_view_module(django *d, int variant)
{
    if (variant == ORDERED)
        rl_mutex_lock(&d->write_lock); /* the fix by order: A before B, always */
    rl_mutex_lock(&d->import_lock);
    RL_POINT(AT_MODULE_BODY);
    get_apps(d, variant);
    rl_mutex_unlock(&d->import_lock);
    if (variant == ORDERED)
        rl_mutex_unlock(&d->write_lock);
}

static void boot_by_import(django *d, int variant) { import_view_module(d, variant); }

static void boot_by_get_apps(django *d, int variant)
{
    get_apps(d, variant);
    import_view_module(d, variant);
}

static void static_page(django *d, int variant)
{
    (void)d;
    (void)variant;
    RL_POINT(AT_STATIC_PAGE);
}

/* The seed's WSGIHandler.__call__ (lock-c) or Django's own (the others). */
static void handle(django *d, int variant, void (*view)(django *, int))
{
    if (variant == LOCK_C &&
        atomic_load_explicit(&d->initialized, memory_order_relaxed) < MIN_INIT_CALLS) {
        rl_mutex_lock(&d->lock_c);
        view(d, variant);
        atomic_fetch_add_explicit(&d->initialized, 1, memory_order_relaxed);
        rl_mutex_unlock(&d->lock_c);
        return;
    }
    /* lock-c: 4 requests went through C, so it is skipped from now on; a
     * boot that starts only now runs unprotected. */
    view(d, variant);
}

static void request_import_first(void *state, int variant)
{
    django *d = state;
    RL_POINT(AT_ACCEPT_VIEW); /* the request arrives */
    handle(d, variant, boot_by_import);
}

static void request_get_apps_first(void *state, int variant)
{
    django *d = state;
    RL_POINT(AT_ACCEPT_APPS);
    handle(d, variant, boot_by_get_apps);
}

static void request_static(void *state, int variant)
{
    django *d = state;
    for (int i = 0; i < STATIC_PAGES; i++)
        handle(d, variant, static_page);
}

static void init(void *state, int variant)
{
    (void)variant;
    django *d = state;
    rl_mutex_init_recursive(&d->write_lock);
    rl_mutex_init_recursive(&d->import_lock);
    rl_mutex_init(&d->lock_c);
    rl_mutex_name(&d->write_lock, "AppCache.write_lock");
    rl_mutex_name(&d->import_lock, "import lock");
    rl_mutex_name(&d->lock_c, "lock C");
}

static void fini(void *state, int variant)
{
    (void)variant;
    django *d = state;
    rl_mutex_destroy(&d->write_lock);
    rl_mutex_destroy(&d->import_lock);
    rl_mutex_destroy(&d->lock_c);
}

/* The real oracle of this scenario is the runtime's: a trial that
 * deadlocks never reaches the arbiter; the watchdog (or, in sched mode, the
 * scheduler) records it as `deadlock`. A finished trial must have filled
 * the app cache exactly once. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    const django *d = state;
    return d->populated == 1 ? SERVED : DOUBLE_POPULATE;
}

static const rl_outcome outcomes[] = {
    [SERVED] = {"served", RL_ACCEPTABLE, "Django booted once and every request was served"},
    [DOUBLE_POPULATE] = {"double-populate", RL_FORBIDDEN,
                         "the app cache was not filled exactly once"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "A then B in get_apps, B then A in a module body: AB-BA deadlock"},
    [LOCK_C] = {"lock-c", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
                "the seed's workaround: lock C for the first 4 requests only; fails when "
                "the boot starts after 4 other requests"},
    [SINGLE_LOCK] = {"single-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                     "Django's fix (#18251): apps load under the re-entrant import lock"},
    [ORDERED] = {"ordered", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "always A before B"},
};

static const rl_point points[] = {
    [AT_ACCEPT_VIEW] = {"appcache/accept-view", RL_DELAY_POINT,
                        "a request for a view module arrives"},
    [AT_ACCEPT_APPS] = {"appcache/accept-apps", RL_DELAY_POINT,
                        "a request that calls get_apps() first arrives"},
    [AT_MODULE_BODY] = {"appcache/module-body", RL_DELAY_POINT,
                        "executing a view module's body, import lock held"},
    [AT_POPULATE] = {"appcache/populate", RL_DELAY_POINT, "get_apps() populating, write_lock held"},
    [AT_IMPORT_APP] = {"appcache/import-app", RL_DELAY_POINT, "importing an app's models module"},
    [AT_REGISTER_MODELS] = {"appcache/register-models", RL_DELAY_POINT,
                            "registering the imported models, A held"},
    [AT_STATIC_PAGE] = {"appcache/static-page", RL_DELAY_POINT, "serving a page that needs no app"},
};

static const rl_scenario appcache_deadlock = {
    .name = "appcache_deadlock",
    .reference = "threadsafe_wsgi seed (seeds/003); Django #18251",
    .summary = "AB-BA deadlock between the import lock and AppCache.write_lock",
    .actors = ACTORS,
    .state_size = sizeof(django),
    .init = init,
    .fini = fini,
    .actor = {request_import_first, request_get_apps_first, request_static, request_static},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(appcache_deadlock)
