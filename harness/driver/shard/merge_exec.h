/* merge_exec.h — what merge_exec.c (the shards, the folder) and merge_tally.c (the tallies,
 * failures and verdict of the merged record) share: `racelab merge` of exec shards. */
#ifndef RL_DRIVER_SHARD_MERGE_EXEC_H
#define RL_DRIVER_SHARD_MERGE_EXEC_H

#include "exec/exec.h"
#include "report/report.h"

#include <json-c/json.h>

typedef struct {
    const char *dir;
    report_set set;
    json_object *rec;    /* the one record (the set's) */
    const char *results; /* exec.results: where the shard ran */
    int k;               /* from 1 */
} exec_shard;

json_object *merge_shard_info(const exec_shard *s);   /* its record's exec.shard */
unsigned long long merge_count(const json_object *v); /* a count, 0 when not one */
/* Shard IN's tallies added into the merged record M (a copy of the first shard's). */
void merge_add_shard(json_object *m, const json_object *in);
/* exec.failures of every shard in run order, the first EXEC_MAX_FAILURES, their files copied
 * into OUT; *first: the shard whose failure is first. 0 or RL_EXIT_HARNESS. */
int merge_failures(json_object *m, const exec_shard *sh, int n, const char *out,
                   const exec_shard **first);
/* first_failure and sched.shrunk from the first failure's shard. */
void merge_take_first(json_object *m, const exec_shard *first);
/* *g from M's merged tallies, *v by exec's grader, written into M. */
void merge_regrade(json_object *m, exec_grade_counts *g, rl_verdict *v);
/* The failure fields that name a file in the results folder. */
extern const char *const MERGE_FILES[4];

#endif
