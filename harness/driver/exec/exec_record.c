/* exec_record.c — the one record of an exec invocation: the run record every
 * writer fills (rl_record, docs/racelab-record.5.md), with runs as its trials and
 * the outcomes of exec_outcome.c, judged by the one grader (rl_judge_counts)
 * against --expect; then the fields only exec mode has, under "exec"
 * (docs/racelab-exec.1.md). */
#include "exec/exec.h"

#include "../../../injectors/points/points.h"
#include "../../common/json_write.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

static void judge(const exec_context *x, const exec_tally *t, rl_verdict *v)
{
    rl_grade_input in = {
        .expect = (rl_expectation)x->o->expect,
        .caught_by = RL_CAUGHT_BY_ANY,
        .needs_fault = 0,
        .points_act = 1,
        .tsan_flavour = x->p->tsan,
        .trials = t->runs,
        .forbidden = t->failures,
        .interesting = 0,
        .tsan_reports = t->tsan_reports,
    };
    rl_judge_counts(&in, v);
}

/* The spec acting on each point: the last one that matches it. */
static void point_specs(const exec_setup *s, const char *spec_of[RL_EXEC_N_POINTS])
{
    for (int p = 0; p < RL_EXEC_N_POINTS; p++)
        spec_of[p] = NULL;
    for (int i = 0; i < s->n_specs; i++) {
        rl_inject_spec spec;
        char err[256];
        if (rl_parse_inject(s->specs[i], &spec, err, sizeof err) != 0)
            continue;
        for (int p = 0; p < RL_EXEC_N_POINTS; p++)
            if (fnmatch(spec.pattern, rl_exec_point_name(p), 0) == 0)
                spec_of[p] = s->specs[i];
    }
}

static void key_string(FILE *f, int *first, const char *key, const char *value)
{
    rl_json_key(f, first, key);
    rl_json_string(f, value);
}

static void failure_json(FILE *f, const exec_failure *e, const char *rerun)
{
    int first = 1;
    fputc('{', f);
    rl_json_key(f, &first, "run");
    fprintf(f, "%llu", e->run);
    rl_json_key(f, &first, "seed");
    fprintf(f, "%llu", (unsigned long long)e->seed);
    key_string(f, &first, "outcome", exec_outcome_name(e->outcome));
    key_string(f, &first, "cause", e->cause);
    rl_json_key(f, &first, "at");
    rl_json_number(f, e->at);
    rl_json_key(f, &first, "duration");
    rl_json_number(f, e->duration);
    rl_json_key(f, &first, "exit_status");
    if (e->exit_status < 0)
        fputs("null", f);
    else
        fprintf(f, "%d", e->exit_status);
    key_string(f, &first, "signal", e->signal);
    key_string(f, &first, "output_file", e->output_file);
    key_string(f, &first, "stacks_file", e->stacks_file);
    key_string(f, &first, "stacks_note", e->stacks_note);
    key_string(f, &first, "tsan_log", e->tsan_log);
    key_string(f, &first, "sanitizer_log", e->sanitizer_log);
    key_string(f, &first, "schedule", e->schedule);
    rl_json_key(f, &first, "preemptions");
    if (e->schedule != NULL)
        fprintf(f, "%d", e->preemptions);
    else
        fputs("null", f);
    key_string(f, &first, "waits", e->waits);
    key_string(f, &first, "rerun", rerun);
    fputc('}', f);
}

