/* main.c — racelab, the driver: runs scenario programs as child processes
 * and keeps the results.
 *
 *   racelab list [--json]
 *   racelab describe NAME [--json]
 *   racelab points [NAME] [--json]
 *   racelab run [PATTERN[:VARIANT]]... [options] [--shard K/N]
 *   racelab plan [PATTERN[:VARIANT]]... [--shards N] [--json]
 *   racelab merge DIR... --out DIR                     (merge.c)
 *   racelab rerun RECORD [--line N] [--out DIR]        (rerun.c)
 *   racelab repro NAME:VARIANT [options]                (repro.c)
 *   racelab parse-tsan FILE...
 *   racelab cc | c++ [--tsan] CLANG-ARGUMENTS...       (cc_main.c)
 *
 * Exit status: 0 every expectation met, 1 an expectation not met, 2 usage or
 * input error, 3 harness or environment failure, 130 interrupted. The command
 * lines and the help of every command are options.c's. */
#include "cc/cc.h"
#include "compare/compare.h"
#include "core/json_io.h"
#include "core/paths.h"
#include "core/summary.h"
#include "core/tsanlog.h"
#include "exec/exec.h"
#include "report/report.h"
#include "run/commands.h"
#include "run/drive.h"
#include "shard/shard.h"

#include <stdlib.h>
#include <string.h>

/* The common start of list, describe and points: at most `max_names`
 * scenario names, the catalog, and the named scenario if one was given.
 * Returns 0, or the exit status to return. */
static int open_catalog(const command_line *c, int max_names, catalog *cat,
                        const scenario_info **named)
{
    memset(cat, 0, sizeof *cat); /* the caller frees it (catalog_free) in every case */
    *named = NULL;
    if (c->n_args > max_names) {
        error_msg("%s takes at most %d scenario name%s, not '%s'", c->command, max_names,
                  max_names == 1 ? "" : "s", c->args[max_names]);
        return RL_EXIT_USAGE;
    }
    char *dir = c->o.build_dir ? xstrdup(c->o.build_dir) : rl_home();
    int rc = catalog_load(cat, dir);
    free(dir);
    if (rc != 0)
        return rc;
    if (c->n_args == 1) {
        *named = catalog_find(cat, c->args[0]);
        if (*named == NULL) {
            char *known = catalog_names(cat);
            error_msg("unknown scenario '%s' (known: %s)", c->args[0], known);
            free(known);
            return RL_EXIT_USAGE;
        }
    }
    return 0;
}

static int print_json(json_object *v)
{
    char *text = jline(v);
    puts(text);
    free(text);
    return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
}

static int list(const command_line *c, const catalog *cat)
{
    if (!c->json) {
        summary_list(cat, stdout);
        return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
    }
    json_object *all = json_object_new_array();
    for (int i = 0; i < cat->n; i++) {
        json_object *d = cat->items[i].descriptor;
        json_object *programs = json_object_new_object();
        json_object_object_add(programs, "plain", jtext(cat->items[i].plain_path));
        json_object_object_add(programs, "tsan",
                               cat->items[i].tsan_built ? jtext(cat->items[i].tsan_path) : NULL);
        json_object_object_add(d, "programs", programs);
        json_object_array_add(all, json_object_get(d));
    }
    int rc = print_json(all);
    json_object_put(all);
    return rc;
}

static int cmd_list(const command_line *c)
{
    catalog cat;
    const scenario_info *named;
    int rc = open_catalog(c, 0, &cat, &named);
    if (rc == 0)
        rc = list(c, &cat);
    catalog_free(&cat);
    return rc;
}

static int describe(const command_line *c, const scenario_info *sc)
{
    if (sc == NULL) {
        error_msg("describe wants one scenario name");
        return RL_EXIT_USAGE;
    }
    if (c->json)
        return print_json(sc->descriptor);
    summary_describe(sc, stdout);
    return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
}

static int cmd_describe(const command_line *c)
{
    catalog cat;
    const scenario_info *sc;
    int rc = open_catalog(c, 1, &cat, &sc);
    if (rc == 0)
        rc = describe(c, sc);
    catalog_free(&cat);
    return rc;
}

static int points(const command_line *c, const catalog *cat, const scenario_info *only)
{
    if (!c->json) {
        summary_points(cat, only, stdout);
        return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
    }
    json_object *all = json_object_new_array();
    for (int i = 0; i < cat->n; i++) {
        const scenario_info *sc = &cat->items[i];
        const json_object *points = jget(sc->descriptor, "points");
        if (only != NULL && sc != only)
            continue;
        for (size_t k = 0; k < jlen(points); k++) {
            const json_object *point = jat(points, k);
            json_object *p = json_object_new_object();
            json_object_object_add(p, "scenario", jtext(sc->name));
            json_object_object_add(p, "name", jtext(jstring(jget(point, "name"))));
            json_object_object_add(p, "kind", jtext(jstring(jget(point, "kind"))));
            json_object_object_add(p, "meaning", jtext(jstring(jget(point, "meaning"))));
            json_object_array_add(all, p);
        }
    }
    int rc = print_json(all);
    json_object_put(all);
    return rc;
}

static int cmd_points(const command_line *c)
{
    catalog cat;
    const scenario_info *only;
    int rc = open_catalog(c, 1, &cat, &only);
    if (rc == 0)
        rc = points(c, &cat, only);
    catalog_free(&cat);
    return rc;
}

