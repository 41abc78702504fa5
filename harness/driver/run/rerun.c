/* rerun.c — `racelab rerun RECORD [--line N] [--out DIR] [--build DIR]
 * [--deadline S]`: one record of runs.jsonl run again the same way.
 *
 * RECORD is a file holding one JSON record, `-` for stdin, or a runs.jsonl
 * with --line N (1 is the first line). From the record: scenario, variant,
 * flavour, mode, seed, trials (as --trials; the command's budget when the
 * record has no trial count), timeout, engine, until_fail, params,
 * posix_faults, the inject specs — the profile by name (--profile) rather
 * than its spec — and in sched mode the strategy and, when the record holds
 * a failing schedule (first_failure.schedule), --replay of it. The new run
 * goes to a results folder like `racelab run`'s. Its options are options.c's.
 * A record of racelab exec is exec_rerun.c's. */
#include "../../../injectors/sched/schedule_text.h"
#include "core/json_io.h"
#include "core/paths.h"
#include "exec/exec.h"
#include "run/commands.h"
#include "run/drive.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How runs.jsonl marks a positive control that racelab run added. */
#define ROLE_CONTROL "\"role\": \"control\""

typedef struct {
    run_options o;
    plan_item item;
    char **owned;
    int n_owned;
} rerun_plan;

static char *read_stream(FILE *f)
{
    buffer b = {0};
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n, (size_t)1 << 30);
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* The record's text: line c->line, or the one line that is not blank.
 * *where names it for messages. */
static int select_line(const char *text, const command_line *c, const char *name, char **out,
                       char **where)
{
    unsigned long long lineno = 0, records = 0;
    const char *found = NULL;
    size_t found_len = 0;
    unsigned long long found_no = 0;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        /* without --line, the one run asked for: positive controls that
         * racelab run added beside a fix do not count */
        if (c->line_given
                ? lineno == c->line
                : !blank(p, len) && memmem(p, len, ROLE_CONTROL, strlen(ROLE_CONTROL)) == NULL) {
            records++;
            if (found == NULL) {
                found = p;
                found_len = len;
                found_no = lineno;
            }
        }
        p += len + (nl != NULL);
    }
    if (c->line_given && found == NULL) {
        error_msg("%s has %llu line%s, no line %llu", name, lineno, lineno == 1 ? "" : "s",
                  c->line);
        return RL_EXIT_USAGE;
    }
    if (found == NULL) {
        error_msg("%s holds no record", name);
        return RL_EXIT_USAGE;
    }
    if (records > 1) {
        error_msg("%s holds %llu records: pick one with --line N", name, records);
        return RL_EXIT_USAGE;
    }
    if (blank(found, found_len)) {
        error_msg("line %llu of %s is empty", found_no, name);
        return RL_EXIT_USAGE;
    }
    *out = xmalloc(found_len + 1);
    memcpy(*out, found, found_len);
    (*out)[found_len] = '\0';
    *where = c->line_given ? xasprintf("line %llu of %s", found_no, name) : xstrdup(name);
    return 0;
}

/* The run record in TEXT (line c->line, or its one line that is not blank),
 * or NULL after a one-line error. */
static json_object *parse_record(const char *text, const command_line *c, const char *name,
                                 char **where)
{
    char *line = NULL;
    int rc = select_line(text, c, name, &line, where);
    if (rc != 0)
        return NULL;
    const char *err = NULL;
    json_object *rec = NULL;
    rc = jparse(line, strlen(line), &rec, &err);
    free(line);
    if (rc != 0) {
        error_msg("%s is not a JSON record: %s", *where, err);
        return NULL;
    }
    if (!jis_object(rec) || jstring(jget(rec, "scenario")) == NULL ||
        jstring(jget(rec, "variant")) == NULL) {
        error_msg("%s is not a run record (no scenario and variant)", *where);
        json_object_put(rec);
        return NULL;
    }
    return rec;
}

