/* cli.c — the command line of every scenario program (rl_main), through
 * getopt_long: --opt VALUE or --opt=VALUE, -h for --help. PROGRAM --help
 * lists the options and this scenario's variants, params and points.
 *
 * Exit status: 0 expectation met, 1 not met, 2 bad input (one line on
 * stderr), 3 the harness or its environment failed. */
#include "internal.h"

#include "../../injectors/sched/sched.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *program = "racelab";

/* A run of less than a millisecond measures nothing but its own start-up
 * (1e-300 ran one trial): the smallest --seconds budget. */
#define SECONDS_MIN 0.001

enum {
    OPT_VARIANT = 256,
    OPT_MODE,
    OPT_SECONDS,
    OPT_TRIALS,
    OPT_UNTIL_FAIL,
    OPT_SEED,
    OPT_PROFILE,
    OPT_INJECT,
    OPT_POSIX_FAULTS,
    OPT_STRATEGY,
    OPT_REPLAY,
    OPT_SHRINK,
    OPT_OUTCOME,
    OPT_TIMEOUT,
    OPT_BATCH,
    OPT_PARAM,
    OPT_ENGINE,
    OPT_JSON,
    OPT_DESCRIBE,
    OPT_VERSION,
    OPT_HELP,
};

static const struct option options[] = {
    {"variant", required_argument, NULL, OPT_VARIANT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"trials", required_argument, NULL, OPT_TRIALS},
    {"until-fail", no_argument, NULL, OPT_UNTIL_FAIL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"inject", required_argument, NULL, OPT_INJECT},
    {"posix-faults", required_argument, NULL, OPT_POSIX_FAULTS},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"shrink", no_argument, NULL, OPT_SHRINK},
    {"outcome", required_argument, NULL, OPT_OUTCOME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"param", required_argument, NULL, OPT_PARAM},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"json", no_argument, NULL, OPT_JSON},
    {"describe", no_argument, NULL, OPT_DESCRIBE},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char *option_name(int code)
{
    for (const struct option *o = options; o->name != NULL; o++)
        if (o->val == code)
            return o->name;
    return "?";
}

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "NAME: error: ..." on stderr, one line whatever the message quotes (a
 * control character of a value becomes a space); returns status. */
static int verror(int status, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    for (char *p = text; *p; p++) /* a newline, \r, \f... a value holds */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    fprintf(stderr, "%s: error: %s\n", program, text);
    return status;
}

static int fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(status, fmt, ap);
    va_end(ap);
    return status;
}

static int bad_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(2, fmt, ap);
    va_end(ap);
    return 2;
}

/* What the options said beyond rl_config, for the checks made after all
 * of them are read. */
typedef struct {
    int seconds_given, seed_given, describe;
    const char *sched_option;                      /* the last sched-only option given */
    const char *given[OPT_HELP - OPT_VARIANT + 1]; /* each option's value, once given */
} parse_state;

static int set_variant(const rl_scenario *sc, rl_config *cfg, const char *value)
{
    for (int v = 0; v < sc->n_variants; v++)
        if (strcmp(sc->variants[v].name, value) == 0) {
            cfg->variant = v;
            return 0;
        }
    char known[512] = "";
    for (int v = 0; v < sc->n_variants; v++) {
        strncat(known, v ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, sc->variants[v].name, sizeof known - strlen(known) - 1);
    }
    return bad_input("unknown variant '%s' (known: %s)", value, known);
}

static int set_mode(rl_config *cfg, const char *value)
{
    if (rl_mode_parse(value, &cfg->mode) != 0)
        return bad_input("unknown mode '%s' (" RL_MODE_NAMES ")", value);
    return 0;
}

static int set_engine(rl_config *cfg, const char *value)
{
    if (strcmp(value, "batched") == 0)
        cfg->engine = RL_ENGINE_BATCHED;
    else if (strcmp(value, "naive") == 0)
        cfg->engine = RL_ENGINE_NAIVE;
    else
        return bad_input("unknown engine '%s' (batched, naive)", value);
    return 0;
}

