/* options.c — every command line of racelab, through getopt_long: the
 * values checked and kept typed (apply), the global options and the
 * command's own (the tables: options_table.c; the help: options_help.c).
 *
 *   racelab [--build DIR] COMMAND [ARGS and options]
 *
 * Each option is defined once (options_table.c's OPTIONS: name, value, help;
 * the check of its value in apply()); a command lists the options it takes,
 * with its own help text where its meaning differs (COMMANDS). --build and --help are
 * global: taken before the command and after it. Options and words may be
 * mixed; --opt=value and --opt value both work; `--` ends the options. Values
 * are checked here so that a bad number is one clear line, not a hundred
 * failed runs. --profile and --posix-faults are the programs' own: they are
 * checked by asking one (check_passthrough). */
#include "core/options.h"
#include "core/options_table.h"
#include "core/plan.h"
#include "core/util.h"

#include "../../../injectors/sched/schedule_text.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

#define TRIALS_MAX (1ULL << 50)
#define BUDGET_UNKNOWN_S 600.0 /* a --trials run: no time budget to go by */

/* ---- values --------------------------------------------------------------- */

static int bad(const char *what, const char *value)
{
    error_msg("%s, not '%s'", what, value);
    return RL_EXIT_USAGE;
}

/* Checks and keeps one option's value; 0 or RL_EXIT_USAGE. */
static int apply(command_line *c, int id, const char *value)
{
    run_options *o = &c->o;
    double x;
    unsigned long long n;
    switch (id) {
    case OPT_BUILD: o->build_dir = value; return 0;
    case OPT_JSON: c->json = 1; return 0;
    case OPT_UNTIL_FAIL: o->until_fail = 1; return 0;
    case OPT_MODE:
        if (rl_mode_parse(value, &o->mode) != 0)
            return bad("--mode wants stress, fuzz, sched or stress+fuzz", value);
        o->has_mode = 1;
        return 0;
    case OPT_FLAVOUR:
        if (flavours_parse(value, &o->flavours) != 0)
            return bad("--flavour wants plain, tsan or both", value);
        o->flavour_text = value;
        return 0;
    case OPT_SECONDS:
        if (parse_seconds(value, 0, 86400, &x) != 0 || x <= 0)
            return bad("--seconds wants a number of seconds in (0, 86400]", value);
        o->seconds_text = value;
        o->seconds = x;
        return 0;
    case OPT_TRIALS:
        if (parse_whole(value, 1, TRIALS_MAX, &n) != 0)
            return bad("--trials wants a positive whole number", value);
        o->trials_text = value;
        return 0;
    case OPT_SEED:
        if (parse_whole(value, 0, ~0ULL, &n) != 0)
            return bad("--seed wants a whole number from 0 to 2^64-1", value);
        o->has_seed = 1;
        o->seed = n;
        return 0;
    case OPT_TIMEOUT:
        if (parse_seconds(value, 0.05, 86400, &x) != 0)
            return bad("--timeout wants seconds in [0.05, 86400]", value);
        o->timeout_text = value;
        o->timeout = x;
        return 0;
    case OPT_DEADLINE:
        if (parse_seconds(value, 0.1, 864000, &x) != 0)
            return bad("--deadline wants seconds in [0.1, 864000]", value);
        o->deadline = x;
        return 0;
    case OPT_STRATEGY:
        if (rl_parse_strategy(value, &o->strategy) != 0)
            return bad("--strategy wants random, pct:D, dfs:B, pos or fuzz", value);
        o->has_strategy = 1;
        return 0;
    case OPT_OUTCOME: /* the program checks it against its outcomes */
        if (*value == '\0' || *value == '-')
            return bad("--outcome wants an outcome name", value);
        o->outcome = value;
        return 0;
    case OPT_INJECT:
        if (*value == '\0')
            return bad("--inject wants PATTERN:ACTION[,p=P]", value);
        o->injects[o->n_injects++] = value;
        return 0;
    case OPT_PARAM: {
        const char *eq = strchr(value, '=');
        if (eq == NULL || eq == value)
            return bad("--param wants KEY=WHOLE_NUMBER", value);
        o->params[o->n_params++] = value;
        return 0;
    }
    case OPT_PROFILE:
        if (*value == '\0')
            return bad("--profile wants none, gentle, default or heavy", value);
        o->profile = value;
        return 0;
    case OPT_POSIX_FAULTS:
        if (*value == '\0')
            return bad("--posix-faults wants NAME[:p=P][,errno=E]", value);
        o->posix_faults[o->n_posix_faults++] = value;
        return 0;
    case OPT_OUT:
        if (*value == '\0')
            return bad("--out wants a folder", value);
        o->out_dir = value;
        return 0;
    case OPT_JOBS:
        if (parse_whole(value, 1, 64, &n) != 0)
            return bad("--jobs wants a number from 1 to 64", value);
        o->jobs = (int)n;
        return 0;
    case OPT_SHARD: return cli_parse_shard("", value, &o->shard_k, &o->shard_n);
    case OPT_SHARDS:
        if (parse_whole(value, 1, 10000, &n) != 0)
            return bad("--shards wants a number from 1 to 10000", value);
        o->shard_n = (int)n;
        return 0;
    case OPT_LINE:
        if (parse_whole(value, 1, 1ULL << 40, &c->line) != 0)
            return bad("--line wants a line number from 1", value);
        c->line_given = 1;
        return 0;
    default: return 0;
    }
}

