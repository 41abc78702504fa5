/* compare_check.c — correctness: every candidate in every flavour in
 * stress, fuzz and sched (pct:3) mode for a share of the budget, and under
 * dfs:B up to a cap of schedules, each setting after its positive controls
 * (the scenario's racy variants, same settings). A candidate is judged as a
 * fix by the one grader (harness/common/grader.c), whatever its own
 * expectation: a racy variant passed as a candidate fails. */
#include "compare/compare.h"
#include "core/json_io.h"
#include "core/plan.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 96

typedef struct {
    const char *mode, *strategy;
    int dfs; /* trial-capped, ends when exhausted */
} setting;

static cmp_run *add_run(cmp_runs *runs)
{
    if (runs->n == runs->cap) {
        runs->cap = runs->cap ? 2 * runs->cap : 32;
        runs->runs = xrealloc(runs->runs, sizeof *runs->runs * (size_t)runs->cap);
    }
    cmp_run *r = &runs->runs[runs->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static int build_argv(const compare_opts *o, const variant_info *var, int tsan, const setting *s,
                      char **argv, char *num[3])
{
    int n = 0;
    argv[n++] = tsan ? o->sc->tsan_path : o->sc->plain_path;
    argv[n++] = "--variant";
    argv[n++] = var->name;
    argv[n++] = "--mode";
    argv[n++] = (char *)s->mode;
    if (s->strategy) {
        argv[n++] = "--strategy";
        argv[n++] = (char *)s->strategy;
    }
    num[0] = s->dfs ? xasprintf("%llu", o->dfs_trials) : xasprintf("%g", o->check_seconds);
    argv[n++] = s->dfs ? "--trials" : "--seconds";
    argv[n++] = num[0];
    num[1] = xasprintf("%llu", o->seed);
    argv[n++] = "--seed";
    argv[n++] = num[1];
    num[2] = xasprintf("%g", o->timeout);
    argv[n++] = "--timeout";
    argv[n++] = num[2];
    n += compare_param_args(o, 0, argv + n, MAX_ARGS - n - 8);
    for (int i = 0; strcmp(s->mode, "fuzz") == 0 && i < o->n_injects && n < MAX_ARGS - 4; i++)
        if (spec_applies(o->sc, o->injects[i])) {
            argv[n++] = "--inject";
            argv[n++] = o->injects[i];
        }
    argv[n++] = "--json";
    argv[n] = NULL;
    return n;
}

/* The verdict of a candidate as a fix, from its record's counts. */
static void judge_candidate(cmp_run *r, int control_state)
{
    const json_object *rec = r->rec;
    rl_grade_input in;
    memset(&in, 0, sizeof in);
    in.expect = strcmp(r->var->expectation, "benign") == 0 ? RL_BENIGN : RL_HOLDS;
    in.caught_by = RL_CAUGHT_BY_ANY;
    in.points_act = strcmp(r->mode, "stress") != 0;
    in.tsan_flavour = r->tsan;
    in.trials = (unsigned long long)rec_num(rec, "trials", NULL);
    in.forbidden =
        (unsigned long long)(rec_num(rec, "forbidden", NULL) + rec_num(rec, "crashes", NULL));
    in.interesting = (unsigned long long)rec_num(rec, "interesting", NULL);
    in.tsan_reports = (unsigned long long)rec_num(rec, "tsan", "reports");
    in.interrupted = jtrue(jget(rec, "interrupted"));
    in.control = (rl_control)control_state;
    r->control_state = control_state;
    rl_judge_counts(&in, &r->v);
    if (in.trials == 0)
        rl_judge_error(&r->v);
}

/* A control's own record says whether it reproduced (its program judged it). */
static void judge_control(cmp_run *r)
{
    const char *verdict = jstring(jget(r->rec, "verdict"));
    memset(&r->v, 0, sizeof r->v);
    r->v.judged = jget(r->rec, "met") != NULL;
    r->v.met = jtrue(jget(r->rec, "met"));
    r->v.verdict = verdict && strcmp(verdict, "reproduced") == 0 ? RL_VERDICT_REPRODUCED
                                                                 : RL_VERDICT_NOT_REPRODUCED;
    r->v.failures = (unsigned long long)rec_num(r->rec, "stats", "failures");
    r->v.rate = rec_num(r->rec, "stats", "rate");
}

static int one_run(const compare_opts *o, record_sink *log, cmp_run *r, const setting *s)
{
    char *argv[MAX_ARGS], *num[3];
    build_argv(o, r->var, r->tsan, s, argv, num);
    double limit = s->dfs ? 600 : 1.5 * o->check_seconds + 2 * o->timeout + 10;
    int rc = compare_exec(argv, limit, &r->rec, &r->error);
    for (int i = 0; i < 3; i++)
        free(num[i]);
    if (r->rec != NULL) {
        r->trials = (unsigned long long)rec_num(r->rec, "trials", NULL);
        r->tsan_reports = (unsigned long long)rec_num(r->rec, "tsan", "reports");
        r->exhausted = jtrue(jget(jget(r->rec, "sched"), "exhausted"));
        compare_log(log, r->rec, "correctness", r->control ? "control" : "candidate", -1);
    }
    if (isatty(2))
        fprintf(stderr, "\r\033[K  correctness: %s %s %s%s%s", r->var->name,
                r->tsan ? "tsan" : "plain", s->mode, s->strategy ? " " : "",
                s->strategy ? s->strategy : "");
    return rc;
}

static int run_setting(const compare_opts *o, record_sink *log, cmp_runs *runs, int tsan,
                       const setting *s)
{
    int state = RL_CONTROL_MISSED;
    for (int i = 0; i < o->n_controls; i++) {
        const variant_info *var = o->controls[i];
        if (!can_control(var, tsan, strcmp(s->mode, "stress") != 0))
            continue;
        cmp_run *r = add_run(runs);
        *r = (cmp_run){.var = var,
                       .tsan = tsan,
                       .mode = s->mode,
                       .strategy = s->strategy,
                       .dfs_bound = s->dfs ? o->dfs_bound : 0,
                       .control = 1};
        int rc = one_run(o, log, r, s);
        if (rc != 0 && rc != RL_EXIT_HARNESS)
            return rc;
        if (r->rec != NULL) {
            judge_control(r);
            if (r->v.verdict == RL_VERDICT_REPRODUCED && r->v.met)
                state = RL_CONTROL_REPRODUCED;
        }
    }
    for (int i = 0; i < o->n_cands; i++) {
        cmp_run *r = add_run(runs);
        *r = (cmp_run){.var = o->cands[i],
                       .tsan = tsan,
                       .mode = s->mode,
                       .strategy = s->strategy,
                       .dfs_bound = s->dfs ? o->dfs_bound : 0};
        int rc = one_run(o, log, r, s);
        if (rc != 0 && rc != RL_EXIT_HARNESS)
            return rc;
        if (r->rec != NULL)
            judge_candidate(r, state);
        else
            rl_judge_error(&r->v);
    }
    return 0;
}

int compare_check(const compare_opts *o, record_sink *log, cmp_runs *runs)
{
    static char dfs[16];
    snprintf(dfs, sizeof dfs, "dfs:%d", o->dfs_bound);
    const setting settings[] = {
        {"stress", NULL, 0}, {"fuzz", NULL, 0}, {"sched", "pct:3", 0}, {"sched", dfs, 1}};
    int n_settings = o->dfs_bound > 0 ? 4 : 3;
    for (int tsan = 0; tsan < 2; tsan++) {
        if (!(o->flavours & (tsan ? FLAVOUR_TSAN : FLAVOUR_PLAIN)))
            continue;
        for (int k = 0; k < n_settings; k++) {
            int rc = run_setting(o, log, runs, tsan, &settings[k]);
            if (rc != 0)
                return rc;
        }
    }
    if (isatty(2))
        fputs("\r\033[K", stderr);
    return 0;
}

cand_state compare_cand_state(const cmp_runs *runs, const variant_info *cand)
{
    int fails = 0, error = 0, holds = 0;
    for (int i = 0; i < runs->n; i++) {
        const cmp_run *r = &runs->runs[i];
        if (r->control || r->var != cand)
            continue;
        fails |= r->v.verdict == RL_VERDICT_FAILS;
        error |= r->v.verdict == RL_VERDICT_ERROR;
        holds |= r->v.met;
    }
    return fails ? CAND_FAILS : error ? CAND_ERROR : holds ? CAND_HOLDS : CAND_INCONCLUSIVE;
}
