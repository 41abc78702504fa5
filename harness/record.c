/* record.c — the run record (one JSON object, schema in README.md), the
 * readable summary, and the --describe document. */
#include "internal.h"
#include "json.h"

static const char *mode_name(rl_mode m)
{
    return m == RL_MODE_FUZZ ? "fuzz" : m == RL_MODE_SCHED ? "sched" : "stress";
}

static double per_second(const rl_result *res)
{
    return res->seconds > 0 ? (double)res->trials / res->seconds : 0;
}

static void print_outcomes(FILE *f, const rl_scenario *sc, const rl_result *res)
{
    int first = 1;
    fputc('{', f);
    for (int o = 0; o < sc->n_outcomes; o++) {
        rl_json_key(f, &first, sc->outcomes[o].name);
        fprintf(f, "%llu", res->outcome_counts[o]);
    }
    rl_json_key(f, &first, RL_DEADLOCK_OUTCOME);
    fprintf(f, "%llu}", res->hangs);
}

static void print_first_failure(FILE *f, const rl_result *res)
{
    if (res->first_failure_trial < 0) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"trial\": %lld, \"seconds\": ", res->first_failure_trial);
    rl_json_number(f, res->first_failure_seconds);
    fputs(", \"cause\": ", f);
    rl_json_string(f, res->first_failure_cause);
    if (res->sched_mode && res->sched.failure_trial >= 0) {
        fputs(", \"schedule\": ", f);
        rl_json_string(f, res->sched.failure_schedule);
        fprintf(f, ", \"preemptions\": %d, \"waits\": ", res->sched.failure_preemptions);
        rl_json_string(f, res->sched.failure_waits[0] ? res->sched.failure_waits : NULL);
    }
    fputc('}', f);
}

static void print_sched(FILE *f, const rl_config *cfg, const rl_result *res)
{
    if (!res->sched_mode) {
        fputs("null", f);
        return;
    }
    const rl_sched_result *s = &res->sched;
    fputs("{\"strategy\": ", f);
    rl_json_string(f, cfg->strategy);
    fprintf(f, ", \"schedules\": %llu, \"deadlocks\": %llu, \"diverged\": %llu, ", res->trials,
            s->deadlocks, s->diverged);
    fprintf(f,
            "\"exhausted\": %s, \"max_steps\": %d, \"replay\": ", s->exhausted ? "true" : "false",
            s->max_steps);
    rl_json_string(f, cfg->replay);
    fputs(", \"shrunk\": ", f);
    if (!s->shrunk) {
        fputs("null}", f);
        return;
    }
    fputs("{\"schedule\": ", f);
    rl_json_string(f, s->shrunk_schedule);
    fprintf(f, ", \"preemptions\": %d, \"minimal\": %s, \"cause\": ", s->shrunk_preemptions,
            s->shrunk_minimal ? "true" : "false");
    rl_json_string(f, s->shrunk_cause);
    fputs(", \"waits\": ", f);
    rl_json_string(f, s->shrunk_waits[0] ? s->shrunk_waits : NULL);
    fputs(", \"trace\": ", f);
    rl_json_string(f, s->shrunk_trace);
    fputs("}}", f);
}

static void print_tsan(FILE *f, const rl_result *res)
{
    fprintf(f, "{\"enabled\": %s, \"reports\": %llu, \"kinds\": {",
            rl_flavour_is_tsan() ? "true" : "false", res->tsan_reports);
    int first = 1;
    for (int i = 0; i < res->n_tsan_kinds; i++) {
        rl_json_key(f, &first, res->tsan[i].kind);
        fprintf(f, "%llu", res->tsan[i].count);
    }
    fputs("}}", f);
}

static void print_hang(FILE *f, const rl_scenario *sc, const rl_result *res)
{
    if (res->hangs == 0) {
        fputs("null", f);
        return;
    }
    fputs("{\"actor_trials\": [", f);
    for (int a = 0; a < sc->actors; a++)
        fprintf(f, "%s%lld", a ? ", " : "", res->hang_positions[a]);
    fputs("]}", f);
}

