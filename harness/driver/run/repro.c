/* repro.c — `racelab repro NAME:VARIANT [--seed N] [--trials N]
 * [--flavour plain|tsan] [--strategy S] [--inject SPEC]... [--param K=N]...
 * [--timeout S] [--out DIR] [--build DIR]`: the variant in sched mode
 * (default --strategy pct:3, --trials 5000) with --until-fail --shrink, then
 * the minimal failing interleaving: its schedule, preemptions, whether it
 * is proven minimal, the cause, who waits for what, the trace, and the
 * command that replays it. The run's record goes to a results folder like
 * `racelab run`'s. Its options are options.c's (those of run that apply).
 *
 * Exit status: 0 a failure found and shown, 1 none within the budget, 2 bad
 * input (a variant only TSan catches cannot be reproduced by the scheduler:
 * one thread runs at a time, so TSan sees no race), 3 harness failure, 130
 * interrupted. */
#include "../../../injectors/sched/schedule_text.h"
#include "core/json_io.h"
#include "core/paths.h"
#include "run/commands.h"
#include "run/drive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPRO_TRIALS "5000"
#define REPRO_PCT_DEPTH 3 /* the default strategy: pct:3 */

typedef struct {
    char **argv;
    int argc;
} words;

static void add_word(words *w, const char *s)
{
    w->argv = xrealloc(w->argv, (size_t)(w->argc + 2) * sizeof *w->argv);
    w->argv[w->argc++] = xstrdup(s);
    w->argv[w->argc] = NULL;
}

static const char *text_or(const json_object *obj, const char *key, const char *fallback)
{
    const char *s = jstring(jget(obj, key));
    return s != NULL ? s : fallback;
}

/* The number's exact text (valid until it is asked again), or fallback. */
static const char *number_or(const json_object *obj, const char *key, const char *fallback)
{
    const char *text = jnumber_text(jget(obj, key));
    return text != NULL ? text : fallback;
}

/* The program's own command line that replays SCHEDULE. */
static char *replay_command(const plan_item *it, const run_options *o, const char *schedule,
                            const char *seed)
{
    words w = {NULL, 0};
    add_word(&w, relative_path(it->tsan ? it->sc->tsan_path : it->sc->plain_path));
    add_word(&w, "--variant");
    add_word(&w, it->var->name);
    add_word(&w, "--mode");
    add_word(&w, "sched");
    add_word(&w, "--replay");
    add_word(&w, schedule);
    int injects = 0;
    for (int i = 0; i < o->n_injects; i++) {
        if (!spec_applies(it->sc, o->injects[i]))
            continue;
        add_word(&w, "--inject");
        add_word(&w, o->injects[i]);
        injects++;
    }
    if (injects > 0 && seed != NULL) { /* a fault with p < 1 draws from it */
        add_word(&w, "--seed");
        add_word(&w, seed);
    }
    for (int i = 0; i < o->n_params; i++) {
        add_word(&w, "--param");
        add_word(&w, o->params[i]);
    }
    for (int i = 0; i < o->n_posix_faults; i++) {
        add_word(&w, "--posix-faults");
        add_word(&w, o->posix_faults[i]);
    }
    char *line = shell_join(w.argv, w.argc);
    free_argv(w.argv);
    return line;
}

static void print_trace(const char *trace)
{
    const char *p = trace;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        printf("  %.*s\n", len, p);
        p += len + (nl != NULL);
    }
}

/* What the record says about the failure; 0. */
static int report(const plan_item *it, const run_options *o, const json_object *rec)
{
    const json_object *ff = jget(rec, "first_failure");
    const json_object *shrunk = jget(jget(rec, "sched"), "shrunk");
    int have_shrunk = jis_object(shrunk);
    const json_object *best = have_shrunk ? shrunk : ff;
    const char *seed = number_or(rec, "seed", NULL);
    double trial;
    char where[64] = "";
    if (jnumber(jget(ff, "trial"), &trial) == 0) /* counted from 0 */
        snprintf(where, sizeof where, " in trial %.0f of %s", trial + 1,
                 number_or(rec, "trials", "?"));
    printf("%s:%s fails: %s%s (seed %s, %s, %s)\n", it->sc->name, it->var->name,
           text_or(ff, "cause", "?"), where, seed ? seed : "?",
           text_or(jget(rec, "sched"), "strategy", "?"), it->tsan ? "tsan" : "plain");
    const char *schedule = jstring(jget(best, "schedule"));
    if (schedule == NULL) {
        printf("no schedule: the program did not finish the failing trial (%s); see the "
               "record\n",
               text_or(ff, "cause", "?"));
        return 0;
    }
    printf("%s\n", have_shrunk ? "minimal failing interleaving (shrunk):"
                               : "failing interleaving (not shrunk):");
    printf("  schedule     %s\n", schedule);
    int proven = jtrue(jget(shrunk, "minimal"));
    printf("  preemptions  %s, %s\n", number_or(best, "preemptions", "?"),
           proven ? "proven minimal (every schedule with fewer preemptions was tried)"
                  : "not proven minimal (not every schedule with fewer preemptions was tried)");
    printf("  cause        %s\n", text_or(best, "cause", text_or(ff, "cause", "?")));
    const char *waits = jstring(jget(best, "waits"));
    if (waits != NULL)
        printf("  waits        %s\n", waits);
    const char *trace = jstring(jget(shrunk, "trace"));
    if (trace != NULL) {
        puts("trace:");
        print_trace(trace);
    }
    char *cmd = replay_command(it, o, schedule, seed);
    printf("replay it:\n  %s\n", cmd);
    free(cmd);
    return 0;
}

