/* cli.c — the command line of every scenario program (rl_main).
 *
 *   NAME [--variant V] [--mode stress|fuzz] [--seconds S | --trials N]
 *        [--seed N] [--inject SPEC]... [--timeout S] [--batch N]
 *        [--engine batched|naive] [--json] | --describe | --help | --version
 *
 * Exit status: 0 expectation met, 1 not met, 2 bad input (one line on
 * stderr), 3 the harness or its environment failed. */
#include "internal.h"

#include "../../injectors/sched/sched.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *program = "racelab";

static void usage(FILE *f, const rl_scenario *sc)
{
    fprintf(f,
            "usage: %s [options]\n"
            "%s — %s\n"
            "  --variant V        one of:",
            program, sc->name, sc->summary);
    for (int i = 0; i < sc->n_variants; i++)
        fprintf(f, " %s", sc->variants[i].name);
    fprintf(f, " (default %s)\n", sc->variants[0].name);
    fputs("  --mode M           stress (free-running, points cost nothing), fuzz (points\n"
          "                     delay and fail through libfiu) or sched (one thread at a\n"
          "                     time, the scheduler picks at every point)\n"
          "  --seconds S        time budget (default 1)\n"
          "  --trials N         trial budget instead of a time budget\n"
          "  --until-fail       stop at the first forbidden outcome or hang\n"
          "  --seed N           seed of every random decision (default: from the clock;\n"
          "                     always printed in the record)\n"
          "  --profile P        fuzz mode: specs for every point, before --inject's\n"
          "                     (default: default, unless --inject is given):\n",
          f);
    rl_print_profiles(f);
    fputs("  --inject SPEC      PATTERN:ACTION[,p=P], repeatable (fuzz mode); ACTION is\n"
          "                     yield, spin=N, delay=DURATION or fail; PATTERN is a glob\n"
          "                     over the point names that --describe lists\n"
          "  --posix-faults F   NAME[:p=P][,errno=E], a libfiu POSIX fault such as\n"
          "                     posix/io/rw/write:p=0.01,errno=ENOSPC (runs the program\n"
          "                     under fiu-run -x), repeatable\n"
          "  --strategy S       sched mode: random, pct:D (PCT with bug depth D; default\n"
          "                     pct:3) or dfs:B (every schedule with <= B preemptions)\n"
          "  --replay SCHEDULE  sched mode: force this schedule (from a record) on every\n"
          "                     trial\n"
          "  --shrink           sched mode: reduce the first failing schedule to the\n"
          "                     fewest preemptions and print its trace\n"
          "  --timeout S        seconds without progress before a trial counts as hung\n"
          "                     (the deadlock outcome; default 3)\n"
          "  --batch N          fixed trials per synchronisation (default adaptive)\n"
          "  --param KEY=N      a scenario's own knob (see its source), repeatable\n"
          "  --engine E         batched (default) or naive (threads created per trial:\n"
          "                     the hand-written baseline)\n"
          "  --json             print the run record as one JSON object\n"
          "  --describe         print the scenario's descriptor as JSON\n"
          "  --version, --help\n"
          "exit status: 0 expectation met, 1 not met, 2 bad input, 3 harness failure\n",
          f);
}

static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* A descriptor that breaks the rules is a defect of the scenario file. */
static int check_descriptor(const rl_scenario *sc)
{
    const char *why = NULL;
    int forbidden = 0, reproduces = 0;
    for (int o = 0; o < sc->n_outcomes; o++)
        forbidden += sc->outcomes[o].grade == RL_FORBIDDEN;
    for (int v = 0; v < sc->n_variants; v++)
        reproduces += sc->variants[v].expect == RL_REPRODUCES;
    if (sc->actors < 1 || sc->actors > RL_MAX_ACTORS)
        why = "actors must be 1..RL_MAX_ACTORS";
    else if (sc->n_outcomes < 1 || sc->n_outcomes > RL_MAX_OUTCOMES)
        why = "outcomes must be 1..RL_MAX_OUTCOMES";
    else if (sc->n_variants < 2 || sc->n_variants > RL_MAX_VARIANTS)
        why = "a scenario needs a racy variant and at least one fix";
    else if (sc->n_points > RL_MAX_POINTS)
        why = "too many points";
    for (int i = 0; why == NULL && i < sc->n_params; i++)
        if (sc->params[i].default_value < sc->params[i].min ||
            sc->params[i].default_value > sc->params[i].max)
            why = "a parameter's default is outside its range";
        else if (!forbidden)
            why = "no forbidden outcome: the oracle could never fail";
        else if (!reproduces)
            why = "no variant is expected to reproduce the race";
        else if (sc->arbiter == NULL || sc->state_size == 0)
            why = "arbiter and state size are required";
    for (int a = 0; why == NULL && a < sc->actors; a++)
        if (sc->actor[a] == NULL)
            why = "an actor function is missing";
    if (why != NULL) {
        fprintf(stderr, "%s: scenario descriptor is invalid: %s\n", sc->name, why);
        return 3;
    }
    return 0;
}

