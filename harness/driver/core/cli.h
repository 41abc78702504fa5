/* cli.h — one way every racelab command reads its command line: each
 * option is a row of one table (options_table.c: name, value, help), each
 * command lists the rows it takes (COMMANDS, with its own words where an
 * option means something else there), and one getopt_long loop (cli.c)
 * hands each option's value to the command's own TAKE, which checks it and
 * keeps it typed. --help prints the command's help from the same rows; an
 * unknown option or a missing value is one line and exit status 2. */
#ifndef RL_DRIVER_CORE_CLI_H
#define RL_DRIVER_CORE_CLI_H

/* The options of every command, by id (options_table.c names them). */
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
    /* exec */
    OPT_RUNS,
    OPT_RUN_SEED,
    OPT_EXPECT,
    OPT_FAIL_ON,
    OPT_OK_STATUS,
    OPT_LIST_POINTS,
    OPT_REPLAY,
    OPT_SHRINK,
    OPT_NO_FORK_SERVER,
    OPT_PIN,
    OPT_LEAKS,
    OPT_CORPUS,
    /* compare */
    OPT_BUDGET,
    OPT_ROUNDS,
    OPT_DFS,
    OPT_DFS_TRIALS,
    OPT_COST_MODE,
    OPT_NO_COST,
    /* report, diff */
    OPT_HTML,
    OPT_ALPHA,
    OPT_BAND,
    OPT_MAX_ID
};

enum { CLI_DONE = -1 }; /* help or the version printed: exit 0 */

/* Checks and keeps one option's VALUE (NULL when it takes none): 0, or an
 * exit status after a one-line error. */
typedef int (*cli_take)(void *ctx, int id, const char *value);

/* The command line of COMMAND, ARGV the words after its name: every option to
 * TAKE in order, the other words to WORDS (room for argc) in order, those
 * after `--` too (and, for a command whose first word ends its options,
 * exec's PROGRAM, that word and all after it). Returns 0, CLI_DONE after
 * --help, or an exit status after one line on stderr. */
int cli_parse(const char *command, int argc, char **argv, cli_take take, void *ctx, char **words,
              int *n_words);

/* --shard K/N (run's and exec's): *k0 = K-1 (0-based inside, 1-based in every word and file),
 * *n = N. Returns 0, or RL_EXIT_USAGE after a one-line error (WHO in front, e.g. "exec: "). */
int cli_parse_shard(const char *who, const char *value, int *k0, int *n);

#endif
