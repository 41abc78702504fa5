/* engine_sched.c — trials under the controlled scheduler (--mode sched).
 *
 * Trials run one at a time; the actors of a trial run one at a time too,
 * as the strategy decides (injectors/sched/). This engine drives the
 * mechanism: it makes the strategy (or a replay of --replay's schedule),
 * grades each trial, keeps the first failing trial's schedule, stops when
 * the strategy has no schedule left (dfs exhausted), and with --shrink hands
 * the failing schedule to the shrink search, then replays its result with
 * the trace on. A deadlock is found at once and the run goes on. */
#include "../../injectors/sched/fuzz_corpus.h"
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
    int failing[RL_SCHED_TRIAL_STEPS]; /* the first failing trial's schedule */
    int nfailing;
    rl_shrink_result shrunk;
    int target; /* the outcome sought (--outcome, then the first failure's); ANY_FAILURE */
    long long trial;
    rl_sched_result result; /* written by the controller thread */
} sched_engine;

typedef struct {
    sched_engine *e;
    int actor;
} sched_actor;

enum { TRIAL_HUNG = -1, TRIAL_DIVERGED = -2, ANY_FAILURE = -3 };

static void play_role(void *p)
{
    const sched_actor *a = p;
    a->e->run.sc->actor[a->actor](a->e->state, a->e->run.cfg->variant);
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
        rl_sched_run_thread(a->actor, play_role, a);
    }
    return NULL;
}

static void release_actors(sched_engine *e)
{
    atomic_fetch_add_explicit(&e->generation, 1, memory_order_release);
    rl_futex_wake_all(&e->generation);
}

static void out_of_memory(void)
{
    fprintf(stderr, "racelab: out of memory for the scheduler\n");
    exit(3);
}

static void use_strategy(rl_sched_strategy *s)
{
    if (s == NULL)
        out_of_memory();
    rl_sched_use(s);
}

