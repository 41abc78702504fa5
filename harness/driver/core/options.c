/* options.c — every command line of racelab, through getopt_long, and the
 * help of each command.
 *
 *   racelab [--build DIR] COMMAND [ARGS and options]
 *
 * Each option is defined once (OPTIONS: name, value, help, and the check of
 * its value in apply()); a command lists the options it takes, with its own
 * help text where its meaning differs (COMMANDS). --build and --help are
 * global: taken before the command and after it. Options and words may be
 * mixed; --opt=value and --opt value both work; `--` ends the options. Values
 * are checked here so that a bad number is one clear line, not a hundred
 * failed runs. --profile and --posix-faults are the programs' own: they are
 * checked by asking one (check_passthrough). */
#include "core/options.h"
#include "core/plan.h"
#include "core/util.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

#define TRIALS_MAX (1ULL << 50)
#define BUDGET_UNKNOWN_S 600.0 /* a --trials run: no time budget to go by */
#define HELP_COLUMN 32
#define HELP_WIDTH 80

enum {
    OPT_HELP = 'h',
    OPT_JOBS = 'j',
    OPT_BUILD = 256, /* long options only from here */
    OPT_VERSION,
    OPT_JSON,
    OPT_MODE,
    OPT_STRATEGY,
    OPT_UNTIL_FAIL,
    OPT_FLAVOUR,
    OPT_SECONDS,
    OPT_TRIALS,
    OPT_SEED,
    OPT_INJECT,
    OPT_PARAM,
    OPT_PROFILE,
    OPT_POSIX_FAULTS,
    OPT_TIMEOUT,
    OPT_DEADLINE,
    OPT_OUT,
    OPT_LINE,
    OPT_OUTCOME,
    OPT_SHARD,
    OPT_SHARDS,
};

typedef struct {
    int id;
    const char *name;
    const char *value; /* its value in the help; NULL: it takes none */
    const char *help;  /* one paragraph, wrapped when printed */
} option_def;

static const option_def OPTIONS[] = {
    {OPT_MODE, "mode", "stress|fuzz|sched|stress+fuzz",
     "how interleavings are pushed (run's default: stress+fuzz, half the budget each, one "
     "verdict from both)"},
    {OPT_STRATEGY, "strategy", "S", "sched mode: random, pct:D or dfs:B"},
    {OPT_OUTCOME, "outcome", "NAME",
     "the failure to look for and to shrink towards: a forbidden outcome or deadlock "
     "(default: any, and the shrink keeps the first one's)"},
    {OPT_UNTIL_FAIL, "until-fail", NULL, "each run stops at its first failure"},
    {OPT_FLAVOUR, "flavour", "plain|tsan|both",
     "builds to run (default both); --flavor is the same"},
    {OPT_SECONDS, "seconds", "S", "budget of each run in seconds (default: the program's, 1 s)"},
    {OPT_TRIALS, "trials", "N", "budget of each run in trials (not with --seconds)"},
    {OPT_SEED, "seed", "N",
     "seed of every run, 0 to 2^64-1 (default: each program draws one; it is recorded)"},
    {OPT_INJECT, "inject", "SPEC",
     "PATTERN:ACTION[,p=P], repeatable (fuzz, sched): given to each scenario with a point it "
     "matches"},
    {OPT_PARAM, "param", "KEY=N", "a scenario knob, repeatable"},
    {OPT_PROFILE, "profile", "NAME", "fuzz mode: none, gentle, default or heavy"},
    {OPT_POSIX_FAULTS, "posix-faults", "SPEC",
     "NAME[:p=P][,errno=E], a libfiu POSIX fault (posix/io/rw/write...), repeatable; given to "
     "every run (it acts on scenarios doing real I/O)"},
    {OPT_TIMEOUT, "timeout", "S",
     "a trial with no progress for S s is a hang (the program's watchdog; default 3)"},
    {OPT_DEADLINE, "deadline", "S",
     "the driver's watchdog per run (default 1.5 x budget + 2 x timeout + 10 s): stacks, then "
     "kill"},
    {OPT_OUT, "out", "DIR", "results folder (default results/<UTC>-<host>)"},
    {OPT_JOBS, "jobs", "N", "runs at once (default 1: races need the cores)"},
    {OPT_JSON, "json", NULL, "JSON instead of a table"},
    {OPT_LINE, "line", "N", "run line N of RECORD, a runs.jsonl (from 1)"},
    {OPT_SHARD, "shard", "K/N",
     "run only shard K (1 to N) of the plan split in N by cost; needs --out and --seed"},
    {OPT_SHARDS, "shards", "N", "the plan split in N shards, as run --shard K/N splits it"},
    {OPT_BUILD, "build", "DIR",
     "where plain/ and tsan/ are (default: next to this program); before or after the command"},
    {OPT_HELP, "help", NULL, "this help"},
    {OPT_VERSION, "version", NULL, "racelab's version"},
};

