/* engine_sched.c — trials under the controlled scheduler (--mode sched).
 *
 * Trials run one at a time; the actors of a trial run one at a time too,
 * as the strategy decides (injectors/sched.c). A deadlock is found at once
 * and the run goes on; each failing trial's schedule is kept, --replay
 * forces one schedule on every trial, and --shrink looks for a failing
 * schedule with the fewest preemptions: a bounded depth-first search with
 * 0, 1, 2… preemptions, up to the failing schedule's own count, whose first
 * failure is minimal once every smaller bound was exhausted. */
#include "../../injectors/sched/sched.h"
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#define SHRINK_BUDGET 200000 /* schedules per preemption bound */

typedef struct {
    rl_run run;
    void *state;
    size_t state_size;
    _Atomic uint32_t generation; /* bumped to start a trial */
    _Atomic int stop;
    int replay[RL_SCHED_MAX_STEPS];
    int nreplay;
    long long trial;
    rl_sched_result result; /* written by the controller thread */
} sched_engine;

typedef struct {
    sched_engine *e;
    int actor;
} sched_actor;

enum { TRIAL_HUNG = -1, TRIAL_DIVERGED = -2 };

/* One trial of one actor. A deadlock longjmps back here (the setjmp lives
 * in its own frame so that no caller's locals are clobbered). */
static void play_role(sched_engine *e, int actor)
{
    jmp_buf abort_to;
    if (setjmp(abort_to) == 0) {
        rl_sched_actor_start(actor, &abort_to);
        e->run.sc->actor[actor](e->state, e->run.cfg->variant);
        rl_sched_thread_done();
    }
}

static void *actor_loop(void *p)
{
    sched_actor *a = p;
    sched_engine *e = a->e;
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen;
        while ((gen = atomic_load_explicit(&e->generation, memory_order_acquire)) == seen)
            rl_futex_wait(&e->generation, seen, 0);
        seen = gen;
        if (atomic_load_explicit(&e->stop, memory_order_acquire))
            break;
        /* re-seeded per trial: a replayed trial makes the same fault decisions */
        rl_context_enter(a->actor, rl_thread_seed(e->run.cfg->seed, a->actor));
        play_role(e, a->actor);
    }
    return NULL;
}

static void release_actors(sched_engine *e)
{
    atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
    rl_futex_wake_all(&e->generation);
}

/* One trial; returns its outcome index, TRIAL_HUNG or TRIAL_DIVERGED. */
static int run_trial(sched_engine *e, int tracing, rl_sched_trial *tr)
{
    const rl_scenario *sc = e->run.sc;
    int variant = e->run.cfg->variant;
    memset(e->state, 0, e->state_size);
    if (sc->init != NULL)
        sc->init(e->state, variant);
    if (e->nreplay > 0)
        rl_sched_force(e->replay, e->nreplay);
    rl_sched_begin_trial(e->state, e->state_size, e->trial, tracing);
    release_actors(e);
    rl_sched_end_trial(tr);
    int outcome = tr->diverged                     ? TRIAL_DIVERGED
                  : tr->deadlock || tr->step_limit ? TRIAL_HUNG
                                                   : sc->arbiter(e->state, variant);
    if (sc->fini != NULL)
        sc->fini(e->state, variant);
    if (outcome >= sc->n_outcomes) {
        fprintf(stderr, "racelab: %s arbiter returned outcome %d\n", sc->name, outcome);
        abort();
    }
    return outcome;
}

static int is_failure(const rl_scenario *sc, int outcome)
{
    return outcome == TRIAL_HUNG || (outcome >= 0 && sc->outcomes[outcome].grade == RL_FORBIDDEN);
}

static const char *cause_of(const rl_scenario *sc, int outcome, const rl_sched_trial *tr)
{
    if (outcome == TRIAL_HUNG)
        return tr->step_limit ? "livelock" : RL_DEADLOCK_OUTCOME;
    return sc->outcomes[outcome].name;
}

static void keep_schedule(char *buf, size_t len)
{
    const int *choices = NULL;
    int n = rl_sched_choices(&choices);
    rl_schedule_format(choices, n, buf, len);
}

