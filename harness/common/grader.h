/* grader.h — the one rule from what a run counted to its verdict.
 *
 * Compiled into every scenario program (which judges its own run) and into
 * the driver (which judges again after adding what only it saw: a crash, a
 * hang past the program's own watchdog, TSan reports in the logs). Both call
 * rl_judge_counts with the counts; neither decides a verdict any other way. */
#ifndef RACELAB_GRADER_H
#define RACELAB_GRADER_H

#include "expectation.h"

/* A fix's positive control: the scenario's racy variant run under the same
 * mode, flavour, budget and load. A fix's `holds` counts only when its
 * control reproduced (docs/design.md "Verdicts, classes and controls"). */
typedef enum {
    RL_CONTROL_NONE,       /* no control was run (a program run on its own) */
    RL_CONTROL_REPRODUCED, /* the control failed: the conditions can show the bug */
    RL_CONTROL_MISSED      /* the control did not fail: a clean fix proves nothing */
} rl_control;

/* Exit classes, the worst wins (docs/racelab.1.md "Verdicts and exit statuses"). */
enum {
    RL_EXIT_MET = 0,        /* every expectation met */
    RL_EXIT_FIX_FAILED = 1, /* a holds or benign variant failed: a regression */
    RL_EXIT_USAGE = 2,      /* bad input */
    RL_EXIT_HARNESS = 3,    /* the harness or its environment failed; nothing graded */
    RL_EXIT_WEAK = 4,       /* weak evidence: a racy variant not reproduced, a fix inconclusive */
    RL_EXIT_INTERRUPTED = 130
};

typedef struct {
    rl_expectation expect;
    rl_detector caught_by;
    int needs_fault;  /* the variant shows its failure only after an injected fault */
    int points_act;   /* fuzz or sched mode: points act (stress: they cost nothing) */
    int tsan_flavour; /* the program is a ThreadSanitizer build */
    unsigned long long trials;
    unsigned long long forbidden; /* forbidden outcomes, hangs and crashes included */
    unsigned long long interesting;
    unsigned long long tsan_reports;
    int interrupted; /* the budget was cut short (a signal) */
    rl_control control;
} rl_grade_input;

typedef struct {
    rl_verdict_kind verdict;
    int judged; /* 0: nothing in this flavour or mode can catch the variant */
    int met;
    unsigned long long forbidden; /* as given */
    unsigned long long interesting;
    unsigned long long failures; /* what counts against this variant */
    double rate;
    double wilson_low, wilson_high; /* 95% two-sided interval of the rate */
    double upper95;                 /* one-sided 95% upper bound of the rate */
} rl_verdict;

void rl_judge_counts(const rl_grade_input *in, rl_verdict *v);
/* The one-sided 95% lower bound on a failure rate (Wilson). */
double rl_rate_lower95(unsigned long long failures, unsigned long long trials);
/* The exit class of one verdict: RL_EXIT_MET, _FIX_FAILED, _WEAK or _HARNESS. */
int rl_verdict_exit_class(const rl_verdict *v);
/* Which of two exit statuses is worse (the one a session ends with):
 * interrupted > harness > usage > fix failed > weak > met. */
int rl_worse_exit(int a, int b);
/* The verdict of a run that measured nothing usable: error, not met. */
void rl_judge_error(rl_verdict *v);

#endif