static json_object *read_record(const command_line *c, const char *record, char **where)
{
    int from_stdin = strcmp(record, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(record, "r");
    if (f == NULL) {
        error_msg("cannot read the record %s: %s", record, strerror(errno));
        return NULL;
    }
    char *text = read_stream(f);
    if (!from_stdin)
        fclose(f);
    json_object *rec = parse_record(text, c, from_stdin ? "stdin" : record, where);
    free(text);
    return rec;
}

/* The value after OPT in the record's command (the driver's field). */
static const char *command_value(const json_object *rec, const char *opt)
{
    const json_object *cmd = jget(rec, "command");
    for (size_t i = 0; i + 1 < jlen(cmd); i++) {
        const char *word = jstring(jat(cmd, i));
        if (word != NULL && strcmp(word, opt) == 0)
            return jstring(jat(cmd, i + 1));
    }
    return NULL;
}

static const char *own(rerun_plan *p, char *s)
{
    p->owned = xrealloc(p->owned, (size_t)(p->n_owned + 1) * sizeof *p->owned);
    p->owned[p->n_owned++] = s;
    return s;
}

/* A number's exact text, kept (a 64-bit seed as it was written), or NULL. */
static const char *number_text(rerun_plan *p, json_object *v)
{
    const char *text = jnumber_text(v);
    return text != NULL ? own(p, xstrdup(text)) : NULL;
}

/* value when it is one of the NULL-terminated names, else NULL. */
static const char *one_of(const char *value, const char *const *names)
{
    for (int i = 0; value != NULL && names[i] != NULL; i++)
        if (strcmp(value, names[i]) == 0)
            return value;
    return NULL;
}

/* Which program, variant and flavour. */
static int record_item(const catalog *cat, const json_object *rec, const char *where,
                       plan_item *item)
{
    const char *scenario = jstring(jget(rec, "scenario"));
    const char *variant = jstring(jget(rec, "variant"));
    const scenario_info *sc = catalog_find(cat, scenario);
    if (sc == NULL) {
        char *known = catalog_names(cat);
        error_msg("%s: unknown scenario '%s' (known: %s)", where, scenario, known);
        free(known);
        return RL_EXIT_USAGE;
    }
    const variant_info *var = NULL;
    for (int v = 0; v < sc->n_variants && var == NULL; v++)
        if (strcmp(sc->variants[v].name, variant) == 0)
            var = &sc->variants[v];
    if (var == NULL) {
        error_msg("%s: %s has no variant '%s' (see 'racelab describe %s')", where, scenario,
                  variant, scenario);
        return RL_EXIT_USAGE;
    }
    const char *flavour =
        one_of(jstring(jget(rec, "flavour")), (const char *const[]){"plain", "tsan", NULL});
    if (flavour == NULL) {
        error_msg("%s: the record's flavour is not plain or tsan", where);
        return RL_EXIT_USAGE;
    }
    item->sc = sc;
    item->var = var;
    item->tsan = strcmp(flavour, "tsan") == 0;
    if (item->tsan && !sc->tsan_built) {
        error_msg("%s is not built (run 'make')", sc->tsan_path);
        return RL_EXIT_HARNESS;
    }
    return 0;
}

/* The budget, seed and timeout. */
static int record_numbers(const json_object *rec, const char *where, rerun_plan *p)
{
    run_options *o = &p->o;
    unsigned long long n;
    const char *trials = number_text(p, jget(rec, "trials"));
    if (trials == NULL || parse_whole(trials, 1, 1ULL << 50, &n) != 0) {
        /* No trial graded (a crash, an error): the budget the run was given. */
        trials = command_value(rec, "--trials");
        if (trials != NULL && parse_whole(trials, 1, 1ULL << 50, &n) != 0)
            trials = NULL;
        const char *seconds = command_value(rec, "--seconds");
        if (trials == NULL && seconds != NULL &&
            parse_seconds(seconds, 0, 86400, &o->seconds) == 0 && o->seconds > 0)
            o->seconds_text = seconds;
    }
    o->trials_text = trials;
    const char *seed = number_text(p, jget(rec, "seed"));
    if (seed == NULL)
        seed = command_value(rec, "--seed");
    if (seed != NULL && parse_whole(seed, 0, ~0ULL, &n) != 0) {
        error_msg("%s: the seed '%s' is not a whole number", where, seed);
        return RL_EXIT_USAGE;
    }
    if (seed == NULL)
        warn_msg("%s holds no seed: the rerun draws a new one", where);
    o->has_seed = seed != NULL;
    o->seed = seed != NULL ? n : 0;
    const char *timeout = number_text(p, jget(rec, "timeout"));
    if (timeout == NULL)
        timeout = command_value(rec, "--timeout");
    if (timeout != NULL) {
        if (parse_seconds(timeout, 0.05, 86400, &o->timeout) != 0) {
            error_msg("%s: the timeout '%s' is not seconds in [0.05, 86400]", where, timeout);
            return RL_EXIT_USAGE;
        }
        o->timeout_text = timeout;
    }
    return 0;
}

/* Mode, strategy, schedule, profile, specs, params, POSIX faults. */
static int record_options(const json_object *rec, const char *where, rerun_plan *p)
{
    run_options *o = &p->o;
    o->has_mode = rl_mode_parse(jstring(jget(rec, "mode")), &o->mode) == 0;
    if (!o->has_mode) {
        error_msg("%s: the record's mode is not stress, fuzz or sched", where);
        return RL_EXIT_USAGE;
    }
    int sched = o->mode == RL_MODE_SCHED;
    const char *engine = jstring(jget(rec, "engine"));
    if (!sched && engine != NULL && strcmp(engine, "naive") == 0)
        o->engine = engine;
    o->until_fail = jtrue(jget(rec, "until_fail"));
    if (sched) {
        const json_object *s = jget(rec, "sched");
        const char *strategy = jstring(jget(s, "strategy"));
        if (strategy != NULL && rl_parse_strategy(strategy, &o->strategy) != 0) {
            error_msg("%s: the record's strategy '%s' is not random, pct:D or dfs:B", where,
                      strategy);
            return RL_EXIT_USAGE;
        }
        o->has_strategy = strategy != NULL;
        o->replay = jstring(jget(jget(rec, "first_failure"), "schedule"));
        if (o->replay == NULL)
            o->replay = jstring(jget(s, "replay"));
    }
    const char *profile = jstring(jget(rec, "profile"));
    if (profile == NULL && jtrue(jget(rec, "default_profile")))
        profile = "default";
    if (profile != NULL && (o->mode == RL_MODE_FUZZ || o->mode == RL_MODE_BOTH))
        o->profile = profile;
    /* the record names the spec its profile contributed: given by name */
    const char *skip = o->profile != NULL ? jstring(jget(rec, "profile_spec")) : NULL;
    const json_object *inject = jget(rec, "inject");
    json_object *params = jget(rec, "params");
    const json_object *posix = jget(rec, "posix_faults");
    size_t n_params = jis_object(params) ? (size_t)json_object_object_length(params) : 0;
    o->injects = xcalloc(jlen(inject) + 1, sizeof *o->injects);
    o->params = xcalloc(n_params + 1, sizeof *o->params);
    o->posix_faults = xcalloc(jlen(posix) + 1, sizeof *o->posix_faults);
    for (size_t i = 0; i < jlen(inject); i++) {
        const char *spec = jstring(jat(inject, i));
        if (spec == NULL) {
            error_msg("%s: an inject spec that is not a string", where);
            return RL_EXIT_USAGE;
        }
        if (skip != NULL && strcmp(spec, skip) == 0) {
            skip = NULL; /* the profile's, given by name */
            continue;
        }
        if (!spec_applies(p->item.sc, spec)) { /* it would be left out of the command */
            error_msg("%s: the inject spec '%s' matches no point of %s (see 'racelab describe %s')",
                      where, spec, p->item.sc->name, p->item.sc->name);
            return RL_EXIT_USAGE;
        }
        o->injects[o->n_injects++] = spec;
    }
    if (n_params > 0) {
        struct json_object_iterator it = json_object_iter_begin(params);
        struct json_object_iterator end = json_object_iter_end(params);
        for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
            const char *key = json_object_iter_peek_name(&it);
            const char *value = jnumber_text(json_object_iter_peek_value(&it));
            if (value == NULL) {
                error_msg("%s: param '%s' is not a number", where, key);
                return RL_EXIT_USAGE;
            }
            o->params[o->n_params++] = own(p, xasprintf("%s=%s", key, value));
        }
    }
    for (size_t i = 0; i < jlen(posix); i++) {
        const char *spec = jstring(jat(posix, i));
        if (spec == NULL) {
            error_msg("%s: a posix_faults spec that is not a string", where);
            return RL_EXIT_USAGE;
        }
        o->posix_faults[o->n_posix_faults++] = spec;
    }
    return 0;
}

