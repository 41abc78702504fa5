/* serializers — the `_serializers` registry; Django #7676 (2008-08).
 * Listed among the unreviewed global dicts of the wiki's threading page
 * (seeds/001: django/core/serializers/__init__.py:_serializers = {}).
 *
 * The registry of serialization formats is filled on first use, in place:
 *
 *     _serializers = {}
 *     def register_serializer(format, serializer_module):
 *         module = __import__(serializer_module, {}, {}, [''])  # slow
 *         _serializers[format] = module
 *
 *     def get_serializer(format):
 *         if not _serializers:
 *             _load_serializers()     # registers each built-in, one by one
 *         return _serializers[format].Serializer
 *
 * T1 has registered "xml" and is importing the next module; T2 sees a
 * non-empty dict, skips the load and asks for "json": KeyError. The fix
 * (#7676) registers into a local dict and assigns `_serializers` once it is
 * complete.
 *
 * A trial is one fresh process (an empty registry) and two concurrent
 * requests (the actors), each serializing a queryset to JSON. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, FIXED };
enum { OK, DOUBLE_LOAD, KEY_ERROR };
enum { AT_IMPORT };

/* BUILTIN_SERIALIZERS in the order the dict yields them, PyYAML installed */
enum { XML, PYTHON, JSON, YAML, FORMATS };
#define REQUESTS 2

/* A dict keyed by format: _serializers[fmt] = module stores the module (its
 * index + 1; 0 is absent) and counts a new key in `used` (len). Each
 * operation was atomic under the GIL and nothing here can tear in C. */
typedef struct {
    int used;
    int module[FORMATS];
} registry;

typedef struct {
    int key_error; /* _serializers["json"] raised KeyError */
    int loaded;    /* this request ran _load_serializers */
} request_log;

typedef struct {
    registry serializers;                /* racy: the module global, filled in place */
    _Atomic(registry *) serializers_pub; /* fixed: NULL is the empty dict */
    registry local[REQUESTS];            /* fixed: each loader's local dict */
    request_log log[REQUESTS];
} module_state;

static void register_serializer(registry *d, int format)
{
    RL_POINT(AT_IMPORT); /* __import__(serializer_module) */
    if (d->module[format] == 0)
        d->used = d->used + 1;
    d->module[format] = format + 1;
}

static void load_serializers(registry *d)
{
    for (int f = 0; f < FORMATS; f++)
        register_serializer(d, f);
}

/* Django before #7676. */
static const registry *serializers_racy(module_state *m, request_log *log)
{
    /* RACE: T1 has registered "xml" and is importing "python"; T2 sees a
     * non-empty dict here and returns it without "json". */
    if (m->serializers.used == 0) {
        log->loaded = 1;
        load_serializers(&m->serializers);
    }
    return &m->serializers;
}

/* #7676: fill a local dict, then `_serializers = serializers` — in C a
 * release store, read with an acquire load. Two first requests may both load
 * (each module imported twice): harmless, the last assignment wins. */
static const registry *serializers_fixed(module_state *m, request_log *log)
{
    registry *d = atomic_load_explicit(&m->serializers_pub, memory_order_acquire);
    if (d == NULL || d->used == 0) {
        registry *local = &m->local[rl_self()];
        log->loaded = 1;
        load_serializers(local);
        atomic_store_explicit(&m->serializers_pub, local, memory_order_release);
        d = local;
    }
    return d;
}

/* A request: serializers.serialize("json", queryset) → get_serializer("json"). */
static void request_actor(void *state, int variant)
{
    module_state *m = state;
    request_log *log = &m->log[rl_self()];
    const registry *d = variant == RACY ? serializers_racy(m, log) : serializers_fixed(m, log);
    if (d->module[JSON] != JSON + 1)
        log->key_error = 1; /* KeyError: 'json' */
}

/* No built-in format is ever missing. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    module_state *m = state;
    int loads = 0;
    for (int a = 0; a < REQUESTS; a++) {
        if (m->log[a].key_error)
            return KEY_ERROR;
        loads += m->log[a].loaded;
    }
    return loads > 1 ? DOUBLE_LOAD : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every request found its serializer; one load"},
    [DOUBLE_LOAD] = {"double-load", RL_INTERESTING,
                     "both requests loaded the registry (each module imported twice)"},
    [KEY_ERROR] = {"key-error", RL_FORBIDDEN,
                   "get_serializer('json') raised KeyError: a built-in format was missing"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "register each built-in into the global dict when it is empty"},
    [FIXED] = {"fixed", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
               "#7676: fill a local dict, then assign it (release/acquire)"},
};

static const rl_point points[] = {
    [AT_IMPORT] = {"serializers/import", RL_DELAY_POINT,
                   "__import__ of one serializer module while the registry is being filled"},
};

static const rl_scenario serializers = {
    .name = "serializers",
    .reference = "Django threading wiki (seeds/001): _serializers; Django #7676",
    .summary = "the serializer registry is filled in place on first use",
    .actors = REQUESTS,
    .state_size = sizeof(module_state),
    .actor = {request_actor, request_actor},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(serializers)
