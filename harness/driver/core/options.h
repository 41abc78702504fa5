/* options.h — every command's command line (getopt_long) and its help. */
#ifndef RL_DRIVER_CORE_OPTIONS_H
#define RL_DRIVER_CORE_OPTIONS_H

#include "../../../injectors/sched/strategy.h"
#include "../../common/mode.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct {
    int has_mode;             /* 0: the program's default */
    rl_mode mode;             /* parsed once (options.c, rerun.c) */
    int flavours;             /* FLAVOUR_PLAIN | FLAVOUR_TSAN */
    const char *seconds_text; /* passed through as given */
    double seconds;
    const char *trials_text;
    int has_seed; /* --seed given: parsed once, here or by rerun */
    unsigned long long seed;
    const char *timeout_text;
    int has_strategy;     /* sched mode: --strategy given (parsed once) */
    rl_strategy strategy; /* random, pct:D, dfs:B */
    int until_fail;
    double timeout;  /* the program's watchdog, 3 unless given */
    double deadline; /* the driver's watchdog per run; 0: computed */
    const char **injects;
    int n_injects;
    const char **params;
    int n_params;
    const char *profile;       /* fuzz mode: passed through */
    const char **posix_faults; /* passed through to every run */
    int n_posix_faults;
    const char *flavour_text; /* --flavour as given, or NULL */
    const char *replay;       /* sched mode: force this schedule (rerun) */
    int shrink;               /* sched mode: --shrink (repro) */
    const char *outcome;      /* sched mode: --outcome NAME (repro) */
    const char *engine;       /* a program's --engine (rerun of a naive run) */
    const char *out_dir;
    const char *build_dir;
    int controls; /* run: fixes wait for their positive controls (plan_add_controls) */
    int jobs;
    int shard_k, shard_n; /* --shard K/N (run) or --shards N (plan); shard_n 0: whole plan */
    char **patterns;      /* not owned */
    int n_patterns;
} run_options;

/* One command line: the command and what its options and words said. */
typedef struct {
    const char *command;     /* "run", "list"...; NULL before it is known */
    run_options o;           /* run and repro; --out, --build, --deadline of rerun */
    int json;                /* list, describe, points: --json */
    unsigned long long line; /* rerun: --line N */
    int line_given;
    char **args; /* the words that are not options, in order */
    int n_args;
} command_line;

enum { CLI_DONE = -1 }; /* help or the version printed: exit 0 */

/* Global options (--build, --help, --version) before the command, then the
 * command's own options (getopt_long; --build and --help are accepted after
 * any command). Returns 0, CLI_DONE, or RL_EXIT_USAGE after a one-line error. */
int parse_command_line(int argc, char **argv, command_line *c);
void free_command_line(command_line *c);
/* The options of `racelab run` with their defaults (rerun fills its own). */
void run_options_init(run_options *o, int capacity);
void free_run_options(run_options *o);
double run_deadline(const run_options *o);

#endif
