/* shard.h — --shard K/N, its plan hash and shard.json; `racelab merge`. */
#ifndef RL_DRIVER_SHARD_SHARD_H
#define RL_DRIVER_SHARD_SHARD_H

#include "core/options.h"
#include "core/plan.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Each plan item's shard, 0..shards-1 (printed and stored as 1..shards): the runs of one scenario
 * in one flavour (a fix and its controls) stay together, groups go largest first to the least
 * loaded shard (cost: budget x flavour weight). The same for the same plan and options on every
 * machine. Returns a new array. */
int *shard_assign(const plan_item *plan, int n, int shards, const run_options *o);
double shard_cost(const plan_item *it, const run_options *o);
/* The plan's identity: every run's key, role and arguments (not the
 * program's path), 16 hex digits; malloc'd. */
char *plan_hash(const plan_item *plan, int n, const run_options *o);
/* racelab plan: the plan and its split (--shards N), a table or --json. */
int cmd_plan_print(const plan_item *plan, int n, const run_options *o, int json);
/* racelab run --shard K/N: the runs of shard K, driven into --out DIR, and
 * the identity of the whole plan in DIR/shard.json (written before the runs
 * with complete false, again after them). Returns the exit status. */
int shard_run(const plan_item *plan, int n, const run_options *o);

int cmd_merge(const command_line *c);

/* A shard given to merge, as run and exec merges both see it. */
typedef struct {
    int k;           /* from 1 */
    const char *dir; /* its folder */
    int finished;    /* it ran whole */
} shard_seen;
/* Names, in one line, the shards 1..TOTAL of the WHAT (a night, a campaign)
 * not given or not finished; RL_EXIT_HARNESS when any, else 0. */
int shard_check_complete(const shard_seen *seen, int n, int total, const char *what);
/* 0 when OUT holds no runs.jsonl yet, else says so: RL_EXIT_USAGE. */
int shard_out_is_free(const char *out);

/* merge_exec.c: what a folder given to merge is: a run shard (DIR/shard.json), else an exec
 * shard's (DIR/runs.jsonl, checked when read), else neither. */
enum { MERGE_NOT_A_SHARD, MERGE_RUN_SHARD, MERGE_EXEC_SHARD };
int merge_shard_kind(const char *dir);
/* The kind of merge C asks for: 0 run shards, -1 exec shards, or a mix refused (one line,
 * RL_EXIT_USAGE). */
int merge_kinds(const command_line *c);
/* racelab merge of the shards of one exec campaign (racelab exec --shard K/N). */
int merge_exec(const command_line *c);

#endif
