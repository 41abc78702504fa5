/* thread_keyed_state — per-thread state kept in module dicts keyed by the
 * thread: `_active` (django/utils/translation/trans_real.py) and `dirty`,
 * `state` (django/db/transaction.py), Threading wiki (seeds/001); replaced
 * by real thread-locals in 2011-01.
 *
 *     _active = {}                                  # trans_real
 *     def activate(language):
 *         _active[currentThread()] = translation(language)
 *     def deactivate():
 *         if currentThread() in _active:
 *             del _active[currentThread()]
 *     def get_language():
 *         t = _active.get(currentThread(), None)
 *         return t.to_language() if t is not None else settings.LANGUAGE_CODE
 *
 *     dirty = {}; state = {}                        # transaction
 *     def enter_transaction_management():
 *         thread_ident = thread.get_ident()
 *         if thread_ident in state and state[thread_ident]:
 *             state[thread_ident].append(state[thread_ident][-1])
 *         else:
 *             state[thread_ident] = [settings.TRANSACTIONS_MANAGED]
 *         if thread_ident not in dirty:
 *             dirty[thread_ident] = False
 *     def leave_transaction_management():
 *         del state[thread_ident][-1]               # the key stays
 *         if dirty.get(thread_ident, False):
 *             rollback(); raise TransactionManagementError(...)
 *         dirty[thread_ident] = False               # the key stays
 *
 * No two threads share a key, so there is no data race. But no entry is
 * ever removed when its thread dies, so the dicts grow; and thread idents
 * are reused (pthread_self() of a joined thread is handed to the next one;
 * for threads the server starts, currentThread() finds the dead thread's
 * _DummyThread under the same ident), so a request thread that exited
 * unbalanced — its view raised after activate() and a write — leaves its
 * language and a dirty transaction to the next thread that gets its ident.
 * The fix: threading.local(), which dies with its thread.
 *
 * Real threads here: per trial each worker starts a request thread whose
 * view raises, joins it, starts the next request thread and joins it; the
 * thread ids are pthread_self(). Each dict operation was atomic under the
 * GIL: the dicts take a tiny `gil` lock per operation. So TSan has nothing
 * to report; the oracle catches the racy variant.
 *
 * --param view_raises=0|1 (default 1): whether the first request's view
 * raises. */
#include "racelab.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { RACY, THREAD_LOCAL };
enum { OK, OK_IDENT_REUSED, INHERITED_STATE, LEAK };
enum { AT_REQUEST, AT_VIEW_ERROR };

#define WORKERS 2
#define MAP_CAP 8 /* distinct idents per trial: at most 2 per worker */
enum { LANG_DEFAULT, LANG_DE, LANG_FR, LANG_EN };

/* A dict keyed by thread ident. */
typedef struct {
    int n;
    unsigned long key[MAP_CAP];
    int value[MAP_CAP];
} ident_map;

/* What one request thread saw. */
typedef struct {
    unsigned long ident;
    int language; /* get_language() as the thread started */
    int dirty;    /* is_dirty() as the thread started */
    int depth;    /* transaction-management levels open as it started */
} thread_log;

typedef struct {
    rl_mutex gil;
    ident_map active, dirty, state; /* racy: trans_real._active, transaction.dirty/.state */
    _Atomic int live_locals;        /* thread-local: storages alive */
    thread_log failed[WORKERS];     /* each worker's first thread: its view raised */
    thread_log next[WORKERS];       /* the thread each worker started after it */
} keyed_state;

/* ---- dicts keyed by thread ident: each operation atomic (the GIL) ---------- */

static int find(const ident_map *m, unsigned long key)
{
    for (int i = 0; i < m->n; i++)
        if (m->key[i] == key)
            return i;
    return -1;
}

/* d.get(key, fallback) */
static int map_get(keyed_state *s, ident_map *m, unsigned long key, int fallback)
{
    rl_mutex_lock(&s->gil);
    int i = find(m, key);
    int v = i >= 0 ? m->value[i] : fallback;
    rl_mutex_unlock(&s->gil);
    return v;
}

static int map_contains(keyed_state *s, ident_map *m, unsigned long key)
{
    rl_mutex_lock(&s->gil);
    int in = find(m, key) >= 0;
    rl_mutex_unlock(&s->gil);
    return in;
}