/* The options repro fixes or refuses; 0 or RL_EXIT_USAGE. */
static int repro_options(run_options *o)
{
    if (o->has_mode && o->mode != RL_MODE_SCHED) {
        error_msg("repro runs the controlled scheduler (sched mode), not --mode %s",
                  rl_mode_name(o->mode));
        return RL_EXIT_USAGE;
    }
    if (o->flavour_text != NULL && strcmp(o->flavour_text, "both") == 0) {
        error_msg("repro runs one flavour: --flavour plain (the default) or tsan");
        return RL_EXIT_USAGE;
    }
    if (o->n_patterns != 1) {
        error_msg("repro wants one NAME:VARIANT");
        return RL_EXIT_USAGE;
    }
    o->flavours = o->flavour_text != NULL && strcmp(o->flavour_text, "tsan") == 0 ? FLAVOUR_TSAN
                                                                                  : FLAVOUR_PLAIN;
    o->mode = RL_MODE_SCHED;
    o->has_mode = 1;
    o->until_fail = 1;
    o->shrink = 1;
    o->jobs = 1;
    if (!o->has_strategy) {
        o->strategy = (rl_strategy){.kind = RL_STRAT_PCT, .depth = REPRO_PCT_DEPTH};
        o->has_strategy = 1;
    }
    if (o->trials_text == NULL && o->seconds_text == NULL)
        o->trials_text = REPRO_TRIALS;
    return 0;
}

static int repro_target(const catalog *cat, run_options *o, plan_item **plan)
{
    int n = 0;
    int rc = plan_select(cat, o->patterns, o->n_patterns, o->flavours, plan, &n);
    if (rc != 0)
        return rc;
    if (n != 1) {
        error_msg("'%s' matches %d variants: repro wants one NAME:VARIANT", o->patterns[0], n);
        return RL_EXIT_USAGE;
    }
    const plan_item *it = &(*plan)[0];
    if (strcmp(it->var->caught_by, "tsan") == 0) {
        error_msg("%s:%s is caught by TSan only, which the controlled scheduler cannot do (one "
                  "thread runs at a time, so TSan sees no race): try 'racelab run %s:%s "
                  "--flavour tsan --mode fuzz'",
                  it->sc->name, it->var->name, it->sc->name, it->var->name);
        return RL_EXIT_USAGE;
    }
    if (it->tsan && !it->sc->tsan_built) {
        error_msg("%s is not built (run 'make')", it->sc->tsan_path);
        return RL_EXIT_HARNESS;
    }
    for (int i = 0; i < o->n_injects; i++) {
        const char *action = strrchr(o->injects[i], ':');
        if (action != NULL && strncmp(action, ":fail", 5) == 0 &&
            (action[5] == '\0' || action[5] == ','))
            continue;
        error_msg("--inject '%s': in sched mode only fault specs (PATTERN:fail[,p=P]) apply; "
                  "the scheduler decides timing",
                  o->injects[i]);
        return RL_EXIT_USAGE;
    }
    rc = plan_check_injects(cat, o->injects, o->n_injects);
    if (rc == 0)
        rc = check_passthrough(*plan, 1, o);
    return rc;
}

int cmd_repro(const command_line *c)
{
    run_options o = c->o;
    int rc = repro_options(&o);
    if (rc != 0)
        return rc;
    char *dir = o.build_dir ? xstrdup(o.build_dir) : rl_home();
    catalog cat;
    rc = catalog_load(&cat, dir);
    free(dir);
    plan_item *plan = NULL;
    if (rc == 0)
        rc = repro_target(&cat, &o, &plan);
    if (rc != 0) {
        free(plan);
        catalog_free(&cat);
        return rc;
    }
    const plan_item *it = &plan[0];
    char strategy[32];
    rl_format_strategy(&o.strategy, strategy, sizeof strategy);
    char seed_text[24] = "drawn";
    if (o.has_seed)
        snprintf(seed_text, sizeof seed_text, "%llu", o.seed);
    printf("repro: %s:%s under the controlled scheduler (%s), %s %s %s, seed %s; stops at "
           "the first failure and shrinks it\n",
           it->sc->name, it->var->name, strategy, o.trials_text ? "up to" : "for",
           o.trials_text ? o.trials_text : o.seconds_text, o.trials_text ? "trials" : "s",
           seed_text);
    fflush(stdout);
    char *results = NULL;
    int status = drive(&o, plan, 1, 1, &results);
    json_object *rec = results != NULL ? last_record(results) : NULL;
    const char *error = jstring(jget(rec, "error"));
    const json_object *ff = jget(rec, "first_failure");
    if (status == RL_EXIT_INTERRUPTED) {
        puts("interrupted");
        rc = status;
    } else if (rec == NULL || error != NULL) {
        if (results != NULL)
            error_msg("%s:%s: %s", it->sc->name, it->var->name,
                      error ? error : "the run left no record");
        rc = status >= RL_EXIT_USAGE ? status : RL_EXIT_HARNESS;
    } else if (!jis_object(ff)) {
        const char *seed = number_or(rec, "seed", "?");
        printf("no failure: %s:%s passed all %s trials (seed %s, %s); give more --trials or "
               "another --seed\n",
               it->sc->name, it->var->name, number_or(rec, "trials", "?"), seed, strategy);
        rc = RL_EXIT_FIX_FAILED;
    } else {
        rc = report(it, &o, rec);
    }
    if (results != NULL)
        printf("results: %s\n", results);
    json_object_put(rec);
    free(results);
    free(plan);
    catalog_free(&cat);
    return rc;
}