static void exec_fields(FILE *f, const exec_context *x, const exec_tally *t)
{
    const exec_options *o = x->o;
    int first = 1;
    fputc('{', f);
    key_string(f, &first, "program", x->p->path);
    rl_json_key(f, &first, "args");
    fputc('[', f);
    for (int i = 1; i < o->argc; i++) {
        fputs(i > 1 ? ", " : "", f);
        rl_json_string(f, o->argv[i]);
    }
    fputc(']', f);
    rl_json_key(f, &first, "script");
    fputs(x->p->script ? "true" : "false", f);
    key_string(f, &first, "tsan_detected_by", x->p->tsan_sign);
    key_string(f, &first, "built_by", x->p->cc ? "racelab cc" : NULL);
    rl_json_key(f, &first, "sanitizers");
    fputc('[', f);
    static const struct {
        int bit;
        const char *name;
    } sans[] = {{RL_SAN_ASAN, "asan"},
                {RL_SAN_LSAN, "lsan"},
                {RL_SAN_UBSAN, "ubsan"},
                {RL_SAN_MSAN, "msan"}};
    for (size_t i = 0, n = 0; i < sizeof sans / sizeof *sans; i++)
        if (x->p->sanitizers & sans[i].bit) {
            fputs(n++ > 0 ? ", " : "", f);
            rl_json_string(f, sans[i].name);
        }
    fputc(']', f);
    key_string(f, &first, "sanitizers_detected_by", x->p->san_sign);
    key_string(f, &first, "leaks", x->o->leaks_ignore ? "ignore" : "fail");
    rl_json_key(f, &first, "raw_calls");
    fputc('[', f);
    for (int i = 0; i < x->p->n_raw; i++) {
        fputs(i > 0 ? ", " : "", f);
        rl_json_string(f, x->p->raw[i]);
    }
    fputc(']', f);
    rl_json_key(f, &first, "budget");
    fputc('{', f);
    if (o->runs_given)
        fprintf(f, "\"runs\": %llu%s", o->runs, o->seconds > 0 ? ", " : "");
    if (o->seconds > 0) {
        fputs("\"seconds\": ", f);
        rl_json_number(f, o->seconds);
    }
    fputc('}', f);
    rl_json_key(f, &first, "jobs");
    fprintf(f, "%d", o->jobs);
    const char *launch_note = NULL;
    key_string(f, &first, "launch", exec_fs_launch(x, &launch_note));
    key_string(f, &first, "launch_note", launch_note);
    key_string(f, &first, "run_seeds",
               o->run_seed_given ? "run_seed (every run)" : "splitmix64(seed, run)");
    rl_json_key(f, &first, "run_seed"); /* --run-seed, or null */
    if (o->run_seed_given)
        fprintf(f, "%llu", (unsigned long long)o->run_seed);
    else
        fputs("null", f);
    rl_json_key(f, &first, "failures");
    fputc('[', f);
    for (int i = 0; i < t->n_failed; i++) {
        fputs(i ? ", " : "", f);
        char *rerun = exec_rerun_command(x, &t->failed[i]);
        failure_json(f, &t->failed[i], rerun);
        free(rerun);
    }
    fputc(']', f);
    key_string(f, &first, "fail_on", o->fail_on);
    key_string(f, &first, "ok_status", o->ok_status_text);
    key_string(f, &first, "library", x->s->library);
    key_string(f, &first, "preload", x->s->preload);
    rl_json_key(f, &first, "runs_counted");
    fprintf(f, "%llu", t->runs_counted);
    rl_json_key(f, &first, "forked_runs");
    fprintf(f, "%llu", t->runs_forked);
    key_string(f, &first, "forks_note",
               t->runs_forked == 0 ? NULL
               : o->sched          ? "the program started other processes: a forked child runs "
                                     "unscheduled (real pthreads, outside the schedule); a program it "
                                     "executes runs under a scheduler of its own"
                                   : "the program started other processes: they ran with the "
                                     "preload too, with the run's seed; their counts are in points");
    rl_json_key(f, &first, "left_control");
    fprintf(f, "%llu", t->left_control);
    rl_json_key(f, &first, "unscheduled");
    fprintf(f, "%llu", t->unscheduled);
    rl_json_key(f, &first, "spins");
    fprintf(f, "%llu", t->spins);
    key_string(f, &first, "spin", t->spin_where);
    rl_json_key(f, &first, "unrecorded");
    fprintf(f, "%llu", t->unrecorded);
    rl_json_key(f, &first, "shrink_runs");
    fprintf(f, "%llu", t->shrink_runs);
    rl_json_key(f, &first, "spawn_failures");
    fprintf(f, "%llu", t->spawn_failures);
    key_string(f, &first, "results", x->dir);
    fputc('}', f);
}

