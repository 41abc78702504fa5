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

static int list(const command_line *c, const catalog *cat, const scenario_info *named)
{
    (void)named; /* list takes no name */
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

static int describe(const command_line *c, const catalog *cat, const scenario_info *sc)
{
    (void)cat; /* the one scenario named is all it shows */
    if (sc == NULL) {
        error_msg("describe wants one scenario name");
        return RL_EXIT_USAGE;
    }
    if (c->json)
        return print_json(sc->descriptor);
    summary_describe(sc, stdout);
    return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
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

/* list, describe, points: the catalogue, at most MAX_NAMES scenario names,
 * then SHOW. */
static int with_catalog(const command_line *c, int max_names,
                        int (*show)(const command_line *, const catalog *, const scenario_info *))
{
    catalog cat;
    const scenario_info *named;
    int rc = open_catalog(c, max_names, &cat, &named);
    if (rc == 0)
        rc = show(c, &cat, named);
    catalog_free(&cat);
    return rc;
}

static int cmd_list(const command_line *c) { return with_catalog(c, 0, list); }
static int cmd_describe(const command_line *c) { return with_catalog(c, 1, describe); }
static int cmd_points(const command_line *c) { return with_catalog(c, 1, points); }

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

/* run and plan: the plan, then USE of it. */
static int with_plan(const command_line *c,
                     int (*use)(const command_line *, const run_options *, plan_item *, int))
{
    run_options o;
    catalog cat;
    plan_item *plan = NULL;
    int n = 0;
    int rc = make_plan(c, &o, &cat, &plan, &n);
    if (rc == 0)
        rc = use(c, &o, plan, n);
    free(plan);
    catalog_free(&cat);
    return rc;
}

static int run_plan(const command_line *c, const run_options *o, plan_item *plan, int n)
{
    (void)c; /* the options are all in o */
    return o->shard_n > 0 ? shard_run(plan, n, o) : drive(o, plan, n, 0, NULL);
}

static int print_plan(const command_line *c, const run_options *o, plan_item *plan, int n)
{
    return cmd_plan_print(plan, n, o, c->json);
}

static int cmd_run(const command_line *c) { return with_plan(c, run_plan); }
static int cmd_plan(const command_line *c) { return with_plan(c, print_plan); }

/* `racelab points --exec [--json]`: exec mode's points, under the
 * scenarios' command (racelab exec --list-points). */
static int points_exec(int argc, char **argv)
{
    int json = argc == 4 && strcmp(argv[3], "--json") == 0;
    if (argc > 4 || (argc == 4 && !json)) {
        error_msg("points --exec takes only --json");
        return RL_EXIT_USAGE;
    }
    return exec_list_points(json);
}

static int cc_cmd(int argc, char **argv) { return cmd_cc(argc, argv, 0); }
static int cxx_cmd(int argc, char **argv) { return cmd_cc(argc, argv, 1); }

/* Every command: those that read their command line themselves (through
 * the one parser, cli.c, but into their own options), and the scenario
 * commands, whose line parse_command_line reads into a command_line. */
typedef struct {
    const char *name;
    int (*own)(int argc, char **argv); /* ARGV: the words after the name */
    int (*with)(const command_line *c);
} command;

static const command COMMAND_TABLE[] = {
    {"report", cmd_report, NULL},
    {"diff", cmd_diff, NULL},
    {"compare", cmd_compare, NULL},
    {"exec", cmd_exec, NULL},
    {"cc", cc_cmd, NULL},
    {"c++", cxx_cmd, NULL},
    {"list", NULL, cmd_list},
    {"describe", NULL, cmd_describe},
    {"points", NULL, cmd_points},
    {"run", NULL, cmd_run},
    {"plan", NULL, cmd_plan},
    {"merge", NULL, cmd_merge},
    {"rerun", NULL, cmd_rerun},
    {"repro", NULL, cmd_repro},
    {"parse-tsan", NULL, cmd_parse_tsan},
};

static const command *command_named(const char *name)
{
    for (size_t i = 0; i < sizeof COMMAND_TABLE / sizeof COMMAND_TABLE[0]; i++)
        if (strcmp(COMMAND_TABLE[i].name, name) == 0)
            return &COMMAND_TABLE[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* `racelab help cc` is `racelab cc --help` (clang's words, not a table's) */
    if (argc == 3 && strcmp(argv[1], "help") == 0 &&
        (strcmp(argv[2], "cc") == 0 || strcmp(argv[2], "c++") == 0)) {
        char *help[] = {"--help", NULL};
        return cmd_cc(1, help, argv[2][1] == '+');
    }
    if (argc >= 3 && strcmp(argv[1], "points") == 0 && strcmp(argv[2], "--exec") == 0)
        return points_exec(argc, argv);
    const command *own = argc >= 2 ? command_named(argv[1]) : NULL;
    if (own != NULL && own->own != NULL) {
        int rc = own->own(argc - 2, argv + 2);
        return rc == CLI_DONE ? 0 : rc;
    }
    command_line c;
    int rc = parse_command_line(argc, argv, &c);
    if (rc == 0) {
        const command *cmd = command_named(c.command);
        if (cmd != NULL && cmd->with != NULL) {
            rc = cmd->with(&c);
        } else { /* racelab --build DIR exec ...: global options are the scenario commands' */
            error_msg("%s takes no option before its name (racelab %s --help)", c.command,
                      c.command);
            rc = RL_EXIT_USAGE;
        }
    }
    free_command_line(&c);
    return rc == CLI_DONE ? 0 : rc;
}
