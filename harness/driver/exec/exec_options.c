/* exec_options.c — the command line of `racelab exec`:
 *
 *   racelab exec [options] -- PROGRAM [ARGS...]
 *
 * Options end at the first word that is not one (PROGRAM) or at `--`.
 * Every value is checked here, before anything runs: a bad one is one line
 * on stderr and exit status 2. */
#include "exec/exec.h"

#include "../../../injectors/sched/schedule_text.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: racelab exec [options] -- PROGRAM [ARGS...]\n"
          "Runs an unmodified, dynamically linked pthread program many times, each run a\n"
          "child in its own process group, with yields and delays injected at its pthread\n"
          "calls by a preloaded library, or its threads run one at a time under the\n"
          "controlled scheduler; a run fails on a non-zero exit status, a signal, a hang\n"
          "or deadlock, a ThreadSanitizer report (TSan builds) or output matching --fail-on.\n"
          "  --mode noise|sched      how interleavings are pushed (default noise)\n"
          "  --strategy S            sched: random (the default), pct:D, pos (partial\n"
          "                          order sampling) or dfs:B (the schedules with at most\n"
          "                          B preemptions, one a run); docs/search.md\n"
          "  --replay SCHEDULE       sched: every run follows this schedule (from a record)\n"
          "  --shrink                sched: the first failing schedule reduced to the\n"
          "                          fewest preemptions, its trace printed\n"
          "  --no-fork-server        spawn every run afresh (default: each run is a fork\n"
          "                          of the program, loaded once, taken before main)\n"
          "  --runs N, --seconds S   the budget (default 100 runs); both: whichever\n"
          "                          comes first\n"
          "  --jobs N                runs at once (default 1)\n"
          "  --seed N                run i is seeded with splitmix64 of (N, i): campaigns\n"
          "                          with different seeds are independent (default: clock)\n"
          "  --run-seed N            every run is seeded with N itself (a record's failed\n"
          "                          run again: racelab rerun passes it)\n"
          "  --until-fail            stop at the first failed run\n"
          "  --expect holds|reproduces  what the program must show (default holds)\n"
          "  --timeout S             a run longer than S seconds is a hang (default 10):\n"
          "                          gdb takes its stacks, its process group is killed\n"
          "  --inject SPEC           PATTERN:ACTION[=ARG][,p=P] over the exec points,\n"
          "                          repeatable (see --list-points): yield, spin=N,\n"
          "                          delay=DURATION\n"
          "  --profile NAME          none, gentle, default or heavy (the scenario profiles);\n"
          "                          without --profile and --inject: default\n"
          "  --posix-faults SPEC     NAME[:p=P][,errno=E], a libfiu POSIX fault\n"
          "                          (posix/io/rw/write...), repeatable\n"
          "  --fail-on REGEX         a run whose stdout or stderr matches fails (POSIX ERE)\n"
          "  --ok-status LIST        exit statuses that are not failures (default 0):\n"
          "                          0,1,3-5\n"
          "  --out DIR               results folder (default results/<UTC>-<host>)\n"
          "  --list-points [--json]  the exec points, and exit\n"
          "exit status: 0 the expectation met, 1 a `holds` program failed, 4 a\n"
          "`reproduces` program did not fail (weak evidence), 2 bad input, 3 harness\n"
          "failure, 130 interrupted\n",
          f);
}

enum {
    OPT_MODE = 256,
    OPT_RUNS,
    OPT_SECONDS,
    OPT_RUN_SEED,
    OPT_JOBS,
    OPT_SEED,
    OPT_UNTIL_FAIL,
    OPT_EXPECT,
    OPT_TIMEOUT,
    OPT_INJECT,
    OPT_PROFILE,
    OPT_POSIX,
    OPT_FAIL_ON,
    OPT_OK_STATUS,
    OPT_OUT,
    OPT_LIST_POINTS,
    OPT_JSON,
    OPT_STRATEGY,
    OPT_REPLAY,
    OPT_SHRINK,
    OPT_NO_FORK_SERVER,
    OPT_HELP
};

static const struct option options[] = {
    {"mode", required_argument, NULL, OPT_MODE},
    {"runs", required_argument, NULL, OPT_RUNS},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"run-seed", required_argument, NULL, OPT_RUN_SEED},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"until-fail", no_argument, NULL, OPT_UNTIL_FAIL},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"inject", required_argument, NULL, OPT_INJECT},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"posix-faults", required_argument, NULL, OPT_POSIX},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"ok-status", required_argument, NULL, OPT_OK_STATUS},
    {"out", required_argument, NULL, OPT_OUT},
    {"list-points", no_argument, NULL, OPT_LIST_POINTS},
    {"json", no_argument, NULL, OPT_JSON},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"shrink", no_argument, NULL, OPT_SHRINK},
    {"no-fork-server", no_argument, NULL, OPT_NO_FORK_SERVER},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int bad(const char *what, const char *value)
{
    error_msg("exec: %s, not '%s'", what, value);
    return RL_EXIT_USAGE;
}

