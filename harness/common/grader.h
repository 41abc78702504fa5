/* grader.h — the one rule from what a run counted to its verdict.
 *
 * Compiled into every scenario program (which judges its own run) and into
 * the driver (which judges again after adding what only it saw: a crash, a
 * hang past the program's own watchdog, TSan reports in the logs). Both call
 * rl_judge_counts with the counts; neither decides a verdict any other way. */
#ifndef RACELAB_GRADER_H
#define RACELAB_GRADER_H

#include "expectation.h"

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
/* The verdict of a run that measured nothing usable: error, not met. */
void rl_judge_error(rl_verdict *v);

#endif
