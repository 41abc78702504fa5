/* commands.h — `racelab rerun` and `racelab repro`. */
#ifndef RL_DRIVER_RUN_COMMANDS_H
#define RL_DRIVER_RUN_COMMANDS_H

#include "core/discover.h"
#include "core/options.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

int cmd_rerun(const command_line *c);
/* The command a rerun of the record in TEXT would run (line c->line of it
 * when c->line_given), as far as the driver checks a record without asking a
 * program: 0 and *argv (NULL-terminated, free_argv), or an exit status after
 * a one-line error. The record reader's fuzz target calls it. */
int rerun_command_of(const catalog *cat, const char *text, const command_line *c, char ***argv,
                     int *argc);
int cmd_repro(const command_line *c);

#endif
