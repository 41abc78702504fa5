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
 * goes to a results folder like `racelab run`'s. */
#include "driver.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *record; /* a path or "-" */
    unsigned long long line;
    int line_given;
    const char *out_dir, *build_dir;
    double deadline;
} rerun_args;

typedef struct {
    run_options o;
    plan_item item;
    char **owned;
    int n_owned;
} rerun_plan;

/* --NAME VALUE or --NAME=VALUE at argv[*i]: 1 and *value, 0 when argv[*i]
 * is another option, -1 (message printed) when the value is missing. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        error_msg("%s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_args(int argc, char **argv, rerun_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            if (a->record != NULL) {
                error_msg("rerun wants one record, not '%s' too", argv[i]);
                return EXIT_USAGE;
            }
            a->record = argv[i];
        } else if ((r = option_value(argc, argv, &i, "--line", &v)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
            if (parse_whole(v, 1, 1ULL << 40, &a->line) != 0) {
                error_msg("--line wants a line number from 1, not '%s'", v);
                return EXIT_USAGE;
            }
            a->line_given = 1;
        } else if ((r = option_value(argc, argv, &i, "--out", &v)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
            if (*v == '\0') {
                error_msg("--out wants a folder");
                return EXIT_USAGE;
            }
            a->out_dir = v;
        } else if ((r = option_value(argc, argv, &i, "--build", &v)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
            a->build_dir = v;
        } else if ((r = option_value(argc, argv, &i, "--deadline", &v)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
            if (parse_seconds(v, 0.1, 864000, &a->deadline) != 0) {
                error_msg("--deadline wants seconds in [0.1, 864000], not '%s'", v);
                return EXIT_USAGE;
            }
        } else {
            error_msg("unknown option '%s' (rerun takes --line, --out, --build, --deadline)",
                      argv[i]);
            return EXIT_USAGE;
        }
    }
    if (a->record == NULL) {
        error_msg("rerun wants a record: a file holding one line of runs.jsonl, - for stdin, "
                  "or runs.jsonl with --line N");
        return EXIT_USAGE;
    }
    return 0;
}

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

/* The record's text: line a->line, or the one line that is not blank.
 * *where names it for messages. */
static int select_line(const char *text, const rerun_args *a, const char *name, char **out,
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
        if (a->line_given ? lineno == a->line : !blank(p, len)) {
            records++;
            if (found == NULL) {
                found = p;
                found_len = len;
                found_no = lineno;
            }
        }
        p += len + (nl != NULL);
    }
    if (a->line_given && found == NULL) {
        error_msg("%s has %llu line%s, no line %llu", name, lineno, lineno == 1 ? "" : "s",
                  a->line);
        return EXIT_USAGE;
    }
    if (found == NULL) {
        error_msg("%s holds no record", name);
        return EXIT_USAGE;
    }
    if (records > 1) {
        error_msg("%s holds %llu records: pick one with --line N", name, records);
        return EXIT_USAGE;
    }
    if (blank(found, found_len)) {
        error_msg("line %llu of %s is empty", found_no, name);
        return EXIT_USAGE;
    }
    *out = xmalloc(found_len + 1);
    memcpy(*out, found, found_len);
    (*out)[found_len] = '\0';
    *where = a->line_given ? xasprintf("line %llu of %s", found_no, name) : xstrdup(name);
    return 0;
}

static jv *read_record(const rerun_args *a, char **where)
{
    int from_stdin = strcmp(a->record, "-") == 0;
    const char *name = from_stdin ? "stdin" : a->record;
    FILE *f = from_stdin ? stdin : fopen(a->record, "r");
    if (f == NULL) {
        error_msg("cannot read the record %s: %s", a->record, strerror(errno));
        return NULL;
    }
    char *text = read_stream(f);
    if (!from_stdin)
        fclose(f);
    char *line = NULL;
    int rc = select_line(text, a, name, &line, where);
    free(text);
    if (rc != 0)
        return NULL;
    const char *err = NULL;
    jv *rec = jv_parse(line, strlen(line), &err);
    free(line);
    if (rec == NULL) {
        error_msg("%s is not a JSON record: %s", *where, err ? err : "invalid JSON");
        return NULL;
    }
    if (rec->type != JV_OBJECT || jv_string(jv_get(rec, "scenario")) == NULL ||
        jv_string(jv_get(rec, "variant")) == NULL) {
        error_msg("%s is not a run record (no scenario and variant)", *where);
        jv_free(rec);
        return NULL;
    }
    return rec;
}

static const char *number_text(const jv *v) { return v && v->type == JV_NUMBER ? v->text : NULL; }

/* The value after OPT in the record's command (the driver's field). */
static const char *command_value(const jv *rec, const char *opt)
{
    const jv *cmd = jv_get(rec, "command");
    for (size_t i = 0; cmd != NULL && cmd->type == JV_ARRAY && i + 1 < cmd->n; i++) {
        const char *word = jv_string(cmd->items[i]);
        if (word != NULL && strcmp(word, opt) == 0)
            return jv_string(cmd->items[i + 1]);
    }
    return NULL;
}