/* d[key] = v */
static void map_set(keyed_state *s, ident_map *m, unsigned long key, int v)
{
    rl_mutex_lock(&s->gil);
    int i = find(m, key);
    if (i < 0) {
        i = m->n++;
        m->key[i] = key;
    }
    m->value[i] = v;
    rl_mutex_unlock(&s->gil);
}

/* del d[key] */
static void map_del(keyed_state *s, ident_map *m, unsigned long key)
{
    rl_mutex_lock(&s->gil);
    int i = find(m, key);
    if (i >= 0) {
        m->n--;
        m->key[i] = m->key[m->n];
        m->value[i] = m->value[m->n];
    }
    rl_mutex_unlock(&s->gil);
}

static int map_size(keyed_state *s, ident_map *m)
{
    rl_mutex_lock(&s->gil);
    int n = m->n;
    rl_mutex_unlock(&s->gil);
    return n;
}

static unsigned long get_ident(void) { return (unsigned long)pthread_self(); }

/* ---- racy: the module dicts ------------------------------------------------ */

static void activate_racy(keyed_state *s, int language)
{
    map_set(s, &s->active, get_ident(), language);
}

static void deactivate_racy(keyed_state *s)
{
    if (map_contains(s, &s->active, get_ident()))
        map_del(s, &s->active, get_ident());
}

static int get_language_racy(keyed_state *s)
{
    /* STALE: a dead thread's entry under our reused ident answers here. */
    return map_get(s, &s->active, get_ident(), LANG_DEFAULT);
}

static void enter_racy(keyed_state *s)
{
    unsigned long me = get_ident();
    int depth = map_get(s, &s->state, me, 0);
    map_set(s, &s->state, me, depth > 0 ? depth + 1 : 1);
    if (!map_contains(s, &s->dirty, me))
        map_set(s, &s->dirty, me, 0); /* STALE: an inherited True stays True */
}

static void set_dirty_racy(keyed_state *s) { map_set(s, &s->dirty, get_ident(), 1); }
static void set_clean_racy(keyed_state *s) { map_set(s, &s->dirty, get_ident(), 0); }

/* Returns 0 for TransactionManagementError. LEAK: neither key is removed. */
static int leave_racy(keyed_state *s)
{
    unsigned long me = get_ident();
    int depth = map_get(s, &s->state, me, 0);
    if (depth == 0)
        return 0;
    map_set(s, &s->state, me, depth - 1);
    int was_dirty = map_get(s, &s->dirty, me, 0);
    map_set(s, &s->dirty, me, 0);
    return !was_dirty;
}

/* ---- thread-local: storage that is born and dies with its thread ---------- */

typedef struct {
    int created;
    int language;
    int depth;
    int dirty;
} request_locals;

static _Thread_local request_locals tl; /* fresh (zeroed) in every new thread */

static request_locals *locals(keyed_state *s)
{
    if (!tl.created) {
        tl.created = 1;
        atomic_fetch_add_explicit(&s->live_locals, 1, memory_order_relaxed);
    }
    return &tl;
}

/* The thread is ending: its storage dies with it (the fields are left as
 * they are; a new thread must get a fresh block from the C runtime). */
static void locals_die(keyed_state *s)
{
    if (tl.created)
        atomic_fetch_sub_explicit(&s->live_locals, 1, memory_order_relaxed);
}

static int leave_local(keyed_state *s)
{
    request_locals *l = locals(s);
    if (l->depth == 0)
        return 0;
    l->depth--;
    int was_dirty = l->dirty;
    l->dirty = 0;
    return !was_dirty;
}

/* ---- the request threads --------------------------------------------------- */

typedef struct {
    keyed_state *s;
    int variant;
    int view_raises;
    int language;
    thread_log *log;
} request_arg;

/* A request: record what this thread starts with, then activate a language,
 * enter transaction management, write, and (unless the view raises) commit,
 * leave and deactivate. A raising view skips all the cleanup, as the
 * exception escaped before the middleware's process_response. */
