/* engine_naive.c — the baseline a user writes by hand: for every trial,
 * create the actor threads, join them, grade. Same scenario code, same
 * grading and watchdog as the batched engine; only the way trials are driven
 * differs, so `scripts/bench` can put the two side by side. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    rl_run *run;
    void *state;
    int actor;
} naive_actor;

static void *naive_actor_main(void *p)
{
    naive_actor *a = p;
    rl_context_enter(a->actor, rl_thread_seed(a->run->cfg->seed, a->actor));
    rl_context_set_trial((long long)a->run->trials_graded);
    a->run->sc->actor[a->actor](a->state, a->run->cfg->variant);
    return NULL;
}

static void *naive_loop(void *p)
{
    rl_run *run = p;
    const rl_scenario *sc = run->sc;
    int variant = run->cfg->variant;
    void *state = aligned_alloc(64, (sc->state_size + 63) & ~(size_t)63);
    if (state == NULL)
        abort();
    run->batch_max = 1;
    while (!rl_budget_spent(run, run->trials_graded)) {
        memset(state, 0, sc->state_size);
        if (sc->init != NULL)
            sc->init(state, variant);
        pthread_t threads[RL_MAX_ACTORS];
        naive_actor args[RL_MAX_ACTORS];
        for (int a = 0; a < sc->actors; a++) {
            args[a] = (naive_actor){.run = run, .state = state, .actor = a};
            atomic_store_explicit(&run->position[a].trial, (long long)run->trials_graded,
                                  memory_order_relaxed);
            if (pthread_create(&threads[a], NULL, naive_actor_main, &args[a]) != 0)
                abort();
        }
        for (int a = 0; a < sc->actors; a++)
            pthread_join(threads[a], NULL);
        rl_grade_trial(run, &run->tally[0], state, (long long)run->trials_graded,
                       rl_now() - run->start);
        if (sc->fini != NULL)
            sc->fini(state, variant);
        run->trials_graded++;
        rl_run_publish(run);
    }
    free(state);
    rl_run_finish(run);
    return NULL;
}

int rl_run_naive(const rl_scenario *sc, const rl_config *cfg, rl_result *out)
{
    rl_run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return -1;
    rl_run_begin(run, sc, cfg);
    pthread_t loop;
    if (pthread_create(&loop, NULL, naive_loop, run) != 0) {
        free(run);
        return -1;
    }
    rl_watch(run, out);
    pthread_join(loop, NULL);
    rl_run_collect(run, out, 0);
    free(run);
    return 0;
}
