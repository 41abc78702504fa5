/* engine.c — the batched trial engine (jcstress's strides).
 *
 * Actor threads are created once per run. Each batch is an array of fresh
 * states; all actors are released together and each runs its role over
 * every state of the batch in order, so the actors meet on the same state
 * at about the same time. Two gate passes per batch:
 *
 *   run actor over states[0..b)  --gate A-->  grade + fini own share,
 *   init own share of the next batch  --gate B-->  next batch
 *
 * The last actor to reach gate A (the leader) counts the batch, checks the
 * budget and sizes the next batch: doubled while a batch takes under 1 ms,
 * halved above 20 ms. Grading and initialisation are split between actors,
 * so no thread sits idle and the main thread is only a watchdog. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define BATCH_CAP 4096
#define STATE_BYTES_CAP (64u << 20)

typedef struct {
    rl_run run;
    rl_gate gate;
    unsigned char *states;
    size_t stride;
    int capacity;
    /* Written by the leader between gates, read by all after the gate. */
    int batch;
    int next_batch;
    int stop;
    unsigned long long batch_first; /* trial index of states[0] */
    double batch_started;
    double batch_ended;
} engine;

typedef struct {
    engine *e;
    int actor;
} actor_arg;

static void *state_at(engine *e, int i) { return e->states + (size_t)i * e->stride; }

/* State i belongs to actor (i / OWNER_BLOCK) % actors for grading, fini and
 * the next init alike. Ownership must not depend on the batch size: with
 * different splits for the old and the new batch, one actor would re-init a
 * state that another is still grading. */
#define OWNER_BLOCK 64

/* The next block [*lo, *hi) of the first n states that `actor` owns, after
 * the one starting at *lo (start with *lo = -1); 0 when there is none. */
static int next_owned_block(const engine *e, int actor, int n, int *lo, int *hi)
{
    *lo = *lo < 0 ? actor * OWNER_BLOCK : *lo + OWNER_BLOCK * e->run.sc->actors;
    if (*lo >= n)
        return 0;
    *hi = *lo + OWNER_BLOCK < n ? *lo + OWNER_BLOCK : n;
    return 1;
}

static void init_share(engine *e, int actor, int n)
{
    const rl_scenario *sc = e->run.sc;
    for (int lo = -1, hi; next_owned_block(e, actor, n, &lo, &hi);) {
        memset(state_at(e, lo), 0, (size_t)(hi - lo) * e->stride);
        if (sc->init != NULL)
            for (int i = lo; i < hi; i++)
                sc->init(state_at(e, i), e->run.cfg->variant);
    }
}

static void grade_share(engine *e, int actor, int n)
{
    const rl_scenario *sc = e->run.sc;
    rl_tally *t = &e->run.tally[actor];
    double seconds = e->batch_ended - e->run.start;
    for (int lo = -1, hi; next_owned_block(e, actor, n, &lo, &hi);) {
        for (int i = lo; i < hi; i++) {
            void *s = state_at(e, i);
            rl_grade_trial(&e->run, t, s, (long long)(e->batch_first + (unsigned long long)i),
                           seconds);
            if (sc->fini != NULL)
                sc->fini(s, e->run.cfg->variant);
        }
    }
}

static int next_batch_size(engine *e, double took)
{
    const rl_config *cfg = e->run.cfg;
    int b = e->batch;
    if (cfg->batch > 0)
        b = cfg->batch;
    else if (took < 1e-3 && b < e->capacity)
        b *= 2;
    else if (took > 20e-3 && b > 1)
        b /= 2;
    if (b > e->capacity)
        b = e->capacity;
    if (cfg->trials > 0) {
        unsigned long long left = cfg->trials - e->run.trials_graded;
        if ((unsigned long long)b > left)
            b = (int)left;
    }
    return b;
}

/* Gate A leader: the batch has run. */
static void after_run(void *p)
{
    engine *e = p;
    e->batch_ended = rl_now();
    e->run.trials_graded += (unsigned long long)e->batch;
    if (e->batch > e->run.batch_max)
        e->run.batch_max = e->batch;
    e->stop = rl_budget_spent(&e->run, e->run.trials_graded);
    e->next_batch = e->stop ? 0 : next_batch_size(e, e->batch_ended - e->batch_started);
    if (e->next_batch == 0)
        e->stop = 1;
}