/* Everything a rerun takes from the record, as far as the driver judges it
 * (the programs judge the rest: check_passthrough). */
static int plan_record(const catalog *cat, const json_object *rec, const char *where,
                       const run_options *given, rerun_plan *p)
{
    memset(p, 0, sizeof *p);
    p->o.jobs = 1;
    p->o.timeout = 3.0;
    p->o.out_dir = given->out_dir;
    p->o.build_dir = given->build_dir;
    p->o.deadline = given->deadline;
    int rc = record_item(cat, rec, where, &p->item);
    if (rc == 0)
        rc = record_numbers(rec, where, p);
    if (rc == 0)
        rc = record_options(rec, where, p);
    return rc;
}

static void free_plan(rerun_plan *p)
{
    for (int i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p->owned);
    free_run_options(&p->o);
}

int rerun_command_of(const catalog *cat, const char *text, const command_line *c, char ***argv,
                     int *argc)
{
    *argv = NULL;
    *argc = 0;
    char *where = NULL;
    json_object *rec = parse_record(text, c, "the record", &where);
    if (rec == NULL) {
        free(where);
        return RL_EXIT_USAGE;
    }
    rerun_plan p;
    int rc = plan_record(cat, rec, where, &c->o, &p);
    if (rc == 0)
        *argv = run_argv(&p.item, &p.o, argc);
    free_plan(&p);
    free(where);
    json_object_put(rec);
    return rc;
}

