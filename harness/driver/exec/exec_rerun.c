/* exec_rerun.c — `racelab rerun RECORD` of an exec record (one that has an
 * `exec` object): the run it names, again, through racelab exec.
 *
 * A record with a failure reruns that run: its own seed (--run-seed: the
 * seed the record gives it, not the campaign's), one run, --expect
 * reproduces, and in sched mode --replay of its schedule. A record without
 * one reruns the whole invocation: its seed, its runs (or seconds), its
 * expectation, in sched mode its strategy, and a shard's record (exec.shard, not
 * merged) its --shard K/N. Both keep the mode, timeout,
 * profile or inject specs, POSIX faults, --fail-on, --ok-status and --leaks, and
 * PROGRAM ARGS. A field of the wrong type is bad input (exit 2): nothing
 * runs. */
#include "core/json_io.h"
#include "core/runner.h"
#include "exec/exec.h"

#include <stdlib.h>
#include <string.h>

/* The field's text: a string, or a number's exact text; NULL when absent or
 * null; *bad when it is something else. */
static const char *text_of(json_object *rec, const char *key, const char **bad)
{
    json_object *v = jget(rec, key);
    if (v == NULL)
        return NULL;
    const char *s = jstring(v);
    if (s == NULL)
        s = jnumber_text(v);
    if (s == NULL)
        *bad = key;
    return s;
}

/* The field's string; NULL when absent or null; *bad when something else. */
static const char *string_of(json_object *rec, const char *key, const char **bad)
{
    json_object *v = jget(rec, key);
    if (v != NULL && jstring(v) == NULL)
        *bad = key;
    return jstring(v);
}

/* Every string of the array at `key`, each after OPT (none when NULL);
 * *bad unless an array of strings (or absent/null). */
static void add_each(arglist *w, json_object *rec, const char *key, const char *opt,
                     const char **bad)
{
    json_object *arr = jget(rec, key);
    if (arr == NULL)
        return;
    if (!json_object_is_type(arr, json_type_array)) {
        *bad = key;
        return;
    }
    for (size_t i = 0; i < jlen(arr); i++) {
        const char *s = jstring(jat(arr, i));
        if (s == NULL) {
            *bad = key;
            return;
        }
        if (opt != NULL)
            arglist_add(w, opt);
        arglist_add(w, s);
    }
}

/* A shard's record (exec.shard, not merged): --shard K/N, that shard again. */
static void add_shard(arglist *w, json_object *shard, const char **bad)
{
    const char *k = text_of(shard, "shard", bad), *n = text_of(shard, "shards", bad);
    if (k != NULL && n != NULL && !jtrue(jget(shard, "merged"))) {
        char *kn = xasprintf("%s/%s", k, n);
        arglist_opt(w, "--shard", kn);
        free(kn);
    }
}

int exec_rerun(json_object *rec, const char *where, const char *out_dir)
{
    json_object *x = jget(rec, "exec");
    const char *bad = NULL;
    arglist w = {0};
    arglist_add(&w, "exec");
    const char *mode = string_of(rec, "mode", &bad);
    if (mode != NULL)
        arglist_opt(&w, "--mode", mode);
    json_object *failures = jget(x, "failures");
    json_object *first = jlen(failures) > 0 ? jat(failures, 0) : NULL;
    if (failures != NULL && !json_object_is_type(failures, json_type_array))
        bad = "exec.failures";
    if (first != NULL) {
        const char *seed = text_of(first, "seed", &bad);
        if (seed == NULL)
            bad = "exec.failures[0].seed";
        else
            arglist_opt(&w, "--run-seed", seed);
        arglist_opt(&w, "--runs", "1");
        arglist_opt(&w, "--expect", "reproduces");
        const char *schedule = string_of(first, "schedule", &bad);
        if (schedule != NULL && mode != NULL && strcmp(mode, "sched") == 0)
            arglist_opt(&w, "--replay", schedule);
    } else {
        const char *seed = text_of(rec, "seed", &bad), *v;
        if (seed != NULL)
            arglist_opt(&w, "--seed", seed);
        json_object *budget = jget(x, "budget");
        if ((v = text_of(budget, "runs", &bad)) != NULL)
            arglist_opt(&w, "--runs", v);
        if ((v = text_of(budget, "seconds", &bad)) != NULL)
            arglist_opt(&w, "--seconds", v);
        if ((v = text_of(x, "run_seed", &bad)) != NULL)
            arglist_opt(&w, "--run-seed", v);
        if ((v = string_of(rec, "expectation", &bad)) != NULL)
            arglist_opt(&w, "--expect", v);
        if ((v = string_of(jget(rec, "sched"), "strategy", &bad)) != NULL)
            arglist_opt(&w, "--strategy", v);
        add_shard(&w, jget(x, "shard"), &bad);
    }
    const char *v;
    if ((v = text_of(rec, "timeout", &bad)) != NULL)
        arglist_opt(&w, "--timeout", v);
    if ((v = string_of(rec, "profile", &bad)) != NULL)
        arglist_opt(&w, "--profile", v);
    else
        add_each(&w, rec, "inject", "--inject", &bad);
    add_each(&w, rec, "posix_faults", "--posix-faults", &bad);
    if ((v = string_of(x, "fail_on", &bad)) != NULL)
        arglist_opt(&w, "--fail-on", v);
    if ((v = string_of(x, "ok_status", &bad)) != NULL)
        arglist_opt(&w, "--ok-status", v);
    if ((v = string_of(x, "leaks", &bad)) != NULL && strcmp(v, "ignore") == 0)
        arglist_opt(&w, "--leaks", v); /* records before --leaks have none: fail */
    if (out_dir != NULL)
        arglist_opt(&w, "--out", out_dir);
    arglist_add(&w, "--");
    const char *program = string_of(x, "program", &bad);
    if (program == NULL && bad == NULL)
        bad = "exec.program";
    if (program != NULL)
        arglist_add(&w, program);
    add_each(&w, x, "args", NULL, &bad);
    if (bad != NULL) {
        error_msg("rerun: %s: the exec record's '%s' is missing or not what racelab exec "
                  "wrote",
                  where, bad);
        free_argv(w.argv);
        return RL_EXIT_USAGE;
    }
    char *line = shell_join(w.argv + 1, w.argc - 1);
    printf("rerun of %s (%s)\ncommand: racelab exec %s\n", program, where, line);
    free(line);
    fflush(stdout);
    int rc = cmd_exec(w.argc - 1, w.argv + 1);
    free_argv(w.argv);
    return rc;
}
