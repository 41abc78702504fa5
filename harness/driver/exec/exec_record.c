/* exec_record.c — the one record of an exec invocation: the run record every
 * writer fills (rl_record, docs/racelab-record.5.md), with runs as its trials and
 * the outcomes of exec_outcome.c, judged by the one grader (rl_judge_counts)
 * against --expect; then the fields only exec mode has, under "exec"
 * (docs/racelab-exec.1.md). Built once as a json-c object and written once
 * through the record sink (core/record_sink.c), whole or not at all. */
#include "core/json_io.h"
#include "core/record_sink.h"
#include "core/util.h"
#include "exec/exec.h"

#include "../../../injectors/points/points.h"
#include "../../../injectors/sched/schedule_text.h"
#include "../../common/record.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

exec_grade_counts exec_tally_counts(const exec_context *x, const exec_tally *t)
{
    return (exec_grade_counts){.expect = x->o->expect,
                               .tsan = x->p->tsan,
                               .runs = t->runs,
                               .failures = t->failures,
                               .tsan_reports = t->tsan_reports,
                               .spawn_failures = t->spawn_failures,
                               .error = t->error,
                               .interrupted = t->interrupted,
                               .output_failed = t->output_failed};
}

void exec_judge(const exec_grade_counts *g, rl_verdict *v)
{
    if (g->error != NULL) { /* nothing that ran can be judged */
        rl_judge_error(v);
        return;
    }
    rl_grade_input in = {
        .expect = (rl_expectation)g->expect,
        .caught_by = RL_CAUGHT_BY_ANY,
        .needs_fault = 0,
        .points_act = 1,
        .tsan_flavour = g->tsan,
        .trials = g->runs,
        .forbidden = g->failures,
        .interesting = 0,
        .tsan_reports = g->tsan_reports,
    };
    rl_judge_counts(&in, v);
}

int exec_exit_status(const exec_grade_counts *g, const rl_verdict *v)
{
    if (g->interrupted)
        return RL_EXIT_INTERRUPTED;
    if (g->spawn_failures > 0 || g->runs == 0 || g->error != NULL || g->output_failed)
        return RL_EXIT_HARNESS;
    if (v->met)
        return RL_EXIT_MET;
    return v->verdict == RL_VERDICT_FAILS ? RL_EXIT_FIX_FAILED : RL_EXIT_WEAK;
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

static json_object *jint_or_null(int present, long long n)
{
    return present ? json_object_new_int64(n) : NULL;
}

/* One object from KEY, VALUE pairs (each value a new reference, NULL: null). */
typedef struct {
    const char *key;
    json_object *value;
} field;

static json_object *object_of(const field *fields, size_t n)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        json_object_object_add(o, fields[i].key, fields[i].value);
    return o;
}

static json_object *failure_json(const exec_failure *e, const char *rerun)
{
    const field fields[] = {
        {"run", jcount(e->run)},
        {"seed", jcount(e->seed)},
        {"outcome", jtext(exec_outcome_name(e->outcome))},
        {"cause", jtext(e->cause)},
        {"at", jreal(e->at)},
        {"duration", jreal(e->duration)},
        {"exit_status", jint_or_null(e->exit_status >= 0, e->exit_status)},
        {"signal", jtext(e->signal)},
        {"output_file", jtext(e->output_file)},
        {"output_cut", json_object_new_boolean(e->output_cut)},
        {"stacks_file", jtext(e->stacks_file)},
        {"stacks_note", jtext(e->stacks_note)},
        {"tsan_log", jtext(e->tsan_log)},
        {"sanitizer_log", jtext(e->sanitizer_log)},
        {"schedule", jtext(e->schedule)},
        {"preemptions", jint_or_null(e->schedule != NULL, e->preemptions)},
        {"waits", jtext(e->waits)},
        {"rerun", jtext(rerun)},
    };
    return object_of(fields, sizeof fields / sizeof fields[0]);
}

static json_object *text_array(char *const *items, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, jtext(items[i]));
    return a;
}

/* The sanitizers of a build (exec_elf.c's RL_SAN_* bits), by name. */
static json_object *sanitizers_json(int bits)
{
    static const struct {
        int bit;
        const char *name;
    } sans[] = {{RL_SAN_ASAN, "asan"},
                {RL_SAN_LSAN, "lsan"},
                {RL_SAN_UBSAN, "ubsan"},
                {RL_SAN_MSAN, "msan"}};
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < sizeof sans / sizeof *sans; i++)
        if (bits & sans[i].bit)
            json_object_array_add(a, jtext(sans[i].name));
    return a;
}

