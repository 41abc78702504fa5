/* runner.h — child processes, their process groups and the watchdog. */
#ifndef RL_DRIVER_CORE_RUNNER_H
#define RL_DRIVER_CORE_RUNNER_H

#include "core/child.h"
#include "core/options.h"
#include "core/plan.h"
#include "core/util.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct child_run {
    int index; /* position in the plan */
    plan_item item;
    char *run_id;
    char **argv;
    int argc;
    char *tsan_base; /* log_path given to TSan, or NULL */
    child ch;        /* the process (core/child.h): pid, pipes, output, status, deadline */
    /* The program's progress feed (harness/runtime/progress.c): a pipe of
     * "progress TRIALS FAILURES" lines, the last whole one kept. */
    int fd_progress;
    char feed[128];
    size_t feed_len;
    long long live_trials, live_failures; /* -1: no line yet */
} child_run;

/* The command line of one run (argv[argc] is NULL). */
char **run_argv(const plan_item *it, const run_options *o, int *argc);

struct session;
/* Runs every planned item, at most `jobs` at once, handing each finished
 * run to results_finish. Returns nonzero when interrupted. */
int run_all(struct session *s, const run_options *o, const plan_item *plan, int n);

#endif
