/* exec_shrink.c — `racelab exec --mode sched --shrink`: the scenarios'
 * shrink (sched_shrink.h), whose trials are runs of the program, each
 * started, watched and graded like any run (exec_run_one), then the best
 * schedule replayed with its trace. */
#include "core/child.h"
#include "exec/exec.h"

#include "../../../injectors/sched/sched_shrink.h"
#include "../../../injectors/sched/schedule_text.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define SHRINK_BUDGET 5000 /* runs per preemption bound */

/* ---- one run, start to end (the shrink's trials) ---------------------------------- */

int exec_run_one(const exec_context *x, exec_child *c, exec_tally *t)
{
    for (;;) {
        if (exec_child_start(x, c) != 0)
            return -1;
        while (!child_done(&c->ch, now_seconds())) {
            struct pollfd fds[3];
            int nf = child_pollfds(&c->ch, fds);
            if (poll(fds, (nfds_t)nf, 5) < 0 && errno != EINTR)
                break;
            child_poll(&c->ch);
            if (!c->ch.reaped && !c->ch.timed_out && now_seconds() >= c->ch.deadline)
                exec_child_watchdog(x, c);
        }
        if (!exec_fs_lost(c->ch.pid))
            return exec_grade(x, c, t);
        exec_child_not_a_run(x, c); /* killed with its fork server */
        if (c->again)
            return -1;
        exec_child_reset(c); /* once more, on a new server, as exec_run_all does */
    }
}

/* ---- --shrink ------------------------------------------------------------------------ */

typedef struct {
    const exec_context *x;
    exec_tally *t;
    int outcome; /* the first failure's: the shrink keeps it */
    unsigned long long runs;
} shrink_ctx;

/* The schedule text a trial of the shrink follows: the greedy pass's
 * lenient replay (`*may_preempt` set to its marks as text, 0 or 1 an
 * entry: RL_EXEC_ENV_MAY_PREEMPT), or dfs's prefix (`*may_preempt` NULL). */
static char *trial_schedule(const rl_sched_strategy *s, char **may_preempt)
{
    const int *given = NULL;
    const unsigned char *may = NULL;
    int n = rl_strategy_lenient_given(s, &given, &may);
    *may_preempt = NULL;
    if (n < 0)
        return exec_sched_prefix(s);
    size_t cap = (size_t)n * 6 + 16; /* "1023." an entry at most */
    char *text = xcalloc(cap, 1);
    rl_schedule_format(given, n, text, cap);
    int *marks = xcalloc((size_t)n + 1, sizeof *marks);
    for (int i = 0; i < n; i++)
        marks[i] = may[i];
    *may_preempt = xcalloc(cap, 1);
    rl_schedule_format(marks, n, *may_preempt, cap);
    free(marks);
    return text;
}

static int shrink_trial(void *p, rl_sched_strategy *dfs, rl_sched_trial *trial)
{
    shrink_ctx *s = p;
    exec_tally scratch;
    memset(&scratch, 0, sizeof scratch);
    exec_child c;
    memset(&c, 0, sizeof c);
    c.index = exec_run_index(s->x->o, s->t->runs_started) + s->runs++; /* past every run */
    c.seed = s->x->o->seed;
    c.schedule = trial_schedule(dfs, &c.preempts);
    c.lenient = c.preempts != NULL;
    c.follow = 1;
    int outcome = exec_run_one(s->x, &c, &scratch);
    memset(trial, 0, sizeof *trial);
    int failed = 0;
    if (outcome != -1 && scratch.last != NULL && scratch.last->present) {
        trial->more = exec_sched_feed(dfs, scratch.last);
        trial->preemptions = scratch.last->preemptions;
        trial->steps = scratch.last->steps;
        failed = outcome == s->outcome;
    } else {
        /* not started, lost, or no report: it says nothing of the schedules
         * after it, so the search must not count the bound as exhausted */
        trial->more = 0;
        trial->diverged = 1;
    }
    free(c.schedule);
    free(c.preempts);
    exec_child_free(&c);
    exec_free_tally(&scratch);
    return failed;
}

void exec_shrink(const exec_context *x, exec_tally *t)
{
    if (t->n_failed == 0 || t->failed[0].schedule == NULL)
        return;
    const exec_failure *f = &t->failed[0];
    int *choices = xcalloc(RL_SCHED_MAX_STEPS, sizeof *choices);
    int n = rl_schedule_parse(f->schedule, choices, RL_SCHED_MAX_STEPS);
    rl_shrink_result *best = xcalloc(1, sizeof *best);
    shrink_ctx ctx = {x, t, f->outcome, 0};
    if (n > 0 &&
        rl_sched_shrink(choices, n, f->preemptions, SHRINK_BUDGET, shrink_trial, &ctx, best) == 0) {
        size_t cap = (size_t)best->n * 4 + 16;
        char *text = xcalloc(cap, 1);
        rl_schedule_format(best->choices, best->n, text, cap);
        /* the best schedule again, traced */
        exec_tally scratch;
        memset(&scratch, 0, sizeof scratch);
        exec_child c;
        memset(&c, 0, sizeof c);
        c.index = exec_run_index(x->o, t->runs_started) + ctx.runs++;
        c.seed = x->o->seed;
        c.schedule = text;
        c.follow = 1;
        c.trace = 1;
        int outcome = exec_run_one(x, &c, &scratch);
        exec_sched_run *r = scratch.last;
        t->shrunk.present = 1;
        t->shrunk.schedule = text;
        t->shrunk.minimal = best->minimal;
        t->shrunk.preemptions = r != NULL && r->present ? r->preemptions : best->preemptions;
        t->shrunk.cause = outcome < 0 ? xstrdup("not run (it could not start, or was lost with "
                                                "its fork server)")
                          : scratch.n_failed > 0 ? xstrdup(scratch.failed[0].cause)
                                                 : xstrdup(exec_outcome_name(outcome));
        t->shrunk.waits = scratch.n_failed > 0 && scratch.failed[0].waits != NULL
                              ? xstrdup(scratch.failed[0].waits)
                              : NULL;
        t->shrunk.trace =
            r != NULL && r->present ? exec_symbolise(x->p->path, r->base, r->trace) : NULL;
        exec_child_free(&c);
        exec_free_tally(&scratch);
    }
    t->shrink_runs = ctx.runs;
    free(best);
    free(choices);
}