static int cmd_parse_tsan(const command_line *c)
{
    if (c->n_args == 0) {
        error_msg("parse-tsan wants log files");
        return RL_EXIT_USAGE;
    }
    tsan_summary t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < c->n_args; i++) {
        const char *why;
        if (tsan_parse_file(&t, c->args[i], &why) != 0) {
            error_msg("cannot read %s: %s", c->args[i], why);
            tsan_free(&t);
            return RL_EXIT_USAGE;
        }
    }
    json_object *j = tsan_to_json(&t);
    int rc = print_json(j);
    json_object_put(j);
    tsan_free(&t);
    return rc;
}

/* The plan of run and plan: the runs asked for, their positive controls,
 * the checks of --inject and the programs' own options. *o gets the
 * default mode. Returns 0, or the exit status after a one-line error. */
static int make_plan(const command_line *c, run_options *o, catalog *cat, plan_item **plan, int *n)
{
    *o = c->o;
    if (!o->has_mode) { /* the default finds what stress alone misses (docs/racelab-run.1.md) */
        o->mode = RL_MODE_BOTH;
        o->has_mode = 1;
    }
    char *dir = o->build_dir ? xstrdup(o->build_dir) : rl_home();
    int rc = catalog_load(cat, dir);
    free(dir);
    if (rc != 0)
        return rc;
    *plan = NULL;
    rc = plan_select(cat, o->patterns, o->n_patterns, o->flavours, plan, n);
    if (rc != 0)
        return rc;
    *n = plan_add_controls(plan, *n, rl_mode_points_act(o->mode));
    o->controls = 1;
    if (o->n_injects > 0 && o->mode == RL_MODE_STRESS) {
        error_msg("--inject needs --mode fuzz or sched (points do nothing in stress mode)");
        return RL_EXIT_USAGE;
    }
    rc = plan_check_injects(cat, o->injects, o->n_injects);
    if (rc == 0)
        rc = check_passthrough(*plan, *n, o);
    return rc;
}

static int cmd_run(const command_line *c)
{
    run_options o;
    catalog cat;
    plan_item *plan = NULL;
    int n = 0;
    int rc = make_plan(c, &o, &cat, &plan, &n);
    if (rc == 0)
        rc = o.shard_n > 0 ? shard_run(plan, n, &o) : drive(&o, plan, n, 0, NULL);
    free(plan);
    catalog_free(&cat);
    return rc;
}

static int cmd_plan(const command_line *c)
{
    run_options o;
    catalog cat;
    plan_item *plan = NULL;
    int n = 0;
    int rc = make_plan(c, &o, &cat, &plan, &n);
    if (rc == 0)
        rc = cmd_plan_print(plan, n, &o, c->json);
    free(plan);
    catalog_free(&cat);
    return rc;
}

/* Commands with their own option parsers (report_cmd.c, exec_*.c). */
static int own_options(int argc, char **argv, int *rc)
{
    if (argc < 2)
        return 0;
    /* `racelab help exec` is `racelab exec --help`, for each of these */
    static const char *own[] = {"report", "diff", "compare", "exec", "cc", "c++"};
    for (size_t i = 0; argc == 3 && strcmp(argv[1], "help") == 0 && i < sizeof own / sizeof *own;
         i++)
        if (strcmp(argv[2], own[i]) == 0) {
            char *help[] = {argv[0], argv[2], "--help", NULL};
            return own_options(3, help, rc);
        }
    if (strcmp(argv[1], "report") == 0)
        *rc = cmd_report(argc - 2, argv + 2);
    else if (strcmp(argv[1], "diff") == 0)
        *rc = cmd_diff(argc - 2, argv + 2);
    else if (strcmp(argv[1], "compare") == 0)
        *rc = cmd_compare(argc - 2, argv + 2);
    else if (strcmp(argv[1], "exec") == 0)
        *rc = cmd_exec(argc - 2, argv + 2);
    else if (strcmp(argv[1], "points") == 0 && argc >= 3 && strcmp(argv[2], "--exec") == 0) {
        /* exec mode's points: `racelab exec --list-points` under the scenarios' command */
        int json = argc == 4 && strcmp(argv[3], "--json") == 0;
        if (argc > 4 || (argc == 4 && !json)) {
            error_msg("points --exec takes only --json");
            *rc = RL_EXIT_USAGE;
        } else {
            *rc = exec_list_points(json);
        }
    } else if (strcmp(argv[1], "cc") == 0 || strcmp(argv[1], "c++") == 0) {
        *rc = cmd_cc(argc - 2, argv + 2, argv[1][1] == '+');
    } else
        return 0;
    return 1;
}

int main(int argc, char **argv)
{
    int own_rc;
    if (own_options(argc, argv, &own_rc))
        return own_rc;
    command_line c;
    int rc = parse_command_line(argc, argv, &c);
    if (rc == 0) {
        if (strcmp(c.command, "list") == 0)
            rc = cmd_list(&c);
        else if (strcmp(c.command, "describe") == 0)
            rc = cmd_describe(&c);
        else if (strcmp(c.command, "points") == 0)
            rc = cmd_points(&c);
        else if (strcmp(c.command, "run") == 0)
            rc = cmd_run(&c);
        else if (strcmp(c.command, "plan") == 0)
            rc = cmd_plan(&c);
        else if (strcmp(c.command, "merge") == 0)
            rc = cmd_merge(&c);
        else if (strcmp(c.command, "rerun") == 0)
            rc = cmd_rerun(&c);
        else if (strcmp(c.command, "repro") == 0)
            rc = cmd_repro(&c);
        else
            rc = cmd_parse_tsan(&c);
    }
    free_command_line(&c);
    return rc == CLI_DONE ? 0 : rc;
}