static int find_variant(const rl_scenario *sc, const char *name)
{
    for (int i = 0; i < sc->n_variants; i++)
        if (strcmp(sc->variants[i].name, name) == 0)
            return i;
    return -1;
}

static int parse_args(const rl_scenario *sc, int argc, char **argv, rl_config *cfg, int *describe)
{
    int seconds_given = 0, seed_given = 0;
    const char *sched_option = NULL;
    char err[512];
    for (int i = 1; i < argc; i++) {
        char *opt = argv[i];
        char *value = NULL;
        char *eq = strncmp(opt, "--", 2) == 0 ? strchr(opt, '=') : NULL;
        if (eq != NULL) {
            *eq = '\0';
            value = eq + 1;
        }
        int flag = strcmp(opt, "--json") == 0 || strcmp(opt, "--describe") == 0 ||
                   strcmp(opt, "--shrink") == 0 || strcmp(opt, "--until-fail") == 0 ||
                   strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0 ||
                   strcmp(opt, "--version") == 0;
        if (flag) {
            if (value != NULL)
                return bad_input("%s takes no value", opt);
            if (strcmp(opt, "--json") == 0)
                cfg->json = 1;
            else if (strcmp(opt, "--until-fail") == 0)
                cfg->until_fail = 1;
            else if (strcmp(opt, "--shrink") == 0) {
                cfg->shrink = 1;
                sched_option = "--shrink";
            } else if (strcmp(opt, "--describe") == 0)
                *describe = 1;
            else if (strcmp(opt, "--version") == 0) {
                printf("%s %s (%s)\n", sc->name, rl_version(), rl_flavour_name());
                exit(0);
            } else {
                usage(stdout, sc);
                exit(0);
            }
            continue;
        }
        if (strncmp(opt, "--", 2) != 0)
            return bad_input("unexpected argument '%s' (see --help)", opt);
        if (value == NULL) {
            if (i + 1 >= argc)
                return bad_input("%s needs a value", opt);
            value = argv[++i];
        }
        unsigned long long n = 0;
        double x = 0;
        if (strcmp(opt, "--variant") == 0) {
            cfg->variant = find_variant(sc, value);
            if (cfg->variant < 0) {
                char known[512] = "";
                for (int v = 0; v < sc->n_variants; v++) {
                    strncat(known, v ? ", " : "", sizeof known - strlen(known) - 1);
                    strncat(known, sc->variants[v].name, sizeof known - strlen(known) - 1);
                }
                return bad_input("unknown variant '%s' (known: %s)", value, known);
            }
        } else if (strcmp(opt, "--mode") == 0) {
            if (strcmp(value, "stress") == 0)
                cfg->mode = RL_MODE_STRESS;
            else if (strcmp(value, "fuzz") == 0)
                cfg->mode = RL_MODE_FUZZ;
            else if (strcmp(value, "sched") == 0)
                cfg->mode = RL_MODE_SCHED;
            else
                return bad_input("unknown mode '%s' (stress, fuzz, sched)", value);
        } else if (strcmp(opt, "--strategy") == 0) {
            rl_strategy strategy;
            if (rl_parse_strategy(value, &strategy) != 0)
                return bad_input("unknown strategy '%s' (random, pct:D with D 1..16, dfs:B)",
                                 value);
            snprintf(cfg->strategy, sizeof cfg->strategy, "%s", value);
            sched_option = "--strategy";
        } else if (strcmp(opt, "--replay") == 0) {
            static int scratch[RL_SCHED_MAX_STEPS];
            if (rl_schedule_parse(value, scratch, RL_SCHED_MAX_STEPS) <= 0)
                return bad_input("--replay wants a schedule such as 0*3.1.0*2, not '%s'", value);
            cfg->replay = value;
            sched_option = "--replay";
        } else if (strcmp(opt, "--engine") == 0) {
            if (strcmp(value, "batched") == 0)
                cfg->engine = RL_ENGINE_BATCHED;
            else if (strcmp(value, "naive") == 0)
                cfg->engine = RL_ENGINE_NAIVE;
            else
                return bad_input("unknown engine '%s' (batched, naive)", value);
        } else if (strcmp(opt, "--seconds") == 0) {
            if (rl_parse_double(value, &x) != 0 || x <= 0 || x > 86400)
                return bad_input("--seconds wants a number of seconds in (0, 86400], not '%s'",
                                 value);
            cfg->seconds = x;
            seconds_given = 1;
        } else if (strcmp(opt, "--trials") == 0) {
            if (rl_parse_u64(value, &n) != 0 || n == 0 || n > (1ULL << 50))
                return bad_input("--trials wants a positive whole number, not '%s'", value);
            cfg->trials = n;
        } else if (strcmp(opt, "--seed") == 0) {
            if (rl_parse_u64(value, &n) != 0)
                return bad_input("--seed wants a whole number from 0 to 2^64-1, not '%s'", value);
            cfg->seed = n;
            seed_given = 1;
        } else if (strcmp(opt, "--timeout") == 0) {
            if (rl_parse_double(value, &x) != 0 || x < 0.05 || x > 86400)
                return bad_input("--timeout wants seconds in [0.05, 86400], not '%s'", value);
            cfg->timeout = x;
        } else if (strcmp(opt, "--batch") == 0) {
            if (rl_parse_u64(value, &n) != 0 || n == 0 || n > 4096)
                return bad_input("--batch wants a number from 1 to 4096, not '%s'", value);
            cfg->batch = (int)n;
        } else if (strcmp(opt, "--param") == 0) {
            int rc = rl_parse_param(cfg, value);
            if (rc == -2)
                return bad_input("too many --param (at most %d)", RL_MAX_PARAMS);
            if (rc != 0)
                return bad_input("--param wants KEY=WHOLE_NUMBER, not '%s'", value);
        } else if (strcmp(opt, "--profile") == 0) {
            if (!rl_profile_known(value))
                return bad_input("unknown profile '%s' (none, gentle, default, heavy)", value);
            cfg->profile = value;
        } else if (strcmp(opt, "--posix-faults") == 0) {
            if (rl_parse_posix_fault(value, cfg, err, sizeof err) != 0)
                return bad_input("%s", err);
        } else if (strcmp(opt, "--inject") == 0) {
            if (cfg->n_specs >= RL_MAX_SPECS)
                return bad_input("too many --inject specs (at most %d)", RL_MAX_SPECS);
            if (rl_parse_inject(value, &cfg->specs[cfg->n_specs], err, sizeof err) != 0)
                return bad_input("%s", err);
            cfg->n_specs++;
        } else {
            return bad_input("unknown option '%s' (see --help)", opt);
        }
    }
    if (seconds_given && cfg->trials > 0)
        return bad_input("give --seconds or --trials, not both");
    if (sched_option != NULL && cfg->mode != RL_MODE_SCHED)
        return bad_input("%s needs --mode sched", sched_option);
    if (cfg->mode == RL_MODE_SCHED && cfg->batch > 0)
        return bad_input("--batch does not apply in sched mode (one trial at a time)");
    if (cfg->engine == RL_ENGINE_NAIVE && cfg->mode == RL_MODE_SCHED)
        return bad_input("--engine naive does not apply in sched mode");
    if (!seed_given) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        cfg->seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
        cfg->seed %= 1000000000ULL; /* short enough to retype */
    }
    return 0;
}

