/* engine_run.c — bookkeeping common to both engines, and the watchdog: the main
 * thread sleeps on the progress counter and calls a run hung when no batch
 * finishes for --timeout seconds. Hung actors cannot be recovered, so the
 * record is written from what was graded and the process ends. */
#include "engine.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static rl_run *active_run;
static struct {
    const rl_result *result; /* the first half of a stress+fuzz run, or NULL */
    const char *mode, *this_mode;
} carried;

void rl_run_carry(const rl_result *earlier, const char *earlier_mode, const char *this_mode)
{
    carried.result = earlier;
    carried.mode = earlier_mode;
    carried.this_mode = this_mode;
}

static unsigned long long forbidden_of(const rl_scenario *sc, const rl_result *r)
{
    unsigned long long n = r->hangs;
    for (int o = 0; o < sc->n_outcomes; o++)
        if (sc->outcomes[o].grade == RL_FORBIDDEN)
            n += r->outcome_counts[o];
    return n;
}

static rl_phase phase_of(const rl_scenario *sc, const rl_result *r, const char *mode,
                         unsigned long long first_trial)
{
    return (rl_phase){.mode = mode,
                      .trials = r->trials,
                      .forbidden = forbidden_of(sc, r),
                      .seconds = r->seconds,
                      .first_failure_trial = r->first_failure_trial >= 0
                                                 ? r->first_failure_trial + (long long)first_trial
                                                 : -1};
}

/* out = the carried half, then out's own trials after it. TSan's counts are
 * the process's since it began, so they are out's already. */
static void add_carried(const rl_scenario *sc, rl_result *out)
{
    const rl_result *c = carried.result;
    if (c == NULL) { /* the first half: a hang here ends the run */
        out->phases[0] = phase_of(sc, out, carried.this_mode, 0);
        out->n_phases = 1;
        return;
    }
    out->phases[0] = phase_of(sc, c, carried.mode, 0);
    out->phases[1] = phase_of(sc, out, carried.this_mode, c->trials);
    out->n_phases = 2;
    for (int o = 0; o < sc->n_outcomes; o++)
        out->outcome_counts[o] += c->outcome_counts[o];
    if (c->first_failure_trial >= 0) { /* the earlier half's failure came first */
        out->first_failure_trial = c->first_failure_trial;
        out->first_failure_seconds = c->first_failure_seconds;
        out->first_failure_cause = c->first_failure_cause;
    } else if (out->first_failure_trial >= 0) {
        out->first_failure_trial += (long long)c->trials;
        out->first_failure_seconds += c->seconds;
    }
    out->trials += c->trials;
    out->seconds += c->seconds;
    out->hangs += c->hangs;
    out->interrupted = out->interrupted || c->interrupted;
    if (c->batch_max > out->batch_max)
        out->batch_max = c->batch_max;
}

static void on_signal(int sig)
{
    (void)sig;
    if (active_run != NULL)
        atomic_store(&active_run->interrupted, 1);
}

void rl_run_begin(rl_run *run, const rl_scenario *sc, const rl_config *cfg)
{
    memset(run, 0, sizeof *run);
    run->sc = sc;
    run->cfg = cfg;
    for (int a = 0; a < RL_MAX_ACTORS; a++) {
        run->tally[a].first_failure_trial = -1;
        atomic_init(&run->position[a].trial, -1);
    }
    active_run = run;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    run->start = rl_now();
}

void rl_grade_trial(rl_run *run, rl_tally *t, void *state, long long trial, double seconds)
{
    const rl_scenario *sc = run->sc;
    int o = sc->arbiter(state, run->cfg->variant);
    if (o < 0 || o >= sc->n_outcomes) {
        fprintf(stderr, "racelab: %s arbiter returned outcome %d of %d\n", sc->name, o,
                sc->n_outcomes);
        abort();
    }
    t->counts[o]++;
    if (sc->outcomes[o].grade == RL_FORBIDDEN)
        rl_run_note_failure(run);
    if (sc->outcomes[o].grade == RL_FORBIDDEN &&
        (t->first_failure_trial < 0 || trial < t->first_failure_trial)) {
        t->first_failure_trial = trial;
        t->first_failure_outcome = o;
        t->first_failure_seconds = seconds;
    }
}

void rl_run_note_failure(rl_run *run)
{
    atomic_store_explicit(&run->failed, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&run->live_failures, 1, memory_order_relaxed);
}

void rl_run_publish(rl_run *run)
{
    run->graded = run->trials_graded;
    atomic_store_explicit(&run->live_trials, run->trials_graded, memory_order_relaxed);
    /* release: pairs with the watchdog's acquire of `progress` */
    atomic_fetch_add_explicit(&run->progress, 1, memory_order_release);
}