void rl_print_record(FILE *f, const rl_scenario *sc, const rl_config *cfg, const rl_result *res,
                     const rl_verdict *v)
{
    const rl_variant *var = &sc->variants[cfg->variant];
    int first = 1;
    fputc('{', f);
    rl_json_key(f, &first, "scenario");
    rl_json_string(f, sc->name);
    rl_json_key(f, &first, "variant");
    rl_json_string(f, var->name);
    rl_json_key(f, &first, "expectation");
    rl_json_string(f, rl_expectation_name(var->expect));
    rl_json_key(f, &first, "caught_by");
    rl_json_string(f, rl_detector_name(var->caught_by));
    rl_json_key(f, &first, "mode");
    rl_json_string(f, mode_name(cfg->mode));
    rl_json_key(f, &first, "engine");
    rl_json_string(f, cfg->engine == RL_ENGINE_NAIVE ? "naive" : "batched");
    rl_json_key(f, &first, "flavour");
    rl_json_string(f, rl_flavour_name());
    rl_json_key(f, &first, "seed");
    fprintf(f, "%llu", (unsigned long long)cfg->seed);
    rl_json_key(f, &first, "trials");
    fprintf(f, "%llu", res->trials);
    rl_json_key(f, &first, "seconds");
    rl_json_number(f, res->seconds);
    rl_json_key(f, &first, "trials_per_s");
    rl_json_number(f, per_second(res));
    rl_json_key(f, &first, "outcomes");
    print_outcomes(f, sc, res);
    rl_json_key(f, &first, "forbidden");
    fprintf(f, "%llu", v->forbidden);
    rl_json_key(f, &first, "interesting");
    fprintf(f, "%llu", v->interesting);
    rl_json_key(f, &first, "first_failure");
    print_first_failure(f, res);
    rl_json_key(f, &first, "sched");
    print_sched(f, cfg, res);
    rl_json_key(f, &first, "hangs");
    fprintf(f, "%llu", res->hangs);
    rl_json_key(f, &first, "hang");
    print_hang(f, sc, res);
    rl_json_key(f, &first, "crashes");
    fputs("0", f);
    rl_json_key(f, &first, "tsan");
    print_tsan(f, res);
    rl_json_key(f, &first, "verdict");
    rl_json_string(f, rl_verdict_name(v->verdict));
    rl_json_key(f, &first, "met");
    fputs(!v->judged ? "null" : v->met ? "true" : "false", f);
    rl_json_key(f, &first, "stats");
    fprintf(f, "{\"failures\": %llu, \"rate\": ", v->failures);
    rl_json_number(f, v->rate);
    fputs(", \"wilson95\": [", f);
    rl_json_number(f, v->wilson_low);
    fputs(", ", f);
    rl_json_number(f, v->wilson_high);
    fputs("], \"upper95\": ", f);
    rl_json_number(f, v->upper95);
    fputc('}', f);
    rl_json_key(f, &first, "inject");
    fputc('[', f);
    for (int s = 0; s < cfg->n_specs; s++) {
        if (s)
            fputs(", ", f);
        rl_json_string(f, cfg->specs[s].text);
    }
    fputc(']', f);
    rl_json_key(f, &first, "default_profile");
    fputs(cfg->default_profile ? "true" : "false", f);
    rl_json_key(f, &first, "profile");
    rl_json_string(f, cfg->profile);
    rl_json_key(f, &first, "profile_spec");
    rl_json_string(f, cfg->profile_spec);
    rl_json_key(f, &first, "variant_spec");
    rl_json_string(f, cfg->variant_spec);
    rl_json_key(f, &first, "posix_faults");
    fputc('[', f);
    for (int i = 0; i < cfg->n_posix; i++) {
        fputs(i ? ", " : "", f);
        rl_json_string(f, cfg->posix_specs[i]);
    }
    fputc(']', f);
    rl_json_key(f, &first, "points");
    rl_print_point_counts(f, sc);
    rl_json_key(f, &first, "params");
    fputc('{', f);
    for (int i = 0; i < sc->n_params; i++) { /* every knob, as the run used it */
        fputs(i ? ", " : "", f);
        rl_json_string(f, sc->params[i].name);
        fprintf(f, ": %ld", rl_param(sc->params[i].name));
    }
    fputc('}', f);
    rl_json_key(f, &first, "timeout");
    rl_json_number(f, cfg->timeout);
    rl_json_key(f, &first, "batch_max");
    fprintf(f, "%d", res->batch_max);
    rl_json_key(f, &first, "until_fail");
    fputs(cfg->until_fail ? "true" : "false", f);
    rl_json_key(f, &first, "interrupted");
    fputs(res->interrupted ? "true" : "false", f);
    rl_json_key(f, &first, "version");
    rl_json_string(f, rl_version());
    fputs("}\n", f);
}

void rl_print_summary(FILE *f, const rl_scenario *sc, const rl_config *cfg, const rl_result *res,
                      const rl_verdict *v)
{
    const rl_variant *var = &sc->variants[cfg->variant];
    fprintf(f, "%s:%s  (%s, %s, %s, seed %llu)\n", sc->name, var->name,
            rl_expectation_name(var->expect), mode_name(cfg->mode), rl_flavour_name(),
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
        fprintf(f, "  scheduler %s: %llu schedules, %llu deadlocked%s\n", cfg->strategy,
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
    if (var->expect == RL_HOLDS)
        fprintf(f, "  per-trial failure probability < %.3g (95%% upper bound)\n", v->upper95);
    else
        fprintf(f, "  failure rate %.3g (95%% interval %.3g..%.3g)\n", v->rate, v->wilson_low,
                v->wilson_high);
    fprintf(f, "  verdict: %s — expectation %s\n", rl_verdict_name(v->verdict),
            !v->judged ? "not judged here (caught by tsan only, or needs a fault)"
            : v->met   ? "met"
                       : "NOT MET");
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
        rl_json_string(f, sc->variant_inject[i]);
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
        fputc('}', f);
    }
    fputs("]}\n", f);
}
