/* record_sink.h — the results folder and its runs.jsonl, where every record
 * (run, exec, compare) is appended whole or not at all. */
#ifndef RL_DRIVER_CORE_RECORD_SINK_H
#define RL_DRIVER_CORE_RECORD_SINK_H

#include "../../common/record.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

typedef struct record_sink {
    char *dir;           /* the results folder, absolute */
    int fd;              /* DIR/runs.jsonl, appended; -1 once closed */
    int n_unwritten;     /* records runs.jsonl could not take */
    int unwritten_errno; /* why, the last time */
} record_sink;

/* Makes the results folder — DIR, or ROOT/<UTC stamp>-<host> when DIR is
 * NULL — and an empty runs.jsonl of its own in it. Returns 0, or
 * RL_EXIT_USAGE (it already holds results) / RL_EXIT_HARNESS after a one-line
 * error (WHO, e.g. "exec: ", in front), with no folder of its making left. */
int record_sink_open(record_sink *k, const char *dir, const char *root, const char *who);
/* Appends one record (a line ending in '\n') whole or not at all: one
 * write, fsync, and on failure the file cut back to its last whole line,
 * the failure counted and said in one warning line. Returns 0 when written. */
int record_sink_append(record_sink *k, const char *run_id, const char *line, size_t len);
/* The record as one line, appended the same way. */
int record_sink_write(record_sink *k, const char *run_id, json_object *rec);
/* "N records could not be written ..." on F, when some could not. */
void record_sink_report(const record_sink *k, FILE *f);
/* Closes runs.jsonl (the folder's name stays in k->dir until record_sink_free). */
int record_sink_close(record_sink *k);
void record_sink_free(record_sink *k);

/* An rl_record as the one serialiser writes it (rl_record_write), as a
 * json-c object: what a writer adds its own fields to before writing it. */
json_object *record_json(const rl_record *r);

#endif