/* One trial; returns its outcome index, TRIAL_HUNG or TRIAL_DIVERGED. */
static int run_trial(sched_engine *e, int tracing, rl_sched_trial *tr)
{
    const rl_scenario *sc = e->run.sc;
    int variant = e->run.cfg->variant;
    memset(e->state, 0, e->state_size);
    if (sc->init != NULL)
        sc->init(e->state, variant);
    rl_sched_begin_trial(e->state, e->state_size, tracing);
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

/* The failure this run looks for: any, or one outcome (a shrink must not
 * turn a leak into a double free). */
static int is_target(const sched_engine *e, int outcome)
{
    return e->target == ANY_FAILURE ? is_failure(e->run.sc, outcome) : outcome == e->target;
}

static int outcome_named(const rl_scenario *sc, const char *name)
{
    if (name == NULL)
        return ANY_FAILURE;
    for (int o = 0; o < sc->n_outcomes; o++)
        if (strcmp(sc->outcomes[o].name, name) == 0)
            return o;
    return TRIAL_HUNG; /* deadlock (cli.c accepts nothing else) */
}

static const char *cause_of(const rl_scenario *sc, int outcome, const rl_sched_trial *tr)
{
    if (outcome == TRIAL_HUNG)
        return tr->step_limit ? "livelock" : RL_DEADLOCK_OUTCOME;
    return sc->outcomes[outcome].name;
}

static void keep_failure(sched_engine *e, int outcome, const rl_sched_trial *tr, double seconds)
{
    rl_sched_result *out = &e->result;
    const int *choices = NULL;
    e->nfailing = rl_sched_choices(&choices);
    memcpy(e->failing, choices, (size_t)e->nfailing * sizeof *choices);
    out->failure_trial = (long long)e->run.trials_graded; /* its index among graded trials */
    out->failure_seconds = seconds;
    out->failure_cause = cause_of(e->run.sc, outcome, tr);
    rl_schedule_format(e->failing, e->nfailing, out->failure_schedule,
                       sizeof out->failure_schedule);
    out->failure_preemptions = tr->preemptions;
    snprintf(out->failure_waits, sizeof out->failure_waits, "%s", tr->waits);
}

static int shrink_trial(void *ctx, rl_sched_strategy *strategy, rl_sched_trial *tr)
{
    sched_engine *e = ctx;
    rl_sched_use(strategy);
    int failed = is_target(e, run_trial(e, 0, tr));
    rl_sched_use(NULL);
    return failed;
}

/* --shrink: the search, then its result replayed with the trace on. */
static void shrink(sched_engine *e)
{
    rl_sched_result *out = &e->result;
    rl_shrink_result *best = &e->shrunk;
    if (rl_sched_shrink(e->failing, e->nfailing, out->failure_preemptions, SHRINK_BUDGET,
                        shrink_trial, e, best) != 0)
        out_of_memory();
    rl_sched_strategy *replay = rl_strategy_replay(best->choices, best->n);
    use_strategy(replay);
    rl_sched_trial tr;
    int outcome = run_trial(e, 1, &tr);
    rl_sched_use(NULL);
    rl_strategy_free(replay);
    out->shrunk = 1;
    rl_schedule_format(best->choices, best->n, out->shrunk_schedule, sizeof out->shrunk_schedule);
    out->shrunk_preemptions = tr.preemptions;
    out->shrunk_minimal = best->minimal;
    out->shrunk_cause = outcome == TRIAL_DIVERGED ? "diverged" : cause_of(e->run.sc, outcome, &tr);
    snprintf(out->shrunk_waits, sizeof out->shrunk_waits, "%s", tr.waits);
    out->shrunk_trace = rl_sched_trace();
}

static void *controller(void *p)
{
    sched_engine *e = p;
    const rl_scenario *sc = e->run.sc;
    const rl_config *cfg = e->run.cfg;
    rl_sched_result *out = &e->result;
    rl_sched_setup(sc->actors, cfg->seed);
    rl_sched_strategy *strategy = cfg->n_replay > 0
                                      ? rl_strategy_replay(cfg->replay_choices, cfg->n_replay)
                                      : rl_strategy_make(&cfg->strategy, cfg->seed);
    use_strategy(strategy);
    rl_tally *t = &e->run.tally[0]; /* counts only: first failure is ours */
    /* The budget counts schedules tried; `trials` counts those graded: a
     * trial that left its forced schedule (diverged) is not graded. */
    while (!rl_budget_spent(&e->run, (unsigned long long)e->trial)) {
        rl_sched_trial tr;
        int outcome = run_trial(e, 0, &tr);
        double seconds = rl_now() - e->run.start;
        if (tr.steps > out->max_steps)
            out->max_steps = tr.steps;
        if (outcome == TRIAL_DIVERGED && tr.diverged_to >= tr.threads) {
            /* a replayed schedule naming a thread the trial never had: the
             * schedule does not belong to this scenario (bad input) */
            out->bad_replay_thread = tr.diverged_to;
            out->bad_replay_threads = tr.threads;
            out->diverged++;
            e->trial++;
            break;
        }
        if (outcome == TRIAL_DIVERGED) {
            out->diverged++;
            e->trial++;
            atomic_fetch_add_explicit(&e->run.progress, 1, memory_order_release);
            continue;
        }
        /* fuzz: a failing schedule joins the corpus */
        rl_strategy_judged(strategy, is_failure(sc, outcome));
        if (outcome == TRIAL_HUNG)
            out->deadlocks++;
        else
            t->counts[outcome]++;
        if (is_target(e, outcome)) {
            rl_run_note_failure(&e->run);
            if (out->failure_trial < 0) {
                keep_failure(e, outcome, &tr, seconds);
                e->target = outcome; /* the shrink keeps this failure */
            }
        }
        e->trial++;
        e->run.trials_graded++;
        rl_run_publish(&e->run);
        if (!tr.more) {
            out->exhausted = 1; /* dfs: every schedule within the bound was run */
            break;
        }
    }
    rl_sched_use(NULL);
    const rl_fuzz_corpus *corpus = rl_strategy_fuzz_corpus(strategy);
    if (corpus != NULL) {
        out->fuzz = 1;
        out->fuzz_entries = rl_fuzz_corpus_size(corpus);
        out->fuzz_failed = rl_fuzz_failed_entries(corpus);
        out->fuzz_pairs = rl_fuzz_pairs_seen(corpus);
    }
    rl_strategy_free(strategy);
    if (cfg->shrink && out->failure_trial >= 0)
        shrink(e);
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
    e->result.bad_replay_thread = -1;
    e->target = outcome_named(sc, cfg->outcome);
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