/* ---- parsing -------------------------------------------------------------- */

/* An option that takes one value is given once: a second one is refused, not
 * silently last-wins. --inject, --param and --posix-faults repeat; a flag
 * given twice changes nothing. */
#define MAX_OPTION_ID 512
static const char *given[MAX_OPTION_ID];

static int once(int id, const char *value)
{
    const option_def *d = option_of(id);
    if (value == NULL || d == NULL || id < 0 || id >= MAX_OPTION_ID || id == OPT_INJECT ||
        id == OPT_PARAM || id == OPT_POSIX_FAULTS)
        return 0;
    if (given[id] != NULL) {
        error_msg("--%s given twice ('%s', then '%s'): give it once", d->name, given[id], value);
        return RL_EXIT_USAGE;
    }
    given[id] = value;
    return 0;
}

void run_options_init(run_options *o, int capacity)
{
    memset(o, 0, sizeof *o);
    o->flavours = FLAVOUR_PLAIN | FLAVOUR_TSAN;
    o->timeout = 3.0;
    o->jobs = 1;
    o->injects = xcalloc((size_t)capacity + 1, sizeof *o->injects);
    o->params = xcalloc((size_t)capacity + 1, sizeof *o->params);
    o->posix_faults = xcalloc((size_t)capacity + 1, sizeof *o->posix_faults);
}

/* The options before the command: --build, --help, --version. Returns 0
 * with optind at the command, CLI_DONE or RL_EXIT_USAGE. */
static int global_options(int argc, char **argv, command_line *c)
{
    static const struct option longs[] = {{"build", required_argument, NULL, OPT_BUILD},
                                          {"help", no_argument, NULL, OPT_HELP},
                                          {"version", no_argument, NULL, OPT_VERSION},
                                          {NULL, 0, NULL, 0}};
    optind = 0; /* glibc: start afresh */
    opterr = 0;
    int r;
    while ((r = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
        switch (r) {
        case OPT_HELP: options_general_usage(stdout); return CLI_DONE;
        case OPT_VERSION: printf("racelab %s\n", RL_VERSION); return CLI_DONE;
        case ':': error_msg("--build needs a value (see 'racelab --help')"); return RL_EXIT_USAGE;
        case '?':
            error_msg("unknown option '%s' (see 'racelab --help')", argv[optind - 1]);
            return RL_EXIT_USAGE;
        default:
            if (once(r, optarg) != 0)
                return RL_EXIT_USAGE;
            apply(c, r, optarg);
            break;
        }
    }
    return 0;
}

static int help_command(const command_line *c)
{
    if (c->n_args == 0) {
        options_general_usage(stdout);
        return CLI_DONE;
    }
    const command_def *cmd = command_of(c->args[0]);
    if (c->n_args > 1 || cmd == NULL) {
        error_msg("help takes one command name, not '%s' (see 'racelab help')",
                  c->args[c->n_args > 1 ? 1 : 0]);
        return RL_EXIT_USAGE;
    }
    options_command_usage(stdout, cmd);
    return CLI_DONE;
}

/* One option of a scenario command: given once, then checked and kept. */
static int take_option(void *ctx, int id, const char *value)
{
    int rc = once(id, value);
    return rc != 0 ? rc : apply(ctx, id, value);
}

int parse_command_line(int argc, char **argv, command_line *c)
{
    memset(c, 0, sizeof *c);
    memset(given, 0, sizeof given);
    run_options_init(&c->o, argc);
    c->args = xcalloc((size_t)argc + 1, sizeof *c->args);
    int rc = global_options(argc, argv, c);
    if (rc != 0)
        return rc;
    if (optind >= argc) {
        options_general_usage(stderr);
        return RL_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "version") == 0) {
        printf("racelab %s\n", RL_VERSION);
        return CLI_DONE;
    }
    const command_def *cmd = command_of(name);
    if (cmd == NULL) {
        error_msg("unknown command '%s' (list, describe, points, run, plan, merge, rerun, "
                  "repro, parse-tsan, help)",
                  name);
        return RL_EXIT_USAGE;
    }
    c->command = cmd->name;
    rc = cli_parse(cmd->name, argc - optind - 1, argv + optind + 1, take_option, c, c->args,
                   &c->n_args);
    if (rc != 0)
        return rc;
    if (strcmp(cmd->name, "help") == 0)
        return help_command(c);
    if (c->o.seconds_text != NULL && c->o.trials_text != NULL) {
        error_msg("give --seconds or --trials, not both");
        return RL_EXIT_USAGE;
    }
    c->o.patterns = c->args;
    c->o.n_patterns = c->n_args;
    return 0;
}

void free_run_options(run_options *o)
{
    free(o->injects);
    free(o->params);
    free(o->posix_faults);
    o->injects = o->params = o->posix_faults = NULL;
    o->n_injects = o->n_params = o->n_posix_faults = 0;
}

void free_command_line(command_line *c)
{
    free_run_options(&c->o);
    free(c->args);
    c->args = NULL;
    c->n_args = 0;
}

/* The driver's watchdog: well beyond what the program itself may take (its
 * budget, then up to --timeout for a hung trial, then its record). */
double run_deadline(const run_options *o)
{
    if (o->deadline > 0)
        return o->deadline;
    double budget = o->trials_text != NULL    ? BUDGET_UNKNOWN_S
                    : o->seconds_text != NULL ? o->seconds
                                              : 1.0;
    return budget * 1.5 + 2 * o->timeout + 10;
}
