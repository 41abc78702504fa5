/* drive.h — one session of runs: folder, table, runs, totals. */
#ifndef RL_DRIVER_RUN_DRIVE_H
#define RL_DRIVER_RUN_DRIVE_H

#include "core/options.h"
#include "core/plan.h"
#include "core/results.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Every value the driver passes on is checked before anything runs, by the
 * programs' own parsers (one parser per idea): each planned scenario's plain
 * program is asked with the command line of its first run
 * (program_check_args), and the TSan build once (it refuses more). Returns 0,
 * or RL_EXIT_USAGE / RL_EXIT_HARNESS after a one-line error naming the scenario. */
int check_passthrough(const plan_item *plan, int n, const run_options *o);
/* One session of runs: stale FIFOs removed, the results folder (o->out_dir
 * or results/<UTC>-<host> beside the build), the table (none when quiet),
 * the runs, summary.txt. Returns the exit status; *dir_out gets the folder
 * when it was made. */
int drive(const run_options *o, const plan_item *plan, int n, int quiet, char **dir_out);
/* The last record of DIR/runs.jsonl, or NULL. */
json_object *last_record(const char *dir);

#endif
