/* url_reverse — NoReverseMatch under threads; Django #10472 (2009-03).
 * Seeds/002 (Thread-safety assumptions in Django): "From NoReverseMatch
 * exceptions, to curious middleware problems..."; y-node.com, "NoReverseMatch"
 * (2008-10).
 *
 * The URL resolver is built once per urlconf and shared by every thread
 * (get_resolver is memoized). Its reverse dictionary is filled lazily, in
 * place, the first time anything calls reverse():
 *
 *     def _get_reverse_dict(self):
 *         if not self._reverse_dict:
 *             for pattern in reversed(self.urlconf_module.urlpatterns):
 *                 self._reverse_dict[pattern.callback] = (pattern,)  # imports the view
 *                 self._reverse_dict[pattern.name] = (pattern,)
 *         return self._reverse_dict
 *
 * Resolving pattern.callback imports the view module, which is slow. T1 is
 * filling; T2 sees a non-empty dict, skips the fill and looks up a name that
 * is not there yet. The patterns are walked bottom-up, so the ones at the
 * *top* of urls.py — the home page, the most linked — are filled last and
 * fail: NoReverseMatch "for any url on the site", only right after a process
 * starts. The fix (#10472) builds `lookups` locally and assigns it whole.
 *
 * A trial is one fresh resolver and two concurrent requests (the actors);
 * each request renders a page that links to every named URL. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, FIXED, LOCKED };
enum { OK, DOUBLE_FILL, NO_REVERSE_MATCH };
enum { AT_IMPORT_VIEW };

/* urlpatterns, top of urls.py first: home, article-detail, archive, contact.
 * Keys of the reverse dict: the callback of pattern i is key i, its name is
 * key PATTERNS + i. */
#define PATTERNS 4
#define KEYS (2 * PATTERNS)
#define REQUESTS 2

/* A dict with small-integer keys: d[k] = v stores the value and counts a new
 * key in `used` (len(d)); each operation was atomic under the GIL, and
 * nothing here can tear or overflow in C. value 0 is "absent". */
typedef struct {
    int used;
    int value[KEYS];
} url_dict;

typedef struct {
    int missing; /* bit i: reverse(name of pattern i) raised NoReverseMatch */
    int filled;  /* this request ran the fill */
} page;

typedef struct {
    url_dict reverse_dict;                /* racy, locked: filled in place */
    _Atomic(url_dict *) reverse_dict_pub; /* fixed: NULL is the empty dict */
    url_dict lookups[REQUESTS];           /* fixed: each filler's local */
    rl_mutex lock;                        /* locked */
    page pages[REQUESTS];
} resolver;

static void dict_set(url_dict *d, int key, int value)
{
    if (d->value[key] == 0)
        d->used = d->used + 1;
    d->value[key] = value;
}

/* The loop of _get_reverse_dict over a given dict. */
static void fill(url_dict *d)
{
    for (int i = PATTERNS - 1; i >= 0; i--) { /* reversed(urlpatterns) */
        RL_POINT(AT_IMPORT_VIEW);             /* pattern.callback imports the view */
        dict_set(d, i, i + 1);
        dict_set(d, PATTERNS + i, i + 1);
    }
}

static const url_dict *reverse_dict_racy(resolver *r, page *p)
{
    /* RACE: T1 has stored the bottom pattern and is importing the next view;
     * T2 sees a non-empty dict here and returns it half filled. */
    if (r->reverse_dict.used == 0) {
        p->filled = 1;
        fill(&r->reverse_dict);
    }
    return &r->reverse_dict;
}

/* #10472: lookups = MultiValueDict(); fill it; self._reverse_dict = lookups.
 * In C the assignment is a release store and the check an acquire load. Two
 * first requests may both fill (double work, harmless: last one wins). */
static const url_dict *reverse_dict_fixed(resolver *r, page *p)
{
    url_dict *d = atomic_load_explicit(&r->reverse_dict_pub, memory_order_acquire);
    if (d == NULL || d->used == 0) {
        url_dict *lookups = &r->lookups[rl_self()];
        p->filled = 1;
        fill(lookups);
        atomic_store_explicit(&r->reverse_dict_pub, lookups, memory_order_release);
        d = lookups;
    }
    return d;
}

/* The check and the fill under one lock: one fill, and nobody sees it half
 * done. The dict is read after the unlock: it is never written again. */
static const url_dict *reverse_dict_locked(resolver *r, page *p)
{
    rl_mutex_lock(&r->lock);
    if (r->reverse_dict.used == 0) {
        p->filled = 1;
        fill(&r->reverse_dict);
    }
    rl_mutex_unlock(&r->lock);
    return &r->reverse_dict;
}

/* A request: {% url name %} for every named pattern on the page. */
static void request_actor(void *state, int variant)
{
    resolver *r = state;
    page *p = &r->pages[rl_self()];
    const url_dict *d = variant == RACY    ? reverse_dict_racy(r, p)
                        : variant == FIXED ? reverse_dict_fixed(r, p)
                                           : reverse_dict_locked(r, p);
    for (int i = 0; i < PATTERNS; i++)
        if (d->value[PATTERNS + i] != i + 1) /* reverse(name) */
            p->missing |= 1 << i;            /* NoReverseMatch */
}

static void init(void *state, int variant)
{
    resolver *r = state;
    if (variant == LOCKED) {
        rl_mutex_init(&r->lock);
        rl_mutex_name(&r->lock, "resolver lock");
    }
}

static void fini(void *state, int variant)
{
    if (variant == LOCKED)
        rl_mutex_destroy(&((resolver *)state)->lock);
}

/* reverse() succeeded for every defined name, the first in the file too. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    resolver *r = state;
    int fills = 0;
    for (int a = 0; a < REQUESTS; a++) {
        if (r->pages[a].missing)
            return NO_REVERSE_MATCH;
        fills += r->pages[a].filled;
    }
    return fills > 1 ? DOUBLE_FILL : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every name reversed; the dict was filled once"},
    [DOUBLE_FILL] = {"double-fill", RL_INTERESTING,
                     "both requests filled the reverse dict (every view imported twice)"},
    [NO_REVERSE_MATCH] = {"no-reverse-match", RL_FORBIDDEN,
                          "reverse() raised NoReverseMatch for a defined name (a half-filled "
                          "dict: the top of urls.py is filled last)"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "Django 1.0: fill self._reverse_dict in place when it is empty"},
    [FIXED] = {"fixed", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
               "#10472: fill a local `lookups`, then assign it (release/acquire)"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "check and fill under one lock"},
};

static const rl_point points[] = {
    [AT_IMPORT_VIEW] =
        {"url_reverse/import-view", RL_DELAY_POINT,
         "pattern.callback imports the view module while the reverse dict is being filled"},
};

static const rl_scenario url_reverse = {
    .name = "url_reverse",
    .reference = "Thread-safety assumptions in Django (seeds/002): NoReverseMatch; Django #10472",
    .summary = "the shared resolver's reverse dict is filled in place on first use",
    .actors = REQUESTS,
    .state_size = sizeof(resolver),
    .init = init,
    .fini = fini,
    .actor = {request_actor, request_actor},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(url_reverse)