/* Options that only apply in sched mode. */
static int set_sched_option(rl_config *cfg, int code, const char *value, parse_state *st)
{
    st->sched_option = code == OPT_STRATEGY  ? "--strategy"
                       : code == OPT_REPLAY  ? "--replay"
                       : code == OPT_OUTCOME ? "--outcome"
                                             : "--shrink";
    if (code == OPT_STRATEGY) {
        if (rl_parse_strategy(value, &cfg->strategy) != 0)
            return bad_input("unknown strategy '%s' (random, pct:D with D 1..16, dfs:B, pos)",
                             value);
        rl_format_strategy(&cfg->strategy, cfg->strategy_text, sizeof cfg->strategy_text);
    } else if (code == OPT_REPLAY) {
        static int choices[RL_SCHED_TRIAL_STEPS]; /* one --replay per process */
        cfg->n_replay = rl_schedule_parse(value, choices, RL_SCHED_TRIAL_STEPS);
        if (cfg->n_replay <= 0)
            return bad_input("--replay wants a schedule such as 0*3.1.0*2, not '%s'", value);
        cfg->replay = value;
        cfg->replay_choices = choices;
    } else if (code == OPT_OUTCOME) {
        cfg->outcome = value; /* checked against the descriptor in set_outcome */
    } else {
        cfg->shrink = 1;
    }
    return 0;
}

/* --outcome: a forbidden outcome of the scenario, or deadlock. */
static int check_outcome(const rl_scenario *sc, const rl_config *cfg)
{
    if (cfg->outcome == NULL || strcmp(cfg->outcome, RL_DEADLOCK_OUTCOME) == 0)
        return 0;
    for (int o = 0; o < sc->n_outcomes; o++)
        if (strcmp(sc->outcomes[o].name, cfg->outcome) == 0)
            return sc->outcomes[o].grade == RL_FORBIDDEN
                       ? 0
                       : bad_input("--outcome %s is not a failure (it is %s)", cfg->outcome,
                                   rl_grade_name(sc->outcomes[o].grade));
    return bad_input("--outcome wants a forbidden outcome of %s or deadlock, not '%s' (see "
                     "--describe)",
                     sc->name, cfg->outcome);
}

static int set_number(rl_config *cfg, int code, const char *value, parse_state *st)
{
    unsigned long long n = 0;
    double x = 0;
    switch (code) {
    case OPT_SECONDS:
        if (rl_parse_double(value, &x) != 0 || x < SECONDS_MIN || x > 86400)
            return bad_input("--seconds wants a number of seconds in [%g, 86400], not '%s'",
                             SECONDS_MIN, value);
        cfg->seconds = x;
        st->seconds_given = 1;
        return 0;
    case OPT_TRIALS:
        if (rl_parse_u64(value, &n) != 0 || n == 0 || n > (1ULL << 50))
            return bad_input("--trials wants a positive whole number, not '%s'", value);
        cfg->trials = n;
        return 0;
    case OPT_SEED:
        if (rl_parse_u64(value, &n) != 0)
            return bad_input("--seed wants a whole number from 0 to 2^64-1, not '%s'", value);
        cfg->seed = n;
        st->seed_given = 1;
        return 0;
    case OPT_TIMEOUT:
        if (rl_parse_double(value, &x) != 0 || x < 0.05 || x > 86400)
            return bad_input("--timeout wants seconds in [0.05, 86400], not '%s'", value);
        cfg->timeout = x;
        return 0;
    default: /* OPT_BATCH */
        if (rl_parse_u64(value, &n) != 0 || n == 0 || n > 4096)
            return bad_input("--batch wants a number from 1 to 4096, not '%s'", value);
        cfg->batch = (int)n;
        return 0;
    }
}