/* An option of one command: the shared definition, or its own words. */
typedef struct {
    int id;
    const char *value, *help; /* NULL: the shared ones */
} command_option;

typedef struct {
    const char *name;
    const char *words; /* what follows the command in its usage line */
    const char *summary;
    const char *about; /* the command's own help, before its options (wrapped) */
    command_option options[24];
} command_def;

#define END                                                                                        \
    {                                                                                              \
        0, NULL, NULL                                                                              \
    }
#define GLOBAL                                                                                     \
    {OPT_BUILD, NULL, NULL}, { OPT_HELP, NULL, NULL }

static const command_def COMMANDS[] = {
    {"list",
     "[--json]",
     "scenarios, their variants and expectations",
     "Every scenario and variant: expectation, caught_by, summary (--json: the "
     "descriptors, each with its programs).",
     {{OPT_JSON, NULL, NULL}, GLOBAL, END}},
    {"describe",
     "NAME [--json]",
     "one scenario: variants, outcomes, points",
     "One scenario: its variants, outcomes and points (--json: its descriptor).",
     {{OPT_JSON, NULL, NULL}, GLOBAL, END}},
    {"points",
     "[NAME] [--json] | --exec [--json]",
     "the points of every scenario (or of NAME), or exec mode's",
     "One line per point of every scenario (or of NAME): scenario, point, kind "
     "(delay or fault), meaning. With --exec: the points of exec mode's preloaded "
     "library (racelab exec --list-points).",
     {{OPT_JSON, NULL, NULL}, GLOBAL, END}},
    {"run",
     "[PATTERN[:VARIANT]]... [options]",
     "run scenarios (default: all of them)",
     "Runs scenarios, each selected variant once per flavour, plain first, in the "
     "order of the patterns. PATTERN and VARIANT are globs over scenario and variant "
     "names; none means everything. Each run is a child process under the driver's "
     "watchdog; the records go to DIR/runs.jsonl, the table to DIR/summary.txt.",
     {{OPT_MODE, NULL, NULL},
      {OPT_STRATEGY, NULL, NULL},
      {OPT_UNTIL_FAIL, NULL, NULL},
      {OPT_FLAVOUR, NULL, NULL},
      {OPT_SECONDS, NULL, NULL},
      {OPT_TRIALS, NULL, NULL},
      {OPT_SEED, NULL, NULL},
      {OPT_INJECT, NULL, NULL},
      {OPT_PARAM, NULL, NULL},
      {OPT_PROFILE, NULL, NULL},
      {OPT_POSIX_FAULTS, NULL, NULL},
      {OPT_TIMEOUT, NULL, NULL},
      {OPT_DEADLINE, NULL, NULL},
      {OPT_OUT, NULL, NULL},
      {OPT_JOBS, NULL, NULL},
      {OPT_SHARD, NULL, NULL},
      GLOBAL,
      END}},
    {"plan",
     "[PATTERN[:VARIANT]]... [--shards N] [--json] [run's options]",
     "the runs `racelab run` would make, and their split in shards",
     "The runs that `racelab run` with the same words and options would make, positive "
     "controls included, each with its cost (budget x flavour weight, TSan 3) and, with "
     "--shards N, the shard `racelab run --shard K/N` gives it; the plan's hash is what "
     "`racelab merge` checks.",
     {{OPT_SHARDS, NULL, NULL},
      {OPT_JSON, NULL, NULL},
      {OPT_MODE, NULL, NULL},
      {OPT_STRATEGY, NULL, NULL},
      {OPT_UNTIL_FAIL, NULL, NULL},
      {OPT_FLAVOUR, NULL, NULL},
      {OPT_SECONDS, NULL, NULL},
      {OPT_TRIALS, NULL, NULL},
      {OPT_SEED, NULL, NULL},
      {OPT_INJECT, NULL, NULL},
      {OPT_PARAM, NULL, NULL},
      {OPT_PROFILE, NULL, NULL},
      {OPT_POSIX_FAULTS, NULL, NULL},
      {OPT_TIMEOUT, NULL, NULL},
      GLOBAL,
      END}},
    {"merge",
     "DIR... --out DIR",
     "one results folder from the shards of a night",
     "Joins the folders of `racelab run --shard K/N` into one: records in plan order with "
     "their run ids, TSan logs, stacks and stderr files, summary.txt, junit.xml, results.tap "
     "and report.html. Shards of different plans or versions, or one given twice: exit 2. "
     "A missing or unfinished shard is named: exit 3. Else the worst run's status.",
     {{OPT_OUT, NULL, "the merged results folder (new)"}, GLOBAL, END}},
    {"rerun",
     "RECORD [--line N] [options]",
     "run one record of runs.jsonl again, the same way",
     "Runs one record again the same way: scenario, variant, flavour, mode, seed, "
     "trials, timeout, params, faults, inject specs, and in sched mode the strategy "
     "and the failing schedule (--replay). RECORD is a file holding one record, a "
     "runs.jsonl with --line N, or - for stdin.",
     {{OPT_LINE, NULL, NULL}, {OPT_OUT, NULL, NULL}, {OPT_DEADLINE, NULL, NULL}, GLOBAL, END}},
    {"repro",
     "NAME:VARIANT [options]",
     "the minimal failing interleaving, by the controlled scheduler",
     "Runs one variant under the controlled scheduler (--mode sched --until-fail "
     "--shrink) and prints the minimal failing interleaving: schedule, preemptions, "
     "cause, who waits for what, the trace and the command that replays it.",
     {{OPT_SEED, NULL, "seed of the run (default: drawn; it is recorded)"},
      {OPT_TRIALS, NULL, "budget in trials (default 5000)"},
      {OPT_SECONDS, NULL, "budget in seconds instead of trials"},
      {OPT_FLAVOUR, "plain|tsan", "the build to run (default plain); --flavor is the same"},
      {OPT_STRATEGY, NULL, "random, pct:D or dfs:B (default pct:3)"},
      {OPT_OUTCOME, NULL, NULL},
      {OPT_INJECT, NULL,
       "a fault spec, PATTERN:fail[,p=P], repeatable (the scheduler decides timing)"},
      {OPT_PARAM, NULL, NULL},
      {OPT_POSIX_FAULTS, NULL, NULL},
      {OPT_TIMEOUT, NULL, NULL},
      {OPT_DEADLINE, NULL, NULL},
      {OPT_OUT, NULL, NULL},
      {OPT_MODE, "sched", "the only mode repro runs (the default)"},
      GLOBAL,
      END}},
    {"parse-tsan",
     "FILE...",
     "counts, kinds and sites of ThreadSanitizer logs",
     "Reads ThreadSanitizer log files and prints, as JSON, their reports counted by "
     "kind and deduplicated into sites.",
     {GLOBAL, END}},
    {"help",
     "[COMMAND]",
     "this help, or a command's own",
     "The help of racelab or of COMMAND.",
     {GLOBAL, END}},
};

