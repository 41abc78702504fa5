/* default_misses.c — the races a default `racelab run` (1 s of plain stress)
 * used to miss or pass (issue 12): a reference count decremented with a
 * re-read, a config struct overwritten in place while a reader copies it,
 * and a two-lock "fix" whose writer releases A before taking B. Not a scenario
 * of the suite: tests/test_defaults.py builds it and runs the default. Each
 * racy step has an RL_POINT, as a scenario port of such code would. */
#include "racelab.h"

enum { REFCOUNT, CONFIG, TWO_LOCK_BROKEN, TWO_LOCK };
enum { OK, DOUBLE_RELEASE, TORN };
enum { AT_DECREMENT, AT_REREAD, AT_FIELD, AT_BETWEEN_LOCKS };

typedef struct {
    int refs, released;
    struct {
        int version, port, workers, timeout;
    } config;
    int x, y; /* x under lock a, y under lock b; a writer sets both */
    int seen_x, seen_y;
    rl_mutex a, b;
} shared;

/* RACE: both actors store refs-1 from the same read, then both re-read
 * refs as 0 (or one reads 1 after the other's store): released twice. */
static void release(shared *s)
{
    int refs = s->refs;
    RL_POINT(AT_DECREMENT);
    s->refs = refs - 1;
    RL_POINT(AT_REREAD);
    if (s->refs == 0)
        s->released++;
}

/* RACE: the writer's field stores interleave with the reader's loads: the
 * reader sees the new version with the old port (a torn config). */
static void overwrite_config(shared *s)
{
    s->config.version = 2;
    RL_POINT(AT_FIELD);
    s->config.port = 2;
    s->config.workers = 2;
    s->config.timeout = 2;
}

static void read_config(shared *s)
{
    s->seen_x = s->config.version;
    RL_POINT(AT_FIELD);
    s->seen_y = s->config.timeout;
}

/* The broken fix: between unlock(a) and lock(b) a reader holding both sees
 * x new and y old. The fix holds a across taking b. */
static void write_pair(shared *s, int hold_a)
{
    rl_mutex_lock(&s->a);
    s->x = 1;
    if (!hold_a) {
        rl_mutex_unlock(&s->a); /* RACE: the window before b is taken */
        RL_POINT(AT_BETWEEN_LOCKS);
    }
    rl_mutex_lock(&s->b);
    s->y = 1;
    rl_mutex_unlock(&s->b);
    if (hold_a)
        rl_mutex_unlock(&s->a);
}

static void read_pair(shared *s)
{
    rl_mutex_lock(&s->a);
    rl_mutex_lock(&s->b);
    s->seen_x = s->x;
    s->seen_y = s->y;
    rl_mutex_unlock(&s->b);
    rl_mutex_unlock(&s->a);
}

static void writer(void *state, int variant)
{
    shared *s = state;
    switch (variant) {
    case REFCOUNT: release(s); break;
    case CONFIG: overwrite_config(s); break;
    default: write_pair(s, variant == TWO_LOCK); break;
    }
}

static void reader(void *state, int variant)
{
    shared *s = state;
    switch (variant) {
    case REFCOUNT: release(s); break;
    case CONFIG: read_config(s); break;
    default: read_pair(s); break;
    }
}

static void init(void *state, int variant)
{
    shared *s = state;
    (void)variant;
    s->refs = 2;
    s->config.version = s->config.port = s->config.workers = s->config.timeout = 1;
    rl_mutex_init(&s->a);
    rl_mutex_name(&s->a, "a");
    rl_mutex_init(&s->b);
    rl_mutex_name(&s->b, "b");
}

static void fini(void *state, int variant)
{
    shared *s = state;
    (void)variant;
    rl_mutex_destroy(&s->a);
    rl_mutex_destroy(&s->b);
}

static int arbiter(void *state, int variant)
{
    shared *s = state;
    if (variant == REFCOUNT)
        return s->released == 1 ? OK : DOUBLE_RELEASE; /* 0: leaked, 2: double release */
    if (variant == CONFIG || variant == TWO_LOCK_BROKEN || variant == TWO_LOCK)
        return s->seen_x == s->seen_y || (variant != CONFIG && s->seen_x < s->seen_y) ? OK : TORN;
    return OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "released once; the reader saw one whole config or pair"},
    [DOUBLE_RELEASE] = {"double-release", RL_FORBIDDEN, "released twice, or never"},
    [TORN] = {"torn", RL_FORBIDDEN, "the reader saw fields from two different writes"},
};

static const rl_variant variants[] = {
    [REFCOUNT] = {"refcount", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL, "decrement, then re-read"},
    [CONFIG] = {"config", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL, "config overwritten in place"},
    /* declared holds on purpose: the harness must show that it does not */
    [TWO_LOCK_BROKEN] = {"two-lock-broken", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                         "a fix that releases a before taking b"},
    [TWO_LOCK] = {"two-lock", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "a held across taking b"},
};

static const rl_point points[] = {
    [AT_DECREMENT] = {"default_misses/decrement", RL_DELAY_POINT,
                      "between reading refs and storing refs-1"},
    [AT_REREAD] = {"default_misses/reread", RL_DELAY_POINT, "between the store and the re-read"},
    [AT_FIELD] = {"default_misses/field", RL_DELAY_POINT, "between two fields of the config"},
    [AT_BETWEEN_LOCKS] = {"default_misses/between_locks", RL_DELAY_POINT,
                          "after unlock(a), before lock(b)"},
};

static const rl_scenario default_misses = {
    .name = "default_misses",
    .reference = "issue 12: races the old default missed",
    .summary = "refcount re-read, config overwrite, a broken two-lock fix",
    .actors = 2,
    .state_size = sizeof(shared),
    .init = init,
    .fini = fini,
    .actor = {writer, reader},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(default_misses)
