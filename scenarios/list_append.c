/* list_append — "a list modified by several threads without locking
 * behaves erratically" (Threading in Django, seeds/004).
 *
 * The smallest race there is, and racelab's calibration scenario: two
 * actors append to one shared list. Python's list.append was one atomic
 * operation under the GIL; a literal C port reads the length, stores into
 * that slot, then stores the new length: two appends can take one slot. */
#include "racelab.h"

#include <stdatomic.h>

enum { RACY, LOCKED, ATOMIC };
enum { OK, LOST_APPEND };
enum { AT_BETWEEN };
#define APPENDERS 2

typedef struct {
    int len;
    _Atomic int atomic_len; /* the `atomic` variant's slot reservation */
    int items[APPENDERS];
    rl_mutex lock;
} shared_list;

static void append_racy(shared_list *l, int item)
{
    /* RACE: both actors read the same length here, both store into that
     * slot, both store len+1: one append is lost. */
    int n = l->len;
    RL_POINT(AT_BETWEEN);
    l->items[n] = item;
    l->len = n + 1;
}

static void append_locked(shared_list *l, int item)
{
    rl_mutex_lock(&l->lock);
    int n = l->len;
    RL_POINT(AT_BETWEEN);
    l->items[n] = item;
    l->len = n + 1;
    rl_mutex_unlock(&l->lock);
}

static void append_atomic(shared_list *l, int item)
{
    /* fetch-add hands every appender its own slot */
    int n = atomic_fetch_add_explicit(&l->atomic_len, 1, memory_order_relaxed);
    RL_POINT(AT_BETWEEN);
    l->items[n] = item;
}

static void appender(void *state, int variant)
{
    shared_list *l = state;
    int item = rl_self() + 1;
    if (variant == RACY)
        append_racy(l, item);
    else if (variant == LOCKED)
        append_locked(l, item);
    else
        append_atomic(l, item);
}

static void init(void *state, int variant)
{
    if (variant == LOCKED)
        rl_mutex_init(&((shared_list *)state)->lock);
}

static void fini(void *state, int variant)
{
    if (variant == LOCKED)
        rl_mutex_destroy(&((shared_list *)state)->lock);
}

/* Every item present exactly once. Slots are zero-initialised and items
 * are 1..APPENDERS, so a lost append leaves a hole or a duplicate. */
static int arbiter(void *state, int variant)
{
    shared_list *l = state;
    int len = variant == ATOMIC ? atomic_load(&l->atomic_len) : l->len;
    if (len != APPENDERS)
        return LOST_APPEND;
    int seen = 0;
    for (int i = 0; i < APPENDERS; i++)
        seen |= 1 << l->items[i];
    return seen == ((1 << (APPENDERS + 1)) - 2) ? OK : LOST_APPEND;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "the list holds every appended item once"},
    [LOST_APPEND] = {"lost-append", RL_FORBIDDEN, "two appends took one slot"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL,
              "read length, store slot, store length"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "the append under a mutex"},
    [ATOMIC] = {"atomic", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                "slot reserved with an atomic fetch-add"},
};

static const rl_point points[] = {
    [AT_BETWEEN] = {"list_append/between", RL_DELAY_POINT,
                    "between reading the length and storing the item"},
};

static const rl_scenario list_append = {
    .name = "list_append",
    .reference = "Threading in Django (seeds/004): lists modified by several threads",
    .summary = "two threads append to one list without a lock",
    .actors = APPENDERS,
    .state_size = sizeof(shared_list),
    .init = init,
    .fini = fini,
    .actor = {appender, appender},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(list_append)