/* --param, --profile, --posix-faults and --inject. */
static int set_injection(rl_config *cfg, int code, const char *value)
{
    char err[512];
    switch (code) {
    case OPT_PARAM: {
        int rc = rl_parse_param(cfg, value);
        if (rc == -2)
            return bad_input("too many --param (at most %d)", RL_MAX_PARAMS);
        if (rc == -3)
            return bad_input("--param '%.*s' given twice: give each knob once",
                             (int)strcspn(value, "="), value);
        if (rc != 0)
            return bad_input("--param wants KEY=WHOLE_NUMBER, not '%s'", value);
        return 0;
    }
    case OPT_PROFILE:
        if (rl_profile_find(value) == NULL)
            return bad_input("unknown profile '%s' (none, gentle, default, heavy)", value);
        cfg->profile = value;
        return 0;
    case OPT_POSIX_FAULTS:
        if (cfg->n_posix >= RL_MAX_POSIX_FAULTS)
            return bad_input("too many --posix-faults (at most %d)", RL_MAX_POSIX_FAULTS);
        if (rl_posix_fault_parse(value, rl_flavour_is_tsan(), cfg->posix_faults[cfg->n_posix],
                                 sizeof cfg->posix_faults[0], err, sizeof err) != 0)
            return bad_input("%s", err);
        cfg->posix_specs[cfg->n_posix++] = value;
        return 0;
    default: /* OPT_INJECT */
        if (cfg->n_specs >= RL_MAX_SPECS)
            return bad_input("too many --inject specs (at most %d)", RL_MAX_SPECS);
        if (rl_parse_inject(value, &cfg->specs[cfg->n_specs], err, sizeof err) != 0)
            return bad_input("%s", err);
        cfg->n_specs++;
        return 0;
    }
}

/* An option that takes one value is given once: a second one is refused
 * rather than silently winning. --inject, --param and --posix-faults repeat;
 * a flag given twice changes nothing. */
static int once(int code, const char *value, parse_state *st)
{
    if (value == NULL || code == OPT_INJECT || code == OPT_PARAM || code == OPT_POSIX_FAULTS)
        return 0;
    const char **first = &st->given[code - OPT_VARIANT];
    if (*first != NULL)
        return bad_input("--%s given twice ('%s', then '%s'): give it once", option_name(code),
                         *first, value);
    *first = value;
    return 0;
}

static int apply_option(const rl_scenario *sc, rl_config *cfg, int code, const char *value,
                        parse_state *st)
{
    if (code >= OPT_VARIANT && once(code, value, st) != 0)
        return 2;
    switch (code) {
    case OPT_VARIANT: return set_variant(sc, cfg, value);
    case OPT_MODE: return set_mode(cfg, value);
    case OPT_ENGINE: return set_engine(cfg, value);
    case OPT_STRATEGY:
    case OPT_REPLAY:
    case OPT_SHRINK:
    case OPT_OUTCOME: return set_sched_option(cfg, code, value, st);
    case OPT_SECONDS:
    case OPT_TRIALS:
    case OPT_SEED:
    case OPT_TIMEOUT:
    case OPT_BATCH: return set_number(cfg, code, value, st);
    case OPT_PARAM:
    case OPT_PROFILE:
    case OPT_POSIX_FAULTS:
    case OPT_INJECT: return set_injection(cfg, code, value);
    case OPT_UNTIL_FAIL: cfg->until_fail = 1; return 0;
    case OPT_JSON: cfg->json = 1; return 0;
    case OPT_DESCRIBE: st->describe = 1; return 0;
    case OPT_VERSION: printf("%s %s (%s)\n", sc->name, rl_version(), rl_flavour_name()); exit(0);
    default: /* OPT_HELP, -h */ rl_print_usage(stdout, program, sc); exit(0);
    }
}

/* getopt_long's '?' and ':' as one line each, without its own messages. */
static int getopt_error(int c, char **argv)
{
    const char *arg = argv[optind - 1];
    size_t len = strcspn(arg, "=");
    if (c == ':')
        return bad_input("%s needs a value", arg);
    if (optopt >= OPT_VARIANT)
        return bad_input("--%s takes no value", option_name(optopt));
    return bad_input("unknown option '%.*s' (see --help)", (int)len, arg);
}

/* The checks that need every option. */
static int check_combination(rl_config *cfg, const parse_state *st)
{
    if (st->seconds_given && cfg->trials > 0)
        return bad_input("give --seconds or --trials, not both");
    if (st->sched_option != NULL && cfg->mode != RL_MODE_SCHED)
        return bad_input("%s needs --mode sched", st->sched_option);
    if (cfg->mode == RL_MODE_SCHED && cfg->batch > 0)
        return bad_input("--batch does not apply in sched mode (one trial at a time)");
    if (cfg->engine == RL_ENGINE_NAIVE && (cfg->mode == RL_MODE_SCHED || cfg->mode == RL_MODE_BOTH))
        return bad_input("--engine naive applies in stress and fuzz modes only");
    if (!st->seed_given) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        cfg->seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
        cfg->seed %= 1000000000ULL; /* short enough to retype */
    }
    return 0;
}

