/* options.c — the command line of `racelab run`:
 *
 *   run [PATTERN[:VARIANT]]... [--mode stress|fuzz|sched] [--flavour plain|tsan|both]
 *       [--seconds S | --trials N] [--seed N] [--until-fail] [--strategy S]
 *       [--inject SPEC]... [--param K=N]... [--profile NAME] [--posix-faults SPEC]...
 *       [--timeout S] [--deadline S] [--out DIR] [--build DIR] [--jobs N]
 *
 * Options and patterns may be mixed; --opt=value and --opt value both work;
 * `--` ends the options. Values are checked here so that a bad number is one
 * clear line, not a hundred failed runs. --profile and --posix-faults are
 * the programs' own: they are checked by asking one (check_passthrough).
 * `racelab repro` takes the same options. */
#include "driver.h"

#include <stdlib.h>
#include <string.h>

#define TRIALS_MAX (1ULL << 50)
#define BUDGET_UNKNOWN_S 600.0 /* a --trials run: no time budget to go by */

static int need_value(const char *opt, const char *value)
{
    if (value == NULL) {
        error_msg("%s needs a value (see 'racelab help')", opt);
        return -1;
    }
    return 0;
}

static int bad(const char *what, const char *value)
{
    error_msg("%s, not '%s'", what, value);
    return EXIT_USAGE;
}

int parse_run_options(int argc, char **argv, run_options *o)
{
    memset(o, 0, sizeof *o);
    o->flavours = FLAVOUR_PLAIN | FLAVOUR_TSAN;
    o->timeout = 3.0;
    o->jobs = 1;
    o->injects = xcalloc((size_t)argc + 1, sizeof *o->injects);
    o->params = xcalloc((size_t)argc + 1, sizeof *o->params);
    o->patterns = xcalloc((size_t)argc + 1, sizeof *o->patterns);
    o->posix_faults = xcalloc((size_t)argc + 1, sizeof *o->posix_faults);
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            o->patterns[o->n_patterns++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        /* --opt=value or --opt value */
        char opt[64];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof opt) {
            error_msg("unknown option '%s' (see 'racelab help')", arg);
            return EXIT_USAGE;
        }
        memcpy(opt, arg, len);
        opt[len] = '\0';
        if (eq != NULL)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[i + 1];
        double x;
        unsigned long long n;
        if (strcmp(opt, "--until-fail") == 0) {
            if (eq != NULL) {
                error_msg("--until-fail takes no value");
                return EXIT_USAGE;
            }
            o->until_fail = 1;
            continue;
        }
        if (strcmp(opt, "--mode") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (strcmp(value, "stress") != 0 && strcmp(value, "fuzz") != 0 &&
                strcmp(value, "sched") != 0)
                return bad("--mode wants stress, fuzz or sched", value);
            o->mode = value;
        } else if (strcmp(opt, "--flavour") == 0 || strcmp(opt, "--flavor") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (strcmp(value, "plain") == 0)
                o->flavours = FLAVOUR_PLAIN;
            else if (strcmp(value, "tsan") == 0)
                o->flavours = FLAVOUR_TSAN;
            else if (strcmp(value, "both") == 0)
                o->flavours = FLAVOUR_PLAIN | FLAVOUR_TSAN;
            else
                return bad("--flavour wants plain, tsan or both", value);
            o->flavour_text = value;
        } else if (strcmp(opt, "--seconds") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (parse_seconds(value, 0, 86400, &x) != 0 || x <= 0)
                return bad("--seconds wants a number of seconds in (0, 86400]", value);
            o->seconds_text = value;
            o->seconds = x;
        } else if (strcmp(opt, "--trials") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (parse_whole(value, 1, TRIALS_MAX, &n) != 0)
                return bad("--trials wants a positive whole number", value);
            o->trials_text = value;
        } else if (strcmp(opt, "--seed") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (parse_whole(value, 0, ~0ULL, &n) != 0)
                return bad("--seed wants a whole number from 0 to 2^64-1", value);
            o->seed_text = value;
        } else if (strcmp(opt, "--timeout") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (parse_seconds(value, 0.05, 86400, &x) != 0)
                return bad("--timeout wants seconds in [0.05, 86400]", value);
            o->timeout_text = value;
            o->timeout = x;
        } else if (strcmp(opt, "--deadline") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (parse_seconds(value, 0.1, 864000, &x) != 0)
                return bad("--deadline wants seconds in [0.1, 864000]", value);
            o->deadline = x;
        } else if (strcmp(opt, "--strategy") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (*value == '\0')
                return bad("--strategy wants random, pct:D or dfs:B", value);
            o->strategy = value;
        } else if (strcmp(opt, "--inject") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (*value == '\0')
                return bad("--inject wants PATTERN:ACTION[,p=P]", value);
            o->injects[o->n_injects++] = value;
        } else if (strcmp(opt, "--param") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            const char *peq = strchr(value, '=');
            if (peq == NULL || peq == value)
                return bad("--param wants KEY=WHOLE_NUMBER", value);
            o->params[o->n_params++] = value;
        } else if (strcmp(opt, "--profile") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (*value == '\0')
                return bad("--profile wants none, gentle, default or heavy", value);
            o->profile = value;
        } else if (strcmp(opt, "--posix-faults") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (*value == '\0')
                return bad("--posix-faults wants NAME[:p=P][,errno=E]", value);
            o->posix_faults[o->n_posix_faults++] = value;
        } else if (strcmp(opt, "--out") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (*value == '\0')
                return bad("--out wants a folder", value);
            o->out_dir = value;
        } else if (strcmp(opt, "--build") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            o->build_dir = value;
        } else if (strcmp(opt, "--jobs") == 0 || strcmp(opt, "-j") == 0) {
            if (need_value(opt, value))
                return EXIT_USAGE;
            if (parse_whole(value, 1, 64, &n) != 0)
                return bad("--jobs wants a number from 1 to 64", value);
            o->jobs = (int)n;
        } else {
            error_msg("unknown option '%s' (see 'racelab help')", arg);
            return EXIT_USAGE;
        }
        if (eq == NULL)
            i++;
    }
    if (o->seconds_text != NULL && o->trials_text != NULL) {
        error_msg("give --seconds or --trials, not both");
        return EXIT_USAGE;
    }
    return 0;
}

void free_run_options(run_options *o)
{
    free(o->injects);
    free(o->params);
    free(o->patterns);
    free(o->posix_faults);
    o->injects = o->params = o->posix_faults = NULL;
    o->patterns = NULL;
    o->n_injects = o->n_params = o->n_posix_faults = o->n_patterns = 0;
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