static void *request_thread(void *p)
{
    request_arg *a = p;
    keyed_state *s = a->s;
    a->log->ident = get_ident();
    if (a->variant == RACY) {
        a->log->language = get_language_racy(s);
        a->log->dirty = map_get(s, &s->dirty, get_ident(), 0);
        a->log->depth = map_get(s, &s->state, get_ident(), 0);
        activate_racy(s, a->language);
        enter_racy(s);
        set_dirty_racy(s); /* a write */
        RL_POINT(AT_REQUEST);
        if (a->view_raises || RL_FAULT(AT_VIEW_ERROR))
            return NULL;   /* the thread dies; its entries stay in the dicts */
        set_clean_racy(s); /* commit */
        leave_racy(s);
        deactivate_racy(s);
        return NULL;
    }
    request_locals *l = locals(s);
    a->log->language = l->language;
    a->log->dirty = l->dirty;
    a->log->depth = l->depth;
    l->language = a->language;
    l->depth++;
    l->dirty = 1;
    RL_POINT(AT_REQUEST);
    if (!a->view_raises && !RL_FAULT(AT_VIEW_ERROR)) {
        l->dirty = 0;
        leave_local(s);
        l->language = LANG_DEFAULT;
    }
    locals_die(s);
    return NULL;
}

static void run_thread(request_arg *a)
{
    rl_thread t;
    if (rl_spawn(&t, request_thread, a) != 0) {
        fprintf(stderr, "thread_keyed_state: cannot start a request thread\n");
        abort(); /* the environment failed: do not grade a trial that did not run */
    }
    rl_join(&t);
}

/* A server worker: a request whose view raises, then the next request.
 * With --param view_raises=0 the first request ends cleanly too: then the
 * racy dicts pass nothing on, but still keep every dead thread's keys. */
static void worker(void *state, int variant)
{
    keyed_state *s = state;
    int self = rl_self();
    int raises = (int)rl_param("view_raises");
    request_arg first = {s, variant, raises, self == 0 ? LANG_DE : LANG_FR, &s->failed[self]};
    run_thread(&first);
    request_arg next = {s, variant, 0, LANG_EN, &s->next[self]};
    run_thread(&next);
}

static void init(void *state, int variant)
{
    (void)variant;
    rl_mutex_init(&((keyed_state *)state)->gil);
}

static void fini(void *state, int variant)
{
    (void)variant;
    rl_mutex_destroy(&((keyed_state *)state)->gil);
}

static int arbiter(void *state, int variant)
{
    keyed_state *s = state;
    int reused = 0;
    for (int w = 0; w < WORKERS; w++) {
        const thread_log *t = &s->next[w];
        if (t->language != LANG_DEFAULT || t->dirty || t->depth != 0)
            return INHERITED_STATE;
        for (int v = 0; v < WORKERS; v++)
            reused |= t->ident != 0 && t->ident == s->failed[v].ident;
    }
    /* After every thread has exited, nothing of theirs may remain. */
    int left = variant == RACY
                   ? map_size(s, &s->active) + map_size(s, &s->dirty) + map_size(s, &s->state)
                   : atomic_load(&s->live_locals);
    if (left != 0)
        return LEAK;
    return reused ? OK_IDENT_REUSED : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "new threads started clean, nothing left behind"},
    [OK_IDENT_REUSED] = {"ok-ident-reused", RL_ACCEPTABLE,
                         "a new thread got a dead thread's ident and still started clean"},
    [INHERITED_STATE] = {"inherited-state", RL_FORBIDDEN,
                         "a new thread started with a dead thread's language or dirty "
                         "transaction"},
    [LEAK] = {"leak", RL_FORBIDDEN, "dead threads' entries remain after every thread exited"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ORACLE, NULL,
              "module dicts keyed by thread ident, entries never removed"},
    [THREAD_LOCAL] = {"thread-local", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                      "state in thread-local storage that dies with its thread"},
};

static const rl_param_spec params[] = {
    {"view_raises", 1, 0, 1, "the first request's view raises, leaving its state unbalanced"},
};

static const rl_point points[] = {
    [AT_REQUEST] = {"thread_keyed_state/request", RL_DELAY_POINT,
                    "the view runs with a language active and a transaction dirty"},
    [AT_VIEW_ERROR] = {"thread_keyed_state/view-error", RL_FAULT_POINT,
                       "the second request's view raises too: it exits without cleanup"},
};

static const rl_scenario thread_keyed_state = {
    .name = "thread_keyed_state",
    .reference = "Threading wiki (seeds/001): trans_real `_active`, transaction `dirty, state`; "
                 "thread-locals since 2011-01",
    .summary = "per-thread state in dicts keyed by reused thread idents",
    .actors = WORKERS,
    .state_size = sizeof(keyed_state),
    .init = init,
    .fini = fini,
    .actor = {worker, worker},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_PARAMS(params),
    .max_batch = 256, /* a trial starts four threads: keep a batch (and a stall) short */
};

RL_SCENARIO(thread_keyed_state)
