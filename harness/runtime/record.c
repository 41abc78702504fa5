/* record.c — the run record (one JSON object, schema in docs/racelab-record.5.md), the
 * readable summary, and the --describe document. */
#include "../common/json_write.h"
#include "internal.h"

#include <string.h>

static double per_second(const rl_result *res)
{
    return res->seconds > 0 ? (double)res->trials / res->seconds : 0;
}

/* Whether points acted in this run: not in stress mode, nor in a
 * stress+fuzz run that ended in its stress half. */
static int points_acted(const rl_config *cfg, const rl_result *res)
{
    return cfg->mode != RL_MODE_STRESS && (cfg->mode != RL_MODE_BOTH || res->n_phases == 2);
}

/* Whether the points no actor reached say anything: points acted, and some trial ran to its
 * end. A run whose every trial deadlocked (a racy variant caught in its first trial) stopped
 * before the later points; they are not misplaced. */
static int unhit_known(const rl_config *cfg, const rl_result *res)
{
    return points_acted(cfg, res) && res->trials > res->hangs;
}

static void fill_sched(rl_record *r, const rl_config *cfg, const rl_result *res)
{
    const rl_sched_result *s = &res->sched;
    if (res->first_failure_trial >= 0 && s->failure_trial >= 0) {
        r->first_failure.has_schedule = 1;
        r->first_failure.schedule = s->failure_schedule;
        r->first_failure.preemptions = s->failure_preemptions;
        r->first_failure.waits = s->failure_waits[0] ? s->failure_waits : NULL;
    }
    r->sched.present = 1;
    r->sched.strategy = cfg->strategy_text;
    r->sched.schedules = res->trials;
    r->sched.deadlocks = s->deadlocks;
    r->sched.diverged = s->diverged;
    r->sched.exhausted = s->exhausted;
    r->sched.max_steps = s->max_steps;
    r->sched.replay = cfg->replay;
    if (s->shrunk) {
        r->sched.shrunk.present = 1;
        r->sched.shrunk.schedule = s->shrunk_schedule;
        r->sched.shrunk.preemptions = s->shrunk_preemptions;
        r->sched.shrunk.minimal = s->shrunk_minimal;
        r->sched.shrunk.cause = s->shrunk_cause;
        r->sched.shrunk.waits = s->shrunk_waits[0] ? s->shrunk_waits : NULL;
        r->sched.shrunk.trace = s->shrunk_trace;
    }
    r->sched.fuzz.present = s->fuzz;
    r->sched.fuzz.entries = s->fuzz_entries;
    r->sched.fuzz.failed = s->fuzz_failed;
    r->sched.fuzz.pairs_seen = s->fuzz_pairs;
}

void rl_print_record(FILE *f, const rl_scenario *sc, const rl_config *cfg, const rl_result *res,
                     const rl_verdict *v)
{
    const rl_variant *var = &sc->variants[cfg->variant];
    rl_named_count outcomes[RL_MAX_OUTCOMES + 1];
    for (int o = 0; o < sc->n_outcomes; o++)
        outcomes[o] = (rl_named_count){sc->outcomes[o].name, res->outcome_counts[o]};
    outcomes[sc->n_outcomes] = (rl_named_count){RL_DEADLOCK_OUTCOME, res->hangs};
    rl_named_count kinds[RL_MAX_TSAN_KINDS];
    for (int i = 0; i < res->n_tsan_kinds; i++)
        kinds[i] = (rl_named_count){res->tsan[i].kind, res->tsan[i].count};
    const char *inject[RL_MAX_SPECS];
    for (int s = 0; s < cfg->n_specs; s++)
        inject[s] = cfg->specs[s].text;
    rl_point_record points[RL_MAX_POINTS];
    memset(points, 0, sizeof points);
    rl_point_counts(sc, points);
    /* In fuzz and sched modes a declared point no actor ever reached is named:
     * a misplaced point, or a code path the run never took. */
    const char *unhit[RL_MAX_POINTS];
    int n_unhit = rl_points_unhit(sc, cfg->variant, points, unhit);
    rl_phase_record phases[2];
    for (int i = 0; i < res->n_phases && i < 2; i++)
        phases[i] =
            (rl_phase_record){res->phases[i].mode, res->phases[i].trials, res->phases[i].forbidden,
                              res->phases[i].seconds, res->phases[i].first_failure_trial};
    rl_named_value params[RL_MAX_PARAMS];
    for (int i = 0; i < sc->n_params && i < RL_MAX_PARAMS; i++) /* as the run used them */
        params[i] = (rl_named_value){sc->params[i].name, rl_param(sc->params[i].name)};

    rl_record r = {
        .scenario = sc->name,
        .variant = var->name,
        .expectation = rl_expectation_name(var->expect),
        .caught_by = rl_detector_name(var->caught_by),
        .mode = rl_mode_name(cfg->mode),
        .engine = cfg->engine == RL_ENGINE_NAIVE ? "naive" : "batched",
        .flavour = rl_flavour_name(),
        .has_seed = 1,
        .seed = (unsigned long long)cfg->seed,
        .trials = res->trials,
        .seconds = res->seconds,
        .outcomes = outcomes,
        .n_outcomes = sc->n_outcomes + 1,
        .hangs = res->hangs,
        .hang_actor_trials = res->hangs ? res->hang_positions : NULL,
        .n_hang_actors = sc->actors,
        .phases = res->n_phases > 0 ? phases : NULL,
        .n_phases = res->n_phases,
        .tsan_enabled = rl_flavour_is_tsan(),
        .tsan_reports = res->tsan_reports,
        .tsan_kinds = kinds,
        .n_tsan_kinds = res->n_tsan_kinds,
        .verdict = *v,
        .inject = inject,
        .n_inject = cfg->n_specs,
        .default_profile = cfg->default_profile,
        .profile = cfg->profile,
        .profile_spec = cfg->profile_spec,
        .variant_spec = cfg->variant_spec,
        .posix_faults = cfg->posix_specs,
        .n_posix_faults = cfg->n_posix,
        .points = points,
        .n_points = sc->n_points,
        .points_unhit = unhit_known(cfg, res) ? unhit : NULL,
        .n_points_unhit = n_unhit,
        .params = params,
        .n_params = sc->n_params < RL_MAX_PARAMS ? sc->n_params : RL_MAX_PARAMS,
        .timeout = cfg->timeout,
        .batch_max = res->batch_max,
        .until_fail = cfg->until_fail,
        .interrupted = res->interrupted,
        .version = rl_version(),
    };
    if (res->first_failure_trial >= 0)
        r.first_failure = (rl_failure_record){.present = 1,
                                              .trial = res->first_failure_trial,
                                              .seconds = res->first_failure_seconds,
                                              .cause = res->first_failure_cause};
    if (res->sched_mode)
        fill_sched(&r, cfg, res);
    rl_record_write(f, &r);
}

