/* options_table.c — every option of racelab's commands, defined once (name,
 * value, help; its value is checked in options.c's apply()), and every
 * command with the options it takes and its own help where an option's
 * meaning differs. */
#include "core/options_table.h"

#include <string.h>

const option_def OPTIONS[] = {
    {OPT_MODE, "mode", "stress|fuzz|sched|stress+fuzz",
     "how interleavings are pushed (run's default: stress+fuzz, half the budget each, one "
     "verdict from both)"},
    {OPT_STRATEGY, "strategy", "S", "sched mode: random, pct:D, dfs:B or pos"},
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
     "run only shard K (0 to N-1) of the plan split in N by cost; needs --out and --seed"},
    {OPT_SHARDS, "shards", "N", "the plan split in N shards, as run --shard K/N splits it"},
    {OPT_BUILD, "build", "DIR",
     "where plain/ and tsan/ are (default: next to this program); before or after the command"},
    {OPT_HELP, "help", NULL, "this help"},
    {OPT_VERSION, "version", NULL, "racelab's version"},
};

const size_t N_OPTIONS = sizeof OPTIONS / sizeof OPTIONS[0];

#define END                                                                                        \
    {                                                                                              \
        0, NULL, NULL                                                                              \
    }
#define GLOBAL                                                                                     \
    {OPT_BUILD, NULL, NULL}, { OPT_HELP, NULL, NULL }

const command_def COMMANDS[] = {
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
      {OPT_STRATEGY, NULL, "random, pct:D, dfs:B or pos (default pct:3)"},
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

const size_t N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0];

const option_def *option_of(int id)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (OPTIONS[i].id == id)
            return &OPTIONS[i];
    return NULL;
}

const command_def *command_of(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}
