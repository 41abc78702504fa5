/* record_write.c — rl_record as one line of JSON (the schema is
 * docs/racelab-record.5.md "The record"; the keys appear in its order). */
#include "record.h"

#include "json_write.h"

static void string_array(FILE *f, const char *const *items, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        rl_json_string(f, items[i]);
    }
    fputc(']', f);
}

static void counts(FILE *f, const rl_named_count *items, int n)
{
    int first = 1;
    fputc('{', f);
    for (int i = 0; i < n; i++) {
        rl_json_key(f, &first, items[i].name);
        fprintf(f, "%llu", items[i].count);
    }
    fputc('}', f);
}

static void boolean(FILE *f, int value) { fputs(value ? "true" : "false", f); }

static void first_failure(FILE *f, const rl_failure_record *ff)
{
    if (!ff->present) {
        fputs("null", f);
        return;
    }
    fputs("{\"trial\": ", f);
    if (ff->trial < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", ff->trial);
    fputs(", \"seconds\": ", f);
    rl_json_number(f, ff->seconds);
    fputs(", \"cause\": ", f);
    rl_json_string(f, ff->cause);
    if (ff->has_schedule) {
        fputs(", \"schedule\": ", f);
        rl_json_string(f, ff->schedule);
        fprintf(f, ", \"preemptions\": %d, \"waits\": ", ff->preemptions);
        rl_json_string(f, ff->waits);
    }
    fputc('}', f);
}

static void sched(FILE *f, const rl_sched_record *s)
{
    if (!s->present) {
        fputs("null", f);
        return;
    }
    fputs("{\"strategy\": ", f);
    rl_json_string(f, s->strategy);
    fprintf(f, ", \"schedules\": %llu, \"deadlocks\": %llu, \"diverged\": %llu, \"exhausted\": ",
            s->schedules, s->deadlocks, s->diverged);
    boolean(f, s->exhausted);
    fprintf(f, ", \"max_steps\": %d, \"replay\": ", s->max_steps);
    rl_json_string(f, s->replay);
    if (s->fuzz.present)
        fprintf(f, ", \"fuzz\": {\"entries\": %d, \"failed\": %d, \"pairs_seen\": %d}",
                s->fuzz.entries, s->fuzz.failed, s->fuzz.pairs_seen);
    else
        fputs(", \"fuzz\": null", f);
    fputs(", \"shrunk\": ", f);
    if (!s->shrunk.present) {
        fputs("null}", f);
        return;
    }
    fputs("{\"schedule\": ", f);
    rl_json_string(f, s->shrunk.schedule);
    fprintf(f, ", \"preemptions\": %d, \"minimal\": ", s->shrunk.preemptions);
    boolean(f, s->shrunk.minimal);
    fputs(", \"cause\": ", f);
    rl_json_string(f, s->shrunk.cause);
    fputs(", \"waits\": ", f);
    rl_json_string(f, s->shrunk.waits);
    fputs(", \"trace\": ", f);
    rl_json_string(f, s->shrunk.trace);
    fputs("}}", f);
}

static void actor_counts(FILE *f, const char *label, const unsigned long long *row, int n)
{
    fprintf(f, ", \"%s\": [", label);
    for (int a = 0; a < n; a++)
        fprintf(f, "%s%llu", a ? ", " : "", row[a]);
    fputc(']', f);
}

static void points(FILE *f, const rl_point_record *p, int n)
{
    fputc('{', f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        rl_json_string(f, p[i].name);
        fputs(": {\"spec\": ", f);
        rl_json_string(f, p[i].spec);
        int actors = p[i].actors < RL_RECORD_MAX_ACTORS ? p[i].actors : RL_RECORD_MAX_ACTORS;
        actor_counts(f, "hits", p[i].hits, actors);
        actor_counts(f, "fired", p[i].fired, actors);
        actor_counts(f, "external", p[i].external, actors);
        fputc('}', f);
    }
    fputc('}', f);
}

static void stats(FILE *f, const rl_verdict *v)
{
    fprintf(f, "{\"failures\": %llu, \"rate\": ", v->failures);
    rl_json_number(f, v->rate);
    fputs(", \"wilson95\": [", f);
    rl_json_number(f, v->wilson_low);
    fputs(", ", f);
    rl_json_number(f, v->wilson_high);
    fputs("], \"upper95\": ", f);
    rl_json_number(f, v->upper95);
    fputc('}', f);
}

static void phases(FILE *f, const rl_phase_record *p, int n)
{
    if (p == NULL) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", {\"mode\": " : "{\"mode\": ", f);
        rl_json_string(f, p[i].mode);
        fprintf(f, ", \"trials\": %llu, \"forbidden\": %llu, \"seconds\": ", p[i].trials,
                p[i].forbidden);
        rl_json_number(f, p[i].seconds);
        fputs(", \"first_failure_trial\": ", f);
        if (p[i].first_failure_trial < 0)
            fputs("null", f);
        else
            fprintf(f, "%lld", p[i].first_failure_trial);
        fputc('}', f);
    }
    fputc(']', f);
}