/* Fuzz and sched modes: the declared points no actor reached, one line. */
static void print_unhit_warning(FILE *f, const rl_scenario *sc, const rl_config *cfg,
                                const rl_result *res)
{
    if (!unhit_known(cfg, res))
        return;
    rl_point_record points[RL_MAX_POINTS];
    memset(points, 0, sizeof points);
    rl_point_counts(sc, points);
    const char *unhit[RL_MAX_POINTS];
    int n = rl_points_unhit(sc, cfg->variant, points, unhit);
    if (n == 0)
        return;
    fprintf(f,
            "  warning: %d declared point%s never reached (a misplaced point, or a path this "
            "run never took):",
            n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++)
        fprintf(f, "%s %s", i ? "," : "", unhit[i]);
    fputc('\n', f);
}

void rl_print_summary(FILE *f, const rl_scenario *sc, const rl_config *cfg, const rl_result *res,
                      const rl_verdict *v)
{
    const rl_variant *var = &sc->variants[cfg->variant];
    fprintf(f, "%s:%s  (%s, %s, %s, seed %llu)\n", sc->name, var->name,
            rl_expectation_name(var->expect), rl_mode_name(cfg->mode), rl_flavour_name(),
            (unsigned long long)cfg->seed);
    fprintf(f, "  %llu trials in %.2f s (%.0f trials/s)%s\n", res->trials, res->seconds,
            per_second(res), res->interrupted ? ", interrupted" : "");
    for (int o = 0; o < sc->n_outcomes; o++)
        fprintf(f, "  %-28s %-12s %llu\n", sc->outcomes[o].name,
                rl_grade_name(sc->outcomes[o].grade), res->outcome_counts[o]);
    fprintf(f, "  %-28s %-12s %llu\n", RL_DEADLOCK_OUTCOME, "forbidden", res->hangs);
    if (rl_flavour_is_tsan())
        fprintf(f, "  tsan reports: %llu\n", res->tsan_reports);
    if (res->first_failure_trial >= 0)
        fprintf(f, "  first failure: trial %lld after %.3f s (%s)\n", res->first_failure_trial,
                res->first_failure_seconds, res->first_failure_cause);
    if (res->sched_mode) {
        const rl_sched_result *s = &res->sched;
        fprintf(f, "  scheduler %s: %llu schedules, %llu deadlocked%s\n", cfg->strategy_text,
                res->trials, s->deadlocks, s->exhausted ? ", space exhausted" : "");
        if (s->failure_trial >= 0)
            fprintf(f, "  failing schedule (%d preemptions): %s\n%s%s%s", s->failure_preemptions,
                    s->failure_schedule, s->failure_waits[0] ? "  " : "", s->failure_waits,
                    s->failure_waits[0] ? "\n" : "");
        if (s->shrunk)
            fprintf(f, "  shrunk to %d preemptions%s (%s): %s\n%s", s->shrunk_preemptions,
                    s->shrunk_minimal ? ", the fewest possible" : "", s->shrunk_cause,
                    s->shrunk_schedule, s->shrunk_trace);
    }
    /* An upper bound only where no failure was seen: a fix that failed shows its rate. */
    if (var->expect == RL_HOLDS && v->failures == 0 && v->verdict == RL_VERDICT_FAILS)
        fprintf(f,
                "  no forbidden outcome in %llu trials; failed by %llu ThreadSanitizer report%s\n",
                res->trials, res->tsan_reports, res->tsan_reports == 1 ? "" : "s");
    else if (var->expect == RL_HOLDS && v->failures == 0)
        fprintf(f,
                "  no failure in %llu trials: per-trial failure probability < %.3g (95%% upper "
                "bound)\n",
                res->trials, v->upper95);
    else
        fprintf(f, "  failure rate %.3g: %llu of %llu trials (95%% interval %.3g..%.3g)\n", v->rate,
                v->failures, res->trials, v->wilson_low, v->wilson_high);
    fprintf(f, "  verdict: %s — %s\n", rl_verdict_name(v->verdict),
            v->verdict == RL_VERDICT_ERROR ? "nothing was graded (no trial counted)"
            : v->verdict == RL_VERDICT_INCONCLUSIVE
                ? "no failure, but not evidence: the budget was cut short"
            : !v->judged ? "expectation not judged here (caught by tsan only, or needs a fault)"
            : v->met     ? "expectation met"
                         : "expectation NOT MET");
    print_unhit_warning(f, sc, cfg, res);
}