static const char *own(rerun_plan *p, char *s)
{
    p->owned = xrealloc(p->owned, (size_t)(p->n_owned + 1) * sizeof *p->owned);
    p->owned[p->n_owned++] = s;
    return s;
}

static const char *one_of(const char *value, const char *a, const char *b, const char *c)
{
    if (value == NULL)
        return NULL;
    if (strcmp(value, a) == 0 || strcmp(value, b) == 0 || (c != NULL && strcmp(value, c) == 0))
        return value;
    return NULL;
}

/* Which program, variant and flavour. */
static int record_item(const catalog *cat, const jv *rec, const char *where, plan_item *item)
{
    const char *scenario = jv_string(jv_get(rec, "scenario"));
    const char *variant = jv_string(jv_get(rec, "variant"));
    const scenario_info *sc = catalog_find(cat, scenario);
    if (sc == NULL) {
        char *known = catalog_names(cat);
        error_msg("%s: unknown scenario '%s' (known: %s)", where, scenario, known);
        free(known);
        return EXIT_USAGE;
    }
    const variant_info *var = NULL;
    for (int v = 0; v < sc->n_variants && var == NULL; v++)
        if (strcmp(sc->variants[v].name, variant) == 0)
            var = &sc->variants[v];
    if (var == NULL) {
        error_msg("%s: %s has no variant '%s' (see 'racelab describe %s')", where, scenario,
                  variant, scenario);
        return EXIT_USAGE;
    }
    const char *flavour = one_of(jv_string(jv_get(rec, "flavour")), "plain", "tsan", NULL);
    if (flavour == NULL) {
        error_msg("%s: the record's flavour is not plain or tsan", where);
        return EXIT_USAGE;
    }
    item->sc = sc;
    item->var = var;
    item->tsan = strcmp(flavour, "tsan") == 0;
    if (item->tsan && !sc->tsan_built) {
        error_msg("%s is not built (run 'make')", sc->tsan_path);
        return EXIT_HARNESS;
    }
    return 0;
}

/* The budget, seed and timeout. */
static int record_numbers(const jv *rec, const char *where, run_options *o)
{
    unsigned long long n;
    const char *trials = number_text(jv_get(rec, "trials"));
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
    const char *seed = number_text(jv_get(rec, "seed"));
    if (seed == NULL)
        seed = command_value(rec, "--seed");
    if (seed != NULL && parse_whole(seed, 0, ~0ULL, &n) != 0) {
        error_msg("%s: the seed '%s' is not a whole number", where, seed);
        return EXIT_USAGE;
    }
    if (seed == NULL)
        warn_msg("%s holds no seed: the rerun draws a new one", where);
    o->seed_text = seed;
    const char *timeout = number_text(jv_get(rec, "timeout"));
    if (timeout == NULL)
        timeout = command_value(rec, "--timeout");
    if (timeout != NULL) {
        if (parse_seconds(timeout, 0.05, 86400, &o->timeout) != 0) {
            error_msg("%s: the timeout '%s' is not seconds in [0.05, 86400]", where, timeout);
            return EXIT_USAGE;
        }
        o->timeout_text = timeout;
    }
    return 0;
}

