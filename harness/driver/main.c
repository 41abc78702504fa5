/* main.c — racelab, the driver: runs scenario programs as child processes
 * and keeps the results.
 *
 *   racelab list [--json]
 *   racelab describe NAME [--json]
 *   racelab points [NAME] [--json]
 *   racelab run [PATTERN[:VARIANT]]... [options]
 *   racelab rerun RECORD [--line N] [--out DIR]        (rerun.c)
 *   racelab repro NAME:VARIANT [options]                (repro.c)
 *   racelab parse-tsan FILE...
 *
 * Exit status: 0 every expectation met, 1 an expectation not met, 2 usage or
 * input error, 3 harness or environment failure, 130 interrupted. */
#include "driver.h"
#include "exec.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include("../../build/version.h")
#include "../../build/version.h" /* git describe, made by the Makefile */
#endif
#endif
#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
    fputs("usage: racelab COMMAND [options]\n"
          "  list [--json]                 scenarios, their variants and expectations\n"
          "  describe NAME [--json]        one scenario: variants, outcomes, points\n"
          "  points [NAME] [--json]        every scenario's points: name, kind (delay or\n"
          "                                fault), meaning\n"
          "  run [PATTERN[:VARIANT]]...    run scenarios (default: all of them); patterns are\n"
          "                                globs over scenario (and variant) names\n"
          "      --mode stress|fuzz|sched  how interleavings are pushed (default: the\n"
          "                                program's own, stress)\n"
          "      --strategy S              sched mode: random, pct:D or dfs:B\n"
          "      --until-fail              each run stops at its first failure\n"
          "      --flavour plain|tsan|both builds to run (default both)\n"
          "      --seconds S | --trials N  budget of each run (default: 1 s)\n"
          "      --seed N                  seed of every run (default: from the clock,\n"
          "                                recorded)\n"
          "      --inject SPEC             PATTERN:ACTION[,p=P], repeatable (fuzz, sched):\n"
          "                                given to each scenario with a point it matches\n"
          "      --param KEY=N             a scenario knob, repeatable\n"
          "      --profile NAME            fuzz mode: none, gentle, default or heavy\n"
          "      --posix-faults SPEC       NAME[:p=P][,errno=E], a libfiu POSIX fault\n"
          "                                (posix/io/rw/write...), repeatable; given to\n"
          "                                every run (it acts on scenarios doing real I/O)\n"
          "      --timeout S               a trial with no progress for S s is a hang\n"
          "                                (the program's watchdog; default 3)\n"
          "      --deadline S              the driver's watchdog per run (default 1.5 x\n"
          "                                budget + 2 x timeout + 10 s): stacks, then kill\n"
          "      --out DIR                 results folder (default results/<UTC>-<host>)\n"
          "      --jobs N                  runs at once (default 1: races need the cores)\n"
          "  rerun RECORD [--line N]       run one record of runs.jsonl again, the same way\n"
          "                                (RECORD: a file, or - for stdin; --line N picks\n"
          "                                the Nth line); --out DIR, --deadline S\n"
          "  repro NAME:VARIANT            the minimal failing interleaving, by the\n"
          "                                controlled scheduler (pct:3, --until-fail,\n"
          "                                --shrink); --seed N, --trials N (default 5000),\n"
          "                                --flavour plain|tsan, --strategy S, --inject,\n"
          "                                --param, --timeout, --out DIR\n"
          "  parse-tsan FILE...            counts, kinds and sites of ThreadSanitizer logs\n"
          "  exec [options] -- PROGRAM...  run an unmodified pthread program many times with\n"
          "                                noise at its pthread calls (racelab exec --help)\n"
          "  help, --help, --version\n"
          "  --build DIR                   where plain/ and tsan/ are (default: next to\n"
          "                                this program)\n"
          "exit status: 0 every expectation met, 1 one was not, 2 usage or input error,\n"
          "3 harness or environment failure, 130 interrupted\n",
          f);
}

/* Takes --build DIR and --json out of argv; returns the rest's count. */
static int common_options(int argc, char **argv, const char **build, int *json, int *bad)
{
    int k = 0;
    *bad = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--build") == 0 && i + 1 < argc) {
            *build = argv[++i];
        } else if (strncmp(argv[i], "--build=", 8) == 0) {
            *build = argv[i] + 8;
        } else if (strcmp(argv[i], "--json") == 0 && json != NULL) {
            *json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            error_msg("unknown option '%s' (see 'racelab help')", argv[i]);
            *bad = 1;
            return 0;
        } else {
            argv[k++] = argv[i];
        }
    }
    return k;
}

static char *default_build(void) { return self_dir(); }

/* The common start of list, describe and points: options, at most
 * `max_names` scenario names, the catalog, and the named scenario if one was
 * given. Returns 0, or the exit status to return. */
