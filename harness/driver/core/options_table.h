/* options_table.h — the option and command tables of racelab's command line,
 * shared by the parser (options.c), the tables (options_table.c) and the
 * help (options_help.c); nothing else includes it. */
#ifndef RL_DRIVER_CORE_OPTIONS_TABLE_H
#define RL_DRIVER_CORE_OPTIONS_TABLE_H

#include "core/cli.h"

#include <stddef.h>
#include <stdio.h>

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
    const char *about;     /* the command's own help, before its options (wrapped) */
    const char *after;     /* printed as it is after the options (exit statuses), or NULL */
    int word_ends_options; /* exec: the first word (PROGRAM) and all after it are words */
    command_option options[32];
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