int exec_write_record(const exec_context *x, const exec_tally *t, rl_verdict *verdict)
{
    const exec_options *o = x->o;
    const exec_setup *s = x->s;
    rl_named_count outcomes[EXEC_N_OUTCOMES];
    for (int i = 0; i < EXEC_N_OUTCOMES; i++)
        outcomes[i] = (rl_named_count){exec_outcome_name(i), t->outcomes[i]};
    rl_named_count kinds[EXEC_MAX_KINDS];
    for (int i = 0; i < t->n_kinds; i++)
        kinds[i] = (rl_named_count){t->kinds[i], t->kind_counts[i]};
    const char *spec_of[RL_EXEC_N_POINTS];
    point_specs(s, spec_of);
    rl_point_record points[RL_EXEC_N_POINTS];
    int n_points = 0;
    for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
        if (t->points.hits[p] == 0)
            continue;
        rl_point_record *r = &points[n_points++];
        memset(r, 0, sizeof *r);
        r->name = rl_exec_point_name(p);
        r->spec = spec_of[p];
        r->actors = 1;
        r->hits[0] = t->points.hits[p];
        r->fired[0] = t->points.fired[p];
    }
    judge(x, t, verdict);

    rl_record r;
    memset(&r, 0, sizeof r);
    r.scenario = x->p->name;
    r.variant = "exec";
    r.expectation = rl_expectation_name((rl_expectation)o->expect);
    r.caught_by = "any";
    r.mode = o->mode;
    r.flavour = x->p->tsan ? "tsan" : "plain";
    r.has_seed = 1;
    r.seed = o->seed;
    r.trials = t->runs;
    r.seconds = t->seconds;
    r.outcomes = outcomes;
    r.n_outcomes = EXEC_N_OUTCOMES;
    if (t->n_failed > 0) {
        r.first_failure.present = 1;
        r.first_failure.trial = (long long)t->failed[0].run;
        r.first_failure.seconds = t->failed[0].at;
        r.first_failure.cause = t->failed[0].cause;
        r.first_failure.has_schedule = t->failed[0].schedule != NULL;
        r.first_failure.schedule = t->failed[0].schedule;
        r.first_failure.preemptions = t->failed[0].preemptions;
        r.first_failure.waits = t->failed[0].waits;
    }
    if (o->sched) {
        r.sched.present = 1;
        r.sched.strategy = o->strategy;
        r.sched.schedules = t->runs + t->diverged;
        r.sched.deadlocks = t->deadlocks;
        r.sched.diverged = t->diverged;
        r.sched.exhausted = t->exhausted;
        r.sched.max_steps = t->max_steps;
        r.sched.replay = o->replay;
        if (t->shrunk.present) {
            r.sched.shrunk.present = 1;
            r.sched.shrunk.schedule = t->shrunk.schedule;
            r.sched.shrunk.preemptions = t->shrunk.preemptions;
            r.sched.shrunk.minimal = t->shrunk.minimal;
            r.sched.shrunk.cause = t->shrunk.cause;
            r.sched.shrunk.waits = t->shrunk.waits;
            r.sched.shrunk.trace = t->shrunk.trace;
        }
    }
    r.hangs = t->outcomes[EXEC_HANG];
    r.crashes = t->outcomes[EXEC_SIGNAL];
    r.tsan_enabled = x->p->tsan;
    r.tsan_reports = t->tsan_reports;
    r.tsan_kinds = kinds;
    r.n_tsan_kinds = t->n_kinds;
    r.verdict = *verdict;
    r.inject = s->specs;
    r.n_inject = s->n_specs;
    r.default_profile = s->default_profile;
    r.profile = s->profile;
    r.profile_spec = s->profile_spec;
    r.posix_faults = o->posix_faults;
    r.n_posix_faults = o->n_posix;
    r.points = points;
    r.n_points = n_points;
    r.timeout = o->timeout;
    r.batch_max = -1;
    r.until_fail = o->until_fail;
    r.interrupted = t->interrupted;
    r.version = RL_VERSION;

    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m == NULL)
        return -1;
    rl_record_write(m, &r);
    /* the record ends "}\n": the exec fields go inside it */
    fseeko(m, -2, SEEK_CUR);
    fputs(", \"exec\": ", m);
    exec_fields(m, x, t);
    fputs("}\n", m);
    if (fclose(m) != 0) {
        free(text);
        return -1;
    }
    char *path = xasprintf("%s/runs.jsonl", x->dir);
    FILE *f = fopen(path, "a");
    free(path);
    int rc = -1;
    if (f != NULL) {
        rc = fwrite(text, 1, strlen(text), f) == strlen(text) ? 0 : -1;
        if (fclose(f) != 0)
            rc = -1;
    }
    free(text);
    return rc;
}