static int open_catalog(int argc, char **argv, int max_names, const char *command, catalog *cat,
                        int *json, const scenario_info **named)
{
    const char *build = NULL;
    int bad;
    int n = common_options(argc, argv, &build, json, &bad);
    if (bad)
        return EXIT_USAGE;
    if (n > max_names) {
        error_msg("%s takes at most %d scenario name%s, not '%s'", command, max_names,
                  max_names == 1 ? "" : "s", argv[max_names]);
        return EXIT_USAGE;
    }
    char *dir = build ? xstrdup(build) : default_build();
    int rc = catalog_load(cat, dir);
    free(dir);
    if (rc != 0)
        return rc;
    *named = NULL;
    if (n == 1) {
        *named = catalog_find(cat, argv[0]);
        if (*named == NULL) {
            char *known = catalog_names(cat);
            error_msg("unknown scenario '%s' (known: %s)", argv[0], known);
            free(known);
            return EXIT_USAGE;
        }
    }
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    catalog cat;
    int json = 0;
    const scenario_info *named;
    int rc = open_catalog(argc, argv, 0, "list", &cat, &json, &named);
    if (rc != 0)
        return rc;
    if (json) {
        jv *all = jv_array();
        for (int i = 0; i < cat.n; i++) {
            jv *d = jv_copy(cat.items[i].descriptor);
            jv *programs = jv_object();
            jv_set(programs, "plain", jv_str(cat.items[i].plain_path));
            jv_set(programs, "tsan",
                   cat.items[i].tsan_built ? jv_str(cat.items[i].tsan_path) : jv_null());
            jv_set(d, "programs", programs);
            jv_push(all, d);
        }
        char *text = jv_dump(all);
        puts(text);
        free(text);
        jv_free(all);
    } else {
        summary_list(&cat, stdout);
    }
    return fflush(stdout) == 0 ? 0 : EXIT_HARNESS;
}

static int cmd_describe(int argc, char **argv)
{
    catalog cat;
    int json = 0;
    const scenario_info *sc;
    int rc = open_catalog(argc, argv, 1, "describe", &cat, &json, &sc);
    if (rc != 0)
        return rc;
    if (sc == NULL) {
        error_msg("describe wants one scenario name");
        return EXIT_USAGE;
    }
    if (json) {
        char *text = jv_dump(sc->descriptor);
        puts(text);
        free(text);
    } else {
        summary_describe(sc, stdout);
    }
    return fflush(stdout) == 0 ? 0 : EXIT_HARNESS;
}

static int cmd_points(int argc, char **argv)
{
    catalog cat;
    int json = 0;
    const scenario_info *only;
    int rc = open_catalog(argc, argv, 1, "points", &cat, &json, &only);
    if (rc != 0)
        return rc;
    if (!json) {
        summary_points(&cat, only, stdout);
        return fflush(stdout) == 0 ? 0 : EXIT_HARNESS;
    }
    jv *all = jv_array();
    for (int i = 0; i < cat.n; i++) {
        const scenario_info *sc = &cat.items[i];
        const jv *points = jv_get(sc->descriptor, "points");
        if ((only != NULL && sc != only) || points == NULL || points->type != JV_ARRAY)
            continue;
        for (size_t k = 0; k < points->n; k++) {
            jv *p = jv_object();
            jv_set(p, "scenario", jv_str(sc->name));
            jv_set(p, "name", jv_str(jv_string(jv_get(points->items[k], "name"))));
            jv_set(p, "kind", jv_str(jv_string(jv_get(points->items[k], "kind"))));
            jv_set(p, "meaning", jv_str(jv_string(jv_get(points->items[k], "meaning"))));
            jv_push(all, p);
        }
    }
    char *text = jv_dump(all);
    puts(text);
    free(text);
    jv_free(all);
    return fflush(stdout) == 0 ? 0 : EXIT_HARNESS;
}

static int cmd_parse_tsan(int argc, char **argv)
{
    if (argc == 0) {
        error_msg("parse-tsan wants log files");
        return EXIT_USAGE;
    }
    tsan_summary t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < argc; i++) {
        if (access(argv[i], R_OK) != 0) {
            error_msg("cannot read %s", argv[i]);
            tsan_free(&t);
            return EXIT_USAGE;
        }
        tsan_parse_file(&t, argv[i]);
    }
    jv *j = tsan_to_json(&t);
    char *text = jv_dump(j);
    puts(text);
    free(text);
    jv_free(j);
    tsan_free(&t);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    run_options o;
    int rc = parse_run_options(argc, argv, &o);
    if (rc != 0)
        return rc;
    char *dir = o.build_dir ? xstrdup(o.build_dir) : self_dir();
    catalog cat;
    rc = catalog_load(&cat, dir);
    free(dir);
    if (rc != 0)
        return rc;
    plan_item *plan = NULL;
    int n = 0;
    rc = plan_select(&cat, o.patterns, o.n_patterns, o.flavours, &plan, &n);
    if (rc != 0)
        return rc;
    if (o.n_injects > 0 && (o.mode == NULL || strcmp(o.mode, "stress") == 0)) {
        error_msg("--inject needs --mode fuzz or sched (points do nothing in stress mode)");
        return EXIT_USAGE;
    }
    rc = plan_check_injects(&cat, o.injects, o.n_injects);
    if (rc == 0)
        rc = check_passthrough(plan, n, &o);
    if (rc == 0)
        rc = drive(&o, plan, n, 0, NULL);
    free(plan);
    free_run_options(&o);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int rest = argc - 2;
    char **args = argv + 2;
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("racelab %s\n", RL_VERSION);
        return 0;
    }
    if (strcmp(cmd, "list") == 0)
        return cmd_list(rest, args);
    if (strcmp(cmd, "describe") == 0)
        return cmd_describe(rest, args);
    if (strcmp(cmd, "points") == 0)
        return cmd_points(rest, args);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(rest, args);
    if (strcmp(cmd, "rerun") == 0)
        return cmd_rerun(rest, args);
    if (strcmp(cmd, "repro") == 0)
        return cmd_repro(rest, args);
    if (strcmp(cmd, "parse-tsan") == 0)
        return cmd_parse_tsan(rest, args);
    if (strcmp(cmd, "exec") == 0)
        return cmd_exec(rest, args);
    error_msg("unknown command '%s' (list, describe, points, run, rerun, repro, parse-tsan, help)",
              cmd);
    return EXIT_USAGE;
}