#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const option_def *option_of(int id)
{
    for (size_t i = 0; i < sizeof OPTIONS / sizeof OPTIONS[0]; i++)
        if (OPTIONS[i].id == id)
            return &OPTIONS[i];
    return NULL;
}

static const command_def *command_of(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* ---- help --------------------------------------------------------------- */

/* TEXT from column COL (where the cursor is), its words wrapped at
 * HELP_WIDTH, further lines indented to COL. */
static void wrapped(FILE *f, int col, const char *text)
{
    int at = col;
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " ");
        if (at > col && at + 1 + (int)word > HELP_WIDTH) {
            fprintf(f, "\n%*s", col, "");
            at = col;
        } else if (at > col) {
            fputc(' ', f);
            at++;
        }
        fprintf(f, "%.*s", (int)word, p);
        at += (int)word;
        p += word;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

/* LEFT, then TEXT from HELP_COLUMN (on the next line when LEFT is long). */
static void help_line(FILE *f, const char *left, const char *text)
{
    int n = fprintf(f, "%s", left);
    if (n + 2 > HELP_COLUMN) {
        fputc('\n', f);
        n = 0;
    }
    fprintf(f, "%*s", HELP_COLUMN - n, "");
    wrapped(f, HELP_COLUMN, text);
}

/* "  --name VALUE   help" ("  -c, --name" with a short form). */
static void option_help(FILE *f, const option_def *d, const char *value, const char *help)
{
    char left[64];
    if (d->id < 256)
        snprintf(left, sizeof left, "  -%c, --%s%s%s", d->id, d->name, value ? " " : "",
                 value ? value : "");
    else
        snprintf(left, sizeof left, "  --%s%s%s", d->name, value ? " " : "", value ? value : "");
    help_line(f, left, help);
}

static void general_usage(FILE *f)
{
    fputs("usage: racelab [--build DIR] COMMAND [options]\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof left, "  %s %s", COMMANDS[i].name, COMMANDS[i].words);
        help_line(f, left, COMMANDS[i].summary);
    }
    help_line(f, "  report DIR... [--html FILE]",
              "junit.xml, results.tap, report.html; several: trends");
    help_line(f, "  diff OLD NEW [--json FILE]",
              "what changed: regressions, rates (Fisher), times");
    help_line(f, "  compare NAME[:V1,V2,...] [options]",
              "candidate fixes: correctness, cost interleaved, a decision");
    help_line(f, "  exec [options] -- PROGRAM...",
              "an unmodified pthread program, many runs, noise at its pthread calls");
    help_line(f, "  cc | c++ [--tsan] CLANG-ARGS...",
              "clang whose output makes every shared access a point for exec");
    fputs("global options (before or after the command):\n", f);
    option_help(f, option_of(OPT_BUILD), "DIR",
                "where plain/ and tsan/ are (default: next to this program)");
    option_help(f, option_of(OPT_HELP), NULL, "this help; after a command, that command's help");
    option_help(f, option_of(OPT_VERSION), NULL, option_of(OPT_VERSION)->help);
    fputs("'racelab help COMMAND' or 'racelab COMMAND --help' lists a command's options.\n"
          "exit status, the worst run's: 0 every expectation met, 1 a fix failed, 4 weak\n"
          "evidence (a racy variant not reproduced, a fix inconclusive), 2 usage or input\n"
          "error, 3 harness or environment failure, 130 interrupted\n",
          f);
}

static void command_usage(FILE *f, const command_def *cmd)
{
    fprintf(f, "usage: racelab %s %s\n", cmd->name, cmd->words);
    wrapped(f, 0, cmd->about);
    fputs("options:\n", f);
    for (const command_option *co = cmd->options; co->id != 0; co++) {
        const option_def *d = option_of(co->id);
        option_help(f, d, co->value ? co->value : d->value, co->help ? co->help : d->help);
    }
}

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
        if (strcmp(value, "stress") != 0 && strcmp(value, "fuzz") != 0 &&
            strcmp(value, "sched") != 0 && strcmp(value, "stress+fuzz") != 0)
            return bad("--mode wants stress, fuzz, sched or stress+fuzz", value);
        o->mode = value;
        return 0;
    case OPT_FLAVOUR:
        if (strcmp(value, "plain") == 0)
            o->flavours = FLAVOUR_PLAIN;
        else if (strcmp(value, "tsan") == 0)
            o->flavours = FLAVOUR_TSAN;
        else if (strcmp(value, "both") == 0)
            o->flavours = FLAVOUR_PLAIN | FLAVOUR_TSAN;
        else
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
        o->seed_text = value;
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
        if (*value == '\0')
            return bad("--strategy wants random, pct:D or dfs:B", value);
        o->strategy = value;
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
    case OPT_SHARD: {
        unsigned long long k, total;
        char *slash = strchr(value, '/');
        char *left = xstrdup(value);
        if (slash != NULL)
            left[slash - value] = '\0';
        int ok = slash != NULL && parse_whole(left, 0, 10000, &k) == 0 &&
                 parse_whole(slash + 1, 1, 10000, &total) == 0 && k <= total;
        free(left);
        if (ok && k == 0) /* as Jest, Playwright, Vitest and GitLab's CI_NODE_INDEX count */
            return bad("--shard counts shards from 1 (1/N to N/N), not from 0", value);
        if (!ok)
            return bad("--shard wants K/N with 1 <= K <= N <= 10000", value);
        o->shard_k = (int)k - 1; /* 0-based inside; 1-based in every word and file */
        o->shard_n = (int)total;
        return 0;
    }
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

static void add_long(struct option *longs, int *n, const option_def *d)
{
    longs[(*n)++] =
        (struct option){d->name, d->value ? required_argument : no_argument, NULL, d->id};
    if (d->id == OPT_FLAVOUR) /* the alias, documented with --flavour */
        longs[(*n)++] = (struct option){"flavor", required_argument, NULL, OPT_FLAVOUR};
}

/* The one-line error of a getopt_long failure ('?' or ':'). */
static int getopt_error(int r, char **argv, const struct option *longs, const char *help)
{
    const option_def *d = optopt != 0 ? option_of(optopt) : NULL;
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    if (r == ':' && d != NULL) {
        error_msg("--%s needs a value (see '%s')", d->name, help);
    } else if (d != NULL) {
        error_msg("--%s takes no value (see '%s')", d->name, help);
    } else if (optopt != 0) {
        error_msg("unknown option '-%c' (see '%s')", optopt, help);
    } else {
        /* An unknown long option, or a prefix of several (--s). */
        buffer names = {0};
        size_t len = strncmp(word, "--", 2) == 0 ? strcspn(word + 2, "=") : 0; /* not "?" + 2 */
        for (int i = 0; strncmp(word, "--", 2) == 0 && longs[i].name != NULL; i++)
            if (strncmp(longs[i].name, word + 2, len) == 0 &&
                (i == 0 || longs[i].val != longs[i - 1].val)) { /* --flavor: --flavour */
                buf_append(&names, names.len ? ", --" : "--", names.len ? 4 : 2, SIZE_MAX);
                buf_append(&names, longs[i].name, strlen(longs[i].name), SIZE_MAX);
            }
        if (names.len > 0)
            error_msg("ambiguous option '%s': %s (see '%s')", word, names.data, help);
        else
            error_msg("unknown option '%s' (see '%s')", word, help);
        buf_free(&names);
    }
    return RL_EXIT_USAGE;
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
    struct option longs[4];
    int n = 0;
    add_long(longs, &n, option_of(OPT_BUILD));
    add_long(longs, &n, option_of(OPT_HELP));
    add_long(longs, &n, option_of(OPT_VERSION));
    longs[n] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* glibc: start afresh */
    opterr = 0;
    int r;
    while ((r = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
        switch (r) {
        case OPT_HELP: general_usage(stdout); return CLI_DONE;
        case OPT_VERSION: printf("racelab %s\n", RL_VERSION); return CLI_DONE;
        case '?':
        case ':': return getopt_error(r, argv, longs, "racelab --help");
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
        general_usage(stdout);
        return CLI_DONE;
    }
    const command_def *cmd = command_of(c->args[0]);
    if (c->n_args > 1 || cmd == NULL) {
        error_msg("help takes one command name, not '%s' (see 'racelab help')",
                  c->args[c->n_args > 1 ? 1 : 0]);
        return RL_EXIT_USAGE;
    }
    command_usage(stdout, cmd);
    return CLI_DONE;
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
        general_usage(stderr);
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
    char help[64];
    snprintf(help, sizeof help, "racelab %s --help", cmd->name);

    /* The command's options; words come back in order (optstring '-'). */
    struct option longs[32];
    int n = 0, jobs = 0;
    for (const command_option *co = cmd->options; co->id != 0; co++) {
        add_long(longs, &n, option_of(co->id));
        jobs |= co->id == OPT_JOBS;
    }
    longs[n] = (struct option){NULL, 0, NULL, 0};
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind; /* sub_argv[0]: the command */
    optind = 0;
    int r;
    while ((r = getopt_long(sub_argc, sub_argv, jobs ? "-:hj:" : "-:h", longs, NULL)) != -1) {
        if (r == 1) {
            c->args[c->n_args++] = optarg;
        } else if (r == OPT_HELP) {
            command_usage(stdout, cmd);
            return CLI_DONE;
        } else if (r == '?' || r == ':') {
            return getopt_error(r, sub_argv, longs, help);
        } else if ((rc = once(r, optarg)) != 0 || (rc = apply(c, r, optarg)) != 0) {
            return rc;
        }
    }
    for (; optind < sub_argc; optind++) /* after `--` */
        c->args[c->n_args++] = sub_argv[optind];
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