/* "reproduced; first failure: deadlock at trial 1" */
static char *outcome_text(const json_object *rec)
{
    const char *verdict = jstring(jget(rec, "verdict"));
    const json_object *ff = jget(rec, "first_failure");
    const char *cause = jstring(jget(ff, "cause"));
    double trial;
    const char *trials = jnumber_text(jget(rec, "trials"));
    if (cause == NULL)
        return xasprintf("%s; no failure in %s trials", verdict ? verdict : "?",
                         trials ? trials : "?");
    if (jnumber(jget(ff, "trial"), &trial) != 0)
        return xasprintf("%s; first failure: %s", verdict ? verdict : "?", cause);
    /* The record counts trials from 0. */
    return xasprintf("%s; first failure: %s in trial %.0f", verdict ? verdict : "?", cause,
                     trial + 1);
}

/* The checked record run again: the command, the table, the outcomes. */
static int rerun(const json_object *rec, const char *where, rerun_plan *p)
{
    const char *run_id = jstring(jget(rec, "run_id"));
    printf("rerun of %s (%s)\n", run_id ? run_id : p->item.sc->name, where);
    int n = 0;
    char **cmd = run_argv(&p->item, &p->o, &n);
    char *shown = xstrdup(relative_path(cmd[0]));
    free(cmd[0]);
    cmd[0] = shown;
    char *line = shell_join(cmd, n);
    printf("command: %s\n", line);
    free(line);
    free_argv(cmd);
    fflush(stdout);
    char *results = NULL;
    int rc = drive(&p->o, &p->item, 1, 0, &results);
    json_object *now = results ? last_record(results) : NULL;
    if (now != NULL) {
        char *was = outcome_text(rec), *is = outcome_text(now);
        printf("the record: %s\nthis rerun: %s\n", was, is);
        free(was);
        free(is);
    }
    json_object_put(now);
    free(results);
    return rc;
}

int cmd_rerun(const command_line *c)
{
    if (c->n_args != 1) {
        if (c->n_args > 1)
            error_msg("rerun wants one record, not '%s' too", c->args[1]);
        else
            error_msg("rerun wants a record: a file holding one line of runs.jsonl, - for "
                      "stdin, or runs.jsonl with --line N");
        return RL_EXIT_USAGE;
    }
    char *where = NULL;
    json_object *rec = read_record(c, c->args[0], &where);
    if (rec == NULL) {
        free(where);
        return RL_EXIT_USAGE;
    }
    if (jis_object(jget(rec, "exec"))) { /* a record of racelab exec */
        int rc = exec_rerun(rec, where, c->o.out_dir);
        free(where);
        json_object_put(rec);
        return rc;
    }
    char *dir = c->o.build_dir ? xstrdup(c->o.build_dir) : rl_home();
    catalog cat;
    int rc = catalog_load(&cat, dir);
    free(dir);
    rerun_plan p;
    memset(&p, 0, sizeof p);
    if (rc == 0)
        rc = plan_record(&cat, rec, where, &c->o, &p);
    /* what the record holds is the program's to judge, before anything runs */
    if (rc == 0)
        rc = check_passthrough(&p.item, 1, &p.o);
    if (rc == 0)
        rc = rerun(rec, where, &p);
    free_plan(&p);
    free(where);
    json_object_put(rec);
    catalog_free(&cat);
    return rc;
}
