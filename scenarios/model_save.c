/* model_save — `obj.counter += 1; obj.save()` from several threads, and
 * which lock fixes it (Threading improvements in Django, seeds/000 and
 * seeds/001: "Class-level locks seem appropriate for models"; "All
 * functions that have .alters_data = True should be wrapped with a locked
 * block").
 *
 * The component, as every Django view of the time wrote it:
 *
 *     def hit(request, pk):
 *         obj = Counter.objects.get(pk=pk)      # SELECT counter ... (slow)
 *         obj.counter += 1                      # in Python
 *         obj.save()                            # UPDATE ... SET counter = 6
 *
 * Two requests on one row both read 5 and both write 6: a lost update. The
 * wiki wraps every alters_data method in a class-level lock (one lock for
 * all instances of the model); an instance-level lock is the finer
 * alternative -- one lock per row, keyed by primary key: every request
 * loads its own Python object, so a lock stored on the object itself would
 * serialise nothing; the database-side update
 * `Counter.objects.filter(pk=pk).update(counter=F('counter') + 1)` needs
 * no lock at all. All three hold; this scenario is the showcase for
 * comparing what they cost as the number of instances grows
 * (scripts/bench-model-save).
 *
 * Knobs (--param): instances=N rows the requests spread over (1..64,
 * default 1: every request hits one row); updates=N increments each
 * request does per trial (1..1024, default 8). A trial does
 * ACTORS * updates increments; request a's k-th update goes to row
 * (a * instances / ACTORS + k) % instances, so with many instances the two
 * requests mostly work on different rows, as different users do. */
#include "racelab.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { RACY, CLASS_LOCK, INSTANCE_LOCK, ATOMIC_UPDATE };
enum { OK, OK_WITH_ERRORS, LOST_UPDATE };
enum { AT_SELECT, AT_SAVE };
#define ACTORS 2
#define MAX_INSTANCES 64
#define MAX_UPDATES 1024

/* One row of the counter table, with the lock of its model instance. A
 * row fills a cache line, so two rows never share one. */
typedef struct {
    _Alignas(64) union {
        int value;          /* racy and locked variants: plain SELECT/UPDATE */
        _Atomic int atomic; /* atomic-update: the database applies F() + 1 */
    } counter;
    rl_mutex lock; /* instance-lock: this instance's lock, keyed by pk */
} row;

typedef struct {
    row rows[MAX_INSTANCES]; /* the table; only rows[0..instances) used */
    rl_mutex class_lock;     /* class-lock: Counter._lock, one for all rows */
    int instances;
    int updates;
    int saved[ACTORS]; /* increments each request saw committed */
} table;

/* ---- the component ------------------------------------------------------ */

/* The literal port: get(), += 1, save(). Returns 1 when the save
 * committed, 0 when it raised DatabaseError (nothing written). */
static int increment(row *r)
{
    int counter = r->counter.value; /* obj = Counter.objects.get(pk=pk) */
    RL_POINT(AT_SELECT);            /* the SELECT's round trip */
    counter += 1;                   /* obj.counter += 1 */
    if (RL_FAULT(AT_SAVE))
        return 0; /* DatabaseError: the request fails, the row is untouched */
    /* RACE: T1 reads 5 and waits on the database; T2 reads 5 too; T1
     * writes 6; T2 writes 6. Two increments, one committed. */
    r->counter.value = counter; /* obj.save(): UPDATE ... SET counter = 6 */
    return 1;
}

/* The wiki's fix: every alters_data method runs under the model's
 * class-level lock (`locked()` with try/finally: released on error too). */
static int increment_class_lock(table *t, row *r)
{
    rl_mutex_lock(&t->class_lock);
    int ok = increment(r);
    rl_mutex_unlock(&t->class_lock);
    return ok;
}

/* The finer lock: one per instance, so requests on different rows never
 * wait for each other. */
static int increment_instance_lock(row *r)
{
    rl_mutex_lock(&r->lock);
    int ok = increment(r);
    rl_mutex_unlock(&r->lock);
    return ok;
}

/* UPDATE counter SET counter = counter + 1: the database does the
 * read-modify-write itself, one statement, no lock in Python. */
static int increment_atomic_update(row *r)
{
    if (RL_FAULT(AT_SAVE))
        return 0;
    atomic_fetch_add_explicit(&r->counter.atomic, 1, memory_order_acq_rel);
    return 1;
}

