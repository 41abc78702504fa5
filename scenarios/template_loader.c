/* template_loader — Django #6950 (fixed 2008-05, r7563), the wiki's
 * django.template.loader entry.
 *
 * find_template_source() filled the module global in place:
 *
 *     if template_source_loaders is None:
 *         template_source_loaders = []
 *         for path in settings.TEMPLATE_LOADERS:
 *             func = import(path)               # slow
 *             template_source_loaders.append(func)
 *     for loader in template_source_loaders: ...
 *
 * T1 binds the empty list and blocks importing loader 2; T2 sees a list
 * that is not None, walks a partial one and raises TemplateDoesNotExist for
 * a template only the last loader serves. If an import fails, the partial
 * list stays bound for the life of the process: every later request fails.
 *
 * A trial stands for one process's life: a fresh module state, two request
 * threads, two requests each, for "last.html", which only the last loader
 * serves. */
#include "racelab.h"

#include <stdatomic.h>
#include <stddef.h>

enum { RACY, TMP_ASSIGN, LOCKED, ONCE };
enum { OK, IMPORT_ERROR_RECOVERED, DOUBLE_INIT, TEMPLATE_DOES_NOT_EXIST, NEVER_RECOVERED };
enum { AT_IMPORT, AT_IMPORT_ERROR };
enum { FOUND = 1, NOT_FOUND, IMPORT_ERROR }; /* what one request saw */
enum { NOT_STARTED, RUNNING, DONE };         /* the `once` variant's state */

#define LOADERS 3
#define REQUESTS 2
#define ACTORS 2
#define LAST_LOADER (LOADERS - 1)

typedef struct {
    int count;                    /* Python's len(): only grows */
    int loader[LOADERS * ACTORS]; /* room for every request filling it */
} loader_list;

typedef struct {
    /* The module global: NULL is None. */
    loader_list *bound;             /* racy, locked */
    loader_list *_Atomic published; /* tmp-assign, once: release/acquire */
    loader_list list;               /* the list object racy/locked fill */
    loader_list local[ACTORS];      /* tmp-assign/once: a request's own list */
    rl_mutex lock;                  /* locked, once */
    rl_cond done;                   /* once */
    int once_state;                 /* once, under `lock` */
    /* Per actor, so that counting adds no sharing of its own. */
    int first_attempt_done[ACTORS];
    int inits_completed[ACTORS];
    int result[ACTORS][REQUESTS];
} module;

/* __import__ of one loader module: slow, and it can fail (the fault point
 * is consulted on each actor's first attempt only: a transient error). */
static int import_loader(module *m, int self)
{
    RL_POINT(AT_IMPORT);
    if (!m->first_attempt_done[self] && RL_FAULT(AT_IMPORT_ERROR))
        return 0;
    return 1;
}

/* Fill `list` by importing every loader; 0 when an import failed. */
static int load_all(module *m, loader_list *list, int self)
{
    int ok = 1;
    for (int i = 0; i < LOADERS && ok; i++) {
        ok = import_loader(m, self);
        if (ok) {
            /* list.append(func) was atomic under the GIL; here two racy
             * fillers may interleave, which Python would not tear either. */
            list->loader[list->count] = i;
            list->count = list->count + 1;
        }
    }
    m->first_attempt_done[self] = 1;
    if (ok)
        m->inits_completed[self]++;
    return ok;
}

static int walk(const loader_list *list)
{
    for (int i = 0; i < list->count; i++)
        if (list->loader[i] == LAST_LOADER)
            return FOUND;
    return NOT_FOUND;
}

static int find_racy(module *m, int self)
{
    if (m->bound == NULL) {
        /* RACE: the empty list is bound before it is filled. A request
         * arriving during the imports below skips this block and walks a
         * partial list; if an import fails, the partial list stays bound. */
        m->bound = &m->list;
        if (!load_all(m, &m->list, self))
            return IMPORT_ERROR;
    }
    return walk(m->bound);
}

/* Django's fix (r7563): build a local list, assign it when complete. Two
 * requests may both build one (double init: benign). */
static int find_tmp_assign(module *m, int self)
{
    loader_list *loaders = atomic_load_explicit(&m->published, memory_order_acquire);
    if (loaders == NULL) {
        loader_list *tmp = &m->local[self];
        tmp->count = 0;
        if (!load_all(m, tmp, self))
            return IMPORT_ERROR; /* nothing bound: the next request retries */
        atomic_store_explicit(&m->published, tmp, memory_order_release);
        loaders = tmp;
    }
    return walk(loaders);
}

/* The wiki's function-level lock: the whole lookup is serialised, and a
 * failed import leaves the global unbound so the next request retries. */
static int find_locked(module *m, int self)
{
    rl_mutex_lock(&m->lock);
    if (m->bound == NULL) {
        m->list.count = 0;
        if (load_all(m, &m->list, self))
            m->bound = &m->list;
    }
    int found = m->bound != NULL ? walk(m->bound) : IMPORT_ERROR;
    rl_mutex_unlock(&m->lock);
    return found;
}

