/* options_table.h — the option and command tables of racelab's command line,
 * shared by the parser (options.c), the tables (options_table.c) and the
 * help (options_help.c); nothing else includes it. */
#ifndef RL_DRIVER_CORE_OPTIONS_TABLE_H
#define RL_DRIVER_CORE_OPTIONS_TABLE_H

#include <stddef.h>
#include <stdio.h>

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

extern const option_def OPTIONS[];
extern const size_t N_OPTIONS;
extern const command_def COMMANDS[];
extern const size_t N_COMMANDS;

const option_def *option_of(int id);
const command_def *command_of(const char *name); /* NULL: no such command */

/* The help of racelab (every command), and of one command (options_help.c). */
void options_general_usage(FILE *f);
void options_command_usage(FILE *f, const command_def *cmd);

#endif