static const char *forks_note(const exec_context *x, const exec_tally *t)
{
    if (t->runs_forked == 0)
        return NULL;
    return x->o->sched ? "the program started other processes: a forked child runs "
                         "unscheduled (real pthreads, outside the schedule); a program it "
                         "executes runs under a scheduler of its own"
                       : "the program started other processes: they ran with the "
                         "preload too, with the run's seed; their counts are in points";
}

static json_object *failures_json(const exec_context *x, const exec_tally *t)
{
    json_object *failures = json_object_new_array();
    for (int i = 0; i < t->n_failed; i++) {
        char *rerun = exec_rerun_command(x, &t->failed[i]);
        json_object_array_add(failures, failure_json(&t->failed[i], rerun));
        free(rerun);
    }
    return failures;
}

/* The program's bytes into *h (its content, not its path: shards run it from anywhere). */
static void hash_file(uint64_t *h, const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    while (f != NULL && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fnv_bytes(h, buf, n);
    fnv_text(h, f != NULL && !ferror(f) ? "read" : "unreadable");
    if (f != NULL)
        fclose(f);
}

char *exec_campaign_hash(const exec_context *x)
{
    const exec_options *o = x->o;
    uint64_t h = FNV_OFFSET;
    hash_file(&h, x->p->path);
    char strategy[32] = "";
    if (o->sched)
        rl_format_strategy(&o->strategy_spec, strategy, sizeof strategy);
    char *numbers = xasprintf("seed %llu runs %llu seconds %.17g timeout %.17g shards %d",
                              (unsigned long long)o->seed, o->runs_given ? o->runs : 0ULL,
                              o->seconds, o->timeout, o->shard_n);
    const char *words[] = {x->p->name,
                           o->mode,
                           strategy,
                           numbers,
                           o->replay ? o->replay : "-",
                           o->shrink ? "shrink" : "-",
                           o->until_fail ? "until-fail" : "-",
                           rl_expectation_name((rl_expectation)o->expect),
                           o->profile ? o->profile : "-",
                           o->fail_on ? o->fail_on : "-",
                           o->ok_status_text,
                           o->leaks_ignore ? "ignore" : "fail"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        fnv_text(&h, words[i]);
    free(numbers);
    for (int i = 1; i < o->argc; i++)
        fnv_text(&h, o->argv[i]);
    fnv_text(&h, "inject");
    for (int i = 0; i < o->n_injects; i++)
        fnv_text(&h, o->injects[i]);
    fnv_text(&h, "posix");
    for (int i = 0; i < o->n_posix; i++)
        fnv_text(&h, o->posix_faults[i]);
    return xasprintf("%016llx", (unsigned long long)h);
}

/* exec.shard: which part of which campaign (null when not sharded). */
static json_object *shard_json(const exec_context *x)
{
    const exec_options *o = x->o;
    if (o->shard_n == 0)
        return NULL;
    char *campaign = exec_campaign_hash(x);
    char *split = xasprintf("runs i with i mod %d = %d", o->shard_n, o->shard_k);
    const field fields[] = {
        {"shard", json_object_new_int(o->shard_k + 1)}, /* from 1, as --shard K/N */
        {"shards", json_object_new_int(o->shard_n)},
        {"campaign", jtext(campaign)},
        {"split", jtext(split)},
        {"merged", json_object_new_boolean(0)},
    };
    free(campaign);
    free(split);
    return object_of(fields, sizeof fields / sizeof fields[0]);
}

/* --strategy fuzz's corpus (exec_fuzz.c), or null. */
static json_object *fuzz_json(const exec_options *o, const exec_tally *t)
{
    if (t->fuzz == NULL)
        return NULL;
    const field fields[] = {
        {"corpus", jtext(o->corpus)},
        {"loaded", json_object_new_int(t->corpus_loaded)},
        {"added", jcount(t->corpus_added)},
        {"entries", json_object_new_int(rl_fuzz_corpus_size(t->fuzz))},
        {"pairs_seen", json_object_new_int(rl_fuzz_pairs_seen(t->fuzz))},
        {"unsaved", jcount(t->corpus_unsaved)},
    };
    return object_of(fields, sizeof fields / sizeof fields[0]);
}

static json_object *exec_fields(const exec_context *x, const exec_tally *t)
{
    const exec_options *o = x->o;
    json_object *budget = json_object_new_object(); /* --runs, --seconds, or both */
    if (o->runs_given)
        json_object_object_add(budget, "runs", jcount(o->runs));
    if (o->seconds > 0)
        json_object_object_add(budget, "seconds", jreal(o->seconds));
    const char *launch_note = NULL;
    const char *launch = exec_fs_launch(x, &launch_note); /* before: it sets launch_note */
    const field fields[] = {
        {"program", jtext(x->p->path)},
        {"args", text_array(o->argv + 1, o->argc - 1)},
        {"script", json_object_new_boolean(x->p->script)},
        {"tsan_detected_by", jtext(x->p->tsan_sign)},
        {"built_by", jtext(x->p->cc ? "racelab cc" : NULL)},
        {"sanitizers", sanitizers_json(x->p->sanitizers)},
        {"sanitizers_detected_by", jtext(x->p->san_sign)},
        {"leaks", jtext(o->leaks_ignore ? "ignore" : "fail")},
        {"raw_calls", text_array((char *const *)x->p->raw, x->p->n_raw)},
        {"budget", budget},
        {"jobs", json_object_new_int(o->jobs)},
        {"run_seeds", jtext(o->run_seed_given ? "run_seed (every run)" : "splitmix64(seed, run)")},
        {"run_seed", o->run_seed_given ? jcount(o->run_seed) : NULL}, /* --run-seed, or null */
        {"failures", failures_json(x, t)},
        {"fail_on", jtext(o->fail_on)},
        {"ok_status", jtext(o->ok_status_text)},
        {"library", jtext(x->s->library)},
        {"preload", jtext(x->s->preload)},
        {"runs_counted", jcount(t->runs_counted)},
        {"forked_runs", jcount(t->runs_forked)},
        {"forks_note", jtext(forks_note(x, t))},
        {"left_control", jcount(t->left_control)},
        {"unscheduled", jcount(t->unscheduled)},
        {"spins", jcount(t->spins)},
        {"spin", jtext(t->spin_where)},
        {"unrecorded", jcount(t->unrecorded)},
        {"escaped", jcount(t->escaped)},
        {"left_behind", jcount(t->left_behind)},
        {"rerun", jcount(t->rerun)},
        {"lost", jcount(t->lost)},
        {"error", jtext(t->error)},
        {"shrink_runs", jcount(t->shrink_runs)},
        {"spawn_failures", jcount(t->spawn_failures)},
        {"output_failed", json_object_new_boolean(t->output_failed)},
        {"shard", shard_json(x)},
        {"launch", jtext(launch)},
        {"launch_note", jtext(launch_note)},
        {"pin", json_object_new_boolean(o->pin)},
        {"fuzz", fuzz_json(o, t)},
        {"results", jtext(x->dir)},
    };
    return object_of(fields, sizeof fields / sizeof fields[0]);
}

/* The points hit, with the spec acting on each; how many. */
static int points_hit(const exec_setup *s, const exec_tally *t,
                      rl_point_record points[RL_EXEC_N_POINTS])
{
    const char *spec_of[RL_EXEC_N_POINTS];
    point_specs(s, spec_of);
    int n = 0;
    for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
        if (t->points.hits[p] == 0)
            continue;
        rl_point_record *r = &points[n++];
        memset(r, 0, sizeof *r);
        r->name = rl_exec_point_name(p);
        r->spec = spec_of[p];
        r->actors = 1;
        r->hits[0] = t->points.hits[p];
        r->fired[0] = t->points.fired[p];
    }
    return n;
}

/* The record's sched object. */
static void fill_sched(rl_record *r, const exec_options *o, const exec_tally *t)
{
    r->sched.present = 1;
    r->sched.strategy = o->strategy;
    r->sched.schedules = t->runs + t->diverged;
    r->sched.deadlocks = t->deadlocks;
    r->sched.diverged = t->diverged;
    r->sched.exhausted = t->exhausted;
    r->sched.max_steps = t->max_steps;
    r->sched.replay = o->replay;
    if (t->shrunk.present) {
        r->sched.shrunk.present = 1;
        r->sched.shrunk.schedule = t->shrunk.schedule;
        r->sched.shrunk.preemptions = t->shrunk.preemptions;
        r->sched.shrunk.minimal = t->shrunk.minimal;
        r->sched.shrunk.cause = t->shrunk.cause;
        r->sched.shrunk.waits = t->shrunk.waits;
        r->sched.shrunk.trace = t->shrunk.trace;
    }
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
    rl_point_record points[RL_EXEC_N_POINTS];
    int n_points = points_hit(s, t, points);
    exec_grade_counts counts = exec_tally_counts(x, t);
    exec_judge(&counts, verdict);

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
    if (o->sched)
        fill_sched(&r, o, t);
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

    /* built once, as json-c: the one record, the exec fields inside it */
    json_object *rec = record_json(&r);
    json_object_object_add(rec, "exec", exec_fields(x, t));
    int rc = record_sink_write(x->sink, x->p->name, rec);
    json_object_put(rec);
    return rc;
}