/* Initialise once, imports outside the lock, waiters sleep until the first
 * caller finishes; a failed initialiser resets the state for a retry. */
static int find_once(module *m, int self)
{
    loader_list *loaders = atomic_load_explicit(&m->published, memory_order_acquire);
    if (loaders != NULL)
        return walk(loaders);
    rl_mutex_lock(&m->lock);
    while (m->once_state == RUNNING)
        rl_cond_wait(&m->done, &m->lock);
    int mine = m->once_state == NOT_STARTED;
    if (mine)
        m->once_state = RUNNING;
    rl_mutex_unlock(&m->lock);
    if (mine) {
        loader_list *tmp = &m->local[self];
        tmp->count = 0;
        int ok = load_all(m, tmp, self);
        if (ok)
            atomic_store_explicit(&m->published, tmp, memory_order_release);
        rl_mutex_lock(&m->lock);
        m->once_state = ok ? DONE : NOT_STARTED;
        rl_cond_broadcast(&m->done);
        rl_mutex_unlock(&m->lock);
        if (!ok)
            return IMPORT_ERROR;
    }
    return walk(atomic_load_explicit(&m->published, memory_order_acquire));
}

static void request_thread(void *state, int variant)
{
    module *m = state;
    int self = rl_self();
    for (int r = 0; r < REQUESTS; r++) {
        int found = variant == RACY         ? find_racy(m, self)
                    : variant == TMP_ASSIGN ? find_tmp_assign(m, self)
                    : variant == LOCKED     ? find_locked(m, self)
                                            : find_once(m, self);
        m->result[self][r] = found;
    }
}

static void init(void *state, int variant)
{
    module *m = state;
    if (variant == LOCKED || variant == ONCE)
        rl_mutex_init(&m->lock);
    if (variant == ONCE) {
        rl_cond_init(&m->done);
        rl_cond_name(&m->done, "loaders ready");
    }
}

static void fini(void *state, int variant)
{
    module *m = state;
    if (variant == LOCKED || variant == ONCE)
        rl_mutex_destroy(&m->lock);
    if (variant == ONCE)
        rl_cond_destroy(&m->done);
}

/* Every request finds the template, except one that suffered an injected
 * import error itself: the fault fires only on an actor's first import
 * attempt, so each actor's last request must be served. Building the whole
 * list more than once is double init. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    const module *m = state;
    int import_errors = 0, inits = 0;
    for (int a = 0; a < ACTORS; a++) {
        inits += m->inits_completed[a];
        for (int r = 0; r < REQUESTS; r++) {
            if (m->result[a][r] == NOT_FOUND)
                return TEMPLATE_DOES_NOT_EXIST;
            import_errors += m->result[a][r] == IMPORT_ERROR;
        }
        if (m->result[a][REQUESTS - 1] != FOUND)
            return NEVER_RECOVERED;
    }
    if (inits > 1)
        return DOUBLE_INIT;
    return import_errors ? IMPORT_ERROR_RECOVERED : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every request found the template"},
    [IMPORT_ERROR_RECOVERED] = {"import-error-recovered", RL_ACCEPTABLE,
                                "an injected import error failed its own request; later "
                                "requests were served"},
    [DOUBLE_INIT] = {"double-init", RL_INTERESTING, "the loader list was built more than once"},
    [TEMPLATE_DOES_NOT_EXIST] = {"template-does-not-exist", RL_FORBIDDEN,
                                 "a request walked a partial loader list (TemplateDoesNotExist)"},
    [NEVER_RECOVERED] = {"never-recovered", RL_FORBIDDEN,
                         "after an injected import error, a later request still failed"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "binds the empty list, then fills it in place (Django before r7563)"},
    [TMP_ASSIGN] = {"tmp-assign", RL_BENIGN, RL_CAUGHT_BY_ANY, NULL,
                    "builds a local list and publishes it when complete (r7563)"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "the wiki's function-level lock"},
    [ONCE] = {"once", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
              "one initialiser, waiters sleep; a failure lets the next request retry"},
};

static const rl_point points[] = {
    [AT_IMPORT] = {"template_loader/import", RL_DELAY_POINT,
                   "__import__ of a loader module (slow)"},
    [AT_IMPORT_ERROR] = {"template_loader/import-error", RL_FAULT_POINT,
                         "the loader module import raises (first attempt of a request thread)"},
};

static const rl_scenario template_loader = {
    .name = "template_loader",
    .reference = "Django #6950 (r7563); wiki DjangoSpecifications/Core/Threading",
    .summary = "template loaders initialised in place: a partial list is walked",
    .actors = ACTORS,
    .state_size = sizeof(module),
    .init = init,
    .fini = fini,
    .actor = {request_thread, request_thread},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(template_loader)