/* ---- the trial ---------------------------------------------------------- */

/* One request thread doing `updates` hits in a row. */
static void request(void *state, int variant)
{
    table *t = state;
    int self = rl_self();
    int first = self * t->instances / ACTORS;
    int saved = 0;
    for (int k = 0; k < t->updates; k++) {
        row *r = &t->rows[(first + k) % t->instances];
        switch (variant) {
        case RACY: saved += increment(r); break;
        case CLASS_LOCK: saved += increment_class_lock(t, r); break;
        case INSTANCE_LOCK: saved += increment_instance_lock(r); break;
        default: saved += increment_atomic_update(r); break;
        }
    }
    t->saved[self] = saved;
}

static void init(void *state, int variant)
{
    table *t = state;
    t->instances = (int)rl_param("instances");
    t->updates = (int)rl_param("updates");
    if (variant == CLASS_LOCK) {
        rl_mutex_init(&t->class_lock);
        rl_mutex_name(&t->class_lock, "Counter class lock");
    } else if (variant == INSTANCE_LOCK) {
        for (int i = 0; i < t->instances; i++) {
            rl_mutex_init(&t->rows[i].lock);
            rl_mutex_name(&t->rows[i].lock, "Counter instance lock");
        }
    }
}

static void fini(void *state, int variant)
{
    table *t = state;
    if (variant == CLASS_LOCK)
        rl_mutex_destroy(&t->class_lock);
    else if (variant == INSTANCE_LOCK)
        for (int i = 0; i < t->instances; i++)
            rl_mutex_destroy(&t->rows[i].lock);
}

/* The counters must add up to the increments that committed. */
static int arbiter(void *state, int variant)
{
    table *t = state;
    long total = 0;
    for (int i = 0; i < t->instances; i++)
        total += variant == ATOMIC_UPDATE ? atomic_load(&t->rows[i].counter.atomic)
                                          : t->rows[i].counter.value;
    long saved = 0;
    for (int a = 0; a < ACTORS; a++)
        saved += t->saved[a];
    if (total != saved)
        return LOST_UPDATE;
    return saved == (long)ACTORS * t->updates ? OK : OK_WITH_ERRORS;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every increment committed and the counters add up"},
    [OK_WITH_ERRORS] = {"ok-with-errors", RL_ACCEPTABLE,
                        "some saves raised DatabaseError (injected); the counters equal the "
                        "increments that committed"},
    [LOST_UPDATE] = {"lost-update", RL_FORBIDDEN,
                     "two requests read the same counter and both saved value+1: the counters "
                     "are short of the committed increments"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "obj.counter += 1; obj.save(): SELECT, add, UPDATE with no lock"},
    [CLASS_LOCK] = {"class-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                    "the wiki's fix: alters_data methods under one lock per model class"},
    [INSTANCE_LOCK] = {"instance-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                       "one lock per model instance: requests on different rows never wait"},
    [ATOMIC_UPDATE] = {"atomic-update", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                       "update(counter=F('counter') + 1): the database adds, no lock"},
};

static const rl_param_spec params[] = {
    {"instances", 1, 1, MAX_INSTANCES, "model instances (rows) the requests update"},
    {"updates", 8, 1, MAX_UPDATES, "obj.counter += 1; obj.save() per request"},
};

static const rl_point points[] = {
    [AT_SELECT] = {"model_save/select", RL_DELAY_POINT,
                   "the SELECT's round trip, between reading the counter and saving it"},
    [AT_SAVE] = {"model_save/save", RL_FAULT_POINT,
                 "the UPDATE: fails with DatabaseError when injected (nothing written)"},
};

/* atomic-update sends UPDATE ... SET counter = counter + 1: no SELECT first. */
static const rl_point_reach reach[] = {
    {AT_SELECT, "racy,class-lock,instance-lock"},
};

static const rl_scenario model_save = {
    .name = "model_save",
    .reference = "Threading improvements in Django (seeds/000, seeds/001): class-level locks "
                 "for models, alters_data methods wrapped in locked()",
    .summary = "concurrent obj.counter += 1; obj.save() lose updates; class, instance and "
               "database-side fixes compared",
    .actors = ACTORS,
    .state_size = sizeof(table),
    .init = init,
    .fini = fini,
    .actor = {request, request},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_REACH(reach),
    RL_PARAMS(params),
};

RL_SCENARIO(model_save)