/* "0,1,3-5" into the table; 0 or -1. */
static int parse_statuses(const char *text, unsigned char table[256])
{
    memset(table, 0, 256);
    char *copy = xstrdup(text);
    char *save = NULL;
    int ok = *text != '\0';
    for (char *w = strtok_r(copy, ",", &save); w != NULL && ok; w = strtok_r(NULL, ",", &save)) {
        unsigned long long lo, hi;
        char *dash = strchr(w, '-');
        if (dash != NULL)
            *dash = '\0';
        ok = parse_whole(w, 0, 255, &lo) == 0;
        hi = lo;
        if (ok && dash != NULL)
            ok = parse_whole(dash + 1, lo, 255, &hi) == 0;
        for (unsigned long long v = lo; ok && v <= hi; v++)
            table[v] = 1;
    }
    free(copy);
    return ok ? 0 : -1;
}

static uint64_t clock_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t s = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
    return s % 1000000000000ULL; /* short enough to type back */
}

static int take(exec_options *o, int opt, const char *arg)
{
    unsigned long long n;
    switch (opt) {
    case OPT_MODE:
        if (strcmp(arg, "noise") != 0 && strcmp(arg, "sched") != 0)
            return bad("--mode wants noise or sched", arg);
        o->mode = arg;
        o->sched = strcmp(arg, "sched") == 0;
        return 0;
    case OPT_STRATEGY:
        if (rl_parse_strategy(arg, &o->strategy_spec) != 0)
            return bad("--strategy wants random, pct:D (D 1..16), dfs:B (B 0..64) or pos", arg);
        o->strategy = arg;
        return 0;
    case OPT_REPLAY: {
        static int scratch[RL_SCHED_MAX_STEPS];
        if (rl_schedule_parse(arg, scratch, RL_SCHED_MAX_STEPS) <= 0)
            return bad("--replay wants a schedule such as 0*3.1.0*2", arg);
        o->replay = arg;
        return 0;
    }
    case OPT_SHRINK: o->shrink = 1; return 0;
    case OPT_NO_FORK_SERVER: o->no_fork_server = 1; return 0;
    case OPT_RUNS:
        if (parse_whole(arg, 1, 100000000ULL, &o->runs) != 0)
            return bad("--runs wants a whole number from 1", arg);
        return 0;
    case OPT_SECONDS:
        if (parse_seconds(arg, 0.001, 31 * 86400.0, &o->seconds) != 0)
            return bad("--seconds wants a positive number of seconds", arg);
        return 0;
    case OPT_JOBS:
        if (parse_whole(arg, 1, 256, &n) != 0)
            return bad("--jobs wants a whole number from 1 to 256", arg);
        o->jobs = (int)n;
        return 0;
    case OPT_SEED:
        if (parse_whole(arg, 0, UINT64_MAX, &n) != 0)
            return bad("--seed wants a whole number", arg);
        o->seed = n;
        o->seed_given = 1;
        return 0;
    case OPT_RUN_SEED:
        if (parse_whole(arg, 0, UINT64_MAX, &n) != 0)
            return bad("--run-seed wants a whole number", arg);
        o->run_seed = n;
        o->run_seed_given = 1;
        return 0;
    case OPT_UNTIL_FAIL: o->until_fail = 1; return 0;
    case OPT_EXPECT:
        if (strcmp(arg, "holds") == 0)
            o->expect = RL_HOLDS;
        else if (strcmp(arg, "reproduces") == 0)
            o->expect = RL_REPRODUCES;
        else
            return bad("--expect wants holds or reproduces", arg);
        return 0;
    case OPT_TIMEOUT:
        if (parse_seconds(arg, 0.01, 86400.0, &o->timeout) != 0)
            return bad("--timeout wants a positive number of seconds", arg);
        return 0;
    case OPT_INJECT:
        if (o->n_injects >= EXEC_MAX_SPECS)
            return bad("too many --inject specs (at most 32)", arg);
        o->injects[o->n_injects++] = arg;
        return 0;
    case OPT_PROFILE: o->profile = arg; return 0;
    case OPT_POSIX:
        if (o->n_posix >= EXEC_MAX_POSIX)
            return bad("too many --posix-faults (at most 8)", arg);
        o->posix_faults[o->n_posix++] = arg;
        return 0;
    case OPT_FAIL_ON: {
        if (o->fail_on != NULL)
            return bad("--fail-on is given once", arg);
        int rc = regcomp(&o->fail_re, arg, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
        if (rc != 0) {
            char why[200];
            regerror(rc, &o->fail_re, why, sizeof why);
            error_msg("exec: --fail-on '%s' is not a regular expression: %s", arg, why);
            return RL_EXIT_USAGE;
        }
        o->fail_on = arg;
        return 0;
    }
    case OPT_OK_STATUS:
        if (parse_statuses(arg, o->ok_status) != 0)
            return bad("--ok-status wants exit statuses (0-255) such as 0,1,3-5", arg);
        o->ok_status_text = arg;
        return 0;
    case OPT_OUT: o->out_dir = arg; return 0;
    case OPT_LIST_POINTS: o->list_points = 1; return 0;
    case OPT_JSON: o->json = 1; return 0;
    default: return RL_EXIT_USAGE;
    }
}

int exec_parse_options(int argc, char **argv, exec_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = "noise";
    o->runs = 100;
    o->jobs = 1;
    o->expect = RL_HOLDS;
    o->timeout = 10;
    o->ok_status[0] = 1;
    o->ok_status_text = "0";
    int seen_runs = 0, seen_seconds = 0;
    const char *sched_only = NULL; /* the last sched-only option given */
    /* getopt_long wants the command's name in argv[0]: "exec" stands for it */
    char **args = xcalloc((size_t)argc + 2, sizeof *args);
    args[0] = "exec";
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    optind = 1;
    opterr = 0;
    int opt, rc = 0;
    while (rc == 0 && (opt = getopt_long(argc + 1, args, "+", options, NULL)) != -1) {
        if (opt == OPT_HELP) {
            usage(stdout);
            free(args);
            return -1;
        }
        if (opt == '?') {
            const char *word = args[optind - 1];
            if (optopt != 0)
                error_msg("exec: %s wants a value (see 'racelab exec --help')", word);
            else
                error_msg("exec: unknown option '%s' (see 'racelab exec --help')", word);
            rc = RL_EXIT_USAGE;
            break;
        }
        if (opt == OPT_STRATEGY || opt == OPT_REPLAY || opt == OPT_SHRINK)
            sched_only = opt == OPT_STRATEGY ? "--strategy"
                         : opt == OPT_REPLAY ? "--replay"
                                             : "--shrink";
        seen_runs |= opt == OPT_RUNS;
        seen_seconds |= opt == OPT_SECONDS;
        rc = take(o, opt, optarg);
    }
    int first = optind;
    free(args);
    if (rc != 0)
        return rc;
    if (!seen_seconds)
        o->seconds = 0;
    o->runs_given = seen_runs || !seen_seconds; /* --seconds alone: no run limit */
    if (sched_only != NULL && !o->sched) {
        error_msg("exec: %s needs --mode sched", sched_only);
        return RL_EXIT_USAGE;
    }
    if (o->sched && (o->n_injects > 0 || o->profile != NULL)) {
        error_msg("exec: --inject and --profile are noise mode's (sched mode schedules instead)");
        return RL_EXIT_USAGE;
    }
    if (o->sched && o->strategy == NULL) {
        /* the strategy scripts/bench-search shows finding the most bugs soonest
         * (docs/search.md) */
        o->strategy = "random";
        rl_parse_strategy(o->strategy, &o->strategy_spec);
    }
    if (o->sched && o->strategy_spec.kind == RL_STRAT_DFS && (o->jobs > 1 || o->replay != NULL)) {
        error_msg("exec: --strategy dfs runs one schedule after another (no --jobs, no --replay)");
        return RL_EXIT_USAGE;
    }
    if (o->json && !o->list_points) {
        error_msg("exec: --json goes with --list-points");
        return RL_EXIT_USAGE;
    }
    if (o->list_points)
        return 0;
    if (first > argc) {
        error_msg("exec: no PROGRAM (racelab exec [options] -- PROGRAM [ARGS...])");
        return RL_EXIT_USAGE;
    }
    o->argv = argv + first - 1;
    o->argc = argc - (first - 1);
    if (!o->seed_given)
        o->seed = clock_seed();
    return 0;
}

void exec_free_options(exec_options *o)
{
    if (o->fail_on != NULL)
        regfree(&o->fail_re);
}
