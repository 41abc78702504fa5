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
    {OPT_STRATEGY, "strategy", "S", "sched mode: random, pct:D, dfs:B, pos or fuzz"},
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
    /* exec */
    {OPT_RUNS, "runs", "N", "the budget in runs (default 100); with --seconds: whichever first"},
    {OPT_RUN_SEED, "run-seed", "N",
     "every run is seeded with N itself (a record's failed run again: racelab rerun passes it)"},
    {OPT_EXPECT, "expect", "holds|reproduces", "what the program must show (default holds)"},
    {OPT_FAIL_ON, "fail-on", "REGEX", "a run whose stdout or stderr matches fails (POSIX ERE)"},
    {OPT_OK_STATUS, "ok-status", "LIST",
     "exit statuses that are not failures (default 0): 0,1,3-5"},
    {OPT_LIST_POINTS, "list-points", NULL, "the exec points (--json: as JSON), and exit"},
    {OPT_REPLAY, "replay", "SCHEDULE", "sched: every run follows this schedule (from a record)"},
    {OPT_SHRINK, "shrink", NULL,
     "sched: the first failing schedule reduced to the fewest preemptions, its trace printed"},
    {OPT_NO_FORK_SERVER, "no-fork-server", NULL,
     "spawn every run afresh (default: each run is a fork of the program, loaded once, taken "
     "before main)"},
    {OPT_PIN, "pin", NULL,
     "sched: each run's threads on one processor (one a --jobs slot): hand-overs between "
     "threads without waking another processor; the program sees that one (docs/search.md)"},
    {OPT_CORPUS, "corpus", "DIR",
     "sched, --strategy fuzz: the corpus of abstract schedules, loaded from DIR at the start and "
     "kept there (one file an entry), so a campaign resumes"},
    {OPT_LEAKS, "leaks", "fail|ignore",
     "a sanitizer build's leak report at exit: the run's failure (`leak`, the default) or not "
     "looked for"},
    /* compare */
    {OPT_BUDGET, "budget", "S", "about how long the whole comparison takes (default 40)"},
    {OPT_ROUNDS, "rounds", "R", "interleaved cost rounds, 2..64 (default 5)"},
    {OPT_DFS, "dfs", "B", "the dfs:B exhaustive run's preemption bound (default 2; 0: none)"},
    {OPT_DFS_TRIALS, "dfs-trials", "N", "the dfs run's cap on schedules (default 20000)"},
    {OPT_COST_MODE, "cost-mode", "M", "stress, fuzz or both (default both)"},
    {OPT_NO_COST, "no-cost", NULL, "correctness only"},
    /* report, diff */
    {OPT_HTML, "html", "FILE", "report.html written to FILE instead"},
    {OPT_ALPHA, "alpha", "A", "a change when p < A (default 0.01)"},
    {OPT_BAND, "band", "F",
     "trials/s with one figure a side: a change outside x(1+F) (default 1: a factor 2)"},
};

const size_t N_OPTIONS = sizeof OPTIONS / sizeof OPTIONS[0];

#define END                                                                                        \
    {                                                                                              \
        0, NULL, NULL                                                                              \
    }
#define GLOBAL                                                                                     \
    {OPT_BUILD, NULL, NULL}, { OPT_HELP, NULL, NULL }

/* What run and plan both take: plan prints the runs run would make. */
#define RUN_OPTIONS                                                                                \
    {OPT_MODE, NULL, NULL}, {OPT_STRATEGY, NULL, NULL}, {OPT_UNTIL_FAIL, NULL, NULL},              \
        {OPT_FLAVOUR, NULL, NULL}, {OPT_SECONDS, NULL, NULL}, {OPT_TRIALS, NULL, NULL},            \
        {OPT_SEED, NULL, NULL}, {OPT_INJECT, NULL, NULL}, {OPT_PARAM, NULL, NULL},                 \
        {OPT_PROFILE, NULL, NULL}, {OPT_POSIX_FAULTS, NULL, NULL},                                 \
    {                                                                                              \
        OPT_TIMEOUT, NULL, NULL                                                                    \
    }

