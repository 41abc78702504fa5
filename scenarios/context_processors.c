/* context_processors — the globals the threading wiki calls harmless
 * (seeds/000, seeds/001: "Modules' use of globals").
 *
 * django/template/context.py builds its processor list in a local and binds
 * the global only when it is complete:
 *
 *     _standard_context_processors = None
 *     def get_standard_processors():
 *         global _standard_context_processors
 *         if _standard_context_processors is None:
 *             processors = []
 *             for path in settings.TEMPLATE_CONTEXT_PROCESSORS:
 *                 mod = __import__(module, {}, {}, [attr])       # slow
 *                 processors.append(getattr(mod, attr))
 *             _standard_context_processors = tuple(processors)
 *         return _standard_context_processors
 *
 * The wiki's verdict: incomplete init "OK", inefficiency "duplicated module
 * loading with __import__ possible". Template `libraries`, `builtins`,
 * `app_template_dirs` and `invalid_var_format_string` follow the same
 * pattern (or are set at import time). This scenario confirms the verdict
 * with numbers: `as-written` may import twice, never yields a partial tuple.
 * For contrast, `fill-in-place` is the wiki's BAD pattern:
 *
 *     foo = []
 *     def bar():
 *         if not foo:
 *             for x in y: foo.append(x)
 *
 * A trial is one fresh process and two concurrent requests (the actors),
 * each building a RequestContext, which runs every standard processor. */
#include "racelab.h"

#include <stdatomic.h>

enum { AS_WRITTEN, FILL_IN_PLACE };
enum { OK, DOUBLE_IMPORT, PARTIAL_PROCESSORS };
enum { AT_IMPORT };

/* settings.TEMPLATE_CONTEXT_PROCESSORS (Django 1.0): auth, debug, i18n, media */
#define PROCESSORS 4
#define ALL_PROCESSORS ((1 << PROCESSORS) - 1)
#define REQUESTS 2

/* A list (or tuple) of processors: the length only grows; slot value i+1 is
 * processor i, 0 an empty slot. Room for every request's appends: when two
 * requests fill the BAD list at once, Python's list holds both sets. */
#define CAPACITY (PROCESSORS * REQUESTS)
typedef struct {
    int n;
    int processor[CAPACITY];
} proc_list;

typedef struct {
    int context; /* bit i: processor i ran (user, debug, LANGUAGES, MEDIA_URL) */
    int loaded;  /* this request imported the processors */
} request_log;

typedef struct {
    _Atomic(proc_list *) standard; /* as-written: None is NULL */
    proc_list local[REQUESTS];     /* as-written: each loader's `processors` */
    proc_list foo;                 /* fill-in-place: the module-level list */
    request_log log[REQUESTS];
} module_state;

static void append_processor(proc_list *l, int i)
{
    RL_POINT(AT_IMPORT); /* __import__(module) */
    l->processor[l->n] = i + 1;
    l->n = l->n + 1;
}

/* As Django wrote it: a local list, then one assignment. The GIL made the
 * assignment a publication; in C it is a release store read with an acquire
 * load. Two first requests can both see None and both import every module:
 * double work, the last tuple wins, both are complete. */
static const proc_list *get_standard_processors(module_state *m, request_log *log)
{
    proc_list *t = atomic_load_explicit(&m->standard, memory_order_acquire);
    if (t == NULL) {
        proc_list *processors = &m->local[rl_self()];
        log->loaded = 1;
        for (int i = 0; i < PROCESSORS; i++)
            append_processor(processors, i);
        atomic_store_explicit(&m->standard, processors, memory_order_release);
        t = processors;
    }
    return t;
}

/* The wiki's BAD pattern, ported literally. */
static const proc_list *get_processors_in_place(module_state *m, request_log *log)
{
    /* RACE: T1 appended `auth` and is importing `debug`; T2 sees a non-empty
     * list and builds its context without debug, i18n and media. */
    if (m->foo.n == 0) {
        log->loaded = 1;
        for (int i = 0; i < PROCESSORS; i++)
            append_processor(&m->foo, i);
    }
    return &m->foo;
}

/* RequestContext(request): run every processor into the context. */
static void request_actor(void *state, int variant)
{
    module_state *m = state;
    request_log *log = &m->log[rl_self()];
    const proc_list *l =
        variant == AS_WRITTEN ? get_standard_processors(m, log) : get_processors_in_place(m, log);
    int n = l->n;
    if (n > CAPACITY)
        n = CAPACITY;
    for (int i = 0; i < n; i++)
        if (l->processor[i] > 0)
            log->context |= 1 << (l->processor[i] - 1);
}

/* A reader never sees a partial processor list; a second import is only
 * wasted work. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    module_state *m = state;
    int loads = 0;
    for (int a = 0; a < REQUESTS; a++) {
        if (m->log[a].context != ALL_PROCESSORS)
            return PARTIAL_PROCESSORS;
        loads += m->log[a].loaded;
    }
    return loads > 1 ? DOUBLE_IMPORT : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every context had every processor; modules imported once"},
    [DOUBLE_IMPORT] = {"double-import", RL_INTERESTING,
                       "both requests imported the processor modules (the wiki's harmless "
                       "inefficiency)"},
    [PARTIAL_PROCESSORS] = {"partial-processors", RL_FORBIDDEN,
                            "a request saw a partial processor list (its context lacks "
                            "user, debug, LANGUAGES or MEDIA_URL)"},
};

static const rl_variant variants[] = {
    [AS_WRITTEN] = {"as-written", RL_BENIGN, RL_CAUGHT_BY_ANY, NULL,
                    "Django: build a local list, assign the tuple whole (release/acquire)"},
    [FILL_IN_PLACE] = {"fill-in-place", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
                       "the wiki's BAD pattern: append to the global list when it is empty"},
};

static const rl_point points[] = {
    [AT_IMPORT] = {"context_processors/import", RL_DELAY_POINT,
                   "__import__ of one context processor's module"},
};

static const rl_scenario context_processors = {
    .name = "context_processors",
    .reference = "Django threading wiki (seeds/000, seeds/001): _standard_context_processors "
                 "and the globals marked OK",
    .summary = "processors built in a local and assigned whole: double import, never partial",
    .actors = REQUESTS,
    .state_size = sizeof(module_state),
    .actor = {request_actor, request_actor},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(context_processors)