int rl_budget_spent(rl_run *run, unsigned long long done)
{
    if (atomic_load_explicit(&run->interrupted, memory_order_relaxed))
        return 1;
    /* batched: seen at the batch after the failing one's grading */
    if (run->cfg->until_fail && atomic_load_explicit(&run->failed, memory_order_relaxed))
        return 1;
    if (run->cfg->trials > 0)
        return done >= run->cfg->trials;
    return rl_now() - run->start >= run->cfg->seconds;
}

void rl_run_collect(rl_run *run, rl_result *out, int hung)
{
    const rl_scenario *sc = run->sc;
    memset(out, 0, sizeof *out);
    out->first_failure_trial = -1;
    for (int a = 0; a < RL_MAX_ACTORS; a++) {
        const rl_tally *t = &run->tally[a];
        for (int o = 0; o < sc->n_outcomes; o++)
            out->outcome_counts[o] += t->counts[o];
        if (t->first_failure_trial >= 0 &&
            (out->first_failure_trial < 0 || t->first_failure_trial < out->first_failure_trial)) {
            out->first_failure_trial = t->first_failure_trial;
            out->first_failure_seconds = t->first_failure_seconds;
            out->first_failure_cause = sc->outcomes[t->first_failure_outcome].name;
        }
        out->hang_positions[a] = -1;
    }
    out->trials = hung ? run->graded : run->trials_graded;
    out->seconds = rl_now() - run->start;
    out->batch_max = run->batch_max;
    out->interrupted = atomic_load(&run->interrupted);
    if (hung) {
        long long stuck = -1;
        for (int a = 0; a < sc->actors; a++) {
            out->hang_positions[a] = atomic_load(&run->position[a].trial);
            if (out->hang_positions[a] >= 0 && (stuck < 0 || out->hang_positions[a] < stuck))
                stuck = out->hang_positions[a];
        }
        out->hangs = 1;
        out->trials += 1; /* the hung trial is graded: deadlock */
        /* Actors run ahead within a batch that never finished, so the stuck
         * trial's position can lie past the graded ones: among graded trials
         * the hung one is the last (hang.actor_trials keeps the positions). */
        long long index =
            stuck >= 0 && stuck < (long long)out->trials ? stuck : (long long)out->trials - 1;
        if (out->first_failure_trial < 0 || index < out->first_failure_trial) {
            out->first_failure_trial = index;
            out->first_failure_seconds = run->hung_since - run->start; /* when it stopped moving */
            out->first_failure_cause = RL_DEADLOCK_OUTCOME;
        }
    }
    rl_tsan_snapshot(out, run->start);
    if (carried.this_mode != NULL)
        add_carried(sc, out);
}

/* Progress is any finished batch or any actor moving to another trial: a
 * batch can take long (a TSan report costs milliseconds per racy access)
 * while its actors still advance; a deadlock freezes them all. */
static uint64_t progress_signature(rl_run *run)
{
    uint64_t sig = atomic_load_explicit(&run->progress, memory_order_acquire);
    for (int a = 0; a < run->sc->actors; a++)
        sig = sig * 1000003u +
              (uint64_t)atomic_load_explicit(&run->position[a].trial, memory_order_relaxed);
    return sig;
}

void rl_watch(rl_run *run, rl_result *out)
{
    uint64_t seen = progress_signature(run);
    double last_progress = rl_now(), last_sent = last_progress;
    int feed = rl_progress_fd();
    /* a stress+fuzz run's second half goes on from the first half's counts */
    unsigned long long carried_trials = carried.result ? carried.result->trials : 0;
    unsigned long long carried_failures =
        carried.result ? forbidden_of(run->sc, carried.result) : 0;
    while (!atomic_load(&run->finished)) {
        rl_futex_wait(&run->finished, 0, 0.05);
        uint64_t now_progress = progress_signature(run);
        double now = rl_now();
        if (feed >= 0 && now - last_sent >= 1.0) {
            last_sent = now;
            rl_progress_send(
                feed,
                carried_trials + atomic_load_explicit(&run->live_trials, memory_order_relaxed),
                carried_failures + atomic_load_explicit(&run->live_failures, memory_order_relaxed));
        }
        if (now_progress != seen) {
            seen = now_progress;
            last_progress = now;
        } else if (!atomic_load(&run->finished) && now - last_progress >= run->cfg->timeout) {
            /* The progress counter was read with acquire: every batch before
             * it is graded and visible here; the stuck batch is not. */
            run->hung_since = last_progress;
            rl_run_collect(run, out, 1);
            rl_verdict v;
            rl_judge(run->sc, run->cfg, out, &v);
            if (run->cfg->json)
                rl_print_record(stdout, run->sc, run->cfg, out, &v);
            else
                rl_print_summary(stdout, run->sc, run->cfg, out, &v);
            fflush(stdout);
            fflush(stderr);
            rl_scratch_cleanup();
            _exit(rl_exit_status(&v));
        }
    }
    active_run = NULL;
}

void rl_run_finish(rl_run *run)
{
    atomic_store(&run->finished, 1);
    rl_futex_wake_all(&run->finished);
}