void rl_print_describe(FILE *f, const rl_scenario *sc)
{
    int first = 1;
    fputc('{', f);
    rl_json_key(f, &first, "name");
    rl_json_string(f, sc->name);
    rl_json_key(f, &first, "reference");
    rl_json_string(f, sc->reference);
    rl_json_key(f, &first, "summary");
    rl_json_string(f, sc->summary);
    rl_json_key(f, &first, "actors");
    fprintf(f, "%d", sc->actors);
    rl_json_key(f, &first, "state_size");
    fprintf(f, "%zu", sc->state_size);
    rl_json_key(f, &first, "max_batch");
    fprintf(f, "%d", sc->max_batch);
    rl_json_key(f, &first, "variants");
    fputc('[', f);
    for (int i = 0; i < sc->n_variants; i++) {
        const rl_variant *var = &sc->variants[i];
        fputs(i ? ", {\"name\": " : "{\"name\": ", f);
        rl_json_string(f, var->name);
        fprintf(f, ", \"expectation\": \"%s\", \"caught_by\": \"%s\", \"summary\": ",
                rl_expectation_name(var->expect), rl_detector_name(var->caught_by));
        rl_json_string(f, var->summary);
        fputs(", \"inject\": ", f);
        rl_json_string(f, rl_variant_inject(var));
        fputc('}', f);
    }
    fputs("]", f);
    rl_json_key(f, &first, "outcomes");
    fputc('[', f);
    for (int o = 0; o < sc->n_outcomes; o++) {
        fputs(o ? ", {\"name\": " : "{\"name\": ", f);
        rl_json_string(f, sc->outcomes[o].name);
        fprintf(f, ", \"grade\": \"%s\", \"meaning\": ", rl_grade_name(sc->outcomes[o].grade));
        rl_json_string(f, sc->outcomes[o].meaning);
        fputc('}', f);
    }
    fprintf(f,
            "%s{\"name\": \"%s\", \"grade\": \"forbidden\", \"meaning\": "
            "\"a trial did not finish before the watchdog's deadline\"}]",
            sc->n_outcomes ? ", " : "", RL_DEADLOCK_OUTCOME);
    rl_json_key(f, &first, "params");
    fputc('[', f);
    for (int i = 0; i < sc->n_params; i++) {
        const rl_param_spec *p = &sc->params[i];
        fputs(i ? ", {\"name\": " : "{\"name\": ", f);
        rl_json_string(f, p->name);
        fprintf(f,
                ", \"default\": %ld, \"min\": %ld, \"max\": %ld, \"meaning\": ", p->default_value,
                p->min, p->max);
        rl_json_string(f, p->meaning);
        fputc('}', f);
    }
    fputc(']', f);
    rl_json_key(f, &first, "points");
    fputc('[', f);
    for (int i = 0; i < sc->n_points; i++) {
        fputs(i ? ", {\"name\": " : "{\"name\": ", f);
        rl_json_string(f, sc->points[i].name);
        fprintf(f, ", \"kind\": \"%s\", \"meaning\": ",
                sc->points[i].kind == RL_FAULT_POINT ? "fault" : "delay");
        rl_json_string(f, sc->points[i].meaning);
        fputs(", \"reached_by\": ", f); /* null: every variant */
        int listed = 0;
        for (int v = 0; v < sc->n_variants; v++)
            listed += rl_point_reached_by(sc, i, v);
        if (listed == sc->n_variants) {
            fputs("null", f);
        } else {
            fputc('[', f);
            for (int v = 0, k = 0; v < sc->n_variants; v++)
                if (rl_point_reached_by(sc, i, v)) {
                    fputs(k++ ? ", " : "", f);
                    rl_json_string(f, sc->variants[v].name);
                }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
}