/* Mode, strategy, schedule, profile, specs, params, POSIX faults. */
static int record_options(const jv *rec, const char *where, rerun_plan *p)
{
    run_options *o = &p->o;
    o->mode = one_of(jv_string(jv_get(rec, "mode")), "stress", "fuzz", "sched");
    if (o->mode == NULL) {
        error_msg("%s: the record's mode is not stress, fuzz or sched", where);
        return EXIT_USAGE;
    }
    int sched = strcmp(o->mode, "sched") == 0;
    const char *engine = jv_string(jv_get(rec, "engine"));
    if (!sched && engine != NULL && strcmp(engine, "naive") == 0)
        o->engine = engine;
    const jv *until = jv_get(rec, "until_fail");
    o->until_fail = until != NULL && until->type == JV_BOOL && until->boolean;
    if (sched) {
        const jv *s = jv_get(rec, "sched");
        o->strategy = jv_string(jv_get(s, "strategy"));
        o->replay = jv_string(jv_get(jv_get(rec, "first_failure"), "schedule"));
        if (o->replay == NULL)
            o->replay = jv_string(jv_get(s, "replay"));
    }
    const char *profile = jv_string(jv_get(rec, "profile"));
    const jv *dflt = jv_get(rec, "default_profile");
    if (profile == NULL && dflt != NULL && dflt->type == JV_BOOL && dflt->boolean)
        profile = "default";
    if (profile != NULL && strcmp(o->mode, "fuzz") == 0)
        o->profile = profile;
    /* the record names the spec its profile contributed: given by name */
    const char *skip = o->profile != NULL ? jv_string(jv_get(rec, "profile_spec")) : NULL;
    const jv *inject = jv_get(rec, "inject");
    const jv *params = jv_get(rec, "params");
    const jv *posix = jv_get(rec, "posix_faults");
    size_t n_inject = inject && inject->type == JV_ARRAY ? inject->n : 0;
    size_t n_params = params && params->type == JV_OBJECT ? params->n : 0;
    size_t n_posix = posix && posix->type == JV_ARRAY ? posix->n : 0;
    o->injects = xcalloc(n_inject + 1, sizeof *o->injects);
    o->params = xcalloc(n_params + 1, sizeof *o->params);
    o->posix_faults = xcalloc(n_posix + 1, sizeof *o->posix_faults);
    o->patterns = xcalloc(1, sizeof *o->patterns);
    for (size_t i = 0; i < n_inject; i++) {
        const char *spec = jv_string(inject->items[i]);
        if (spec == NULL) {
            error_msg("%s: an inject spec that is not a string", where);
            return EXIT_USAGE;
        }
        if (skip != NULL && strcmp(spec, skip) == 0) {
            skip = NULL; /* the profile's, given by name */
            continue;
        }
        o->injects[o->n_injects++] = spec;
    }
    for (size_t i = 0; i < n_params; i++) {
        const char *value = number_text(params->items[i]);
        if (value == NULL) {
            error_msg("%s: param '%s' is not a number", where, params->keys[i]);
            return EXIT_USAGE;
        }
        o->params[o->n_params++] = own(p, xasprintf("%s=%s", params->keys[i], value));
    }
    for (size_t i = 0; i < n_posix; i++) {
        const char *spec = jv_string(posix->items[i]);
        if (spec == NULL) {
            error_msg("%s: a posix_faults spec that is not a string", where);
            return EXIT_USAGE;
        }
        o->posix_faults[o->n_posix_faults++] = spec;
    }
    return 0;
}

/* "reproduced; first failure: deadlock at trial 1" */
static char *outcome_text(const jv *rec)
{
    const char *verdict = jv_string(jv_get(rec, "verdict"));
    const jv *ff = jv_get(rec, "first_failure");
    const char *cause = jv_string(jv_get(ff, "cause"));
    double trial;
    const char *trials = number_text(jv_get(rec, "trials"));
    if (cause == NULL)
        return xasprintf("%s; no failure in %s trials", verdict ? verdict : "?",
                         trials ? trials : "?");
    if (jv_number(jv_get(ff, "trial"), &trial) != 0)
        return xasprintf("%s; first failure: %s", verdict ? verdict : "?", cause);
    /* The record counts trials from 0. */
    return xasprintf("%s; first failure: %s in trial %.0f", verdict ? verdict : "?", cause,
                     trial + 1);
}

int cmd_rerun(int argc, char **argv)
{
    rerun_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    char *where = NULL;
    jv *rec = read_record(&a, &where);
    if (rec == NULL)
        return EXIT_USAGE;
    char *dir = a.build_dir ? xstrdup(a.build_dir) : self_dir();
    catalog cat;
    rc = catalog_load(&cat, dir);
    free(dir);
    rerun_plan p;
    memset(&p, 0, sizeof p);
    p.o.jobs = 1;
    p.o.timeout = 3.0;
    p.o.out_dir = a.out_dir;
    p.o.build_dir = a.build_dir;
    p.o.deadline = a.deadline;
    if (rc == 0)
        rc = record_item(&cat, rec, where, &p.item);
    if (rc == 0)
        rc = record_numbers(rec, where, &p.o);
    if (rc == 0)
        rc = record_options(rec, where, &p);
    if (rc == 0) {
        const char *run_id = jv_string(jv_get(rec, "run_id"));
        printf("rerun of %s (%s)\n", run_id ? run_id : p.item.sc->name, where);
        int n = 0;
        char **cmd = run_argv(&p.item, &p.o, &n);
        char *shown = xstrdup(relative_path(cmd[0]));
        free(cmd[0]);
        cmd[0] = shown;
        char *line = shell_join(cmd, n);
        printf("command: %s\n", line);
        free(line);
        free_argv(cmd);
        fflush(stdout);
        char *results = NULL;
        rc = drive(&p.o, &p.item, 1, 0, &results);
        jv *now = results ? last_record(results) : NULL;
        if (now != NULL) {
            char *was = outcome_text(rec), *is = outcome_text(now);
            printf("the record: %s\nthis rerun: %s\n", was, is);
            free(was);
            free(is);
        }
        jv_free(now);
        free(results);
    }
    for (int i = 0; i < p.n_owned; i++)
        free(p.owned[i]);
    free(p.owned);
    free_run_options(&p.o);
    free(where);
    jv_free(rec);
    return rc;
}