/* The shrink: see the file's comment. Leaves the result in `out`. */
static void shrink(sched_engine *e, const rl_scenario *sc, rl_sched_result *out)
{
    int best[RL_SCHED_MAX_STEPS];
    int nbest = rl_schedule_parse(out->failure_schedule, best, RL_SCHED_MAX_STEPS);
    int best_pre = out->failure_preemptions;
    int minimal = 1;
    rl_sched_trial tr;
    e->nreplay = 0;
    rl_sched_force(NULL, 0);
    for (int bound = 0; bound < best_pre; bound++) {
        rl_strategy dfs = {.kind = RL_STRAT_DFS, .preemptions = bound};
        rl_sched_setup(&dfs, e->run.cfg->seed, sc->actors);
        rl_sched_force(NULL, 0);
        int found = 0, exhausted = 0;
        for (long n = 0; n < SHRINK_BUDGET && !found && !exhausted; n++) {
            int outcome = run_trial(e, 0, &tr);
            if (is_failure(sc, outcome)) {
                const int *choices = NULL;
                nbest = rl_sched_choices(&choices);
                memcpy(best, choices, (size_t)nbest * sizeof *best);
                best_pre = tr.preemptions;
                found = 1;
            } else if (!rl_sched_dfs_next()) {
                exhausted = 1;
            }
        }
        if (found)
            break;
        if (!exhausted) {
            minimal = 0; /* budget spent: smaller bounds not proven empty */
            break;
        }
    }
    /* Replay the result with the trace on. */
    memcpy(e->replay, best, (size_t)nbest * sizeof *best);
    e->nreplay = nbest;
    int outcome = run_trial(e, 1, &tr);
    e->nreplay = 0;
    out->shrunk = 1;
    rl_schedule_format(best, nbest, out->shrunk_schedule, sizeof out->shrunk_schedule);
    out->shrunk_preemptions = tr.preemptions;
    out->shrunk_minimal = minimal;
    out->shrunk_cause = outcome == TRIAL_DIVERGED ? "diverged" : cause_of(sc, outcome, &tr);
    snprintf(out->shrunk_waits, sizeof out->shrunk_waits, "%s", tr.waits);
    out->shrunk_trace = rl_sched_trace();
}

static void *controller(void *p)
{
    sched_engine *e = p;
    const rl_scenario *sc = e->run.sc;
    const rl_config *cfg = e->run.cfg;
    rl_sched_result *out = &e->result;
    rl_strategy strategy;
    rl_parse_strategy(cfg->strategy, &strategy);
    rl_sched_setup(&strategy, cfg->seed, sc->actors);
    rl_tally *t = &e->run.tally[0]; /* counts only: first failure is ours */
    while (!rl_budget_spent(&e->run, e->run.trials_graded)) {
        rl_sched_trial tr;
        int outcome = run_trial(e, 0, &tr);
        double seconds = rl_now() - e->run.start;
        if (tr.steps > out->max_steps)
            out->max_steps = tr.steps;
        if (outcome == TRIAL_DIVERGED) {
            out->diverged++;
        } else if (outcome == TRIAL_HUNG) {
            out->deadlocks++;
        } else {
            t->counts[outcome]++;
        }
        if (is_failure(sc, outcome))
            atomic_store_explicit(&e->run.failed, 1, memory_order_relaxed);
        if (is_failure(sc, outcome) && out->failure_trial < 0) {
            out->failure_trial = e->trial;
            out->failure_seconds = seconds;
            out->failure_cause = cause_of(sc, outcome, &tr);
            keep_schedule(out->failure_schedule, sizeof out->failure_schedule);
            out->failure_preemptions = tr.preemptions;
            snprintf(out->failure_waits, sizeof out->failure_waits, "%s", tr.waits);
        }
        e->trial++;
        e->run.trials_graded++;
        e->run.graded = e->run.trials_graded;
        atomic_fetch_add_explicit(&e->run.progress, 1, memory_order_release);
        if (strategy.kind == RL_STRAT_DFS && e->nreplay == 0 && !rl_sched_dfs_next()) {
            out->exhausted = 1;
            break;
        }
    }
    if (cfg->shrink && out->failure_trial >= 0)
        shrink(e, sc, out);
    atomic_store_explicit(&e->stop, 1, memory_order_release);
    release_actors(e);
    rl_run_finish(&e->run);
    return NULL;
}

int rl_run_sched(const rl_scenario *sc, const rl_config *cfg, rl_result *out)
{
    sched_engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return -1;
    e->state_size = (sc->state_size + 63) & ~(size_t)63;
    e->state = aligned_alloc(64, e->state_size);
    if (e->state == NULL) {
        free(e);
        return -1;
    }
    e->result.failure_trial = -1;
    if (cfg->replay != NULL)
        e->nreplay = rl_schedule_parse(cfg->replay, e->replay, RL_SCHED_MAX_STEPS);
    rl_run_begin(&e->run, sc, cfg);
    pthread_t actors[RL_MAX_ACTORS], ctl;
    sched_actor args[RL_MAX_ACTORS];
    for (int a = 0; a < sc->actors; a++) {
        args[a] = (sched_actor){.e = e, .actor = a};
        if (pthread_create(&actors[a], NULL, actor_loop, &args[a]) != 0)
            exit(3);
    }
    if (pthread_create(&ctl, NULL, controller, e) != 0)
        exit(3);
    rl_watch(&e->run, out);
    pthread_join(ctl, NULL);
    for (int a = 0; a < sc->actors; a++)
        pthread_join(actors[a], NULL);
    rl_run_collect(&e->run, out, 0);
    /* What only the scheduler knows; tally[0] has the graded outcomes. */
    out->sched_mode = 1;
    out->sched = e->result;
    out->hangs = e->result.deadlocks;
    out->first_failure_trial = e->result.failure_trial;
    out->first_failure_seconds = e->result.failure_seconds;
    out->first_failure_cause = e->result.failure_cause;
    free(e->state);
    free(e);
    return 0;
}
