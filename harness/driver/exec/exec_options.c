/* exec_options.c — the command line of `racelab exec`:
 *
 *   racelab exec [options] -- PROGRAM [ARGS...]
 *
 * Options end at the first word that is not one (PROGRAM) or at `--`.
 * Every value is checked here, before anything runs: a bad one is one line
 * on stderr and exit status 2. */
#include "core/cli.h"
#include "exec/exec.h"

#include "../../../injectors/sched/schedule_text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* What the parse remembers beyond the options themselves. */
typedef struct {
    exec_options *o;
    const char *sched_only; /* the last sched-only option given */
    int seen_runs, seen_seconds;
} exec_parse;

static int take_value(exec_options *o, int opt, const char *arg);

static int take(void *ctx, int opt, const char *arg)
{
    exec_parse *p = ctx;
    if (opt == OPT_STRATEGY || opt == OPT_REPLAY || opt == OPT_SHRINK || opt == OPT_CORPUS ||
        opt == OPT_PIN)
        p->sched_only = opt == OPT_STRATEGY ? "--strategy"
                        : opt == OPT_REPLAY ? "--replay"
                        : opt == OPT_CORPUS ? "--corpus"
                        : opt == OPT_PIN    ? "--pin"
                                            : "--shrink";
    p->seen_runs |= opt == OPT_RUNS;
    p->seen_seconds |= opt == OPT_SECONDS;
    return take_value(p->o, opt, arg);
}

/* Checks one option's value and keeps it typed; 0 or RL_EXIT_USAGE. */
static int take_value(exec_options *o, int opt, const char *arg)
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
            return bad("--strategy wants random, pct:D (D 1..16), dfs:B (B 0..64), pos or fuzz",
                       arg);
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
    case OPT_CORPUS:
        if (*arg == '\0')
            return bad("--corpus wants a folder", arg);
        o->corpus = arg;
        return 0;
    case OPT_NO_FORK_SERVER: o->no_fork_server = 1; return 0;
    case OPT_PIN: o->pin = 1; return 0;
    case OPT_LEAKS:
        if (strcmp(arg, "fail") != 0 && strcmp(arg, "ignore") != 0)
            return bad("--leaks wants fail or ignore", arg);
        o->leaks_ignore = strcmp(arg, "ignore") == 0;
        return 0;
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
    case OPT_SHARD: return cli_parse_shard("exec: ", arg, &o->shard_k, &o->shard_n);
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
    case OPT_POSIX_FAULTS:
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
        if (regexec(&o->fail_re, "", 0, NULL, 0) == 0) { /* '', 'x*', '^': every run */
            regfree(&o->fail_re);
            error_msg("exec: --fail-on '%s' matches empty output, so every run would fail", arg);
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

/* --shard K/N: a part of one campaign, the same on every machine (docs/racelab-exec.1.md). */
static int check_shard(const exec_options *o)
{
    const char *why = NULL;
    if (o->shard_n == 0)
        return 0;
    if (!o->seed_given || o->out_dir == NULL)
        why = "--shard needs --seed N and --out DIR (every shard the same seed, each its own "
              "folder)";
    else if (o->sched && o->strategy_spec.kind == RL_STRAT_DFS)
        why = "--strategy dfs cannot be split by --shard (its search goes from one run to the "
              "next); run it whole";
    else if (o->run_seed_given)
        why = "--run-seed runs one seed again; it is not split by --shard";
    else if (o->runs_given && (unsigned long long)o->shard_n > o->runs)
        why = "--shard K/N wants N no more than --runs (a shard with no run)";
    if (why == NULL)
        return 0;
    error_msg("exec: %s", why);
    return RL_EXIT_USAGE;
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
    exec_parse p = {o, NULL, 0, 0};
    char **words = xcalloc((size_t)argc + 1, sizeof *words);
    int n_words = 0;
    int rc = cli_parse("exec", argc, argv, take, &p, words, &n_words);
    free(words);
    if (rc != 0)
        return rc;
    int seen_runs = p.seen_runs, seen_seconds = p.seen_seconds;
    const char *sched_only = p.sched_only;
    int first = argc + 1 - n_words; /* the words are the tail, PROGRAM first (from 1) */
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
        /* the strategy scripts/bench-search shows finding the most bugs
         * (docs/search.md: fuzz finds all six, random all but reorder-50) */
        o->strategy = "fuzz";
        rl_parse_strategy(o->strategy, &o->strategy_spec);
    }
    if (o->sched && o->strategy_spec.kind == RL_STRAT_DFS && (o->jobs > 1 || o->replay != NULL)) {
        error_msg("exec: --strategy dfs runs one schedule after another (no --jobs, no --replay)");
        return RL_EXIT_USAGE;
    }
    rc = check_shard(o);
    if (rc != 0)
        return rc;
    if (o->corpus != NULL && o->strategy_spec.kind != RL_STRAT_FUZZ) {
        error_msg("exec: --corpus goes with --strategy fuzz");
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