const command_def COMMANDS[] = {
    {.name = "list",
     .words = "[--json]",
     .summary = "scenarios, their variants and expectations",
     .about = "Every scenario and variant: expectation, caught_by, summary (--json: the "
              "descriptors, each with its programs).",
     .options = {{OPT_JSON, NULL, NULL}, GLOBAL, END}},
    {.name = "describe",
     .words = "NAME [--json]",
     .summary = "one scenario: variants, outcomes, points",
     .about = "One scenario: its variants, outcomes and points (--json: its descriptor).",
     .options = {{OPT_JSON, NULL, NULL}, GLOBAL, END}},
    {.name = "points",
     .words = "[NAME] [--json] | --exec [--json]",
     .summary = "the points of every scenario (or of NAME), or exec mode's",
     .about = "One line per point of every scenario (or of NAME): scenario, point, kind "
              "(delay or fault), meaning. With --exec: the points of exec mode's preloaded "
              "library (racelab exec --list-points).",
     .options = {{OPT_JSON, NULL, NULL}, GLOBAL, END}},
    {.name = "run",
     .words = "[PATTERN[:VARIANT]]... [options]",
     .summary = "run scenarios (default: all of them)",
     .about = "Runs scenarios, each selected variant once per flavour, plain first, in the "
              "order of the patterns. PATTERN and VARIANT are globs over scenario and variant "
              "names; none means everything. Each run is a child process under the driver's "
              "watchdog; the records go to DIR/runs.jsonl, the table to DIR/summary.txt.",
     .options = {RUN_OPTIONS,
                 {OPT_DEADLINE, NULL, NULL},
                 {OPT_OUT, NULL, NULL},
                 {OPT_JOBS, NULL, NULL},
                 {OPT_SHARD, NULL, NULL},
                 GLOBAL,
                 END}},
    {.name = "plan",
     .words = "[PATTERN[:VARIANT]]... [--shards N] [--json] [run's options]",
     .summary = "the runs `racelab run` would make, and their split in shards",
     .about = "The runs that `racelab run` with the same words and options would make, positive "
              "controls included, each with its cost (budget x flavour weight, TSan 3) and, with "
              "--shards N, the shard `racelab run --shard K/N` gives it; the plan's hash is what "
              "`racelab merge` checks.",
     .options = {{OPT_SHARDS, NULL, NULL}, {OPT_JSON, NULL, NULL}, RUN_OPTIONS, GLOBAL, END}},
    {.name = "merge",
     .words = "DIR... --out DIR",
     .summary = "one results folder from the shards of a night or of an exec campaign",
     .about =
         "Joins the folders of `racelab run --shard K/N` into one: records in plan order with "
         "their run ids, TSan logs, stacks and stderr files, summary.txt, junit.xml, results.tap "
         "and report.html. Shards of different plans or versions, or one given twice: exit 2. "
         "A missing or unfinished shard is named: exit 3. Else the worst run's status. The "
         "folders of `racelab exec --shard K/N` are joined into one exec record: tallies "
         "summed, failures in run order, graded as exec grades (its exit status); the same "
         "refusals, and run and exec shards are not mixed (exit 2).",
     .options = {{OPT_OUT, NULL, "the merged results folder (new)"}, GLOBAL, END}},
    {.name = "rerun",
     .words = "RECORD [--line N] [options]",
     .summary = "run one record of runs.jsonl again, the same way",
     .about = "Runs one record again the same way: scenario, variant, flavour, mode, seed, "
              "trials, timeout, params, faults, inject specs, and in sched mode the strategy "
              "and the failing schedule (--replay). RECORD is a file holding one record, a "
              "runs.jsonl with --line N, or - for stdin.",
     .options =
         {{OPT_LINE, NULL, NULL}, {OPT_OUT, NULL, NULL}, {OPT_DEADLINE, NULL, NULL}, GLOBAL, END}},
    {.name = "repro",
     .words = "NAME:VARIANT [options]",
     .summary = "the minimal failing interleaving, by the controlled scheduler",
     .about = "Runs one variant under the controlled scheduler (--mode sched --until-fail "
              "--shrink) and prints the minimal failing interleaving: schedule, preemptions, "
              "cause, who waits for what, the trace and the command that replays it.",
     .options = {{OPT_SEED, NULL, "seed of the run (default: drawn; it is recorded)"},
                 {OPT_TRIALS, NULL, "budget in trials (default 5000)"},
                 {OPT_SECONDS, NULL, "budget in seconds instead of trials"},
                 {OPT_FLAVOUR, "plain|tsan",
                  "the build to run (default plain); --flavor is the same"},
                 {OPT_STRATEGY, NULL, "random, pct:D, dfs:B, pos or fuzz (default pct:3)"},
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
    {.name = "parse-tsan",
     .words = "FILE...",
     .summary = "counts, kinds and sites of ThreadSanitizer logs",
     .about = "Reads ThreadSanitizer log files and prints, as JSON, their reports counted by "
              "kind and deduplicated into sites.",
     .options = {GLOBAL, END}},
    {.name = "exec",
     .words = "[options] -- PROGRAM [ARGS...]",
     .summary = "an unmodified pthread program, many runs, noise at its pthread calls",
     .about = "Runs an unmodified, dynamically linked pthread program many times, each run a "
              "child in its own process group, with yields and delays injected at its pthread "
              "calls by a preloaded library, or its threads run one at a time under the "
              "controlled scheduler; a run fails on a non-zero exit status, a signal, a hang or "
              "deadlock, a sanitizer report (sanitizer builds) or output matching --fail-on.",
     .after = "exit status: 0 the expectation met, 1 a `holds` program failed, 4 a\n"
              "`reproduces` program did not fail (weak evidence), 2 bad input, 3 harness\n"
              "failure, 130 interrupted\n",
     .word_ends_options = 1,
     .options = {{OPT_MODE, "noise|sched", "how interleavings are pushed (default noise)"},
                 {OPT_STRATEGY, NULL,
                  "sched: fuzz (the default; greybox: a corpus of reads-from constraints), "
                  "random, pct:D, pos (partial order sampling) or dfs:B (the schedules with at "
                  "most B preemptions, one a run); docs/search.md"},
                 {OPT_CORPUS, NULL, NULL},
                 {OPT_REPLAY, NULL, NULL},
                 {OPT_SHRINK, NULL, NULL},
                 {OPT_NO_FORK_SERVER, NULL, NULL},
                 {OPT_PIN, NULL, NULL},
                 {OPT_RUNS, NULL, NULL},
                 {OPT_SECONDS, NULL,
                  "the budget in seconds (a run started in time finishes); with --runs: "
                  "whichever first"},
                 {OPT_JOBS, NULL, "runs at once (default 1)"},
                 {OPT_SEED, NULL,
                  "run i is seeded with splitmix64 of (N, i): campaigns with different seeds are "
                  "independent (default: clock)"},
                 {OPT_RUN_SEED, NULL, NULL},
                 {OPT_SHARD, NULL,
                  "run only shard K (1 to N) of the campaign: runs i with i mod N = K-1, their "
                  "seeds and indices as unsharded; needs --seed and --out; racelab merge joins "
                  "the shards"},
                 {OPT_UNTIL_FAIL, NULL,
                  "stop at the first failed run (with --shard: this shard's)"},
                 {OPT_EXPECT, NULL, NULL},
                 {OPT_TIMEOUT, NULL,
                  "a run longer than S seconds is a hang (default 10): gdb takes its stacks, its "
                  "process group is killed"},
                 {OPT_INJECT, NULL,
                  "PATTERN:ACTION[=ARG][,p=P] over the exec points, repeatable (see "
                  "--list-points): yield, spin=N, delay=DURATION"},
                 {OPT_PROFILE, NULL,
                  "none, gentle, default or heavy (the scenario profiles); without --profile and "
                  "--inject: default"},
                 {OPT_POSIX_FAULTS, NULL,
                  "NAME[:p=P][,errno=E], a libfiu POSIX fault (posix/io/rw/write...), repeatable"},
                 {OPT_FAIL_ON, NULL, NULL},
                 {OPT_OK_STATUS, NULL, NULL},
                 {OPT_LEAKS, NULL, NULL},
                 {OPT_OUT, NULL, NULL},
                 {OPT_LIST_POINTS, NULL, NULL},
                 {OPT_JSON, NULL, "with --list-points: JSON"},
                 {OPT_HELP, NULL, NULL},
                 END}},
    {.name = "compare",
     .words = "NAME[:V1,V2,...] [options]",
     .summary = "candidate fixes: correctness, cost interleaved, a decision",
     .about = "Candidate fixes of scenario NAME side by side (default: every variant expected to "
              "hold or be benign). Correctness per candidate and flavour: stress, fuzz and sched "
              "(pct:3) runs and a dfs:B run, each beside the positive control (the scenario's "
              "racy variants, same settings). Cost: trials/s in stress and fuzz mode (plain "
              "build), measured interleaved (A, B, C, A, B, C, ...), as ratios against the "
              "fastest with 95% intervals, for every value of a --param knob. Then one decision "
              "line.",
     .after = "exit status: 0 a candidate holds with its control reproduced, 1 every candidate\n"
              "fails, 4 weak evidence (none fails-free with a reproduced control), 2 bad input,\n"
              "3 harness failure, 130 interrupted\n",
     .options = {{OPT_BUDGET, NULL, NULL},
                 {OPT_ROUNDS, NULL, NULL},
                 {OPT_PARAM, "KEY=A,B",
                  "a scenario knob; several values (one knob only): cost grows with it, a table "
                  "per mode; repeatable"},
                 {OPT_FLAVOUR, "F", "plain, tsan or both (default both; cost in plain)"},
                 {OPT_INJECT, NULL,
                  "fuzz-mode spec for every fuzz run, repeatable (default: the program's "
                  "profile)"},
                 {OPT_DFS, NULL, NULL},
                 {OPT_DFS_TRIALS, NULL, NULL},
                 {OPT_SEED, NULL, "the first seed (default 1; round r uses N+r)"},
                 {OPT_TIMEOUT, NULL, "the programs' own watchdog (default 3)"},
                 {OPT_COST_MODE, NULL, NULL},
                 {OPT_NO_COST, NULL, NULL},
                 {OPT_OUT, NULL,
                  "results folder (default results/<UTC>-<host>/): runs.jsonl and compare.txt"},
                 GLOBAL,
                 END}},
    {.name = "report",
     .words = "DIR... [--html FILE]",
     .summary = "junit.xml, results.tap, report.html; several: trends",
     .about = "DIR is a results folder or its runs.jsonl. One DIR: writes DIR/junit.xml, "
              "DIR/results.tap and DIR/report.html (or FILE). Several: one page over all of "
              "them, by date (the newest folder's matrix and plots, a trend per variant across "
              "folders, and what changed since the folder before the newest), to FILE or the "
              "newest folder's report.html.",
     .after = "exit status: the worst class of the newest folder: 0 all met, 4 weak evidence,\n"
              "1 a fix failed, 2 bad input, 3 harness failure or records that are not whole\n"
              "(docs/trust.md)\n",
     .options = {{OPT_HTML, NULL, NULL}, {OPT_HELP, NULL, NULL}, END}},
    {.name = "diff",
     .words = "OLD NEW [--json FILE] [--alpha A] [--band F]",
     .summary = "what changed: regressions, rates (Fisher), times",
     .about = "OLD and NEW are results folders or runs.jsonl files. One row per variant x "
              "flavour x mode: regression (a fix that held now fails), detector-regression (a "
              "racy variant that reproduced no longer does), fixed, inconclusive, error...; "
              "failure-rate changes by Fisher's exact test (two-sided, p printed; a change when "
              "p < A, default 0.01), time to first failure by an F test on the mean times "
              "(exponential model), trials/s by Welch's t on repeated figures or, with one "
              "figure a side, outside a band of x(1+F) (default F 1: a factor 2).",
     .after = "exit status: the worst class of the rows (the new folder's): 0 all met, 4 weak\n"
              "evidence, 1 a fix failed, 2 bad input, 3 harness failure or records that are not\n"
              "whole (docs/trust.md)\n",
     .options = {{OPT_JSON, "FILE", "the rows as JSON ('-' for stdout, the table then to stderr)"},
                 {OPT_ALPHA, NULL, NULL},
                 {OPT_BAND, NULL, NULL},
                 {OPT_HELP, NULL, NULL},
                 END}},
    {.name = "help",
     .words = "[COMMAND]",
     .summary = "this help, or a command's own",
     .about = "The help of racelab or of COMMAND.",
     .options = {GLOBAL, END}},
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