/* Gate B leader: the next batch is initialised. */
static void before_run(void *p)
{
    engine *e = p;
    e->batch_first = e->run.trials_graded;
    e->batch = e->next_batch;
    e->batch_started = rl_now();
    /* Every actor has graded its share: publish the tallies to the watchdog
     * (release pairs with its acquire of `progress`). */
    rl_run_publish(&e->run);
    if (e->stop)
        rl_run_finish(&e->run);
}

static void *actor_main(void *p)
{
    actor_arg *arg = p;
    engine *e = arg->e;
    int self = arg->actor;
    const rl_scenario *sc = e->run.sc;
    rl_state_fn role = sc->actor[self];
    int variant = e->run.cfg->variant;
    _Atomic long long *position = &e->run.position[self].trial;

    rl_context_enter(self, rl_thread_seed(e->run.cfg->seed, self));
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* short sleeps stay short */

    init_share(e, self, e->batch);
    rl_gate_pass(&e->gate, before_run, e);
    while (!e->stop) {
        long long first = (long long)e->batch_first;
        int n = e->batch;
        for (int i = 0; i < n; i++) {
            atomic_store_explicit(position, first + i, memory_order_relaxed);
            rl_context_set_trial(first + i);
            role(state_at(e, i), variant);
        }
        atomic_store_explicit(position, -1, memory_order_relaxed);
        rl_context_set_trial(-1);
        rl_gate_pass(&e->gate, after_run, e);
        grade_share(e, self, n);
        if (!e->stop)
            init_share(e, self, e->next_batch);
        rl_gate_pass(&e->gate, before_run, e);
    }
    return NULL;
}

static uint32_t spin_budget(int actors)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* More actors than cores: a spinning waiter would steal the core that
     * the last actor needs to finish, so block almost at once. */
    return actors > cores ? 64 : 20000;
}

int rl_run_batched(const rl_scenario *sc, const rl_config *cfg, rl_result *out)
{
    engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return -1;
    e->stride = (sc->state_size + 15) & ~(size_t)15;
    if (e->stride == 0)
        e->stride = 16;
    e->capacity = sc->max_batch > 0 ? sc->max_batch : BATCH_CAP;
    if (cfg->batch > 0 && cfg->batch < e->capacity)
        e->capacity = cfg->batch;
    if ((size_t)e->capacity * e->stride > STATE_BYTES_CAP)
        e->capacity = (int)(STATE_BYTES_CAP / e->stride);
    if (e->capacity < 1)
        e->capacity = 1;
    /* aligned_alloc wants a size that is a multiple of the alignment */
    e->states = aligned_alloc(64, ((size_t)e->capacity * e->stride + 63) & ~(size_t)63);
    if (e->states == NULL) {
        free(e);
        return -1;
    }
    rl_run_begin(&e->run, sc, cfg);
    rl_gate_init(&e->gate, (uint32_t)sc->actors, spin_budget(sc->actors));
    e->batch = cfg->batch > 0 ? e->capacity : 1;
    if (cfg->trials > 0 && (unsigned long long)e->batch > cfg->trials)
        e->batch = (int)cfg->trials;
    e->next_batch = e->batch;
    e->stop = e->batch == 0;

    pthread_t threads[RL_MAX_ACTORS];
    actor_arg args[RL_MAX_ACTORS];
    for (int a = 0; a < sc->actors; a++) {
        args[a].e = e;
        args[a].actor = a;
        if (pthread_create(&threads[a], NULL, actor_main, &args[a]) != 0) {
            fprintf(stderr, "racelab: cannot create actor thread %d\n", a);
            exit(3);
        }
    }
    rl_watch(&e->run, out);
    for (int a = 0; a < sc->actors; a++)
        pthread_join(threads[a], NULL);
    rl_run_collect(&e->run, out, 0);
    free(e->states);
    free(e);
    return 0;
}
