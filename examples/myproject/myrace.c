/* myrace — a scenario in a project of your own: a hit counter that two
 * request threads bump without a lock, and its locked fix.
 *
 * Built against an installed racelab (see the Makefile):
 *   cc -O2 -g myrace.c $(pkg-config --cflags --libs racelab) -o build/plain/myrace
 * and run with `racelab run --build build`. */
#include <racelab.h>

enum { RACY, LOCKED }; /* variants */
enum { OK, LOST_HIT }; /* outcomes */
enum { AT_READ };      /* points */

typedef struct {
    int hits;
    rl_mutex lock;
} counter;

static void init(void *state, int variant)
{
    (void)variant;
    rl_mutex_init(&((counter *)state)->lock);
}

static void fini(void *state, int variant)
{
    (void)variant;
    rl_mutex_destroy(&((counter *)state)->lock);
}

static void request(void *state, int variant)
{
    counter *c = state;
    if (variant == LOCKED)
        rl_mutex_lock(&c->lock);
    /* RACE (racy): both requests read the same count here, both store
     * count+1: one hit is lost. */
    int seen = c->hits;
    RL_POINT(AT_READ);
    c->hits = seen + 1;
    if (variant == LOCKED)
        rl_mutex_unlock(&c->lock);
}

static int arbiter(void *state, int variant)
{
    (void)variant;
    return ((counter *)state)->hits == 2 ? OK : LOST_HIT;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "both hits counted"},
    [LOST_HIT] = {"lost-hit", RL_FORBIDDEN, "two requests stored the same count"},
};

static const rl_variant variants[] = {
    /* name, expectation, caught_by, the inject spec it needs (or NULL), summary */
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL, "read the count, store count+1"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "the same under a mutex"},
};

static const rl_point points[] = {
    [AT_READ] = {"myrace/read", RL_DELAY_POINT, "between reading the count and storing it"},
};

static const rl_scenario myrace = {
    .name = "myrace",
    .reference = "examples/myproject: a scenario outside racelab's tree",
    .summary = "two requests bump one hit counter",
    .actors = 2,
    .state_size = sizeof(counter),
    .init = init,
    .fini = fini,
    .actor = {request, request},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(myrace)