int rl_main(const rl_scenario *sc, int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    program = slash ? slash + 1 : argv[0];
    int rc = check_descriptor(sc);
    if (rc != 0)
        return rc;
    static rl_config cfg;
    cfg.seconds = 1.0;
    cfg.timeout = 3.0;
    snprintf(cfg.strategy, sizeof cfg.strategy, "pct:3");
    int describe = 0;
    rc = parse_args(sc, argc, argv, &cfg, &describe);
    if (rc != 0)
        return rc;
    rl_params_use(sc, &cfg);
    char perr[512];
    if (rl_check_params(sc, &cfg, perr, sizeof perr) != 0)
        return bad_input("%s", perr);
    if (cfg.n_posix > 0 && !describe && rl_posix_reexec(&cfg, argv) != 0) {
        fprintf(stderr,
                "%s: error: cannot run under fiu-run -x for --posix-faults "
                "(apt-get install fiu-utils)\n",
                program);
        return 3;
    }
    if (describe) {
        rl_print_describe(stdout, sc);
        return 0;
    }
    char err[512];
    rc = rl_points_setup(sc, &cfg, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: error: %s\n", program, err);
        return rc == -1 ? 2 : 3;
    }
    rl_result res;
    rc = cfg.mode == RL_MODE_SCHED       ? rl_run_sched(sc, &cfg, &res)
         : cfg.engine == RL_ENGINE_NAIVE ? rl_run_naive(sc, &cfg, &res)
                                         : rl_run_batched(sc, &cfg, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: error: cannot run (out of memory or threads)\n", program);
        return 3;
    }
    rl_verdict v; /* the scratch directory goes at exit (atexit) */
    rl_judge(sc, &cfg, &res, &v);
    if (cfg.json)
        rl_print_record(stdout, sc, &cfg, &res, &v);
    else
        rl_print_summary(stdout, sc, &cfg, &res, &v);
    fflush(stdout);
    return rl_exit_status(&v);
}
