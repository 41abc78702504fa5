/* results.h — the results folder, run records, runs.jsonl written whole or not at all. */
#ifndef RL_DRIVER_CORE_RESULTS_H
#define RL_DRIVER_CORE_RESULTS_H

#include "core/options.h"
#include "core/plan.h"
#include "core/record_sink.h"
#include "core/runner.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct {
    char *scenario, *variant, *expectation, *mode, *flavour, *verdict, *note;
    char *trials, *rate, *forbidden, *tsan;
    char *unhit;  /* declared points no actor reached, ", " joined, or NULL */
    int met;      /* 1 met, 0 not met, -1 not judged */
    int index;    /* plan order */
    int severity; /* exit status this run asks for */
} summary_row;

/* What a written run tells the fixes it controls. */
typedef struct run_outcome {
    int done;
    char *variant, *verdict;
    unsigned long long failures, trials;
    double rate;
} run_outcome;

typedef struct session {
    char *dir;        /* the folder (a copy of sink.dir's) */
    record_sink sink; /* its runs.jsonl (record_sink.h) */
    int tty, colour;
    int n_planned;
    double started; /* now_seconds() when the first run started: the ETA */
    summary_row *rows;
    int n_rows;
    int width_scenario, width_variant;
    int progress_shown;
    int quiet; /* no table, progress or totals on stdout */
    const run_options *opts;
    const plan_item *plan; /* what this session runs, in order */
    int n_plan;
    struct run_outcome *finished; /* per plan index: the outcome, once written */
    struct pending *pending;      /* fixes whose controls have not all finished */
    int n_pending;
} session;

/* Makes the results folder (DIR or results/<stamp>-<host>); returns 0 or
 * RL_EXIT_HARNESS/RL_EXIT_USAGE after a one-line error, with nothing left. */
int results_open(session *s, const run_options *o, const char *default_root);
/* The record of one finished run: written to runs.jsonl and the table. */
void results_finish(session *s, child_run *c, const run_options *o);
/* Ends the session: pending fixes written, runs.jsonl closed, REPORTS(dir)
 * made (NULL: none) before summary.txt and the totals, so that both say the
 * status the process exits with. Returns that status. */
int results_close(session *s, int interrupted, int (*reports)(const char *dir));
void results_free(session *s);
/* Frees a table row's texts. */
void row_free(summary_row *r);
char *results_path(const session *s, const char *sub, const char *name);

#endif