static void control(FILE *f, const rl_control_record *c)
{
    if (!c->present) {
        fputs("null", f);
        return;
    }
    fputs("{\"variant\": ", f);
    rl_json_string(f, c->variant);
    fputs(", \"verdict\": ", f);
    rl_json_string(f, c->verdict);
    fprintf(f, ", \"failures\": %llu, \"trials\": %llu, \"rate\": ", c->failures, c->trials);
    rl_json_number(f, c->rate);
    fputs(", \"times_less_likely\": ", f);
    rl_json_number(f, c->times_less_likely);
    fputc('}', f);
}

void rl_record_write(FILE *f, const rl_record *r)
{
    int first = 1;
    fputc('{', f);
    rl_json_key(f, &first, "scenario");
    rl_json_string(f, r->scenario);
    rl_json_key(f, &first, "variant");
    rl_json_string(f, r->variant);
    rl_json_key(f, &first, "expectation");
    rl_json_string(f, r->expectation);
    rl_json_key(f, &first, "caught_by");
    rl_json_string(f, r->caught_by);
    rl_json_key(f, &first, "mode");
    rl_json_string(f, r->mode);
    rl_json_key(f, &first, "engine");
    rl_json_string(f, r->engine);
    rl_json_key(f, &first, "flavour");
    rl_json_string(f, r->flavour);
    rl_json_key(f, &first, "seed");
    if (r->has_seed)
        fprintf(f, "%llu", r->seed);
    else
        fputs("null", f);
    rl_json_key(f, &first, "trials");
    fprintf(f, "%llu", r->trials);
    rl_json_key(f, &first, "seconds");
    rl_json_number(f, r->seconds);
    rl_json_key(f, &first, "trials_per_s");
    rl_json_number(f, r->seconds > 0 ? (double)r->trials / r->seconds : 0);
    rl_json_key(f, &first, "outcomes");
    counts(f, r->outcomes, r->n_outcomes);
    rl_json_key(f, &first, "forbidden");
    fprintf(f, "%llu", r->verdict.forbidden);
    rl_json_key(f, &first, "interesting");
    fprintf(f, "%llu", r->verdict.interesting);
    rl_json_key(f, &first, "first_failure");
    first_failure(f, &r->first_failure);
    rl_json_key(f, &first, "sched");
    sched(f, &r->sched);
    rl_json_key(f, &first, "hangs");
    fprintf(f, "%llu", r->hangs);
    rl_json_key(f, &first, "hang");
    if (r->hang_actor_trials == NULL)
        fputs("null", f);
    else {
        fputs("{\"actor_trials\": [", f);
        for (int a = 0; a < r->n_hang_actors; a++)
            fprintf(f, "%s%lld", a ? ", " : "", r->hang_actor_trials[a]);
        fputs("]}", f);
    }
    rl_json_key(f, &first, "phases");
    phases(f, r->phases, r->n_phases);
    rl_json_key(f, &first, "crashes");
    fprintf(f, "%llu", r->crashes);
    rl_json_key(f, &first, "tsan");
    fputs("{\"enabled\": ", f);
    boolean(f, r->tsan_enabled);
    fprintf(f, ", \"reports\": %llu, \"kinds\": ", r->tsan_reports);
    counts(f, r->tsan_kinds, r->n_tsan_kinds);
    fputc('}', f);
    rl_json_key(f, &first, "verdict");
    rl_json_string(f, rl_verdict_name(r->verdict.verdict));
    rl_json_key(f, &first, "met");
    fputs(!r->verdict.judged ? "null" : r->verdict.met ? "true" : "false", f);
    rl_json_key(f, &first, "stats");
    stats(f, &r->verdict);
    rl_json_key(f, &first, "control");
    control(f, &r->control);
    rl_json_key(f, &first, "inject");
    string_array(f, r->inject, r->n_inject);
    rl_json_key(f, &first, "default_profile");
    if (r->default_profile < 0)
        fputs("null", f);
    else
        boolean(f, r->default_profile);
    rl_json_key(f, &first, "profile");
    rl_json_string(f, r->profile);
    rl_json_key(f, &first, "profile_spec");
    rl_json_string(f, r->profile_spec);
    rl_json_key(f, &first, "variant_spec");
    rl_json_string(f, r->variant_spec);
    rl_json_key(f, &first, "posix_faults");
    string_array(f, r->posix_faults, r->n_posix_faults);
    rl_json_key(f, &first, "points");
    points(f, r->points, r->n_points);
    rl_json_key(f, &first, "points_unhit");
    if (r->points_unhit == NULL)
        fputs("null", f);
    else
        string_array(f, r->points_unhit, r->n_points_unhit);
    rl_json_key(f, &first, "params");
    fputc('{', f);
    for (int i = 0; i < r->n_params; i++) {
        fputs(i ? ", " : "", f);
        rl_json_string(f, r->params[i].name);
        fprintf(f, ": %ld", r->params[i].value);
    }
    fputc('}', f);
    rl_json_key(f, &first, "timeout");
    rl_json_number(f, r->timeout);
    rl_json_key(f, &first, "batch_max");
    if (r->batch_max < 0)
        fputs("null", f);
    else
        fprintf(f, "%d", r->batch_max);
    rl_json_key(f, &first, "until_fail");
    boolean(f, r->until_fail);
    rl_json_key(f, &first, "interrupted");
    boolean(f, r->interrupted);
    rl_json_key(f, &first, "version");
    rl_json_string(f, r->version);
    fputs("}\n", f);
}