static int parse_args(const rl_scenario *sc, int argc, char **argv, rl_config *cfg, int *describe)
{
    parse_state st = {0};
    opterr = 0; /* our messages, one line each */
    int c;
    /* '+': stop at the first argument that is not an option (no reordering:
     * argv is passed on as it is when the program re-runs under fiu-run) */
    while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
        int rc = c == '?' || c == ':' ? getopt_error(c, argv)
                                      : apply_option(sc, cfg, c == 'h' ? OPT_HELP : c, optarg, &st);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return bad_input("unexpected argument '%s' (see --help)", argv[optind]);
    *describe = st.describe;
    int rc = check_combination(cfg, &st);
    return rc != 0 ? rc : check_outcome(sc, cfg);
}

static int run(const rl_scenario *sc, rl_config *cfg)
{
    char err[512];
    int rc = rl_points_setup(sc, cfg, err, sizeof err);
    if (rc != 0)
        return fail(rc == -1 ? 2 : 3, "%s", err);
    rl_result res;
    rc = cfg->mode == RL_MODE_SCHED       ? rl_run_sched(sc, cfg, &res)
         : cfg->mode == RL_MODE_BOTH      ? rl_run_both(sc, cfg, &res)
         : cfg->engine == RL_ENGINE_NAIVE ? rl_run_naive(sc, cfg, &res)
                                          : rl_run_batched(sc, cfg, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: error: cannot run (out of memory or threads)\n", program);
        return 3;
    }
    if (res.sched_mode && res.sched.bad_replay_thread >= 0) {
        fprintf(stderr,
                "%s: error: --replay names thread %d, but the trial had threads 0..%d there "
                "(the schedule is not one of this scenario's)\n",
                program, res.sched.bad_replay_thread, res.sched.bad_replay_threads - 1);
        return 2;
    }
    rl_verdict v; /* the scratch directory goes at exit (atexit) */
    rl_judge(sc, cfg, &res, &v);
    if (cfg->json)
        rl_print_record(stdout, sc, cfg, &res, &v);
    else
        rl_print_summary(stdout, sc, cfg, &res, &v);
    fflush(stdout);
    return rl_exit_status(&v);
}

int rl_main(const rl_scenario *sc, int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    program = slash ? slash + 1 : argv[0];
    int rc = rl_check_descriptor(sc);
    if (rc != 0)
        return rc;
    static rl_config cfg;
    cfg.seconds = 1.0;
    cfg.timeout = 3.0;
    cfg.strategy = (rl_strategy){.kind = RL_STRAT_PCT, .depth = 3};
    rl_format_strategy(&cfg.strategy, cfg.strategy_text, sizeof cfg.strategy_text);
    int describe = 0;
    rc = parse_args(sc, argc, argv, &cfg, &describe);
    if (rc != 0)
        return rc;
    rl_params_use(sc, &cfg);
    char perr[512];
    if (rl_check_params(sc, &cfg, perr, sizeof perr) != 0)
        return bad_input("%s", perr);
    const char *posix_commands[RL_MAX_POSIX_FAULTS];
    for (int i = 0; i < cfg.n_posix; i++)
        posix_commands[i] = cfg.posix_faults[i];
    if (cfg.n_posix > 0 && !describe && rl_posix_reexec(posix_commands, cfg.n_posix, argv) != 0) {
        fprintf(stderr,
                "%s: error: cannot run under fiu-run -x for --posix-faults "
                "(apt-get install fiu-utils)\n",
                program);
        return 3;
    }
    if (describe) {
        /* the options are checked as for a run (the driver asks this way) */
        rc = rl_points_check(sc, &cfg, perr, sizeof perr);
        if (rc != 0)
            return fail(rc == -1 ? 2 : 3, "%s", perr);
        rl_print_describe(stdout, sc);
        return 0;
    }
    return run(sc, &cfg);
}
